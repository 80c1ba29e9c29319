package objectos_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
)

// TestStoresAgree is a differential test: random filters and sorts over a
// fixture of awkward values (NULLs, mixed case, non-ASCII, LIKE wildcards,
// negative and fractional numbers, dates, tags) must give the same records,
// in the same order, or the same error, on SQLite and on PostgreSQL.
func TestStoresAgree(t *testing.T) {
	kinds := testenv.Kinds(t)
	if len(kinds) < 2 {
		t.Skip("needs PostgreSQL as well as SQLite")
	}
	a := &objectos.Artifact{Objects: []*objectos.Object{{Name: "mix", Ownership: objectos.OwnershipNone, Fields: []*objectos.Field{
		{Name: "t", Type: objectos.TypeText},
		{Name: "u", Type: objectos.TypeText},
		{Name: "n", Type: objectos.TypeNumber},
		{Name: "m", Type: objectos.TypeNumber},
		{Name: "b", Type: objectos.TypeBoolean},
		{Name: "d", Type: objectos.TypeDate},
		{Name: "dt", Type: objectos.TypeDatetime},
		{Name: "tm", Type: objectos.TypeTime},
		{Name: "c", Type: objectos.TypeSelect, Options: []objectos.Option{{Value: "x"}, {Value: "y"}, {Value: "Z"}}},
		{Name: "tags", Type: objectos.TypeTags},
	}}}}
	texts := []any{nil, "", "a", "A", "ab", "aB", "B", "b%c", "b_c", "bxc", "é", "É", "ü", "Zeta", "zeta", "_", "%", "a b", " a", "10", "9"}
	numbers := []any{nil, -1.5, 0.0, 0.1, 1.0, 2.0, 10.0, 1e6, -1e-3}
	dates := []any{nil, "2024-01-01", "2024-02-29", "1999-12-31", "2026-07-28"}
	datetimes := []any{nil, "2024-01-01T00:00:00.000Z", "2024-01-01T23:59:59.999Z", "2026-07-28T12:00:00.000Z", "1970-01-01T00:00:00.001Z"}
	times := []any{nil, "00:00:00", "12:30:00", "12:30:00.500", "23:59:59"}
	choices := []any{nil, "x", "y", "Z"}
	tagSets := []any{nil, []any{}, []any{"a"}, []any{"a", "B"}, []any{"b%c"}, []any{"é", "x"}}
	patterns := []any{"a%", "%a", "_", "é%", "%É%", "b\\%c", "b_c", "%\\_%", "Z%", "%", "ü", "a_", "a\\\\", "a\\"}
	rng := rand.New(rand.NewPCG(7, 28))
	pick := func(pool []any) any { return pool[rng.IntN(len(pool))] }

	var rows []objectos.Record
	for i := range 40 {
		rows = append(rows, objectos.Record{"id": fmt.Sprintf("r%02d", i),
			"t": pick(texts), "u": pick(texts), "n": pick(numbers), "m": pick(numbers), "b": pick([]any{nil, true, false}),
			"d": pick(dates), "dt": pick(datetimes), "tm": pick(times), "c": pick(choices), "tags": pick(tagSets)})
	}
	ctx := objectos.AsSystem(context.Background())
	var stacks []*objectos.Stack
	for _, k := range kinds {
		s := newStack(t, testenv.Open(t, k), a)
		for _, r := range rows {
			_, err := s.Create(ctx, "mix", r)
			require.NoError(t, err)
		}
		stacks = append(stacks, s)
	}

	fields := map[string][]any{"t": texts, "u": texts, "n": numbers, "m": numbers, "b": {nil, true, false},
		"d": dates, "dt": datetimes, "tm": times, "c": choices, "tags": {"a", "B", "x", "é"}}
	names := []string{"t", "u", "n", "m", "b", "d", "dt", "tm", "c", "tags"}
	textOps := []string{"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$contains", "$notContains",
		"$startsWith", "$endsWith", "$icontains", "$null", "$exists", "$between", "$like", "$ilike"}
	ordered := []string{"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$null", "$between"}
	opsOf := map[string][]string{"t": textOps, "u": textOps, "c": {"$eq", "$ne", "$in", "$nin", "$null"},
		"b": {"$eq", "$ne", "$null"}, "tags": {"$eq", "$contains", "$in", "$null"}}
	peers := map[string]string{"t": "u", "u": "t", "n": "m", "m": "n"}
	var leaf func() map[string]any
	leaf = func() map[string]any {
		f := names[rng.IntN(len(names))]
		ops := opsOf[f]
		if ops == nil {
			ops = ordered
		}
		op := ops[rng.IntN(len(ops))]
		pool := fields[f]
		var v any
		switch op {
		case "$in", "$nin":
			v = []any{pick(pool), pick(pool), pick(pool)}
		case "$between":
			v = []any{pick(pool), pick(pool)}
		case "$null", "$exists":
			v = rng.IntN(2) == 0
		case "$like", "$ilike":
			v = pick(patterns)
		default:
			v = pick(pool)
			if p, ok := peers[f]; ok && rng.IntN(5) == 0 {
				v = map[string]any{"$field": p}
			}
		}
		return map[string]any{f: map[string]any{op: v}}
	}
	var filter func(depth int) map[string]any
	filter = func(depth int) map[string]any {
		if depth >= 3 || rng.IntN(3) == 0 {
			return leaf()
		}
		switch rng.IntN(3) {
		case 0:
			return map[string]any{"$not": filter(depth + 1)}
		default:
			op := []string{"$and", "$or"}[rng.IntN(2)]
			var kids []any
			for range 1 + rng.IntN(3) {
				kids = append(kids, filter(depth+1))
			}
			return map[string]any{op: kids}
		}
	}

	errs, empty, results := 0, 0, 0
	defer func() { t.Logf("errors %d, empty %d, with rows %d", errs, empty, results) }()
	for i := range 1500 {
		spec := filter(0)
		sortField := names[rng.IntN(len(names)-1)] // tags do not sort
		keys := []objectos.SortKey{{Field: sortField, Desc: rng.IntN(2) == 0}}
		var outs []string
		for _, s := range stacks {
			f, err := objectos.ParseFilterValue(spec)
			if err == nil {
				var res *objectos.ListResult
				res, err = s.List(ctx, "mix", objectos.Query{Filter: f, Sort: keys, Limit: 100})
				if err == nil {
					outs = append(outs, fmt.Sprint(ids(res)))
					continue
				}
			}
			outs = append(outs, "error "+string(objectos.AsError(err).Code))
		}
		switch {
		case len(outs[0]) > 5 && outs[0][:5] == "error":
			errs++
		case outs[0] == "[]":
			empty++
		default:
			results++
		}
		for j := 1; j < len(outs); j++ {
			if outs[j] != outs[0] {
				t.Fatalf("case %d: filter %v sorted by %v:\n%s: %s\n%s: %s", i, spec, keys, kinds[0], outs[0], kinds[j], outs[j])
			}
		}
	}
}
