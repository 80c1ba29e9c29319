package rest_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/store"
)

func TestAggregateOverHTTP(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st, restArtifact())
		seedREST(t, s)
		r := s.as("alice").Post("/api/v1/data/account/query", `{
			"aggregations": [{"function": "count", "alias": "n"}, {"function": "sum", "field": "revenue", "alias": "total"},
			                 {"function": "count", "alias": "active", "filter": {"active": true}}],
			"groupBy": ["industry", {"field": "created_at", "dateGranularity": "year", "alias": "year"}],
			"where": {"name": {"$ne": "To delete"}},
			"having": {"n": {"$gte": 1}},
			"orderBy": [{"field": "total", "order": "desc"}],
			"limit": 2}`)
		r.Status(t, 200)
		assert.Equal(t, "account", r.Value("object"))
		assert.Equal(t, true, r.Value("hasMore"))
		assert.Equal(t, []any{
			map[string]any{"industry": "finance", "year": "2026-01-01", "n": 1.0, "total": 200.0, "active": 0.0},
			map[string]any{"industry": "tech", "year": "2026-01-01", "n": 1.0, "total": 100.0, "active": 1.0},
		}, r.Value("records"))

		// one row over everything
		r = s.as("alice").Post("/api/v1/data/account/query", `{"aggregations": [{"function": "max", "field": "revenue"}]}`)
		r.Status(t, 200)
		assert.Equal(t, []any{map[string]any{"max_revenue": 200.0}}, r.Value("records"))

		for _, tc := range []struct{ body, code, want string }{
			{`{"aggregations": {}}`, "INVALID_QUERY", "non-empty array"},
			{`{"aggregations": []}`, "INVALID_QUERY", "non-empty array"},
			{`{"aggregations": [{"function": "median", "field": "revenue"}]}`, "INVALID_QUERY", "median"},
			{`{"aggregations": [{"function": "sum", "field": "name"}]}`, "INVALID_QUERY", "number field"},
			{`{"aggregations": [{"function": "sum", "field": "token_hash"}]}`, "INVALID_FIELD", "token_hash"},
			{`{"aggregations": [{"function": "count", "colour": "red"}]}`, "INVALID_QUERY", "colour"},
			{`{"aggregations": [{"function": "count"}], "fields": ["name"]}`, "INVALID_QUERY", "cannot be combined"},
			{`{"aggregations": [{"function": "count"}], "groupBy": [{"field": "name", "dateGranularity": "month"}]}`, "INVALID_QUERY", "not a date"},
			{`{"aggregations": [{"function": "count"}], "groupBy": [7]}`, "INVALID_QUERY", "groupBy[0]"},
			{`{"aggregations": [{"function": "count"}], "having": {"revenue": {"$gt": 1}}}`, "INVALID_FILTER", "having"},
			{`{"aggregations": [{"function": "count"}], "orderBy": "name"}`, "INVALID_SORT", "aliases"},
			{`{"aggregations": [{"function": "count"}], "where": {"nope": 1}}`, "INVALID_FILTER", "nope"},
			{`{"groupBy": ["industry"]}`, "INVALID_QUERY", "non-empty array"},
			{`{"aggregations": [{"function": "count"}], "limit": -1}`, "INVALID_QUERY", "limit"},
			{`{"aggregations": [{"function": "count"}], "where": {}, "filter": {}}`, "INVALID_QUERY", "Conflicting"},
		} {
			r := s.as("alice").Post("/api/v1/data/account/query", tc.body)
			assert.Equal(t, 400, r.StatusCode, tc.body)
			assert.Equal(t, tc.code, r.Value("code"), tc.body)
			assert.Contains(t, r.Value("error"), tc.want, tc.body)
		}
		// apiMethods without aggregate: 405, with what is allowed
		r = s.as("alice").Post("/api/v1/data/readonly_thing/query", `{"aggregations": [{"function": "count"}]}`)
		assert.Equal(t, 405, r.StatusCode)
		assert.Equal(t, "OBJECT_API_METHOD_NOT_ALLOWED", r.Value("code"))
		assert.Equal(t, []any{"get", "list"}, r.Value("allowed"))
		r = s.as("alice").Post("/api/v1/data/hidden_thing/query", `{"aggregations": [{"function": "count"}]}`)
		assert.Equal(t, 404, r.StatusCode)
		assert.Equal(t, 401, s.as("").Post("/api/v1/data/account/query", `{"aggregations": [{"function": "count"}]}`).StatusCode)
		// a list's query string points to the query document
		r = s.as("alice").Get("/api/v1/data/account?groupBy=industry")
		assert.Equal(t, 400, r.StatusCode)
		assert.Contains(t, r.Value("error"), "POST /data/account/query")
	})
}

// TestHugeUnknownNames: an unknown name of any length is a plain 400; its
// "did you mean" costs nothing (internal/suggest), and the answer does not
// repeat it whole.
func TestHugeUnknownNames(t *testing.T) {
	s := newServer(t, testenv.Open(t, testenv.SQLite), restArtifact(), func(o *objectos.Options) {
		o.Plugins = []objectos.Plugin{rest.New(rest.Options{}), testAuth}
	})
	huge := strings.Repeat("a", 300<<10)
	for _, body := range []string{
		`{"where": ["name", "` + huge + `", 1]}`,
		`{"where": {"` + huge + `": 1}}`,
		`{"` + huge + `": 1}`,
		`{"aggregations": [{"function": "sum", "field": "` + huge + `"}]}`,
	} {
		r := s.as("alice").Post("/api/v1/data/account/query", body)
		assert.Equal(t, 400, r.StatusCode, r.String()[:min(200, len(r.Body))])
		assert.Less(t, len(r.Body), 4096, "the answer does not echo the name whole: %.40s", body)
	}
	for _, body := range []string{`{"` + huge + `": 1}`, `{"name": 1, "` + huge + `": 1}`} {
		r := s.as("alice").Post("/api/v1/data/account", body)
		assert.Equal(t, 400, r.StatusCode, r.String()[:min(200, len(r.Body))])
		assert.Less(t, len(r.Body), 4096, "the answer does not echo the name whole: %.40s", body)
	}
	for path, body := range map[string]string{
		"/api/v1/batch":                   `{"` + huge + `": 1}`,
		"/api/v1/data/account/updateMany": `{"records": [], "` + huge + `": 1}`,
	} {
		r := s.as("alice").Post(path, body)
		assert.Equal(t, 400, r.StatusCode, r.String()[:min(200, len(r.Body))])
		assert.Less(t, len(r.Body), 4096, "the answer does not echo the name whole: %s", path)
	}
	for _, path := range []string{"/api/v1/data/" + huge, "/api/v1/actions/account/" + huge, "/api/v1/actions/" + huge + "/x"} {
		r := s.as("alice").Post(path, `{}`)
		assert.Contains(t, []int{400, 404}, r.StatusCode)
		assert.Less(t, len(r.Body), 4096, "the answer does not echo the name whole: %.40s", path)
	}
	r := s.as("alice").Get("/api/v1/data/account?sort=" + huge + "&fields=" + huge)
	assert.Equal(t, 400, r.StatusCode)
	assert.Less(t, len(r.Body), 4096)
}
