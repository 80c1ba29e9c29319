package objectos_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

// formulaCases are formula expressions over the fields of formulaObject;
// sql says whether the database computes them.
var formulaCases = []struct {
	expr string
	sql  bool
}{
	{"a * b / 100", true},
	{"a / b", true},
	{"7 / 2 + a", true},
	{"-a + 1", true},
	{"a - b * 2", true},
	{"abs(a)", true},
	{"a > b", true},
	{"a >= 10 && flag", true},
	{"a > 10 || flag", true},
	{"!flag", true},
	{"flag ? a : b", true},
	{"(a == null ? 0 : a) * (record.b == null ? 0 : record.b) / 100", true},
	{"a > 5 ? 'big' : 'small'", true},
	{"a == null", true},
	{"a == b", true},
	{"coalesce(a, 0.0) + coalesce(b, 0.0)", true},
	{"n + m", true},
	{"n == m", true},
	{"n != 'x'", true},
	{"n < m", true},
	{"isBlank(n)", true},
	{"isEmpty(m)", true},
	{"size(n)", true},
	{"len(n) + 1", true},
	{"n in ['a', 'b ']", true},
	{"d.getFullYear()", true},
	{"d.getMonth() + 1", true},
	{"d.getDate()", true},
	{"dt.getHours()", true},
	{"dt.getDayOfWeek()", true},
	{"d == e", true},
	{"dt < dt2", true},
	// computed in Go
	{"upper(n)", false},
	{"coalesce(a * b, 0.0)", false},
	{"now > dt", false},
	{"a == b * 2.0", false},
	{"addDays(d, 1)", false},
}

func formulaObject() *objectos.Object {
	o := &objectos.Object{Name: "calc", SharingModel: objectos.SharingPublicReadWrite, Fields: []*objectos.Field{
		{Name: "a", Type: objectos.TypeNumber},
		{Name: "b", Type: objectos.TypeCurrency},
		{Name: "n", Type: objectos.TypeText},
		{Name: "m", Type: objectos.TypeText},
		{Name: "flag", Type: objectos.TypeBoolean},
		{Name: "d", Type: objectos.TypeDate},
		{Name: "e", Type: objectos.TypeDate},
		{Name: "dt", Type: objectos.TypeDatetime},
		{Name: "dt2", Type: objectos.TypeDatetime},
	}}
	for i, c := range formulaCases {
		o.Fields = append(o.Fields, &objectos.Field{Name: fmt.Sprintf("f%d", i), Type: objectos.TypeFormula, Expression: objectos.Expression(c.expr)})
	}
	return o
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func randomRow(r *rand.Rand) objectos.Record {
	t0 := time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC)
	return objectos.Record{
		"a":    pick[any](r, nil, 0.0, 1.5, -3.0, 10.0, 100.0, 7.25, 0.1),
		"b":    pick[any](r, nil, 0.0, 2.0, -1.5, 10.0, 50.0, 3.0),
		"n":    pick[any](r, nil, "", " ", "a", "b ", "\t\u00a0", "Zed", "été", "x"),
		"m":    pick[any](r, nil, "", "a", "zz", "Zed", "b "),
		"flag": pick[any](r, nil, true, false),
		"d":    pick[any](r, nil, "2024-02-29", "2023-12-31", "2026-07-04"),
		"e":    pick[any](r, nil, "2024-02-29", "2026-07-04"),
		"dt":   pick[any](r, nil, t0.Format(time.RFC3339), t0.Add(90*time.Minute).Format(time.RFC3339), "2025-12-31T00:15:00Z"),
		"dt2":  pick[any](r, nil, t0.Format(time.RFC3339), "2025-12-31T00:15:00Z"),
	}
}

// TestFormulaDifferential computes every formula in Go (what reads
// return) and, where it compiles to SQL, in the database (the store's
// own value, a filter on it and a sort by it), on random rows with NULLs,
// and requires the same answers.
func TestFormulaDifferential(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newStack(t, st, &objectos.Artifact{Objects: []*objectos.Object{formulaObject()}})
		o := s.Object("calc")
		r := rand.New(rand.NewPCG(17, 3))
		rows := make([]objectos.Record, 60)
		for i := range rows {
			rows[i] = randomRow(r)
		}
		_, err := s.CreateMany(system(), "calc", rows)
		require.NoError(t, err)
		list, err := s.List(system(), "calc", objectos.Query{Limit: 1000})
		require.NoError(t, err)
		require.Len(t, list.Records, len(rows))

		for i, c := range formulaCases {
			name := fmt.Sprintf("f%d", i)
			t.Run(c.expr, func(t *testing.T) {
				f := o.Field(name)
				require.Equal(t, c.sql, f.Computed() != nil, "compiled to SQL")
				goValues := map[string]any{}
				for _, rec := range list.Records {
					goValues[rec["id"].(string)] = rec[name]
				}
				if !c.sql {
					_, err := s.List(system(), "calc", objectos.Query{Filter: objectos.Eq(name, nil)})
					e := requireCode(t, err, objectos.CodeInvalidFilter)
					assert.Contains(t, e.Message, "computed after the read")
					_, err = s.List(system(), "calc", objectos.Query{Sort: []objectos.SortKey{{Field: name}}})
					requireCode(t, err, objectos.CodeInvalidSort)
					return
				}
				// the database's value
				dbRows, err := st.Find(system(), o, &objectos.Select{Fields: []string{objectos.FieldID, name}})
				require.NoError(t, err)
				for _, row := range dbRows {
					id := row[objectos.FieldID].(string)
					assert.Equal(t, goValues[id], wireOf(f, row[name]), "row %s: %v", id, rowOf(list.Records, id))
				}
				// filters: each value seen, and null
				seen := map[string]any{}
				for _, v := range goValues {
					seen[fmt.Sprint(v)] = v
				}
				for _, v := range seen {
					filter := objectos.Eq(name, v)
					if v == nil {
						filter = objectos.Where(name, objectos.OpNull, true)
					}
					got, err := s.List(system(), "calc", objectos.Query{Filter: filter, Limit: 1000, Fields: []string{name}})
					require.NoError(t, err)
					var want, ids []string
					for id, gv := range goValues {
						if compareWire(gv, v) == 0 {
							want = append(want, id)
						}
					}
					for _, rec := range got.Records {
						ids = append(ids, rec["id"].(string))
					}
					assert.ElementsMatch(t, want, ids, "filter %s = %v", name, v)
					assert.Equal(t, int64(len(want)), got.Total)
				}
				// sort, NULL first, id as the tie-breaker, through cursors
				var sorted []string
				q := objectos.Query{Sort: []objectos.SortKey{{Field: name}}, Limit: 7, Fields: []string{name}}
				for {
					page, err := s.List(system(), "calc", q)
					require.NoError(t, err)
					for _, rec := range page.Records {
						sorted = append(sorted, rec["id"].(string))
					}
					if page.NextCursor == "" {
						break
					}
					q.Cursor = page.NextCursor
				}
				want := make([]string, 0, len(goValues))
				for id := range goValues {
					want = append(want, id)
				}
				slices.SortFunc(want, func(x, y string) int {
					if c := compareWire(goValues[x], goValues[y]); c != 0 {
						return c
					}
					return cmp.Compare(x, y)
				})
				assert.Equal(t, want, sorted)
			})
		}
	})
}

func rowOf(recs []objectos.Record, id string) objectos.Record {
	for _, r := range recs {
		if r["id"] == id {
			return r
		}
	}
	return nil
}

// wireOf is the wire value of a canonical one.
func wireOf(f *objectos.Field, v any) any {
	rec := objectos.Record{f.Name: v}
	if t, ok := v.(time.Time); ok {
		return objectos.FormatDatetime(t)
	}
	return rec[f.Name]
}

// compareWire orders wire values as the stores do, NULL first.
func compareWire(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case float64:
		return cmp.Compare(x, b.(float64))
	case string:
		return cmp.Compare(x, b.(string))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	}
	panic(fmt.Sprintf("%T", a))
}
