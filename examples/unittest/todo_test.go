package unittest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/objectostest"
)

// newEnv gives each test its own Stack (rest, auth, apikey and security)
// on its own in-memory database, with the application's hook.
func newEnv(t *testing.T) *objectostest.Env {
	return objectostest.New(t, Artifact(), objectostest.Options{
		Hooks: []objectos.Hook{NoDoneWithoutTitle},
	})
}

// TestTodoHTTP drives the HTTP API as signed-in users, in a table.
func TestTodoHTTP(t *testing.T) {
	env := newEnv(t)
	alice, bob := env.User(t, "alice"), env.User(t, "bob") // signed in

	todo := alice.Post("/api/v1/data/todo", map[string]any{"title": "TBD"}).Status(t, 201)
	path := "/api/v1/data/todo/" + todo.ID()

	for _, tc := range []struct {
		name   string
		as     *objectostest.Client
		method string
		path   string
		body   any
		status int
		code   string
	}{
		{"the hook refuses", alice.Client, "PATCH", path, map[string]any{"done": true}, 400, "VALIDATION_FAILED"},
		{"a title is required", alice.Client, "POST", "/api/v1/data/todo", map[string]any{}, 400, "VALIDATION_FAILED"},
		{"to-dos are private", bob.Client, "GET", path, nil, 404, "RECORD_NOT_FOUND"},
		{"no deletes", alice.Client, "DELETE", path, nil, 403, "PERMISSION_DENIED"},
		{"anonymous", env.Client(), "GET", "/api/v1/data/todo", nil, 401, "UNAUTHENTICATED"},
		{"by API key", alice.APIKey(t), "GET", path, nil, 200, ""},
		{"from a browser", alice.Browser(t), "PATCH", path, map[string]any{"title": "Buy milk"}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.as.Do(tc.method, tc.path, tc.body).Status(t, tc.status).Code(t, tc.code)
		})
	}

	alice.Patch(path, map[string]any{"done": true}).Status(t, 200).Equal(t, "record.done", true)
	bob.Get("/api/v1/data/todo").Status(t, 200).Equal(t, "total", 0)
}

// TestTodoRules calls the engine directly, as a given user.
func TestTodoRules(t *testing.T) {
	env := newEnv(t)
	alice, bob := env.User(t, "alice"), env.User(t, "bob")
	s := env.Stack
	todo, err := s.Create(alice.Context(), "todo", objectos.Record{"title": "TBD"})
	require.NoError(t, err)

	_, err = s.Update(alice.Context(), "todo", todo.ID, objectos.Record{"done": true}, objectos.WriteOptions{})
	assert.True(t, objectos.IsCode(err, objectos.CodeValidationFailed), "the hook refuses: %v", err)

	_, err = s.Update(bob.Context(), "todo", todo.ID, objectos.Record{"title": "mine now"}, objectos.WriteOptions{})
	assert.True(t, objectos.IsCode(err, objectos.CodeRecordNotFound), "to-dos are private: %v", err)

	_, err = s.Update(alice.Context(), "todo", todo.ID, objectos.Record{"title": "Buy milk", "done": true}, objectos.WriteOptions{})
	assert.True(t, objectos.IsCode(err, objectos.CodeValidationFailed), "the hook sees the stored title")
	_, err = s.Update(alice.Context(), "todo", todo.ID, objectos.Record{"title": "Buy milk"}, objectos.WriteOptions{})
	require.NoError(t, err)
	done, err := s.Update(alice.Context(), "todo", todo.ID, objectos.Record{"done": true}, objectos.WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, true, done.Record["done"])
}
