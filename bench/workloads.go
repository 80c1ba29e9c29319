package main

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
)

// listQuery is the list workloads' query string: 50 finance accounts,
// newest first, with the total unless count is false.
func listQuery(count bool) string {
	q := url.Values{"filter": {`{"industry":"finance"}`}, "sort": {"-created_at"}, "limit": {"50"}}
	if !count {
		q.Set("count", "false")
	}
	return q.Encode()
}

// workloads are the four workloads; the GETs pick among ids at random.
func workloads(ids []string) []workload {
	list := "/data/crm_account?" + listQuery(true)
	listNoCount := "/data/crm_account?" + listQuery(false)
	return []workload{
		{name: "get", title: "GET one account by id", status: 200, request: func(uint64) (string, string, []byte) {
			return "GET", "/data/crm_account/" + url.PathEscape(ids[rand.IntN(len(ids))]), nil
		}},
		{name: "list", title: "list 50 (filter, sort) with the total", status: 200, request: func(uint64) (string, string, []byte) {
			return "GET", list, nil
		}},
		{name: "list-nocount", title: "list 50 (filter, sort), `count=false`", status: 200, request: func(uint64) (string, string, []byte) {
			return "GET", listNoCount, nil
		}},
		// Technology, so the creates never change the lists' pages.
		{name: "create", title: "create an account (5 fields)", status: 201, request: func(n uint64) (string, string, []byte) {
			return "POST", "/data/crm_account", fmt.Appendf(nil,
				`{"name":"Bench %d","industry":"technology","annual_revenue":%d,"website":"https://bench%d.example","phone":"+1 555 %04d"}`,
				n, n%10_000_000, n, n%10_000)
		}},
	}
}

// pickWorkloads keeps the workloads named in the comma-separated list, in
// their own order.
func pickWorkloads(all []workload, names string) ([]workload, error) {
	want := map[string]bool{}
	for _, n := range strings.Split(names, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	var out []workload
	for _, w := range all {
		if want[w.name] {
			out = append(out, w)
			delete(want, w.name)
		}
	}
	for n := range want {
		return nil, fmt.Errorf("unknown workload %q (have get, list, list-nocount, create)", n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no workload")
	}
	return out, nil
}
