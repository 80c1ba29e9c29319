package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/objectos-go/objectos"
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
		// a bootstrap administrator; WithEnv reads OS_ADMIN_EMAIL and friends
		auth.New(auth.Options{AdminEmail: "admin@example.com", AdminPassword: "change-me-now"}),
		security.New(), // users and sessions need it
	}})
	if err != nil {
		panic(err)
	}
	defer stack.Close()

	req := httptest.NewRequest("POST", "/api/v1/auth/sign-in/email",
		strings.NewReader(`{"email": "admin@example.com", "password": "change-me-now"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	stack.ServeHTTP(rec, req)
	var out struct {
		Token string
		User  struct{ Email, Role string }
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	fmt.Println(rec.Code, out.User.Email, out.User.Role, len(out.Token) > 0)
	for _, c := range rec.Result().Cookies() {
		fmt.Println("session cookie, HttpOnly:", c.HttpOnly)
	}
	// Output:
	// 200 admin@example.com admin true
	// session cookie, HttpOnly: true
}
