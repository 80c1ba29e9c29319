package auth_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/openapitest"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/rest"
)

// countingHasher is argon2id with tiny parameters (tests hash a lot), and
// counts verifications so tests can see that every sign-in path does the
// same work.
type countingHasher struct {
	verifies atomic.Int64
}

var fastParams = &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func (h *countingHasher) Hash(pw string) (string, error) { return argon2id.CreateHash(pw, fastParams) }
func (h *countingHasher) Verify(pw, hash string) (bool, error) {
	h.verifies.Add(1)
	return argon2id.ComparePasswordAndHash(pw, hash)
}

func noteArtifact() *objectos.Artifact {
	return &objectos.Artifact{Name: "notes", Objects: []*objectos.Object{{
		Name:   "note",
		Fields: []*objectos.Field{{Name: "title", Type: objectos.TypeText}},
	}}}
}

type env struct {
	t      testing.TB
	stack  *objectos.Stack
	auth   *auth.Plugin
	h      http.Handler
	clock  *testenv.Clock
	hasher *countingHasher
	st     objectos.Store
}

// roomyAuthRate lets tests about other things sign in more often than the
// default auth budget (10 per minute per address) allows.
func roomyAuthRate(o *objectos.Options) {
	o.RateLimits.Auth = objectos.Rate{Limit: 1000, Period: time.Minute}
}

// roomyRates keeps the default rate limiter in the path of benchmarks and
// fuzz targets with budgets they cannot spend (the test clock stands still).
func roomyRates(o *objectos.Options) {
	o.RateLimits.Read = objectos.Rate{Limit: 1 << 30, Period: objectos.MaxRatePeriod}
	o.RateLimits.Write = o.RateLimits.Read
	o.RateLimits.Auth = o.RateLimits.Read
}

func newEnv(t testing.TB, st objectos.Store, opts auth.Options, mod ...func(*objectos.Options)) *env {
	t.Helper()
	e := &env{t: t, clock: testenv.NewClock(), hasher: &countingHasher{}, st: st}
	if opts.Hasher == nil {
		opts.Hasher = e.hasher
	}
	e.auth = auth.New(opts)
	so := objectos.Options{
		Artifact: noteArtifact(),
		Store:    st,
		Plugins:  []objectos.Plugin{rest.New(rest.Options{}), e.auth},
		Clock:    e.clock.Now,
		// These tests are about credentials; permissions are the security
		// package's. AllowAll must be chosen explicitly (see
		// TestNewRefusesAuthWithoutSecurity).
		Security: objectos.AllowAll{},
	}
	for _, m := range mod {
		m(&so)
	}
	s, err := objectos.New(context.Background(), so)
	require.NoError(t, err)
	e.stack = s
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", openapitest.Handler(t, s)) // every exchange is checked against the document
	e.h = mux
	return e
}

type call struct {
	method, path, body string
	header             map[string]string
	cookies            []*http.Cookie
	tls                bool
}

type result struct {
	*httptest.ResponseRecorder
	body any
}

func (r *result) obj() map[string]any {
	m, _ := r.body.(map[string]any)
	return m
}

func (e *env) do(c call) *result {
	e.t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req := httptest.NewRequest(c.method, "http://objectos.test"+c.path, body)
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	if c.tls {
		req.TLS = &tls.ConnectionState{}
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	out := &result{ResponseRecorder: rec}
	if rec.Body.Len() > 0 {
		_ = json.Unmarshal(rec.Body.Bytes(), &out.body)
	}
	return out
}

func (e *env) signUp(name, email, password string) *result {
	return e.do(call{method: "POST", path: "/api/v1/auth/sign-up/email",
		body: mustJSON(map[string]any{"name": name, "email": email, "password": password})})
}

func (e *env) signIn(email, password string) *result {
	return e.do(call{method: "POST", path: "/api/v1/auth/sign-in/email",
		body: mustJSON(map[string]any{"email": email, "password": password})})
}

// signedIn signs in and returns the bearer token.
func (e *env) signedIn(email, password string) string {
	e.t.Helper()
	r := e.signIn(email, password)
	require.Equal(e.t, 200, r.Code, r.Body.String())
	return r.obj()["token"].(string)
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

func sessionCookie(r *result) *http.Cookie {
	for _, c := range r.Result().Cookies() {
		if strings.HasSuffix(c.Name, "better-auth.session_token") {
			return c
		}
	}
	return nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// newEnvWith builds a second stack on the same store with another
// authenticator in place of the auth plugin's.
func newEnvWith(t testing.TB, e *env, a objectos.AuthPlugin) http.Handler {
	t.Helper()
	s, err := objectos.New(context.Background(), objectos.Options{
		Artifact: noteArtifact(),
		Store:    e.st,
		Plugins:  []objectos.Plugin{rest.New(rest.Options{}), authOnlyObjects{e.auth}, a.(objectos.Plugin)},
		Clock:    e.clock.Now,
		Security: objectos.AllowAll{},
		RateLimits: objectos.RateLimits{Read: objectos.Rate{Limit: 1 << 30, Period: objectos.MaxRatePeriod},
			Write: objectos.Rate{Limit: 1 << 30, Period: objectos.MaxRatePeriod}},
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", s)
	return mux
}

// authOnlyObjects contributes the auth plugin's system objects without its
// authenticator or routes.
type authOnlyObjects struct{ p *auth.Plugin }

func (a authOnlyObjects) Name() string                { return "auth-objects" }
func (a authOnlyObjects) Objects() []*objectos.Object { return a.p.Objects() }
