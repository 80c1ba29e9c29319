package objectos_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

// slowRoute answers GET /test/slow once release is closed, after telling
// started; it counts its Close, as a plugin with a schedule would stop it.
type slowRoute struct {
	started, release chan struct{}
	closed           atomic.Int32
}

func (p *slowRoute) Name() string { return "test-slow" }

func (p *slowRoute) Close() error { p.closed.Add(1); return nil }

func (p *slowRoute) Routes(r *objectos.Router) {
	r.HandleFunc(http.MethodGet, "/test/slow", func(w http.ResponseWriter, req *http.Request) {
		p.started <- struct{}{}
		<-p.release
		objectos.WriteData(w, http.StatusOK, map[string]any{"done": true})
	})
}

func newSlowEnv(t *testing.T, st *store.Store) (*objectostest.Env, *slowRoute) {
	t.Helper()
	slow := &slowRoute{started: make(chan struct{}, 1), release: make(chan struct{})}
	env := objectostest.New(t, crmArtifact(), objectostest.Options{Store: st, Plugins: []objectos.Plugin{slow}})
	return env, slow
}

func TestShutdown(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		env, slow := newSlowEnv(t, st)
		alice := env.Admin(t, "alice").SignIn(t)
		alice.Post("/api/v1/data/account", map[string]any{"name": "Acme"}).Status(t, http.StatusCreated)

		inFlight := make(chan *objectostest.Response, 1)
		go func() { inFlight <- alice.Get("/api/v1/test/slow") }()
		<-slow.started

		done := make(chan error, 1)
		go func() { done <- env.Stack.Shutdown(context.Background()) }()
		require.Eventually(t, env.Stack.Draining, 5*time.Second, time.Millisecond)

		// New requests are turned away, probes excepted.
		r := alice.Get("/api/v1/data/account").Status(t, http.StatusServiceUnavailable).Code(t, "SERVICE_UNAVAILABLE")
		assert.Equal(t, "5", r.Header.Get("Retry-After"))
		r.Equal(t, "error.details.state", "draining")
		assert.NotEmpty(t, r.Header.Get("X-Request-Id"))
		alice.Post("/api/v1/data/account", map[string]any{"name": "Late"}).Status(t, http.StatusServiceUnavailable)
		env.Client().Get("/api/v1/health").Status(t, http.StatusOK).Equal(t, "data.status", "ok")
		r = env.Client().Get("/api/v1/ready").Status(t, http.StatusServiceUnavailable).Equal(t, "error.details.state", "draining")
		assert.Equal(t, "5", r.Header.Get("Retry-After"))

		select {
		case err := <-done:
			t.Fatalf("Shutdown returned %v with a request in flight", err)
		case <-time.After(20 * time.Millisecond):
		}
		assert.Zero(t, slow.closed.Load(), "plugins stay open while a request runs")

		close(slow.release)
		(<-inFlight).Status(t, http.StatusOK).Equal(t, "data.done", true)
		require.NoError(t, <-done)
		assert.Equal(t, int32(1), slow.closed.Load(), "Shutdown closes the plugins")

		// Nothing late was written.
		res, err := env.Stack.List(objectos.AsSystem(t.Context()), "account", objectos.Query{})
		require.NoError(t, err)
		assert.Len(t, res.Records, 1)
		alice.Get("/api/v1/data/account").Status(t, http.StatusServiceUnavailable)
	})
}

// TestShutdownDeadline: a request that outlives ctx makes Shutdown return
// ctx's error, with the plugins still open for it.
func TestShutdownDeadline(t *testing.T) {
	env, slow := newSlowEnv(t, testenv.Open(t, testenv.SQLite))
	inFlight := make(chan *objectostest.Response, 1)
	go func() { inFlight <- env.Client().Get("/api/v1/test/slow") }()
	<-slow.started

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, env.Stack.Shutdown(ctx), context.DeadlineExceeded)
	assert.Zero(t, slow.closed.Load())

	close(slow.release)
	(<-inFlight).Status(t, http.StatusOK)
	require.NoError(t, env.Stack.Shutdown(t.Context()), "a second Shutdown finds nothing in flight")
	assert.Equal(t, int32(1), slow.closed.Load())
}
