package objectos_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/apikey"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/security"
	"github.com/objectos-go/objectos/store"
)

const (
	appOrigin     = "https://app.example.com"
	foreignOrigin = "https://evil.example.net"
)

// corsStack is a complete stack (data, auth, keys) with CORS for
// appOrigin and the subdomains of example.org, credentials on.
func corsStack(t *testing.T, st objectos.Store, c objectos.CORS) *objectos.Stack {
	t.Helper()
	return newStack(t, st, crmArtifact(), func(o *objectos.Options) {
		o.Plugins = []objectos.Plugin{rest.New(rest.Options{}),
			auth.New(auth.Options{AdminEmail: "admin@example.com", AdminPassword: "admin-password-1"}), apikey.New(apikey.Options{}), security.New()}
		o.CORS = c
		o.HSTS = "max-age=63072000"
	})
}

var credentialedCORS = objectos.CORS{AllowedOrigins: []string{appOrigin, "https://*.example.org"}, AllowCredentials: true}

func preflight(t *testing.T, h http.Handler, path, origin, method, headers string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodOptions, path, nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", method)
	if headers != "" {
		req.Header.Set("Access-Control-Request-Headers", headers)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestCORSPreflights(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := corsStack(t, st, credentialedCORS)
		const asked = "authorization,content-type,idempotency-key,if-match,if-none-match,x-api-key,x-request-id" // browsers send them sorted
		for _, tc := range []struct{ path, method string }{
			{"/api/v1/data/account", "POST"}, {"/api/v1/data/account/some-id", "PATCH"},
			{"/api/v1/data/account/some-id", "DELETE"}, {"/api/v1/data/account/query", "POST"},
			{"/api/v1/batch", "POST"}, {"/api/v1/actions/account/anything", "POST"},
			{"/api/v1/auth/sign-in/email", "POST"}, {"/api/v1/auth/get-session", "GET"},
			{"/api/v1/keys", "POST"}, {"/api/v1/meta/object/account", "GET"}, {"/api/v1/mcp", "POST"},
			{"/api/v1/discovery", "GET"},
		} {
			rec := preflight(t, s, tc.path, appOrigin, tc.method, asked)
			require.Equal(t, http.StatusNoContent, rec.Code, "%s %s: %s", tc.method, tc.path, rec.Body.String())
			h := rec.Header()
			assert.Equal(t, appOrigin, h.Get("Access-Control-Allow-Origin"), tc.path)
			assert.Equal(t, "true", h.Get("Access-Control-Allow-Credentials"), tc.path)
			assert.Equal(t, tc.method, h.Get("Access-Control-Allow-Methods"), tc.path)
			assert.Equal(t, asked, h.Get("Access-Control-Allow-Headers"), tc.path)
			assert.Equal(t, "600", h.Get("Access-Control-Max-Age"), tc.path)
			assert.Contains(t, h.Get("Vary"), "Origin", tc.path)
			assert.Empty(t, h.Get("RateLimit-Limit"), "a preflight is not rate-limited")
			assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
		}

		// wildcard subdomains
		for origin, ok := range map[string]bool{
			"https://tenant.example.org":           true,
			"https://a.b.example.org":              true,
			"https://TENANT.example.org":           true,
			"https://example.org":                  false,
			"http://tenant.example.org":            false,
			"https://tenant.example.org:8443":      false,
			"https://evil.example.org.example.net": false,
			"https://evilexample.org":              false,
			"null":                                 false,
			foreignOrigin:                          false,
			"https://app.example.com.evil.net":     false,
		} {
			rec := preflight(t, s, "/api/v1/data/account", origin, "POST", "content-type")
			assert.Equal(t, http.StatusNoContent, rec.Code, origin)
			if ok {
				assert.Equal(t, origin, rec.Header().Get("Access-Control-Allow-Origin"), origin)
			} else {
				assert.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"), "%s gets no grant", origin)
				assert.Empty(t, rec.Header().Get("Access-Control-Allow-Credentials"), origin)
			}
		}

		// a header outside the list, or a method outside the list, gets no grant
		assert.Empty(t, preflight(t, s, "/api/v1/data/account", appOrigin, "POST", "x-evil").Header().Get("Access-Control-Allow-Origin"))
		assert.Empty(t, preflight(t, s, "/api/v1/data/account", appOrigin, "TRACE", "").Header().Get("Access-Control-Allow-Origin"))
	})
}

func TestCORSActualRequests(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := corsStack(t, st, credentialedCORS)
		signIn := func(origin string) *httptest.ResponseRecorder {
			req := httptest.NewRequest("POST", "/api/v1/auth/sign-in/email",
				strings.NewReader(`{"email":"admin@example.com","password":"admin-password-1"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Origin", origin)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			return rec
		}
		rec := signIn(appOrigin)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		h := rec.Header()
		assert.Equal(t, appOrigin, h.Get("Access-Control-Allow-Origin"))
		assert.Equal(t, "true", h.Get("Access-Control-Allow-Credentials"))
		exposed := strings.ToLower(h.Get("Access-Control-Expose-Headers"))
		for _, name := range []string{"set-auth-token", "etag", "location", "x-request-id", "ratelimit-limit",
			"ratelimit-remaining", "ratelimit-reset", "retry-after"} {
			assert.Contains(t, exposed, name)
		}
		assert.NotEmpty(t, h.Get("set-auth-token"))
		assert.Equal(t, "no-store", h.Get("Cache-Control"), "auth answers are never cached")
		cookie := rec.Result().Cookies()[0]

		// a foreign origin's sign-in is refused by the auth plugin's
		// Origin check, and gets no CORS grant either
		rec = signIn(foreignOrigin)
		assert.Equal(t, http.StatusForbidden, rec.Code)
		assert.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"))

		// cookie-authenticated writes: the allowed origin passes the Origin
		// check, a foreign one does not
		create := func(origin string) *httptest.ResponseRecorder {
			req := httptest.NewRequest("POST", "/api/v1/data/account", strings.NewReader(`{"name":"Acme"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Origin", origin)
			req.AddCookie(cookie)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			return rec
		}
		rec = create(appOrigin)
		require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
		assert.Equal(t, appOrigin, rec.Header().Get("Access-Control-Allow-Origin"))
		rec = create("https://tenant.example.org")
		assert.Equal(t, http.StatusCreated, rec.Code, "a wildcard-allowed origin is trusted too")
		rec = create(foreignOrigin)
		assert.Equal(t, http.StatusForbidden, rec.Code)
		assert.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"))

		// the keys route answers are not cached
		req := httptest.NewRequest("POST", "/api/v1/keys", strings.NewReader(`{"name":"ci"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+h.Get("set-auth-token"))
		krec := httptest.NewRecorder()
		s.ServeHTTP(krec, req)
		require.Equal(t, http.StatusCreated, krec.Code, krec.Body.String())
		assert.Equal(t, "no-store", krec.Header().Get("Cache-Control"))
	})
}

func TestCORSAnyOriginWithoutCredentials(t *testing.T) {
	s := corsStack(t, testenv.Open(t, testenv.SQLite), objectos.CORS{AllowedOrigins: []string{"*"}})
	rec := preflight(t, s, "/api/v1/data/account", foreignOrigin, "GET", "authorization")
	assert.Equal(t, foreignOrigin, rec.Header().Get("Access-Control-Allow-Origin"))
	assert.Empty(t, rec.Header().Get("Access-Control-Allow-Credentials"))
	assert.False(t, s.OriginTrusted(foreignOrigin), "any origin may read, none is trusted with cookies")

	// a cookie-authenticated write from any origin is still refused
	req := httptest.NewRequest("POST", "/api/v1/auth/sign-in/email",
		strings.NewReader(`{"email":"admin@example.com","password":"admin-password-1"}`))
	req.Header.Set("Content-Type", "application/json")
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	req = httptest.NewRequest("POST", "/api/v1/data/account", strings.NewReader(`{"name":"Acme"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", foreignOrigin)
	req.AddCookie(rec.Result().Cookies()[0])
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusForbidden, rec.Code)

	// a page on an allowed origin signs in for a token, without a cookie
	// (so a forged form post from any site cannot sign a browser in), and
	// uses the token
	req = httptest.NewRequest("POST", "/api/v1/auth/sign-in/email",
		strings.NewReader(`{"email":"admin@example.com","password":"admin-password-1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", foreignOrigin)
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Empty(t, rec.Result().Cookies(), "no cookie for a page the policy does not trust with credentials")
	token := rec.Header().Get("set-auth-token")
	require.NotEmpty(t, token)
	assert.Equal(t, foreignOrigin, rec.Header().Get("Access-Control-Allow-Origin"))
	for _, path := range []string{"/api/v1/data/account", "/api/v1/auth/sign-out"} {
		body := `{"name":"Acme"}`
		if strings.HasSuffix(path, "sign-out") {
			body = `{}`
		}
		req = httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", foreignOrigin)
		req.Header.Set("Authorization", "Bearer "+token)
		rec = httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		assert.Less(t, rec.Code, 300, "%s with a bearer token needs no trusted origin: %s", path, rec.Body.String())
	}
}

func TestCORSPreflightWithoutTheDatabase(t *testing.T) {
	st, err := store.Memory(context.Background())
	require.NoError(t, err)
	s := corsStack(t, st, credentialedCORS)
	require.NoError(t, st.Close())

	rec := preflight(t, s, "/api/v1/data/account", appOrigin, "POST", "authorization,content-type")
	assert.Equal(t, http.StatusNoContent, rec.Code)
	assert.Equal(t, appOrigin, rec.Header().Get("Access-Control-Allow-Origin"))

	// the database is down indeed: a real request fails
	req := httptest.NewRequest("GET", "/api/v1/data/account", nil)
	req.Header.Set("Authorization", "Bearer some-session-token-that-is-long")
	real := httptest.NewRecorder()
	s.ServeHTTP(real, req)
	assert.GreaterOrEqual(t, real.Code, 500)
}

func TestNewRefusesBadCORS(t *testing.T) {
	for _, tc := range []struct {
		cors objectos.CORS
		want string
	}{
		{objectos.CORS{AllowedOrigins: []string{"*"}, AllowCredentials: true}, "cannot be combined with AllowCredentials"},
		{objectos.CORS{AllowedOrigins: []string{appOrigin, "null"}}, `"null" origin`},
		{objectos.CORS{AllowedOrigins: []string{"app.example.com"}}, "scheme://host"},
		{objectos.CORS{AllowedOrigins: []string{"https://*example.com"}}, "wildcard"},
		{objectos.CORS{AllowedOrigins: []string{"https://a.*.example.com"}}, "wildcard"},
		{objectos.CORS{AllowedOrigins: []string{"https://app.example.com/path"}}, "without a path"},
		{objectos.CORS{AllowedOrigins: []string{"https://user@app.example.com"}}, "credentials"},
		{objectos.CORS{AllowedOrigins: []string{"https://*.com"}}, "public suffix"},
		{objectos.CORS{AllowedOrigins: []string{"https://*.co.uk"}}, "public suffix"},
		{objectos.CORS{AllowedOrigins: []string{"http://*.localhost"}}, "public suffix"},
		{objectos.CORS{AllowedOrigins: []string{"https://*."}}, "dot"},
		{objectos.CORS{AllowedOrigins: []string{"https://app.example.com."}}, "dot"},
		{objectos.CORS{AllowedOrigins: []string{"https://app.example.com:443"}}, "default port"},
		{objectos.CORS{AllowedOrigins: []string{"https://bücher.example"}}, "ASCII"},
	} {
		_, err := objectos.New(context.Background(), objectos.Options{Artifact: crmArtifact(),
			Store: testenv.Open(t, testenv.SQLite), CORS: tc.cors})
		assert.ErrorContains(t, err, tc.want, "%v", tc.cors.AllowedOrigins)
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := corsStack(t, testenv.Open(t, testenv.SQLite), credentialedCORS)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/v1/health"}, {"GET", "/api/v1/data/account"}, {"GET", "/api/v1/nowhere"},
		{"GET", "/api/v1/auth/get-session"}, {"PUT", "/api/v1/keys"}, {"GET", "/api/v1/discovery"},
	} {
		rec, _ := do(t, s, tc.method, tc.path, nil)
		h := rec.Header()
		assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), tc.path)
		assert.Equal(t, "default-src 'none'; frame-ancestors 'none'", h.Get("Content-Security-Policy"), tc.path)
		assert.Equal(t, "max-age=63072000", h.Get("Strict-Transport-Security"), tc.path)
		assert.NotEmpty(t, h.Get("X-Request-Id"), tc.path)
	}
	rec, _ := do(t, s, "GET", "/api/v1/auth/get-session", nil)
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.Equal(t, "no-referrer", rec.Header().Get("Referrer-Policy"))
	rec, _ = do(t, s, "GET", "/api/v1/data/account", nil)
	assert.Empty(t, rec.Header().Get("Cache-Control"), "data reads may be revalidated with their ETags")

	page := httptest.NewRecorder()
	objectos.SetHTMLHeaders(page, "default-src 'self'")
	assert.Equal(t, "default-src 'self'", page.Header().Get("Content-Security-Policy"))
	assert.Equal(t, "DENY", page.Header().Get("X-Frame-Options"))
	assert.Equal(t, "no-referrer", page.Header().Get("Referrer-Policy"))
	assert.Equal(t, "text/html; charset=utf-8", page.Header().Get("Content-Type"))

	plain := newStack(t, testenv.Open(t, testenv.SQLite), crmArtifact())
	rec, _ = do(t, plain, "GET", "/api/v1/health", nil)
	assert.Empty(t, rec.Header().Get("Strict-Transport-Security"), "HSTS only when configured")
	assert.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"))
	rec = preflight(t, plain, "/api/v1/health", appOrigin, "GET", "")
	assert.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"), "CORS is off by default")
}
