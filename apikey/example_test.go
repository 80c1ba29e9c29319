package apikey_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/apikey"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/security"
	"github.com/objectos-go/objectos/store"
)

func ExampleNew() {
	ctx := context.Background()
	artifact, _ := objectos.ParseArtifact([]byte(`{"objects": [{"name": "task", "fields": {"title": {"type": "text"}}}]}`))
	st, _ := store.Memory(ctx)
	defer st.Close()
	stack, err := objectos.New(ctx, objectos.Options{Artifact: artifact, Store: st, Plugins: []objectos.Plugin{
		rest.New(rest.Options{}),
		auth.New(auth.Options{AdminEmail: "admin@example.com", AdminPassword: "change-me-now"}),
		// keys belong to users (auth); they never expire unless asked
		apikey.New(apikey.Options{}),
		security.New(),
	}})
	if err != nil {
		panic(err)
	}
	defer stack.Close()
	call := func(method, path, body string, header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		stack.ServeHTTP(rec, req)
		return rec
	}

	// sign in, then mint a key with the session: its secret is in this answer only
	var session struct{ Token string }
	_ = json.Unmarshal(call("POST", "/api/v1/auth/sign-in/email", `{"email": "admin@example.com", "password": "change-me-now"}`).Body.Bytes(), &session)
	rec := call("POST", "/api/v1/keys", `{"name": "nightly export"}`, "Authorization", "Bearer "+session.Token)
	var minted struct{ Key, Prefix string }
	_ = json.Unmarshal(rec.Body.Bytes(), &minted)
	fmt.Println(rec.Code, strings.HasPrefix(minted.Key, apikey.KeyPrefix), strings.HasPrefix(minted.Key, minted.Prefix))

	// an integration calls with it
	fmt.Println(call("GET", "/api/v1/data/task", "", "x-api-key", minted.Key).Code)
	fmt.Println(call("GET", "/api/v1/data/task", "", "x-api-key", minted.Key+"x").Code)
	// Output:
	// 201 true true
	// 200
	// 401
}
