package apikey_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/apikey"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/security"
)

// BenchmarkAuthenticatedGet compares GET /data/doc/{id} by API key, by
// session bearer token, and with a principal that costs no lookup.
func BenchmarkAuthenticatedGet(b *testing.B) {
	for _, k := range testenv.Kinds(b) {
		st := testenv.Open(b, k)
		uid := ""
		free := objectos.AuthFunc(func(r *http.Request) (*objectos.Principal, error) {
			if r.Header.Get("X-Bench") == "" {
				return nil, objectos.ErrNoCredentials
			}
			return &objectos.Principal{UserID: uid}, nil
		})
		s, err := objectos.New(context.Background(), objectos.Options{
			Artifact: artifact(), Store: st,
			Plugins: []objectos.Plugin{free, rest.New(rest.Options{}), auth.New(auth.Options{Hasher: fastHasher{}}), security.New(), apikey.New(apikey.Options{})},
			Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
			// the default limiter stays in the measured path, with a budget
			// a benchmark cannot spend
			RateLimits: objectos.RateLimits{Read: objectos.Rate{Limit: 1 << 30, Period: objectos.MaxRatePeriod}},
		})
		require.NoError(b, err)
		e := &env{t: b, stack: s, h: s, clock: newClock(), logs: &lockedBuffer{}}
		token, id := e.user("bench")
		uid = id
		key := e.mint(token, `{"name":"bench"}`).body["key"].(string)
		doc := e.do("POST", "/api/v1/data/doc", `{"title":"x"}`, bearer(token)).body["id"].(string)
		for name, hdr := range map[string][2]string{
			"apikey":         {"X-Api-Key", key},
			"session-bearer": {"Authorization", "Bearer " + token},
			"no-lookup":      {"X-Bench", "1"},
		} {
			b.Run(string(k)+"/"+name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					req := httptest.NewRequest("GET", "/api/v1/data/doc/"+doc, nil)
					req.Header.Set(hdr[0], hdr[1])
					rec := httptest.NewRecorder()
					s.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Fatalf("%d %s", rec.Code, rec.Body.String())
					}
				}
			})
		}
	}
}
