package rest_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/apikey"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

// idemArtifact: orders with a unique code, their lines, and actions that
// create two orders (pair) or wait for the test before creating one (slow).
func idemArtifact() *objectos.Artifact {
	return &objectos.Artifact{Name: "idem", Objects: []*objectos.Object{
		{Name: "order", Fields: []*objectos.Field{
			{Name: "name", Type: objectos.TypeText, Required: true},
			{Name: "code", Type: objectos.TypeText, Unique: true},
		}, Actions: []*objectos.Action{
			{Name: "pair", Type: objectos.ActionScript, Params: []*objectos.ActionParam{{Name: "tag", Type: objectos.TypeText, Required: true}}},
			{Name: "slow", Type: objectos.ActionScript, Params: []*objectos.ActionParam{{Name: "tag", Type: objectos.TypeText, Required: true}}},
			{Name: "half", Type: objectos.ActionScript},
		}},
	}, PermissionSets: []*objectos.PermissionSet{{Name: "everyone", IsDefault: true, Objects: map[string]objectos.ObjectPermission{
		"order": {AllowRead: true, AllowCreate: true, AllowEdit: true, AllowDelete: true, ViewAllRecords: true, ModifyAllRecords: true},
	}}}}
}

// gate holds the slow action until the test opens it.
type gate struct {
	started chan struct{}
	open    chan struct{}
}

func newGate() *gate { return &gate{started: make(chan struct{}, 16), open: make(chan struct{})} }

func idemHandlers(g *gate) map[string]objectos.ActionHandler {
	return map[string]objectos.ActionHandler{
		"order.pair": func(ctx context.Context, call *objectos.ActionCall) (any, error) {
			tag := call.Params["tag"].(string)
			for i := range 2 {
				if _, err := call.Stack.Create(ctx, "order", objectos.Record{"name": fmt.Sprintf("%s-%d", tag, i)}); err != nil {
					return nil, err
				}
			}
			return map[string]any{"tag": tag}, nil
		},
		"order.half": func(ctx context.Context, call *objectos.ActionCall) (any, error) {
			if _, err := call.Stack.Create(ctx, "order", objectos.Record{"name": "half"}); err != nil {
				return nil, err
			}
			return nil, objectos.NewError(objectos.CodeValidationFailed, "The second half failed.")
		},
		"order.slow": func(ctx context.Context, call *objectos.ActionCall) (any, error) {
			g.started <- struct{}{}
			<-g.open
			res, err := call.Stack.Create(ctx, "order", objectos.Record{"name": call.Params["tag"]})
			if err != nil {
				return nil, err
			}
			return map[string]any{"id": res.ID}, nil
		},
	}
}

func idemEnv(t *testing.T, st objectos.Store, clock *objectostest.Clock, g *gate) *objectostest.Env {
	t.Helper()
	if g == nil {
		g = newGate()
	}
	return objectostest.New(t, idemArtifact(), objectostest.Options{Store: st, Clock: clock, ActionHandlers: idemHandlers(g),
		Configure: func(o *objectos.Options) { o.Idempotency.PurgeInterval = -1 }})
}

func orders(t *testing.T, env *objectostest.Env) []objectos.Record {
	t.Helper()
	res, err := env.Stack.List(objectos.AsSystem(context.Background()), "order", objectos.Query{Limit: 1000})
	require.NoError(t, err)
	return res.Records
}

// idemRows are the rows of the idempotency table, as stored.
func idemRows(t *testing.T, env *objectostest.Env) []objectos.Record {
	t.Helper()
	rows, err := env.Store.Find(context.Background(), env.Stack.Object(objectos.IdempotencyObject), &objectos.Select{})
	require.NoError(t, err)
	return rows
}

func replayed(r *objectostest.Response) bool { return r.Header.Get("Idempotent-Replayed") == "true" }

// TestIdempotencyKey runs every rule of Idempotency-Key through HTTP on
// each store.
func TestIdempotencyKey(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		env := idemEnv(t, st, nil, nil)
		ada := env.User(t, "Ada")
		key := func(k string) *objectostest.Client { return ada.Client.With("Idempotency-Key", k) }

		t.Run("create is stored and replayed unchanged", func(t *testing.T) {
			first := key("create-1").Post("/api/v1/data/order", `{"name":"first","code":"c1"}`).Status(t, http.StatusCreated)
			assert.False(t, replayed(first))
			again := key("create-1").Post("/api/v1/data/order", `{"name":"first","code":"c1"}`).Status(t, http.StatusCreated)
			assert.True(t, replayed(again))
			assert.Equal(t, string(first.Body), string(again.Body))
			assert.Equal(t, first.Header.Get("Location"), again.Header.Get("Location"))
			assert.NotEmpty(t, again.Header.Get("Location"))
			assert.Equal(t, first.Header.Get("Content-Type"), again.Header.Get("Content-Type"))
			assert.NotEqual(t, first.Header.Get("X-Request-Id"), again.Header.Get("X-Request-Id"))
			assert.Len(t, orders(t, env), 1)
		})
		t.Run("same key, other body, path or method is 422", func(t *testing.T) {
			id := key("reuse").Post("/api/v1/data/order", `{"name":"r"}`).Status(t, http.StatusCreated).ID()
			key("reuse").Post("/api/v1/data/order", `{"name":"r2"}`).Status(t, http.StatusUnprocessableEntity).Code(t, "IDEMPOTENCY_KEY_REUSED")
			key("reuse").Patch("/api/v1/data/order/"+id, `{"name":"r"}`).Status(t, http.StatusUnprocessableEntity).Code(t, "IDEMPOTENCY_KEY_REUSED")
			key("reuse").Post("/api/v1/data/order/createMany", `[{"name":"r"}]`).Status(t, http.StatusUnprocessableEntity)
			key("reuse").Post("/api/v1/data/order?x=1", `{"name":"r"}`).Status(t, http.StatusUnprocessableEntity)
			assert.Len(t, orders(t, env), 2)
		})
		t.Run("bad keys are 400", func(t *testing.T) {
			key(strings.Repeat("k", 256)).Post("/api/v1/data/order", `{"name":"long"}`).Status(t, http.StatusBadRequest).Code(t, "INVALID_IDEMPOTENCY_KEY")
			empty, _ := http.NewRequest(http.MethodPost, env.URL+"/api/v1/data/order", strings.NewReader(`{"name":"empty"}`))
			empty.Header.Set("Content-Type", "application/json")
			empty.Header["Idempotency-Key"] = []string{""}
			ada.Send(empty).Status(t, http.StatusBadRequest).Code(t, "INVALID_IDEMPOTENCY_KEY")
			key("caf\u00e9").Post("/api/v1/data/order", `{"name":"accent"}`).Status(t, http.StatusBadRequest)
			req, _ := http.NewRequest(http.MethodPost, env.URL+"/api/v1/data/order", strings.NewReader(`{"name":"two"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Add("Idempotency-Key", "a")
			req.Header.Add("Idempotency-Key", "b")
			ada.Send(req).Status(t, http.StatusBadRequest).Code(t, "INVALID_IDEMPOTENCY_KEY")
			assert.Len(t, orders(t, env), 2, "a refused key writes nothing")
			key(strings.Repeat("k", 255)).Post("/api/v1/data/order", `{"name":"longest"}`).Status(t, http.StatusCreated)
			assert.Len(t, orders(t, env), 3)
		})
		t.Run("keys are per principal", func(t *testing.T) {
			bob := env.User(t, "Bob")
			a := key("shared").Post("/api/v1/data/order", `{"name":"shared"}`).Status(t, http.StatusCreated)
			b := bob.Client.With("Idempotency-Key", "shared").Post("/api/v1/data/order", `{"name":"shared"}`).Status(t, http.StatusCreated)
			assert.False(t, replayed(b))
			assert.NotEqual(t, a.ID(), b.ID())
			// the same user with another credential is the same principal
			c := ada.APIKey(t).With("Idempotency-Key", "shared").Post("/api/v1/data/order", `{"name":"shared"}`).Status(t, http.StatusCreated)
			assert.True(t, replayed(c))
			assert.Equal(t, a.ID(), c.ID())
		})
		t.Run("a failure is not stored and the retry runs again", func(t *testing.T) {
			n := len(orders(t, env))
			key("fails").Post("/api/v1/data/order", `{"code":"c9"}`).Status(t, http.StatusBadRequest).Code(t, "VALIDATION_FAILED")
			r := key("fails").Post("/api/v1/data/order", `{"code":"c9"}`).Status(t, http.StatusBadRequest)
			assert.False(t, replayed(r))
			key("dup").Post("/api/v1/data/order", `{"name":"d","code":"c1"}`).Status(t, http.StatusConflict)
			// nothing stored for the failed key: a corrected body runs
			key("fails").Post("/api/v1/data/order", `{"name":"fixed","code":"c9"}`).Status(t, http.StatusCreated)
			assert.Len(t, orders(t, env), n+1)
		})
		t.Run("update is replayed, not applied again", func(t *testing.T) {
			id := ada.Post("/api/v1/data/order", `{"name":"u0"}`).Status(t, http.StatusCreated).ID()
			first := key("upd").Patch("/api/v1/data/order/"+id, `{"name":"u1"}`).Status(t, http.StatusOK)
			ada.Patch("/api/v1/data/order/"+id, `{"name":"u2"}`).Status(t, http.StatusOK)
			again := key("upd").Patch("/api/v1/data/order/"+id, `{"name":"u1"}`).Status(t, http.StatusOK)
			assert.True(t, replayed(again))
			assert.Equal(t, string(first.Body), string(again.Body))
			assert.Equal(t, first.Header.Get("ETag"), again.Header.Get("ETag"))
			ada.Get("/api/v1/data/order/"+id).Equal(t, "record.name", "u2")
		})
		t.Run("bulk, batch and actions", func(t *testing.T) {
			n := len(orders(t, env))
			for _, c := range []struct{ path, body string }{
				{"/api/v1/data/order/createMany", `[{"name":"m1"},{"name":"m2"}]`},
				{"/api/v1/data/order/batch", `{"operation":"create","records":[{"data":{"name":"b1"}},{"data":{"name":"b2"}}],"options":{"continueOnError":true}}`},
				{"/api/v1/batch", `{"operations":[{"object":"order","action":"create","data":{"name":"x1"}},{"object":"order","action":"create","data":{"name":"x2"}}]}`},
				{"/api/v1/actions/order/pair", `{"params":{"tag":"p"}}`},
			} {
				first := key("bulk "+c.path).Post(c.path, c.body)
				require.True(t, first.StatusCode < 300, "%s: %d %s", c.path, first.StatusCode, first.Body)
				again := key("bulk "+c.path).Post(c.path, c.body)
				assert.Equal(t, first.StatusCode, again.StatusCode, c.path)
				assert.True(t, replayed(again), c.path)
				assert.Equal(t, string(first.Body), string(again.Body), c.path)
				n += 2
				assert.Len(t, orders(t, env), n, c.path)
			}
		})
		t.Run("a batch that goes on after a failure keeps its savepoints", func(t *testing.T) {
			n := len(orders(t, env))
			body := `{"operation":"create","records":[{"data":{"name":"s1"}},{"data":{"name":"s2","code":"c1"}},{"data":{"name":"s3"}}],"options":{"continueOnError":true}}`
			r := key("partial").Post("/api/v1/data/order/batch", body).Status(t, http.StatusOK)
			assert.Equal(t, 2.0, r.Value("succeeded"))
			assert.Len(t, orders(t, env), n+2)
			key("partial").Post("/api/v1/data/order/batch", body).Status(t, http.StatusOK)
			assert.Len(t, orders(t, env), n+2)
		})
		t.Run("a failed action leaves nothing behind", func(t *testing.T) {
			n := len(orders(t, env))
			ada.Post("/api/v1/actions/order/half", `{}`).Status(t, http.StatusBadRequest)
			key("half").Post("/api/v1/actions/order/half", `{}`).Status(t, http.StatusBadRequest)
			assert.Len(t, orders(t, env), n, "the action's first write rolled back with it")
		})
		t.Run("API keys: the secret comes back, and is not in the database", func(t *testing.T) {
			first := key("mint").Post("/api/v1/keys", `{"name":"ci"}`)
			require.True(t, first.StatusCode < 300, "%d %s", first.StatusCode, first.Body)
			secret, _ := first.Value("key").(string)
			require.NotEmpty(t, secret)
			again := key("mint").Post("/api/v1/keys", `{"name":"ci"}`)
			assert.True(t, replayed(again))
			assert.Equal(t, secret, again.Value("key"))
			assert.Equal(t, "no-store", again.Header.Get("Cache-Control"))
			keys, err := env.Stack.List(objectos.AsSystem(context.Background()), "sys_api_key",
				objectos.Query{Filter: objectos.Eq("name", "ci"), Limit: 10})
			require.NoError(t, err)
			assert.Len(t, keys.Records, 1)
			for _, row := range idemRows(t, env) {
				for k, v := range row {
					assert.NotContains(t, fmt.Sprint(v), secret, "column %s", k)
					assert.NotContains(t, fmt.Sprint(v), "mint", "column %s", k)
				}
			}
		})
		t.Run("anonymous requests are not keyed", func(t *testing.T) {
			env.Client().With("Idempotency-Key", "anon").Post("/api/v1/data/order", `{"name":"anon"}`).Status(t, http.StatusUnauthorized)
		})
		t.Run("a body over the route's limit is 413", func(t *testing.T) {
			big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
			key("big").Post("/api/v1/data/order", big).Status(t, http.StatusRequestEntityTooLarge)
		})
		t.Run("GET and query ignore the header", func(t *testing.T) {
			key("read").Get("/api/v1/data/order").Status(t, http.StatusOK)
			key("read").Post("/api/v1/data/order/query", `{}`).Status(t, http.StatusOK)
			key("read").Post("/api/v1/data/order/query", `{"limit":1}`).Status(t, http.StatusOK)
		})
	})
}

// TestIdempotencyKeepsTheLockout: a wrong password sent with an
// Idempotency-Key is refused and the key released, but the failure still
// counts towards the sign-in lockout (it is written as a part of its own,
// not rolled back with the refused request).
func TestIdempotencyKeepsTheLockout(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		clock := objectostest.NewClock()
		env := idemEnv(t, st, clock, nil)
		ada := env.User(t, "Ada")
		clock.Advance(apikey.DefaultFreshSession + time.Minute) // minting now needs the password
		for i := range auth.DefaultLockoutThreshold {
			ada.With("Idempotency-Key", fmt.Sprint("guess-", i)).Post("/api/v1/keys", `{"name":"k","password":"wrong"}`).
				Status(t, http.StatusBadRequest).Code(t, "VALIDATION_FAILED")
		}
		ada.With("Idempotency-Key", "right").Post("/api/v1/keys", map[string]any{"name": "k", "password": ada.Password}).
			Status(t, http.StatusForbidden).Code(t, "ACCOUNT_LOCKED")
		env.Client().Post("/api/v1/auth/sign-in/email", map[string]any{"email": ada.Email, "password": ada.Password}).
			Status(t, http.StatusForbidden)
	})
}

// TestIdempotencyExpiryAndPurge: a key lasts TTL; after it the same key
// runs again, and the purge deletes expired keys in bounded batches.
func TestIdempotencyExpiryAndPurge(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		clock := objectostest.NewClock()
		env := objectostest.New(t, idemArtifact(), objectostest.Options{Store: st, Clock: clock, ActionHandlers: idemHandlers(newGate()),
			Configure: func(o *objectos.Options) {
				o.Idempotency = objectos.Idempotency{TTL: time.Hour, PurgeInterval: -1, PurgeBatch: 2}
			}})
		ada := env.User(t, "Ada")
		for i := range 5 {
			ada.With("Idempotency-Key", fmt.Sprint("k", i)).Post("/api/v1/data/order", `{"name":"o"}`).Status(t, http.StatusCreated)
		}
		clock.Advance(59 * time.Minute)
		assert.True(t, replayed(ada.With("Idempotency-Key", "k0").Post("/api/v1/data/order", `{"name":"o"}`)))
		n, err := env.Stack.PurgeIdempotencyKeys(context.Background())
		require.NoError(t, err)
		assert.Zero(t, n, "nothing expired yet")
		clock.Advance(2 * time.Minute)
		again := ada.With("Idempotency-Key", "k0").Post("/api/v1/data/order", `{"name":"o"}`).Status(t, http.StatusCreated)
		assert.False(t, replayed(again), "an expired key runs again")
		assert.Len(t, orders(t, env), 6)
		assert.Len(t, idemRows(t, env), 5)
		var purged []int
		for range 4 {
			n, err := env.Stack.PurgeIdempotencyKeys(context.Background())
			require.NoError(t, err)
			purged = append(purged, n)
		}
		assert.Equal(t, []int{2, 2, 0, 0}, purged, "k1..k4 expired, in batches of two; k0 is new")
		assert.Len(t, idemRows(t, env), 1)
	})
}

// TestIdempotencyAcrossStacks: a replay holds on a second Stack sharing
// the database and after a restart, neither sharing the first's secret.
func TestIdempotencyAcrossStacks(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		clock := objectostest.NewClock()
		a := idemEnv(t, st, clock, nil)
		ada := a.User(t, "Ada")
		first := ada.With("Idempotency-Key", "replica").Post("/api/v1/data/order", `{"name":"r"}`).Status(t, http.StatusCreated)
		b := idemEnv(t, st, clock, nil)
		again := b.Bearer(ada.Token).With("Idempotency-Key", "replica").Post("/api/v1/data/order", `{"name":"r"}`).Status(t, http.StatusCreated)
		assert.True(t, replayed(again))
		assert.Equal(t, string(first.Body), string(again.Body))
		require.NoError(t, a.Stack.Close())
		c := idemEnv(t, st, clock, nil)
		afterRestart := c.Bearer(ada.Token).With("Idempotency-Key", "replica").Post("/api/v1/data/order", `{"name":"r"}`)
		afterRestart.Status(t, http.StatusCreated)
		assert.True(t, replayed(afterRestart))
		assert.Len(t, orders(t, c), 1)
	})
}

// TestIdempotencyConcurrentDuplicates: sixteen copies of one request at
// once write exactly once; every other copy is the replay or 409.
func TestIdempotencyConcurrentDuplicates(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		env := idemEnv(t, st, nil, nil)
		ada := env.User(t, "Ada")
		c := ada.With("Idempotency-Key", "burst")
		var wg sync.WaitGroup
		res := make([]*objectostest.Response, 16)
		for i := range res {
			wg.Go(func() { res[i] = c.Post("/api/v1/actions/order/pair", `{"params":{"tag":"burst"}}`) })
		}
		wg.Wait()
		ran := 0
		for _, r := range res {
			switch {
			case r.StatusCode == http.StatusOK && !replayed(r):
				ran++
			case r.StatusCode == http.StatusOK:
			case r.StatusCode == http.StatusConflict:
				assert.Equal(t, "IDEMPOTENCY_IN_PROGRESS", r.ErrorCode())
				assert.Equal(t, "1", r.Header.Get("Retry-After"))
			default:
				t.Errorf("unexpected answer %d %s", r.StatusCode, r.Body)
			}
		}
		assert.Equal(t, 1, ran, "exactly one copy ran")
		assert.Len(t, orders(t, env), 2, "the action wrote once")
	})
}

// inFlightStores are the stores on which a duplicate can be answered while
// the first request's transaction is open: PostgreSQL, and SQLite in a
// file (its readers do not wait for the writer; an in-memory SQLite store
// has one connection, so a duplicate queues behind the first and gets its
// replay).
func inFlightStores(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Run("sqlite-file", func(t *testing.T) {
		st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "idem.db"))
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		fn(t, st)
	})
	t.Run("postgres", func(t *testing.T) { fn(t, testenv.Open(t, testenv.Postgres)) })
}

// TestIdempotencyInProgress: a duplicate of a request still running is
// 409 IDEMPOTENCY_IN_PROGRESS with Retry-After, and gets the replay once
// the first finished.
func TestIdempotencyInProgress(t *testing.T) {
	inFlightStores(t, func(t *testing.T, st *store.Store) {
		g := newGate()
		env := idemEnv(t, st, nil, g)
		ada := env.User(t, "Ada")
		c := ada.With("Idempotency-Key", "slow")
		done := make(chan *objectostest.Response)
		go func() { done <- c.Post("/api/v1/actions/order/slow", `{"params":{"tag":"s"}}`) }()
		select {
		case <-g.started:
		case r := <-done:
			t.Fatalf("the first request did not reach its handler: %d %s", r.StatusCode, r.Body)
		}
		dup := c.Post("/api/v1/actions/order/slow", `{"params":{"tag":"s"}}`).Status(t, http.StatusConflict).Code(t, "IDEMPOTENCY_IN_PROGRESS")
		assert.Equal(t, "1", dup.Header.Get("Retry-After"))
		other := c.Post("/api/v1/actions/order/slow", `{"params":{"tag":"other"}}`)
		other.Status(t, http.StatusUnprocessableEntity).Code(t, "IDEMPOTENCY_KEY_REUSED")
		close(g.open)
		first := (<-done).Status(t, http.StatusOK)
		again := c.Post("/api/v1/actions/order/slow", `{"params":{"tag":"s"}}`).Status(t, http.StatusOK)
		assert.True(t, replayed(again))
		assert.Equal(t, string(first.Body), string(again.Body))
		assert.Len(t, orders(t, env), 1)
	})
}

// TestIdempotencyTakeover: the claim of a request that outlives
// LockTimeout (as one whose process died) is taken over by a retry, and
// the first request, finishing late, rolls its write back: one write.
func TestIdempotencyTakeover(t *testing.T) {
	st := testenv.Open(t, testenv.Postgres) // SQLite's one writer would make the retry wait for the first
	g := newGate()
	clock := objectostest.NewClock()
	env := idemEnv(t, st, clock, g)
	ada := env.User(t, "Ada")
	c := ada.With("Idempotency-Key", "takeover")
	done := make(chan *objectostest.Response)
	go func() { done <- c.Post("/api/v1/actions/order/slow", `{"params":{"tag":"t"}}`) }()
	<-g.started
	clock.Advance(objectos.DefaultIdempotencyLockTimeout + time.Second)
	retry := make(chan *objectostest.Response)
	go func() { retry <- c.Post("/api/v1/actions/order/slow", `{"params":{"tag":"t"}}`) }()
	<-g.started // the retry took the claim over and runs
	close(g.open)
	r1, r2 := <-done, <-retry
	r2.Status(t, http.StatusOK)
	assert.False(t, replayed(r2))
	r1.Status(t, http.StatusConflict).Code(t, "IDEMPOTENCY_IN_PROGRESS")
	assert.Len(t, orders(t, env), 1, "the late first request rolled back")
	again := c.Post("/api/v1/actions/order/slow", `{"params":{"tag":"t"}}`).Status(t, http.StatusOK)
	assert.True(t, replayed(again))
	assert.Equal(t, string(r2.Body), string(again.Body))
}
