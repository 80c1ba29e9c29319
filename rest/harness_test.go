package rest_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/openapitest"
	"github.com/objectos-go/objectos/objectostest"
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

// server is the REST plugin (bodies up to 4 KiB) with the X-Test-User
// authenticator and the default rate limits, mounted as an application
// mounts it (with the well-known discovery route), every exchange checked
// against the OpenAPI document. mod changes the Stack's options last.
type server struct {
	*objectostest.Env
	t testing.TB
}

func newServer(t testing.TB, st objectos.Store, a *objectos.Artifact, mod ...func(*objectos.Options)) *server {
	t.Helper()
	env := objectostest.New(t, a, objectostest.Options{
		Store:   st,
		Without: []string{"auth", "apikey", "security"},
		Plugins: []objectos.Plugin{rest.New(rest.Options{MaxBodyBytes: 4096}), testAuth},
		Configure: func(o *objectos.Options) {
			o.RateLimits = objectos.RateLimits{}
			for _, m := range mod {
				m(o)
			}
		},
		Handler: func(s *objectos.Stack) http.Handler {
			mux := http.NewServeMux()
			api := openapitest.Handler(t, s) // every exchange of the suite is checked against the document
			mux.Handle("/api/v1/", api)
			mux.Handle("/api/v1", api)
			mux.Handle("/.well-known/objectstack", rest.WellKnownHandler(s))
			return mux
		},
	})
	return &server{Env: env, t: t}
}

// as is a client of the principal named user (see testAuth), or an
// anonymous one.
func (s *server) as(user string) *objectostest.Client {
	if user == "" {
		return s.Client()
	}
	return s.Client().With("X-Test-User", user)
}

// req is one HTTP exchange of a scenario table.
type req struct {
	method, url, body string
	user              string
	header            map[string]string // an empty value removes the header
}

func (s *server) do(r req) *objectostest.Response {
	c := s.as(r.user)
	for k, v := range r.header {
		c = c.With(k, v)
	}
	return c.Do(r.method, r.url, r.body)
}

type contextT = context.Context
