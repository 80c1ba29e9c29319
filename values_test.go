package objectos_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

// TestQueryValueCap: every value a query's filters bind counts towards
// Options.MaxQueryValues — members of $in lists on multi-valued fields too,
// and the filters of expansions with the main one.
func TestQueryValueCap(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		ctx := objectos.AsSystem(context.Background())
		a := &objectos.Artifact{Name: "cap", Objects: []*objectos.Object{
			{Name: "account", Fields: []*objectos.Field{{Name: "name", Type: objectos.TypeText}, {Name: "tags", Type: objectos.TypeTags}}},
			{Name: "contact", Fields: []*objectos.Field{{Name: "name", Type: objectos.TypeText},
				{Name: "account", Type: objectos.TypeLookup, Reference: "account"}}},
		}}
		s, err := objectos.New(ctx, objectos.Options{Artifact: a, Store: st, MaxQueryValues: 2000})
		require.NoError(t, err)
		list := func(n int) []any {
			out := make([]any, n)
			for i := range out {
				out[i] = fmt.Sprintf("v%d", i)
			}
			return out
		}
		ors := func(field string, lists, size int) *objectos.Filter {
			var fs []*objectos.Filter
			for range lists {
				fs = append(fs, objectos.Where(field, objectos.OpIn, list(size)))
			}
			return objectos.Or(fs...)
		}
		_, err = s.List(ctx, "account", objectos.Query{Filter: ors("tags", 3, 1000)})
		require.True(t, objectos.IsCode(err, objectos.CodeInvalidFilter), "tags members count: %v", err)
		assert.Contains(t, err.Error(), "2000")
		_, err = s.List(ctx, "account", objectos.Query{Filter: ors("tags", 2, 1000)})
		require.NoError(t, err)

		_, err = s.List(ctx, "contact", objectos.Query{Filter: ors("name", 1, 1000), Expand: []string{"account"},
			ExpandSpecs: map[string]objectos.ExpandSpec{"account": {Filter: ors("name", 1, 1001)}}})
		require.True(t, objectos.IsCode(err, objectos.CodeInvalidFilter), "expansions count with the query: %v", err)
		_, err = s.List(ctx, "contact", objectos.Query{Filter: ors("name", 1, 1000), Expand: []string{"account"},
			ExpandSpecs: map[string]objectos.ExpandSpec{"account": {Filter: ors("name", 1, 1000)}}})
		require.NoError(t, err)
	})
}
