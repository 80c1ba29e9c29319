package rest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
)

// allocBudget is what one request of each workload allocates through the
// handler on SQLite (go test -bench BenchmarkHandler shows the same), as
// measured when the budget was set, with the access line on (the default;
// 2 of each figure are its own). TestAllocationBudget fails when a
// change raises one by more than 20%: lower the figure here when a change
// lowers it, and explain a raise in the commit that makes it.
var allocBudget = map[string]float64{
	"get":      134,
	"list50":   1351,
	"list50nc": 1333,
	"create":   160,
}

// TestAllocationBudget holds the allocations per request of the engine
// path of each workload to allocBudget (+20%).
func TestAllocationBudget(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation counts need a normal build")
	}
	s := newServer(t, testenv.Open(t, testenv.SQLite), restArtifact(), roomyRates)
	ctx := objectos.AsSystem(t.Context())
	var ids []string
	inds := []string{"tech", "finance", "retail"}
	for i := range 300 {
		r, err := s.Stack.Create(ctx, "account", objectos.Record{"name": fmt.Sprintf("Account %d", i), "industry": inds[i%3], "revenue": float64(i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	h := s.Stack // the handler itself, without the OpenAPI check of the suite
	do := func(method, url, body string, want int) {
		var req *http.Request
		if body != "" {
			req = httptest.NewRequest(method, url, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		} else {
			req = httptest.NewRequest(method, url, nil)
		}
		req.Header.Set("X-Test-User", "alice")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Fatalf("%s %s: %d %s", method, url, rec.Code, rec.Body.String())
		}
	}
	i := 0
	workloads := map[string]func(){
		"get": func() { do("GET", "/api/v1/data/account/"+ids[i%len(ids)], "", 200); i++ },
		"list50": func() {
			do("GET", `/api/v1/data/account?filter={"industry":"finance"}&sort=-created_at&limit=50`, "", 200)
		},
		"list50nc": func() {
			do("GET", `/api/v1/data/account?filter={"industry":"finance"}&sort=-created_at&limit=50&count=false`, "", 200)
		},
		"create": func() {
			do("POST", "/api/v1/data/account", `{"name":"Bench Co","industry":"tech","revenue":1234.5,"active":true,"code":"c`+fmt.Sprint(i)+`"}`, 201)
			i++
		},
	}
	for name, fn := range workloads {
		got := testing.AllocsPerRun(50, fn)
		t.Logf("%s: %.0f allocations per request (budget %.0f)", name, got, allocBudget[name])
		if got > allocBudget[name]*1.2 {
			t.Errorf("%s allocates %.0f per request, more than 20%% over its budget of %.0f", name, got, allocBudget[name])
		}
	}
}
