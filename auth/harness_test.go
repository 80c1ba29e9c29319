package auth_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/openapitest"
	"github.com/objectos-go/objectos/objectostest"
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

// env is the auth plugin (with a counting hasher) and rest on a note
// artifact, with the default rate limits, every exchange checked against
// the OpenAPI document.
type env struct {
	*objectostest.Env
	t      testing.TB
	auth   *auth.Plugin
	hasher *countingHasher
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
	e := &env{t: t, hasher: &countingHasher{}}
	if opts.Hasher == nil {
		opts.Hasher = e.hasher
	}
	e.auth = auth.New(opts)
	e.Env = objectostest.New(t, noteArtifact(), objectostest.Options{
		Store:   st,
		Plugins: []objectos.Plugin{e.auth},
		Without: []string{"apikey", "security"},
		Configure: func(o *objectos.Options) {
			// These tests are about credentials; permissions are the
			// security package's. AllowAll must be chosen explicitly (see
			// TestNewRefusesAuthWithoutSecurity).
			o.Security = objectos.AllowAll{}
			o.RateLimits = objectos.RateLimits{}
			for _, m := range mod {
				m(o)
			}
		},
		Handler: func(s *objectos.Stack) http.Handler { return openapitest.Handler(t, s) },
	})
	return e
}

// call is one HTTP exchange.
type call struct {
	method, path, body string
	header             map[string]string
	cookies            []*http.Cookie
	tls                bool // made over TLS (an https URL)
}

func (e *env) do(c call) *objectostest.Response {
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	scheme := "http"
	if c.tls {
		scheme = "https"
	}
	req, err := http.NewRequest(c.method, scheme+"://objectos.test"+c.path, body)
	require.NoError(e.t, err)
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	return e.Client().Send(req)
}

func (e *env) signUp(name, email, password string) *objectostest.Response {
	return e.Client().Post("/api/v1/auth/sign-up/email", map[string]any{"name": name, "email": email, "password": password})
}

func (e *env) signIn(email, password string) *objectostest.Response {
	return e.Client().Post("/api/v1/auth/sign-in/email", map[string]any{"email": email, "password": password})
}

// signedIn signs in and returns the bearer token.
func (e *env) signedIn(email, password string) string {
	e.t.Helper()
	return e.SignIn(e.t, email, password).Token
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// sessionCookie is the session cookie an answer sets, under either name.
func sessionCookie(r *objectostest.Response) *http.Cookie {
	for _, c := range r.Cookies() {
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
	other := objectostest.New(t, noteArtifact(), objectostest.Options{
		Store:   e.Store,
		Clock:   e.Clock,
		Plugins: []objectos.Plugin{authOnlyObjects{e.auth}, a.(objectos.Plugin)},
		Without: []string{"auth", "apikey", "security"},
		Configure: func(o *objectos.Options) {
			o.Security = objectos.AllowAll{}
			o.RateLimits = objectos.RateLimits{Read: objectos.Rate{Limit: 1 << 30, Period: objectos.MaxRatePeriod},
				Write: objectos.Rate{Limit: 1 << 30, Period: objectos.MaxRatePeriod}}
		},
	})
	return other.Stack
}

// authOnlyObjects contributes the auth plugin's system objects without its
// authenticator or routes.
type authOnlyObjects struct{ p *auth.Plugin }

func (a authOnlyObjects) Name() string                { return "auth-objects" }
func (a authOnlyObjects) Objects() []*objectos.Object { return a.p.Objects() }
