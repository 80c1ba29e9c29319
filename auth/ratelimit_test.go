package auth_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

// behindProxy: httptest's peer (192.0.2.1) is the trusted proxy, so each
// test client is told apart by its X-Forwarded-For.
func behindProxy(o *objectos.Options) { o.TrustedProxies = []string{"192.0.2.1/32"} }

func from(ip string) map[string]string { return map[string]string{"X-Forwarded-For": ip} }

func TestAuthRateLimit(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{}, behindProxy)
		require.Equal(t, 200, e.do(call{method: "POST", path: "/api/v1/auth/sign-up/email", header: from("198.51.100.1"),
			body: mustJSON(map[string]any{"name": "Ada", "email": "ada@example.com", "password": "correct horse"})}).StatusCode)
		signIn := func(ip, password string) *objectostest.Response {
			return e.do(call{method: "POST", path: "/api/v1/auth/sign-in/email", header: from(ip),
				body: mustJSON(map[string]any{"email": "ada@example.com", "password": password})})
		}
		// the sign-up and nine sign-ins spend the address's budget of ten;
		// the correct password is answered normally until then
		for i := range 9 {
			password := "wrong"
			if i%4 == 3 {
				password = "correct horse" // keeps the account below its lockout
			}
			r := signIn("198.51.100.1", password)
			require.NotEqual(t, 429, r.StatusCode, "attempt %d", i+2)
			assert.Equal(t, "10", r.Header.Get("RateLimit-Limit"))
			assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
		}
		r := signIn("198.51.100.1", "correct horse")
		require.Equal(t, 429, r.StatusCode, "the eleventh attempt of the minute from one address")
		assert.Equal(t, "RATE_LIMIT_EXCEEDED", r.Value("code"), "better-auth's envelope")
		assert.NotEmpty(t, r.Value("message"))
		assert.Equal(t, "6", r.Header.Get("Retry-After"), "one attempt comes back every six seconds")
		assert.Empty(t, r.Header.Get("set-auth-token"))

		// the other guarded routes share the budget
		for _, path := range []string{"/api/v1/auth/sign-up/email", "/api/v1/auth/sign-in/social", "/api/v1/auth/change-password"} {
			assert.Equal(t, 429, e.do(call{method: "POST", path: path, header: from("198.51.100.1"), body: "{}"}).StatusCode, path)
		}
		// reading the session is not an auth attempt
		assert.Equal(t, 200, e.do(call{method: "GET", path: "/api/v1/auth/get-session", header: from("198.51.100.1")}).StatusCode)

		// another client address has its own budget; the session records it
		r = signIn("203.0.113.77", "correct horse")
		r.Status(t, 200)
		s := e.Bearer(r.Value("token").(string)).Get("/api/v1/auth/get-session")
		assert.Equal(t, "203.0.113.77", s.Value("session.ipAddress"), "the forwarded client, not the proxy")

		e.Clock.Advance(6 * time.Second)
		assert.Equal(t, 200, signIn("198.51.100.1", "correct horse").StatusCode, "the budget refills")
		assert.Equal(t, 429, signIn("198.51.100.1", "correct horse").StatusCode)
	})
}

func TestSessionRecordsThePeerWithoutTrustedProxies(t *testing.T) {
	e := newEnv(t, testenv.Open(t, testenv.SQLite), auth.Options{})
	require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
	r := e.do(call{method: "POST", path: "/api/v1/auth/sign-in/email", header: from("6.6.6.6"),
		body: mustJSON(map[string]any{"email": "ada@example.com", "password": "correct horse"})})
	require.Equal(t, 200, r.StatusCode)
	s := e.Bearer(r.Value("token").(string)).Get("/api/v1/auth/get-session")
	assert.Equal(t, "192.0.2.1", s.Value("session.ipAddress"), "a forwarding header from an untrusted peer is ignored")
}
