package telemetry_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
	"github.com/objectos-go/objectos/telemetry"
)

func artifact() *objectos.Artifact {
	return &objectos.Artifact{Name: "telemetry", Objects: []*objectos.Object{{
		Name: "account",
		Fields: []*objectos.Field{
			{Name: "name", Type: objectos.TypeText, Required: true},
			{Name: "code", Type: objectos.TypeText, Unique: true},
		},
	}}}
}

// failRoute answers 500 at /test/fail.
type failRoute struct{}

func (failRoute) Name() string { return "test-fail" }

func (failRoute) Routes(r *objectos.Router) {
	st := r.Stack()
	r.HandleFunc(http.MethodGet, "/test/fail", func(w http.ResponseWriter, req *http.Request) {
		st.WriteError(w, req, objectos.NewError(objectos.CodeInternal, "An internal error occurred.").
			WithCause(errors.New("disk on fire")))
	})
}

// observed is a Stack with the telemetry plugin on st, its spans and its
// metrics in memory.
type observed struct {
	*objectostest.Env
	tel    *telemetry.Plugin
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
}

func newObserved(t *testing.T, st *store.Store) *observed {
	t.Helper()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	tel, err := telemetry.New(telemetry.Options{
		TracerProvider: tp, MeterProvider: mp, Propagator: propagation.TraceContext{}, Store: st,
	})
	require.NoError(t, err)
	env := objectostest.New(t, artifact(), objectostest.Options{Store: st, Plugins: []objectos.Plugin{failRoute{}, tel}})
	return &observed{Env: env, tel: tel, spans: spans, reader: reader}
}

// request returns the server span of the request with the id, and the
// spans of its trace below it.
func (o *observed) request(t *testing.T, id string) (sdktrace.ReadOnlySpan, []sdktrace.ReadOnlySpan) {
	t.Helper()
	var server sdktrace.ReadOnlySpan
	for _, s := range o.spans.Ended() {
		if s.SpanKind() == trace.SpanKindServer && attr(s, "objectos.request_id") == id {
			server = s
		}
	}
	require.NotNil(t, server, "no server span for request %s", id)
	var children []sdktrace.ReadOnlySpan
	for _, s := range o.spans.Ended() {
		if s.Parent().SpanID() == server.SpanContext().SpanID() {
			children = append(children, s)
		}
	}
	return server, children
}

func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, a := range s.Attributes() {
		if string(a.Key) == key {
			return a.Value.Emit()
		}
	}
	return ""
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return out
}

// TestRequestSpans: a request is a server span named by its route, with
// the HTTP attributes, whose children are the spans of the statements it
// ran; a caller's traceparent makes it a child of the caller's span; a 5xx
// marks it failed; a statement the database refused is a failed span with
// its SQLSTATE or SQLite code.
func TestRequestSpans(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		o := newObserved(t, st)
		system := map[string]string{"pg": "postgresql", "sqlite": "sqlite"}[st.Dialect()]
		admin := o.Admin(t, "Ada")

		r := admin.Post("/api/v1/data/account", map[string]any{"name": "Acme", "code": "A-1"}).Status(t, http.StatusCreated)
		server, children := o.request(t, r.Header.Get("X-Request-Id"))
		assert.Equal(t, "POST /api/v1/data/{object}", server.Name())
		for k, v := range map[string]string{
			"http.request.method": "POST", "http.route": "/api/v1/data/{object}", "http.response.status_code": "201",
			"url.scheme": "http", "objectos.object": "account", "objectos.auth_method": "bearer",
		} {
			assert.Equal(t, v, attr(server, k), k)
		}
		assert.Equal(t, codes.Unset, server.Status().Code)
		assert.False(t, server.Parent().IsValid(), "a request without traceparent starts a trace")
		assert.Contains(t, names(children), "INSERT account", "%q", names(children))
		for _, c := range children {
			assert.Equal(t, trace.SpanKindClient, c.SpanKind())
			assert.Equal(t, server.SpanContext().TraceID(), c.SpanContext().TraceID())
			assert.False(t, c.StartTime().Before(server.StartTime()), c.Name())
			assert.False(t, c.EndTime().After(server.EndTime()), c.Name())
			assert.Equal(t, system, attr(c, "db.system.name"), c.Name())
			if c.Name() == "INSERT account" {
				assert.Equal(t, "INSERT", attr(c, "db.operation.name"))
				assert.Equal(t, "account", attr(c, "db.collection.name"))
				assert.True(t, strings.HasPrefix(attr(c, "db.query.text"), `INSERT INTO "account" (`), attr(c, "db.query.text"))
			}
		}

		// the caller's trace
		const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
		r = admin.With("traceparent", "00-"+traceID+"-"+parentID+"-01").Get("/api/v1/data/account/"+r.ID()).
			Status(t, http.StatusOK)
		server, children = o.request(t, r.Header.Get("X-Request-Id"))
		assert.Equal(t, "GET /api/v1/data/{object}/{id}", server.Name())
		assert.Equal(t, traceID, server.SpanContext().TraceID().String())
		assert.Equal(t, parentID, server.Parent().SpanID().String())
		assert.True(t, server.Parent().IsRemote())
		assert.Contains(t, names(children), "SELECT account", "%q", names(children))

		// a failed request
		r = o.Client().Get("/api/v1/test/fail").Status(t, http.StatusInternalServerError)
		server, _ = o.request(t, r.Header.Get("X-Request-Id"))
		assert.Equal(t, codes.Error, server.Status().Code)
		assert.Equal(t, "500", attr(server, "error.type"))
		assert.NotContains(t, fmt.Sprint(server.Attributes(), server.Events(), server.Status()), "disk on fire")

		// a statement the database refused
		r = admin.Post("/api/v1/data/account", map[string]any{"name": "Copy", "code": "A-1"}).Status(t, http.StatusConflict)
		server, children = o.request(t, r.Header.Get("X-Request-Id"))
		assert.Equal(t, "409", attr(server, "http.response.status_code"))
		assert.Equal(t, codes.Unset, server.Status().Code, "a 4xx is the client's")
		var insert sdktrace.ReadOnlySpan
		for _, c := range children {
			if c.Name() == "INSERT account" {
				insert = c
			}
		}
		require.NotNil(t, insert, "%q", names(children))
		assert.Equal(t, codes.Error, insert.Status().Code)
		code := map[string]string{"pg": "23505", "sqlite": "2067"}[st.Dialect()] // unique violation
		assert.Equal(t, code, attr(insert, "error.type"))
		assert.Equal(t, code, attr(insert, "db.response.status_code"))
		assert.Empty(t, insert.Events(), "no error message is recorded")
		assert.NotContains(t, fmt.Sprint(insert.Attributes(), insert.Status()), "A-1")
	})
}

// TestNoSecretInSpans signs up and in with a password, fails a sign-in,
// uses bearer, cookie and API-key credentials, forges some, puts a token
// in a query string and a header, changes the password, and writes records
// with distinctive values, then looks for each secret, each password, token
// and key hash the database holds, and each value in every span's name,
// attributes, events, links and status.
func TestNoSecretInSpans(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		o := newObserved(t, st)
		const (
			password    = "Correct-Horse-Battery-91"
			newPassword = "Staple-Tuesday-Orbit-37"
			wrong       = "Wrong-Guess-Lantern-55"
			forged      = "forged-token-Qx7Lm2Vb9Kz4"
			forgedKey   = "osk_forged_key_Hy6Tn3Wd8Pa1"
			value       = "Confidential-Deal-Pz8Rw3Nd"
		)
		secrets := map[string]string{"password": password, "new password": newPassword, "wrong password": wrong,
			"forged token": forged, "forged key": forgedKey, "record value": value}
		anon := o.Client()
		anon.Post("/api/v1/auth/sign-up/email", map[string]any{"name": "Ada", "email": "ada@example.com", "password": password}).
			Status(t, http.StatusOK)
		anon.Post("/api/v1/auth/sign-in/email", map[string]any{"email": "ada@example.com", "password": wrong}).
			Status(t, http.StatusUnauthorized)
		bearer := o.SignIn(t, "ada@example.com", password)
		secrets["session token"] = bearer.Token
		created := bearer.Post("/api/v1/data/account", map[string]any{"name": value}).Status(t, http.StatusCreated)
		bearer.Get(`/api/v1/data/account?filter={"name":"`+value+`"}`).Status(t, http.StatusOK)
		bearer.Patch("/api/v1/data/account/"+created.ID(), map[string]any{"code": value}).Status(t, http.StatusOK)

		browser := o.Browser()
		signIn := browser.Post("/api/v1/auth/sign-in/email", map[string]any{"email": "ada@example.com", "password": password}).
			Status(t, http.StatusOK)
		require.NotEmpty(t, signIn.Cookies())
		for _, c := range signIn.Cookies() {
			secrets["cookie "+c.Name] = c.Value
		}
		browser.Get("/api/v1/data/account").Status(t, http.StatusOK)

		mint := bearer.Post("/api/v1/keys", map[string]any{"name": "export"}).Status(t, http.StatusCreated)
		key, _ := mint.Value("key").(string)
		require.NotEmpty(t, key)
		secrets["api key"] = key
		o.Client().With("X-Api-Key", key).Get("/api/v1/data/account").Status(t, http.StatusOK)
		o.Bearer(key).Get("/api/v1/data/account").Status(t, http.StatusOK)

		o.Bearer(forged).Get("/api/v1/data/account").Status(t, http.StatusUnauthorized)
		o.Client().With("X-Api-Key", forgedKey).Get("/api/v1/data/account").Status(t, http.StatusUnauthorized)
		o.Client().With("Cookie", "better-auth.session_token="+forged).Get("/api/v1/auth/get-session")
		o.Client().With("X-Custom", forged).Get("/api/v1/data/account/nope?token=" + forged)

		bearer.Post("/api/v1/auth/change-password", map[string]any{"currentPassword": password, "newPassword": newPassword}).
			Status(t, http.StatusOK)
		again := o.SignIn(t, "ada@example.com", newPassword)
		secrets["second session token"] = again.Token
		again.Post("/api/v1/auth/sign-out", nil)

		// what the database holds of them
		sys := objectos.AsSystem(context.Background())
		for object, field := range map[string]string{"sys_account": "password_hash", "sys_session": "token_hash", "sys_api_key": "key_hash"} {
			res, err := o.Stack.List(sys, object, objectos.Query{Fields: []string{field}})
			require.NoError(t, err)
			require.NotEmpty(t, res.Records, object)
			for i, rec := range res.Records {
				h, _ := rec[field].(string)
				require.NotEmpty(t, h, "%s.%s", object, field)
				secrets[fmt.Sprintf("%s.%s #%d", object, field, i)] = h
			}
		}

		spans := o.spans.Ended()
		require.Greater(t, len(spans), 50)
		var dump strings.Builder
		for _, s := range spans {
			dump.WriteString(s.Name() + "\n")
			for _, a := range s.Attributes() {
				dump.WriteString(string(a.Key) + "=" + a.Value.Emit() + "\n")
			}
			for _, e := range s.Events() {
				dump.WriteString(e.Name + fmt.Sprint(e.Attributes) + "\n")
			}
			for _, l := range s.Links() {
				dump.WriteString(fmt.Sprint(l.Attributes) + "\n")
			}
			dump.WriteString(s.Status().Description + "\n")
		}
		out := dump.String()
		assert.Contains(t, out, "db.query.text=", "the statements are there")
		assert.Contains(t, out, "POST /api/v1/auth/sign-in/email")
		for name, secret := range secrets {
			require.GreaterOrEqual(t, len(secret), 16, name)
			if line := lineWith(out, secret[len(secret)/2:]); line != "" {
				t.Errorf("a span holds the %s (or its second half): %s", name, line)
			}
		}
		assert.Empty(t, lineWith(out, "ada@example.com"), "nor an email address")
	})
}

// TestMetrics: http.server.request.duration by method, route and status,
// db.client.operation.duration by operation and table, and the pool's
// gauges, which the Stack's Close unregisters.
func TestMetrics(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		o := newObserved(t, st)
		system := map[string]string{"pg": "postgresql", "sqlite": "sqlite"}[st.Dialect()]
		admin := o.Admin(t, "Ada")
		for i := range 3 {
			admin.Post("/api/v1/data/account", map[string]any{"name": fmt.Sprint("A", i)}).Status(t, http.StatusCreated)
		}
		admin.Get("/api/v1/data/account").Status(t, http.StatusOK)
		o.Client().Get("/api/v1/test/fail").Status(t, http.StatusInternalServerError)
		admin.Do("PROPFIND", "/api/v1/data/account", nil).Status(t, http.StatusMethodNotAllowed)

		m := collect(t, o.reader)
		requests := histogram(t, m, "http.server.request.duration")
		assert.Equal(t, "s", unit(m, "http.server.request.duration"))
		post := point(t, requests, map[string]string{"http.request.method": "POST", "http.route": "/api/v1/data/{object}",
			"http.response.status_code": "201", "url.scheme": "http"})
		assert.Equal(t, uint64(3), post.Count)
		assert.Positive(t, post.Sum)
		assert.Equal(t, 4, post.Attributes.Len(), "method, route, status and scheme only: %v", post.Attributes.ToSlice())
		assert.Equal(t, uint64(1), point(t, requests, map[string]string{"http.request.method": "GET",
			"http.route": "/api/v1/data/{object}", "http.response.status_code": "200"}).Count)
		assert.Equal(t, uint64(1), point(t, requests, map[string]string{"http.route": "/api/v1/test/fail",
			"http.response.status_code": "500", "error.type": "500"}).Count)
		assert.Equal(t, uint64(1), point(t, requests, map[string]string{"http.request.method": "_OTHER",
			"http.response.status_code": "405"}).Count, "an unknown method makes no series of its own")

		statements := histogram(t, m, "db.client.operation.duration")
		insert := point(t, statements, map[string]string{"db.system.name": system, "db.operation.name": "INSERT",
			"db.collection.name": "account"})
		assert.Equal(t, uint64(3), insert.Count)

		count := gauge(t, m, "db.client.connection.count")
		idle := sumPoint(t, count, map[string]string{"db.client.connection.state": "idle", "db.client.connection.pool.name": "objectos"})
		used := sumPoint(t, count, map[string]string{"db.client.connection.state": "used"})
		assert.Positive(t, idle.Value+used.Value, "the pool has a connection open")
		stats := st.DB().DB.Stats()
		assert.Equal(t, int64(stats.MaxOpenConnections), sumPoint(t, gauge(t, m, "db.client.connection.max"), nil).Value)
		assert.GreaterOrEqual(t, sumPoint(t, gauge(t, m, "db.client.connection.waits"), nil).Value, int64(0))
		assert.Contains(t, metricNames(m), "db.client.connection.wait_duration")

		require.NoError(t, o.Stack.Close())
		assert.NotContains(t, metricNames(collect(t, o.reader)), "db.client.connection.count", "Close stops the pool metrics")
	})
}

// lineWith returns the first line of s that holds sub, or "".
func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

func collect(t *testing.T, r *sdkmetric.ManualReader) metricdata.ResourceMetrics {
	t.Helper()
	var m metricdata.ResourceMetrics
	require.NoError(t, r.Collect(context.Background(), &m))
	return m
}

func find(m metricdata.ResourceMetrics, name string) (metricdata.Metrics, bool) {
	for _, sm := range m.ScopeMetrics {
		for _, x := range sm.Metrics {
			if x.Name == name {
				return x, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

func metricNames(m metricdata.ResourceMetrics) []string {
	var out []string
	for _, sm := range m.ScopeMetrics {
		for _, x := range sm.Metrics {
			out = append(out, x.Name)
		}
	}
	return out
}

func unit(m metricdata.ResourceMetrics, name string) string {
	x, _ := find(m, name)
	return x.Unit
}

func histogram(t *testing.T, m metricdata.ResourceMetrics, name string) []metricdata.HistogramDataPoint[float64] {
	t.Helper()
	x, ok := find(m, name)
	require.True(t, ok, "no %s in %v", name, metricNames(m))
	h, ok := x.Data.(metricdata.Histogram[float64])
	require.True(t, ok, "%s is a %T", name, x.Data)
	return h.DataPoints
}

func gauge(t *testing.T, m metricdata.ResourceMetrics, name string) []metricdata.DataPoint[int64] {
	t.Helper()
	x, ok := find(m, name)
	require.True(t, ok, "no %s in %v", name, metricNames(m))
	s, ok := x.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is a %T", name, x.Data)
	return s.DataPoints
}

// matches reports whether set has every attribute of want.
func matches(set attribute.Set, want map[string]string) bool {
	for k, v := range want {
		got, ok := set.Value(attribute.Key(k))
		if !ok || got.Emit() != v {
			return false
		}
	}
	return true
}

func point(t *testing.T, ps []metricdata.HistogramDataPoint[float64], want map[string]string) metricdata.HistogramDataPoint[float64] {
	t.Helper()
	i := slices.IndexFunc(ps, func(p metricdata.HistogramDataPoint[float64]) bool { return matches(p.Attributes, want) })
	require.GreaterOrEqual(t, i, 0, "no point with %v", want)
	return ps[i]
}

func sumPoint(t *testing.T, ps []metricdata.DataPoint[int64], want map[string]string) metricdata.DataPoint[int64] {
	t.Helper()
	i := slices.IndexFunc(ps, func(p metricdata.DataPoint[int64]) bool { return matches(p.Attributes, want) })
	require.GreaterOrEqual(t, i, 0, "no point with %v", want)
	return ps[i]
}
