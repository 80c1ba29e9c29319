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

// BenchmarkPolicyThroughLookup: a page and a count of tasks under a policy
// that reads through their project (a merged semi-join:
// "project" IN (SELECT "id" FROM "project" WHERE "owner_id" = $1 OR …)),
// 5,000 tasks in 200 projects, for one caller.
func BenchmarkPolicyThroughLookup(b *testing.B) {
	for _, k := range testenv.Kinds(b) {
		b.Run(string(k), func(b *testing.B) {
			s := newStack(b, testenv.Open(b, k), lookupArtifact(&objectos.Policy{Name: "project_team", Object: "task",
				Operation: objectos.PolicySelect, Using: "project.owner_id == current_user.id || project.region in current_user.permission_sets"}))
			regions := []any{"red", "blue", "apac", nil}
			projects := make([]objectos.Record, 200)
			for i := range projects {
				projects[i] = objectos.Record{"id": fmt.Sprintf("p%d", i), "name": fmt.Sprintf("project %d", i),
					"owner_id": fmt.Sprintf("u%d", i%20), "region": regions[i%4]}
			}
			if _, err := s.CreateMany(system(), "project", projects); err != nil {
				b.Fatal(err)
			}
			for chunk := range 10 {
				tasks := make([]objectos.Record, 500)
				for i := range tasks {
					tasks[i] = objectos.Record{"title": fmt.Sprintf("task %d", chunk*500+i), "project": fmt.Sprintf("p%d", (chunk*500+i)%200)}
				}
				if _, err := s.CreateMany(system(), "task", tasks); err != nil {
					b.Fatal(err)
				}
			}
			ctx := asUser("u7", "apac")
			b.Run("list50", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.List(ctx, "task", objectos.Query{Limit: 50, SkipCount: true}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("count", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.Count(ctx, "task", objectos.Query{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
