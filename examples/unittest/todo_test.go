package unittest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/security"
	"github.com/objectos-go/objectos/store"
)

// newStack gives each test its own in-memory database.
func newStack(t *testing.T) *objectos.Stack {
	t.Helper()
	ctx := context.Background()
	st, err := store.Memory(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	auth := objectos.AuthFunc(func(r *http.Request) (*objectos.Principal, error) {
		if u := r.Header.Get("X-User"); u != "" {
			return &objectos.Principal{UserID: u}, nil
		}
		return nil, objectos.ErrNoCredentials
	})
	s, err := objectos.New(ctx, objectos.Options{
		Artifact: Artifact(),
		Store:    st,
		Plugins:  []objectos.Plugin{rest.New(rest.Options{}), auth, security.New()},
		Hooks:    []objectos.Hook{NoDoneWithoutTitle},
	})
	require.NoError(t, err)
	return s
}

func as(user string) context.Context {
	return objectos.WithPrincipal(context.Background(), &objectos.Principal{UserID: user})
}

func TestTodoRules(t *testing.T) {
	s := newStack(t)
	todo, err := s.Create(as("alice"), "todo", objectos.Record{"title": "TBD"})
	require.NoError(t, err)

	_, err = s.Update(as("alice"), "todo", todo.ID, objectos.Record{"done": true}, objectos.WriteOptions{})
	assert.True(t, objectos.IsCode(err, objectos.CodeValidationFailed), "the hook refuses: %v", err)

	_, err = s.Update(as("bob"), "todo", todo.ID, objectos.Record{"title": "mine now"}, objectos.WriteOptions{})
	assert.True(t, objectos.IsCode(err, objectos.CodeRecordNotFound), "to-dos are private: %v", err)

	_, err = s.Update(as("alice"), "todo", todo.ID, objectos.Record{"title": "Buy milk", "done": true}, objectos.WriteOptions{})
	assert.True(t, objectos.IsCode(err, objectos.CodeValidationFailed), "the hook sees the stored title")
	_, err = s.Update(as("alice"), "todo", todo.ID, objectos.Record{"title": "Buy milk"}, objectos.WriteOptions{})
	require.NoError(t, err)
	done, err := s.Update(as("alice"), "todo", todo.ID, objectos.Record{"done": true}, objectos.WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, true, done.Record["done"])
}

func TestTodoHTTP(t *testing.T) {
	s := newStack(t)
	req := httptest.NewRequest("POST", "/api/v1/data/todo", strings.NewReader(`{"title":"Write tests"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-User", "alice")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())

	req = httptest.NewRequest("GET", "/api/v1/data/todo", nil)
	req.Header.Set("X-User", "bob")
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), `"total":0`, "bob sees none of alice's to-dos")
}
