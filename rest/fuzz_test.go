package rest_test

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/rest"
)

// FuzzDataAPI throws arbitrary queries and bodies at the data routes: a
// caller's mistake must never be a 5xx.
func FuzzDataAPI(f *testing.F) {
	for _, sc := range scenarios() {
		if sc.req.user != "" && strings.HasPrefix(sc.req.url, "/api/v1/data/") {
			f.Add(sc.req.method, strings.TrimPrefix(sc.req.url, "/api/v1/data/"), sc.req.body)
		}
	}
	for _, seed := range [][2]string{
		{"account/createMany", `[{"name":"x","revenue":1},{"name":"y","code":"c"}]`},
		{"account/updateMany", `{"records":[{"id":"acc1","data":{"name":"z"}}],"options":{"atomic":true}}`},
		{"account/deleteMany", `{"ids":["acc1","nope"],"options":{"continueOnError":true}}`},
		{"account/batch", `{"operation":"upsert","records":[{"id":"u1","data":{"name":"u"}}],"options":{"returnRecords":false}}`},
	} {
		f.Add("POST", seed[0], seed[1])
	}
	// The inputs of issue 12: many bound values, long unknown names,
	// control characters and backslashes in the path and the query.
	huge := strings.Repeat("a", 200<<10)
	for _, seed := range [][3]string{
		{"POST", "account/query", `{"where": ` + inLists(40, 1000) + `}`},
		{"POST", "account/query", `{"where": ` + inLists(70, 1000) + `}`},
		{"POST", "account/query", `{"aggregations": [{"function": "count", "filter": ` + inLists(11, 1000) + `}]}`},
		{"POST", "account/query", `{"where": ["name", "` + huge + `", 1]}`},
		{"POST", "account/query", `{"where": {"` + huge + `": 1}, "sort": "` + huge + `"}`},
		{"GET", "account?filter=" + url.QueryEscape(inLists(3, 400)), ""},
		{"GET", "account?" + huge[:4000] + "=1&sort=" + huge[:4000], ""},
		{"GET", "account?filter=%7B%22name%22%3A%22%5Ct%01%22%7D&fields=na%5Cme", ""},
		{"GET", "acc%5Count/%01x", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	// PostgreSQL when it is configured: it refuses more (invalid UTF-8,
	// oversized index rows) than SQLite, so it finds more.
	kinds := testenv.Kinds(f)
	s := newServer(f, testenv.Open(f, kinds[len(kinds)-1]), restArtifact(), roomyRates, func(o *objectos.Options) {
		o.Plugins = []objectos.Plugin{rest.New(rest.Options{MaxBodyBytes: 8 << 20}), testAuth}
	})
	f.Fuzz(func(t *testing.T, method, path, body string) {
		switch method {
		case "GET", "POST", "PATCH", "DELETE", "PUT":
		default:
			method = "GET"
		}
		if strings.ContainsAny(path, " #\x00\r\n\t") {
			return
		}
		if _, err := url.ParseRequestURI("/api/v1/data/" + path); err != nil {
			return // not a request a client could send
		}
		req := httptest.NewRequest(method, "/api/v1/data/"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Test-User", "fuzzer")
		rec := httptest.NewRecorder()
		s.Handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s /api/v1/data/%s %q: %d %s", method, path, body, rec.Code, rec.Body.String())
		}
	})
}

// FuzzCrossObjectBatch throws arbitrary bodies at POST /batch: no 5xx.
func FuzzCrossObjectBatch(f *testing.F) {
	f.Add(`{"operations":[{"object":"account","data":{"name":"p"}},{"object":"contact","data":{"last_name":"c","account":{"$ref":0}}}]}`)
	f.Add(`{"operations":[{"object":"account","action":"update","id":"acc1","data":{"name":"x"}},{"object":"account","action":"delete","id":"acc2"}]}`)
	f.Add(`{"operations":[{"object":"contact","data":{"account":{"$ref":1.5}}}],"atomic":true}`)
	kinds := testenv.Kinds(f)
	s := newServer(f, testenv.Open(f, kinds[len(kinds)-1]), restArtifact(), roomyRates)
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/api/v1/batch", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Test-User", "fuzzer")
		rec := httptest.NewRecorder()
		s.Handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST /api/v1/batch %q: %d %s", body, rec.Code, rec.Body.String())
		}
	})
}
