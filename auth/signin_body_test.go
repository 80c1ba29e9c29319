package auth_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
)

// A sign-in without a password is a malformed request (400), not a wrong
// password (401), and it costs no hashing and no attempt.
func TestSignInWithoutPassword(t *testing.T) {
	e := newEnv(t, testenv.Open(t, testenv.SQLite), auth.Options{})
	assert.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse battery").StatusCode)
	verifies := e.hasher.verifies.Load()
	for _, body := range []string{`{"email":"ada@example.com"}`, `{"email":"ada@example.com","password":null}`,
		`{"email":"ada@example.com","password":12345678}`} {
		r := e.do(call{method: "POST", path: "/api/v1/auth/sign-in/email", body: body})
		assert.Equal(t, 400, r.StatusCode, body)
		assert.Equal(t, "VALIDATION_ERROR", r.ErrorCode(), body)
		assert.Contains(t, r.Value("message"), "password", body)
	}
	assert.Equal(t, verifies, e.hasher.verifies.Load(), "no hashing")
	// an empty password is a wrong one
	r := e.do(call{method: "POST", path: "/api/v1/auth/sign-in/email", body: `{"email":"ada@example.com","password":""}`})
	assert.Equal(t, 401, r.StatusCode)
	assert.Equal(t, 200, e.signIn("ada@example.com", "correct horse battery").StatusCode, "no lockout from the malformed ones")
}
