package objectostest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
)

// Client makes requests to an Env's handler, in process, with the
// credentials it was made with. Derive clients with With; a Client is safe
// for concurrent use.
type Client struct {
	env    *Env
	header http.Header    // set on every request; an empty value removes the header
	jar    http.CookieJar // a browser's cookies; nil for other clients
	// Token is the session token the client presents (as a bearer token,
	// or as a browser's session cookie), or "".
	Token string
	// Key and KeyID are the API key the client presents (and its
	// sys_api_key id), or "".
	Key, KeyID string
}

// Client returns an anonymous client: it sends no credentials and keeps no
// cookies, as a server-side program would.
func (e *Env) Client() *Client { return &Client{env: e} }

// Browser returns an anonymous client that behaves as a browser on the
// Env's own origin: it keeps the cookies responses set and sends them back,
// and gives unsafe requests (POST, PATCH, PUT, DELETE) the Origin header
// that the session-cookie check of the auth plugin looks at. A sign-in
// through it signs it in; see User.Browser.
func (e *Env) Browser() *Client {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &Client{env: e, jar: jar}
}

// Bearer returns a client that presents token (a session token or an API
// key) as Authorization: Bearer.
func (e *Env) Bearer(token string) *Client {
	c := e.Client().With("Authorization", "Bearer "+token)
	c.Token = token
	return c
}

// With returns a copy of c that sets the header on every request, over the
// request's own value; an empty value removes the header instead (the
// Content-Type of a body, or a browser's Origin). The copy shares c's
// cookies.
func (c *Client) With(name, value string) *Client {
	d := *c
	d.header = c.header.Clone()
	if d.header == nil {
		d.header = http.Header{}
	}
	d.header[http.CanonicalHeaderKey(name)] = []string{value}
	return &d
}

// Get requests path: a path on the server, such as "/api/v1/data/todo",
// or an absolute URL.
func (c *Client) Get(path string) *Response { return c.Do(http.MethodGet, path, nil) }

// Post sends body to path (see Do).
func (c *Client) Post(path string, body any) *Response { return c.Do(http.MethodPost, path, body) }

// Patch sends body to path (see Do).
func (c *Client) Patch(path string, body any) *Response { return c.Do(http.MethodPatch, path, body) }

// Put sends body to path (see Do).
func (c *Client) Put(path string, body any) *Response { return c.Do(http.MethodPut, path, body) }

// Delete requests path with DELETE.
func (c *Client) Delete(path string) *Response { return c.Do(http.MethodDelete, path, nil) }

// Do makes a request and returns its response. path is a path on the
// server ("/api/v1/data/todo?limit=5") or an absolute URL. body is sent as
// Content-Type: application/json: a string, []byte or json.RawMessage as
// it is (an empty one sends no body), nil as no body, anything else
// encoded with encoding/json. Do panics when body does not encode, or
// method or path cannot make a request: those are mistakes in the test.
func (c *Client) Do(method, path string, body any) *Response {
	var data []byte
	switch b := body.(type) {
	case nil:
	case string:
		data = []byte(b)
	case []byte:
		data = b
	case json.RawMessage:
		data = b
	default:
		var err error
		if data, err = json.Marshal(b); err != nil {
			panic(fmt.Sprintf("objectostest: the body of %s %s does not encode as JSON: %v", method, path, err))
		}
	}
	var r io.Reader
	if len(data) > 0 {
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.url(path), r)
	if err != nil {
		panic(fmt.Sprintf("objectostest: %v", err))
	}
	if len(data) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.Send(req)
}

// Send makes a request prepared by the test (with cookies of its own, say,
// or an https:// URL for a request over TLS) with the client's headers and
// cookies added, and returns its response. A relative URL is resolved
// against the Env's URL. Send panics when the request cannot be made.
func (c *Client) Send(req *http.Request) *Response {
	if !req.URL.IsAbs() {
		base, err := url.Parse(c.env.URL)
		if err != nil {
			panic(fmt.Sprintf("objectostest: Env.URL: %v", err))
		}
		req.URL = base.ResolveReference(req.URL)
		req.Host = ""
	}
	res, err := c.HTTPClient().Do(req)
	if err != nil {
		panic(fmt.Sprintf("objectostest: %s %s: %v", req.Method, req.URL, err))
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body) // from memory: cannot fail
	return &Response{StatusCode: res.StatusCode, Header: res.Header, Body: b,
		Method: req.Method, Path: req.URL.RequestURI()}
}

// HTTPClient returns an *http.Client that makes c's requests, for code that
// takes one: a client generated from the OpenAPI document, an MCP client,
// the test's own requests. It serves requests to any URL in process, does
// not follow redirects (a test wants to see them), and shares c's cookies.
func (c *Client) HTTPClient() *http.Client {
	return &http.Client{
		Transport:     transport{h: c.env.Handler, header: c.header, browser: c.jar != nil},
		Jar:           c.jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (c *Client) url(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return strings.TrimRight(c.env.URL, "/") + path
}

// transport serves requests with a handler, as a server would receive
// them.
type transport struct {
	h       http.Handler
	header  http.Header
	browser bool
}

func (tr transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body io.Reader
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		if len(b) > 0 {
			body = bytes.NewReader(b)
		}
	}
	sr := httptest.NewRequest(req.Method, req.URL.String(), body).WithContext(req.Context())
	sr.RequestURI = req.URL.RequestURI()
	if req.Host != "" {
		sr.Host = req.Host
	}
	sr.Header = req.Header.Clone()
	if sr.Header == nil {
		sr.Header = http.Header{}
	}
	if tr.browser && !safe(req.Method) && sr.Header.Get("Origin") == "" {
		sr.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
	}
	for k, v := range tr.header {
		if len(v) == 0 || v[0] == "" {
			sr.Header.Del(k)
		} else {
			sr.Header[k] = v
		}
	}
	rec := httptest.NewRecorder()
	tr.h.ServeHTTP(rec, sr)
	res := rec.Result()
	res.Request = req
	return res, nil
}

func safe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}
