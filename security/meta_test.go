package security_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

// metaArtifact is the matrix with a view, an object hidden from the API,
// and an action that needs a permission only the member set holds.
func metaArtifact() *objectos.Artifact {
	a := matrixArtifact()
	a.Views = []*objectos.View{
		{Name: "public_titles", Object: docName(objectos.SharingPublicRead), Columns: []string{"title", "secret_note"}, Sort: []string{"-secret_note", "title"}},
		{Name: "children", Object: "child", Columns: []string{"label"}},
	}
	a.Objects = append(a.Objects, &objectos.Object{Name: "internal_log", Enable: objectos.Capabilities{APIEnabled: objectos.Ptr(false)},
		Fields: []*objectos.Field{{Name: "line", Type: objectos.TypeText}}})
	a.Objects[0].Actions = append(a.Objects[0].Actions, &objectos.Action{Name: "escalate", Type: objectos.ActionAPI, Method: "PATCH",
		Target: "/api/v1/data/" + a.Objects[0].Name + "/{id}", BodyExtra: map[string]any{"title": "escalated"},
		RequiredPermissions: []string{"member"}})
	for _, ps := range a.PermissionSets {
		ps.Objects["internal_log"] = objectos.ObjectPermission{AllowRead: true}
	}
	return a
}

func metaData(t *testing.T, r *objectostest.Response) map[string]any {
	t.Helper()
	require.Equal(t, true, r.Value("success"), r.String())
	return r.Value("data").(map[string]any)
}

func itemNames(t *testing.T, r *objectostest.Response) []string {
	t.Helper()
	var out []string
	for _, it := range metaData(t, r)["items"].([]any) {
		out = append(out, it.(map[string]any)["name"].(string))
	}
	return out
}

func TestMetadataByCaller(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st, metaArtifact(), map[string]objectos.ActionHandler{
			"doc_private.touch": touch, "doc_public_read.touch": touch, "doc_public_read_write.touch": touch})
		docs := []string{"doc_private", "doc_public_read", "doc_public_read_write", "child"}

		// types: permission sets are for administrators
		assert.Equal(t, []any{"object", "view", "action", "permission"}, metaData(t, s.as("admin").Get("/api/v1/meta").Status(t, 200))["types"])
		types := metaData(t, s.as("analyst").Get("/api/v1/meta/types").Status(t, 200))
		assert.Equal(t, []any{"object", "view", "action"}, types["types"])
		assert.Len(t, types["entries"], 3)

		// objects: what each caller may read, never one hidden from the API
		assert.Equal(t, docs, itemNames(t, s.as("admin").Get("/api/v1/meta/object").Status(t, 200)))
		assert.Equal(t, docs, itemNames(t, s.as("analyst").Get("/api/v1/meta/objects").Status(t, 200)), "plurals fold")
		assert.Empty(t, itemNames(t, s.as("nobody").Get("/api/v1/meta/object").Status(t, 200)))
		r := s.as("nobody").Get("/api/v1/meta/object/doc_private")
		assert.Equal(t, 404, r.StatusCode)
		assert.Equal(t, "OBJECT_NOT_FOUND", r.ErrorCode(), "an unreadable object does not exist for the caller")
		for _, u := range []string{"admin", "analyst"} {
			r := s.as(u).Get("/api/v1/meta/object/internal_log")
			assert.Equal(t, 404, r.StatusCode, "apiEnabled false: 404 as for data")
			assert.Equal(t, "OBJECT_NOT_FOUND", r.ErrorCode())
		}

		// fields: the analyst does not see secret_note, nor may write anything
		item := metaData(t, s.as("analyst").Get("/api/v1/meta/object/doc_private").Status(t, 200))["item"].(map[string]any)
		fields := item["fields"].(map[string]any)
		assert.NotContains(t, fields, "secret_note")
		assert.Contains(t, fields, "title")
		assert.Equal(t, true, fields["created_at"].(map[string]any)["system"], "system fields are included and marked")
		assert.Equal(t, true, fields["created_at"].(map[string]any)["readonly"])
		assert.Equal(t, false, fields["title"].(map[string]any)["editable"])
		assert.Equal(t, map[string]any{"allowRead": true, "allowCreate": false, "allowEdit": false, "allowDelete": false}, item["permissions"])
		item = metaData(t, s.as("alice").Get("/api/v1/meta/object/doc_private").Status(t, 200))["item"].(map[string]any)
		assert.Contains(t, item["fields"], "secret_note")
		assert.Equal(t, true, item["fields"].(map[string]any)["title"].(map[string]any)["editable"])
		assert.Equal(t, false, item["fields"].(map[string]any)["created_at"].(map[string]any)["editable"])
		assert.Equal(t, map[string]any{"allowRead": true, "allowCreate": true, "allowEdit": true, "allowDelete": true}, item["permissions"])
		assert.Equal(t, []any{"touch", "archive", "escalate"}, item["actions"])

		// views: of readable objects, with the caller's columns and sorts
		views := s.as("analyst").Get("/api/v1/meta/view").Status(t, 200)
		assert.Equal(t, []string{"public_titles", "children"}, itemNames(t, views))
		v := metaData(t, s.as("analyst").Get("/api/v1/meta/view/public_titles").Status(t, 200))["item"].(map[string]any)
		assert.Equal(t, []any{"title"}, v["columns"], "a hidden field is not a column")
		assert.Equal(t, []any{"title"}, v["sort"])
		assert.Equal(t, 404, s.as("nobody").Get("/api/v1/meta/view/children").StatusCode)

		// actions: those the caller may run
		actions := itemNames(t, s.as("analyst").Get("/api/v1/meta/action").Status(t, 200))
		assert.NotContains(t, actions, "escalate", "requiredPermissions the analyst lacks")
		assert.Contains(t, itemNames(t, s.as("alice").Get("/api/v1/meta/action").Status(t, 200)), "escalate")
		a := metaData(t, s.as("alice").Get("/api/v1/meta/action/doc_private.touch").Status(t, 200))["item"].(map[string]any)
		assert.Equal(t, "doc_private", a["objectName"])
		assert.Equal(t, "title", a["params"].([]any)[0].(map[string]any)["name"])
		r = s.as("alice").Get("/api/v1/meta/action/touch")
		assert.Equal(t, 404, r.StatusCode, "a bare name that several objects declare is ambiguous")
		assert.Equal(t, "NOT_FOUND", r.ErrorCode())
		assert.Equal(t, "ACTION_NOT_FOUND", s.as("alice").Get("/api/v1/meta/action/doc_private.nope").ErrorCode())

		// permission sets: administrators only
		assert.Equal(t, []string{"member", "analyst"}, itemNames(t, s.as("admin").Get("/api/v1/meta/permissions").Status(t, 200)))
		ps := metaData(t, s.as("admin").Get("/api/v1/meta/permission/analyst").Status(t, 200))["item"].(map[string]any)
		assert.Contains(t, ps["fields"], "doc_private.secret_note")
		r = s.as("analyst").Get("/api/v1/meta/permission")
		assert.Equal(t, 403, r.StatusCode)
		assert.Equal(t, "PERMISSION_DENIED", r.ErrorCode())

		// errors
		r = s.as("").Get("/api/v1/meta/object")
		assert.Equal(t, 401, r.StatusCode)
		assert.Equal(t, "UNAUTHENTICATED", r.ErrorCode())
		r = s.as("admin").Get("/api/v1/meta/widget")
		assert.Equal(t, 404, r.StatusCode)
		assert.Equal(t, "NOT_FOUND", r.ErrorCode())
		assert.Equal(t, 405, s.as("admin").Put("/api/v1/meta/object/doc_private", `{}`).StatusCode)
	})
}

func TestMetadataETags(t *testing.T) {
	s := newServer(t, testenv.Open(t, testenv.SQLite), metaArtifact(), map[string]objectos.ActionHandler{
		"doc_private.touch": touch, "doc_public_read.touch": touch, "doc_public_read_write.touch": touch})
	get := func(user, path, inm string) *objectostest.Response {
		c := s.as(user)
		if inm != "" {
			c = c.With("If-None-Match", inm)
		}
		return c.Get(path)
	}
	tags := map[string]string{}
	for _, p := range []string{"/api/v1/meta", "/api/v1/meta/object", "/api/v1/meta/object/doc_private", "/api/v1/meta/view",
		"/api/v1/meta/view/children", "/api/v1/meta/action", "/api/v1/meta/action/doc_private.touch", "/api/v1/meta/permission"} {
		first := get("admin", p, "")
		require.Equal(t, http.StatusOK, first.StatusCode, p)
		tag := first.Header.Get("ETag")
		require.NotEmpty(t, tag, p)
		assert.Equal(t, tag, get("admin", p, "").Header.Get("ETag"), "stable")
		again := get("admin", p, tag)
		assert.Equal(t, http.StatusNotModified, again.StatusCode, p)
		assert.Empty(t, again.Body)
		assert.Equal(t, http.StatusOK, get("admin", p, `"stale"`).StatusCode)
		tags[p] = tag
	}
	// callers who see differently get different tags: a cached answer of one
	// never answers another
	analyst := get("analyst", "/api/v1/meta/object/doc_private", tags["/api/v1/meta/object/doc_private"])
	assert.Equal(t, http.StatusOK, analyst.StatusCode)
	assert.NotEqual(t, tags["/api/v1/meta/object/doc_private"], analyst.Header.Get("ETag"))
}

// TestOpenAPISameForEveryone: the document describes the deployment, not
// what one caller may see.
func TestOpenAPISameForEveryone(t *testing.T) {
	s := newServer(t, testenv.Open(t, testenv.SQLite), metaArtifact(), map[string]objectos.ActionHandler{
		"doc_private.touch": touch, "doc_public_read.touch": touch, "doc_public_read_write.touch": touch})
	admin := s.as("admin").Get("/api/v1/openapi.json").Status(t, 200)
	for _, u := range []string{"analyst", "nobody", "alice"} {
		assert.Equal(t, admin.String(), s.as(u).Get("/api/v1/openapi.json").Status(t, 200).String(), u)
	}
	schemas := admin.Value("components.schemas").(map[string]any)
	assert.Contains(t, schemas["doc_private"].(map[string]any)["properties"], "secret_note")
	assert.NotContains(t, schemas, "internal_log", "not exposed through the API")
	paths := admin.Value("paths").(map[string]any)
	assert.True(t, slices.ContainsFunc([]string{"/actions/doc_private/escalate"}, func(p string) bool { return paths[p] != nil }))
}
