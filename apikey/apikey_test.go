package apikey_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/apikey"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/openapitest"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/security"
	"github.com/objectos-go/objectos/store"
)

type fastHasher struct{}

var fast = &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func (fastHasher) Hash(pw string) (string, error)    { return argon2id.CreateHash(pw, fast) }
func (fastHasher) Verify(pw, h string) (bool, error) { return argon2id.ComparePasswordAndHash(pw, h) }
func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}
func (b *lockedBuffer) String() string           { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }
func newClock() *clock                           { return testenv.NewClock() }
func bearer(t string) map[string]string          { return map[string]string{"Authorization": "Bearer " + t} }
func keyHeader(name, v string) map[string]string { return map[string]string{name: v} }

type clock = testenv.Clock

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func artifact() *objectos.Artifact {
	return &objectos.Artifact{
		Objects: []*objectos.Object{{Name: "doc", SharingModel: objectos.SharingPrivate,
			Fields: []*objectos.Field{{Name: "title", Type: objectos.TypeText}}}},
		PermissionSets: []*objectos.PermissionSet{{Name: "member", IsDefault: true,
			Objects: map[string]objectos.ObjectPermission{"doc": {AllowRead: true, AllowCreate: true, AllowEdit: true}}}},
	}
}

type env struct {
	t     testing.TB
	stack *objectos.Stack
	h     http.Handler
	clock *clock
	logs  *lockedBuffer
}

func newEnv(t testing.TB, st objectos.Store, clk *clock, opts ...apikey.Options) *env {
	t.Helper()
	e := &env{t: t, clock: clk, logs: &lockedBuffer{}}
	s, err := objectos.New(context.Background(), objectos.Options{
		Artifact: artifact(),
		Store:    st,
		Plugins: []objectos.Plugin{rest.New(rest.Options{}), auth.New(auth.Options{SignUp: objectos.Ptr(true), Hasher: fastHasher{}}),
			security.New(), apikey.New(append(opts, apikey.Options{})[0])},
		Clock:  clk.Now,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, err)
	e.stack = s
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", openapitest.Handler(t, s)) // every exchange is checked against the document
	e.h = mux
	return e
}

type resp struct {
	code   int
	body   map[string]any
	raw    string
	header http.Header
}

func (e *env) do(method, path, body string, hdr map[string]string) resp {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, "http://objectos.test"+path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	out := resp{code: rec.Code, raw: rec.Body.String(), header: rec.Header()}
	_ = json.Unmarshal(rec.Body.Bytes(), &out.body)
	return out
}

// user signs up and returns the session token and the user id.
func (e *env) user(name string) (string, string) {
	e.t.Helper()
	r := e.do("POST", "/api/v1/auth/sign-up/email", `{"name":"`+name+`","email":"`+name+`@example.com","password":"password-`+name+`"}`, nil)
	require.Equal(e.t, 200, r.code, r.raw)
	return r.body["token"].(string), r.body["user"].(map[string]any)["id"].(string)
}

func (e *env) mint(session, body string) resp {
	return e.do("POST", "/api/v1/keys", body, bearer(session))
}

func code(r resp) string {
	if c, ok := r.body["code"].(string); ok {
		return c
	}
	if m, ok := r.body["error"].(map[string]any); ok {
		c, _ := m["code"].(string)
		return c
	}
	return ""
}

var keyRE = regexp.MustCompile(`^os_pk_live_[A-Za-z0-9_-]{43}$`)

func TestMintAndUse(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, newClock())
		adminTok, _ := e.user("admin") // the first user: admin
		aliceTok, aliceID := e.user("alice")
		bobTok, _ := e.user("bob")

		r := e.mint(aliceTok, `{"name":"etl"}`)
		require.Equal(t, 201, r.code, r.raw)
		key := r.body["key"].(string)
		assert.Regexp(t, keyRE, key)
		assert.Equal(t, key[:19], r.body["prefix"])
		assert.Equal(t, "etl", r.body["name"])
		assert.Nil(t, r.body["expires_at"])
		assert.NotEmpty(t, r.body["id"])
		assert.Len(t, r.body, 5, "exactly {id, name, prefix, key, expires_at}")
		assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
		keyID := r.body["id"].(string)

		// alice's private doc and bob's
		docA := e.do("POST", "/api/v1/data/doc", `{"title":"alice's"}`, bearer(aliceTok)).body["id"].(string)
		e.do("POST", "/api/v1/data/doc", `{"title":"bob's"}`, bearer(bobTok))

		// The three header forms, each running as alice.
		for name, hdr := range map[string]map[string]string{
			"bearer":    bearer(key),
			"x-api-key": keyHeader("x-api-key", key),
			"ApiKey":    keyHeader("Authorization", "ApiKey "+key),
		} {
			l := e.do("GET", "/api/v1/data/doc", "", hdr)
			require.Equal(t, 200, l.code, "%s: %s", name, l.raw)
			assert.EqualValues(t, 1, l.body["total"], "%s sees exactly alice's records", name)
			assert.Equal(t, docA, l.body["records"].([]any)[0].(map[string]any)["id"])
		}
		c := e.do("POST", "/api/v1/data/doc", `{"title":"via key"}`, keyHeader("x-api-key", key))
		require.Equal(t, 201, c.code)
		assert.Equal(t, aliceID, c.body["record"].(map[string]any)["owner_id"])

		// Listing keys: owners see their own, admins all, nobody the hash.
		e.mint(bobTok, `{"name":"bob's key"}`)
		own := e.do("GET", "/api/v1/data/sys_api_key", "", bearer(aliceTok))
		require.Equal(t, 200, own.code, own.raw)
		assert.EqualValues(t, 1, own.body["total"])
		rec := own.body["records"].([]any)[0].(map[string]any)
		assert.Equal(t, key[:19], rec["prefix"])
		assert.NotContains(t, rec, "key_hash")
		all := e.do("GET", "/api/v1/data/sys_api_key", "", bearer(adminTok))
		assert.EqualValues(t, 2, all.body["total"])
		assert.Equal(t, 404, e.do("GET", "/api/v1/data/sys_api_key/"+keyID, "", bearer(bobTok)).code)
		assert.Equal(t, 400, e.do("GET", `/api/v1/data/sys_api_key?key_hash=x`, "", bearer(adminTok)).code)

		// No create, update or delete through /data.
		assert.Equal(t, 405, e.do("POST", "/api/v1/data/sys_api_key", `{"name":"x"}`, bearer(aliceTok)).code)
		assert.Equal(t, 405, e.do("DELETE", "/api/v1/data/sys_api_key/"+keyID, "", bearer(aliceTok)).code)
		assert.Equal(t, 405, e.do("PATCH", "/api/v1/data/sys_api_key/"+keyID, `{"revoked":true}`, bearer(aliceTok)).code)

		// The raw key and its hash never come back, nor reach the logs.
		for _, path := range []string{"/api/v1/data/sys_api_key", "/api/v1/data/sys_api_key/" + keyID, "/api/v1/auth/get-session"} {
			g := e.do("GET", path, "", bearer(adminTok))
			assert.NotContains(t, g.raw, key[19:])
		}
		assert.NotContains(t, e.logs.String(), key[19:])
	})
}

func TestMintRefusals(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		clk := newClock()
		e := newEnv(t, st, clk)
		adminTok, _ := e.user("admin")
		aliceTok, aliceID := e.user("alice")
		_, bobID := e.user("bob")
		key := e.mint(aliceTok, `{"name":"k"}`).body["key"].(string)

		for _, tc := range []struct {
			name, session, body string
			status              int
			code                string
		}{
			{"past expiry", aliceTok, `{"name":"k","expires_at":"2026-07-28T11:59:59Z"}`, 400, "VALIDATION_FAILED"},
			{"expiry now", aliceTok, `{"name":"k","expires_at":"2026-07-28T12:00:00Z"}`, 400, "VALIDATION_FAILED"},
			{"bad expiry", aliceTok, `{"name":"k","expires_at":"tomorrow"}`, 400, "VALIDATION_FAILED"},
			{"empty name", aliceTok, `{"name":"  "}`, 400, "VALIDATION_FAILED"},
			{"no name", aliceTok, `{}`, 400, "VALIDATION_FAILED"},
			{"long name", aliceTok, `{"name":"` + strings.Repeat("n", 256) + `"}`, 400, "VALIDATION_FAILED"},
			{"unknown field", aliceTok, `{"name":"k","scopes":["all"]}`, 400, "VALIDATION_FAILED"},
			{"long unknown field", aliceTok, `{"name":"k","` + strings.Repeat("s", 15<<10) + `":1}`, 400, "VALIDATION_FAILED"},
			{"user_id by a non-admin", aliceTok, `{"name":"k","user_id":"` + bobID + `"}`, 403, "PERMISSION_DENIED"},
			{"user_id of nobody", adminTok, `{"name":"k","user_id":"no-such-user"}`, 400, "VALIDATION_FAILED"},
			{"array body", aliceTok, `[]`, 400, "INVALID_JSON"},
			{"anonymous", "", `{"name":"k"}`, 401, "UNAUTHENTICATED"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				hdr := map[string]string{}
				if tc.session != "" {
					hdr = bearer(tc.session)
				}
				r := e.do("POST", "/api/v1/keys", tc.body, hdr)
				assert.Equal(t, tc.status, r.code, r.raw)
				assert.Equal(t, tc.code, code(r))
				assert.Equal(t, false, r.body["success"])
				assert.Less(t, len(r.raw), 2048, "no caller text is echoed whole")
			})
		}
		r := e.do("GET", "/api/v1/keys", "", bearer(aliceTok))
		assert.Equal(t, 405, r.code)
		assert.Equal(t, "POST", r.header.Get("Allow"))
		r = e.do("POST", "/api/v1/keys", `{"name":"k"}`, map[string]string{"Authorization": "Bearer " + aliceTok, "Content-Type": "text/plain"})
		assert.Equal(t, 415, r.code)
		r = e.do("POST", "/api/v1/keys", `{"name":"chained"}`, keyHeader("x-api-key", key))
		assert.Equal(t, 403, r.code, "a key cannot mint keys")

		// An admin mints for another user, with an expiry as epoch seconds.
		exp := clk.Now().Add(time.Hour).Unix()
		r = e.mint(adminTok, `{"name":"for alice","user_id":"`+aliceID+`","expires_at":`+jsonNum(exp)+`}`)
		require.Equal(t, 201, r.code, r.raw)
		assert.Equal(t, "2026-07-28T13:00:00.000Z", r.body["expires_at"])
		forAlice := r.body["key"].(string)
		s := e.do("POST", "/api/v1/data/doc", `{"title":"x"}`, bearer(forAlice))
		require.Equal(t, 201, s.code)
		assert.Equal(t, aliceID, s.body["record"].(map[string]any)["owner_id"])
	})
}

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestBadKeysAllLookAlike(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		clk := newClock()
		e := newEnv(t, st, clk)
		adminTok, _ := e.user("admin")
		aliceTok, aliceID := e.user("alice")
		revokedKey := e.mint(aliceTok, `{"name":"r"}`)
		expiringKey := e.mint(aliceTok, `{"name":"e","expires_at":"2026-07-28T12:30:00Z"}`).body["key"].(string)
		bannedKey := e.mint(aliceTok, `{"name":"b"}`).body["key"].(string)
		assert.Equal(t, 200, e.do("GET", "/api/v1/data/doc", "", bearer(expiringKey)).code)

		r := e.do("POST", "/api/v1/actions/sys_api_key/revoke_api_key/"+revokedKey.body["id"].(string), "", bearer(aliceTok))
		require.Equal(t, 200, r.code, r.raw)
		assert.Equal(t, true, r.body["data"].(map[string]any)["record"].(map[string]any)["revoked"])
		assert.Equal(t, "2026-07-28T12:00:00.000Z", r.body["data"].(map[string]any)["record"].(map[string]any)["revoked_at"])
		clk.Advance(31 * time.Minute)

		var bodies []string
		for name, hdr := range map[string]map[string]string{
			"malformed":           bearer("os_pk_live_short"),
			"malformed x-api-key": keyHeader("x-api-key", "not-a-key"),
			"unknown":             keyHeader("x-api-key", "os_pk_live_"+strings.Repeat("A", 43)),
			"revoked":             bearer(revokedKey.body["key"].(string)),
			"expired":             keyHeader("Authorization", "ApiKey "+expiringKey),
		} {
			r := e.do("GET", "/api/v1/data/doc", "", hdr)
			assert.Equal(t, 401, r.code, name)
			assert.Equal(t, "INVALID_TOKEN", code(r), name)
			bodies = append(bodies, r.raw)
		}
		for _, b := range bodies[1:] {
			assert.Equal(t, bodies[0], b, "every bad key gets the same answer")
		}

		// A banned owner's keys stop working; unbanned, they work again.
		require.Equal(t, 200, e.do("PATCH", "/api/v1/data/sys_user/"+aliceID, `{"banned":true}`, bearer(adminTok)).code)
		assert.Equal(t, 401, e.do("GET", "/api/v1/data/doc", "", bearer(bannedKey)).code)
		require.Equal(t, 200, e.do("PATCH", "/api/v1/data/sys_user/"+aliceID, `{"banned":false}`, bearer(adminTok)).code)
		assert.Equal(t, 200, e.do("GET", "/api/v1/data/doc", "", bearer(bannedKey)).code)
	})
}

func TestRevocation(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, newClock())
		adminTok, _ := e.user("admin")
		aliceTok, _ := e.user("alice")
		bobTok, _ := e.user("bob")
		k1 := e.mint(aliceTok, `{"name":"one"}`)
		k2 := e.mint(aliceTok, `{"name":"two"}`)
		id1, id2 := k1.body["id"].(string), k2.body["id"].(string)

		// Someone else cannot revoke it; nor can the owner write anything else.
		r := e.do("POST", "/api/v1/actions/sys_api_key/revoke_api_key/"+id1, "", bearer(bobTok))
		assert.Equal(t, 404, r.code)
		assert.Equal(t, 200, e.do("GET", "/api/v1/data/doc", "", bearer(k1.body["key"].(string))).code)

		// The owner revokes by path, the admin by recordId in the body.
		r = e.do("POST", "/api/v1/actions/sys_api_key/revoke_api_key/"+id1, "", bearer(aliceTok))
		require.Equal(t, 200, r.code, r.raw)
		r = e.do("POST", "/api/v1/actions/sys_api_key/revoke_api_key", `{"recordId":"`+id2+`","params":{}}`, bearer(adminTok))
		require.Equal(t, 200, r.code, r.raw)
		for _, k := range []resp{k1, k2} {
			assert.Equal(t, 401, e.do("GET", "/api/v1/data/doc", "", bearer(k.body["key"].(string))).code, "revoked on the very next request")
		}
		// Without a record id the action is a 400, not a server failure.
		for _, body := range []string{"", `{}`, `{"params":{}}`, `{"recordId":""}`} {
			r = e.do("POST", "/api/v1/actions/sys_api_key/revoke_api_key", body, bearer(aliceTok))
			assert.Equal(t, 400, r.code, "%q: %s", body, r.raw)
		}
		// A revoked key stays revoked.
		_, err := e.stack.Update(objectos.WithPrincipal(context.Background(), &objectos.Principal{UserID: "x", Role: objectos.RoleAdmin}),
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
	clk := newClock()
	a := newEnv(t, open(), clk)
	b := newEnv(t, open(), clk)
	_, _ = a.user("admin")
	aliceTok, _ := a.user("alice")
	k := a.mint(aliceTok, `{"name":"shared"}`)
	key := k.body["key"].(string)
	require.Equal(t, 200, b.do("GET", "/api/v1/data/doc", "", bearer(key)).code, "replica b accepts it")
	require.Equal(t, 200, a.do("POST", "/api/v1/actions/sys_api_key/revoke_api_key/"+k.body["id"].(string), "", bearer(aliceTok)).code)
	r := b.do("GET", "/api/v1/data/doc", "", bearer(key))
	assert.Equal(t, 401, r.code)
	assert.Equal(t, "INVALID_TOKEN", code(r))
}

func TestLastUsedAtOncePerMinute(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		clk := newClock()
		e := newEnv(t, st, clk)
		adminTok, _ := e.user("admin")
		k := e.mint(adminTok, `{"name":"k"}`)
		key, id := k.body["key"].(string), k.body["id"].(string)
		lastUsed := func() any {
			r := e.do("GET", "/api/v1/data/sys_api_key/"+id, "", bearer(adminTok))
			require.Equal(t, 200, r.code)
			return r.body["record"].(map[string]any)["last_used_at"]
		}
		version := func() any {
			r := e.do("GET", "/api/v1/data/sys_api_key/"+id, "", bearer(adminTok))
			return r.body["record"].(map[string]any)["updated_at"]
		}
		assert.Nil(t, lastUsed())
		e.do("GET", "/api/v1/data/doc", "", bearer(key))
		assert.Equal(t, "2026-07-28T12:00:00.000Z", lastUsed())
		v := version()
		clk.Advance(30 * time.Second)
		for i := 0; i < 5; i++ {
			e.do("GET", "/api/v1/data/doc", "", bearer(key))
		}
		assert.Equal(t, "2026-07-28T12:00:00.000Z", lastUsed())
		assert.Equal(t, v, version(), "no write within the minute")
		clk.Advance(31 * time.Second)
		e.do("GET", "/api/v1/data/doc", "", bearer(key))
		assert.Equal(t, "2026-07-28T12:01:01.000Z", lastUsed())
	})
}

// TestKeyFollowsItsOwner: a change to the owner's role or permission sets
// applies to their keys on the next request.
func TestKeyFollowsItsOwner(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, newClock())
		adminTok, _ := e.user("admin")
		aliceTok, aliceID := e.user("alice")
		bobTok, _ := e.user("bob")
		key := e.mint(aliceTok, `{"name":"k"}`).body["key"].(string)
		e.do("POST", "/api/v1/data/doc", `{"title":"bob's"}`, bearer(bobTok))
		assert.EqualValues(t, 0, e.do("GET", "/api/v1/data/doc", "", bearer(key)).body["total"])
		require.Equal(t, 200, e.do("PATCH", "/api/v1/data/sys_user/"+aliceID, `{"role":"admin"}`, bearer(adminTok)).code)
		assert.EqualValues(t, 1, e.do("GET", "/api/v1/data/doc", "", bearer(key)).body["total"], "now an admin: sees every doc")
		require.Equal(t, 200, e.do("PATCH", "/api/v1/data/sys_user/"+aliceID, `{"role":null}`, bearer(adminTok)).code)
		assert.EqualValues(t, 0, e.do("GET", "/api/v1/data/doc", "", bearer(key)).body["total"])
	})
}
