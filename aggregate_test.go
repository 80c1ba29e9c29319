package objectos_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

func TestAggregate(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newStack(t, st, crmArtifact())
		ctx := system()
		for _, r := range []objectos.Record{
			{"name": "A", "industry": "tech", "revenue": 10.5},
			{"name": "B", "industry": "tech", "revenue": 20.0},
			{"name": "C", "industry": "tech"},
			{"name": "D", "industry": "finance", "revenue": 5.0},
			{"name": "E", "industry": "retail", "revenue": 7.25},
		} {
			mustCreate(t, s, ctx, "account", r)
		}
		res, err := s.Aggregate(ctx, "account", objectos.AggregateQuery{
			GroupBy: []objectos.GroupKey{{Field: "industry"}},
			Aggregations: []objectos.Aggregation{{Function: objectos.AggCount, Alias: "n"},
				{Function: objectos.AggCount, Field: "revenue"}, {Function: objectos.AggSum, Field: "revenue", Alias: "total"},
				{Function: objectos.AggAvg, Field: "revenue"}, {Function: objectos.AggMin, Field: "name"},
				{Function: objectos.AggMax, Field: "revenue"}, {Function: objectos.AggCountDistinct, Field: "revenue", Alias: "distinct"}},
			Sort: []objectos.SortKey{{Field: "total", Desc: true}},
		})
		require.NoError(t, err)
		assert.False(t, res.HasMore)
		assert.Equal(t, []objectos.Record{
			{"industry": "tech", "n": int64(3), "count_revenue": int64(2), "total": 30.5, "avg_revenue": 15.25, "min_name": "A", "max_revenue": 20.0, "distinct": int64(2)},
			{"industry": "retail", "n": int64(1), "count_revenue": int64(1), "total": 7.25, "avg_revenue": 7.25, "min_name": "E", "max_revenue": 7.25, "distinct": int64(1)},
			{"industry": "finance", "n": int64(1), "count_revenue": int64(1), "total": 5.0, "avg_revenue": 5.0, "min_name": "D", "max_revenue": 5.0, "distinct": int64(1)},
		}, res.Rows)

		// no group keys: one row, even when nothing matches
		res, err = s.Aggregate(ctx, "account", objectos.AggregateQuery{
			Filter:       objectos.Eq("industry", "retail"),
			Aggregations: []objectos.Aggregation{{Function: objectos.AggCount}, {Function: objectos.AggSum, Field: "revenue"}},
		})
		require.NoError(t, err)
		assert.Equal(t, []objectos.Record{{"count": int64(1), "sum_revenue": 7.25}}, res.Rows)
		res, err = s.Aggregate(ctx, "account", objectos.AggregateQuery{
			Filter:       objectos.Eq("name", "nobody"),
			Aggregations: []objectos.Aggregation{{Function: objectos.AggCount}, {Function: objectos.AggSum, Field: "revenue"}, {Function: objectos.AggMax, Field: "name"}},
		})
		require.NoError(t, err)
		assert.Equal(t, []objectos.Record{{"count": int64(0), "sum_revenue": nil, "max_name": nil}}, res.Rows)

		// having, an aggregation's own filter, paging
		having, err := objectos.ParseFilter([]byte(`{"n": {"$gte": 1}, "big": {"$gt": 0}}`))
		require.NoError(t, err)
		big, err := objectos.ParseFilter([]byte(`{"revenue": {"$gt": 6}}`))
		require.NoError(t, err)
		res, err = s.Aggregate(ctx, "account", objectos.AggregateQuery{
			GroupBy:      []objectos.GroupKey{{Field: "industry", Alias: "sector"}},
			Aggregations: []objectos.Aggregation{{Function: objectos.AggCount, Alias: "n"}, {Function: objectos.AggCount, Alias: "big", Filter: big}},
			Having:       having,
			Limit:        1,
		})
		require.NoError(t, err)
		assert.True(t, res.HasMore)
		assert.Equal(t, []objectos.Record{{"sector": "retail", "n": int64(1), "big": int64(1)}}, res.Rows, "finance has no big account; groups sort by key")
		res, err = s.Aggregate(ctx, "account", objectos.AggregateQuery{
			GroupBy:      []objectos.GroupKey{{Field: "industry", Alias: "sector"}},
			Aggregations: []objectos.Aggregation{{Function: objectos.AggCount, Alias: "n"}, {Function: objectos.AggCount, Alias: "big", Filter: big}},
			Having:       having, Limit: 1, Offset: 1,
		})
		require.NoError(t, err)
		assert.False(t, res.HasMore)
		assert.Equal(t, []objectos.Record{{"sector": "tech", "n": int64(3), "big": int64(2)}}, res.Rows)
	})
}

func TestAggregateDateBuckets(t *testing.T) {
	a := &objectos.Artifact{Name: "t", Objects: []*objectos.Object{{Name: "ev", Fields: []*objectos.Field{
		{Name: "on", Type: objectos.TypeDate}, {Name: "at", Type: objectos.TypeDatetime}}}}}
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newStack(t, st, a)
		for _, r := range []objectos.Record{
			{"on": "2024-03-17", "at": "2024-03-17T23:30:00.000Z"}, // a Sunday
			{"on": "2024-03-18", "at": "2024-03-18T00:10:00.000Z"}, // the next Monday
			{"on": "2024-12-31", "at": "2024-12-31T12:00:00+00:00"},
			{},
		} {
			mustCreate(t, s, system(), "ev", r)
		}
		want := map[objectos.DateGranularity][]any{
			objectos.GranularityDay:     {nil, "2024-03-17", "2024-03-18", "2024-12-31"},
			objectos.GranularityWeek:    {nil, "2024-03-11", "2024-03-18", "2024-12-30"},
			objectos.GranularityMonth:   {nil, "2024-03-01", "2024-12-01"},
			objectos.GranularityQuarter: {nil, "2024-01-01", "2024-10-01"},
			objectos.GranularityYear:    {nil, "2024-01-01"},
		}
		for gran, keys := range want {
			for _, field := range []string{"on", "at"} {
				res, err := s.Aggregate(system(), "ev", objectos.AggregateQuery{
					GroupBy:      []objectos.GroupKey{{Field: field, Granularity: gran, Alias: "bucket"}},
					Aggregations: []objectos.Aggregation{{Function: objectos.AggCount}},
				})
				require.NoError(t, err)
				var got []any
				for _, r := range res.Rows {
					got = append(got, r["bucket"])
				}
				assert.Equal(t, keys, got, "%s by %s", field, gran)
			}
		}
		// a bucket is a date: having compares it as one
		having, err := objectos.ParseFilter([]byte(`{"month": {"$gte": "2024-06-01"}}`))
		require.NoError(t, err)
		res, err := s.Aggregate(system(), "ev", objectos.AggregateQuery{
			GroupBy:      []objectos.GroupKey{{Field: "at", Granularity: objectos.GranularityMonth, Alias: "month"}},
			Aggregations: []objectos.Aggregation{{Function: objectos.AggMin, Field: "at"}},
			Having:       having,
		})
		require.NoError(t, err)
		assert.Equal(t, []objectos.Record{{"month": "2024-12-01", "min_at": "2024-12-31T12:00:00.000Z"}}, res.Rows)
	})
}

// hideRevenue is a security plugin that hides account.revenue and limits
// every caller but the owner u1 to their own accounts.
type hideRevenue struct{}

func (hideRevenue) Authorize(_ context.Context, p *objectos.Principal, o *objectos.Object, _ objectos.Access) (*objectos.Grant, error) {
	g := &objectos.Grant{Records: objectos.Eq(objectos.FieldOwner, "{current_user_id}")}
	if o.Name == "account" {
		g.Fields = map[string]objectos.FieldAccess{"revenue": {}}
	}
	return g, nil
}

func TestAggregateAccess(t *testing.T) {
	s := newStack(t, testenv.Open(t, testenv.SQLite), crmArtifact(), func(o *objectos.Options) { o.Security = hideRevenue{} })
	for i, owner := range []string{"u1", "u1", "u2"} {
		mustCreate(t, s, system(), "account", objectos.Record{"name": fmt.Sprintf("A%d", i), "owner_id": owner, "revenue": 100.0})
	}
	res, err := s.Aggregate(as("u1"), "account", objectos.AggregateQuery{Aggregations: []objectos.Aggregation{{Function: objectos.AggCount}}})
	require.NoError(t, err)
	assert.Equal(t, int64(2), res.Rows[0]["count"], "the caller's records only")

	for name, q := range map[string]objectos.AggregateQuery{
		"aggregate a hidden field": {Aggregations: []objectos.Aggregation{{Function: objectos.AggSum, Field: "revenue"}}},
		"group by a hidden field":  {GroupBy: []objectos.GroupKey{{Field: "revenue"}}, Aggregations: []objectos.Aggregation{{Function: objectos.AggCount}}},
		"filter on a hidden field": {Filter: objectos.Where("revenue", objectos.OpGt, 1.0), Aggregations: []objectos.Aggregation{{Function: objectos.AggCount}}},
		"an aggregation's filter on a hidden field": {Aggregations: []objectos.Aggregation{{Function: objectos.AggCount,
			Filter: objectos.Where("revenue", objectos.OpGt, 1.0)}}},
	} {
		_, err := s.Aggregate(as("u1"), "account", q)
		requireCode(t, err, objectos.CodeFieldNotAccessible)
		assert.Contains(t, objectos.AsError(err).Message, "revenue", name)
	}
	_, err = s.Aggregate(context.Background(), "account", objectos.AggregateQuery{Aggregations: []objectos.Aggregation{{Function: objectos.AggCount}}})
	requireCode(t, err, objectos.CodeUnauthenticated)
}

func TestAggregateMistakes(t *testing.T) {
	s := newStack(t, testenv.Open(t, testenv.SQLite), crmArtifact())
	count := []objectos.Aggregation{{Function: objectos.AggCount}}
	for name, tc := range map[string]struct {
		q    objectos.AggregateQuery
		code objectos.Code
		want string
	}{
		"no aggregation":         {objectos.AggregateQuery{}, objectos.CodeInvalidQuery, "at least one"},
		"unknown function":       {objectos.AggregateQuery{Aggregations: []objectos.Aggregation{{Function: "median", Field: "revenue"}}}, objectos.CodeInvalidQuery, "median"},
		"sum without a field":    {objectos.AggregateQuery{Aggregations: []objectos.Aggregation{{Function: objectos.AggSum}}}, objectos.CodeInvalidQuery, "needs a field"},
		"sum of text":            {objectos.AggregateQuery{Aggregations: []objectos.Aggregation{{Function: objectos.AggSum, Field: "name"}}}, objectos.CodeInvalidQuery, "number field"},
		"unknown field":          {objectos.AggregateQuery{Aggregations: []objectos.Aggregation{{Function: objectos.AggMax, Field: "revenu"}}}, objectos.CodeInvalidField, "revenue"},
		"bucket of text":         {objectos.AggregateQuery{GroupBy: []objectos.GroupKey{{Field: "name", Granularity: "month"}}, Aggregations: count}, objectos.CodeInvalidQuery, "not a date"},
		"unknown granularity":    {objectos.AggregateQuery{GroupBy: []objectos.GroupKey{{Field: "created_at", Granularity: "decade"}}, Aggregations: count}, objectos.CodeInvalidQuery, "decade"},
		"duplicate alias":        {objectos.AggregateQuery{GroupBy: []objectos.GroupKey{{Field: "name", Alias: "x"}}, Aggregations: []objectos.Aggregation{{Function: objectos.AggCount, Alias: "x"}}}, objectos.CodeInvalidQuery, "twice"},
		"alias not a name":       {objectos.AggregateQuery{Aggregations: []objectos.Aggregation{{Function: objectos.AggCount, Alias: `x"; drop`}}}, objectos.CodeInvalidQuery, "letters"},
		"sort by unknown":        {objectos.AggregateQuery{Aggregations: count, Sort: []objectos.SortKey{{Field: "revenue"}}}, objectos.CodeInvalidSort, "aliases"},
		"having on unknown name": {objectos.AggregateQuery{Aggregations: count, Having: objectos.Eq("revenue", 1.0)}, objectos.CodeInvalidFilter, "having"},
		"having of wrong type":   {objectos.AggregateQuery{Aggregations: count, Having: objectos.Eq("count", "many")}, objectos.CodeInvalidFilter, ""},
		"too many keys": {objectos.AggregateQuery{GroupBy: slices.Repeat([]objectos.GroupKey{{Field: "name"}}, 9),
			Aggregations: count}, objectos.CodeInvalidQuery, "at most"},
		"negative limit": {objectos.AggregateQuery{Aggregations: count, Limit: -1}, objectos.CodeInvalidQuery, "limit"},
	} {
		_, err := s.Aggregate(system(), "account", tc.q)
		e := requireCode(t, err, tc.code)
		assert.Contains(t, e.Message, tc.want, name)
	}
	_, err := s.Aggregate(system(), "nothing", objectos.AggregateQuery{Aggregations: count})
	requireCode(t, err, objectos.CodeObjectNotFound)
}

// TestAggregateDifferential compares aggregates of the same random rows on
// SQLite, on PostgreSQL and computed in Go: random groupings (with date
// buckets), functions, filters, having and sorts, over values with NULLs,
// including groups and whole queries that match nothing.
func TestAggregateDifferential(t *testing.T) {
	a := &objectos.Artifact{Name: "diff", Objects: []*objectos.Object{{Name: "m", Fields: []*objectos.Field{
		{Name: "cat", Type: objectos.TypeSelect, Options: []objectos.Option{{Value: "a"}, {Value: "b"}, {Value: "c"}}},
		{Name: "tag", Type: objectos.TypeText},
		{Name: "n", Type: objectos.TypeNumber},
		{Name: "flag", Type: objectos.TypeBoolean},
		{Name: "d", Type: objectos.TypeDate},
		{Name: "dt", Type: objectos.TypeDatetime},
	}}}}
	rng := rand.New(rand.NewPCG(7, 11))
	maybe := func(v any) any {
		if rng.IntN(5) == 0 {
			return nil
		}
		return v
	}
	var rows []objectos.Record
	base := time.Date(2023, 11, 20, 0, 0, 0, 0, time.UTC)
	for i := range 240 {
		day := base.AddDate(0, 0, rng.IntN(500))
		rows = append(rows, objectos.Record{
			"id":   fmt.Sprintf("r%03d", i),
			"cat":  maybe([]string{"a", "b", "c"}[rng.IntN(3)]),
			"tag":  maybe([]string{"x", "y", "Y", "z", "é"}[rng.IntN(5)]),
			"n":    maybe(float64(rng.IntN(20000)-5000) / 100),
			"flag": maybe(rng.IntN(2) == 0),
			"d":    maybe(day.Format("2006-01-02")),
			"dt":   maybe(day.Add(time.Duration(rng.IntN(86400)) * time.Second).Format("2006-01-02T15:04:05.000Z")),
		})
	}
	stacks := map[string]*objectos.Stack{}
	for _, k := range testenv.Kinds(t) {
		s := newStack(t, testenv.Open(t, k), a)
		for _, r := range rows {
			c := objectos.Record{}
			for f, v := range r {
				if v != nil {
					c[f] = v
				}
			}
			mustCreate(t, s, system(), "m", c)
		}
		stacks[string(k)] = s
	}
	groupable := []objectos.GroupKey{{Field: "cat"}, {Field: "tag"}, {Field: "flag"}, {Field: "d"},
		{Field: "d", Granularity: "week"}, {Field: "d", Granularity: "month"}, {Field: "dt", Granularity: "day"},
		{Field: "dt", Granularity: "quarter"}, {Field: "dt", Granularity: "year"}}
	aggs := []objectos.Aggregation{{Function: "count"}, {Function: "count", Field: "n"}, {Function: "sum", Field: "n"},
		{Function: "avg", Field: "n"}, {Function: "min", Field: "n"}, {Function: "max", Field: "n"},
		{Function: "min", Field: "d"}, {Function: "max", Field: "dt"}, {Function: "min", Field: "tag"},
		{Function: "count_distinct", Field: "tag"}, {Function: "count_distinct", Field: "cat"}}
	filters := []string{``, `{"n": {"$gt": 0}}`, `{"cat": "a"}`, `{"tag": {"$ne": "x"}}`, `{"n": {"$gt": 1000000}}`, `{"flag": true, "d": {"$null": false}}`}
	for i := range 160 {
		q := objectos.AggregateQuery{Limit: 1000}
		for _, gi := range rng.Perm(len(groupable))[:rng.IntN(3)] {
			k := groupable[gi]
			k.Alias = fmt.Sprintf("k%d", len(q.GroupBy))
			q.GroupBy = append(q.GroupBy, k)
		}
		for _, ai := range rng.Perm(len(aggs))[:1+rng.IntN(4)] {
			ag := aggs[ai]
			ag.Alias = fmt.Sprintf("v%d", len(q.Aggregations))
			if rng.IntN(6) == 0 {
				ag.Filter = objectos.Where("n", objectos.OpLt, 10.0)
			}
			q.Aggregations = append(q.Aggregations, ag)
		}
		if f := filters[rng.IntN(len(filters))]; f != "" {
			pf, err := objectos.ParseFilter([]byte(f))
			require.NoError(t, err)
			q.Filter = pf
		}
		if rng.IntN(3) == 0 && q.Aggregations[0].Function == "count" {
			q.Having = objectos.Where("v0", objectos.OpGte, float64(rng.IntN(4)))
		}
		if rng.IntN(2) == 0 {
			q.Sort = []objectos.SortKey{{Field: "v0", Desc: rng.IntN(2) == 0}}
		}
		want := aggregateInGo(rows, q)
		for kind, s := range stacks {
			res, err := s.Aggregate(system(), "m", q)
			require.NoError(t, err, "query %d on %s", i, kind)
			if !sameRows(want, res.Rows) {
				t.Fatalf("query %d on %s: %+v\n want %v\n got  %v", i, kind, q, want, res.Rows)
			}
		}
	}
}

// aggregateInGo is the reference: grouping, aggregates with SQL's NULL
// rules, having, sort (NULL smallest, group keys as tie-breakers).
func aggregateInGo(rows []objectos.Record, q objectos.AggregateQuery) []objectos.Record {
	match := func(r objectos.Record, f *objectos.Filter) bool { return f == nil || evalFilter(r, f) }
	type group struct {
		keys []any
		rows []objectos.Record
	}
	var groups []*group
	index := map[string]*group{}
	for _, r := range rows {
		if !match(r, q.Filter) {
			continue
		}
		var keys []any
		for _, k := range q.GroupBy {
			keys = append(keys, bucket(r[k.Field], k.Granularity))
		}
		id := fmt.Sprint(keys)
		g := index[id]
		if g == nil {
			g = &group{keys: keys}
			index[id] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, r)
	}
	if len(q.GroupBy) == 0 && len(groups) == 0 {
		groups = append(groups, &group{})
	}
	var out []objectos.Record
	for _, g := range groups {
		rec := objectos.Record{}
		for i, k := range q.GroupBy {
			rec[k.Alias] = g.keys[i]
		}
		for _, ag := range q.Aggregations {
			var vals []any
			n := 0
			distinct := map[any]bool{}
			for _, r := range g.rows {
				if !match(r, ag.Filter) {
					continue
				}
				if ag.Field == "" {
					n++
					continue
				}
				if v := r[ag.Field]; v != nil {
					vals = append(vals, v)
					distinct[v] = true
				}
			}
			switch ag.Function {
			case "count":
				if ag.Field == "" {
					rec[ag.Alias] = int64(n)
				} else {
					rec[ag.Alias] = int64(len(vals))
				}
			case "count_distinct":
				rec[ag.Alias] = int64(len(distinct))
			case "sum", "avg":
				if len(vals) == 0 {
					rec[ag.Alias] = nil
					break
				}
				sum := 0.0
				for _, v := range vals {
					sum += v.(float64)
				}
				if ag.Function == "avg" {
					sum /= float64(len(vals))
				}
				rec[ag.Alias] = sum
			case "min", "max":
				var best any
				for _, v := range vals {
					if best == nil || (ag.Function == "min") == (cmpAny(v, best) < 0) && cmpAny(v, best) != 0 {
						best = v
					}
				}
				rec[ag.Alias] = best
			}
		}
		if q.Having != nil && !evalFilter(rec, q.Having) {
			continue
		}
		out = append(out, rec)
	}
	slices.SortStableFunc(out, func(a, b objectos.Record) int {
		for _, k := range q.Sort {
			if c := cmpAny(a[k.Field], b[k.Field]); c != 0 {
				if k.Desc {
					return -c
				}
				return c
			}
		}
		for _, k := range q.GroupBy {
			if c := cmpAny(a[k.Alias], b[k.Alias]); c != 0 {
				return c
			}
		}
		return 0
	})
	return out
}

// bucket is a value's group key: the first day of its date bucket.
func bucket(v any, g objectos.DateGranularity) any {
	if v == nil || g == "" {
		return v
	}
	day, _ := time.Parse("2006-01-02", v.(string)[:10])
	switch g {
	case objectos.GranularityWeek:
		day = day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case objectos.GranularityMonth:
		day = time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
	case objectos.GranularityQuarter:
		day = time.Date(day.Year(), (day.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
	case objectos.GranularityYear:
		day = time.Date(day.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return day.Format("2006-01-02")
}

// cmpAny orders wire values with NULL smallest; strings by their bytes.
func cmpAny(a, b any) int {
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
		y := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case int64:
		return cmpAny(float64(x), float64(b.(int64)))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case string:
		return strings.Compare(x, b.(string))
	}
	panic(fmt.Sprintf("cmpAny %T", a))
}

// evalFilter evaluates the filters the differential test uses.
func evalFilter(r objectos.Record, f *objectos.Filter) bool {
	switch f.Op {
	case objectos.OpAnd:
		for _, c := range f.Children {
			if !evalFilter(r, c) {
				return false
			}
		}
		return true
	case objectos.OpNull:
		return (r[f.Field] == nil) == (f.Value == true)
	case objectos.OpNe:
		return r[f.Field] == nil || cmpAny(r[f.Field], f.Value) != 0
	}
	v := r[f.Field]
	if v == nil {
		return false
	}
	if n, ok := v.(int64); ok {
		v = float64(n)
	}
	want := f.Value
	if n, ok := want.(int); ok {
		want = float64(n)
	}
	c := cmpAny(v, want)
	switch f.Op {
	case objectos.OpEq:
		return c == 0
	case objectos.OpGt:
		return c > 0
	case objectos.OpGte:
		return c >= 0
	case objectos.OpLt:
		return c < 0
	}
	panic("evalFilter " + string(f.Op))
}

func sameRows(want, got []objectos.Record) bool {
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		if len(want[i]) != len(got[i]) {
			return false
		}
		for k, w := range want[i] {
			g := got[i][k]
			wf, wok := w.(float64)
			gf, gok := g.(float64)
			if wok && gok {
				if math.Abs(wf-gf) > 1e-9*math.Max(1, math.Abs(wf)) {
					return false
				}
				continue
			}
			if fmt.Sprint(w) != fmt.Sprint(g) {
				return false
			}
		}
	}
	return true
}
