package auth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
)

// BenchmarkAuthenticatedGet compares GET /data/note/{id} by session cookie,
// by bearer token, and with a principal that costs nothing to resolve (an
// AuthFunc), to show what session resolution adds per request.
func BenchmarkAuthenticatedGet(b *testing.B) {
	for _, k := range testenv.Kinds(b) {
		e := newEnv(b, testenv.Open(b, k), auth.Options{}, roomyRates)
		r := e.signUp("Ada", "ada@example.com", "correct horse")
		require.Equal(b, 200, r.StatusCode)
		token := r.Value("token").(string)
		uid := r.Value("user.id").(string)
		created := e.Bearer(token).Post("/api/v1/data/note", `{"title":"x"}`)
		require.Equal(b, 201, created.StatusCode)
		path := "/api/v1/data/note/" + created.Value("id").(string)

		// The same stack with a free authenticator, for the baseline.
		free := objectos.AuthFunc(func(*http.Request) (*objectos.Principal, error) {
			return &objectos.Principal{UserID: uid}, nil
		})
		baseline := newEnvWith(b, e, free)

		for name, h := range map[string]struct {
			handler http.Handler
			set     func(*http.Request)
		}{
			"cookie": {e.Handler, func(r *http.Request) {
				r.AddCookie(&http.Cookie{Name: "better-auth.session_token", Value: token})
			}},
			"bearer":         {e.Handler, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }},
			"no-auth-lookup": {baseline, func(*http.Request) {}},
		} {
			b.Run(string(k)+"/"+name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					req := httptest.NewRequest("GET", path, nil)
					h.set(req)
					rec := httptest.NewRecorder()
					h.handler.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Fatalf("%d %s", rec.Code, rec.Body.String())
					}
				}
			})
		}
	}
}
