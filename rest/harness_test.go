package rest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/openapitest"
	"github.com/objectos-go/objectos/rest"
)

// testAuth maps the X-Test-User header to a principal; "!bad" is a bad
// credential. This is how tests (and users with their own identity system)
// authenticate before the auth package.
var testAuth = objectos.AuthFunc(func(r *http.Request) (*objectos.Principal, error) {
	u := r.Header.Get("X-Test-User")
	switch {
	case u == "":
		return nil, objectos.ErrNoCredentials
	case u == "!bad":
		return nil, objectos.NewError(objectos.CodeInvalidToken, "The token is not valid.")
	case u == "!broken":
		return nil, io.ErrUnexpectedEOF // a technical failure
	}
	return &objectos.Principal{UserID: u, Method: objectos.AuthCustom}, nil
})

func restArtifact() *objectos.Artifact {
	opts := []objectos.Option{{Value: "tech"}, {Value: "finance"}, {Value: "retail"}}
	return &objectos.Artifact{Name: "resttest", Objects: []*objectos.Object{
		{
			Name: "account",
			Fields: []*objectos.Field{
				{Name: "name", Type: objectos.TypeText, Required: true, MaxLength: 100, Searchable: true},
				{Name: "industry", Type: objectos.TypeSelect, Options: opts},
				{Name: "revenue", Type: objectos.TypeCurrency, Scale: objectos.Ptr(2), Min: objectos.Ptr(0.0)},
				{Name: "active", Type: objectos.TypeBoolean},
				{Name: "code", Type: objectos.TypeText, Unique: true},
				{Name: "status", Type: objectos.TypeText, Readonly: true, DefaultValue: "new"},
				{Name: "parent", Type: objectos.TypeLookup, Reference: "account"},
				{Name: "token_hash", Type: objectos.TypeText, Internal: true},
			},
		},
		{
			Name: "contact",
			Fields: []*objectos.Field{
				{Name: "last_name", Type: objectos.TypeText, Required: true},
				{Name: "account", Type: objectos.TypeLookup, Reference: "account"},
			},
		},
		{Name: "hidden_thing", Enable: objectos.Capabilities{APIEnabled: objectos.Ptr(false)},
			Fields: []*objectos.Field{{Name: "x", Type: objectos.TypeText}}},
		{Name: "readonly_thing", Enable: objectos.Capabilities{APIMethods: []objectos.APIMethod{"get", "list"}},
			Fields: []*objectos.Field{{Name: "x", Type: objectos.TypeText}}},
		{Name: "sealed_thing", Enable: objectos.Capabilities{APIMethods: []objectos.APIMethod{}},
			Fields: []*objectos.Field{{Name: "x", Type: objectos.TypeText}}},
		{Name: "unsearchable", Enable: objectos.Capabilities{Searchable: objectos.Ptr(false)},
			Fields: []*objectos.Field{{Name: "x", Type: objectos.TypeText}}},
	}}
}

// roomyRates keeps the default rate limiter in the path of benchmarks and
// fuzz targets with budgets they cannot spend (the test clock stands still).
func roomyRates(o *objectos.Options) {
	o.RateLimits.Read = objectos.Rate{Limit: 1 << 30, Period: objectos.MaxRatePeriod}
	o.RateLimits.Write = o.RateLimits.Read
}

type server struct {
	t     testing.TB
	stack *objectos.Stack
	h     http.Handler
}

func newServer(t testing.TB, st objectos.Store, a *objectos.Artifact, mod ...func(*objectos.Options)) *server {
	t.Helper()
	opts := objectos.Options{
		Artifact: a,
		Store:    st,
		Plugins:  []objectos.Plugin{rest.New(rest.Options{MaxBodyBytes: 4096}), testAuth},
		Clock:    func() time.Time { return time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC) },
	}
	for _, m := range mod {
		m(&opts)
	}
	s, err := objectos.New(context.Background(), opts)
	require.NoError(t, err)
	mux := http.NewServeMux()
	api := openapitest.Handler(t, s) // every exchange of the suite is checked against the document
	mux.Handle("/api/v1/", api)
	mux.Handle("/api/v1", api)
	mux.Handle("/.well-known/objectstack", rest.WellKnownHandler(s))
	return &server{t: t, stack: s, h: mux}
}

// req is one HTTP exchange.
type req struct {
	method, url, body string
	user              string
	header            map[string]string
}

type resp struct {
	*httptest.ResponseRecorder
	json map[string]any
}

func (s *server) do(r req) *resp {
	s.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.url, body)
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.user != "" {
		hr.Header.Set("X-Test-User", r.user)
	}
	for k, v := range r.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, hr)
	out := &resp{ResponseRecorder: rec}
	if rec.Body.Len() > 0 && strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		dec := json.NewDecoder(strings.NewReader(rec.Body.String()))
		_ = dec.Decode(&out.json)
	}
	return out
}

func (s *server) get(user, url string) *resp { return s.do(req{method: "GET", url: url, user: user}) }

func (s *server) post(user, url, body string) *resp {
	return s.do(req{method: "POST", url: url, body: body, user: user})
}

func (s *server) mustCreate(user, object, body string) map[string]any {
	s.t.Helper()
	r := s.post(user, "/api/v1/data/"+object, body)
	require.Equal(s.t, 201, r.Code, r.Body.String())
	return r.json["record"].(map[string]any)
}

type contextT = context.Context
