package objectos_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
)

// FuzzParseFilter feeds arbitrary bytes to the filter parser and binder: they
// must never panic, and every refusal must be a 4xx *Error.
func FuzzParseFilter(f *testing.F) {
	for _, tc := range filterCases {
		f.Add([]byte(tc.filter))
	}
	for _, filter := range vectorFilters(f) {
		f.Add(mustJSON(filter))
	}
	s := newStack(f, testenv.Open(f, testenv.SQLite), itemArtifact())
	o := s.Object("item")
	f.Fuzz(func(t *testing.T, data []byte) {
		flt, err := objectos.ParseFilter(data)
		if err == nil {
			_, err = objectos.BindFilter(o, flt, objectos.BindOptions{UserID: "u"})
			_ = flt.String()
		}
		if err != nil {
			e := objectos.AsError(err)
			if st := e.HTTPStatus(); st < 400 || st > 499 {
				t.Fatalf("filter %q: status %d (%v)", data, st, err)
			}
		}
	})
}

// vectorFilters are the filters of the upstream conformance vectors, as fuzz
// seeds.
func vectorFilters(t testing.TB) []any {
	t.Helper()
	raw, err := os.ReadFile("storetest/testdata/filters.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Cases []struct {
			Filter any `json:"filter"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	out := make([]any, len(v.Cases))
	for i, c := range v.Cases {
		out[i] = c.Filter
	}
	return out
}
