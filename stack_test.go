package objectos_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

type echoPlugin struct{ inited bool }

func (p *echoPlugin) Name() string { return "echo" }

func (p *echoPlugin) Routes(r *objectos.Router) {
	r.HandleFunc("GET", "/echo/{name}", func(w http.ResponseWriter, r *http.Request) {
		objectos.WriteData(w, http.StatusOK, map[string]string{"name": r.PathValue("name")})
	})
	r.HandleFunc("POST", "/echo/{name}", func(w http.ResponseWriter, r *http.Request) {
		objectos.WriteData(w, http.StatusCreated, nil)
	})
	r.HandleFunc("GET", "/panic", func(w http.ResponseWriter, r *http.Request) {
		panic("secret internal detail")
	})
}

func (p *echoPlugin) Objects() []*objectos.Object {
	return []*objectos.Object{{Name: "sys_widget", Ownership: objectos.OwnershipNone,
		Fields: []*objectos.Field{{Name: "label", Type: objectos.TypeText}}}}
}

func (p *echoPlugin) Init(ctx context.Context, st *objectos.Stack) error {
	p.inited = st.Object("sys_widget") != nil
	return nil
}

func decode(t testing.TB, body io.Reader) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.NewDecoder(body).Decode(&m))
	return m
}

func do(t testing.TB, h http.Handler, method, target string, hdr map[string]string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var body map[string]any
	if rec.Body.Len() > 0 {
		body = decode(t, rec.Body)
	}
	return rec, body
}

func TestKernelRoutes(t *testing.T) {
	p := &echoPlugin{}
	s := newStack(t, testenv.Open(t, testenv.SQLite), crmArtifact(), func(o *objectos.Options) {
		o.Plugins = []objectos.Plugin{p}
	})
	assert.True(t, p.inited, "Init runs after sync, with system objects")
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", s)

	rec, body := do(t, mux, "GET", "/api/v1/health", nil)
	assert.Equal(t, 200, rec.Code)
	assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Equal(t, true, body["success"])
	data := body["data"].(map[string]any)
	assert.Equal(t, "ok", data["status"])
	assert.Equal(t, "1.2.3", data["version"])
	_, err := time.Parse(objectos.DatetimeLayout, data["timestamp"].(string))
	assert.NoError(t, err)
	assert.IsType(t, 0.0, data["uptime"])
	assert.Len(t, rec.Header().Get("X-Request-Id"), 32)

	rec, body = do(t, mux, "GET", "/api/v1/ready", map[string]string{"X-Request-Id": "abc-123"})
	assert.Equal(t, 200, rec.Code)
	assert.Equal(t, "abc-123", rec.Header().Get("X-Request-Id"))
	assert.Equal(t, map[string]any{"status": "ready", "state": "running"}, body["data"])

	rec, _ = do(t, mux, "HEAD", "/api/v1/health", nil)
	assert.Equal(t, 200, rec.Code, "HEAD is served by the GET route")

	rec, body = do(t, mux, "GET", "/api/v1/echo/x%20y", nil)
	assert.Equal(t, 200, rec.Code)
	assert.Equal(t, "x y", body["data"].(map[string]any)["name"])

	rec, body = do(t, mux, "DELETE", "/api/v1/echo/x", nil)
	assert.Equal(t, 405, rec.Code)
	assert.Equal(t, "GET, POST", rec.Header().Get("Allow"))
	e := body["error"].(map[string]any)
	assert.Equal(t, "METHOD_NOT_ALLOWED", e["code"])
	assert.Equal(t, 405.0, e["httpStatus"])

	rec, body = do(t, mux, "GET", "/api/v1/nowhere", nil)
	assert.Equal(t, 404, rec.Code)
	assert.Equal(t, false, body["success"])
	assert.Equal(t, "NOT_FOUND", body["error"].(map[string]any)["code"])

	rec, body = do(t, mux, "GET", "/api/v1/panic", map[string]string{"X-Request-Id": "bad id with spaces"})
	assert.Equal(t, 500, rec.Code)
	assert.Equal(t, "INTERNAL_ERROR", body["error"].(map[string]any)["code"])
	assert.NotContains(t, rec.Body.String(), "secret")
	assert.NotEqual(t, "bad id with spaces", rec.Header().Get("X-Request-Id"))

	// The system object was created by schema sync.
	_, err = s.Create(system(), "sys_widget", objectos.Record{"label": "w"})
	require.NoError(t, err)
}

func TestKernelCustomBasePath(t *testing.T) {
	s := newStack(t, testenv.Open(t, testenv.SQLite), crmArtifact(), func(o *objectos.Options) {
		o.BasePath = "/svc/api/"
		o.Plugins = []objectos.Plugin{&echoPlugin{}}
	})
	assert.Equal(t, "/svc/api", s.BasePath())
	mux := http.NewServeMux()
	mux.Handle("/svc/api/", s)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(418) })
	rec, _ := do(t, mux, "GET", "/svc/api/echo/a", nil)
	assert.Equal(t, 200, rec.Code)
	rec, _ = do(t, mux, "GET", "/other", nil)
	assert.Equal(t, 418, rec.Code, "the host's own routes are untouched")
	rec, body := do(t, s, "GET", "/api/v1/health", nil)
	assert.Equal(t, 404, rec.Code, "a path outside the base path")
	assert.Equal(t, "NOT_FOUND", body["error"].(map[string]any)["code"])
	assert.Contains(t, body["error"].(map[string]any)["message"], "served under /svc/api (Options.BasePath)",
		"the 404 names the base path")

	// behind http.StripPrefix the Stack sees paths without its base path
	mux = http.NewServeMux()
	mux.Handle("/svc/api/", http.StripPrefix("/svc/api", s))
	rec, body = do(t, mux, "GET", "/svc/api/echo/a", nil)
	assert.Equal(t, 404, rec.Code)
	msg := body["error"].(map[string]any)["message"].(string)
	assert.Contains(t, msg, "No route for GET /echo/a.")
	assert.Contains(t, msg, "http.StripPrefix")
	// a path inside the base path that no route serves says nothing of it
	rec, body = do(t, s, "GET", "/svc/api/nothing", nil)
	assert.Equal(t, 404, rec.Code)
	assert.NotContains(t, body["error"].(map[string]any)["message"], "BasePath")
}

func TestNewRefusesBadWiring(t *testing.T) {
	st := testenv.Open(t, testenv.SQLite)
	ctx := context.Background()
	_, err := objectos.New(ctx, objectos.Options{Store: st})
	assert.ErrorContains(t, err, "Artifact is required")
	_, err = objectos.New(ctx, objectos.Options{Artifact: crmArtifact()})
	assert.ErrorContains(t, err, "Store is required")
	_, err = objectos.New(ctx, objectos.Options{Artifact: crmArtifact(), Store: st, BasePath: "api"})
	assert.ErrorContains(t, err, "must start with /")
	_, err = objectos.New(ctx, objectos.Options{Artifact: crmArtifact(), Store: st,
		Plugins: []objectos.Plugin{&echoPlugin{}, &echoPlugin{}}})
	assert.ErrorContains(t, err, `two plugins are named "echo"`)
	_, err = objectos.New(ctx, objectos.Options{Artifact: crmArtifact(), Store: st,
		Plugins: []objectos.Plugin{badObjects{}}})
	assert.ErrorContains(t, err, `must be named sys_*`)
	_, err = objectos.New(ctx, objectos.Options{Artifact: crmArtifact(), Store: st,
		Hooks: []objectos.Hook{{Object: "nope", Func: func(context.Context, *objectos.HookContext) error { return nil }}}})
	assert.ErrorContains(t, err, `hook for unknown object "nope"`)
}

// A plugin's objects that reference an object no plugin provides (an API
// key's user without the auth plugin) stop New, naming both.
func TestNewRefusesAMissingDependency(t *testing.T) {
	_, err := objectos.New(context.Background(), objectos.Options{Artifact: crmArtifact(), Store: testenv.Open(t, testenv.SQLite),
		Plugins: []objectos.Plugin{needsUsers{}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `plugin keys: object sys_key: field owner references object "sys_user"`)
	assert.Contains(t, err.Error(), "which no plugin provides")
	assert.Contains(t, err.Error(), "auth")
}

type needsUsers struct{}

func (needsUsers) Name() string { return "keys" }
func (needsUsers) Objects() []*objectos.Object {
	return []*objectos.Object{{Name: "sys_key", Ownership: objectos.OwnershipNone, Fields: []*objectos.Field{
		{Name: "owner", Type: objectos.TypeLookup, Reference: objectos.UserObject}}}}
}

type badObjects struct{}

func (badObjects) Name() string { return "bad" }
func (badObjects) Objects() []*objectos.Object {
	return []*objectos.Object{{Name: "widget"}}
}

func TestAuthChain(t *testing.T) {
	none := objectos.AuthFunc(func(r *http.Request) (*objectos.Principal, error) { return nil, objectos.ErrNoCredentials })
	hdr := authByHeader{}
	s := newStack(t, testenv.Open(t, testenv.SQLite), crmArtifact(), func(o *objectos.Options) {
		o.Plugins = []objectos.Plugin{none, hdr}
	})
	req := httptest.NewRequest("GET", "/", nil)
	_, err := s.Authenticate(req)
	assert.ErrorIs(t, err, objectos.ErrNoCredentials)
	req.Header.Set("X-Test-User", "alice")
	p, err := s.Authenticate(req)
	require.NoError(t, err)
	assert.Equal(t, "alice", p.UserID)
	req.Header.Set("X-Test-User", "!")
	_, err = s.Authenticate(req)
	assert.True(t, objectos.IsCode(err, objectos.CodeInvalidToken))
}

type authByHeader struct{}

func (authByHeader) Name() string { return "header" }
func (authByHeader) Authenticate(r *http.Request) (*objectos.Principal, error) {
	u := r.Header.Get("X-Test-User")
	switch u {
	case "":
		return nil, objectos.ErrNoCredentials
	case "!":
		return nil, objectos.NewError(objectos.CodeInvalidToken, "bad")
	}
	return &objectos.Principal{UserID: u, Method: objectos.AuthCustom}, nil
}

func TestReadyFollowsTheDatabase(t *testing.T) {
	dsn := testenv.Schema(t) // skips without PostgreSQL
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	px := testenv.NewProxy(t, u.Host)
	u.Host = px.Addr()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	st, err := store.OpenPostgres(context.Background(), u.String())
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	s := newStack(t, st, crmArtifact())

	rec, _ := do(t, s, "GET", "/api/v1/ready", nil)
	require.Equal(t, 200, rec.Code)

	px.Cut()
	rec, body := do(t, s, "GET", "/api/v1/ready", nil)
	assert.Equal(t, 503, rec.Code)
	assert.Equal(t, "1", rec.Header().Get("Retry-After"))
	e := body["error"].(map[string]any)
	assert.Equal(t, "SERVICE_UNAVAILABLE", e["code"])
	assert.NotContains(t, rec.Body.String(), "127.0.0.1")
	_, err = s.Get(as("u"), "account", "x", objectos.GetOptions{})
	requireCode(t, err, objectos.CodeServiceUnavailable)
	rec, _ = do(t, s, "GET", "/api/v1/health", nil)
	assert.Equal(t, 200, rec.Code, "liveness does not depend on the database")

	px.Restore()
	require.Eventually(t, func() bool {
		rec, _ := do(t, s, "GET", "/api/v1/ready", nil)
		return rec.Code == 200
	}, 10*time.Second, 50*time.Millisecond, "ready recovers by itself")
	_, err = s.Create(as("u"), "account", objectos.Record{"name": "after outage"})
	require.NoError(t, err)
}

func TestErrorsNeverCarryDriverText(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newStack(t, st, crmArtifact())
		mustCreate(t, s, as("u"), "account", objectos.Record{"name": "A", "code": "dup"})
		_, err := s.Create(as("u"), "account", objectos.Record{"name": "B", "code": "dup"})
		e := requireCode(t, err, objectos.CodeUniqueViolation)
		for _, bad := range []string{"UNIQUE", "constraint", "duplicate key", "uq_", "SQL", "pq:", "sqlite"} {
			assert.NotContains(t, e.Message, bad)
		}
		assert.Error(t, e.Unwrap(), "the driver error is kept as the cause, for logs")
		assert.True(t, strings.Contains(e.Error(), e.Unwrap().Error()))
	})
}

// TestUncleanPathsAreNotRedirected: the mux would answer a path with dot
// segments or double slashes with a redirect to the cleaned path without
// the base path; the Stack answers 404 itself.
func TestUncleanPathsAreNotRedirected(t *testing.T) {
	s := newStack(t, testenv.Open(t, testenv.SQLite), crmArtifact(), func(o *objectos.Options) {
		o.Plugins = []objectos.Plugin{&echoPlugin{}}
	})
	for _, p := range []string{"/api/v1/echo/x/../../health", "/api/v1/echo/%2E%2E/health", "/api/v1//health", "/api/v1/./health",
		"/api/v1/echo/a%2F..%2F..%2Fhealth"} {
		rec, body := do(t, s, "GET", p, nil)
		assert.Equal(t, http.StatusNotFound, rec.Code, p)
		assert.Empty(t, rec.Header().Get("Location"), p)
		assert.Equal(t, "NOT_FOUND", body["error"].(map[string]any)["code"], p)
	}
	rec, _ := do(t, s, "GET", "/api/v1/health", nil)
	assert.Equal(t, http.StatusOK, rec.Code)
}

// TestNewClosesPluginsWhenItFails: when a plugin fails to start, New closes
// the plugins (io.Closer) so that what the earlier ones started (the auth
// plugin's purge schedule, say) does not outlive the Stack that never was.
func TestNewClosesPluginsWhenItFails(t *testing.T) {
	c := &closeRecorder{}
	_, err := objectos.New(context.Background(), objectos.Options{Artifact: &objectos.Artifact{Name: "x"},
		Store: testenv.Open(t, testenv.SQLite), Plugins: []objectos.Plugin{c, failingInit{}}})
	require.Error(t, err)
	assert.True(t, c.closed.Load())
}

type closeRecorder struct{ closed atomic.Bool }

func (*closeRecorder) Name() string                                { return "recorder" }
func (*closeRecorder) Init(context.Context, *objectos.Stack) error { return nil }
func (c *closeRecorder) Close() error                              { c.closed.Store(true); return nil }

type failingInit struct{}

func (failingInit) Name() string                                { return "failing" }
func (failingInit) Init(context.Context, *objectos.Stack) error { return errors.New("cannot start") }

// TestResolveObjects: without a store, the objects a Stack of the same
// artifact and plugins would sync, with their system fields.
func TestResolveObjects(t *testing.T) {
	plugins := []objectos.Plugin{&echoPlugin{}}
	objs, err := objectos.ResolveObjects(crmArtifact(), plugins)
	require.NoError(t, err)
	s := newStack(t, testenv.Open(t, testenv.SQLite), crmArtifact(), func(o *objectos.Options) { o.Plugins = plugins })
	require.Equal(t, len(s.Objects()), len(objs))
	for i, o := range s.Objects() {
		assert.Equal(t, o.Name, objs[i].Name)
		assert.Equal(t, o.System, objs[i].System)
		require.Equal(t, len(o.Fields), len(objs[i].Fields), o.Name)
		for j, f := range o.Fields {
			assert.Equal(t, *f, *objs[i].Fields[j], o.Name)
		}
	}
	assert.NotNil(t, objs[0].Field(objectos.FieldCreatedAt), "system fields are injected")

	_, err = objectos.ResolveObjects(crmArtifact(), []objectos.Plugin{badObjects{}})
	assert.ErrorContains(t, err, `must be named sys_*`)
	_, err = objectos.ResolveObjects(&objectos.Artifact{Objects: []*objectos.Object{{Name: "Bad"}}}, nil)
	var ae *objectos.ArtifactError
	assert.ErrorAs(t, err, &ae)
}
