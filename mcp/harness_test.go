package mcp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/apikey"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/mcp"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/security"
)

// crmYAML is a small CRM: accounts whose revenue analysts may not read,
// private records, a read-only object, one hidden from the API, and a
// script and an api action.
const crmYAML = `
name: crm
objects:
  - name: crm_account
    label: Account
    nameField: name
    sharingModel: private
    fields:
      name: {type: text, label: Account Name, required: true, maxLength: 200, searchable: true}
      industry:
        type: select
        options: [{label: Technology, value: technology}, {label: Finance, value: finance}]
      annual_revenue: {type: currency, label: Annual Revenue, scale: 2, min: 0}
    actions:
      - name: archive
        label: Archive
        type: api
        method: PATCH
        target: /api/v1/data/crm_account/{id}
        bodyExtra: {industry: finance}
  - name: crm_opportunity
    label: Opportunity
    sharingModel: private
    fields:
      name: {type: text, required: true}
      account: {type: lookup, reference: crm_account, deleteBehavior: restrict}
      stage:
        type: select
        defaultValue: prospecting
        options: [{value: prospecting}, {value: closed_won}]
      amount: {type: currency, min: 0}
      close_date: {type: date}
    actions:
      - name: close_won
        label: Close Won
        type: script
        params:
          - {name: note, type: text, label: Note}
  - name: crm_region
    label: Region
    sharingModel: public_read
    enable: {apiMethods: [get, list]}
    fields:
      name: {type: text}
  - name: crm_internal
    enable: {apiEnabled: false}
    fields:
      name: {type: text}
permissionSets:
  - name: crm_sales_user
    objects:
      crm_account: {allowRead: true, allowCreate: true, allowEdit: true}
      crm_opportunity: {allowRead: true, allowCreate: true, allowEdit: true}
      crm_region: {allowRead: true}
  - name: crm_analyst
    objects:
      crm_account: {allowRead: true, viewAllRecords: true}
      crm_opportunity: {allowRead: true, viewAllRecords: true}
      crm_region: {allowRead: true}
    fields:
      crm_account.annual_revenue: {readable: false, editable: false}
`

// closeWon is the script action: it marks the opportunity won, as the
// caller.
func closeWon(ctx context.Context, call *objectos.ActionCall) (any, error) {
	set := objectos.Record{"stage": "closed_won"}
	res, err := call.Stack.Update(ctx, call.Object.Name, call.RecordID, set, objectos.WriteOptions{})
	if err != nil {
		return nil, err
	}
	return res.Record, nil
}

// refuseForbidden is a hook: an account named "forbidden" is refused, so
// tests see hooks run for tool calls, and one named "explode" fails as a
// server failure would.
var refuseForbidden = objectos.Hook{Object: "crm_account", Events: []objectos.HookEvent{objectos.BeforeCreate},
	Func: func(_ context.Context, h *objectos.HookContext) error {
		switch h.Input["name"] {
		case "forbidden":
			return objectos.NewError(objectos.CodeValidationFailed, "That name is forbidden.")
		case "explode":
			return errors.New("the disk at /var/lib/secret is on fire")
		}
		return nil
	}}

type fastHasher struct{}

var fastParams = &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func (fastHasher) Hash(pw string) (string, error)    { return argon2id.CreateHash(pw, fastParams) }
func (fastHasher) Verify(pw, h string) (bool, error) { return argon2id.ComparePasswordAndHash(pw, h) }

// roomyRates keeps the default limiter in the path with budgets the tests
// cannot spend.
func roomyRates(o *objectos.Options) {
	r := objectos.Rate{Limit: 1 << 30, Period: objectos.MaxRatePeriod}
	o.RateLimits.Read, o.RateLimits.Write, o.RateLimits.Auth = r, r, r
}

// env is a running CRM with the MCP endpoint, over real HTTP.
type env struct {
	t     testing.TB
	stack *objectos.Stack
	srv   *httptest.Server
	url   string // the MCP endpoint
	logs  *testenv.Buffer
}

// newEnv starts the CRM on st with the MCP plugin (mcp.Options{Enabled:
// true} unless opts says otherwise) and the real auth, apikey and security
// plugins. mods change the Stack's options.
func newEnv(t testing.TB, st objectos.Store, opts *mcp.Options, mods ...func(*objectos.Options)) *env {
	t.Helper()
	a, err := objectos.ParseArtifact([]byte(crmYAML))
	require.NoError(t, err)
	if opts == nil {
		opts = &mcp.Options{Enabled: true}
	}
	e := &env{t: t, logs: &testenv.Buffer{}}
	so := objectos.Options{
		Artifact: a,
		Store:    st,
		Plugins: []objectos.Plugin{rest.New(rest.Options{}), auth.New(auth.Options{SignUp: objectos.Ptr(true), Hasher: fastHasher{}}),
			apikey.New(apikey.Options{}), security.New(), mcp.New(*opts)},
		ActionHandlers: map[string]objectos.ActionHandler{"crm_opportunity.close_won": closeWon},
		Hooks:          []objectos.Hook{refuseForbidden},
		Clock:          testenv.NewClock().Now,
		Logger:         testLogger(e.logs),
	}
	roomyRates(&so)
	for _, m := range mods {
		m(&so)
	}
	e.stack, err = objectos.New(context.Background(), so)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", e.stack)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	e.url = e.srv.URL + "/api/v1/mcp"
	return e
}

// user is a signed-up user with a session token and an API key.
type user struct {
	id, token, key, keyID string
}

// signUp signs a user up (the first becomes the admin), assigns the
// permission sets and mints a key.
func (e *env) signUp(name string, sets ...string) *user {
	e.t.Helper()
	code, body := e.rest("POST", "/auth/sign-up/email",
		fmt.Sprintf(`{"name":%q,"email":"%s@example.com","password":"password-%s"}`, name, name, name), nil)
	require.Equal(e.t, 200, code, "%v", body)
	u := &user{id: body["user"].(map[string]any)["id"].(string), token: body["token"].(string)}
	if len(sets) > 0 {
		_, err := e.stack.Update(objectos.AsSystem(context.Background()), "sys_user", u.id,
			objectos.Record{"permission_sets": sets}, objectos.WriteOptions{})
		require.NoError(e.t, err)
	}
	code, body = e.rest("POST", "/keys", `{"name":"agent"}`, map[string]string{"Authorization": "Bearer " + u.token})
	require.Equal(e.t, 201, code, "%v", body)
	u.key, u.keyID = body["key"].(string), body["id"].(string)
	return u
}

// rest calls a route of the Stack under /api/v1 and decodes the JSON answer.
func (e *env) rest(method, path, body string, hdr map[string]string) (int, map[string]any) {
	e.t.Helper()
	h := map[string]string{}
	if body != "" {
		h["Content-Type"] = "application/json"
	}
	for k, v := range hdr {
		h[k] = v
	}
	r := e.send(method, e.srv.URL+"/api/v1"+path, body, h)
	var out map[string]any
	_ = json.Unmarshal([]byte(r.body), &out)
	return r.code, out
}

// raw is one HTTP exchange with the MCP endpoint.
type raw struct {
	code   int
	header http.Header
	body   string
}

func (r raw) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &m), r.body)
	return m
}

// errCode is the code of the wrapped error envelope.
func (r raw) errCode(t testing.TB) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// post sends a JSON-RPC message as an MCP client would (the headers of the
// 2025-11-25 revision, which needs no handshake on a stateless server).
func (e *env) post(method, body string, hdr map[string]string) raw {
	e.t.Helper()
	h := map[string]string{"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
		"MCP-Protocol-Version": "2025-11-25"}
	for k, v := range hdr {
		h[k] = v
	}
	return e.send(method, e.url, body, h)
}

// send is one request to the test server.
func (e *env) send(method, url, body string, hdr map[string]string) raw {
	e.t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(e.t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return raw{code: resp.StatusCode, header: resp.Header, body: string(b)}
}

// headers adds fixed headers to every request of an MCP client, and keeps
// every response body it reads.
type headers struct {
	set  http.Header
	next http.RoundTripper
	mu   sync.Mutex
	seen bytes.Buffer
}

func (h *headers) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.set {
		r.Header[k] = v
	}
	resp, err := h.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.seen.Write(b)
	h.seen.WriteByte('\n')
	h.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// received is every response body the client has read.
func (h *headers) received() string { h.mu.Lock(); defer h.mu.Unlock(); return h.seen.String() }

// agent is an MCP client session of one caller, with the SDK's own client.
type agent struct {
	t       testing.TB
	s       *sdkmcp.ClientSession
	tools   map[string]*sdkmcp.Tool
	outputs map[string]*jsonschema.Schema
	wire    *headers
}

// keyHeader sends a key as Authorization: Bearer.
func keyHeader(key string) http.Header { return http.Header{"Authorization": {"Bearer " + key}} }

// connect opens a session (the newest protocol unless version pins one)
// and lists the tools, compiling each output schema with a validator of
// its own.
func (e *env) connect(hdr http.Header, version string) (*agent, error) {
	e.t.Helper()
	wire := &headers{set: hdr, next: http.DefaultTransport}
	client := sdkmcp.NewClient(&sdkmcp.Implementation{Name: "objectos-test", Version: "0.0.0"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := client.Connect(ctx, &sdkmcp.StreamableClientTransport{
		Endpoint: e.url, HTTPClient: &http.Client{Transport: wire}, DisableStandaloneSSE: true, MaxRetries: -1,
	}, &sdkmcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		return nil, err
	}
	e.t.Cleanup(func() { s.Close() })
	a := &agent{t: e.t, s: s, tools: map[string]*sdkmcp.Tool{}, outputs: map[string]*jsonschema.Schema{}, wire: wire}
	list, err := s.ListTools(ctx, nil)
	if err != nil {
		return nil, err
	}
	for _, tl := range list.Tools {
		a.tools[tl.Name] = tl
		a.outputs[tl.Name] = compileSchema(e.t, tl.Name, tl.OutputSchema)
	}
	return a, nil
}

// mustConnect connects with a key.
func (e *env) mustConnect(key string) *agent {
	e.t.Helper()
	a, err := e.connect(keyHeader(key), "")
	require.NoError(e.t, err)
	return a
}

// compileSchema compiles a schema the server declared with an independent
// JSON Schema implementation.
func compileSchema(t testing.TB, name string, schema any) *jsonschema.Schema {
	t.Helper()
	b, err := json.Marshal(schema)
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	loc := "urn:objectos:mcp:" + name
	require.NoError(t, c.AddResource(loc, doc))
	sch, err := c.Compile(loc)
	require.NoError(t, err, "the schema of %s: %s", name, b)
	return sch
}

// result is a tool call's outcome: its structured content on success, its
// error (the JSON text) on failure.
type result struct {
	ok    map[string]any
	err   map[string]any
	raw   *sdkmcp.CallToolResult
	isErr bool
}

// code is the error code of a failed call, "" on success.
func (r result) code() string {
	c, _ := r.err["code"].(string)
	return c
}

// call calls a tool. On success it checks the structured content against
// the tool's declared output schema and that the text is the same JSON;
// on failure, that the text is an error {code, message}.
func (a *agent) call(name string, args map[string]any) result {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := a.s.CallTool(ctx, &sdkmcp.CallToolParams{Name: name, Arguments: args})
	require.NoError(a.t, err, "tools/call %s is a protocol error", name)
	require.Len(a.t, res.Content, 1)
	text := res.Content[0].(*sdkmcp.TextContent).Text
	if res.IsError {
		require.Nil(a.t, res.StructuredContent, "an error result carries no structured content")
		var e map[string]any
		require.NoError(a.t, json.Unmarshal([]byte(text), &e), text)
		require.NotEmpty(a.t, e["code"], text)
		require.NotEmpty(a.t, e["message"], text)
		return result{err: e, raw: res, isErr: true}
	}
	b, err := json.Marshal(res.StructuredContent)
	require.NoError(a.t, err)
	require.JSONEq(a.t, text, string(b), "the text is the structured content")
	sch := a.outputs[name]
	require.NotNil(a.t, sch, "%s declares an output schema", name)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(a.t, err)
	require.NoError(a.t, sch.Validate(inst), "%s: %s", name, b)
	var ok map[string]any
	require.NoError(a.t, json.Unmarshal(b, &ok))
	return result{ok: ok, raw: res}
}

// must calls a tool that must succeed.
func (a *agent) must(name string, args map[string]any) map[string]any {
	a.t.Helper()
	r := a.call(name, args)
	require.False(a.t, r.isErr, "%s: %v", name, r.err)
	return r.ok
}

// fails calls a tool that must fail with the code.
func (a *agent) fails(code, name string, args map[string]any) result {
	a.t.Helper()
	r := a.call(name, args)
	require.True(a.t, r.isErr, "%s must fail with %s, got %v", name, code, r.ok)
	require.Equal(a.t, code, r.code(), "%s: %v", name, r.err)
	return r
}

// read reads a resource as JSON.
func (a *agent) read(uri string) (map[string]any, error) {
	a.t.Helper()
	res, err := a.s.ReadResource(context.Background(), &sdkmcp.ReadResourceParams{URI: uri})
	if err != nil {
		return nil, err
	}
	require.Len(a.t, res.Contents, 1)
	require.Equal(a.t, "application/json", res.Contents[0].MIMEType)
	var m map[string]any
	require.NoError(a.t, json.Unmarshal([]byte(res.Contents[0].Text), &m))
	return m, nil
}

// records are the records of a query_records result.
func records(r map[string]any) []map[string]any {
	var out []map[string]any
	for _, x := range r["records"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

func names(items []any, key string) []string {
	var out []string
	for _, x := range items {
		out = append(out, x.(map[string]any)[key].(string))
	}
	return out
}

// testLogger keeps the Stack's log lines for the test to read.
func testLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
