package objectos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// Code is a stable, machine-readable error code. Codes are append-only: once
// published a code is never renamed or given another HTTP status.
type Code string

// The error codes of the wire protocol (SPEC §3). Each maps to one HTTP status
// through [Code.HTTPStatus].
const (
	CodeValidationFailed          Code = "VALIDATION_FAILED"
	CodeInvalidField              Code = "INVALID_FIELD"
	CodeInvalidFilter             Code = "INVALID_FILTER"
	CodeInvalidSort               Code = "INVALID_SORT"
	CodeInvalidQuery              Code = "INVALID_QUERY"
	CodeInvalidCursor             Code = "INVALID_CURSOR"
	CodeInvalidJSON               Code = "INVALID_JSON"
	CodeBatchTooLarge             Code = "BATCH_TOO_LARGE"
	CodeUnauthenticated           Code = "UNAUTHENTICATED"
	CodeSessionExpired            Code = "SESSION_EXPIRED"
	CodeInvalidToken              Code = "INVALID_TOKEN"
	CodePermissionDenied          Code = "PERMISSION_DENIED"
	CodeRecordNotAccessible       Code = "RECORD_NOT_ACCESSIBLE"
	CodeFieldNotAccessible        Code = "FIELD_NOT_ACCESSIBLE"
	CodeObjectNotFound            Code = "OBJECT_NOT_FOUND"
	CodeObjectAPIDisabled         Code = "OBJECT_API_DISABLED"
	CodeRecordNotFound            Code = "RECORD_NOT_FOUND"
	CodeActionNotFound            Code = "ACTION_NOT_FOUND"
	CodeNotFound                  Code = "NOT_FOUND"
	CodeObjectAPIMethodNotAllowed Code = "OBJECT_API_METHOD_NOT_ALLOWED"
	CodeMethodNotAllowed          Code = "METHOD_NOT_ALLOWED"
	CodeConcurrentUpdate          Code = "CONCURRENT_UPDATE"
	CodeUniqueViolation           Code = "UNIQUE_VIOLATION"
	CodeDeleteRestricted          Code = "DELETE_RESTRICTED"
	CodePayloadTooLarge           Code = "PAYLOAD_TOO_LARGE"
	CodeUnsupportedMediaType      Code = "UNSUPPORTED_MEDIA_TYPE"
	CodeRateLimitExceeded         Code = "RATE_LIMIT_EXCEEDED"
	CodeInternal                  Code = "INTERNAL_ERROR"
	CodeServiceUnavailable        Code = "SERVICE_UNAVAILABLE"
	// CodeSessionNotFresh: the operation needs a recent sign-in (or the
	// current password) and the session is older.
	CodeSessionNotFresh Code = "SESSION_NOT_FRESH"
	// CodeAccountLocked: too many wrong passwords; details.retryAfter says
	// when the lock ends.
	CodeAccountLocked Code = "ACCOUNT_LOCKED"
	// CodeInvalidIdempotencyKey: the Idempotency-Key header is empty, sent
	// twice, longer than MaxIdempotencyKeyLength bytes or not printable
	// ASCII.
	CodeInvalidIdempotencyKey Code = "INVALID_IDEMPOTENCY_KEY"
	// CodeIdempotencyKeyReused: the key was used for a request with another
	// method, path or body.
	CodeIdempotencyKeyReused Code = "IDEMPOTENCY_KEY_REUSED"
	// CodeIdempotencyInProgress: the first request with the key is still
	// running; Retry-After says when to ask again.
	CodeIdempotencyInProgress Code = "IDEMPOTENCY_IN_PROGRESS"
)

var codeStatus = map[Code]int{
	CodeValidationFailed:          http.StatusBadRequest,
	CodeInvalidField:              http.StatusBadRequest,
	CodeInvalidFilter:             http.StatusBadRequest,
	CodeInvalidSort:               http.StatusBadRequest,
	CodeInvalidQuery:              http.StatusBadRequest,
	CodeInvalidCursor:             http.StatusBadRequest,
	CodeInvalidJSON:               http.StatusBadRequest,
	CodeBatchTooLarge:             http.StatusBadRequest,
	CodeUnauthenticated:           http.StatusUnauthorized,
	CodeSessionExpired:            http.StatusUnauthorized,
	CodeInvalidToken:              http.StatusUnauthorized,
	CodePermissionDenied:          http.StatusForbidden,
	CodeRecordNotAccessible:       http.StatusForbidden,
	CodeFieldNotAccessible:        http.StatusForbidden,
	CodeObjectNotFound:            http.StatusNotFound,
	CodeObjectAPIDisabled:         http.StatusNotFound,
	CodeRecordNotFound:            http.StatusNotFound,
	CodeActionNotFound:            http.StatusNotFound,
	CodeNotFound:                  http.StatusNotFound,
	CodeObjectAPIMethodNotAllowed: http.StatusMethodNotAllowed,
	CodeMethodNotAllowed:          http.StatusMethodNotAllowed,
	CodeConcurrentUpdate:          http.StatusConflict,
	CodeUniqueViolation:           http.StatusConflict,
	CodeDeleteRestricted:          http.StatusConflict,
	CodePayloadTooLarge:           http.StatusRequestEntityTooLarge,
	CodeUnsupportedMediaType:      http.StatusUnsupportedMediaType,
	CodeSessionNotFresh:           http.StatusForbidden,
	CodeAccountLocked:             http.StatusForbidden,
	CodeInvalidIdempotencyKey:     http.StatusBadRequest,
	CodeIdempotencyKeyReused:      http.StatusUnprocessableEntity,
	CodeIdempotencyInProgress:     http.StatusConflict,
	CodeRateLimitExceeded:         http.StatusTooManyRequests,
	CodeInternal:                  http.StatusInternalServerError,
	CodeServiceUnavailable:        http.StatusServiceUnavailable,
}

// HTTPStatus returns the HTTP status of the code; an unknown code is 500.
func (c Code) HTTPStatus() int {
	if s, ok := codeStatus[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Field error codes used in [FieldError.Code] (reference §2.6). They are
// lower-case and, like [Code], append-only.
const (
	FieldRequired          = "required"
	FieldInvalidType       = "invalid_type"
	FieldUnknown           = "unknown_field"
	FieldInvalidBoolean    = "invalid_boolean"
	FieldInvalidNumber     = "invalid_number"
	FieldInvalidDate       = "invalid_date"
	FieldInvalidTime       = "invalid_time"
	FieldInvalidEmail      = "invalid_email"
	FieldInvalidURL        = "invalid_url"
	FieldInvalidPhone      = "invalid_phone"
	FieldInvalidJSON       = "invalid_json"
	FieldInvalidFormat     = "invalid_format"
	FieldMinLength         = "min_length"
	FieldMaxLength         = "max_length"
	FieldMinValue          = "min_value"
	FieldMaxValue          = "max_value"
	FieldMaxScale          = "max_scale"
	FieldMinItems          = "min_items"
	FieldMaxItems          = "max_items"
	FieldInvalidOption     = "invalid_option"
	FieldInvalidValue      = "invalid_value"
	FieldReferenceNotFound = "reference_not_found"
)

// FieldError is one failing field of a VALIDATION_FAILED error.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Constraint is the limit that was broken (a length, a bound, the allowed
	// options), when there is one.
	Constraint any `json:"constraint,omitempty"`
}

// Error is the one error type of objectos. Code and Message are safe to show
// to clients; the cause (see [Error.Unwrap]) is for logs only and is never
// serialized by any surface.
type Error struct {
	Code    Code
	Message string
	// Fields lists the failing fields of a VALIDATION_FAILED error.
	Fields []FieldError
	// Details are extra wire members for the error body, such as "field",
	// "object", "allowed" or "currentVersion". Values must be JSON-encodable
	// and safe to show.
	Details map[string]any
	cause   error
}

// NewError returns an error with the code and a client-safe message.
func NewError(code Code, message string) *Error {
	return &Error{Code: code, Message: message}
}

// Errorf returns an error with the code and a formatted client-safe message.
// A %w verb is not treated specially; use [Error.WithCause] for causes.
// Quote a caller's names and values with [Clip]; as a safety net, any
// string argument longer than maxArg bytes is shortened.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, clipArgs(args, maxArg)...)}
}

// maxArg bounds every string argument of Errorf: long enough for the lists
// of allowed values messages spell out, short enough that no answer repeats
// a request body.
const maxArg = 1024

// quotedf is Errorf for messages that repeat a caller's text: string
// arguments longer than [MaxQuoted] are shortened.
func quotedf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, clipArgs(args, MaxQuoted)...)}
}

// clipArgs returns args with strings longer than n bytes shortened; args
// itself is not changed.
func clipArgs(args []any, n int) []any {
	copied := false
	for i, a := range args {
		if s, ok := a.(string); ok && len(s) > n {
			if !copied {
				args, copied = append([]any(nil), args...), true
			}
			args[i] = clipTo(s, n)
		}
	}
	return args
}

// MaxQuoted is the longest caller text, in bytes, that an error message or
// detail repeats; longer text is cut at a character boundary and ends in "…".
// Names are at most 64 bytes, so a name is never cut. [Error.With] applies it
// to string details.
const MaxQuoted = 64

// Clip shortens a caller's text that an error message repeats to
// [MaxQuoted] bytes, cut at a character boundary and ending in "…".
func Clip(s string) string { return clipTo(s, MaxQuoted) }

func clip(s string) string { return clipTo(s, MaxQuoted) }

func clipTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// Error implements error. It includes the cause, so it is for logs only.
func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("objectos: %s: %s: %v", e.Code, e.Message, e.cause)
	}
	return fmt.Sprintf("objectos: %s: %s", e.Code, e.Message)
}

// Unwrap returns the internal cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// HTTPStatus is the HTTP status of the error's code.
func (e *Error) HTTPStatus() int { return e.Code.HTTPStatus() }

// WithCause records an internal cause for logging and returns e.
func (e *Error) WithCause(err error) *Error {
	e.cause = err
	return e
}

// With adds a detail member to the error body and returns e.
func (e *Error) With(key string, value any) *Error {
	if e.Details == nil {
		e.Details = make(map[string]any, 2)
	}
	if s, ok := value.(string); ok {
		value = clip(s)
	}
	e.Details[key] = value
	return e
}

// ErrNoCredentials is returned by an [AuthPlugin] when the request carries no
// credentials it recognises. It is distinct from bad credentials (an *Error
// with an UNAUTHENTICATED, INVALID_TOKEN or SESSION_EXPIRED code) and from a
// technical failure (any other error).
var ErrNoCredentials = errors.New("objectos: no credentials")

// AuthenticationRequired returns the error of a call that needs a caller
// and has none: UNAUTHENTICATED (401) with the message "Authentication is
// required to access this endpoint.". The engine, the Stack's
// authentication and the plugins answer it alike. Each call returns a new
// *Error, so details added to one change no other.
func AuthenticationRequired() *Error {
	return NewError(CodeUnauthenticated, "Authentication is required to access this endpoint.")
}

// AsError converts any error to an *Error. An *Error anywhere in the chain is
// returned as is; a cancelled or timed-out context becomes SERVICE_UNAVAILABLE;
// anything else becomes INTERNAL_ERROR with err as its cause.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return NewError(CodeServiceUnavailable, "The request was cancelled or timed out.").WithCause(err)
	}
	return NewError(CodeInternal, "An internal error occurred.").WithCause(err)
}

// SetRetryAfter sets the Retry-After header of an error answer the client
// should retry later: the seconds in e.Details["retryAfter"] when set (a
// rate limit or a lockout), else 1 for 503 SERVICE_UNAVAILABLE (the
// database is down or busy). A header already set is left alone.
func SetRetryAfter(h http.Header, e *Error) {
	if e == nil || h.Get("Retry-After") != "" {
		return
	}
	switch v := e.Details["retryAfter"].(type) {
	case int:
		h.Set("Retry-After", strconv.Itoa(v))
		return
	case int64:
		h.Set("Retry-After", strconv.FormatInt(v, 10))
		return
	}
	if e.HTTPStatus() == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
}

// IsCode reports whether err is an *Error with the code.
func IsCode(err error, code Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

func validationFailed(object string, fields []FieldError) *Error {
	msg := "Validation failed"
	if len(fields) == 1 {
		msg = fields[0].Message
	} else if len(fields) > 1 {
		msg = fmt.Sprintf("Validation failed for %d fields", len(fields))
	}
	e := &Error{Code: CodeValidationFailed, Message: msg, Fields: fields}
	if object != "" {
		e.With("object", object)
	}
	return e
}
