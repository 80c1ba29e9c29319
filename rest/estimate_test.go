package rest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

// TestEstimatedTotal: count=estimate gives PostgreSQL's planner estimate
// of a large total (totalEstimated: true) instead of counting every match;
// a small total, and any total on SQLite, stays exact.
func TestEstimatedTotal(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st, restArtifact())
		o := s.Stack.Object("account")
		inds := []string{"tech", "finance"}
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		n := objectos.EstimateAbove + 20_000
		for b := 0; b < n; b += 1000 {
			rows := make([]objectos.Record, 0, 1000)
			for i := b; i < b+1000; i++ {
				rows = append(rows, objectos.Record{"id": fmt.Sprintf("a%07d", i), "name": "A", "industry": inds[i%2],
					"created_at": at, "updated_at": at})
			}
			require.NoError(t, st.InsertMany(t.Context(), o, rows))
		}
		require.NoError(t, st.Analyze(t.Context()))

		r := s.as("alice").Get("/api/v1/data/account?limit=5&count=estimate")
		r.Status(t, 200)
		total := r.Value("total").(float64)
		if st.Dialect() == "pg" {
			assert.Equal(t, true, r.Value("totalEstimated"))
			assert.InEpsilon(t, n, total, 0.1, "an estimate near the truth")
		} else {
			assert.NotContains(t, r.Map(), "totalEstimated")
			assert.EqualValues(t, n, total)
		}
		// a small total is counted
		r = s.as("alice").Get(`/api/v1/data/account?limit=5&count=estimate&filter={"name":"nobody"}`)
		require.Equal(t, 200, r.StatusCode)
		assert.EqualValues(t, 0, r.Value("total"))
		assert.NotContains(t, r.Map(), "totalEstimated")
		// the query document takes it too; a bad value is refused
		r = s.as("alice").Post("/api/v1/data/account/query", `{"limit": 5, "count": "estimate"}`)
		r.Status(t, 200)
		assert.NotNil(t, r.Value("total"))
		for _, bad := range []string{"/api/v1/data/account?count=maybe"} {
			assert.Equal(t, 400, s.as("alice").Get(bad).StatusCode)
		}
		assert.Equal(t, 400, s.as("alice").Post("/api/v1/data/account/query", `{"count": "maybe"}`).StatusCode)
	})
}
