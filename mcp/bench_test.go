package mcp_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
)

// BenchmarkQuery is query_records next to the REST list of the same query
// (a filter, a sort, a page of 50 of 1,000 records, with the count), on the
// same data, as the same caller (an API key), through the Stack's handler
// in process: what MCP's JSON-RPC envelope and the SDK add to a list.
func BenchmarkQuery(b *testing.B) {
	for _, k := range testenv.Kinds(b) {
		e := newEnv(b, testenv.Open(b, k), nil)
		admin := e.signUp("admin")
		industries := []string{"technology", "finance"}
		rows := make([]objectos.Record, 1000)
		for i := range rows {
			rows[i] = objectos.Record{"name": fmt.Sprintf("Account %04d", i), "industry": industries[i%2], "annual_revenue": float64(i)}
		}
		ctx := objectos.WithPrincipal(objectos.AsSystem(b.Context()), &objectos.Principal{UserID: admin.id})
		if _, err := e.stack.CreateMany(ctx, "crm_account", rows); err != nil {
			b.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("/api/v1/", e.stack)

		restURL := "/api/v1/data/crm_account?" + url.Values{
			"filter": {`{"industry":"finance","annual_revenue":{"$gte":100}}`}, "sort": {"name"}, "limit": {"50"},
		}.Encode()
		call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"query_records","arguments":` +
			`{"objectName":"crm_account","where":{"industry":"finance","annual_revenue":{"$gte":100}},"orderBy":[{"field":"name"}],"limit":50}}}`

		b.Run("rest/"+string(k), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("GET", restURL, nil)
				req.Header.Set("x-api-key", admin.key)
				serve(b, mux, req, `"total":450`)
			}
		})
		b.Run("mcp/"+string(k), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("POST", "/api/v1/mcp", strings.NewReader(call))
				req.Header.Set("x-api-key", admin.key)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json, text/event-stream")
				req.Header.Set("MCP-Protocol-Version", "2025-11-25")
				serve(b, mux, req, `"total":450`)
			}
		})
	}
}

// serve serves one request and checks the answer holds want.
func serve(b *testing.B, h http.Handler, req *http.Request, want string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), want) {
		b.Fatalf("%s %s: %d %.300s", req.Method, req.URL, rec.Code, rec.Body.String())
	}
}
