package auth_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/apikey"
	"github.com/objectos-go/objectos/audit"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/security"
	"github.com/objectos-go/objectos/store"
)

// adminEnv is a stack with an administrator (Ada, the first user) and two
// ordinary users, Bob and Carol, none of them signed in. It returns Ada's
// bearer token and the users' ids.
func adminEnv(t *testing.T, st *store.Store, mod ...func(*objectos.Options)) (e *env, admin string, ids map[string]string) {
	t.Helper()
	e = newEnv(t, st, auth.Options{SignUp: new(true)}, append([]func(*objectos.Options){roomyAuthRate}, mod...)...)
	ids = map[string]string{}
	for _, name := range []string{"Ada", "Bob", "Carol"} {
		r := e.signUp(name, strings.ToLower(name)+"@example.com", "correct horse")
		r.Status(t, 200)
		ids[name] = r.Value("user.id").(string)
		// the sign-up session is ended, so each test starts with none
		require.Equal(t, 200, e.post("sign-out", r.Value("token").(string), map[string]any{}).StatusCode)
	}
	return e, e.signedIn("ada@example.com", "correct horse"), ids
}

// session returns get-session's body for a bearer token: nil when the
// token opens no session.
func (e *env) session(token string) map[string]any {
	e.t.Helper()
	r := e.Bearer(token).Get("/api/v1/auth/get-session")
	require.Equal(e.t, 200, r.StatusCode, r.String())
	return r.Map()
}

// userSessions lists a user's sessions through the admin route.
func (e *env) userSessions(admin, userID string) []any {
	e.t.Helper()
	r := e.post("admin/list-user-sessions", admin, map[string]any{"userId": userID})
	require.Equal(e.t, 200, r.StatusCode, r.String())
	require.ElementsMatch(e.t, []string{"sessions"}, keysOf(r.Map()))
	out, ok := r.Value("sessions").([]any)
	require.True(e.t, ok, r.String())
	return out
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestAdminUserSessions(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e, admin, ids := adminEnv(t, st)
		assert.Empty(t, e.userSessions(admin, ids["Bob"]))

		first := e.signedIn("bob@example.com", "correct horse")
		e.Clock.Advance(time.Second)
		second := e.signedIn("bob@example.com", "correct horse")
		carol := e.signedIn("carol@example.com", "correct horse")

		r := e.post("admin/list-user-sessions", admin, map[string]any{"userId": ids["Bob"]})
		r.Status(t, 200)
		for _, secret := range []string{first, second, sha256Hex(first), sha256Hex(second), "token", "hash"} {
			assert.NotContains(t, strings.ToLower(r.String()), strings.ToLower(secret), "no token or hash in the answer")
		}
		sessions := e.userSessions(admin, ids["Bob"])
		require.Len(t, sessions, 2, "two sign-ins, two sessions; none of another user")
		newest, oldest := sessions[0].(map[string]any), sessions[1].(map[string]any)
		assert.ElementsMatch(t, []string{"id", "userId", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent"}, keysOf(newest))
		assert.Equal(t, e.session(second)["session"].(map[string]any)["id"], newest["id"], "newest first")
		assert.Equal(t, e.session(first)["session"].(map[string]any)["id"], oldest["id"])
		assert.Equal(t, ids["Bob"], newest["userId"])

		// revoke one by id: that session ends, the other lives on
		r = e.post("admin/revoke-user-session", admin, map[string]any{"sessionToken": oldest["id"]})
		r.Status(t, 200)
		assert.Equal(t, map[string]any{"success": true}, r.JSON())
		assert.Nil(t, e.session(first), "get-session answers null for the revoked session")
		assert.False(t, e.works(first))
		assert.True(t, e.works(second))
		assert.Len(t, e.userSessions(admin, ids["Bob"]), 1)

		// and one by its token
		third := e.signedIn("bob@example.com", "correct horse")
		r = e.post("admin/revoke-user-session", admin, map[string]any{"sessionToken": third})
		assert.Equal(t, map[string]any{"success": true}, r.JSON())
		assert.False(t, e.works(third))
		assert.True(t, e.works(second))

		// an unknown or revoked session is answered alike, as better-auth does
		for _, ref := range []string{"no-such-session", oldest["id"].(string), strings.Repeat("A", 43)} {
			r = e.post("admin/revoke-user-session", admin, map[string]any{"sessionToken": ref})
			assert.Equal(t, map[string]any{"success": true}, r.JSON())
		}

		// revoke all of Bob's: Carol and the administrator are untouched
		e.signedIn("bob@example.com", "correct horse")
		r = e.post("admin/revoke-user-sessions", admin, map[string]any{"userId": ids["Bob"]})
		r.Status(t, 200)
		assert.Equal(t, map[string]any{"success": true}, r.JSON())
		assert.False(t, e.works(second))
		assert.Empty(t, e.userSessions(admin, ids["Bob"]))
		assert.True(t, e.works(carol))
		assert.True(t, e.works(admin))

		// expired sessions are not listed
		e.signedIn("carol@example.com", "correct horse")
		assert.Len(t, e.userSessions(admin, ids["Carol"]), 2)
		e.Clock.Advance(auth.DefaultSessionTTL + time.Minute)
		admin = e.signedIn("ada@example.com", "correct horse")
		assert.Empty(t, e.userSessions(admin, ids["Carol"]))
	})
}

func TestAdminBanUser(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e, admin, ids := adminEnv(t, st)
		bob := e.signedIn("bob@example.com", "correct horse")
		carol := e.signedIn("carol@example.com", "correct horse")
		userKeys := keysOf(e.session(bob)["user"].(map[string]any))

		r := e.post("admin/ban-user", admin, map[string]any{"userId": ids["Bob"], "banReason": "spam"})
		r.Status(t, 200)
		require.ElementsMatch(t, []string{"user"}, keysOf(r.Map()))
		user := r.Value("user").(map[string]any)
		assert.ElementsMatch(t, userKeys, keysOf(user), "the user is shaped as get-session's")
		assert.Equal(t, ids["Bob"], user["id"])
		assert.Equal(t, true, user["banned"])
		assert.Equal(t, "spam", user["banReason"])
		assert.Nil(t, user["banExpires"], "no expiry: banned until unbanned")

		assert.Nil(t, e.session(bob), "the banned user's session stops working")
		assert.False(t, e.works(bob))
		assert.Empty(t, e.userSessions(admin, ids["Bob"]), "and is revoked")
		r = e.signIn("bob@example.com", "correct horse")
		assert.Equal(t, 403, r.StatusCode)
		assert.Equal(t, "BANNED_USER", r.Value("code"))
		assert.True(t, e.works(carol), "nobody else is affected")

		r = e.post("admin/unban-user", admin, map[string]any{"userId": ids["Bob"]})
		r.Status(t, 200)
		user = r.Value("user").(map[string]any)
		assert.ElementsMatch(t, userKeys, keysOf(user))
		assert.Equal(t, false, user["banned"])
		assert.Nil(t, user["banReason"])
		assert.Nil(t, user["banExpires"])
		bob = e.signedIn("bob@example.com", "correct horse")
		assert.True(t, e.works(bob))

		// a ban for a while: the reason defaults as better-auth's does
		r = e.post("admin/ban-user", admin, map[string]any{"userId": ids["Bob"], "banExpiresIn": 60})
		r.Status(t, 200)
		user = r.Value("user").(map[string]any)
		assert.Equal(t, "No reason", user["banReason"])
		assert.Equal(t, objectos.FormatDatetime(e.Clock.Now().Add(time.Minute)), user["banExpires"])
		assert.False(t, e.works(bob))
		assert.Equal(t, 403, e.signIn("bob@example.com", "correct horse").StatusCode)
		e.Clock.Advance(time.Minute + time.Second)
		bob = e.signedIn("bob@example.com", "correct horse")
		assert.True(t, e.works(bob), "the ban has run out")

		// banning again (banned already, the last ban run out) revokes the
		// sessions started since
		r = e.post("admin/ban-user", admin, map[string]any{"userId": ids["Bob"]})
		r.Status(t, 200)
		assert.False(t, e.works(bob))
		assert.Empty(t, e.userSessions(admin, ids["Bob"]))

		// an administrator cannot ban themself
		r = e.post("admin/ban-user", admin, map[string]any{"userId": ids["Ada"]})
		assert.Equal(t, 400, r.StatusCode)
		assert.Equal(t, "YOU_CANNOT_BAN_YOURSELF", r.Value("code"))
		assert.True(t, e.works(admin))
		assert.Equal(t, false, e.session(admin)["user"].(map[string]any)["banned"])
	})
}

// TestAdminBanWithKeys: with the security plugin deciding (an administrator
// may change any user) and API keys, a ban stops the user's keys while it
// lasts, without revoking them; and an API key, even an administrator's,
// does not open the admin routes.
func TestAdminBanWithKeys(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e, admin, ids := adminEnv(t, st, func(o *objectos.Options) {
			o.Security = nil
			o.Plugins = append(o.Plugins, security.New(), apikey.New(apikey.Options{}))
		})
		mint := func(token string) string {
			r := e.Bearer(token).Post("/api/v1/keys", `{"name":"ci"}`)
			r.Status(t, 201)
			return r.Value("key").(string)
		}
		bob := e.signedIn("bob@example.com", "correct horse")
		bobKey, adminKey := mint(bob), mint(admin)
		keyWorks := func() bool {
			r := e.do(call{method: "GET", path: "/api/v1/data/sys_user/" + ids["Bob"], header: map[string]string{"x-api-key": bobKey}})
			return r.StatusCode == 200
		}
		require.True(t, keyWorks())

		r := e.post("admin/ban-user", adminKey, map[string]any{"userId": ids["Bob"]})
		assert.Equal(t, 401, r.StatusCode, r.String())
		assert.Equal(t, "UNAUTHORIZED", r.Value("code"))
		assert.True(t, keyWorks())

		r = e.post("admin/ban-user", admin, map[string]any{"userId": ids["Bob"]})
		r.Status(t, 200)
		assert.False(t, keyWorks(), "the banned user's key is refused")
		assert.Nil(t, e.session(bob))

		r = e.post("admin/unban-user", admin, map[string]any{"userId": ids["Bob"]})
		r.Status(t, 200)
		assert.True(t, keyWorks(), "and works again once the ban is lifted")
		assert.Nil(t, e.session(bob), "while the sessions stay revoked")
	})
}

// TestAdminRoutesRefused: anonymous callers, non-administrators, bad bodies,
// unknown users and forged cookie posts are refused by every admin route,
// and change nothing.
func TestAdminRoutesRefused(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e, admin, ids := adminEnv(t, st)
		bob := e.signedIn("bob@example.com", "correct horse")
		carol := e.signedIn("carol@example.com", "correct horse")
		carolSession := e.session(carol)["session"].(map[string]any)["id"].(string)
		unchanged := func(t *testing.T) {
			t.Helper()
			assert.True(t, e.works(carol), "nothing was revoked")
			assert.True(t, e.works(bob))
			assert.True(t, e.works(admin))
			assert.Equal(t, false, e.session(carol)["user"].(map[string]any)["banned"], "nobody was banned")
		}

		routes := []struct {
			path      string
			body      map[string]any // a valid body, about Carol
			forbidden string         // better-auth's code for a non-administrator
		}{
			{"admin/list-user-sessions", map[string]any{"userId": ids["Carol"]}, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS"},
			{"admin/revoke-user-session", map[string]any{"sessionToken": carolSession}, "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS"},
			{"admin/revoke-user-sessions", map[string]any{"userId": ids["Carol"]}, "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS"},
			{"admin/ban-user", map[string]any{"userId": ids["Carol"], "banReason": "spam"}, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS"},
			{"admin/unban-user", map[string]any{"userId": ids["Carol"]}, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS"},
			{"admin/set-user-password", map[string]any{"userId": ids["Carol"], "newPassword": "a new password"}, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD"},
		}
		adminCookie := sessionCookie(e.signIn("ada@example.com", "correct horse"))
		require.NotNil(t, adminCookie)
		for _, rt := range routes {
			t.Run(rt.path, func(t *testing.T) {
				refused := func(t *testing.T, r *objectostest.Response, status int, code string) {
					t.Helper()
					assert.Equal(t, status, r.StatusCode, r.String())
					assert.Equal(t, code, r.Value("code"))
					assert.ElementsMatch(t, []string{"code", "message"}, keysOf(r.Map()), "better-auth's error envelope")
					unchanged(t)
				}
				refused(t, e.post(rt.path, "", rt.body), 401, "UNAUTHORIZED")
				refused(t, e.post(rt.path, "not-a-session-token-at-all", rt.body), 401, "UNAUTHORIZED")
				refused(t, e.post(rt.path, bob, rt.body), 403, rt.forbidden)
				refused(t, e.post(rt.path, bob, map[string]any{}), 403, rt.forbidden) // a non-admin learns nothing of the body
				refused(t, e.post(rt.path, admin, map[string]any{}), 400, "VALIDATION_ERROR")
				for k := range rt.body {
					bad := map[string]any{}
					for k2, v := range rt.body {
						bad[k2] = v
					}
					bad[k] = 42
					refused(t, e.post(rt.path, admin, bad), 400, "VALIDATION_ERROR")
				}

				// a cookie-authenticated post from a foreign page is refused;
				// from the server's own origin it is let through
				r := e.do(call{method: "POST", path: "/api/v1/auth/" + rt.path, body: mustJSON(rt.body), cookies: []*http.Cookie{adminCookie},
					header: map[string]string{"Origin": "https://evil.example"}})
				refused(t, r, 403, "INVALID_ORIGIN")
				if rt.path == "admin/list-user-sessions" {
					r = e.do(call{method: "POST", path: "/api/v1/auth/" + rt.path, body: mustJSON(rt.body), cookies: []*http.Cookie{adminCookie},
						header: map[string]string{"Origin": "http://objectos.test"}})
					assert.Equal(t, 200, r.StatusCode, r.String())
				}

				if _, ok := rt.body["userId"]; ok {
					unknown := map[string]any{"userId": "no-such-user"}
					refused(t, e.post(rt.path, admin, unknown), 404, "USER_NOT_FOUND")
				}
			})
		}

		// ban-user's optional fields are typed
		for _, bad := range []map[string]any{
			{"userId": ids["Carol"], "banReason": true},
			{"userId": ids["Carol"], "banReason": nil},
			{"userId": ids["Carol"], "banExpiresIn": "soon"},
			{"userId": ids["Carol"], "banExpiresIn": -1},
			{"userId": ids["Carol"], "banExpiresIn": 1e300},
			{"userId": ids["Carol"], "banExpiresIn": nil},
			{"userId": ""},
		} {
			r := e.post("admin/ban-user", admin, bad)
			assert.Equal(t, 400, r.StatusCode, "%v: %s", bad, r.String())
			assert.Equal(t, "VALIDATION_ERROR", r.Value("code"), "%v", bad)
			unchanged(t)
		}
		r := e.post("admin/ban-user", admin, map[string]any{"userId": ids["Carol"], "banReason": strings.Repeat("x", 70<<10)})
		assert.Equal(t, 413, r.StatusCode, "the body is bounded")
		unchanged(t)

		// the bodies may be form-encoded, as on the other auth routes
		r = e.do(call{method: "POST", path: "/api/v1/auth/admin/list-user-sessions", body: "userId=" + ids["Carol"],
			header: map[string]string{"Authorization": "Bearer " + admin, "Content-Type": "application/x-www-form-urlencoded"}})
		r.Status(t, 200)
		assert.Len(t, r.Value("sessions"), 1)

		// other methods are not routes
		r = e.Bearer(admin).Get("/api/v1/auth/admin/list-user-sessions")
		assert.Equal(t, 405, r.StatusCode, r.String())
	})
}

// TestAdminCreateUser: an administrator creates users with a password (and
// a role, permission sets), as better-auth's createUser; whatever is wrong
// with the body creates nobody.
func TestAdminCreateUser(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e, admin, ids := adminEnv(t, st, func(so *objectos.Options) { so.Plugins = append(so.Plugins, audit.New(audit.Options{})) })
		users := func() int64 {
			n, err := e.Stack.Count(objectos.AsSystem(t.Context()), auth.ObjUser, objectos.Query{})
			require.NoError(t, err)
			return n
		}
		r := e.post("admin/create-user", admin, map[string]any{"email": "Dan@Example.com", "password": "dan's password", "name": "Dan",
			"data": map[string]any{"image": "https://img.example/dan.png"}})
		require.Equal(t, 200, r.StatusCode, r.String())
		assert.Equal(t, "dan@example.com", r.Value("user.email"))
		assert.Equal(t, "Dan", r.Value("user.name"))
		assert.Equal(t, "https://img.example/dan.png", r.Value("user.image"))
		assert.Nil(t, r.Value("user.role"), "an ordinary user, as a sign-up makes one")
		assert.Equal(t, false, r.Value("user.emailVerified"), "unverified until its owner verifies it")
		require.Equal(t, 200, e.signIn("dan@example.com", "dan's password").StatusCode, "Dan signs in with it")

		r = e.post("admin/create-user", admin, map[string]any{"email": "eve@example.com", "password": "eve's password", "role": "admin"})
		require.Equal(t, 200, r.StatusCode, r.String())
		assert.Equal(t, "admin", r.Value("user.role"))
		assert.Equal(t, "eve", r.Value("user.name"), "no name: the address's local part")
		// in the audit log, by whom
		created, err := e.Stack.List(objectos.AsSystem(t.Context()), audit.Object,
			objectos.Query{Filter: objectos.And(objectos.Eq("event", audit.UserCreated), objectos.Eq("target_user_id", r.Value("user.id")))})
		require.NoError(t, err)
		require.Len(t, created.Records, 1)
		assert.Equal(t, ids["Ada"], created.Records[0]["actor_id"])
		assert.Equal(t, "admin", created.Records[0]["details"].(map[string]any)["role"])

		before := users()
		for name, c := range map[string]struct {
			body   map[string]any
			status int
			code   string
		}{
			"taken":     {map[string]any{"email": "DAN@example.com", "password": "another password"}, 400, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"},
			"bad email": {map[string]any{"email": "dan", "password": "another password"}, 400, "INVALID_EMAIL"},
			"short":     {map[string]any{"email": "fay@example.com", "password": "short"}, 400, "PASSWORD_TOO_SHORT"},
			"role":      {map[string]any{"email": "fay@example.com", "password": "fay's password", "role": "owner"}, 400, "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE"},
			"data":      {map[string]any{"email": "fay@example.com", "password": "fay's password", "data": map[string]any{"role": "admin"}}, 400, "VALIDATION_ERROR"},
			"data type": {map[string]any{"email": "fay@example.com", "password": "fay's password", "data": "x"}, 400, "VALIDATION_ERROR"},
			"bad set":   {map[string]any{"email": "fay@example.com", "password": "fay's password", "data": map[string]any{"permission_sets": "x"}}, 400, "VALIDATION_ERROR"},
		} {
			r := e.post("admin/create-user", admin, c.body)
			assert.Equal(t, c.status, r.StatusCode, "%s: %s", name, r.String())
			assert.Equal(t, c.code, r.Value("code"), name)
		}
		assert.Equal(t, before, users(), "no refused body created a user")

		bob := e.signedIn("bob@example.com", "correct horse")
		body := map[string]any{"email": "gus@example.com", "password": "gus's password"}
		r = e.post("admin/create-user", bob, body)
		assert.Equal(t, 403, r.StatusCode)
		assert.Equal(t, "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS", r.Value("code"))
		assert.Equal(t, 401, e.post("admin/create-user", "", body).StatusCode)
		assert.Equal(t, before, users())
	})
}

// TestAdminSetUserPassword: an administrator sets a user's password; the
// user's sessions end, the old password stops working, the new one works.
func TestAdminSetUserPassword(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e, admin, ids := adminEnv(t, st)
		carol := e.signedIn("carol@example.com", "correct horse")
		r := e.post("admin/set-user-password", admin, map[string]any{"userId": ids["Carol"], "newPassword": "carol's new password"})
		require.Equal(t, 200, r.StatusCode, r.String())
		assert.Equal(t, map[string]any{"status": true}, r.Map())
		assert.False(t, e.works(carol), "her sessions are revoked")
		assert.True(t, e.works(admin))
		assert.Equal(t, 401, e.signIn("carol@example.com", "correct horse").StatusCode)
		assert.Equal(t, 200, e.signIn("carol@example.com", "carol's new password").StatusCode)
		r = e.post("admin/set-user-password", admin, map[string]any{"userId": ids["Carol"], "newPassword": "short"})
		assert.Equal(t, 400, r.StatusCode)
		assert.Equal(t, "PASSWORD_TOO_SHORT", r.Value("code"))
	})
}
