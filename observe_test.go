package objectos_test

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
)

type observerKey struct{}

// observed is what a recordingObserver saw of one request.
type observed struct {
	rec objectos.RequestRecord
	// value is what the request's context held under observerKey when it
	// ended.
	value any
}

// recordingObserver marks each request's context with its name and
// records the requests it was told of; order, shared between observers,
// records the calls.
type recordingObserver struct {
	name  string
	mu    sync.Mutex
	done  []observed
	order *[]string
}

func (o *recordingObserver) Name() string { return "observer-" + o.name }

func (o *recordingObserver) RequestStarted(r *http.Request) context.Context {
	o.mu.Lock()
	*o.order = append(*o.order, "start "+o.name)
	o.mu.Unlock()
	prev, _ := r.Context().Value(observerKey{}).(string)
	return context.WithValue(r.Context(), observerKey{}, prev+o.name)
}

func (o *recordingObserver) RequestDone(r *http.Request, rec objectos.RequestRecord) {
	o.mu.Lock()
	defer o.mu.Unlock()
	*o.order = append(*o.order, "done "+o.name)
	o.done = append(o.done, observed{rec: rec, value: r.Context().Value(observerKey{})})
}

// byID returns what the observer saw of the request with the id.
func (o *recordingObserver) byID(t *testing.T, id string) observed {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, d := range o.done {
		if d.rec.RequestID == id {
			return d
		}
	}
	t.Fatalf("observer %s was not told of request %s", o.name, id)
	return observed{}
}

// ctxRoute answers with what the request's context holds under
// observerKey and its request id, as a handler sees them.
type ctxRoute struct{}

func (ctxRoute) Name() string { return "test-ctx" }

func (ctxRoute) Routes(r *objectos.Router) {
	r.HandleFunc(http.MethodGet, "/test/ctx", func(w http.ResponseWriter, req *http.Request) {
		v, _ := req.Context().Value(observerKey{}).(string)
		objectos.WriteData(w, http.StatusOK, map[string]any{"observed": v, "requestId": objectos.RequestID(req.Context())})
	})
}

// TestRequestObserver: a plugin that implements RequestObserver replaces
// the request's context for the handlers (the Stack's own request state
// kept), and is told of every request with what the access line records,
// with or without the line; several observers start in order and end last
// first.
func TestRequestObserver(t *testing.T) {
	var order []string
	a := &recordingObserver{name: "a", order: &order}
	b := &recordingObserver{name: "b", order: &order}
	logs := &logBuffer{}
	env := objectostest.New(t, crmArtifact(), objectostest.Options{
		Store:   testenv.Open(t, testenv.SQLite),
		Plugins: []objectos.Plugin{ctxRoute{}, failRoute{}, a, b},
		Configure: func(o *objectos.Options) {
			o.Logger = slog.New(slog.NewJSONHandler(logs, nil))
		},
	})

	r := env.Client().Get("/api/v1/test/ctx").Status(t, http.StatusOK)
	id := r.Header.Get("X-Request-Id")
	assert.Equal(t, "ab", r.Value("data.observed"), "the handler runs with the observers' context")
	assert.Equal(t, id, r.Value("data.requestId"), "the Stack's request state survives the observers")
	assert.Equal(t, []string{"start a", "start b", "done b", "done a"}, order)
	got := a.byID(t, id)
	assert.Equal(t, "ab", got.value, "RequestDone sees the context the observers returned")
	assert.Equal(t, "GET", got.rec.Method)
	assert.Equal(t, "/api/v1/test/ctx", got.rec.Route)
	assert.Equal(t, 200, got.rec.Status)
	assert.Equal(t, int64(len(r.Body)), got.rec.Bytes)
	assert.False(t, got.rec.Start.IsZero())
	assert.Positive(t, got.rec.Duration)
	assert.Equal(t, got.rec, b.byID(t, id).rec)

	// The record says what the access line says.
	alice := env.Admin(t, "alice")
	created := alice.Post("/api/v1/data/account", map[string]any{"name": "Acme"}).Status(t, http.StatusCreated)
	r = alice.Get("/api/v1/data/account/"+created.ID()).Status(t, http.StatusOK)
	id = r.Header.Get("X-Request-Id")
	rec := a.byID(t, id).rec
	line := logs.line(t, id)
	assert.Equal(t, objectos.RequestRecord{
		Method: "GET", Route: "/api/v1/data/{object}/{id}", Status: 200, Start: rec.Start, Duration: rec.Duration,
		Bytes: int64(len(r.Body)), RequestID: id, Object: "account", PrincipalID: alice.ID, AuthMethod: objectos.AuthBearer,
	}, rec)
	for k, v := range map[string]any{"method": rec.Method, "route": rec.Route, "status": float64(rec.Status),
		"bytes": float64(rec.Bytes), "object": rec.Object, "principal_id": rec.PrincipalID, "auth_method": string(rec.AuthMethod)} {
		assert.Equal(t, v, line[k], k)
	}

	r = env.Client().Get("/api/v1/test/fail").Status(t, http.StatusInternalServerError)
	assert.Equal(t, 500, a.byID(t, r.Header.Get("X-Request-Id")).rec.Status)

	r = env.Client().Get("/elsewhere").Status(t, http.StatusNotFound)
	rec = a.byID(t, r.Header.Get("X-Request-Id")).rec
	assert.Equal(t, "", rec.Route, "no route was reached")
	assert.Equal(t, 404, rec.Status)

	t.Run("without the access line", func(t *testing.T) {
		var order []string
		o := &recordingObserver{name: "o", order: &order}
		env := objectostest.New(t, crmArtifact(), objectostest.Options{
			Store:     testenv.Open(t, testenv.SQLite),
			Plugins:   []objectos.Plugin{ctxRoute{}, o},
			Configure: func(opts *objectos.Options) { opts.NoAccessLog = true },
		})
		r := env.Client().Get("/api/v1/test/ctx").Status(t, http.StatusOK)
		assert.Equal(t, "o", r.Value("data.observed"))
		got := o.byID(t, r.Header.Get("X-Request-Id"))
		assert.Equal(t, "/api/v1/test/ctx", got.rec.Route)
		assert.Equal(t, int64(len(r.Body)), got.rec.Bytes)
	})

	t.Run("draining", func(t *testing.T) {
		var order []string
		o := &recordingObserver{name: "o", order: &order}
		env := objectostest.New(t, crmArtifact(), objectostest.Options{
			Store: testenv.Open(t, testenv.SQLite), Plugins: []objectos.Plugin{ctxRoute{}, o},
		})
		require.NoError(t, env.Stack.Shutdown(t.Context()))
		r := env.Client().Get("/api/v1/test/ctx").Status(t, http.StatusServiceUnavailable)
		got := o.byID(t, r.Header.Get("X-Request-Id"))
		assert.Equal(t, 503, got.rec.Status)
		assert.Equal(t, "", got.rec.Route)
	})
}
