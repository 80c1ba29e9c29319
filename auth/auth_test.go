package auth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/store"
)

func TestBootstrapAndSignUp(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{})
		r := e.Client().Get("/api/v1/auth/bootstrap-status")
		assert.Equal(t, map[string]any{"hasOwner": false}, r.JSON())

		r = e.signUp("Ada", "Ada@Example.COM", "correct horse")
		r.Status(t, 200)
		user := r.Value("user").(map[string]any)
		assert.Equal(t, "ada@example.com", user["email"], "emails are normalised to lower case")
		assert.Equal(t, "admin", user["role"], "the first user becomes an admin")
		assert.Equal(t, "Ada", user["name"])
		for _, k := range []string{"id", "emailVerified", "image", "createdAt", "updatedAt"} {
			assert.Contains(t, user, k)
		}
		token := r.Value("token").(string)
		assert.Len(t, token, 43, "256 random bits, base64url")
		assert.Equal(t, token, r.Header.Get("set-auth-token"))
		assert.Equal(t, token, sessionCookie(r).Value)

		r = e.Client().Get("/api/v1/auth/bootstrap-status")
		assert.Equal(t, map[string]any{"hasOwner": true}, r.JSON())

		r = e.signUp("Bob", "bob@example.com", "correct horse")
		assert.Equal(t, 403, r.StatusCode)
		assert.Equal(t, map[string]any{"code": "SIGN_UP_DISABLED", "message": "Sign-up is disabled"}, r.JSON())
	})
}

func TestSignUpEnabled(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{SignUp: objectos.Ptr(true)})
		require.Equal(t, 200, e.signUp("First", "first@example.com", "password1").StatusCode)
		r := e.signUp("Second", "second@example.com", "password2")
		r.Status(t, 200)
		assert.Nil(t, r.Value("user.role"), "only the first user is an admin")

		for _, tc := range []struct {
			name, email, password string
			status                int
			code                  string
		}{
			{"bad email", "not-an-email", "password1", 400, "INVALID_EMAIL"},
			{"short password", "x@example.com", "short", 400, "PASSWORD_TOO_SHORT"},
			{"long password", "x@example.com", strings.Repeat("p", 129), 400, "PASSWORD_TOO_LONG"},
			{"existing email in another case", "SECOND@example.com", "password3", 422, "USER_ALREADY_EXISTS"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.signUp("X", tc.email, tc.password)
				assert.Equal(t, tc.status, r.StatusCode)
				assert.Equal(t, tc.code, r.Value("code"))
				assert.NotEmpty(t, r.Value("message"))
				assert.Nil(t, sessionCookie(r))
			})
		}
		r = e.Client().Post("/api/v1/auth/sign-up/email", "[1]")
		assert.Equal(t, 400, r.StatusCode)
		cfg := e.Client().Get("/api/v1/auth/config").Map()
		assert.Equal(t, false, cfg["emailPassword"].(map[string]any)["disableSignUp"])
	})
}

func TestSignInCookiesAndBearer(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{})
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)

		r := e.signIn("ADA@example.com", "correct horse")
		r.Status(t, 200)
		assert.Equal(t, false, r.Value("redirect"))
		token := r.Value("token").(string)
		assert.Equal(t, token, r.Header.Get("set-auth-token"))
		c := sessionCookie(r)
		require.NotNil(t, c)
		assert.Equal(t, "better-auth.session_token", c.Name)
		assert.Equal(t, token, c.Value)
		assert.True(t, c.HttpOnly)
		assert.Equal(t, http.SameSiteLaxMode, c.SameSite)
		assert.Equal(t, "/", c.Path)
		assert.Empty(t, c.Domain, "host-only cookie")
		assert.False(t, c.Secure, "no Secure over plain HTTP")
		assert.InDelta(t, 7*24*3600, c.MaxAge, 2)
		raw := r.Header.Get("Set-Cookie")
		assert.Contains(t, raw, "HttpOnly")
		assert.Contains(t, raw, "SameSite=Lax")
		assert.NotContains(t, raw, "Domain=")

		// Over TLS the cookie is Secure and __Secure- prefixed.
		r = e.do(call{method: "POST", path: "/api/v1/auth/sign-in/email", tls: true,
			body: `{"email":"ada@example.com","password":"correct horse"}`})
		c = sessionCookie(r)
		require.NotNil(t, c)
		assert.True(t, c.Secure)
		assert.Equal(t, "__Secure-better-auth.session_token", c.Name)
		// On a secure request only the __Secure- cookie counts: a plain one
		// may have been planted over HTTP or by a sibling subdomain. Over
		// plain HTTP only the plain name counts.
		secureToken := c.Value
		for _, tc := range []struct {
			tls    bool
			cookie string
			want   int
		}{
			{true, "__Secure-better-auth.session_token", 200},
			{true, "better-auth.session_token", 401},
			{false, "__Secure-better-auth.session_token", 401},
			{false, "better-auth.session_token", 200},
		} {
			r := e.do(call{method: "GET", path: "/api/v1/data/note", tls: tc.tls,
				cookies: []*http.Cookie{{Name: tc.cookie, Value: secureToken}}})
			assert.Equal(t, tc.want, r.StatusCode, "tls %v, cookie %s", tc.tls, tc.cookie)
		}
		// With both, the planted plain cookie (another user's session)
		// does not decide who the caller is.
		planted := e.signedIn("ada@example.com", "correct horse")
		r = e.do(call{method: "GET", path: "/api/v1/auth/get-session", tls: true, cookies: []*http.Cookie{
			{Name: "better-auth.session_token", Value: planted}, {Name: "__Secure-better-auth.session_token", Value: secureToken}}})
		require.Equal(t, 200, r.StatusCode)
		assert.Equal(t, secureToken, r.Value("session.token"))
		// Two cookies of the secure name (a sibling subdomain may set one
		// for the parent domain, on a longer path, so that browsers send
		// it first): neither decides; the request is refused.
		r = e.do(call{method: "GET", path: "/api/v1/data/note", tls: true, cookies: []*http.Cookie{
			{Name: "__Secure-better-auth.session_token", Value: planted}, {Name: "__Secure-better-auth.session_token", Value: secureToken}}})
		assert.Equal(t, 401, r.StatusCode, "ambiguous session cookies")
		r = e.do(call{method: "GET", path: "/api/v1/auth/get-session", tls: true, cookies: []*http.Cookie{
			{Name: "__Secure-better-auth.session_token", Value: planted}, {Name: "__Secure-better-auth.session_token", Value: secureToken}}})
		assert.Nil(t, r.JSON(), "no session: %s", r.String())

		// rememberMe false: a browser-session cookie.
		r = e.Client().Post("/api/v1/auth/sign-in/email", `{"email":"ada@example.com","password":"correct horse","rememberMe":false}`)
		assert.Zero(t, sessionCookie(r).MaxAge)

		// Form-encoded bodies are accepted, as by better-auth.
		r = e.do(call{method: "POST", path: "/api/v1/auth/sign-in/email", body: "email=ada%40example.com&password=correct+horse",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
		assert.Equal(t, 200, r.StatusCode)

		// The cookie, the body token and the set-auth-token header are one
		// credential: as a cookie and as a bearer token they act alike.
		byCookie := e.do(call{method: "POST", path: "/api/v1/data/note", body: `{"title":"by cookie"}`,
			cookies: []*http.Cookie{{Name: "better-auth.session_token", Value: token}}})
		byCookie.Status(t, 201)
		byBearer := e.Bearer(token).Post("/api/v1/data/note", `{"title":"by bearer"}`)
		require.Equal(t, 201, byBearer.StatusCode)
		owner := func(r *objectostest.Response) any { return r.Value("record.owner_id") }
		assert.Equal(t, owner(byCookie), owner(byBearer))
		assert.NotEmpty(t, owner(byCookie))

		for _, h := range []call{
			{method: "GET", path: "/api/v1/auth/get-session", header: bearer(token)},
			{method: "GET", path: "/api/v1/auth/get-session", cookies: []*http.Cookie{{Name: "better-auth.session_token", Value: token}}},
		} {
			r := e.do(h)
			require.Equal(t, 200, r.StatusCode)
			sess := r.Value("session").(map[string]any)
			assert.Equal(t, token, sess["token"])
			assert.Equal(t, owner(byCookie), sess["userId"])
			assert.Equal(t, "2026-08-04T12:00:00.000Z", sess["expiresAt"])
			assert.Equal(t, "ada@example.com", r.Value("user.email"))
		}
	})
}

func TestNoUserEnumeration(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{})
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		before := e.hasher.verifies.Load()
		wrong := e.signIn("ada@example.com", "wrong password")
		afterWrong := e.hasher.verifies.Load()
		unknown := e.signIn("nobody@example.com", "wrong password")
		afterUnknown := e.hasher.verifies.Load()

		assert.Equal(t, 401, wrong.StatusCode)
		assert.Equal(t, wrong.StatusCode, unknown.StatusCode)
		assert.Equal(t, wrong.String(), unknown.String())
		assert.Equal(t, map[string]any{"code": "INVALID_EMAIL_OR_PASSWORD", "message": "Invalid email or password"}, wrong.JSON())
		assert.Equal(t, int64(1), afterWrong-before, "a wrong password costs one hash verification")
		assert.Equal(t, int64(1), afterUnknown-afterWrong, "an unknown email costs the same")
		assert.Equal(t, wrong.Header.Get("Set-Cookie"), unknown.Header.Get("Set-Cookie"))
	})
}

func TestLockout(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{}, roomyAuthRate)
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		for _, email := range []string{"ada@example.com", "ghost@example.com"} {
			for i := 0; i < 4; i++ {
				assert.Equal(t, 401, e.signIn(email, "nope").StatusCode)
			}
			// a success before the threshold resets nothing for the ghost,
			// so both reach five failures the same way
			r := e.signIn(email, "nope")
			assert.Equal(t, 401, r.StatusCode, "the fifth failure is still a plain failure")
			r = e.signIn(email, "correct horse")
			assert.Equal(t, 403, r.StatusCode, email)
			assert.Equal(t, "ACCOUNT_LOCKED", r.Value("code"), "known and unknown emails lock alike")
			assert.Equal(t, "900", r.Header.Get("Retry-After"), "the seconds until the lock ends")
		}
		e.Clock.Advance(14 * time.Minute)
		r := e.signIn("ada@example.com", "correct horse")
		assert.Equal(t, 403, r.StatusCode)
		assert.Equal(t, "60", r.Header.Get("Retry-After"))
		e.Clock.Advance(time.Minute)
		r = e.signIn("ada@example.com", "correct horse")
		require.Equal(t, 200, r.StatusCode, "unlocked after 15 minutes")

		// A success resets the count: four more failures do not lock.
		for i := 0; i < 4; i++ {
			e.signIn("ada@example.com", "nope")
		}
		assert.Equal(t, 200, e.signIn("ada@example.com", "correct horse").StatusCode)
		for i := 0; i < 4; i++ {
			e.signIn("ada@example.com", "nope")
		}
		assert.Equal(t, 200, e.signIn("ada@example.com", "correct horse").StatusCode)
	})
}

func TestSessionExpiryAndSlidingRefresh(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{})
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		token := e.signedIn("ada@example.com", "correct horse")
		session := func() map[string]any {
			r := e.Bearer(token).Get("/api/v1/auth/get-session")
			require.Equal(t, 200, r.StatusCode)
			if r.JSON() == nil {
				return nil
			}
			return r.Value("session").(map[string]any)
		}
		assert.Equal(t, "2026-08-04T12:00:00.000Z", session()["expiresAt"])

		e.Clock.Advance(23 * time.Hour)
		assert.Equal(t, "2026-08-04T12:00:00.000Z", session()["expiresAt"], "not extended within a day")
		e.Clock.Advance(2 * time.Hour)
		r := e.Bearer(token).Get("/api/v1/auth/get-session")
		assert.Equal(t, "2026-08-05T13:00:00.000Z", r.Value("session.expiresAt"), "extended on use after a day")
		assert.NotNil(t, sessionCookie(r), "the refreshed cookie is sent again")
		e.Clock.Advance(time.Hour)
		r = e.Bearer(token).Get("/api/v1/auth/get-session")
		assert.Nil(t, sessionCookie(r), "at most once a day")

		// Unused for longer than the lifetime, the session is gone.
		e.Clock.Advance(8 * 24 * time.Hour)
		assert.Nil(t, session())
		d := e.Bearer(token).Get("/api/v1/data/note")
		assert.Equal(t, 401, d.StatusCode)
		assert.Equal(t, "SESSION_EXPIRED", d.Value("code"))
	})
}

// TestAbsoluteSessionLifetime: a session used every day is extended, but
// never past MaxSessionAge (30 days) after its sign-in.
func TestAbsoluteSessionLifetime(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{})
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		token := e.signedIn("ada@example.com", "correct horse")
		var last *objectostest.Response
		for day := 1; day <= 29; day++ {
			e.Clock.Advance(24 * time.Hour)
			last = e.Bearer(token).Get("/api/v1/data/note")
			require.Equal(t, 200, last.StatusCode, "day %d", day)
		}
		r := e.Bearer(token).Get("/api/v1/auth/get-session")
		assert.Equal(t, "2026-08-27T12:00:00.000Z", r.Value("session.expiresAt"), "capped at the sign-in plus 30 days")
		e.Clock.Advance(24 * time.Hour)
		d := e.Bearer(token).Get("/api/v1/data/note")
		assert.Equal(t, 401, d.StatusCode)
		assert.Equal(t, "SESSION_EXPIRED", d.Value("code"))

		// The cap is an option, and a new sign-in starts a new one.
		e = newEnv(t, st, auth.Options{MaxSessionAge: 3 * 24 * time.Hour})
		token = e.signedIn("ada@example.com", "correct horse")
		r = e.Bearer(token).Get("/api/v1/auth/get-session")
		assert.Equal(t, "2026-07-31T12:00:00.000Z", r.Value("session.expiresAt"), "a lifetime never beyond the cap")
	})
}

func TestSignOutRevokes(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{})
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		token := e.signedIn("ada@example.com", "correct horse")
		other := e.signedIn("ada@example.com", "correct horse")
		r := e.Bearer(token).Post("/api/v1/auth/sign-out", "{}")
		require.Equal(t, 200, r.StatusCode)
		assert.Equal(t, map[string]any{"success": true}, r.JSON())
		c := sessionCookie(r)
		require.NotNil(t, c)
		assert.Equal(t, -1, c.MaxAge, "the cookie is cleared")

		d := e.Bearer(token).Get("/api/v1/data/note")
		assert.Equal(t, 401, d.StatusCode)
		assert.Equal(t, "INVALID_TOKEN", d.Value("code"))
		assert.Nil(t, e.Bearer(token).Get("/api/v1/auth/get-session").JSON())
		assert.Equal(t, 200, e.Bearer(other).Get("/api/v1/data/note").StatusCode,
			"other sessions live on")

		// SetPassword revokes every session of the user.
		uid := e.Bearer(other).Get("/api/v1/auth/get-session").Value("user.id").(string)
		require.NoError(t, e.auth.SetPassword(context.Background(), uid, "new password"))
		assert.Equal(t, 401, e.Bearer(other).Get("/api/v1/data/note").StatusCode)
		assert.Equal(t, 401, e.signIn("ada@example.com", "correct horse").StatusCode)
		assert.Equal(t, 200, e.signIn("ada@example.com", "new password").StatusCode)
	})
}

func TestBanAndIdentityGuard(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{SignUp: objectos.Ptr(true)})
		admin := e.signUp("Admin", "admin@example.com", "correct horse").Value("token").(string)
		r := e.signUp("Bob", "bob@example.com", "bob password")
		bob := r.Value("token").(string)
		bobID := r.Value("user.id").(string)
		adminID := e.Bearer(admin).Get("/api/v1/auth/get-session").Value("session.userId").(string)

		// Users may rename themselves, nothing more.
		p := e.Bearer(bob).Patch("/api/v1/data/sys_user/"+bobID, `{"name":"Robert"}`)
		p.Status(t, 200)
		p = e.Bearer(bob).Patch("/api/v1/data/sys_user/"+bobID, `{"role":"admin"}`)
		assert.Equal(t, 403, p.StatusCode)
		assert.Equal(t, "FIELD_NOT_ACCESSIBLE", p.Value("code"))
		p = e.Bearer(bob).Patch("/api/v1/data/sys_user/"+adminID, `{"name":"pwned"}`)
		assert.Equal(t, 403, p.StatusCode)
		p = e.Bearer(bob).Patch("/api/v1/data/sys_user/"+bobID, `{"name":"Rob","role":null,"banned":false}`)
		assert.Equal(t, 200, p.StatusCode, "unchanged values are not changes")
		// System objects with secrets are not exposed at all.
		for _, obj := range []string{"sys_session", "sys_account", "sys_verification", "sys_login_attempt"} {
			g := e.Bearer(admin).Get("/api/v1/data/" + obj)
			assert.Equal(t, 404, g.StatusCode, obj)
			assert.Equal(t, "OBJECT_API_DISABLED", g.Value("code"))
		}
		// Users have no create or delete through /data.
		assert.Equal(t, 405, e.Bearer(admin).Post("/api/v1/data/sys_user", `{"name":"x","email":"x@example.com"}`).StatusCode)
		assert.Equal(t, 405, e.Bearer(admin).Delete("/api/v1/data/sys_user/"+bobID).StatusCode)

		// An admin bans Bob: his sessions stop at once and he cannot sign in.
		p = e.Bearer(admin).Patch("/api/v1/data/sys_user/"+bobID, `{"banned":true,"ban_reason":"spam"}`)
		p.Status(t, 200)
		assert.Equal(t, 401, e.Bearer(bob).Get("/api/v1/data/note").StatusCode)
		s := e.signIn("bob@example.com", "bob password")
		assert.Equal(t, 403, s.StatusCode)
		assert.Equal(t, "BANNED_USER", s.Value("code"))
		assert.Equal(t, 401, e.signIn("bob@example.com", "wrong").StatusCode, "a ban is not revealed to a wrong password")
		p = e.Bearer(admin).Patch("/api/v1/data/sys_user/"+bobID, `{"banned":false}`)
		require.Equal(t, 200, p.StatusCode)
		assert.Equal(t, 200, e.signIn("bob@example.com", "bob password").StatusCode)
	})
}

func TestCredentialsOnDataRoutes(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{TrustedOrigins: []string{"https://app.example"}})
		token := e.signUp("Ada", "ada@example.com", "correct horse").Value("token").(string)
		cookie := []*http.Cookie{{Name: "better-auth.session_token", Value: token}}
		for _, tc := range []struct {
			name   string
			c      call
			status int
			code   string
		}{
			{"anonymous", call{method: "GET", path: "/api/v1/data/note"}, 401, "UNAUTHENTICATED"},
			{"garbage bearer", call{method: "GET", path: "/api/v1/data/note", header: bearer("garbage!")}, 401, "INVALID_TOKEN"},
			{"unknown bearer", call{method: "GET", path: "/api/v1/data/note", header: bearer(strings.Repeat("a", 43))}, 401, "INVALID_TOKEN"},
			{"unknown cookie", call{method: "GET", path: "/api/v1/data/note", cookies: []*http.Cookie{{Name: "better-auth.session_token", Value: strings.Repeat("b", 43)}}}, 401, "INVALID_TOKEN"},
			{"cookie write from a foreign origin", call{method: "POST", path: "/api/v1/data/note", body: `{"title":"csrf"}`, cookies: cookie,
				header: map[string]string{"Origin": "https://evil.example"}}, 403, "PERMISSION_DENIED"},
			{"cookie write from a trusted origin", call{method: "POST", path: "/api/v1/data/note", body: `{"title":"ok"}`, cookies: cookie,
				header: map[string]string{"Origin": "https://app.example"}}, 201, ""},
			{"cookie write from the same origin", call{method: "POST", path: "/api/v1/data/note", body: `{"title":"ok"}`, cookies: cookie,
				header: map[string]string{"Origin": "http://objectos.test"}}, 201, ""},
			{"bearer write from any origin", call{method: "POST", path: "/api/v1/data/note", body: `{"title":"ok"}`, header: map[string]string{
				"Authorization": "Bearer " + token, "Origin": "https://evil.example"}}, 201, ""},
			{"sign-in from a foreign origin", call{method: "POST", path: "/api/v1/auth/sign-in/email", body: `{"email":"ada@example.com","password":"correct horse"}`,
				header: map[string]string{"Origin": "https://evil.example"}}, 403, "INVALID_ORIGIN"},
			{"get-session without credentials", call{method: "GET", path: "/api/v1/auth/get-session"}, 200, ""},
			{"unknown auth route", call{method: "GET", path: "/api/v1/auth/nope"}, 404, "NOT_FOUND"},
			{"sign-in with GET", call{method: "GET", path: "/api/v1/auth/sign-in/email"}, 405, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do(tc.c)
				assert.Equal(t, tc.status, r.StatusCode, r.String())
				if tc.code != "" {
					assert.Equal(t, tc.code, r.Value("code"))
				}
			})
		}
		assert.Equal(t, "null\n", e.Client().Get("/api/v1/auth/get-session").String())
	})
}

func TestBootstrapAdminFromOptionsAndEnv(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		env := map[string]string{"OS_ADMIN_EMAIL": "Root@Example.com", "OS_ADMIN_PASSWORD": "root password", "OS_AUTH_SIGNUP_ENABLED": "false"}
		opts := auth.Options{}.WithEnv(func(k string) string { return env[k] })
		e := newEnv(t, st, opts)
		r := e.signIn("root@example.com", "root password")
		r.Status(t, 200)
		assert.Equal(t, "admin", r.Value("user.role"))
		assert.Equal(t, 403, e.signUp("X", "x@example.com", "password1").StatusCode, "the bootstrap admin is the owner")
		// Starting again does not duplicate or reset the admin.
		e2 := newEnv(t, st, auth.Options{AdminEmail: "root@example.com", AdminPassword: "other password"})
		assert.Equal(t, 200, e2.signIn("root@example.com", "root password").StatusCode)
	})
}

func TestDefaultArgon2Parameters(t *testing.T) {
	st := testenv.Open(t, testenv.SQLite)
	real := newEnvWithDefaultHasher(t, st)
	require.Equal(t, 200, real.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
	rows, err := st.Find(objectos.AsSystem(context.Background()), real.Stack.Object("sys_account"), &objectos.Select{Fields: []string{"password_hash"}})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.True(t, strings.HasPrefix(rows[0]["password_hash"].(string), "$argon2id$v=19$m=19456,t=2,p=1$"), rows[0]["password_hash"])
	assert.Equal(t, 200, real.signIn("ada@example.com", "correct horse").StatusCode)
}

func newEnvWithDefaultHasher(t *testing.T, st objectos.Store) *env {
	e := &env{t: t, hasher: &countingHasher{}}
	e.auth = auth.New(auth.Options{})
	e.Env = objectostest.New(t, noteArtifact(), objectostest.Options{Store: st,
		Plugins: []objectos.Plugin{e.auth}, Without: []string{"rest", "apikey", "security"},
		Configure: func(o *objectos.Options) { o.Security, o.RateLimits = objectos.AllowAll{}, objectos.RateLimits{} }})
	return e
}

// TestNewRefusesAuthWithoutSecurity: the auth plugin without a security
// plugin would let every signed-in user read and change every user, session
// and key (AllowAll): New refuses it unless Options.Security says so.
func TestNewRefusesAuthWithoutSecurity(t *testing.T) {
	st := testenv.Open(t, testenv.SQLite)
	_, err := objectos.New(context.Background(), objectos.Options{Artifact: noteArtifact(), Store: st,
		Plugins: []objectos.Plugin{rest.New(rest.Options{}), auth.New(auth.Options{})}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "security")
	_, err = objectos.New(context.Background(), objectos.Options{Artifact: noteArtifact(), Store: st,
		Plugins:  []objectos.Plugin{rest.New(rest.Options{}), auth.New(auth.Options{})},
		Security: objectos.AllowAll{}})
	assert.NoError(t, err, "an explicit AllowAll is a choice")
}
