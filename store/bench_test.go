package store

import (
	"context"
	"testing"

	"github.com/objectos-go/objectos"
)

func BenchmarkCompileFilter(b *testing.B) {
	st, err := Memory(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s, err := objectos.New(context.Background(), objectos.Options{Store: st, Artifact: &objectos.Artifact{
		Objects: []*objectos.Object{{Name: "item", Fields: []*objectos.Field{
			{Name: "name", Type: objectos.TypeText},
			{Name: "qty", Type: objectos.TypeNumber},
			{Name: "kind", Type: objectos.TypeText},
			{Name: "note", Type: objectos.TypeText},
		}}}}})
	if err != nil {
		b.Fatal(err)
	}
	o := s.Object("item")
	f, _ := objectos.ParseFilter([]byte(`{"$and":[{"kind":{"$in":["a","b"]}},{"qty":{"$gte":10}},{"$or":[{"name":{"$icontains":"item"}},{"note":{"$null":true}}]}]}`))
	bound, err := objectos.BindFilter(o, f, objectos.BindOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range []*dialect{pgDialect, sqliteDialect} {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				q := newSQL(d, o)
				if err := q.where(bound, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
