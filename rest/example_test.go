package rest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/store"
)

func ExampleNew() {
	ctx := context.Background()
	artifact, _ := objectos.ParseArtifact([]byte(`{"objects": [{"name": "task", "fields": {"title": {"type": "text", "required": true}}}]}`))
	st, _ := store.Memory(ctx)
	defer st.Close()
	// Every request runs as a principal: here from a header, standing in
	// for the auth plugin or the application's own identity system.
	who := objectos.AuthFunc(func(r *http.Request) (*objectos.Principal, error) {
		if u := r.Header.Get("X-User"); u != "" {
			return &objectos.Principal{UserID: u}, nil
		}
		return nil, objectos.ErrNoCredentials
	})
	stack, err := objectos.New(ctx, objectos.Options{Artifact: artifact, Store: st,
		Plugins: []objectos.Plugin{rest.New(rest.Options{}), who}})
	if err != nil {
		panic(err)
	}
	defer stack.Close()

	call := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("X-User", "u1")
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		stack.ServeHTTP(rec, req)
		return rec
	}
	fmt.Println(call("POST", "/api/v1/data/task", `{"title": "Write docs"}`).Code)
	fmt.Println(call("POST", "/api/v1/data/task", `{}`).Code)
	list := call("GET", "/api/v1/data/task?fields=title", "")
	fmt.Println(list.Code, strings.Contains(list.Body.String(), `"title":"Write docs"`))
	// Output:
	// 201
	// 400
	// 200 true
}
