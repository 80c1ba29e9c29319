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
	"github.com/objectos-go/objectos/store"
)

func (e *env) post(path, token string, body any) *result {
	e.t.Helper()
	var h map[string]string
	if token != "" {
		h = bearer(token)
	}
	return e.do(call{method: "POST", path: "/api/v1/auth/" + path, body: mustJSON(body), header: h})
}

// works reports whether a token still opens the data API.
func (e *env) works(token string) bool {
	e.t.Helper()
	return e.do(call{method: "GET", path: "/api/v1/data/note", header: bearer(token)}).Code == 200
}

func TestChangePassword(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{}, roomyAuthRate)
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").Code)
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
				assert.Equal(t, tc.status, r.Code, r.Body.String())
				assert.Equal(t, tc.code, r.obj()["code"])
				assert.True(t, e.works(other), "a refused change revokes nothing")
			})
		}
		assert.Equal(t, 200, e.signIn("ada@example.com", "correct horse").Code, "the password is unchanged")

		r := e.post("change-password", current, map[string]any{"currentPassword": "correct horse", "newPassword": "battery staple"})
		require.Equal(t, 200, r.Code, r.Body.String())
		assert.Nil(t, r.obj()["token"])
		assert.Equal(t, "ada@example.com", r.obj()["user"].(map[string]any)["email"])
		assert.True(t, e.works(current), "the session that changed the password lives on")
		assert.False(t, e.works(other), "every other session is revoked")
		assert.Equal(t, 401, e.signIn("ada@example.com", "correct horse").Code)
		current = e.signedIn("ada@example.com", "battery staple")

		// revokeOtherSessions replaces the current session as well.
		r = e.post("change-password", current, map[string]any{"currentPassword": "battery staple", "newPassword": "third password", "revokeOtherSessions": true})
		require.Equal(t, 200, r.Code, r.Body.String())
		fresh, _ := r.obj()["token"].(string)
		require.Len(t, fresh, 43)
		assert.Equal(t, fresh, sessionCookie(r).Value)
		assert.Equal(t, fresh, r.Header().Get("set-auth-token"))
		assert.False(t, e.works(current))
		assert.True(t, e.works(fresh))
	})
}

// A stolen session cannot be used to guess the password: failures count
// towards the sign-in lockout.
func TestChangePasswordLockout(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{})
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").Code)
		token := e.signedIn("ada@example.com", "correct horse")
		for i := 0; i < 5; i++ {
			assert.Equal(t, 400, e.post("change-password", token, map[string]any{"currentPassword": "guess", "newPassword": "battery staple"}).Code)
		}
		r := e.post("change-password", token, map[string]any{"currentPassword": "correct horse", "newPassword": "battery staple"})
		assert.Equal(t, 403, r.Code)
		assert.Equal(t, "ACCOUNT_LOCKED", r.obj()["code"])
		assert.Equal(t, 403, e.signIn("ada@example.com", "correct horse").Code, "sign-in is locked too")
		e.clock.Advance(15 * time.Minute)
		assert.Equal(t, 200, e.post("change-password", token, map[string]any{"currentPassword": "correct horse", "newPassword": "battery staple"}).Code)
	})
}

func TestSessionManagement(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{SignUp: new(true)})
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").Code)
		require.Equal(t, 200, e.signUp("Bob", "bob@example.com", "correct horse").Code)
		bob := e.signedIn("bob@example.com", "correct horse")
		tokens := []string{e.signedIn("ada@example.com", "correct horse")}
		e.clock.Advance(time.Second)
		tokens = append(tokens, e.signedIn("ada@example.com", "correct horse"))
		e.clock.Advance(time.Second)
		tokens = append(tokens, e.signedIn("ada@example.com", "correct horse"))
		me := tokens[2]

		assert.Equal(t, 401, e.do(call{method: "GET", path: "/api/v1/auth/list-sessions"}).Code)
		list := func(token string) []any {
			r := e.do(call{method: "GET", path: "/api/v1/auth/list-sessions", header: bearer(token)})
			require.Equal(t, 200, r.Code, r.Body.String())
			out, _ := r.body.([]any)
			return out
		}
		sessions := list(me)
		// the sign-up session plus three sign-ins, newest first, no secrets
		require.Len(t, sessions, 4)
		newest := sessions[0].(map[string]any)
		assert.ElementsMatch(t, []string{"id", "userId", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent"}, keysOf(newest))
		current := e.do(call{method: "GET", path: "/api/v1/auth/get-session", header: bearer(me)}).obj()["session"].(map[string]any)
		assert.Equal(t, current["id"], newest["id"])
		assert.NotContains(t, list(me)[3].(map[string]any), "token")

		// revoke-session by token and by id; a foreign session is left alone
		assert.Equal(t, map[string]any{"status": true}, e.post("revoke-session", me, map[string]any{"token": tokens[0]}).body)
		assert.False(t, e.works(tokens[0]))
		bobSession := list(bob)[0].(map[string]any)["id"]
		assert.Equal(t, 200, e.post("revoke-session", me, map[string]any{"token": bobSession}).Code)
		assert.True(t, e.works(bob), "another user's session cannot be revoked")
		assert.Equal(t, 200, e.post("revoke-session", me, map[string]any{"token": bob}).Code)
		assert.True(t, e.works(bob))
		assert.Equal(t, 400, e.post("revoke-session", me, map[string]any{}).Code)
		byID := list(me)[1].(map[string]any)["id"]
		assert.Equal(t, 200, e.post("revoke-session", me, map[string]any{"token": byID}).Code)
		assert.False(t, e.works(tokens[1]))
		assert.Len(t, list(me), 2)

		// revoke-other-sessions keeps the caller's
		e.signedIn("ada@example.com", "correct horse")
		assert.Equal(t, 200, e.post("revoke-other-sessions", me, map[string]any{}).Code)
		assert.Len(t, list(me), 1)
		assert.True(t, e.works(me))

		// revoke-session on the current session clears the cookie
		again := e.signedIn("ada@example.com", "correct horse")
		r := e.post("revoke-session", again, map[string]any{"token": again})
		assert.Equal(t, -1, sessionCookie(r).MaxAge)
		assert.False(t, e.works(again))

		// revoke-sessions ends them all, the caller's included
		r = e.post("revoke-sessions", me, map[string]any{})
		assert.Equal(t, map[string]any{"status": true}, r.body)
		assert.Equal(t, -1, sessionCookie(r).MaxAge)
		assert.False(t, e.works(me))
		assert.True(t, e.works(bob))

		// cookie-authenticated POSTs from a foreign origin are refused
		c := sessionCookie(e.signIn("ada@example.com", "correct horse"))
		r = e.do(call{method: "POST", path: "/api/v1/auth/revoke-sessions", body: "{}", cookies: []*http.Cookie{c},
			header: map[string]string{"Origin": "https://evil.example"}})
		assert.Equal(t, 403, r.Code)
		assert.Equal(t, "INVALID_ORIGIN", r.obj()["code"])
	})
}

func TestUpdateUser(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{SignUp: new(true)})
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").Code)
		require.Equal(t, 200, e.signUp("Bob", "bob@example.com", "correct horse").Code)
		bob := e.signedIn("bob@example.com", "correct horse")
		user := func() map[string]any {
			return e.do(call{method: "GET", path: "/api/v1/auth/get-session", header: bearer(bob)}).obj()["user"].(map[string]any)
		}

		r := e.post("update-user", bob, map[string]any{strings.Repeat("k", 60<<10): 1})
		assert.Equal(t, 400, r.Code)
		assert.Less(t, r.Body.Len(), 1024, "an unknown key is not echoed whole")
		r = e.post("update-user", bob, map[string]any{"name": "Robert", "image": "https://img.example/bob.png"})
		require.Equal(t, 200, r.Code, r.Body.String())
		assert.Equal(t, map[string]any{"status": true}, r.body)
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
				assert.Equal(t, tc.status, r.Code, r.Body.String())
				assert.Equal(t, tc.code, r.obj()["code"])
				u := user()
				assert.Equal(t, "Robert", u["name"], "nothing changed")
				assert.Nil(t, u["role"])
			})
		}
		assert.Equal(t, 401, e.post("update-user", "", map[string]any{"name": "x"}).Code)
	})
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
