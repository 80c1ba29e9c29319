package objectos_test

import (
	"fmt"
	"testing"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
)

const benchFilter = `{"$and":[{"kind":{"$in":["a","b"]}},{"qty":{"$gte":10}},{"$or":[{"name":{"$icontains":"item"}},{"note":{"$null":true}}]}]}`

func BenchmarkFilterParseBind(b *testing.B) {
	s := newStack(b, testenv.Open(b, testenv.SQLite), itemArtifact())
	o := s.Object("item")
	b.ReportAllocs()
	for b.Loop() {
		f, err := objectos.ParseFilter([]byte(benchFilter))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := objectos.BindFilter(o, f, objectos.BindOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchStores runs the benchmark on every available store.
func benchStores(b *testing.B, fn func(b *testing.B, s *objectos.Stack)) {
	for _, k := range testenv.Kinds(b) {
		b.Run(string(k), func(b *testing.B) {
			s := newStack(b, testenv.Open(b, k), itemArtifact())
			fn(b, s)
		})
	}
}

func seedItems(b *testing.B, s *objectos.Stack, n int) []string {
	ids := make([]string, n)
	kinds := []string{"a", "b", "c"}
	for i := range n {
		r, err := s.Create(system(), "item", objectos.Record{
			"name": fmt.Sprintf("item %d", i), "qty": float64(i % 100), "kind": kinds[i%3],
			"due": "2026-01-10", "at": "2026-01-10T08:00:00Z", "labels": []any{"x"},
		})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = r.ID
	}
	return ids
}

func BenchmarkCreate(b *testing.B) {
	benchStores(b, func(b *testing.B, s *objectos.Stack) {
		ctx := as("bench")
		rec := objectos.Record{"name": "bench", "qty": 12.0, "kind": "a", "active": true,
			"due": "2026-01-10", "at": "2026-01-10T08:00:00Z", "labels": []any{"x", "y"}}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Create(ctx, "item", rec); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGetByID(b *testing.B) {
	benchStores(b, func(b *testing.B, s *objectos.Stack) {
		ids := seedItems(b, s, 1000)
		ctx := as("bench")
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := s.Get(ctx, "item", ids[i%len(ids)], objectos.GetOptions{}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func BenchmarkListFiltered50(b *testing.B) {
	benchStores(b, func(b *testing.B, s *objectos.Stack) {
		seedItems(b, s, 1000)
		ctx := as("bench")
		f, err := objectos.ParseFilter([]byte(`{"kind":{"$in":["a","b"]},"qty":{"$gte":10}}`))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			res, err := s.List(ctx, "item", objectos.Query{Filter: f, Limit: 50, Sort: []objectos.SortKey{{Field: "qty", Desc: true}}})
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Records) != 50 {
				b.Fatalf("got %d records", len(res.Records))
			}
		}
	})
}
