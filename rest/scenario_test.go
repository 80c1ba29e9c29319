package rest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

type scenario struct {
	name   string
	req    req
	status int
	code   string         // wanted "code" of an error body
	want   map[string]any // top-level members the body must have (nil value: must be absent)
	header map[string]string
	check  func(t *testing.T, r *objectostest.Response)
}

func seedREST(t *testing.T, s *server) {
	t.Helper()
	ctx := objectos.WithPrincipal(context.Background(), &objectos.Principal{UserID: "alice"})
	for _, rec := range []objectos.Record{
		{"id": "acc1", "name": "Acme", "industry": "tech", "revenue": 100.0, "active": true, "code": "A1"},
		{"id": "acc2", "name": "Globex", "industry": "finance", "revenue": 200.0, "active": false, "parent": "acc1"},
		{"id": "upd1", "name": "To update", "industry": "retail"},
		{"id": "occ1", "name": "Versioned"},
		{"id": "del1", "name": "To delete"},
	} {
		_, err := s.Stack.Create(ctx, "account", rec)
		require.NoError(t, err)
	}
}

const longName = "this-name-is-definitely-longer-than-one-hundred-characters-because-it-keeps-going-and-going-and-going-on"

func scenarios() []scenario {
	alice := "alice"
	return []scenario{
		// authentication
		{name: "anonymous list", req: req{method: "GET", url: "/api/v1/data/account"}, status: 401, code: "UNAUTHENTICATED",
			want:   map[string]any{"error": "UNAUTHENTICATED", "message": "Authentication is required to access this endpoint."},
			header: map[string]string{"WWW-Authenticate": `Bearer realm="objectos"`}},
		{name: "anonymous create", req: req{method: "POST", url: "/api/v1/data/account", body: `{"name":"x"}`}, status: 401, code: "UNAUTHENTICATED"},
		{name: "anonymous unknown object reveals nothing", req: req{method: "GET", url: "/api/v1/data/nope"}, status: 401, code: "UNAUTHENTICATED"},
		{name: "anonymous item", req: req{method: "DELETE", url: "/api/v1/data/account/acc1"}, status: 401, code: "UNAUTHENTICATED"},
		{name: "anonymous query", req: req{method: "POST", url: "/api/v1/data/account/query", body: `{}`}, status: 401, code: "UNAUTHENTICATED"},
		{name: "bad credentials", req: req{method: "GET", url: "/api/v1/data/account", user: "!bad"}, status: 401, code: "INVALID_TOKEN"},
		{name: "auth failure is a 500 without detail", req: req{method: "GET", url: "/api/v1/data/account", user: "!broken"}, status: 500, code: "INTERNAL_ERROR",
			check: func(t *testing.T, r *objectostest.Response) { assert.NotContains(t, r.String(), "EOF") }},

		// reads
		{name: "list", req: req{method: "GET", url: "/api/v1/data/account?sort=name", user: alice}, status: 200,
			want: map[string]any{"object": "account", "total": 5.0, "hasMore": false, "nextCursor": nil},
			check: func(t *testing.T, r *objectostest.Response) {
				recs := r.Value("records").([]any)
				require.Len(t, recs, 5)
				first := recs[0].(map[string]any)
				assert.Equal(t, "Acme", first["name"])
				assert.NotContains(t, first, "token_hash", "internal fields never leave the server")
				assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
			}},
		{name: "get", req: req{method: "GET", url: "/api/v1/data/account/acc1", user: alice}, status: 200,
			want: map[string]any{"object": "account", "id": "acc1"},
			check: func(t *testing.T, r *objectostest.Response) {
				rec := r.Value("record").(map[string]any)
				assert.Equal(t, "Acme", rec["name"])
				assert.Equal(t, 100.0, rec["revenue"])
				assert.Equal(t, `"`+rec["updated_at"].(string)+`"`, r.Header.Get("ETag"))
			}},
		{name: "get with fields", req: req{method: "GET", url: "/api/v1/data/account/acc1?select=name", user: alice}, status: 200,
			check: func(t *testing.T, r *objectostest.Response) {
				assert.Equal(t, map[string]any{"id": "acc1", "name": "Acme"}, r.Value("record"))
			}},
		{name: "get with expand", req: req{method: "GET", url: "/api/v1/data/account/acc2?$expand=parent&fields=name,parent", user: alice}, status: 200,
			check: func(t *testing.T, r *objectostest.Response) {
				parent := r.Value("record.parent").(map[string]any)
				assert.Equal(t, "Acme", parent["name"])
			}},
		{name: "get with If-None-Match", req: req{method: "GET", url: "/api/v1/data/account/acc1", user: alice,
			header: map[string]string{"If-None-Match": `"2026-07-28T12:00:00.000Z"`}}, status: 304},
		{name: "get refuses list parameters", req: req{method: "GET", url: "/api/v1/data/account/acc1?limit=1", user: alice}, status: 400, code: "INVALID_QUERY",
			want: map[string]any{"param": "limit"}},
		{name: "HEAD is GET without a body", req: req{method: "HEAD", url: "/api/v1/data/account/acc1", user: alice}, status: 200},
		{name: "get missing record", req: req{method: "GET", url: "/api/v1/data/account/nope", user: alice}, status: 404, code: "RECORD_NOT_FOUND",
			want: map[string]any{"object": "account"}},
		{name: "unknown object", req: req{method: "GET", url: "/api/v1/data/nope", user: alice}, status: 404, code: "OBJECT_NOT_FOUND",
			want: map[string]any{"object": "nope"}},
		{name: "unknown object item", req: req{method: "PATCH", url: "/api/v1/data/nope/1", body: `{}`, user: alice}, status: 404, code: "OBJECT_NOT_FOUND"},

		// exposure
		{name: "api disabled list", req: req{method: "GET", url: "/api/v1/data/hidden_thing", user: alice}, status: 404, code: "OBJECT_API_DISABLED",
			want: map[string]any{"object": "hidden_thing", "error": "Object 'hidden_thing' is not exposed via the API."}},
		{name: "api disabled create", req: req{method: "POST", url: "/api/v1/data/hidden_thing", body: `{"x":"y"}`, user: alice}, status: 404, code: "OBJECT_API_DISABLED"},
		{name: "api disabled get", req: req{method: "GET", url: "/api/v1/data/hidden_thing/1", user: alice}, status: 404, code: "OBJECT_API_DISABLED"},
		{name: "api disabled query", req: req{method: "POST", url: "/api/v1/data/hidden_thing/query", body: `{}`, user: alice}, status: 404, code: "OBJECT_API_DISABLED"},
		{name: "method outside apiMethods", req: req{method: "POST", url: "/api/v1/data/readonly_thing", body: `{"x":"y"}`, user: alice}, status: 405, code: "OBJECT_API_METHOD_NOT_ALLOWED",
			want:   map[string]any{"allowed": []any{"get", "list"}, "object": "readonly_thing", "error": "API operation 'create' is not allowed on object 'readonly_thing'."},
			header: map[string]string{"Allow": "GET"}},
		{name: "update outside apiMethods", req: req{method: "PATCH", url: "/api/v1/data/readonly_thing/1", body: `{}`, user: alice}, status: 405, code: "OBJECT_API_METHOD_NOT_ALLOWED",
			header: map[string]string{"Allow": "GET"}},
		{name: "delete outside apiMethods", req: req{method: "DELETE", url: "/api/v1/data/readonly_thing/1", user: alice}, status: 405, code: "OBJECT_API_METHOD_NOT_ALLOWED"},
		{name: "empty apiMethods allows nothing", req: req{method: "GET", url: "/api/v1/data/sealed_thing", user: alice}, status: 405, code: "OBJECT_API_METHOD_NOT_ALLOWED",
			want: map[string]any{"allowed": []any{}}, header: map[string]string{"Allow": ""}},
		{name: "PUT is not an update", req: req{method: "PUT", url: "/api/v1/data/account/acc1", body: `{"name":"x"}`, user: alice}, status: 405, code: "METHOD_NOT_ALLOWED",
			header: map[string]string{"Allow": "GET, PATCH, DELETE"}},
		{name: "DELETE on a collection", req: req{method: "DELETE", url: "/api/v1/data/account", user: alice}, status: 405, code: "METHOD_NOT_ALLOWED",
			header: map[string]string{"Allow": "GET, POST"}},
		{name: "GET on query reads the record named query", req: req{method: "GET", url: "/api/v1/data/account/query", user: alice}, status: 404, code: "RECORD_NOT_FOUND"},
		{name: "PUT on query", req: req{method: "PUT", url: "/api/v1/data/account/query", user: alice}, status: 405, code: "METHOD_NOT_ALLOWED",
			header: map[string]string{"Allow": "GET, POST, PATCH, DELETE"}},
		{name: "data without object", req: req{method: "GET", url: "/api/v1/data", user: alice}, status: 404, code: "NOT_FOUND"},
		{name: "too deep a path", req: req{method: "GET", url: "/api/v1/data/account/acc1/extra", user: alice}, status: 404, code: "NOT_FOUND"},

		// list parameters and their aliases
		{name: "limit", req: req{method: "GET", url: "/api/v1/data/account?limit=2", user: alice}, status: 200, want: map[string]any{"hasMore": true, "total": 5.0},
			check: func(t *testing.T, r *objectostest.Response) {
				assert.Len(t, r.Value("records"), 2)
				assert.NotEmpty(t, r.Value("nextCursor"))
			}},
		{name: "top", req: req{method: "GET", url: "/api/v1/data/account?top=1", user: alice}, status: 200, check: records(1)},
		{name: "$top", req: req{method: "GET", url: "/api/v1/data/account?%24top=3", user: alice}, status: 200, check: records(3)},
		{name: "offset", req: req{method: "GET", url: "/api/v1/data/account?offset=4", user: alice}, status: 200, check: records(1)},
		{name: "skip", req: req{method: "GET", url: "/api/v1/data/account?skip=3", user: alice}, status: 200, check: records(2)},
		{name: "$skip", req: req{method: "GET", url: "/api/v1/data/account?$skip=5", user: alice}, status: 200, check: records(0)},
		{name: "filter", req: req{method: "GET", url: `/api/v1/data/account?filter={"industry":"tech"}`, user: alice}, status: 200, check: names("Acme")},
		{name: "filters", req: req{method: "GET", url: `/api/v1/data/account?filters=["industry","=","finance"]`, user: alice}, status: 200, check: names("Globex")},
		{name: "$filter", req: req{method: "GET", url: `/api/v1/data/account?$filter={"revenue":{"$gt":150}}`, user: alice}, status: 200, check: names("Globex")},
		{name: "where", req: req{method: "GET", url: `/api/v1/data/account?where=["and",["revenue",">",1],["active","=",true]]`, user: alice}, status: 200, check: names("Acme")},
		{name: "sort", req: req{method: "GET", url: "/api/v1/data/account?sort=-revenue&limit=1", user: alice}, status: 200, check: names("Globex")},
		{name: "$orderby", req: req{method: "GET", url: "/api/v1/data/account?$orderby=revenue%20desc&limit=1", user: alice}, status: 200, check: names("Globex")},
		{name: "orderBy as JSON", req: req{method: "GET", url: `/api/v1/data/account?orderBy=[{"field":"name","order":"desc"}]&limit=1`, user: alice}, status: 200, check: names("Versioned")},
		{name: "fields", req: req{method: "GET", url: "/api/v1/data/account?fields=name&limit=1", user: alice}, status: 200, check: keys("id", "name")},
		{name: "select", req: req{method: "GET", url: "/api/v1/data/account?select=name,code&limit=1", user: alice}, status: 200, check: keys("code", "id", "name")},
		{name: "$select", req: req{method: "GET", url: "/api/v1/data/account?$select=industry&limit=1", user: alice}, status: 200, check: keys("id", "industry")},
		{name: "expand", req: req{method: "GET", url: "/api/v1/data/account?expand=parent&filter={\"id\":\"acc2\"}", user: alice}, status: 200, check: parentName("Acme")},
		{name: "populate", req: req{method: "GET", url: "/api/v1/data/account?populate=parent&id=acc2", user: alice}, status: 200, check: parentName("Acme")},
		{name: "$expand", req: req{method: "GET", url: "/api/v1/data/account?$expand=parent&id=acc2", user: alice}, status: 200, check: parentName("Acme")},
		{name: "search", req: req{method: "GET", url: "/api/v1/data/account?search=ACM", user: alice}, status: 200, check: names("Acme")},
		{name: "$search", req: req{method: "GET", url: "/api/v1/data/account?$search=glob", user: alice}, status: 200, check: names("Globex")},
		{name: "searchFields", req: req{method: "GET", url: "/api/v1/data/account?search=fin&searchFields=industry", user: alice}, status: 200, check: names("Globex")},
		{name: "count=false", req: req{method: "GET", url: "/api/v1/data/account?count=false&limit=1", user: alice}, status: 200,
			want: map[string]any{"total": nil, "hasMore": true}},
		{name: "$count=false", req: req{method: "GET", url: "/api/v1/data/account?$count=false", user: alice}, status: 200, want: map[string]any{"total": nil}},
		{name: "limit=0 counts only", req: req{method: "GET", url: "/api/v1/data/account?limit=0", user: alice}, status: 200,
			want: map[string]any{"records": []any{}, "total": 5.0, "hasMore": true}},
		{name: "limit above the ceiling is clamped", req: req{method: "GET", url: "/api/v1/data/account?limit=100000", user: alice}, status: 200, check: records(5)},
		{name: "implicit equality", req: req{method: "GET", url: "/api/v1/data/account?industry=finance", user: alice}, status: 200, check: names("Globex")},
		{name: "implicit number equality", req: req{method: "GET", url: "/api/v1/data/account?revenue=100", user: alice}, status: 200, check: names("Acme")},
		{name: "implicit boolean equality", req: req{method: "GET", url: "/api/v1/data/account?active=false", user: alice}, status: 200, check: names("Globex")},
		{name: "implicit equality ANDs with filter", req: req{method: "GET", url: `/api/v1/data/account?industry=tech&filter={"revenue":{"$gt":500}}`, user: alice}, status: 200, check: records(0)},
		{name: "implicit equality, wrong type", req: req{method: "GET", url: "/api/v1/data/account?revenue=lots", user: alice}, status: 400, code: "INVALID_FILTER"},
		{name: "implicit equality, a stringified JavaScript object", req: req{method: "GET", url: "/api/v1/data/account?name=%5Bobject+Object%5D", user: alice}, status: 400, code: "INVALID_FILTER"},
		{name: "repeated parameter", req: req{method: "GET", url: "/api/v1/data/account?limit=1&limit=2", user: alice}, status: 400, code: "INVALID_QUERY",
			want: map[string]any{"param": "limit"}},
		{name: "two spellings of one parameter", req: req{method: "GET", url: "/api/v1/data/account?limit=1&top=2", user: alice}, status: 400, code: "INVALID_QUERY"},
		{name: "two spellings of filter", req: req{method: "GET", url: `/api/v1/data/account?filter={}&where={}`, user: alice}, status: 400, code: "INVALID_QUERY"},
		{name: "unknown parameter with a hint", req: req{method: "GET", url: "/api/v1/data/account?pageSize=10", user: alice}, status: 400, code: "INVALID_FIELD",
			check: func(t *testing.T, r *objectostest.Response) {
				assert.Contains(t, r.Value("error"), "Did you mean 'limit' (top, $top)?")
			}},
		{name: "unknown field parameter with a suggestion", req: req{method: "GET", url: "/api/v1/data/account?industri=tech", user: alice}, status: 400, code: "INVALID_FIELD",
			check: func(t *testing.T, r *objectostest.Response) {
				assert.Contains(t, r.Value("error"), "Did you mean 'industry'?")
			}},
		{name: "internal field is not a parameter", req: req{method: "GET", url: "/api/v1/data/account?token_hash=x", user: alice}, status: 400, code: "INVALID_FIELD"},
		{name: "aggregations are not supported yet", req: req{method: "GET", url: "/api/v1/data/account?aggregations=[]", user: alice}, status: 400, code: "INVALID_QUERY"},
		{name: "bad limit", req: req{method: "GET", url: "/api/v1/data/account?limit=ten", user: alice}, status: 400, code: "INVALID_QUERY"},
		{name: "negative limit", req: req{method: "GET", url: "/api/v1/data/account?top=-1", user: alice}, status: 400, code: "INVALID_QUERY", want: map[string]any{"param": "top"}},
		{name: "negative offset", req: req{method: "GET", url: "/api/v1/data/account?skip=-1", user: alice}, status: 400, code: "INVALID_QUERY"},
		{name: "bad count", req: req{method: "GET", url: "/api/v1/data/account?count=maybe", user: alice}, status: 400, code: "INVALID_QUERY"},
		{name: "bad filter JSON", req: req{method: "GET", url: "/api/v1/data/account?filter={bad", user: alice}, status: 400, code: "INVALID_FILTER",
			want: map[string]any{"param": "filter"}},
		{name: "filter of the wrong shape", req: req{method: "GET", url: "/api/v1/data/account?filter=5", user: alice}, status: 400, code: "INVALID_FILTER"},
		{name: "infix filter", req: req{method: "GET", url: `/api/v1/data/account?filter=[["name","=","a"],"and",["code","=","b"]]`, user: alice}, status: 400, code: "INVALID_FILTER"},
		{name: "unknown sort field", req: req{method: "GET", url: "/api/v1/data/account?sort=nope", user: alice}, status: 400, code: "INVALID_SORT"},
		{name: "colon sort", req: req{method: "GET", url: "/api/v1/data/account?sort=name:desc", user: alice}, status: 400, code: "INVALID_SORT"},
		{name: "unknown field in fields", req: req{method: "GET", url: "/api/v1/data/account?fields=nope", user: alice}, status: 400, code: "INVALID_FIELD"},
		{name: "expand a non-reference", req: req{method: "GET", url: "/api/v1/data/account?expand=name", user: alice}, status: 400, code: "INVALID_FIELD"},
		{name: "search an unsearchable object", req: req{method: "GET", url: "/api/v1/data/unsearchable?search=x", user: alice}, status: 400, code: "INVALID_QUERY"},
		{name: "garbage cursor", req: req{method: "GET", url: "/api/v1/data/account?cursor=abc", user: alice}, status: 400, code: "INVALID_CURSOR"},
		{name: "malformed query string", req: req{method: "GET", url: "/api/v1/data/account?limit=%zz", user: alice}, status: 400, code: "INVALID_QUERY"},
		{name: "search that is not UTF-8", req: req{method: "GET", url: "/api/v1/data/account?search=%EF", user: alice}, status: 400, code: "INVALID_QUERY"},
		{name: "equality parameter that is not UTF-8", req: req{method: "GET", url: "/api/v1/data/account?industry=%EF", user: alice}, status: 400, code: "INVALID_FILTER"},

		// query document
		{name: "query", req: req{method: "POST", url: "/api/v1/data/account/query", body: `{"where":{"industry":"tech"},"fields":["name"],"orderBy":[{"field":"name","order":"asc"}],"limit":10}`, user: alice},
			status: 200, check: names("Acme")},
		{name: "query with aliases", req: req{method: "POST", url: "/api/v1/data/account/query", body: `{"object":"account","filter":["revenue",">",150],"select":["name"],"top":5,"skip":0,"sort":"-name"}`, user: alice},
			status: 200, check: names("Globex")},
		{name: "query with nested expand", req: req{method: "POST", url: "/api/v1/data/account/query", body: `{"where":{"id":"acc2"},"expand":{"parent":{}}}`, user: alice},
			status: 200, check: parentName("Acme")},
		{name: "query with nested expand fields", req: req{method: "POST", url: "/api/v1/data/account/query", body: `{"where":{"id":"acc2"},"expand":{"parent":{"object":"account","fields":["name"]}}}`, user: alice},
			status: 200, check: func(t *testing.T, r *objectostest.Response) {
				assert.Equal(t, map[string]any{"id": "acc1", "name": "Acme"}, r.Value("records.0.parent"))
			}},
		{name: "query with nested expand where, not matching", req: req{method: "POST", url: "/api/v1/data/account/query", body: `{"where":{"id":"acc2"},"expand":{"parent":{"where":{"industry":"retail"}}}}`, user: alice},
			status: 200, check: func(t *testing.T, r *objectostest.Response) {
				assert.Equal(t, "acc1", r.Value("records.0.parent"), "the reference keeps its id")
			}},
		{name: "query with nested expand where, matching", req: req{method: "POST", url: "/api/v1/data/account/query", body: `{"where":{"id":"acc2"},"expand":{"parent":{"where":["industry","=","tech"]}}}`, user: alice},
			status: 200, check: parentName("Acme")},
		{name: "query with nested expand, unknown field", req: req{method: "POST", url: "/api/v1/data/account/query", body: `{"expand":{"parent":{"fields":["nope"]}}}`, user: alice}, status: 400, code: "INVALID_FIELD"},
		{name: "query with nested expand, bad where", req: req{method: "POST", url: "/api/v1/data/account/query", body: `{"expand":{"parent":{"where":{"nope":1}}}}`, user: alice}, status: 400, code: "INVALID_FILTER"},
		{name: "query with nested expand, unsupported key", req: req{method: "POST", url: "/api/v1/data/account/query", body: `{"expand":{"parent":{"limit":1}}}`, user: alice}, status: 400, code: "INVALID_QUERY"},
		{name: "query, search object", req: req{method: "POST", url: "/api/v1/data/account/query", body: `{"search":{"query":"acm","fields":["name"]}}`, user: alice},
			status: 200, check: names("Acme")},
		{name: "query, unknown key", req: req{method: "POST", url: "/api/v1/data/account/query", body: `{"wher":{}}`, user: alice}, status: 400, code: "INVALID_QUERY",
			check: func(t *testing.T, r *objectostest.Response) {
				assert.Contains(t, r.Value("error"), "Did you mean 'where'?")
			}},
		{name: "query, conflicting keys", req: req{method: "POST", url: "/api/v1/data/account/query", body: `{"limit":1,"top":2}`, user: alice}, status: 400, code: "INVALID_QUERY"},
		{name: "query, other object", req: req{method: "POST", url: "/api/v1/data/account/query", body: `{"object":"contact"}`, user: alice}, status: 400, code: "INVALID_QUERY"},
		{name: "query, bad limit", req: req{method: "POST", url: "/api/v1/data/account/query", body: `{"limit":"ten"}`, user: alice}, status: 400, code: "INVALID_QUERY"},
		{name: "query, aggregations", req: req{method: "POST", url: "/api/v1/data/account/query", body: `{"aggregations":[]}`, user: alice}, status: 400, code: "INVALID_QUERY"},
		{name: "query, bad where", req: req{method: "POST", url: "/api/v1/data/account/query", body: `{"where":{"revenue":{"$gtt":1}}}`, user: alice}, status: 400, code: "INVALID_FILTER"},
		{name: "query, array body", req: req{method: "POST", url: "/api/v1/data/account/query", body: `[]`, user: alice}, status: 400, code: "INVALID_JSON"},

		// writes
		{name: "create", req: req{method: "POST", url: "/api/v1/data/account", body: `{"name":"New Co","industry":"retail","status":"hacked","created_by":"mallory"}`, user: alice}, status: 201,
			want: map[string]any{"object": "account", "droppedFields": []any{map[string]any{"object": "account", "fields": []any{"created_by", "status"}, "reason": "readonly"}}},
			check: func(t *testing.T, r *objectostest.Response) {
				id := r.Value("id").(string)
				assert.Equal(t, "/api/v1/data/account/"+id, r.Header.Get("Location"))
				assert.Equal(t, "created_by,status", r.Header.Get("X-ObjectStack-Dropped-Fields"))
				assert.NotEmpty(t, r.Header.Get("ETag"))
				rec := r.Value("record").(map[string]any)
				assert.Equal(t, "new", rec["status"])
				assert.Equal(t, "alice", rec["owner_id"])
			}},
		{name: "create with own id", req: req{method: "POST", url: "/api/v1/data/account", body: `{"id":"mine-1","name":"Mine"}`, user: alice}, status: 201,
			want: map[string]any{"id": "mine-1", "droppedFields": nil}},
		{name: "create, text/plain", req: req{method: "POST", url: "/api/v1/data/account", body: `{"name":"x"}`, user: alice,
			header: map[string]string{"Content-Type": "text/plain"}}, status: 415, code: "UNSUPPORTED_MEDIA_TYPE"},
		{name: "create, no content type", req: req{method: "POST", url: "/api/v1/data/account", body: `{"name":"x"}`, user: alice,
			header: map[string]string{"Content-Type": ""}}, status: 415, code: "UNSUPPORTED_MEDIA_TYPE"},
		{name: "create, JSON with charset", req: req{method: "POST", url: "/api/v1/data/account", body: `{"name":"charset"}`, user: alice,
			header: map[string]string{"Content-Type": "application/json; charset=utf-8"}}, status: 201},
		{name: "create, malformed JSON", req: req{method: "POST", url: "/api/v1/data/account", body: `{"name":`, user: alice}, status: 400, code: "INVALID_JSON"},
		{name: "create, trailing data", req: req{method: "POST", url: "/api/v1/data/account", body: `{"name":"a"} {"name":"b"}`, user: alice}, status: 400, code: "INVALID_JSON"},
		{name: "create, array body", req: req{method: "POST", url: "/api/v1/data/account", body: `[{"name":"a"}]`, user: alice}, status: 400, code: "INVALID_JSON",
			want: map[string]any{"error": "The request body must be a JSON object, not an array."}},
		{name: "create, empty body", req: req{method: "POST", url: "/api/v1/data/account", body: " ", user: alice}, status: 400, code: "INVALID_JSON"},
		{name: "create, too large", req: req{method: "POST", url: "/api/v1/data/account", body: `{"name":"` + strings.Repeat("x", 5000) + `"}`, user: alice}, status: 413, code: "PAYLOAD_TOO_LARGE"},
		{name: "create, unknown field", req: req{method: "POST", url: "/api/v1/data/account", body: `{"name":"x","nmae":"y"}`, user: alice}, status: 400, code: "INVALID_FIELD",
			want: map[string]any{"field": "nmae", "object": "account"}},
		{name: "create, internal field", req: req{method: "POST", url: "/api/v1/data/account", body: `{"name":"x","token_hash":"y"}`, user: alice}, status: 400, code: "INVALID_FIELD",
			want: map[string]any{"field": "token_hash"}},
		{name: "create, invalid values", req: req{method: "POST", url: "/api/v1/data/account", body: `{"name":"` + longName + `","industry":"mining","revenue":-1}`, user: alice},
			status: 400, code: "VALIDATION_FAILED",
			check: func(t *testing.T, r *objectostest.Response) {
				codes := map[string]string{}
				for _, f := range r.Value("fields").([]any) {
					fm := f.(map[string]any)
					codes[fm["field"].(string)] = fm["code"].(string)
				}
				assert.Equal(t, map[string]string{"name": "max_length", "industry": "invalid_option", "revenue": "min_value"}, codes)
			}},
		{name: "create, missing required", req: req{method: "POST", url: "/api/v1/data/account", body: `{}`, user: alice}, status: 400, code: "VALIDATION_FAILED"},
		{name: "create, bad lookup", req: req{method: "POST", url: "/api/v1/data/contact", body: `{"last_name":"x","account":"nope"}`, user: alice}, status: 400, code: "VALIDATION_FAILED",
			check: func(t *testing.T, r *objectostest.Response) {
				assert.Equal(t, "reference_not_found", r.Value("fields.0.code"))
			}},
		{name: "create, duplicate unique value", req: req{method: "POST", url: "/api/v1/data/account", body: `{"name":"x","code":"A1"}`, user: alice}, status: 409, code: "UNIQUE_VIOLATION",
			want: map[string]any{"field": "code"}},
		{name: "create refuses query parameters", req: req{method: "POST", url: "/api/v1/data/account?x=1", body: `{"name":"x"}`, user: alice}, status: 400, code: "INVALID_QUERY"},
		{name: "update", req: req{method: "PATCH", url: "/api/v1/data/account/upd1", body: `{"industry":"tech","id":"other"}`, user: alice}, status: 200,
			want: map[string]any{"object": "account", "id": "upd1", "droppedFields": []any{map[string]any{"object": "account", "fields": []any{"id"}, "reason": "primary_key"}}},
			check: func(t *testing.T, r *objectostest.Response) {
				assert.Equal(t, "tech", r.Value("record.industry"))
			}},
		{name: "update, stale If-Match", req: req{method: "PATCH", url: "/api/v1/data/account/occ1", body: `{"name":"x"}`, user: alice,
			header: map[string]string{"If-Match": `"2000-01-01T00:00:00.000Z"`}}, status: 409, code: "CONCURRENT_UPDATE",
			want: map[string]any{"currentVersion": "2026-07-28T12:00:00.000Z"}},
		{name: "update, stale expectedVersion", req: req{method: "PATCH", url: "/api/v1/data/account/occ1", body: `{"name":"x","expectedVersion":"2000-01-01T00:00:00.000Z"}`, user: alice},
			status: 409, code: "CONCURRENT_UPDATE"},
		{name: "update, current If-Match", req: req{method: "PATCH", url: "/api/v1/data/account/occ1", body: `{"name":"y"}`, user: alice,
			header: map[string]string{"If-Match": `"2026-07-28T12:00:00.000Z"`}}, status: 200},
		{name: "update, nulling a required field", req: req{method: "PATCH", url: "/api/v1/data/account/upd1", body: `{"name":null}`, user: alice}, status: 400, code: "VALIDATION_FAILED"},
		{name: "update, missing record", req: req{method: "PATCH", url: "/api/v1/data/account/nope", body: `{"name":"x"}`, user: alice}, status: 404, code: "RECORD_NOT_FOUND"},
		{name: "update, bad JSON", req: req{method: "PATCH", url: "/api/v1/data/account/upd1", body: `nope`, user: alice}, status: 400, code: "INVALID_JSON"},
		{name: "delete", req: req{method: "DELETE", url: "/api/v1/data/account/del1", user: alice}, status: 200,
			want: map[string]any{"object": "account", "id": "del1", "success": true}},
		{name: "delete, gone", req: req{method: "DELETE", url: "/api/v1/data/account/del1", user: alice}, status: 404, code: "RECORD_NOT_FOUND"},
		{name: "delete, stale expectedVersion", req: req{method: "DELETE", url: "/api/v1/data/account/acc2?expectedVersion=x", user: alice}, status: 409, code: "CONCURRENT_UPDATE"},
		{name: "delete, unknown parameter", req: req{method: "DELETE", url: "/api/v1/data/account/acc2?force=1", user: alice}, status: 400, code: "INVALID_QUERY"},

		// discovery
		{name: "discovery at the base path", req: req{method: "GET", url: "/api/v1"}, status: 200,
			check: func(t *testing.T, r *objectostest.Response) {
				assert.Equal(t, "v1", r.Value("version"))
				assert.Equal(t, "/api/v1/data", r.Value("routes.data"))
			}},
		{name: "discovery", req: req{method: "GET", url: "/api/v1/discovery"}, status: 200,
			check: func(t *testing.T, r *objectostest.Response) {
				assert.Equal(t, "ObjectStack API", r.Value("apiName"))
				assert.NotContains(t, r.Value("routes"), "auth", "no auth plugin, no auth route")
			}},
		{name: "well-known discovery", req: req{method: "GET", url: "/.well-known/objectstack"}, status: 200,
			check: func(t *testing.T, r *objectostest.Response) {
				assert.Equal(t, "/api/v1/data", r.Value("routes.data"))
				assert.NotEmpty(t, r.Header.Get("X-Request-Id"))
			}},
		{name: "request id is echoed", req: req{method: "GET", url: "/api/v1/data/account?limit=1", user: alice, header: map[string]string{"X-Request-Id": "req-42"}}, status: 200,
			header: map[string]string{"X-Request-Id": "req-42"}},
	}
}

func records(n int) func(t *testing.T, r *objectostest.Response) {
	return func(t *testing.T, r *objectostest.Response) { assert.Len(t, r.Value("records"), n) }
}

func names(want ...string) func(t *testing.T, r *objectostest.Response) {
	return func(t *testing.T, r *objectostest.Response) {
		var got []string
		for _, rec := range r.Value("records").([]any) {
			got = append(got, rec.(map[string]any)["name"].(string))
		}
		assert.Equal(t, want, got)
	}
}

func keys(want ...string) func(t *testing.T, r *objectostest.Response) {
	return func(t *testing.T, r *objectostest.Response) {
		rec := r.Value("records.0").(map[string]any)
		var got []string
		for k := range rec {
			got = append(got, k)
		}
		assert.ElementsMatch(t, want, got)
	}
}

func parentName(want string) func(t *testing.T, r *objectostest.Response) {
	return func(t *testing.T, r *objectostest.Response) {
		recs := r.Value("records").([]any)
		require.Len(t, recs, 1)
		parent := recs[0].(map[string]any)["parent"].(map[string]any)
		assert.Equal(t, want, parent["name"])
	}
}

func TestScenarios(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st, restArtifact())
		seedREST(t, s)
		for _, sc := range scenarios() {
			t.Run(sc.name, func(t *testing.T) {
				r := s.do(sc.req)
				require.Equal(t, sc.status, r.StatusCode, "body: %s", r.String())
				assert.NotEmpty(t, r.Header.Get("X-Request-Id"))
				if sc.status != 304 {
					require.NotNil(t, r.Map(), "a JSON body")
				}
				if sc.code != "" {
					assert.Equal(t, sc.code, r.Value("code"))
					assert.IsType(t, "", r.Value("error"), "flat envelope")
					assert.NotContains(t, r.Map(), "success")
				}
				for k, v := range sc.want {
					if v == nil {
						assert.NotContains(t, r.Map(), k)
						continue
					}
					assert.Equal(t, v, r.Map()[k], k)
				}
				for k, v := range sc.header {
					assert.Equal(t, v, r.Header.Get(k), k)
				}
				for _, leak := range []string{"SELECT", "sqlite", "pgx", "constraint failed", "duplicate key", "uq_", "ix_", "goroutine"} {
					assert.NotContains(t, r.String(), leak)
				}
				if sc.check != nil {
					sc.check(t, r)
				}
			})
		}
	})
}
