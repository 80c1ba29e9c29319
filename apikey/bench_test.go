package apikey_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
)

// BenchmarkAuthenticatedGet compares GET /data/doc/{id} by API key, by
// session bearer token, and with a principal that costs no lookup.
func BenchmarkAuthenticatedGet(b *testing.B) {
	for _, k := range testenv.Kinds(b) {
		uid := ""
		free := objectos.AuthFunc(func(r *http.Request) (*objectos.Principal, error) {
			if r.Header.Get("X-Bench") == "" {
				return nil, objectos.ErrNoCredentials
			}
			return &objectos.Principal{UserID: uid}, nil
		})
		e := objectostest.New(b, artifact(), objectostest.Options{
			Store:   testenv.Open(b, k),
			Plugins: []objectos.Plugin{free},
			Configure: func(o *objectos.Options) {
				o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
				// the default limiter stays in the measured path, with a
				// budget a benchmark cannot spend
				o.RateLimits = objectos.RateLimits{Read: objectos.Rate{Limit: 1 << 30, Period: objectos.MaxRatePeriod}}
			},
		})
		u := e.Admin(b, "bench")
		uid = u.ID
		key := u.APIKey(b).Key
		doc := u.Post("/api/v1/data/doc", `{"title":"x"}`).Status(b, 201).ID()
		for name, hdr := range map[string][2]string{
			"apikey":         {"X-Api-Key", key},
			"session-bearer": {"Authorization", "Bearer " + u.Token},
			"no-lookup":      {"X-Bench", "1"},
		} {
			b.Run(string(k)+"/"+name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					req := httptest.NewRequest("GET", "/api/v1/data/doc/"+doc, nil)
					req.Header.Set(hdr[0], hdr[1])
					rec := httptest.NewRecorder()
					e.Stack.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Fatalf("%d %s", rec.Code, rec.Body.String())
					}
				}
			})
		}
	}
}
