package rest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/store"
)

func bulkArtifact() *objectos.Artifact {
	a := restArtifact()
	a.Objects = append(a.Objects,
		&objectos.Object{Name: "create_only_bulk", Enable: objectos.Capabilities{APIMethods: []objectos.APIMethod{"list", "create", "bulk"}},
			Fields: []*objectos.Field{{Name: "x", Type: objectos.TypeText}}},
		&objectos.Object{Name: "no_bulk", Enable: objectos.Capabilities{APIMethods: []objectos.APIMethod{"list", "create", "update", "delete"}},
			Fields: []*objectos.Field{{Name: "x", Type: objectos.TypeText}}},
	)
	return a
}

func newBulkServer(t *testing.T, st *store.Store) *server {
	return newServer(t, st, bulkArtifact(), func(o *objectos.Options) {
		o.Plugins = []objectos.Plugin{rest.New(rest.Options{MaxBatchSize: 5}), testAuth}
	})
}

func (s *server) count(user, object string) int {
	s.t.Helper()
	r := s.as(user).Get("/api/v1/data/" + object + "?limit=0")
	require.Equal(s.t, 200, r.StatusCode, r.String())
	return int(r.Value("total").(float64))
}

func results(r *objectostest.Response) []map[string]any {
	list, _ := r.Value("results").([]any)
	out := make([]map[string]any, len(list))
	for i, x := range list {
		out[i] = x.(map[string]any)
	}
	return out
}

func firstErrorCode(row map[string]any) string {
	errs, _ := row["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	return errs[0].(map[string]any)["code"].(string)
}

func TestCreateMany(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newBulkServer(t, st)
		r := s.as("u").Post("/api/v1/data/account/createMany", `[{"name":"A","industry":"tech"},{"name":"B","status":"x"},{"id":"batch","name":"C"}]`)
		r.Status(t, 201)
		assert.Equal(t, "account", r.Value("object"))
		assert.Equal(t, 3.0, r.Value("count"))
		recs := r.Value("records").([]any)
		require.Len(t, recs, 3)
		assert.Equal(t, "A", recs[0].(map[string]any)["name"])
		assert.Equal(t, "new", recs[1].(map[string]any)["status"], "readonly fields are dropped")
		assert.Equal(t, []any{map[string]any{"object": "account", "fields": []any{"status"}, "reason": "readonly"}}, r.Value("droppedFields"))
		assert.Equal(t, 3, s.count("u", "account"))

		// a record whose id is a route name stays reachable
		assert.Equal(t, "C", s.as("u").Get("/api/v1/data/account/batch").Value("record.name"))

		// all or nothing: a bad record names its index and nothing is written
		r = s.as("u").Post("/api/v1/data/account/createMany", `[{"name":"D"},{"industry":"nope"}]`)
		require.Equal(t, 400, r.StatusCode)
		assert.Equal(t, "VALIDATION_FAILED", r.Value("code"))
		assert.Equal(t, 1.0, r.Value("index"))
		assert.Len(t, r.Value("fields"), 2)
		r = s.as("u").Post("/api/v1/data/account/createMany", `[{"name":"E","code":"dup"},{"name":"F","code":"dup"}]`)
		assert.Equal(t, 409, r.StatusCode)
		assert.Equal(t, "UNIQUE_VIOLATION", r.Value("code"))
		assert.Equal(t, 1.0, r.Value("index"))
		assert.Equal(t, "code", r.Value("field"))
		assert.Equal(t, 3, s.count("u", "account"))

		for name, tc := range map[string]struct {
			body   string
			status int
			code   string
		}{
			"an object body":      {`{"records":[{"name":"x"}]}`, 400, "VALIDATION_FAILED"},
			"a non-object record": {`[{"name":"x"}, 5]`, 400, "VALIDATION_FAILED"},
			"an unknown field":    {`[{"name":"x","nope":1}]`, 400, "INVALID_FIELD"},
			"too many":            {`[{"name":"1"},{"name":"2"},{"name":"3"},{"name":"4"},{"name":"5"},{"name":"6"}]`, 400, "BATCH_TOO_LARGE"},
			"malformed":           {`[{"name":`, 400, "INVALID_JSON"},
		} {
			t.Run(name, func(t *testing.T) {
				r := s.as("u").Post("/api/v1/data/account/createMany", tc.body)
				assert.Equal(t, tc.status, r.StatusCode, r.String())
				assert.Equal(t, tc.code, r.Value("code"))
				assert.Equal(t, 3, s.count("u", "account"))
			})
		}
		r = s.as("u").Post("/api/v1/data/account/createMany", `[`+strings.Repeat(`{"name":"x"},`, 5)+`{"name":"y"}]`)
		assert.Equal(t, map[string]any{"code": "BATCH_TOO_LARGE", "count": 6.0, "max": 5.0, "object": "account",
			"error": "Batch too large: 6 records (max 5)."}, r.Map())
		assert.Equal(t, 201, s.as("u").Post("/api/v1/data/account/createMany", `[]`).StatusCode, "an empty batch is a no-op")
	})
}

func TestBulkExposure(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newBulkServer(t, st)
		for _, tc := range []struct {
			url, body string
			status    int
			code      string
		}{
			{"/api/v1/data/create_only_bulk/createMany", `[{"x":"a"}]`, 201, ""},
			{"/api/v1/data/create_only_bulk/deleteMany", `{"ids":["a"]}`, 405, "OBJECT_API_METHOD_NOT_ALLOWED"},
			{"/api/v1/data/create_only_bulk/batch", `{"operation":"upsert","records":[]}`, 405, "OBJECT_API_METHOD_NOT_ALLOWED"},
			{"/api/v1/data/create_only_bulk/batch", `{"operation":"create","records":[{"data":{"x":"b"}}]}`, 200, ""},
			{"/api/v1/data/no_bulk/createMany", `[{"x":"a"}]`, 405, "OBJECT_API_METHOD_NOT_ALLOWED"},
			{"/api/v1/data/readonly_thing/updateMany", `{"records":[]}`, 405, "OBJECT_API_METHOD_NOT_ALLOWED"},
			{"/api/v1/data/hidden_thing/createMany", `[]`, 404, "OBJECT_API_DISABLED"},
			{"/api/v1/data/nope/createMany", `[]`, 404, "OBJECT_NOT_FOUND"},
			{"/api/v1/batch", `{"operations":[{"object":"no_bulk","data":{"x":"a"}}]}`, 405, "OBJECT_API_METHOD_NOT_ALLOWED"},
		} {
			t.Run(tc.url, func(t *testing.T) {
				r := s.as("u").Post(tc.url, tc.body)
				assert.Equal(t, tc.status, r.StatusCode, r.String())
				if tc.code != "" {
					assert.Equal(t, tc.code, r.Value("code"))
				}
			})
		}
		r := s.as("").Post("/api/v1/data/account/createMany", `[]`)
		assert.Equal(t, 401, r.StatusCode)
		r = s.do(req{method: "PUT", url: "/api/v1/data/account/updateMany", body: `{}`, user: "u"})
		assert.Equal(t, 405, r.StatusCode)
		assert.Equal(t, 405, s.do(req{method: "GET", url: "/api/v1/batch", user: "u"}).StatusCode)
	})
}

func TestUpdateAndDeleteMany(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newBulkServer(t, st)
		for _, id := range []string{"a1", "a2", "a3"} {
			s.as("u").Post("/api/v1/data/account", fmt.Sprintf(`{"id":%q,"name":%q}`, id, id)).Status(t, 201)
		}
		name := func(id string) string {
			return s.as("u").Get("/api/v1/data/account/" + id).Value("record.name").(string)
		}

		// default: the first failure ends the run; earlier rows stay written
		r := s.as("u").Post("/api/v1/data/account/updateMany",
			`{"records":[{"id":"a1","data":{"name":"one"}},{"id":"missing","data":{"name":"x"}},{"id":"a3","data":{"name":"three"}}]}`)
		r.Status(t, 200)
		assert.Equal(t, false, r.Value("success"))
		assert.Equal(t, "update", r.Value("operation"))
		assert.Equal(t, []any{3.0, 1.0, 2.0}, []any{r.Value("total"), r.Value("succeeded"), r.Value("failed")})
		rows := results(r)
		assert.Equal(t, true, rows[0]["success"])
		assert.Equal(t, "one", rows[0]["data"].(map[string]any)["name"])
		assert.Equal(t, "RECORD_NOT_FOUND", firstErrorCode(rows[1]))
		assert.Equal(t, 404.0, rows[1]["errors"].([]any)[0].(map[string]any)["httpStatus"])
		assert.Equal(t, "NOT_ATTEMPTED", firstErrorCode(rows[2]))
		assert.Equal(t, "a3", rows[2]["id"])
		assert.Equal(t, "one", name("a1"))
		assert.Equal(t, "a3", name("a3"))

		// continueOnError goes on
		r = s.as("u").Post("/api/v1/data/account/updateMany",
			`{"records":[{"id":"missing","data":{"name":"x"}},{"id":"a3","data":{"name":"three"}}],"options":{"continueOnError":true}}`)
		assert.Equal(t, []any{1.0, 1.0}, []any{r.Value("succeeded"), r.Value("failed")})
		assert.Equal(t, "three", name("a3"))

		// atomic: the first failure rolls every write back
		r = s.as("u").Post("/api/v1/data/account/updateMany",
			`{"records":[{"id":"a1","data":{"name":"uno"}},{"id":"a2","data":{"name":""}},{"id":"a2","data":{"industry":"nope"}},{"id":"a3","data":{"name":"tres"}}],"options":{"atomic":true}}`)
		r.Status(t, 200)
		rows = results(r)
		assert.Equal(t, []any{false, 0.0, 4.0}, []any{r.Value("success"), r.Value("succeeded"), r.Value("failed")})
		assert.Equal(t, []string{"ROLLED_BACK", "ROLLED_BACK", "VALIDATION_FAILED", "NOT_ATTEMPTED"},
			[]string{firstErrorCode(rows[0]), firstErrorCode(rows[1]), firstErrorCode(rows[2]), firstErrorCode(rows[3])})
		assert.NotNil(t, rows[2]["errors"].([]any)[0].(map[string]any)["details"].(map[string]any)["fields"])
		assert.Equal(t, "one", name("a1"), "rolled back")
		assert.Equal(t, "three", name("a3"))

		// request-level mistakes change nothing
		for _, body := range []string{
			`{"records":{}}`, `{"records":[{"data":{}}]}`, `{"records":[{"id":"a1","data":5}]}`,
			`{"records":[],"options":{"atomic":"yes"}}`, `{"records":[],"options":{"validateOnly":true}}`, `{"records":[],"extra":1}`,
		} {
			r := s.as("u").Post("/api/v1/data/account/updateMany", body)
			assert.Equal(t, 400, r.StatusCode, body)
			assert.Equal(t, "VALIDATION_FAILED", r.Value("code"), body)
		}

		// deleteMany reports each id
		r = s.as("u").Post("/api/v1/data/account/deleteMany", `{"ids":["a1","missing","a2"],"options":{"continueOnError":true}}`)
		r.Status(t, 200)
		rows = results(r)
		assert.Equal(t, "delete", r.Value("operation"))
		assert.Equal(t, []any{true, false, true}, []any{rows[0]["success"], rows[1]["success"], rows[2]["success"]})
		assert.NotContains(t, rows[0], "data")
		assert.Equal(t, 1, s.count("u", "account"))
		r = s.as("u").Post("/api/v1/data/account/deleteMany", `{"ids":["a3",7]}`)
		assert.Equal(t, 400, r.StatusCode)
		assert.Equal(t, 1, s.count("u", "account"))
	})
}

func TestBatch(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newBulkServer(t, st)
		s.as("u").Post("/api/v1/data/account", `{"id":"a1","name":"one"}`).Status(t, 201)
		r := s.as("u").Post("/api/v1/data/account/batch",
			`{"operation":"upsert","records":[{"id":"a1","data":{"name":"uno"}},{"id":"a2","data":{"name":"dos"}},{"data":{"name":"tres"}}]}`)
		r.Status(t, 200)
		assert.Equal(t, true, r.Value("success"))
		rows := results(r)
		assert.Equal(t, "uno", rows[0]["data"].(map[string]any)["name"])
		assert.Equal(t, "a2", rows[1]["id"])
		assert.NotEmpty(t, rows[2]["id"])
		assert.Equal(t, 3, s.count("u", "account"))

		r = s.as("u").Post("/api/v1/data/account/batch", `{"operation":"update","records":[{"id":"a2","data":{"name":"two"}}],"options":{"returnRecords":false}}`)
		assert.Equal(t, true, r.Value("success"))
		assert.NotContains(t, results(r)[0], "data")

		r = s.as("u").Post("/api/v1/data/account/batch", `{"operation":"create","records":[{"data":{"name":"x"}},{"data":{"nope":1}}],"options":{"atomic":true}}`)
		assert.Equal(t, []string{"ROLLED_BACK", "INVALID_FIELD"}, []string{firstErrorCode(results(r)[0]), firstErrorCode(results(r)[1])})
		assert.Equal(t, 3, s.count("u", "account"))

		r = s.as("u").Post("/api/v1/data/account/batch", `{"operation":"delete","records":[{"id":"a1"},{"id":"a2"}]}`)
		assert.Equal(t, 2.0, r.Value("succeeded"))
		assert.Equal(t, 1, s.count("u", "account"))

		for _, body := range []string{
			`{"operation":"merge","records":[]}`, `{"records":[]}`, `{"operation":"delete","records":[{}]}`,
			`{"operation":"upsert","records":[{"externalId":"x","data":{}}]}`, `{"operation":"create","records":[{"data":{},"extra":1}]}`,
		} {
			r := s.as("u").Post("/api/v1/data/account/batch", body)
			assert.Equal(t, 400, r.StatusCode, body)
			assert.Equal(t, "VALIDATION_FAILED", r.Value("code"), body)
		}
	})
}

func TestCrossObjectBatch(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newBulkServer(t, st)
		s.as("u").Post("/api/v1/data/account", `{"id":"old","name":"Old"}`).Status(t, 201)
		r := s.as("u").Post("/api/v1/batch", `{"operations":[
			{"object":"account","action":"create","data":{"name":"Parent"}},
			{"object":"contact","data":{"last_name":"Child","account":{"$ref":0}}},
			{"object":"account","action":"update","id":"old","data":{"name":"Renamed"}},
			{"object":"account","action":"delete","data":{"id":"old"}}
		]}`)
		r.Status(t, 200)
		res := r.Value("results").([]any)
		require.Len(t, res, 4)
		parent := res[0].(map[string]any)
		child := res[1].(map[string]any)
		assert.Equal(t, parent["id"], child["account"], "$ref is the created id")
		assert.Equal(t, "Renamed", res[2].(map[string]any)["name"])
		assert.Equal(t, map[string]any{"object": "account", "id": "old", "success": true}, res[3])
		assert.Equal(t, 1, s.count("u", "account"))
		assert.Equal(t, 1, s.count("u", "contact"))

		// all or nothing
		r = s.as("u").Post("/api/v1/batch", `{"operations":[
			{"object":"account","data":{"name":"Ghost"}},
			{"object":"contact","data":{"account":{"$ref":0}}}
		]}`)
		assert.Equal(t, 400, r.StatusCode)
		assert.Equal(t, "VALIDATION_FAILED", r.Value("code"))
		assert.Equal(t, 1.0, r.Value("index"))
		assert.Equal(t, 1, s.count("u", "account"))

		for _, body := range []string{
			`{"operations":[{"object":"contact","data":{"last_name":"x","account":{"$ref":0}}}]}`,
			`{"operations":[{"object":"account","data":{"name":"x"}}],"atomic":false}`,
			`{"operations":[{"object":"account","action":"update","data":{"name":"x"}}]}`,
			`{"operations":[{"object":"account","action":"merge"}]}`,
			`{"operations":{}}`,
		} {
			r := s.as("u").Post("/api/v1/batch", body)
			assert.Equal(t, 400, r.StatusCode, body)
			assert.Equal(t, "VALIDATION_FAILED", r.Value("code"), body)
		}
		assert.Equal(t, 1, s.count("u", "account"))
		assert.Equal(t, 404, s.as("u").Post("/api/v1/batch", `{"operations":[{"object":"nope"}]}`).StatusCode)
	})
}
