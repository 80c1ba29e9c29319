package auth_test

import (
	"net/url"
	"strings"
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

// TestEmailVerification: with RequireEmailVerification, sign-up mails a
// link and starts no session, and sign-in is refused until the link is
// followed.
func TestEmailVerification(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		ms := newMailServer(t, false)
		e := newEnv(t, st, auth.Options{Mailer: ms.mailer(), BaseURL: objectostest.DefaultURL, SignUp: objectos.Ptr(true),
			RequireEmailVerification: true, TrustedOrigins: []string{"https://app.example.com"}}, roomyAuthRate)
		assert.Equal(t, true, e.Client().Get("/api/v1/auth/config").Value("emailPassword.requireEmailVerification"))

		r := e.Client().Post("/api/v1/auth/sign-up/email", map[string]any{"name": "Ada", "email": "ada@example.com",
			"password": "correct horse", "callbackURL": "https://app.example.com/welcome"})
		r.Status(t, 200)
		assert.Nil(t, r.Value("token"), "no session before the address is verified")
		assert.Equal(t, false, r.Value("user.emailVerified"))
		assert.Empty(t, r.Header.Get("set-auth-token"))
		assert.Nil(t, sessionCookie(r))
		e.Client().Post("/api/v1/auth/sign-up/email", map[string]any{"name": "Eve", "email": "eve@example.com",
			"password": "correct horse", "callbackURL": "https://evil.example/"}).Status(t, 403).Code(t, "INVALID_CALLBACK_URL")

		m := ms.next()
		assert.Equal(t, []string{"ada@example.com"}, m.To)
		assert.Equal(t, "Verify your email address", m.Header.Get("Subject"))
		link := m.link(t)
		u, err := url.Parse(link)
		require.NoError(t, err)
		assert.Equal(t, "/api/v1/auth/verify-email", u.Path)
		assert.Equal(t, "https://app.example.com/welcome", u.Query().Get("callbackURL"))
		assert.Len(t, u.Query().Get("token"), 43)

		e.signIn("ada@example.com", "correct horse").Status(t, 403).Code(t, "EMAIL_NOT_VERIFIED")
		e.signIn("ada@example.com", "wrong horse").Status(t, 401).Code(t, "INVALID_EMAIL_OR_PASSWORD")

		// Signed out, a request is answered alike for every address.
		send := func(token, email, callbackURL string) *objectostest.Response {
			return e.post("send-verification-email", token, map[string]any{"email": email, "callbackURL": callbackURL})
		}
		known := send("", "ada@example.com", "/welcome")
		known.Status(t, 200)
		unknown := send("", "nobody@example.com", "/welcome")
		assert.Equal(t, known.StatusCode, unknown.StatusCode)
		assert.Equal(t, known.String(), unknown.String())
		assert.JSONEq(t, `{"status":true}`, known.String())
		second := ms.next()
		assert.Equal(t, []string{"ada@example.com"}, second.To)
		send("", "ada@example.com", "https://evil.example/").Status(t, 403).Code(t, "INVALID_CALLBACK_URL")

		for _, tc := range []struct {
			name, path string
			status     int
			code, to   string
		}{
			{"a wrong token", "/api/v1/auth/verify-email?token=" + u.Query().Get("token")[1:] + "x", 401, "INVALID_TOKEN", ""},
			{"no token", "/api/v1/auth/verify-email", 401, "INVALID_TOKEN", ""},
			{"a wrong token and a callback", "/api/v1/auth/verify-email?token=nope&callbackURL=%2Fwelcome", 302, "", "/welcome?error=INVALID_TOKEN"},
			{"an untrusted callback", "/api/v1/auth/verify-email?token=" + u.Query().Get("token") + "&callbackURL=https%3A%2F%2Fevil.example%2F", 403, "INVALID_CALLBACK_URL", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.Client().Get(tc.path)
				assert.Equal(t, tc.status, r.StatusCode, r.String())
				if tc.code != "" {
					assert.Equal(t, tc.code, r.Value("code"))
				}
				assert.Equal(t, tc.to, r.Header.Get("Location"))
			})
		}
		e.signIn("ada@example.com", "correct horse").Status(t, 403)

		r = e.Client().Get(link)
		r.Status(t, 302)
		assert.Equal(t, "https://app.example.com/welcome", r.Header.Get("Location"))
		token := e.signedIn("ada@example.com", "correct horse")
		assert.Equal(t, true, e.Bearer(token).Get("/api/v1/auth/get-session").Value("user.emailVerified"))

		// A link works once, and verifying voids the user's other links.
		assert.Equal(t, "https://app.example.com/welcome?error=INVALID_TOKEN", e.Client().Get(link).Header.Get("Location"))
		assert.Equal(t, "/welcome?error=INVALID_TOKEN", e.Client().Get(second.link(t)).Header.Get("Location"))

		// Signed in, the request is about the caller's own address.
		send(token, "ada@example.com", "").Status(t, 400).Code(t, "EMAIL_ALREADY_VERIFIED")
		send(token, "other@example.com", "").Status(t, 400).Code(t, "EMAIL_MISMATCH")
		send("", "ada@example.com", "").Status(t, 200) // a verified address gets no message
		require.NoError(t, e.auth.Close())
		ms.none()
	})
}

func TestEmailVerificationExpiry(t *testing.T) {
	sent := &sentMail{}
	e := newEnv(t, testenv.Open(t, testenv.SQLite), auth.Options{Mailer: sent.mailer(), BaseURL: objectostest.DefaultURL,
		EmailVerification: auth.EmailVerification{SendOnSignUp: true}}, roomyAuthRate)
	r := e.signUp("Ada", "ada@example.com", "correct horse")
	r.Status(t, 200)
	assert.NotNil(t, r.Value("token"), "without RequireEmailVerification sign-up signs in")
	require.NoError(t, e.auth.Close())
	require.Len(t, sent.all(), 1)
	e.Clock.Advance(auth.DefaultVerificationTTL + time.Second)
	link := sent.all()[0].Link
	assert.Equal(t, "/?error=TOKEN_EXPIRED", e.Client().Get(link).Header.Get("Location"))
	e.Client().Get(strings.Replace(link, "callbackURL=%2F&", "", 1)).Status(t, 401).Code(t, "TOKEN_EXPIRED")
	e.signIn("ada@example.com", "correct horse").Status(t, 200)
}

// TestChangeEmail: the new address gets a link; the change happens when it
// is followed.
func TestChangeEmail(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		sent := &sentMail{}
		e := newEnv(t, st, auth.Options{Mailer: sent.mailer(), BaseURL: objectostest.DefaultURL, SignUp: objectos.Ptr(true)}, roomyAuthRate)
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		require.Equal(t, 200, e.signUp("Bob", "bob@example.com", "correct horse").StatusCode)
		ada := e.signedIn("ada@example.com", "correct horse")
		change := func(token string, body map[string]any) *objectostest.Response {
			return e.post("change-email", token, body)
		}

		for _, tc := range []struct {
			name, token string
			body        map[string]any
			status      int
			code        string
		}{
			{"no session", "", map[string]any{"newEmail": "ada@new.example"}, 401, "UNAUTHORIZED"},
			{"an invalid address", ada, map[string]any{"newEmail": "ada"}, 400, "INVALID_EMAIL"},
			{"the same address", ada, map[string]any{"newEmail": "ADA@example.com"}, 400, "EMAIL_IS_THE_SAME"},
			{"an untrusted callback", ada, map[string]any{"newEmail": "ada@new.example", "callbackURL": "https://evil.example/"}, 403, "INVALID_CALLBACK_URL"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := change(tc.token, tc.body)
				assert.Equal(t, tc.status, r.StatusCode, r.String())
				assert.Equal(t, tc.code, r.Value("code"))
			})
		}
		taken := change(ada, map[string]any{"newEmail": "bob@example.com"})
		taken.Status(t, 200)
		r := change(ada, map[string]any{"newEmail": "Ada@New.example", "callbackURL": "/profile"})
		r.Status(t, 200)
		assert.Equal(t, taken.String(), r.String(), "an address another user has is answered alike")
		require.NoError(t, e.auth.Close())
		msgs := sent.all()
		require.Len(t, msgs, 1, "no message to an address another user has")
		assert.Equal(t, "ada@new.example", msgs[0].To)
		assert.Equal(t, "Confirm your new email address", msgs[0].Subject)

		e.signIn("ada@example.com", "correct horse").Status(t, 200) // nothing changed yet
		r = e.Client().Get(msgs[0].Link)
		r.Status(t, 302)
		assert.Equal(t, "/profile", r.Header.Get("Location"))
		e.signIn("ada@example.com", "correct horse").Status(t, 401)
		token := e.signedIn("ada@new.example", "correct horse")
		s := e.Bearer(token).Get("/api/v1/auth/get-session")
		assert.Equal(t, "ada@new.example", s.Value("user.email"))
		assert.Equal(t, true, s.Value("user.emailVerified"))
		assert.True(t, e.works(ada), "the sessions live on")
		assert.Equal(t, "/profile?error=INVALID_TOKEN", e.Client().Get(msgs[0].Link).Header.Get("Location"))

		// A link to an address taken meanwhile changes nothing.
		change(token, map[string]any{"newEmail": "carol@example.com"}).Status(t, 200)
		require.NoError(t, e.auth.Close())
		require.Equal(t, 200, e.signUp("Carol", "carol@example.com", "correct horse").StatusCode)
		last := sent.all()[len(sent.all())-1]
		require.Equal(t, "carol@example.com", last.To)
		u, err := url.Parse(last.Link)
		require.NoError(t, err)
		q := u.Query()
		q.Del("callbackURL") // a JSON answer
		u.RawQuery = q.Encode()
		e.Client().Get(u.String()).Status(t, 422).Code(t, "USER_ALREADY_EXISTS")
		e.signIn("ada@new.example", "correct horse").Status(t, 200)
	})
}

func TestVerificationDisabled(t *testing.T) {
	e := newEnv(t, testenv.Open(t, testenv.SQLite), auth.Options{}, roomyAuthRate)
	require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
	e.post("send-verification-email", "", map[string]any{"email": "ada@example.com"}).Status(t, 400).Code(t, "VERIFICATION_EMAIL_NOT_ENABLED")
	e.post("change-email", e.signedIn("ada@example.com", "correct horse"), map[string]any{"newEmail": "ada@new.example"}).
		Status(t, 400).Code(t, "VERIFICATION_EMAIL_NOT_ENABLED")
}
