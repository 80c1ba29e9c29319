package rest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/store"
)

// inLists is a filter of n $in lists of size values each (every list on
// name, so the filter is valid), as an $or.
func inLists(n, size int) string {
	var lists []string
	for i := range n {
		vals := make([]string, size)
		for j := range vals {
			vals[j] = fmt.Sprintf(`"v%d_%d"`, i, j)
		}
		lists = append(lists, `{"name": {"$in": [`+strings.Join(vals, ",")+`]}}`)
	}
	return `{"$or": [` + strings.Join(lists, ",") + `]}`
}

// TestTooManyValues: a query binds at most Options.MaxQueryValues values
// (10,000 by default) in all its filters together; more is 400
// INVALID_FILTER naming the limit, on both stores, never the database's
// own limit as a 500.
func TestTooManyValues(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st, restArtifact(), func(o *objectos.Options) {
			o.Plugins = []objectos.Plugin{rest.New(rest.Options{MaxBodyBytes: 8 << 20}), testAuth}
		})
		seedREST(t, s)
		for name, body := range map[string]string{
			"40 lists of 1,000": `{"where": ` + inLists(40, 1000) + `}`,
			"70 lists of 1,000": `{"where": ` + inLists(70, 1000) + `}`,
			"aggregation filters": `{"aggregations": [{"function": "count", "filter": ` + inLists(6, 1000) + `},
				{"function": "count", "alias": "b", "filter": ` + inLists(5, 1000) + `}]}`,
			"where and having": `{"aggregations": [{"function": "count", "alias": "n"}], "where": ` + inLists(10, 1000) +
				`, "having": {"n": {"$in": [1, 2, 3]}}}`,
		} {
			r := s.as("alice").Post("/api/v1/data/account/query", body)
			require.Equal(t, 400, r.StatusCode, "%s: %.300s", name, r.String())
			assert.Equal(t, "INVALID_FILTER", r.Value("code"), name)
			assert.Contains(t, r.Value("error"), "10000", name)
		}
		// At the limit the query runs.
		r := s.as("alice").Post("/api/v1/data/account/query", `{"where": `+inLists(10, 1000)+`}`)
		require.Equal(t, 200, r.StatusCode, "%.300s", r.String())

		// The limit is an option.
		s = newServer(t, st, restArtifact(), func(o *objectos.Options) { o.MaxQueryValues = 100 })
		r = s.as("alice").Post("/api/v1/data/account/query", `{"where": `+inLists(1, 101)+`}`)
		require.Equal(t, 400, r.StatusCode, "%.300s", r.String())
		assert.Contains(t, r.Value("error"), "100")
		r = s.as("alice").Post("/api/v1/data/account/query", `{"where": `+inLists(1, 100)+`}`)
		require.Equal(t, 200, r.StatusCode, "%.300s", r.String())
	})
}
