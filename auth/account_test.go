package auth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

// post sends body, as JSON, to an auth route, with token as the bearer
// token unless it is "".
func (e *env) post(path, token string, body any) *objectostest.Response {
	c := e.Client()
	if token != "" {
		c = e.Bearer(token)
	}
	return c.Post("/api/v1/auth/"+path, mustJSON(body))
}

// works reports whether a token still opens the data API.
func (e *env) works(token string) bool {
	return e.Bearer(token).Get("/api/v1/data/note").StatusCode == 200
}

func TestChangePassword(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{}, roomyAuthRate)
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		current := e.signedIn("ada@example.com", "correct horse")
		other := e.signedIn("ada@example.com", "correct horse")

		forged := "x" + current[1:]
		if current[0] == 'x' { // one token in 64 starts so
			forged = "y" + current[1:]
		}
		for _, tc := range []struct {
			name   string
			token  string
			body   map[string]any
			status int
			code   string
		}{
			{"no session", "", map[string]any{"currentPassword": "correct horse", "newPassword": "battery staple"}, 401, "UNAUTHORIZED"},
			{"revoked-looking token", forged, map[string]any{"currentPassword": "correct horse", "newPassword": "battery staple"}, 401, "UNAUTHORIZED"},
			{"missing current password", current, map[string]any{"newPassword": "battery staple"}, 400, "VALIDATION_ERROR"},
			{"new password not a string", current, map[string]any{"currentPassword": "correct horse", "newPassword": 12345678}, 400, "VALIDATION_ERROR"},
			{"new password too short", current, map[string]any{"currentPassword": "correct horse", "newPassword": "short"}, 400, "PASSWORD_TOO_SHORT"},
			{"wrong current password", current, map[string]any{"currentPassword": "wrong horse", "newPassword": "battery staple"}, 400, "INVALID_PASSWORD"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.post("change-password", tc.token, tc.body)
				assert.Equal(t, tc.status, r.StatusCode, r.String())
				assert.Equal(t, tc.code, r.Value("code"))
				assert.True(t, e.works(other), "a refused change revokes nothing")
			})
		}
		assert.Equal(t, 200, e.signIn("ada@example.com", "correct horse").StatusCode, "the password is unchanged")

		r := e.post("change-password", current, map[string]any{"currentPassword": "correct horse", "newPassword": "battery staple"})
		r.Status(t, 200)
		assert.Nil(t, r.Value("token"))
		assert.Equal(t, "ada@example.com", r.Value("user.email"))
		assert.True(t, e.works(current), "the session that changed the password lives on")
		assert.False(t, e.works(other), "every other session is revoked")
		assert.Equal(t, 401, e.signIn("ada@example.com", "correct horse").StatusCode)
		current = e.signedIn("ada@example.com", "battery staple")

		// revokeOtherSessions replaces the current session as well.
		r = e.post("change-password", current, map[string]any{"currentPassword": "battery staple", "newPassword": "third password", "revokeOtherSessions": true})
		r.Status(t, 200)
		fresh, _ := r.Value("token").(string)
		require.Len(t, fresh, 43)
		assert.Equal(t, fresh, sessionCookie(r).Value)
		assert.Equal(t, fresh, r.Header.Get("set-auth-token"))
		assert.False(t, e.works(current))
		assert.True(t, e.works(fresh))
	})
}

// A stolen session cannot be used to guess the password: failures count
// towards the sign-in lockout.
func TestChangePasswordLockout(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{})
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		token := e.signedIn("ada@example.com", "correct horse")
		for i := 0; i < 5; i++ {
			assert.Equal(t, 400, e.post("change-password", token, map[string]any{"currentPassword": "guess", "newPassword": "battery staple"}).StatusCode)
		}
		r := e.post("change-password", token, map[string]any{"currentPassword": "correct horse", "newPassword": "battery staple"})
		assert.Equal(t, 403, r.StatusCode)
		assert.Equal(t, "ACCOUNT_LOCKED", r.Value("code"))
		assert.Equal(t, 403, e.signIn("ada@example.com", "correct horse").StatusCode, "sign-in is locked too")
		e.Clock.Advance(15 * time.Minute)
		assert.Equal(t, 200, e.post("change-password", token, map[string]any{"currentPassword": "correct horse", "newPassword": "battery staple"}).StatusCode)
	})
}

func TestSessionManagement(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{SignUp: new(true)})
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		require.Equal(t, 200, e.signUp("Bob", "bob@example.com", "correct horse").StatusCode)
		bob := e.signedIn("bob@example.com", "correct horse")
		tokens := []string{e.signedIn("ada@example.com", "correct horse")}
		e.Clock.Advance(time.Second)
		tokens = append(tokens, e.signedIn("ada@example.com", "correct horse"))
		e.Clock.Advance(time.Second)
		tokens = append(tokens, e.signedIn("ada@example.com", "correct horse"))
		me := tokens[2]

		assert.Equal(t, 401, e.Client().Get("/api/v1/auth/list-sessions").StatusCode)
		list := func(token string) []any {
			r := e.Bearer(token).Get("/api/v1/auth/list-sessions")
			r.Status(t, 200)
			out, _ := r.JSON().([]any)
			return out
		}
		sessions := list(me)
		// the sign-up session plus three sign-ins, newest first, no secrets
		require.Len(t, sessions, 4)
		newest := sessions[0].(map[string]any)
		assert.ElementsMatch(t, []string{"id", "userId", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent"}, keysOf(newest))
		current := e.Bearer(me).Get("/api/v1/auth/get-session").Value("session").(map[string]any)
		assert.Equal(t, current["id"], newest["id"])
		assert.NotContains(t, list(me)[3].(map[string]any), "token")

		// revoke-session by token and by id; a foreign session is left alone
		assert.Equal(t, map[string]any{"status": true}, e.post("revoke-session", me, map[string]any{"token": tokens[0]}).JSON())
		assert.False(t, e.works(tokens[0]))
		bobSession := list(bob)[0].(map[string]any)["id"]
		assert.Equal(t, 200, e.post("revoke-session", me, map[string]any{"token": bobSession}).StatusCode)
		assert.True(t, e.works(bob), "another user's session cannot be revoked")
		assert.Equal(t, 200, e.post("revoke-session", me, map[string]any{"token": bob}).StatusCode)
		assert.True(t, e.works(bob))
		assert.Equal(t, 400, e.post("revoke-session", me, map[string]any{}).StatusCode)
		byID := list(me)[1].(map[string]any)["id"]
		assert.Equal(t, 200, e.post("revoke-session", me, map[string]any{"token": byID}).StatusCode)
		assert.False(t, e.works(tokens[1]))
		assert.Len(t, list(me), 2)

		// revoke-other-sessions keeps the caller's
		e.signedIn("ada@example.com", "correct horse")
		assert.Equal(t, 200, e.post("revoke-other-sessions", me, map[string]any{}).StatusCode)
		assert.Len(t, list(me), 1)
		assert.True(t, e.works(me))

		// revoke-session on the current session clears the cookie
		again := e.signedIn("ada@example.com", "correct horse")
		r := e.post("revoke-session", again, map[string]any{"token": again})
		assert.Equal(t, -1, sessionCookie(r).MaxAge)
		assert.False(t, e.works(again))

		// revoke-sessions ends them all, the caller's included
		r = e.post("revoke-sessions", me, map[string]any{})
		assert.Equal(t, map[string]any{"status": true}, r.JSON())
		assert.Equal(t, -1, sessionCookie(r).MaxAge)
		assert.False(t, e.works(me))
		assert.True(t, e.works(bob))

		// cookie-authenticated POSTs from a foreign origin are refused
		c := sessionCookie(e.signIn("ada@example.com", "correct horse"))
		r = e.do(call{method: "POST", path: "/api/v1/auth/revoke-sessions", body: "{}", cookies: []*http.Cookie{c},
			header: map[string]string{"Origin": "https://evil.example"}})
		assert.Equal(t, 403, r.StatusCode)
		assert.Equal(t, "INVALID_ORIGIN", r.Value("code"))
	})
}

func TestUpdateUser(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{SignUp: new(true)})
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		require.Equal(t, 200, e.signUp("Bob", "bob@example.com", "correct horse").StatusCode)
		bob := e.signedIn("bob@example.com", "correct horse")
		user := func() map[string]any {
			return e.Bearer(bob).Get("/api/v1/auth/get-session").Value("user").(map[string]any)
		}

		r := e.post("update-user", bob, map[string]any{strings.Repeat("k", 60<<10): 1})
		assert.Equal(t, 400, r.StatusCode)
		assert.Less(t, len(r.Body), 1024, "an unknown key is not echoed whole")
		r = e.post("update-user", bob, map[string]any{"name": "Robert", "image": "https://img.example/bob.png"})
		r.Status(t, 200)
		assert.Equal(t, map[string]any{"status": true}, r.JSON())
		assert.Equal(t, "Robert", user()["name"])
		assert.Equal(t, "https://img.example/bob.png", user()["image"])

		for _, tc := range []struct {
			name   string
			body   map[string]any
			status int
			code   string
		}{
			{"email", map[string]any{"email": "bob2@example.com"}, 400, "EMAIL_CAN_NOT_BE_UPDATED"},
			{"role", map[string]any{"name": "Boss", "role": "admin"}, 400, "FIELD_NOT_ALLOWED"},
			{"permission sets", map[string]any{"permission_sets": []string{"x"}}, 400, "FIELD_NOT_ALLOWED"},
			{"nothing", map[string]any{}, 400, "NO_FIELDS_TO_UPDATE"},
			{"empty name", map[string]any{"name": ""}, 400, "VALIDATION_ERROR"},
			{"bad image", map[string]any{"image": "not a url"}, 400, "VALIDATION_ERROR"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.post("update-user", bob, tc.body)
				assert.Equal(t, tc.status, r.StatusCode, r.String())
				assert.Equal(t, tc.code, r.Value("code"))
				u := user()
				assert.Equal(t, "Robert", u["name"], "nothing changed")
				assert.Nil(t, u["role"])
			})
		}
		assert.Equal(t, 401, e.post("update-user", "", map[string]any{"name": "x"}).StatusCode)
	})
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
