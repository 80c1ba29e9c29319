package apikey_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/apikey"
	"github.com/objectos-go/objectos/internal/openapitest"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

func artifact() *objectos.Artifact {
	return &objectos.Artifact{
		Objects: []*objectos.Object{{Name: "doc", SharingModel: objectos.SharingPrivate,
			Fields: []*objectos.Field{{Name: "title", Type: objectos.TypeText}}}},
		PermissionSets: []*objectos.PermissionSet{{Name: "member", IsDefault: true,
			Objects: map[string]objectos.ObjectPermission{"doc": {AllowRead: true, AllowCreate: true, AllowEdit: true}}}},
	}
}

// env is the standard stack (rest, auth, apikey, security) with the
// default rate limits, its logs kept.
type env struct {
	*objectostest.Env
	logs *testenv.Buffer
}

func newEnv(t testing.TB, st objectos.Store, clk *objectostest.Clock, opts ...apikey.Options) *env {
	t.Helper()
	e := &env{logs: &testenv.Buffer{}}
	e.Env = objectostest.New(t, artifact(), objectostest.Options{
		Store:   st,
		Clock:   clk,
		Plugins: []objectos.Plugin{apikey.New(append(opts, apikey.Options{})[0])},
		Configure: func(o *objectos.Options) {
			o.RateLimits = objectos.RateLimits{}
			o.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		},
		// every exchange is checked against the document
		Handler: func(s *objectos.Stack) http.Handler { return openapitest.Handler(t, s) },
	})
	return e
}

// mint asks POST /keys for a key, as c (a User or a Client).
func mint(c interface {
	Post(string, any) *objectostest.Response
}, body string) *objectostest.Response {
	return c.Post("/api/v1/keys", body)
}

// key is the raw key of a mint's answer.
func key(r *objectostest.Response) string {
	k, _ := r.Value("key").(string)
	return k
}

// xAPIKey presents a key as x-api-key.
func (e *env) xAPIKey(key string) *objectostest.Client { return e.Client().With("X-Api-Key", key) }

var keyRE = regexp.MustCompile(`^os_pk_live_[A-Za-z0-9_-]{43}$`)

func TestMintAndUse(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, objectostest.NewClock())
		admin := e.Admin(t, "admin")
		alice := e.User(t, "alice")
		bob := e.User(t, "bob")

		r := mint(alice, `{"name":"etl"}`).Status(t, 201)
		k := key(r)
		assert.Regexp(t, keyRE, k)
		r.Equal(t, "prefix", k[:19]).Equal(t, "name", "etl").Equal(t, "expires_at", nil)
		assert.NotEmpty(t, r.ID())
		r.Len(t, "", 5) // exactly {id, name, prefix, key, expires_at}
		assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
		keyID := r.ID()

		// alice's private doc and bob's
		docA := alice.Post("/api/v1/data/doc", `{"title":"alice's"}`).ID()
		bob.Post("/api/v1/data/doc", `{"title":"bob's"}`)

		// The three header forms, each running as alice.
		for name, c := range map[string]*objectostest.Client{
			"bearer":    e.Bearer(k),
			"x-api-key": e.xAPIKey(k),
			"ApiKey":    e.Client().With("Authorization", "ApiKey "+k),
		} {
			l := c.Get("/api/v1/data/doc")
			require.Equal(t, 200, l.StatusCode, "%s: %s", name, l)
			assert.EqualValues(t, 1, l.Value("total"), "%s sees exactly alice's records", name)
			assert.Equal(t, []string{docA}, l.IDs())
		}
		e.xAPIKey(k).Post("/api/v1/data/doc", `{"title":"via key"}`).Status(t, 201).Equal(t, "record.owner_id", alice.ID)

		// Listing keys: owners see their own, admins all, nobody the hash.
		mint(bob, `{"name":"bob's key"}`)
		own := alice.Get("/api/v1/data/sys_api_key").Status(t, 200).Equal(t, "total", 1)
		own.Equal(t, "records.0.prefix", k[:19]).Absent(t, "records.0.key_hash")
		admin.Get("/api/v1/data/sys_api_key").Equal(t, "total", 2)
		bob.Get("/api/v1/data/sys_api_key/"+keyID).Status(t, 404)
		admin.Get(`/api/v1/data/sys_api_key?key_hash=x`).Status(t, 400)

		// No create, update or delete through /data.
		alice.Post("/api/v1/data/sys_api_key", `{"name":"x"}`).Status(t, 405)
		alice.Delete("/api/v1/data/sys_api_key/"+keyID).Status(t, 405)
		alice.Patch("/api/v1/data/sys_api_key/"+keyID, `{"revoked":true}`).Status(t, 405)

		// The raw key and its hash never come back, nor reach the logs.
		for _, path := range []string{"/api/v1/data/sys_api_key", "/api/v1/data/sys_api_key/" + keyID, "/api/v1/auth/get-session"} {
			assert.NotContains(t, admin.Get(path).String(), k[19:])
		}
		assert.NotContains(t, e.logs.String(), k[19:])
	})
}

func TestMintRefusals(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		clk := objectostest.NewClock()
		e := newEnv(t, st, clk)
		admin := e.Admin(t, "admin")
		alice := e.User(t, "alice")
		bob := e.User(t, "bob")
		k := key(mint(alice, `{"name":"k"}`))
		anonymous := e.Client()

		for _, tc := range []struct {
			name   string
			as     *objectostest.Client
			body   string
			status int
			code   string
		}{
			{"past expiry", alice.Client, `{"name":"k","expires_at":"2026-07-28T11:59:59Z"}`, 400, "VALIDATION_FAILED"},
			{"expiry now", alice.Client, `{"name":"k","expires_at":"2026-07-28T12:00:00Z"}`, 400, "VALIDATION_FAILED"},
			{"bad expiry", alice.Client, `{"name":"k","expires_at":"tomorrow"}`, 400, "VALIDATION_FAILED"},
			{"empty name", alice.Client, `{"name":"  "}`, 400, "VALIDATION_FAILED"},
			{"no name", alice.Client, `{}`, 400, "VALIDATION_FAILED"},
			{"long name", alice.Client, `{"name":"` + strings.Repeat("n", 256) + `"}`, 400, "VALIDATION_FAILED"},
			{"unknown field", alice.Client, `{"name":"k","scopes":["all"]}`, 400, "VALIDATION_FAILED"},
			{"long unknown field", alice.Client, `{"name":"k","` + strings.Repeat("s", 15<<10) + `":1}`, 400, "VALIDATION_FAILED"},
			{"user_id by a non-admin", alice.Client, `{"name":"k","user_id":"` + bob.ID + `"}`, 403, "PERMISSION_DENIED"},
			{"user_id of nobody", admin.Client, `{"name":"k","user_id":"no-such-user"}`, 400, "VALIDATION_FAILED"},
			{"array body", alice.Client, `[]`, 400, "INVALID_JSON"},
			{"anonymous", anonymous, `{"name":"k"}`, 401, "UNAUTHENTICATED"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := mint(tc.as, tc.body).Status(t, tc.status).Code(t, tc.code).Equal(t, "success", false)
				assert.Less(t, len(r.Body), 2048, "no caller text is echoed whole")
			})
		}
		r := alice.Get("/api/v1/keys").Status(t, 405)
		assert.Equal(t, "POST", r.Header.Get("Allow"))
		alice.With("Content-Type", "text/plain").Post("/api/v1/keys", `{"name":"k"}`).Status(t, 415)
		mint(e.xAPIKey(k), `{"name":"chained"}`).Status(t, 403) // a key cannot mint keys

		// An admin mints for another user, with an expiry as epoch seconds.
		exp := clk.Now().Add(time.Hour).Unix()
		r = mint(admin, `{"name":"for alice","user_id":"`+alice.ID+`","expires_at":`+jsonNum(exp)+`}`).Status(t, 201)
		r.Equal(t, "expires_at", "2026-07-28T13:00:00.000Z")
		e.Bearer(key(r)).Post("/api/v1/data/doc", `{"title":"x"}`).Status(t, 201).Equal(t, "record.owner_id", alice.ID)
	})
}

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestBadKeysAllLookAlike(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		clk := objectostest.NewClock()
		e := newEnv(t, st, clk)
		admin := e.Admin(t, "admin")
		alice := e.User(t, "alice")
		revokedKey := mint(alice, `{"name":"r"}`)
		expiringKey := key(mint(alice, `{"name":"e","expires_at":"2026-07-28T12:30:00Z"}`))
		bannedKey := key(mint(alice, `{"name":"b"}`))
		e.Bearer(expiringKey).Get("/api/v1/data/doc").Status(t, 200)

		alice.Post("/api/v1/actions/sys_api_key/revoke_api_key/"+revokedKey.ID(), "").Status(t, 200).
			Equal(t, "data.record.revoked", true).
			Equal(t, "data.record.revoked_at", "2026-07-28T12:00:00.000Z")
		clk.Advance(31 * time.Minute)

		var bodies []string
		for name, c := range map[string]*objectostest.Client{
			"malformed":           e.Bearer("os_pk_live_short"),
			"malformed x-api-key": e.xAPIKey("not-a-key"),
			"unknown":             e.xAPIKey("os_pk_live_" + strings.Repeat("A", 43)),
			"revoked":             e.Bearer(key(revokedKey)),
			"expired":             e.Client().With("Authorization", "ApiKey "+expiringKey),
		} {
			r := c.Get("/api/v1/data/doc")
			assert.Equal(t, 401, r.StatusCode, name)
			assert.Equal(t, "INVALID_TOKEN", r.ErrorCode(), name)
			bodies = append(bodies, r.String())
		}
		for _, b := range bodies[1:] {
			assert.Equal(t, bodies[0], b, "every bad key gets the same answer")
		}

		// A banned owner's keys stop working; unbanned, they work again.
		admin.Patch("/api/v1/data/sys_user/"+alice.ID, `{"banned":true}`).Status(t, 200)
		e.Bearer(bannedKey).Get("/api/v1/data/doc").Status(t, 401)
		admin.Patch("/api/v1/data/sys_user/"+alice.ID, `{"banned":false}`).Status(t, 200)
		e.Bearer(bannedKey).Get("/api/v1/data/doc").Status(t, 200)
	})
}

func TestRevocation(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, objectostest.NewClock())
		admin := e.Admin(t, "admin")
		alice := e.User(t, "alice")
		bob := e.User(t, "bob")
		k1 := mint(alice, `{"name":"one"}`)
		k2 := mint(alice, `{"name":"two"}`)
		id1, id2 := k1.ID(), k2.ID()

		// Someone else cannot revoke it; nor can the owner write anything else.
		bob.Post("/api/v1/actions/sys_api_key/revoke_api_key/"+id1, "").Status(t, 404)
		e.Bearer(key(k1)).Get("/api/v1/data/doc").Status(t, 200)

		// The owner revokes by path, the admin by recordId in the body.
		alice.Post("/api/v1/actions/sys_api_key/revoke_api_key/"+id1, "").Status(t, 200)
		admin.Post("/api/v1/actions/sys_api_key/revoke_api_key", `{"recordId":"`+id2+`","params":{}}`).Status(t, 200)
		for _, k := range []*objectostest.Response{k1, k2} {
			assert.Equal(t, 401, e.Bearer(key(k)).Get("/api/v1/data/doc").StatusCode, "revoked on the very next request")
		}
		// Without a record id the action is a 400, not a server failure.
		for _, body := range []string{"", `{}`, `{"params":{}}`, `{"recordId":""}`} {
			r := alice.Post("/api/v1/actions/sys_api_key/revoke_api_key", body)
			assert.Equal(t, 400, r.StatusCode, "%q: %s", body, r)
		}
		// A revoked key stays revoked.
		_, err := e.Stack.Update(objectos.WithPrincipal(context.Background(), &objectos.Principal{UserID: "x", Role: objectos.RoleAdmin}),
			apikey.Object, id1, objectos.Record{"revoked": false}, objectos.WriteOptions{})
		assert.True(t, objectos.IsCode(err, objectos.CodeFieldNotAccessible), "%v", err)
	})
}

// TestRevocationAcrossReplicas: two stacks on one PostgreSQL database; a key
// revoked through one is refused by the other on its very next request.
func TestRevocationAcrossReplicas(t *testing.T) {
	dsn := testenv.Schema(t)
	open := func() *store.Store {
		st, err := store.OpenPostgres(context.Background(), dsn)
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		return st
	}
	clk := objectostest.NewClock()
	a := newEnv(t, open(), clk)
	b := newEnv(t, open(), clk)
	a.Admin(t, "admin")
	alice := a.User(t, "alice")
	k := mint(alice, `{"name":"shared"}`)
	b.Bearer(key(k)).Get("/api/v1/data/doc").Status(t, 200) // replica b accepts it
	alice.Post("/api/v1/actions/sys_api_key/revoke_api_key/"+k.ID(), "").Status(t, 200)
	b.Bearer(key(k)).Get("/api/v1/data/doc").Status(t, 401).Code(t, "INVALID_TOKEN")
}

func TestLastUsedAtOncePerMinute(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		clk := objectostest.NewClock()
		e := newEnv(t, st, clk)
		admin := e.Admin(t, "admin")
		k := mint(admin, `{"name":"k"}`)
		byKey, id := e.Bearer(key(k)), k.ID()
		row := func() *objectostest.Response { return admin.Get("/api/v1/data/sys_api_key/"+id).Status(t, 200) }
		row().Equal(t, "record.last_used_at", nil)
		byKey.Get("/api/v1/data/doc")
		row().Equal(t, "record.last_used_at", "2026-07-28T12:00:00.000Z")
		v := row().Value("record.updated_at")
		clk.Advance(30 * time.Second)
		for i := 0; i < 5; i++ {
			byKey.Get("/api/v1/data/doc")
		}
		row().Equal(t, "record.last_used_at", "2026-07-28T12:00:00.000Z").
			Equal(t, "record.updated_at", v) // no write within the minute
		clk.Advance(31 * time.Second)
		byKey.Get("/api/v1/data/doc")
		row().Equal(t, "record.last_used_at", "2026-07-28T12:01:01.000Z")
	})
}

// TestKeyFollowsItsOwner: a change to the owner's role or permission sets
// applies to their keys on the next request.
func TestKeyFollowsItsOwner(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, objectostest.NewClock())
		admin := e.Admin(t, "admin")
		alice := e.User(t, "alice")
		bob := e.User(t, "bob")
		byKey := alice.APIKey(t)
		bob.Post("/api/v1/data/doc", `{"title":"bob's"}`)
		byKey.Get("/api/v1/data/doc").Equal(t, "total", 0)
		admin.Patch("/api/v1/data/sys_user/"+alice.ID, `{"role":"admin"}`).Status(t, 200)
		byKey.Get("/api/v1/data/doc").Equal(t, "total", 1) // now an admin: sees every doc
		admin.Patch("/api/v1/data/sys_user/"+alice.ID, `{"role":null}`).Status(t, 200)
		byKey.Get("/api/v1/data/doc").Equal(t, "total", 0)
	})
}
