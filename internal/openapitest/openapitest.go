// Package openapitest checks the HTTP exchanges of test suites against the
// Stack's own OpenAPI document, with an independent validator
// (github.com/pb33f/libopenapi-validator), so the document cannot drift from
// what the handlers do:
//
//   - a request the document accepts gets a response the document
//     describes (status, headers, body);
//   - a request the document refuses (unknown path or method, bad
//     parameter or body) gets a 4xx from the server too.
//
// Tests wrap their handler with Wrap; a mismatch fails the test that made
// the request.
package openapitest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/rest"
)

// Checker validates exchanges against one document.
type Checker struct {
	mu sync.Mutex // the validator's caches are not documented as safe for concurrent use
	v  validator.Validator
}

var (
	cacheMu sync.Mutex
	cache   = map[[32]byte]*Checker{}
)

// For returns the checker of the stack's OpenAPI document; checkers are
// shared by every stack with the same document. It fails t when the
// document does not parse or does not validate as OpenAPI.
func For(t testing.TB, st *objectos.Stack) *Checker {
	t.Helper()
	doc, err := rest.OpenAPIDocument(st, "3.1")
	if err != nil {
		t.Fatalf("openapitest: %v", err)
	}
	c, err := NewChecker(doc)
	if err != nil {
		t.Fatalf("openapitest: %v", err)
	}
	return c
}

// NewChecker parses and validates a document and returns its checker.
func NewChecker(doc []byte) (*Checker, error) {
	key := sha256.Sum256(doc)
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if c, ok := cache[key]; ok {
		return c, nil
	}
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("the document does not parse: %w", err)
	}
	v, errs := validator.NewValidator(d, config.WithoutSecurityValidation())
	if len(errs) > 0 {
		return nil, fmt.Errorf("the document does not build: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		return nil, fmt.Errorf("the document is not valid OpenAPI: %s", describe(verrs))
	}
	c := &Checker{v: v}
	cache[key] = c
	return c, nil
}

func describe(errs []*verrors.ValidationError) string {
	var b strings.Builder
	for i, e := range errs {
		if i == 8 {
			fmt.Fprintf(&b, "\n  … and %d more", len(errs)-i)
			break
		}
		fmt.Fprintf(&b, "\n  %s: %s", e.Message, e.Reason)
		for j, se := range e.SchemaValidationErrors {
			if j == 4 {
				break
			}
			fmt.Fprintf(&b, "\n    %s (at %s)", se.Reason, se.FieldPath)
		}
	}
	return b.String()
}

// Wrap returns h with every exchange checked against the document; a
// mismatch fails t (with Errorf, so the test goes on and reports more).
func (c *Checker) Wrap(t testing.TB, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			h.ServeHTTP(w, r) // CORS preflights are not API operations
			return
		}
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		if problems := c.Check(r, body, rec.Result()); len(problems) > 0 {
			t.Errorf("openapitest: %s %s answered %d, which the OpenAPI document does not describe:%s",
				r.Method, r.URL.RequestURI(), rec.Code, strings.Join(problems, ""))
		}
	})
}

// Check validates one exchange: the request (with its body) and the
// server's response. It returns the problems, or none.
func (c *Checker) Check(r *http.Request, body []byte, resp *http.Response) []string {
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	head := req.Method == http.MethodHead
	if head {
		req.Method = http.MethodGet // GET routes serve HEAD
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	reqOK, reqErrs := c.v.ValidateHttpRequestSync(req)
	known := true
	for _, e := range reqErrs {
		if e.IsPathMissingError() || e.IsOperationMissingError() {
			known = false
		}
	}
	var problems []string
	switch {
	case !reqOK && resp.StatusCode < 400:
		problems = append(problems, fmt.Sprintf("\n  the document refuses the request, but the server accepted it:%s", describe(reqErrs)))
	case !known:
		return problems // an unknown route, refused by both
	}
	if head {
		return problems
	}
	respBody, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	req.Body = io.NopCloser(bytes.NewReader(body))
	if ok, errs := c.v.ValidateHttpResponse(req, resp); !ok {
		problems = append(problems, fmt.Sprintf("\n  the response does not match the document:%s\n  body: %s", describe(errs), clip(respBody)))
	}
	return problems
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// Handler is the stack checked against its own document when t is a test
// (benchmarks and fuzz targets get the stack as is: the checks would
// dominate their measurements and their inputs).
func Handler(t testing.TB, st *objectos.Stack) http.Handler {
	tt, ok := t.(*testing.T)
	if !ok {
		return st
	}
	tt.Helper()
	return For(tt, st).Wrap(tt, st)
}
