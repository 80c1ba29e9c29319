package objectos

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

// TestErrorsClipCallerText: a message or detail repeats at most MaxQuoted
// bytes of a caller's text, cut at a character boundary.
func TestErrorsClipCallerText(t *testing.T) {
	long := strings.Repeat("é", 1000) // two bytes each
	e := filterErr("unknown field %q", long).With("field", long)
	assert.Less(t, len(e.Message), MaxQuoted+32)
	assert.True(t, utf8.ValidString(e.Message))
	assert.True(t, strings.HasSuffix(e.Details["field"].(string), "…"))
	assert.True(t, utf8.ValidString(e.Details["field"].(string)))

	args := []any{long}
	filterErr("%s", args...)
	assert.Equal(t, long, args[0], "the caller's arguments are not changed")

	short := strings.Repeat("x", MaxQuoted)
	assert.Equal(t, "unknown field \""+short+"\"", filterErr("unknown field %q", short).Message)
	list := strings.Repeat("option, ", 20)
	assert.Equal(t, "one of "+list, Errorf(CodeValidationFailed, "one of %s", list).Message, "Errorf repeats lists whole")
	assert.Less(t, len(Errorf(CodeValidationFailed, "%s", strings.Repeat("x", 100<<10)).Message), 1100, "but never a request body")
}

// TestAuthenticationRequired: every surface answers a missing caller with
// the same code, message and status, and each error is its own (details
// added to one do not leak into the next answer).
func TestAuthenticationRequired(t *testing.T) {
	e := AuthenticationRequired()
	assert.Equal(t, CodeUnauthenticated, e.Code)
	assert.Equal(t, "Authentication is required to access this endpoint.", e.Message)
	assert.Equal(t, 401, e.HTTPStatus())
	e.With("index", 3)
	assert.Empty(t, AuthenticationRequired().Details)
}

func TestSetRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  *Error
		set  string // already set
		want string
	}{
		{"unavailable", NewError(CodeServiceUnavailable, "x"), "", "1"},
		{"from the details", NewError(CodeRateLimitExceeded, "x").With("retryAfter", int64(7)), "", "7"},
		{"int details", NewError(CodeServiceUnavailable, "x").With("retryAfter", 3), "", "3"},
		{"already set", NewError(CodeServiceUnavailable, "x"), "9", "9"},
		{"not to retry", NewError(CodeInternal, "x"), "", ""},
		{"nil", nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.set != "" {
				h.Set("Retry-After", tc.set)
			}
			SetRetryAfter(h, tc.err)
			assert.Equal(t, tc.want, h.Get("Retry-After"))
		})
	}
}
