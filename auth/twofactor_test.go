package auth_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

const (
	tfEnable = "/api/v1/auth/two-factor/enable"
	tfTOTP   = "/api/v1/auth/two-factor/verify-totp"
	tfBackup = "/api/v1/auth/two-factor/verify-backup-code"
	tfSignIn = "/api/v1/auth/sign-in/email"
)

// twoFactorUser signs Ada up, enables two-factor with her password and
// confirms it with a code, as a user would; it returns the secret and the
// backup codes.
func twoFactorUser(t *testing.T, e *env) (secret string, backup []string) {
	t.Helper()
	require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
	b := e.Browser()
	require.Equal(t, 200, b.Post(tfSignIn, map[string]any{"email": "ada@example.com", "password": "correct horse"}).StatusCode)
	r := b.Post(tfEnable, map[string]any{"password": "correct horse", "issuer": "Acme"})
	require.Equal(t, 200, r.StatusCode, r.String())
	u, err := url.Parse(r.Value("totpURI").(string))
	require.NoError(t, err)
	assert.Equal(t, "otpauth", u.Scheme)
	assert.Equal(t, "Acme", u.Query().Get("issuer"))
	secret = u.Query().Get("secret")
	require.NotEmpty(t, secret)
	for _, c := range r.Value("backupCodes").([]any) {
		backup = append(backup, c.(string))
	}
	require.Len(t, backup, 10)
	// not on until a code of the secret is verified
	s := b.Get("/api/v1/auth/get-session")
	assert.Equal(t, false, s.Map()["user"].(map[string]any)["twoFactorEnabled"])
	r = b.Post(tfTOTP, map[string]any{"code": testenv.TOTPCode(t, secret, e.Clock.Now())})
	require.Equal(t, 200, r.StatusCode, r.String())
	assert.Equal(t, true, r.Map()["user"].(map[string]any)["twoFactorEnabled"])
	e.Clock.Advance(30 * time.Second) // the next code is a new one
	return secret, backup
}

// pendingSignIn signs in with the password in a fresh browser, which then
// holds only the pending cookie.
func pendingSignIn(t *testing.T, e *env) *objectostest.Client {
	t.Helper()
	b := e.Browser()
	r := b.Post(tfSignIn, map[string]any{"email": "ada@example.com", "password": "correct horse"})
	require.Equal(t, 200, r.StatusCode, r.String())
	assert.Equal(t, map[string]any{"twoFactorRedirect": true, "twoFactorMethods": []any{"totp"}}, r.Map(), "no token, no user")
	assert.Nil(t, sessionCookie(r), "no session cookie")
	var pending bool
	for _, c := range r.Cookies() {
		if c.Name == auth.TwoFactorCookieName {
			pending = true
			assert.True(t, c.HttpOnly)
			assert.Equal(t, int(auth.TwoFactorPendingTTL.Seconds()), c.MaxAge)
		}
	}
	require.True(t, pending, "the pending cookie is set")
	return b
}

// TestTwoFactorTOTP: with two-factor on, the password alone starts no
// session; a right code does (once), a wrong or reused one is 401
// INVALID_CODE.
func TestTwoFactorTOTP(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{}, roomyAuthRate)
		secret, _ := twoFactorUser(t, e)
		b := pendingSignIn(t, e)
		assert.Equal(t, 401, b.Get("/api/v1/data/note").StatusCode, "the pending cookie is no session")
		assert.Nil(t, b.Get("/api/v1/auth/get-session").JSON())

		r := b.Post(tfTOTP, map[string]any{"code": testenv.WrongTOTPCode(t, secret, e.Clock.Now())})
		assert.Equal(t, 401, r.StatusCode)
		assert.Equal(t, "INVALID_CODE", r.Value("code"))

		c := testenv.TOTPCode(t, secret, e.Clock.Now())
		r = b.Post(tfTOTP, map[string]any{"code": c, "trustDevice": true})
		require.Equal(t, 200, r.StatusCode, r.String())
		assert.NotEmpty(t, r.Value("token"))
		assert.Equal(t, "ada@example.com", r.Map()["user"].(map[string]any)["email"])
		require.NotNil(t, sessionCookie(r))
		assert.Equal(t, 201, b.Post("/api/v1/data/note", map[string]any{"title": "x"}).StatusCode, "the session works")
		assert.Equal(t, 200, e.Bearer(r.Value("token").(string)).Get("/api/v1/data/note").StatusCode)

		// the pending sign-in is used up, and the code too
		b2 := pendingSignIn(t, e)
		r = b2.Post(tfTOTP, map[string]any{"code": c})
		assert.Equal(t, 401, r.StatusCode)
		assert.Equal(t, "INVALID_CODE", r.Value("code"), "a code is not accepted twice")
		// one step late is accepted (a step after the last one used)
		e.Clock.Advance(60 * time.Second)
		r = b2.Post(tfTOTP, map[string]any{"code": testenv.TOTPCode(t, secret, e.Clock.Now().Add(-30*time.Second))})
		assert.Equal(t, 200, r.StatusCode, r.String())
		// without a pending cookie nor a session
		r = e.Client().Post(tfTOTP, map[string]any{"code": testenv.TOTPCode(t, secret, e.Clock.Now())})
		assert.Equal(t, 401, r.StatusCode)
		assert.Equal(t, "INVALID_TWO_FACTOR_COOKIE", r.Value("code"))
	})
}

// TestTwoFactorEnable: enable needs a session and the password, and is
// not on until a code is verified.
func TestTwoFactorEnable(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{}, roomyAuthRate)
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		tok := e.signedIn("ada@example.com", "correct horse")
		r := e.Bearer(tok).Post(tfEnable, map[string]any{"password": "wrong password"})
		assert.Equal(t, 400, r.StatusCode)
		assert.Equal(t, "INVALID_PASSWORD", r.Value("code"))
		assert.Equal(t, 401, e.Client().Post(tfEnable, map[string]any{"password": "correct horse"}).StatusCode)
		// enabled but not confirmed: sign-in is still the password's
		require.Equal(t, 200, e.Bearer(tok).Post(tfEnable, map[string]any{"password": "correct horse"}).StatusCode)
		assert.NotEmpty(t, e.signIn("ada@example.com", "correct horse").Value("token"))
		r = e.Bearer(tok).Post("/api/v1/auth/two-factor/get-totp-uri", map[string]any{"password": "correct horse"})
		assert.Equal(t, "TOTP_NOT_ENABLED", r.Value("code"))
	})
}

// TestTwoFactorDisable: disable needs the password; then the password
// alone signs in again.
func TestTwoFactorDisable(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{}, roomyAuthRate)
		secret, _ := twoFactorUser(t, e)
		b := pendingSignIn(t, e)
		r := b.Post(tfTOTP, map[string]any{"code": testenv.TOTPCode(t, secret, e.Clock.Now())})
		require.Equal(t, 200, r.StatusCode, r.String())
		r = b.Post("/api/v1/auth/two-factor/get-totp-uri", map[string]any{"password": "correct horse"})
		require.Equal(t, 200, r.StatusCode, r.String())
		u, _ := url.Parse(r.Value("totpURI").(string))
		assert.Equal(t, secret, u.Query().Get("secret"))
		r = b.Post("/api/v1/auth/two-factor/disable", map[string]any{"password": "wrong password"})
		assert.Equal(t, "INVALID_PASSWORD", r.Value("code"))
		r = b.Post("/api/v1/auth/two-factor/disable", map[string]any{"password": "correct horse"})
		require.Equal(t, 200, r.StatusCode, r.String())
		assert.Equal(t, true, r.Value("status"))
		r = e.signIn("ada@example.com", "correct horse")
		assert.NotEmpty(t, r.Value("token"))
		assert.Equal(t, false, r.Map()["user"].(map[string]any)["twoFactorEnabled"])
	})
}

// TestTwoFactorBackupCode: a backup code completes a sign-in once.
func TestTwoFactorBackupCode(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{}, roomyAuthRate)
		_, backup := twoFactorUser(t, e)
		b := pendingSignIn(t, e)
		r := b.Post(tfBackup, map[string]any{"code": "aaaaa-aaaaa"})
		assert.Equal(t, 401, r.StatusCode)
		assert.Equal(t, "INVALID_BACKUP_CODE", r.Value("code"))
		r = b.Post(tfBackup, map[string]any{"code": backup[3]})
		require.Equal(t, 200, r.StatusCode, r.String())
		assert.Equal(t, 200, b.Get("/api/v1/data/note").StatusCode)

		b = pendingSignIn(t, e)
		r = b.Post(tfBackup, map[string]any{"code": backup[3]})
		assert.Equal(t, 401, r.StatusCode)
		assert.Equal(t, "INVALID_BACKUP_CODE", r.Value("code"), "used up")
		r = b.Post(tfBackup, map[string]any{"code": backup[4]})
		assert.Equal(t, 200, r.StatusCode, r.String())
	})
}

// TestTwoFactorLockout: wrong codes count towards the sign-in lockout;
// after the threshold even the right code is refused.
func TestTwoFactorLockout(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{}, roomyAuthRate)
		secret, backup := twoFactorUser(t, e)
		b := pendingSignIn(t, e)
		for i := range auth.DefaultLockoutThreshold {
			r := b.Post(tfBackup, map[string]any{"code": "wrong-code"})
			assert.Equal(t, 401, r.StatusCode, "attempt %d: %s", i, r.String())
		}
		r := b.Post(tfTOTP, map[string]any{"code": testenv.TOTPCode(t, secret, e.Clock.Now())})
		assert.Equal(t, 403, r.StatusCode, r.String())
		assert.Equal(t, "ACCOUNT_LOCKED", r.Value("code"))
		r = b.Post(tfBackup, map[string]any{"code": backup[0]})
		assert.Equal(t, "ACCOUNT_LOCKED", r.Value("code"))
		assert.Equal(t, 403, e.signIn("ada@example.com", "correct horse").StatusCode, "the password is locked out too")
	})
}

// TestTwoFactorPendingExpires: the pending sign-in ends after
// TwoFactorPendingTTL.
func TestTwoFactorPendingExpires(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{}, roomyAuthRate)
		secret, _ := twoFactorUser(t, e)
		b := pendingSignIn(t, e)
		e.Clock.Advance(auth.TwoFactorPendingTTL + time.Second)
		r := b.Post(tfTOTP, map[string]any{"code": testenv.TOTPCode(t, secret, e.Clock.Now())})
		assert.Equal(t, 401, r.StatusCode)
		assert.Equal(t, "INVALID_TWO_FACTOR_COOKIE", r.Value("code"))
	})
}

// TestRequireTwoFactorForAdmins: an administrator without two-factor is
// refused everywhere but /auth/… until they turn it on; other users are not.
func TestRequireTwoFactorForAdmins(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{RequireTwoFactorForAdmins: true, SignUp: objectos.Ptr(true)}, roomyAuthRate)
		// the first user is the administrator
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		require.Equal(t, 200, e.signUp("Bob", "bob@example.com", "battery staple").StatusCode)
		assert.Equal(t, 200, e.Bearer(e.signedIn("bob@example.com", "battery staple")).Get("/api/v1/data/note").StatusCode)

		b := e.Browser()
		require.Equal(t, 200, b.Post(tfSignIn, map[string]any{"email": "ada@example.com", "password": "correct horse"}).StatusCode)
		r := b.Get("/api/v1/data/note")
		assert.Equal(t, 403, r.StatusCode, r.String())
		assert.Equal(t, "TWO_FACTOR_REQUIRED", r.Value("reason"))
		tok := b.Get("/api/v1/auth/token")
		assert.Equal(t, 403, tok.StatusCode, "no JWT to go around it")
		assert.Equal(t, "TWO_FACTOR_REQUIRED", tok.Value("code"))
		assert.Equal(t, 200, b.Get("/api/v1/auth/get-session").StatusCode, "the auth routes work")
		// but not the administrator's: they reach other accounts
		bob := e.Browser()
		require.Equal(t, 200, bob.Post(tfSignIn, map[string]any{"email": "bob@example.com", "password": "battery staple"}).StatusCode)
		bobID := bob.Get("/api/v1/auth/get-session").Value("user.id").(string)
		for path, body := range map[string]map[string]any{
			"admin/set-user-password":    {"userId": bobID, "newPassword": "taken over now"},
			"admin/create-user":          {"email": "mallory@example.com", "password": "a backdoor account", "role": "admin"},
			"admin/ban-user":             {"userId": bobID},
			"admin/revoke-user-sessions": {"userId": bobID},
			"admin/list-user-sessions":   {"userId": bobID},
		} {
			r := b.Post("/api/v1/auth/"+path, body)
			assert.Equal(t, 403, r.StatusCode, "%s: %s", path, r.String())
			assert.Equal(t, "TWO_FACTOR_REQUIRED", r.Value("code"), path)
		}
		assert.Equal(t, 200, bob.Get("/api/v1/data/note").StatusCode, "Bob kept his session")
		assert.Equal(t, 200, e.signIn("bob@example.com", "battery staple").StatusCode, "and his password")

		r = b.Post(tfEnable, map[string]any{"password": "correct horse"})
		require.Equal(t, 200, r.StatusCode, r.String())
		u, _ := url.Parse(r.Value("totpURI").(string))
		r = b.Post(tfTOTP, map[string]any{"code": testenv.TOTPCode(t, u.Query().Get("secret"), e.Clock.Now())})
		require.Equal(t, 200, r.StatusCode, r.String())
		assert.Equal(t, 200, b.Get("/api/v1/data/note").StatusCode, "the same session, now with two-factor on")
		assert.Equal(t, 200, b.Get("/api/v1/auth/token").StatusCode)
	})
}

// trustCookie is the trusted-device cookie a response sets, or nil.
func trustCookie(r *objectostest.Response) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == auth.TrustDeviceCookieName && c.MaxAge > 0 {
			return c
		}
	}
	return nil
}

// TestTwoFactorTrustDevice: a sign-in completed with trustDevice lets the
// same browser's next password sign-in skip the code, once per cookie (a
// copy of a used one asks for the code), for TrustDeviceTTL; a password
// change and turning two-factor off forget the device.
func TestTwoFactorTrustDevice(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{}, roomyAuthRate)
		secret, _ := twoFactorUser(t, e)
		signIn := func(b *objectostest.Client) *objectostest.Response {
			r := b.Post(tfSignIn, map[string]any{"email": "ada@example.com", "password": "correct horse"})
			require.Equal(t, 200, r.StatusCode, r.String())
			return r
		}
		b := pendingSignIn(t, e)
		r := b.Post(tfTOTP, map[string]any{"code": testenv.TOTPCode(t, secret, e.Clock.Now())})
		require.Equal(t, 200, r.StatusCode, r.String())
		assert.Nil(t, trustCookie(r), "not without trustDevice")
		assert.Equal(t, true, signIn(b).Value("twoFactorRedirect"))

		e.Clock.Advance(30 * time.Second)
		r = b.Post(tfTOTP, map[string]any{"code": testenv.TOTPCode(t, secret, e.Clock.Now()), "trustDevice": true})
		require.Equal(t, 200, r.StatusCode, r.String())
		first := trustCookie(r)
		require.NotNil(t, first)
		assert.True(t, first.HttpOnly)
		assert.Equal(t, int(auth.TrustDeviceTTL.Seconds()), first.MaxAge)

		r = signIn(b)
		assert.NotEmpty(t, r.Value("token"), "the trusted browser skips the code: %s", r.String())
		assert.Nil(t, r.Value("twoFactorRedirect"))
		second := trustCookie(r)
		require.NotNil(t, second, "the trust is renewed")
		assert.NotEqual(t, first.Value, second.Value)
		// a copy of the used cookie in another browser asks for the code
		copied := e.Client().With("Cookie", auth.TrustDeviceCookieName+"="+first.Value)
		assert.Equal(t, true, signIn(copied).Value("twoFactorRedirect"))
		// the password is still checked first
		wrong := b.Post(tfSignIn, map[string]any{"email": "ada@example.com", "password": "wrong horse"})
		assert.Equal(t, 401, wrong.StatusCode)
		assert.NotEmpty(t, signIn(b).Value("token"))

		// a trust runs out
		e.Clock.Advance(auth.TrustDeviceTTL + time.Minute)
		assert.Equal(t, true, signIn(b).Value("twoFactorRedirect"))

		// a password change forgets the devices
		e.Clock.Advance(30 * time.Second)
		b = pendingSignIn(t, e)
		r = b.Post(tfTOTP, map[string]any{"code": testenv.TOTPCode(t, secret, e.Clock.Now()), "trustDevice": true})
		require.Equal(t, 200, r.StatusCode, r.String())
		require.NotNil(t, trustCookie(r))
		session := r.Value("token").(string)
		cp := e.Bearer(session).Post("/api/v1/auth/change-password",
			map[string]any{"currentPassword": "correct horse", "newPassword": "correct horse 2", "revokeOtherSessions": true})
		require.Equal(t, 200, cp.StatusCode, cp.String())
		r = b.Post(tfSignIn, map[string]any{"email": "ada@example.com", "password": "correct horse 2"})
		require.Equal(t, 200, r.StatusCode, r.String())
		assert.Equal(t, true, r.Value("twoFactorRedirect"), "forgotten by the password change")
	})
}
