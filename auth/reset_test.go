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

const resetAnswer = `{"message":"If this email exists in our system, check your email for the reset link","status":true}`

// requestReset asks for a reset link.
func (e *env) requestReset(email, redirectTo string) *objectostest.Response {
	body := map[string]any{"email": email}
	if redirectTo != "" {
		body["redirectTo"] = redirectTo
	}
	return e.post("request-password-reset", "", body)
}

// tokenOf is the token of a reset link.
func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	require.NoError(t, err)
	token, ok := strings.CutPrefix(u.Path, "/api/v1/auth/reset-password/")
	require.True(t, ok, link)
	return token
}

// TestPasswordReset goes through a reset as a user would, with the link
// read from the message a real SMTP server received.
func TestPasswordReset(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		ms := newMailServer(t, false)
		e := newEnv(t, st, auth.Options{Mailer: ms.mailer(), BaseURL: objectostest.DefaultURL,
			TrustedOrigins: []string{"https://app.example.com"}}, roomyAuthRate)
		require.Equal(t, 200, e.signUp("Ada <Lovelace>", "ada@example.com", "correct horse").StatusCode)
		first := e.signedIn("ada@example.com", "correct horse")
		second := e.signedIn("ada@example.com", "correct horse")

		// The answer is the same, byte for byte, for an unknown address.
		known := e.requestReset("ADA@example.com", "https://app.example.com/reset")
		known.Status(t, 200)
		assert.JSONEq(t, resetAnswer, known.String())
		unknown := e.requestReset("nobody@example.com", "https://app.example.com/reset")
		assert.Equal(t, known.StatusCode, unknown.StatusCode)
		assert.Equal(t, known.String(), unknown.String())

		m := ms.next()
		assert.Equal(t, []string{"ada@example.com"}, m.To)
		assert.Equal(t, "Reset your password", m.Header.Get("Subject"))
		link := m.link(t)
		assert.True(t, strings.HasPrefix(link, "http://objectos.test/api/v1/auth/reset-password/"), link)
		assert.Contains(t, link, "callbackURL="+url.QueryEscape("https://app.example.com/reset"))
		assert.Contains(t, m.Text, "Hello Ada <Lovelace>,")
		assert.Contains(t, m.HTML, "Hello Ada &lt;Lovelace&gt;,", "the HTML template escapes values")
		assert.NotContains(t, m.HTML, "<Lovelace>")
		token := tokenOf(t, link)
		require.Len(t, token, 43)

		// The link sends the browser on to the application with the token,
		// and does not use it up.
		for range 2 {
			r := e.Client().Get(link)
			r.Status(t, 302)
			assert.Equal(t, "https://app.example.com/reset?token="+token, r.Header.Get("Location"))
		}
		for _, tc := range []struct {
			name, path   string
			status       int
			code, target string
		}{
			{"an unknown token", "/api/v1/auth/reset-password/" + strings.Repeat("A", 43) + "?callbackURL=%2Freset", 302, "", "/reset?error=INVALID_TOKEN"},
			{"a malformed token", "/api/v1/auth/reset-password/x.y?callbackURL=%2Freset", 302, "", "/reset?error=INVALID_TOKEN"},
			{"an untrusted callbackURL", "/api/v1/auth/reset-password/" + token + "?callbackURL=https%3A%2F%2Fevil.example%2F", 403, "INVALID_CALLBACK_URL", ""},
			{"a protocol-relative callbackURL", "/api/v1/auth/reset-password/" + token + "?callbackURL=%2F%2Fevil.example%2F", 403, "INVALID_CALLBACK_URL", ""},
			{"no callbackURL", "/api/v1/auth/reset-password/" + token, 400, "VALIDATION_ERROR", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.Client().Get(tc.path)
				assert.Equal(t, tc.status, r.StatusCode, r.String())
				if tc.code != "" {
					assert.Equal(t, tc.code, r.Value("code"))
				}
				assert.Equal(t, tc.target, r.Header.Get("Location"))
			})
		}

		for _, tc := range []struct {
			name   string
			body   map[string]any
			status int
			code   string
		}{
			{"no token", map[string]any{"newPassword": "battery staple"}, 400, "INVALID_TOKEN"},
			{"a wrong token", map[string]any{"newPassword": "battery staple", "token": strings.Repeat("B", 43)}, 400, "INVALID_TOKEN"},
			{"a token not a string", map[string]any{"newPassword": "battery staple", "token": 42}, 400, "VALIDATION_ERROR"},
			{"no new password", map[string]any{"token": token}, 400, "VALIDATION_ERROR"},
			{"a short password", map[string]any{"newPassword": "short", "token": token}, 400, "PASSWORD_TOO_SHORT"},
			{"a long password", map[string]any{"newPassword": strings.Repeat("p", 129), "token": token}, 400, "PASSWORD_TOO_LONG"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.post("reset-password", "", tc.body)
				assert.Equal(t, tc.status, r.StatusCode, r.String())
				assert.Equal(t, tc.code, r.Value("code"))
			})
		}
		assert.True(t, e.works(first), "a refused reset revokes nothing")

		r := e.post("reset-password", "", map[string]any{"newPassword": "battery staple", "token": token})
		r.Status(t, 200)
		assert.JSONEq(t, `{"status":true}`, r.String())
		assert.False(t, e.works(first), "the reset revokes every session")
		assert.False(t, e.works(second), "the reset revokes every session")
		assert.Equal(t, 401, e.signIn("ada@example.com", "correct horse").StatusCode)
		assert.Equal(t, 200, e.signIn("ada@example.com", "battery staple").StatusCode)

		// A token works once.
		e.post("reset-password", "", map[string]any{"newPassword": "third password", "token": token}).Status(t, 400).Code(t, "INVALID_TOKEN")
		r = e.Client().Get(link)
		assert.Equal(t, "https://app.example.com/reset?error=INVALID_TOKEN", r.Header.Get("Location"))

		// Only the known address got a message.
		require.NoError(t, e.auth.Close())
		ms.none()
	})
}

func TestPasswordResetRequestChecks(t *testing.T) {
	sent := &sentMail{}
	e := newEnv(t, testenv.Open(t, testenv.SQLite), auth.Options{Mailer: sent.mailer(), BaseURL: objectostest.DefaultURL}, roomyAuthRate)
	require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
	for _, tc := range []struct {
		name   string
		body   map[string]any
		origin string
		status int
		code   string
	}{
		{"an invalid email", map[string]any{"email": "ada"}, "", 400, "INVALID_EMAIL"},
		{"no email", map[string]any{}, "", 400, "INVALID_EMAIL"},
		{"an untrusted redirectTo", map[string]any{"email": "ada@example.com", "redirectTo": "https://evil.example/reset"}, "", 403, "INVALID_REDIRECT_URL"},
		{"a redirectTo with a backslash", map[string]any{"email": "ada@example.com", "redirectTo": "/\\evil.example"}, "", 403, "INVALID_REDIRECT_URL"},
		{"a redirectTo not a string", map[string]any{"email": "ada@example.com", "redirectTo": 1}, "", 400, "VALIDATION_ERROR"},
		{"a foreign origin", map[string]any{"email": "ada@example.com"}, "https://evil.example", 403, "INVALID_ORIGIN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.Client()
			if tc.origin != "" {
				c = c.With("Origin", tc.origin)
			}
			r := c.Post("/api/v1/auth/request-password-reset", tc.body)
			assert.Equal(t, tc.status, r.StatusCode, r.String())
			assert.Equal(t, tc.code, r.Value("code"))
		})
	}
	require.NoError(t, e.auth.Close())
	assert.Empty(t, sent.all(), "a refused request sends nothing")
}

// TestPasswordResetTokens: links expire, and a reset leaves no older link
// of the user working.
func TestPasswordResetTokens(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		sent := &sentMail{}
		e := newEnv(t, st, auth.Options{Mailer: sent.mailer(), BaseURL: objectostest.DefaultURL}, roomyAuthRate)
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		tokens := func() []string {
			require.NoError(t, e.auth.Close()) // waits for the messages
			var out []string
			for _, m := range sent.all() {
				out = append(out, tokenOf(t, m.Link))
			}
			return out
		}

		e.requestReset("ada@example.com", "/reset").Status(t, 200)
		e.Clock.Advance(auth.DefaultResetPasswordTTL + time.Second)
		expired := tokens()[0]
		assert.Equal(t, "/reset?error=INVALID_TOKEN", e.Client().Get("/api/v1/auth/reset-password/"+expired+"?callbackURL=%2Freset").Header.Get("Location"))
		e.post("reset-password", "", map[string]any{"newPassword": "battery staple", "token": expired}).Status(t, 400).Code(t, "INVALID_TOKEN")

		e.requestReset("ada@example.com", "/reset").Status(t, 200)
		e.requestReset("ada@example.com", "/reset").Status(t, 200)
		all := tokens()
		require.Len(t, all, 3)
		e.Clock.Advance(auth.DefaultResetPasswordTTL - time.Minute)
		e.post("reset-password", "", map[string]any{"newPassword": "battery staple", "token": all[2]}).Status(t, 200)
		e.post("reset-password", "", map[string]any{"newPassword": "third password", "token": all[1]}).Status(t, 400).Code(t, "INVALID_TOKEN")
		assert.Equal(t, 200, e.signIn("ada@example.com", "battery staple").StatusCode)
	})
}

// TestPasswordResetLiftsLockout: the owner of a locked account gets back in
// by a reset.
func TestPasswordResetLiftsLockout(t *testing.T) {
	sent := &sentMail{}
	e := newEnv(t, testenv.Open(t, testenv.SQLite), auth.Options{Mailer: sent.mailer(), BaseURL: objectostest.DefaultURL}, roomyAuthRate)
	require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
	for range auth.DefaultLockoutThreshold {
		e.signIn("ada@example.com", "wrong horse")
	}
	e.signIn("ada@example.com", "correct horse").Status(t, 403).Code(t, "ACCOUNT_LOCKED")
	e.requestReset("ada@example.com", "").Status(t, 200)
	require.NoError(t, e.auth.Close())
	require.Len(t, sent.all(), 1)
	e.post("reset-password", "", map[string]any{"newPassword": "battery staple", "token": tokenOf(t, sent.all()[0].Link)}).Status(t, 200)
	e.signIn("ada@example.com", "battery staple").Status(t, 200)
}

func TestPasswordResetDisabled(t *testing.T) {
	e := newEnv(t, testenv.Open(t, testenv.SQLite), auth.Options{}, roomyAuthRate)
	e.requestReset("ada@example.com", "").Status(t, 400).Code(t, "RESET_PASSWORD_DISABLED")
}

// TestPasswordResetAPIKeys: a reset revokes the user's API keys only with
// ResetRevokesAPIKeys; their sessions always.
func TestPasswordResetAPIKeys(t *testing.T) {
	for _, revoke := range []bool{false, true} {
		t.Run(map[bool]string{false: "kept", true: "revoked"}[revoke], func(t *testing.T) {
			sent := &sentMail{}
			env := objectostest.New(t, noteArtifact(), objectostest.Options{
				Plugins: []objectos.Plugin{auth.New(auth.Options{Mailer: sent.mailer(), BaseURL: objectostest.DefaultURL,
					ResetRevokesAPIKeys: revoke, Hasher: objectostest.FastHasher()})},
			})
			ada := env.Admin(t, "Ada")
			key := ada.APIKey(t)
			key.Get("/api/v1/data/note").Status(t, 200)
			env.Client().Post("/api/v1/auth/request-password-reset", map[string]any{"email": ada.Email}).Status(t, 200)
			require.NoError(t, env.Auth().Close())
			require.Len(t, sent.all(), 1)
			env.Client().Post("/api/v1/auth/reset-password", map[string]any{"newPassword": "battery staple",
				"token": tokenOf(t, sent.all()[0].Link)}).Status(t, 200)
			assert.Equal(t, 401, ada.Get("/api/v1/data/note").StatusCode, "the session is revoked")
			want := 200
			if revoke {
				want = 401
			}
			assert.Equal(t, want, key.Get("/api/v1/data/note").StatusCode)
		})
	}
}
