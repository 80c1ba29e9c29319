package rest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/openapitest"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/store"
)

func openAPIOf(t *testing.T, s *server, query string) (*objectostest.Response, map[string]any) {
	t.Helper()
	r := s.as("alice").Get("/api/v1/openapi.json" + query)
	require.Equal(t, http.StatusOK, r.StatusCode, r.String())
	var doc map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &doc))
	return r, doc
}

func TestOpenAPIDocument(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st, restArtifact())
		r, doc := openAPIOf(t, s, "")
		assert.Equal(t, "3.1.0", doc["openapi"])
		assert.NotEmpty(t, r.Header.Get("ETag"))

		// an independent validator reads it as valid OpenAPI 3.1
		_, err := openapitest.NewChecker(r.Body)
		require.NoError(t, err)

		paths := doc["paths"].(map[string]any)
		methods := func(p string) []string {
			var out []string
			for m := range paths[p].(map[string]any) {
				out = append(out, m)
			}
			return sortedStrings(out)
		}
		assert.Equal(t, []string{"get", "post"}, methods("/data/account"))
		assert.Equal(t, []string{"delete", "get", "patch"}, methods("/data/account/{id}"))
		assert.Equal(t, []string{"delete", "get", "patch", "post"}, methods("/data/account/query"))
		for _, bulk := range []string{"createMany", "updateMany", "deleteMany", "batch"} {
			assert.Contains(t, paths, "/data/account/"+bulk)
		}
		assert.Contains(t, paths, "/batch")
		// apiEnabled false: nothing; apiMethods: only what they allow
		for p := range paths {
			assert.NotContains(t, p, "hidden_thing", "an object not exposed through the API")
			assert.NotContains(t, p, "sealed_thing", "an object with apiMethods []")
		}
		assert.Equal(t, []string{"get"}, methods("/data/readonly_thing"))
		assert.Equal(t, []string{"get"}, methods("/data/readonly_thing/{id}"))
		assert.Equal(t, []string{"get"}, methods("/data/readonly_thing/createMany"), "no bulk: only the record named createMany")
		for _, p := range []string{"/health", "/ready", "/discovery", "/meta", "/meta/{type}", "/meta/{type}/{name}", "/openapi.json"} {
			assert.Contains(t, paths, p)
		}

		schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
		assert.NotContains(t, schemas, "hidden_thing")
		account := schemas["account"].(map[string]any)
		props := account["properties"].(map[string]any)
		assert.NotContains(t, props, "token_hash", "internal fields are never described")
		assert.Equal(t, map[string]any{"type": "string"}, props["name"], "a required field is not null")
		assert.Equal(t, map[string]any{"type": []any{"string", "null"}, "enum": []any{"tech", "finance", "retail", nil}}, props["industry"])
		assert.Equal(t, []any{"number", "null"}, props["revenue"].(map[string]any)["type"])
		assert.Equal(t, true, props["created_at"].(map[string]any)["readOnly"])
		assert.Equal(t, "date-time", props["created_at"].(map[string]any)["format"])
		assert.Nil(t, props["owner_id"].(map[string]any)["readOnly"], "owner_id is writable (with transfer rights)")
		assert.Equal(t, []any{"id"}, account["required"])
		create := schemas["account.create"].(map[string]any)
		assert.Equal(t, []any{"name"}, create["required"])
		assert.Equal(t, false, create["additionalProperties"])
		assert.EqualValues(t, 100, create["properties"].(map[string]any)["name"].(map[string]any)["maxLength"])
		assert.EqualValues(t, 0, create["properties"].(map[string]any)["revenue"].(map[string]any)["minimum"])
		// list parameters with their limits
		params := doc["components"].(map[string]any)["parameters"].(map[string]any)
		for _, p := range []string{"limit", "offset", "cursor", "filter", "sort", "fields", "count", "expand", "search"} {
			assert.Contains(t, params, p)
		}
		assert.EqualValues(t, 0, params["limit"].(map[string]any)["schema"].(map[string]any)["minimum"])
		schemes := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
		assert.Contains(t, schemes, "bearerAuth")
		for _, env := range []string{"DataError", "Error"} {
			assert.Contains(t, schemas, env, "both error envelopes")
		}
	})
}

func sortedStrings(in []string) []string {
	for i := 1; i < len(in); i++ {
		for j := i; j > 0 && in[j] < in[j-1]; j-- {
			in[j], in[j-1] = in[j-1], in[j]
		}
	}
	return in
}

func TestOpenAPIServing(t *testing.T) {
	st := testenv.Open(t, testenv.SQLite)
	s := newServer(t, st, restArtifact())
	first, _ := openAPIOf(t, s, "")
	// the same for every caller, and for every call
	other := s.as("bob").Get("/api/v1/openapi.json")
	require.Equal(t, http.StatusOK, other.StatusCode)
	assert.Equal(t, first.String(), other.String())
	// deterministic: another stack on the same artifact renders the same bytes
	again := newServer(t, testenv.Open(t, testenv.SQLite), restArtifact())
	assert.Equal(t, first.String(), again.as("alice").Get("/api/v1/openapi.json").String())

	etag := first.Header.Get("ETag")
	r := s.do(req{method: "GET", url: "/api/v1/openapi.json", user: "alice", header: map[string]string{"If-None-Match": etag}})
	assert.Equal(t, http.StatusNotModified, r.StatusCode)
	assert.Zero(t, len(r.Body))

	// authenticated by default
	r = s.as("").Get("/api/v1/openapi.json")
	assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
	assert.Equal(t, "UNAUTHENTICATED", r.Value("error.code"))
	public := newServer(t, testenv.Open(t, testenv.SQLite), restArtifact(), func(o *objectos.Options) {
		o.Plugins = []objectos.Plugin{rest.New(rest.Options{PublicOpenAPI: true}), testAuth}
	})
	assert.Equal(t, http.StatusOK, public.as("").Get("/api/v1/openapi.json").StatusCode)

	// YAML, the same document
	for _, u := range []string{"/api/v1/openapi.yaml", "/api/v1/openapi.json?format=yaml"} {
		y := s.as("alice").Get(u)
		require.Equal(t, http.StatusOK, y.StatusCode)
		assert.Equal(t, "application/yaml; charset=utf-8", y.Header.Get("Content-Type"))
		var fromYAML map[string]any
		require.NoError(t, yaml.Unmarshal(y.Body, &fromYAML))
		var fromJSON map[string]any
		require.NoError(t, json.Unmarshal(first.Body, &fromJSON))
		ja, _ := json.Marshal(fromJSON)
		ya, _ := json.Marshal(fromYAML)
		assert.JSONEq(t, string(ja), string(ya), u)
	}

	// bad parameters are 400, not another document
	for _, u := range []string{"?version=2.0", "?format=xml", "?pretty=1"} {
		r := s.as("alice").Get("/api/v1/openapi.json" + u)
		assert.Equal(t, http.StatusBadRequest, r.StatusCode, u)
		assert.Equal(t, "INVALID_QUERY", r.Value("error.code"), u)
	}
}

func TestOpenAPI30Rendering(t *testing.T) {
	s := newServer(t, testenv.Open(t, testenv.SQLite), restArtifact())
	r, doc := openAPIOf(t, s, "?version=3.0")
	assert.Equal(t, "3.0.3", doc["openapi"])
	assert.NotContains(t, doc, "jsonSchemaDialect")
	body := r.String()
	assert.NotContains(t, body, `"null"`, "no type lists with null")
	assert.NotContains(t, body, `"const"`)
	props := doc["components"].(map[string]any)["schemas"].(map[string]any)["account"].(map[string]any)["properties"].(map[string]any)
	assert.Equal(t, map[string]any{"type": "string", "nullable": true, "enum": []any{"tech", "finance", "retail"}}, props["industry"])

	d, err := libopenapi.NewDocument(r.Body)
	require.NoError(t, err)
	v, errs := validator.NewValidator(d)
	require.Empty(t, errs)
	ok, verrs := v.ValidateDocument()
	require.True(t, ok, "%v", verrs)
	assert.True(t, strings.HasPrefix(d.GetVersion(), "3.0"))
}

// TestOpenAPICheckerCatchesDrift proves that the checker every HTTP suite
// runs with fails a response whose shape the document does not describe,
// and a request the document refuses but the server accepts.
func TestOpenAPICheckerCatchesDrift(t *testing.T) {
	s := newServer(t, testenv.Open(t, testenv.SQLite), restArtifact())
	doc, err := rest.OpenAPIDocument(s.Stack, "3.1")
	require.NoError(t, err)
	c, err := openapitest.NewChecker(doc)
	require.NoError(t, err)
	check := func(method, url, body string, status int, respBody string) []string {
		req := httpRequest(method, url, body)
		return c.Check(req, []byte(body), &http.Response{StatusCode: status, Request: req,
			Header:        http.Header{"Content-Type": {"application/json; charset=utf-8"}},
			Body:          readCloser(respBody),
			ContentLength: int64(len(respBody))})
	}
	good := `{"object":"account","id":"a1","record":{"id":"a1","name":"Acme"}}`
	assert.Empty(t, check("POST", "/api/v1/data/account", `{"name":"Acme"}`, 201, good))
	assert.NotEmpty(t, check("POST", "/api/v1/data/account", `{"name":"Acme"}`, 201,
		`{"object":"account","id":"a1","record":{"id":"a1","name":42}}`), "a field of the wrong type")
	assert.NotEmpty(t, check("POST", "/api/v1/data/account", `{"name":"Acme"}`, 201,
		`{"object":"account","record":{"id":"a1","name":"Acme"}}`), "a missing member")
	assert.NotEmpty(t, check("POST", "/api/v1/data/account", `{"name":"Acme"}`, 200, good), "an undocumented status")
	assert.NotEmpty(t, check("POST", "/api/v1/data/account", `{"nmae":"Acme"}`, 201, good),
		"the document refuses an unknown field, so the server must too")
	assert.Empty(t, check("POST", "/api/v1/data/account", `{"nmae":"Acme"}`, 400,
		`{"error":"Unknown field 'nmae'.","code":"INVALID_FIELD"}`))
	assert.NotEmpty(t, check("POST", "/api/v1/data/account", `{"nmae":"Acme"}`, 400, `{"message":"no"}`), "an error outside the envelope")
	assert.Empty(t, check("GET", "/api/v1/data/hidden_thing", "", 404, `{"error":"x","code":"OBJECT_API_DISABLED"}`))
	assert.NotEmpty(t, check("GET", "/api/v1/data/hidden_thing", "", 200, `{}`), "an undocumented route that answers")
}

func httpRequest(method, url, body string) *http.Request {
	r, _ := http.NewRequest(method, "http://objectos.test"+url, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}

func readCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }
