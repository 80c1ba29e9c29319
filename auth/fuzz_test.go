package auth_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
)

// FuzzAuthRoutes throws arbitrary bodies and content types at the auth
// routes, signed in and not: a caller's mistake is never a 5xx.
func FuzzAuthRoutes(f *testing.F) {
	routes := []string{"sign-up/email", "sign-in/email", "sign-out", "change-password", "update-user",
		"revoke-session", "revoke-sessions", "revoke-other-sessions", "sign-in/social", "get-session", "list-sessions",
		"request-password-reset", "reset-password", "send-verification-email", "change-email"}
	for i, body := range []string{
		`{"name":"Ada","email":"ada@example.com","password":"correct horse"}`,
		`{"email":"ada@example.com","password":"correct horse","rememberMe":false}`,
		`{}`,
		`{"currentPassword":"correct horse","newPassword":"battery staple","revokeOtherSessions":true}`,
		`{"name":"Ada Lovelace","image":"https://example.com/a.png"}`,
		`{"token":"x"}`,
		`{"provider":"nope","callbackURL":"/"}`,
		`email=ada%40example.com&password=x`,
		// issue 12: control characters and backslashes in callback URLs,
		// long values, lockout-sized bursts of wrong passwords
		`{"provider":"nope","callbackURL":"/\t/evil.example/","errorCallbackURL":"/\\evil.example"}`,
		`{"provider":"nope","callbackURL":"https://app.example\\@evil.example/"}`,
		`{"email":"` + strings.Repeat("a", 100<<10) + `@example.com","password":"` + strings.Repeat("p", 100<<10) + `"}`,
		`{"currentPassword":"wrong","newPassword":"battery staple","revokeApiKeys":"yes"}`,
		`{"revokeApiKeys":true}`,
		// issue 18: password reset
		`{"email":"ada@example.com","redirectTo":"/reset"}`,
		`{"email":"ada@example.com","redirectTo":"/\\evil.example"}`,
		`{"newPassword":"battery staple","token":"` + strings.Repeat("A", 43) + `"}`,
		`{"newPassword":["x"],"token":{"a":1}}`,
		`{"email":"ada@example.com","callbackURL":"https://evil.example/"}`,
		`{"newEmail":"ada@new.example","callbackURL":"/profile"}`,
		`{"newEmail":"ada@example.com","callbackURL":7}`,
	} {
		f.Add(uint8(i), body, uint8(i%3), i%2 == 0)
	}
	kinds := testenv.Kinds(f)
	mailer := auth.MailerFunc(func(context.Context, auth.Message) error { return nil })
	e := newEnv(f, testenv.Open(f, kinds[len(kinds)-1]), auth.Options{Mailer: mailer, BaseURL: objectostest.DefaultURL}, roomyRates)
	if r := e.signUp("Ada", "ada@example.com", "correct horse"); r.StatusCode != 200 {
		f.Fatalf("sign-up: %d", r.StatusCode)
	}
	token := e.signedIn("ada@example.com", "correct horse")
	types := []string{"application/json", "application/x-www-form-urlencoded", "text/plain"}
	f.Fuzz(func(t *testing.T, route uint8, body string, ctype uint8, signedIn bool) {
		path := "/api/v1/auth/" + routes[int(route)%len(routes)]
		method := "POST"
		if strings.HasSuffix(path, "get-session") || strings.HasSuffix(path, "list-sessions") {
			method = "GET"
		}
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", types[int(ctype)%len(types)])
		if signedIn {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body.String())
		}
	})
}
