package objectos_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

func TestParseSort(t *testing.T) {
	for in, want := range map[string][]objectos.SortKey{
		"-created_at":           {{Field: "created_at", Desc: true}},
		"name asc, amount desc": {{Field: "name"}, {Field: "amount", Desc: true}},
		"name,+qty,-id":         {{Field: "name"}, {Field: "qty"}, {Field: "id", Desc: true}},
		"name DESC":             {{Field: "name", Desc: true}},
		"":                      nil,
	} {
		got, err := objectos.ParseSort(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for in, msg := range map[string]string{
		"name:desc":     `write "name desc" or "-name"`,
		"account.name":  "dotted paths",
		"name sideways": "asc or desc",
		"a,,b":          "empty sort key",
		"a,a":           "twice",
		"a b c":         "write a key as",
		"Name":          "not a field name",
	} {
		_, err := objectos.ParseSort(in)
		e := requireCode(t, err, objectos.CodeInvalidSort)
		assert.Contains(t, e.Message, msg, in)
	}
	got, err := objectos.ParseSortValue([]any{map[string]any{"field": "name", "order": "desc"}, "-qty"})
	require.NoError(t, err)
	assert.Equal(t, []objectos.SortKey{{Field: "name", Desc: true}, {Field: "qty", Desc: true}}, got)
	got, err = objectos.ParseSortValue(map[string]any{"name": "desc"})
	require.NoError(t, err)
	assert.Equal(t, []objectos.SortKey{{Field: "name", Desc: true}}, got)
	_, err = objectos.ParseSortValue([]any{map[string]any{"field": "name", "direction": "desc"}})
	requireCode(t, err, objectos.CodeInvalidSort)
}

func TestListQuery(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newStack(t, st, itemArtifact(), func(o *objectos.Options) {
			o.Clock = newClock().Now
			o.MaxPageSize = 3
		})
		for _, r := range itemRows {
			mustCreate(t, s, system(), "item", r)
		}
		ctx := as("u")

		t.Run("sort with NULL smallest", func(t *testing.T) {
			res, err := s.List(ctx, "item", objectos.Query{Sort: []objectos.SortKey{{Field: "qty"}}, Limit: 3})
			require.NoError(t, err)
			assert.Equal(t, []string{"3", "2", "5"}, ids(res))
			res, err = s.List(ctx, "item", objectos.Query{Sort: []objectos.SortKey{{Field: "qty", Desc: true}}, Limit: 3})
			require.NoError(t, err)
			assert.Equal(t, []string{"4", "1", "5"}, ids(res), "ties break on id in the direction of the last key")
		})

		t.Run("limit is clamped to the ceiling", func(t *testing.T) {
			res, err := s.List(ctx, "item", objectos.Query{Limit: 100})
			require.NoError(t, err)
			assert.Len(t, res.Records, 3)
			assert.True(t, res.HasMore)
			assert.EqualValues(t, 5, res.Total)
			_, err = s.List(ctx, "item", objectos.Query{Limit: -1})
			requireCode(t, err, objectos.CodeInvalidQuery)
			_, err = s.List(ctx, "item", objectos.Query{Offset: -1})
			requireCode(t, err, objectos.CodeInvalidQuery)
		})

		t.Run("offset and count", func(t *testing.T) {
			res, err := s.List(ctx, "item", objectos.Query{Limit: 2, Offset: 4})
			require.NoError(t, err)
			assert.Equal(t, []string{"5"}, ids(res))
			assert.False(t, res.HasMore)
			assert.EqualValues(t, 5, res.Total)
			res, err = s.List(ctx, "item", objectos.Query{Limit: 2, SkipCount: true})
			require.NoError(t, err)
			assert.EqualValues(t, -1, res.Total)
			assert.True(t, res.HasMore)
		})

		t.Run("sparse fields", func(t *testing.T) {
			res, err := s.List(ctx, "item", objectos.Query{Fields: []string{"name"}, Limit: 1})
			require.NoError(t, err)
			assert.Equal(t, objectos.Record{"id": "1", "name": "Alpha"}, res.Records[0])
			_, err = s.List(ctx, "item", objectos.Query{Fields: []string{"nme"}})
			e := requireCode(t, err, objectos.CodeInvalidField)
			assert.Equal(t, "nme", e.Details["field"])
		})

		t.Run("search", func(t *testing.T) {
			res, err := s.List(ctx, "item", objectos.Query{Search: "ALP"})
			require.NoError(t, err)
			assert.Equal(t, []string{"1"}, ids(res))
			res, err = s.List(ctx, "item", objectos.Query{Search: "a", Filter: objectos.Eq("kind", "a")})
			require.NoError(t, err)
			assert.Equal(t, []string{"1", "3"}, ids(res))
			res, err = s.List(ctx, "item", objectos.Query{Search: "100%"})
			require.NoError(t, err)
			assert.Empty(t, res.Records, "search is literal")
		})

		t.Run("cursors", func(t *testing.T) {
			sortQty := []objectos.SortKey{{Field: "qty", Desc: true}}
			res, err := s.List(ctx, "item", objectos.Query{Sort: sortQty, Limit: 2})
			require.NoError(t, err)
			require.NotEmpty(t, res.NextCursor)
			next, err := s.List(ctx, "item", objectos.Query{Sort: sortQty, Limit: 2, Cursor: res.NextCursor})
			require.NoError(t, err)
			assert.Equal(t, []string{"5", "2"}, ids(next))
			assert.EqualValues(t, 5, next.Total)

			tampered := []byte(res.NextCursor)
			tampered[3] ^= 1
			for name, q := range map[string]objectos.Query{
				"tampered":      {Sort: sortQty, Cursor: string(tampered)},
				"garbage":       {Sort: sortQty, Cursor: "!!!"},
				"another sort":  {Cursor: res.NextCursor},
				"another query": {Sort: sortQty, Cursor: res.NextCursor, Filter: objectos.Eq("kind", "a")},
				"with offset":   {Sort: sortQty, Cursor: res.NextCursor, Offset: 1},
			} {
				_, err := s.List(ctx, "item", q)
				requireCode(t, err, objectos.CodeInvalidCursor)
				_ = name
			}
			_, err = s.List(as("someone-else"), "item", objectos.Query{Sort: sortQty, Cursor: res.NextCursor})
			requireCode(t, err, objectos.CodeInvalidCursor)
			_, err = s.List(ctx, "item", objectos.Query{Sort: sortQty, Cursor: res.NextCursor})
			require.NoError(t, err)
		})
	})
}

func ids(res *objectos.ListResult) []string {
	out := make([]string, len(res.Records))
	for i, r := range res.Records {
		out[i] = r["id"].(string)
	}
	return out
}

func TestExpand(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newStack(t, st, crmArtifact())
		ctx := as("u")
		root := mustCreate(t, s, ctx, "account", objectos.Record{"name": "Root"})
		mid := mustCreate(t, s, ctx, "account", objectos.Record{"name": "Mid", "parent": root.ID})
		leaf := mustCreate(t, s, ctx, "account", objectos.Record{"name": "Leaf", "parent": mid.ID})
		c := mustCreate(t, s, ctx, "contact", objectos.Record{"last_name": "Doe", "account": leaf.ID})

		g, err := s.Get(ctx, "contact", c.ID, objectos.GetOptions{Expand: []string{"account.parent.parent"}})
		require.NoError(t, err)
		acc := g.Record["account"].(objectos.Record)
		assert.Equal(t, "Leaf", acc["name"])
		p := acc["parent"].(objectos.Record)
		assert.Equal(t, "Mid", p["name"])
		assert.Equal(t, "Root", p["parent"].(objectos.Record)["name"])

		res, err := s.List(ctx, "account", objectos.Query{Expand: []string{"parent"}, Fields: []string{"name"},
			Sort: []objectos.SortKey{{Field: "name"}}})
		require.NoError(t, err)
		require.Len(t, res.Records, 3)
		assert.Equal(t, "Mid", res.Records[0]["parent"].(objectos.Record)["name"]) // Leaf -> Mid
		assert.Nil(t, res.Records[2]["parent"])                                    // Root

		_, err = s.Get(ctx, "contact", c.ID, objectos.GetOptions{Expand: []string{"account.parent.parent.parent"}})
		requireCode(t, err, objectos.CodeInvalidField)
		_, err = s.Get(ctx, "contact", c.ID, objectos.GetOptions{Expand: []string{"last_name"}})
		requireCode(t, err, objectos.CodeInvalidField)
	})
}

func TestExpandSpecs(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newStack(t, st, crmArtifact())
		ctx := as("u")
		root := mustCreate(t, s, ctx, "account", objectos.Record{"name": "Root", "industry": "finance", "revenue": 10.0})
		leaf := mustCreate(t, s, ctx, "account", objectos.Record{"name": "Leaf", "industry": "tech", "parent": root.ID})
		c := mustCreate(t, s, ctx, "contact", objectos.Record{"last_name": "Doe", "account": leaf.ID})

		// fields narrow the expanded record; a nested path still expands
		g, err := s.Get(ctx, "contact", c.ID, objectos.GetOptions{
			Expand:      []string{"account.parent"},
			ExpandSpecs: map[string]objectos.ExpandSpec{"account": {Fields: []string{"name"}}, "account.parent": {Fields: []string{"industry"}}},
		})
		require.NoError(t, err)
		acc := g.Record["account"].(objectos.Record)
		assert.Equal(t, objectos.Record{"id": leaf.ID, "name": "Leaf",
			"parent": objectos.Record{"id": root.ID, "industry": "finance"}}, acc)

		// a spec implies its path; a filter that does not match keeps the id
		res, err := s.List(ctx, "contact", objectos.Query{ExpandSpecs: map[string]objectos.ExpandSpec{
			"account": {Filter: objectos.Eq("industry", "finance")},
		}})
		require.NoError(t, err)
		assert.Equal(t, leaf.ID, res.Records[0]["account"], "Leaf is not finance: the reference keeps its id")
		res, err = s.List(ctx, "contact", objectos.Query{ExpandSpecs: map[string]objectos.ExpandSpec{
			"account": {Filter: objectos.Eq("industry", "tech"), Fields: []string{"name"}},
		}})
		require.NoError(t, err)
		assert.Equal(t, objectos.Record{"id": leaf.ID, "name": "Leaf"}, res.Records[0]["account"])

		// mistakes are reported at every level, whether or not a record has
		// something to expand
		none := objectos.Query{Filter: objectos.Eq("last_name", "nobody")}
		for name, tc := range map[string]struct {
			q    objectos.Query
			code objectos.Code
		}{
			"unknown nested path":   {objectos.Query{Expand: []string{"account.nope"}}, objectos.CodeInvalidField},
			"unknown spec field":    {objectos.Query{ExpandSpecs: map[string]objectos.ExpandSpec{"account": {Fields: []string{"nope"}}}}, objectos.CodeInvalidField},
			"unknown filter field":  {objectos.Query{ExpandSpecs: map[string]objectos.ExpandSpec{"account": {Filter: objectos.Eq("nope", 1)}}}, objectos.CodeInvalidFilter},
			"filter of wrong type":  {objectos.Query{ExpandSpecs: map[string]objectos.ExpandSpec{"account": {Filter: objectos.Eq("revenue", "lots")}}}, objectos.CodeInvalidFilter},
			"spec on non-reference": {objectos.Query{ExpandSpecs: map[string]objectos.ExpandSpec{"last_name": {}}}, objectos.CodeInvalidField},
		} {
			t.Run(name, func(t *testing.T) {
				q := tc.q
				q.Filter = none.Filter
				_, err := s.List(ctx, "contact", q)
				requireCode(t, err, tc.code)
			})
		}
	})
}

// TestCursorWalkWithConcurrentInserts walks 1,000 rows with cursors while
// other rows are inserted: every original row comes back exactly once.
func TestCursorWalkWithConcurrentInserts(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newStack(t, st, itemArtifact())
		ctx := system()
		want := map[string]bool{}
		err := s.Transact(ctx, func(ctx context.Context) error {
			for i := range 1000 {
				r, err := s.Create(ctx, "item", objectos.Record{"name": fmt.Sprintf("n%04d", i), "qty": float64(i % 7)})
				if err != nil {
					return err
				}
				want[r.ID] = true
			}
			return nil
		})
		require.NoError(t, err)
		for _, sortKeys := range [][]objectos.SortKey{nil, {{Field: "qty"}}, {{Field: "qty", Desc: true}, {Field: "name"}}} {
			t.Run(fmt.Sprint(sortKeys), func(t *testing.T) {
				seen := map[string]int{}
				cursor := ""
				var wg sync.WaitGroup
				for page := 0; ; page++ {
					res, err := s.List(as("walker"), "item", objectos.Query{Sort: sortKeys, Limit: 37, Cursor: cursor, SkipCount: true})
					require.NoError(t, err)
					for _, r := range res.Records {
						seen[r["id"].(string)]++
					}
					wg.Add(1)
					go func(page int) {
						defer wg.Done()
						_, err := s.Create(system(), "item", objectos.Record{"name": fmt.Sprintf("late%d", page), "qty": float64(page % 7)})
						assert.NoError(t, err)
					}(page)
					if !res.HasMore {
						break
					}
					cursor = res.NextCursor
				}
				wg.Wait()
				for id := range want {
					assert.Equal(t, 1, seen[id], "row %s", id)
				}
				for id, n := range seen {
					assert.Equal(t, 1, n, "row %s seen %d times", id, n)
				}
			})
		}
	})
}

// TestOffsetAndCursorAgree pages a static table both ways.
func TestOffsetAndCursorAgree(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newStack(t, st, itemArtifact())
		require.NoError(t, s.Transact(system(), func(ctx context.Context) error {
			for i := range 250 {
				var qty any = float64(i % 5)
				if i%11 == 0 {
					qty = nil
				}
				if _, err := s.Create(ctx, "item", objectos.Record{"name": fmt.Sprintf("n%d", i%13), "qty": qty}); err != nil {
					return err
				}
			}
			return nil
		}))
		for _, keys := range [][]objectos.SortKey{{{Field: "qty"}}, {{Field: "qty", Desc: true}}, {{Field: "name"}, {Field: "qty", Desc: true}}} {
			var byOffset, byCursor []string
			for off := 0; off < 250; off += 40 {
				res, err := s.List(as("u"), "item", objectos.Query{Sort: keys, Limit: 40, Offset: off})
				require.NoError(t, err)
				byOffset = append(byOffset, ids(res)...)
			}
			cursor := ""
			for {
				res, err := s.List(as("u"), "item", objectos.Query{Sort: keys, Limit: 40, Cursor: cursor})
				require.NoError(t, err)
				byCursor = append(byCursor, ids(res)...)
				if !res.HasMore {
					break
				}
				cursor = res.NextCursor
			}
			assert.Len(t, byOffset, 250)
			assert.Equal(t, byOffset, byCursor, strings.TrimSpace(fmt.Sprint(keys)))
		}
	})
}
