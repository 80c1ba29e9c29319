package objectostest

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Response is an answer of the Stack, read whole. Its assertion methods
// take the test (or subtest) to fail and return the response, so that they
// chain:
//
//	c.Post("/api/v1/data/todo", map[string]any{}).Status(t, 400).Code(t, "VALIDATION_FAILED")
//
// Status stops the test when it fails (nothing after it would make sense);
// the other assertions report and let the test go on.
type Response struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Header is the response's header.
	Header http.Header
	// Body is the response's body.
	Body []byte
	// Method and Path (the request URI) are the request's, for messages.
	Method, Path string

	once sync.Once
	json any
}

// String returns the body, so that a Response in a message shows it.
func (r *Response) String() string { return string(r.Body) }

// JSON returns the body decoded as JSON (objects as map[string]any, arrays
// as []any, numbers as float64), or nil when it is not JSON.
func (r *Response) JSON() any {
	r.once.Do(func() {
		if json.Unmarshal(r.Body, &r.json) != nil {
			r.json = nil
		}
	})
	return r.json
}

// Map returns the body when it is a JSON object, or nil.
func (r *Response) Map() map[string]any {
	m, _ := r.JSON().(map[string]any)
	return m
}

// Decode decodes the body into v (as json.Unmarshal does), failing t when
// it cannot.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("objectostest: %s: the body does not decode into %T: %v\n%s", r.request(), v, err, clip(r.Body))
	}
}

// Lookup returns the JSON value at path: member names and array indexes
// joined by dots ("record.name", "records.0.id", "error.code"; "" is the
// whole body). ok is false when there is no such value.
func (r *Response) Lookup(path string) (v any, ok bool) {
	v = r.JSON()
	if path == "" {
		return v, v != nil
	}
	for _, step := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			if v, ok = x[step]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// Value returns the JSON value at path (see Lookup), or nil.
func (r *Response) Value(path string) any {
	v, _ := r.Lookup(path)
	return v
}

// ErrorCode returns the code of an error answer, whichever envelope it
// came in: the data API's {"error": "…", "code": "…"}, the other routes'
// {"error": {"code": "…"}} or the auth routes' {"code": "…"}. It returns ""
// for other answers.
func (r *Response) ErrorCode() string {
	m := r.Map()
	if c, ok := m["code"].(string); ok {
		return c
	}
	if e, ok := m["error"].(map[string]any); ok {
		c, _ := e["code"].(string)
		return c
	}
	return ""
}

// Record returns the record of a single-record answer ({object, id,
// record}), or nil.
func (r *Response) Record() map[string]any {
	m, _ := r.Value("record").(map[string]any)
	return m
}

// ID returns the "id" member of the body (the record's of a single-record
// answer, the key's of a minted key), or "".
func (r *Response) ID() string {
	s, _ := r.Value("id").(string)
	return s
}

// Records returns the records of a list answer ({records: […]}), or nil.
func (r *Response) Records() []map[string]any {
	list, _ := r.Value("records").([]any)
	out := make([]map[string]any, 0, len(list))
	for _, x := range list {
		m, _ := x.(map[string]any)
		out = append(out, m)
	}
	if list == nil {
		return nil
	}
	return out
}

// IDs returns the ids of the records of a list answer, in order.
func (r *Response) IDs() []string {
	var out []string
	for _, rec := range r.Records() {
		id, _ := rec["id"].(string)
		out = append(out, id)
	}
	return out
}

// Cookies returns the cookies the response sets.
func (r *Response) Cookies() []*http.Cookie {
	return (&http.Response{Header: r.Header}).Cookies()
}

// Cookie returns the cookie the response sets under name, or nil.
func (r *Response) Cookie(name string) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Status checks the HTTP status, and stops the test (t.Fatalf, with the
// body) when it is not want.
func (r *Response) Status(t testing.TB, want int) *Response {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("objectostest: %s answered %d, want %d\n%s", r.request(), r.StatusCode, want, clip(r.Body))
	}
	return r
}

// Code checks the error code of the answer (see ErrorCode); "" wants an
// answer without one.
func (r *Response) Code(t testing.TB, want string) *Response {
	t.Helper()
	if got := r.ErrorCode(); got != want {
		t.Errorf("objectostest: %s answered %d with error code %q, want %q\n%s", r.request(), r.StatusCode, got, want, clip(r.Body))
	}
	return r
}

// Equal checks that the JSON value at path (see Lookup) is want, compared
// as JSON: want is encoded and decoded first, so 3 equals 3.0, a
// []string equals the array of those strings, and a struct equals the
// object of its JSON encoding. A nil want wants JSON null.
func (r *Response) Equal(t testing.TB, path string, want any) *Response {
	t.Helper()
	got, ok := r.Lookup(path)
	if !ok {
		t.Errorf("objectostest: %s: the body has no %s, want %s\n%s", r.request(), describePath(path), show(want), clip(r.Body))
		return r
	}
	norm, err := normalize(want)
	if err != nil {
		t.Fatalf("objectostest: Equal: want does not encode as JSON: %v", err)
	}
	if !reflect.DeepEqual(got, norm) {
		t.Errorf("objectostest: %s: %s is %s, want %s", r.request(), describePath(path), show(got), show(want))
	}
	return r
}

// Absent checks that the body has no value at path (see Lookup): a member
// left out, not one that is null.
func (r *Response) Absent(t testing.TB, path string) *Response {
	t.Helper()
	if got, ok := r.Lookup(path); ok {
		t.Errorf("objectostest: %s: %s is %s, want it absent", r.request(), describePath(path), show(got))
	}
	return r
}

// Len checks the length of the array (or the members of the object) at
// path; "records" counts the records of a list answer.
func (r *Response) Len(t testing.TB, path string, want int) *Response {
	t.Helper()
	switch v := r.Value(path).(type) {
	case []any:
		if len(v) != want {
			t.Errorf("objectostest: %s: %s has %d elements, want %d", r.request(), describePath(path), len(v), want)
		}
	case map[string]any:
		if len(v) != want {
			t.Errorf("objectostest: %s: %s has %d members, want %d", r.request(), describePath(path), len(v), want)
		}
	default:
		t.Errorf("objectostest: %s: %s is %s, not an array or object\n%s", r.request(), describePath(path), show(v), clip(r.Body))
	}
	return r
}

// request names the request in messages ("POST /api/v1/data/todo").
func (r *Response) request() string { return r.Method + " " + r.Path }

func describePath(path string) string {
	if path == "" {
		return "the body"
	}
	return path
}

// normalize makes v what decoding its JSON encoding gives.
func normalize(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	return clip(b)
}

// clip keeps messages readable.
func clip(b []byte) string {
	if len(b) > 1000 {
		return string(b[:1000]) + "…"
	}
	return string(b)
}
