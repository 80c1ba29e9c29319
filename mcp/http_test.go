package mcp_test

import (
	"context"
	"strings"
	"testing"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/mcp"
	"github.com/objectos-go/objectos/store"
)

const toolsList = `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`

// TestHTTP walks the endpoint's HTTP behaviour before any JSON-RPC:
// credentials in every form the REST routes take, the Origin check, the
// methods, notifications and the body limit.
func TestHTTP(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, nil, func(o *objectos.Options) {
			// a page on this origin may call the API, but not with the
			// user's cookie
			o.CORS = objectos.CORS{AllowedOrigins: []string{"https://app.example.com"}}
		})
		admin := e.signUp("admin")
		own := e.srv.URL
		cookie := "better-auth.session_token=" + admin.token
		big := `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"pad":"` + strings.Repeat("x", mcp.DefaultMaxBodyBytes) + `"}}}`

		for _, c := range []struct {
			name, method, body string
			hdr                map[string]string
			code               int
			errCode            string
		}{
			{name: "no credentials", method: "POST", body: toolsList, code: 401, errCode: "UNAUTHENTICATED"},
			{name: "a bad key", method: "POST", body: toolsList, hdr: map[string]string{"Authorization": "Bearer os_pk_live_" + strings.Repeat("A", 43)}, code: 401, errCode: "INVALID_TOKEN"},
			{name: "a bad x-api-key", method: "POST", body: toolsList, hdr: map[string]string{"x-api-key": "os_pk_live_nope"}, code: 401, errCode: "INVALID_TOKEN"},
			{name: "a bad session token", method: "POST", body: toolsList, hdr: map[string]string{"Authorization": "Bearer nope"}, code: 401},
			{name: "the key as bearer", method: "POST", body: toolsList, hdr: map[string]string{"Authorization": "Bearer " + admin.key}, code: 200},
			{name: "the key as x-api-key", method: "POST", body: toolsList, hdr: map[string]string{"x-api-key": admin.key}, code: 200},
			{name: "the key as ApiKey", method: "POST", body: toolsList, hdr: map[string]string{"Authorization": "ApiKey " + admin.key}, code: 200},
			{name: "the session token", method: "POST", body: toolsList, hdr: map[string]string{"Authorization": "Bearer " + admin.token}, code: 200},
			{name: "the session cookie", method: "POST", body: toolsList, hdr: map[string]string{"Cookie": cookie}, code: 200},
			{name: "the cookie from the server's own origin", method: "POST", body: toolsList, hdr: map[string]string{"Cookie": cookie, "Origin": own}, code: 200},
			{name: "the cookie from an origin CORS allows without credentials", method: "POST", body: toolsList,
				hdr: map[string]string{"Cookie": cookie, "Origin": "https://app.example.com"}, code: 403, errCode: "PERMISSION_DENIED"},
			{name: "a key from an origin CORS allows", method: "POST", body: toolsList,
				hdr: map[string]string{"x-api-key": admin.key, "Origin": "https://app.example.com"}, code: 200},
			{name: "a key from a foreign origin", method: "POST", body: toolsList,
				hdr: map[string]string{"x-api-key": admin.key, "Origin": "https://evil.example"}, code: 403, errCode: "PERMISSION_DENIED"},
			{name: "a foreign origin without credentials", method: "POST", body: toolsList, hdr: map[string]string{"Origin": "http://evil.example"}, code: 403, errCode: "PERMISSION_DENIED"},
			{name: "the null origin", method: "POST", body: toolsList, hdr: map[string]string{"x-api-key": admin.key, "Origin": "null"}, code: 403, errCode: "PERMISSION_DENIED"},
			{name: "GET (no event stream)", method: "GET", hdr: map[string]string{"x-api-key": admin.key}, code: 405, errCode: "METHOD_NOT_ALLOWED"},
			{name: "GET without credentials", method: "GET", code: 405, errCode: "METHOD_NOT_ALLOWED"},
			{name: "DELETE (no session)", method: "DELETE", hdr: map[string]string{"x-api-key": admin.key}, code: 405, errCode: "METHOD_NOT_ALLOWED"},
			{name: "PUT", method: "PUT", body: toolsList, hdr: map[string]string{"x-api-key": admin.key}, code: 405, errCode: "METHOD_NOT_ALLOWED"},
			{name: "a notification", method: "POST", body: `{"jsonrpc":"2.0","method":"notifications/initialized"}`, hdr: map[string]string{"x-api-key": admin.key}, code: 202},
			{name: "a body over the limit", method: "POST", body: big, hdr: map[string]string{"x-api-key": admin.key}, code: 413, errCode: "PAYLOAD_TOO_LARGE"},
			{name: "a body over the limit, anonymous", method: "POST", body: big, code: 401, errCode: "UNAUTHENTICATED"},
			{name: "an unknown method", method: "POST", body: `{"jsonrpc":"2.0","id":1,"method":"nope"}`, hdr: map[string]string{"x-api-key": admin.key}, code: 400},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := e.post(c.method, c.body, c.hdr)
				require.Equal(t, c.code, r.code, r.body)
				if c.errCode != "" {
					assert.Equal(t, c.errCode, r.errCode(t), r.body)
					assert.Equal(t, false, r.json(t)["success"], "the wrapped envelope")
					assert.Equal(t, "application/json; charset=utf-8", r.header.Get("Content-Type"))
				}
				switch c.code {
				case 401:
					assert.Equal(t, `Bearer realm="objectos"`, r.header.Get("WWW-Authenticate"))
				case 405:
					assert.Equal(t, "POST", r.header.Get("Allow"))
				case 202:
					assert.Empty(t, r.body)
				case 200:
					assert.Contains(t, r.json(t)["result"], "tools")
					assert.Empty(t, r.header.Get("Mcp-Session-Id"))
				}
				assert.NotEmpty(t, r.header.Get("X-Request-Id"))
			})
		}

		// The SDK's client gets the 401 as a connection error, and never a
		// session.
		_, err := e.connect(keyHeader("os_pk_live_"+strings.Repeat("B", 43)), "")
		require.Error(t, err)
		_, err = e.connect(nil, "2025-11-25")
		require.Error(t, err)
	})
}

// TestRevokedKey: a key revoked between two tool calls is refused on the
// very next one.
func TestRevokedKey(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, nil)
		admin := e.signUp("admin")
		a := e.mustConnect(admin.key)
		a.must("list_objects", nil)
		code, body := e.rest("POST", "/actions/sys_api_key/revoke_api_key/"+admin.keyID, "", map[string]string{"Authorization": "Bearer " + admin.token})
		require.Equal(t, 200, code, "%v", body)
		_, err := a.s.CallTool(context.Background(), &sdkmcp.CallToolParams{Name: "list_objects", Arguments: map[string]any{}})
		require.Error(t, err, "the next call is refused")
		assert.Contains(t, err.Error(), "Unauthorized")
		r := e.post("POST", toolsList, map[string]string{"x-api-key": admin.key})
		assert.Equal(t, 401, r.code)
		assert.Equal(t, "INVALID_TOKEN", r.errCode(t))
	})
}

// TestDisabled: without Enabled {base}/mcp is 404 and discovery lists the
// service as unavailable, as upstream's does.
func TestDisabled(t *testing.T) {
	st := testenv.Open(t, testenv.SQLite)
	off := newEnv(t, st, &mcp.Options{})
	admin := off.signUp("admin")
	r := off.post("POST", toolsList, map[string]string{"x-api-key": admin.key})
	assert.Equal(t, 404, r.code, r.body)
	assert.Contains(t, r.body, "MCP server is not enabled")
	code, disc := off.rest("GET", "/discovery", "", nil)
	require.Equal(t, 200, code)
	assert.NotContains(t, disc["routes"], "mcp")
	assert.Equal(t, map[string]any{"enabled": false, "status": "unavailable", "message": "MCP server is not enabled for this environment."},
		disc["services"].(map[string]any)["mcp"])

	on := newEnv(t, testenv.Open(t, testenv.SQLite), nil)
	_, disc = on.rest("GET", "/discovery", "", nil)
	assert.Equal(t, "/api/v1/mcp", disc["routes"].(map[string]any)["mcp"])
	assert.Equal(t, map[string]any{"enabled": true, "status": "available", "route": "/api/v1/mcp"},
		disc["services"].(map[string]any)["mcp"])
}

func TestOptionsWithEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		in   mcp.Options
		env  map[string]string
		want mcp.Options
	}{
		{env: nil, want: mcp.Options{}},
		{env: map[string]string{"OS_MCP_SERVER_ENABLED": "true"}, want: mcp.Options{Enabled: true}},
		{env: map[string]string{"OS_MCP_SERVER_ENABLED": " YES "}, want: mcp.Options{Enabled: true}},
		{env: map[string]string{"OS_MCP_SERVER_ENABLED": "1", "OS_MCP_SERVER_NAME": "crm"}, want: mcp.Options{Enabled: true, Name: "crm"}},
		{env: map[string]string{"OS_MCP_SERVER_ENABLED": "false"}, want: mcp.Options{}},
		{in: mcp.Options{Enabled: true, Name: "mine"}, env: map[string]string{"OS_MCP_SERVER_ENABLED": "false", "OS_MCP_SERVER_NAME": "crm"},
			want: mcp.Options{Enabled: true, Name: "mine"}},
	} {
		assert.Equal(t, c.want, c.in.WithEnv(env(c.env)), "%v", c.env)
	}

	// The name reaches clients.
	e := newEnv(t, testenv.Open(t, testenv.SQLite), &mcp.Options{Enabled: true, Name: "crm"})
	a := e.mustConnect(e.signUp("admin").key)
	assert.Equal(t, "crm", a.s.InitializeResult().ServerInfo.Name)
}
