package rest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/store"
)

func benchServer(b *testing.B, k testenv.Kind, mod ...func(*objectos.Options)) (*server, []string) {
	s := newServer(b, testenv.Open(b, k), restArtifact(), append([]func(*objectos.Options){roomyRates}, mod...)...)
	ids := make([]string, 0, 1000)
	ctx := objectos.AsSystem(b.Context())
	inds := []string{"tech", "finance", "retail"}
	err := s.Stack.Transact(ctx, func(ctx contextT) error {
		for i := range 1000 {
			r, err := s.Stack.Create(ctx, "account", objectos.Record{
				"name": fmt.Sprintf("Account %d", i), "industry": inds[i%3], "revenue": float64(i), "active": i%2 == 0,
			})
			if err != nil {
				return err
			}
			ids = append(ids, r.ID)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return s, ids
}

func serve(b *testing.B, h http.Handler, method, url, body string, want int, header ...string) {
	var req *http.Request
	if body != "" {
		req = httptest.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req = httptest.NewRequest(method, url, nil)
	}
	req.Header.Set("X-Test-User", "bench")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: %d %s", method, url, rec.Code, rec.Body.String())
	}
}

func BenchmarkHandler(b *testing.B) {
	for _, k := range testenv.Kinds(b) {
		b.Run("get/"+string(k), func(b *testing.B) {
			s, ids := benchServer(b, k)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				serve(b, s.Handler, "GET", "/api/v1/data/account/"+ids[i%len(ids)], "", 200)
				i++
			}
		})
		b.Run("list50/"+string(k), func(b *testing.B) {
			s, _ := benchServer(b, k)
			url := `/api/v1/data/account?filter={"industry":{"$in":["tech","finance"]},"revenue":{"$gte":100}}&sort=-revenue&limit=50`
			b.ReportAllocs()
			for b.Loop() {
				serve(b, s.Handler, "GET", url, "", 200)
			}
		})
		b.Run("createMany100/"+string(k), func(b *testing.B) {
			s := newServer(b, testenv.Open(b, k), restArtifact(), roomyRates, func(o *objectos.Options) {
				o.Plugins = []objectos.Plugin{rest.New(rest.Options{MaxBodyBytes: 1 << 20}), testAuth}
			})
			body := "[" + strings.TrimSuffix(strings.Repeat(`{"name":"Bench Co","industry":"tech","revenue":1234.5,"active":true},`, 100), ",") + "]"
			b.ReportAllocs()
			for b.Loop() {
				serve(b, s.Handler, "POST", "/api/v1/data/account/createMany", body, 201)
			}
		})
		b.Run("create/"+string(k), func(b *testing.B) {
			s, _ := benchServer(b, k)
			b.ReportAllocs()
			for b.Loop() {
				serve(b, s.Handler, "POST", "/api/v1/data/account", `{"name":"Bench Co","industry":"tech","revenue":1234.5,"active":true}`, 201)
			}
		})
		// the same create with an Idempotency-Key of its own each time:
		// what keeping the answer costs
		b.Run("createIdempotent/"+string(k), func(b *testing.B) {
			s, _ := benchServer(b, k)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				serve(b, s.Handler, "POST", "/api/v1/data/account", `{"name":"Bench Co","industry":"tech","revenue":1234.5,"active":true}`, 201,
					"Idempotency-Key", fmt.Sprint("bench-", i))
			}
		})
	}
}

// BenchmarkRateLimiter is a GET by id without rate limits, with the default
// in-memory limiter, and with the PostgreSQL limiter (when PostgreSQL is
// configured), on each store: what the limiter adds to a request.
func BenchmarkRateLimiter(b *testing.B) {
	for _, k := range testenv.Kinds(b) {
		limiters := map[string]func(b *testing.B) objectos.RateLimits{
			"off":    func(*testing.B) objectos.RateLimits { return objectos.RateLimits{Disabled: true} },
			"memory": func(*testing.B) objectos.RateLimits { return objectos.RateLimits{} },
		}
		if testenv.PostgresDSN(b) != "" {
			limiters["postgres"] = func(b *testing.B) objectos.RateLimits {
				l, err := store.NewRateLimiter(b.Context(), testenv.Open(b, testenv.Postgres), store.RateLimiterOptions{})
				if err != nil {
					b.Fatal(err)
				}
				return objectos.RateLimits{Limiter: l}
			}
		}
		for name, limits := range limiters {
			b.Run("get/"+string(k)+"/"+name, func(b *testing.B) {
				s, ids := benchServer(b, k, func(o *objectos.Options) {
					o.RateLimits = limits(b)
					if !o.RateLimits.Disabled {
						roomyRates(o)
					}
				})
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					serve(b, s.Handler, "GET", "/api/v1/data/account/"+ids[i%len(ids)], "", 200)
					i++
				}
			})
		}
	}
}

// BenchmarkHugeUnknownName: a /query body naming a field, an operator and a
// sort key of nearly 1 MiB each answers 400 at the cost of reading the body
// (issue 12 point 4: the "did you mean" search once took seconds).
func BenchmarkHugeUnknownName(b *testing.B) {
	s := newServer(b, testenv.Open(b, testenv.SQLite), restArtifact(), roomyRates, func(o *objectos.Options) {
		o.Plugins = []objectos.Plugin{rest.New(rest.Options{MaxBodyBytes: 1 << 20}), testAuth}
	})
	huge := strings.Repeat("a", 1000<<10)
	for name, body := range map[string]string{
		"field":    `{"where": {"` + huge + `": 1}}`,
		"operator": `{"where": ["name", "` + huge + `", 1]}`,
		"sort":     `{"sort": "` + huge + `"}`,
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				serve(b, s.Handler, "POST", "/api/v1/data/account/query", body, 400)
			}
		})
	}
}
