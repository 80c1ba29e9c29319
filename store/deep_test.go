package store_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
)

// BenchmarkCursorPage reads the next page of 50 after a cursor half way
// through a filtered, sorted list, over 100,000 rows and (with
// OBJECTOS_BENCH_LARGE=1, PostgreSQL only, a few minutes to seed) over
// 10,000,000: a cursor page is a range read of the (kind, created_at, id)
// index, so both take the same time. An offset page at the same depth is
// alongside for comparison.
func BenchmarkCursorPage(b *testing.B) {
	sizes := []int{100_000}
	if os.Getenv("OBJECTOS_BENCH_LARGE") == "1" {
		sizes = append(sizes, 10_000_000)
	}
	ctx := context.Background()
	for _, k := range testenv.Kinds(b) {
		for _, n := range sizes {
			if k == testenv.SQLite && n > 100_000 {
				continue
			}
			b.Run(fmt.Sprintf("%s/%d", k, n), func(b *testing.B) {
				st := testenv.Open(b, k)
				s, err := objectos.New(ctx, objectos.Options{Store: st, Artifact: &objectos.Artifact{Name: "deep",
					Objects: []*objectos.Object{{Name: "event", Fields: []*objectos.Field{
						{Name: "kind", Type: objectos.TypeText}, {Name: "note", Type: objectos.TypeText}},
						Indexes: []objectos.Index{{Fields: []string{"kind", "created_at"}}}}}}})
				if err != nil {
					b.Fatal(err)
				}
				// Rows by SQL: two kinds in turn, a second apart.
				seed := `INSERT INTO event (id, kind, note, created_at, updated_at)
					SELECT lpad(i::text, 9, '0'), CASE WHEN i %% 2 = 0 THEN 'a' ELSE 'b' END, 'n',
					       timestamptz '2020-01-01' + i * interval '1 second', timestamptz '2020-01-01'
					FROM generate_series(1, %d) AS i`
				if st.Dialect() == "sqlite" {
					seed = `WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < %d)
					INSERT INTO event (id, kind, note, created_at, updated_at)
					SELECT printf('%%09d', i), CASE WHEN i %% 2 = 0 THEN 'a' ELSE 'b' END, 'n',
					       strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', '2020-01-01', '+' || i || ' seconds'), '2020-01-01T00:00:00.000Z' FROM g`
				}
				if err := st.Exec(ctx, fmt.Sprintf(seed, n)); err != nil {
					b.Fatal(err)
				}
				if err := st.Analyze(ctx); err != nil {
					b.Fatal(err)
				}
				sys := objectos.AsSystem(ctx)
				q := objectos.Query{Filter: objectos.Eq("kind", "a"), Sort: []objectos.SortKey{{Field: "created_at", Desc: true}},
					Limit: 50, SkipCount: true}
				deep := q
				deep.Offset = n / 4 // half way through the kind's rows
				res, err := s.List(sys, "event", deep)
				if err != nil || res.NextCursor == "" {
					b.Fatal(err, res)
				}
				q.Cursor = res.NextCursor
				b.Run("cursor", func(b *testing.B) {
					for b.Loop() {
						if res, err := s.List(sys, "event", q); err != nil || len(res.Records) != 50 {
							b.Fatal(err)
						}
					}
				})
				b.Run("offset", func(b *testing.B) {
					for b.Loop() {
						if res, err := s.List(sys, "event", deep); err != nil || len(res.Records) != 50 {
							b.Fatal(err)
						}
					}
				})
			})
		}
	}
}
