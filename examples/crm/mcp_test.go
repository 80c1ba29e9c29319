package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bearerTransport sends an API key with every request, as an MCP client
// configured with a header does.
type bearerTransport struct{ key string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return http.DefaultTransport.RoundTrip(r)
}

// TestCRMMCP runs the example with OS_MCP_SERVER_ENABLED: an agent with a
// key minted by the admin creates and finds an account through the SDK's
// client. Without the variable there is no endpoint.
func TestCRMMCP(t *testing.T) {
	for name, db := range crmDatabases(t) {
		t.Run(name, func(t *testing.T) {
			c := startCRM(t, db, map[string]string{"OS_ADMIN_EMAIL": "admin@example.com", "OS_ADMIN_PASSWORD": "change-me-now",
				"OS_MCP_SERVER_ENABLED": "true", "OS_MCP_SERVER_NAME": "crm"})
			assert.Contains(t, c.out.String(), "MCP server: "+c.base+"/mcp")
			admin := c.client()
			code, _ := admin.do("POST", "/auth/sign-in/email", `{"email":"admin@example.com","password":"change-me-now"}`)
			require.Equal(t, 200, code)
			code, key := admin.do("POST", "/keys", `{"name":"agent"}`)
			require.Equal(t, 201, code, "%v", key)

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			client := sdkmcp.NewClient(&sdkmcp.Implementation{Name: "crm-test", Version: "0.0.0"}, nil)
			s, err := client.Connect(ctx, &sdkmcp.StreamableClientTransport{Endpoint: c.base + "/mcp",
				HTTPClient: &http.Client{Transport: bearerTransport{key["key"].(string)}}, DisableStandaloneSSE: true}, nil)
			require.NoError(t, err)
			defer s.Close()
			assert.Equal(t, "crm", s.InitializeResult().ServerInfo.Name)
			tools, err := s.ListTools(ctx, nil)
			require.NoError(t, err)
			assert.Len(t, tools.Tools, 10)

			res, err := s.CallTool(ctx, &sdkmcp.CallToolParams{Name: "create_record", Arguments: map[string]any{
				"objectName": "crm_account", "data": map[string]any{"name": "Agent Co", "industry": "retail"}}})
			require.NoError(t, err)
			require.False(t, res.IsError, "%v", res.Content)
			res, err = s.CallTool(ctx, &sdkmcp.CallToolParams{Name: "query_records", Arguments: map[string]any{
				"objectName": "crm_account", "where": map[string]any{"industry": "retail"}}})
			require.NoError(t, err)
			require.False(t, res.IsError, "%v", res.Content)
			b, _ := json.Marshal(res.StructuredContent)
			var page struct {
				Total   int              `json:"total"`
				Records []map[string]any `json:"records"`
			}
			require.NoError(t, json.Unmarshal(b, &page))
			assert.Equal(t, 1, page.Total)
			assert.Equal(t, "Agent Co", page.Records[0]["name"])
			acc := page.Records[0]["id"]
			for _, o := range []map[string]any{{"stage": "proposal", "amount": 500}, {"stage": "proposal", "amount": 1500}, {"stage": "closed_won", "amount": 900}} {
				o["name"], o["account"] = "Deal", acc
				res, err = s.CallTool(ctx, &sdkmcp.CallToolParams{Name: "create_record", Arguments: map[string]any{"objectName": "crm_opportunity", "data": o}})
				require.NoError(t, err)
				require.False(t, res.IsError, "%v", res.Content)
			}
			// The pipeline by stage, as the README shows it.
			res, err = s.CallTool(ctx, &sdkmcp.CallToolParams{Name: "aggregate_records", Arguments: map[string]any{
				"objectName":   "crm_opportunity",
				"aggregations": []any{map[string]any{"function": "count", "alias": "deals"}, map[string]any{"function": "sum", "field": "amount", "alias": "pipeline"}},
				"groupBy":      []any{"stage"},
				"where":        map[string]any{"stage": map[string]any{"$nin": []any{"closed_won", "closed_lost"}}}}})
			require.NoError(t, err)
			require.False(t, res.IsError, "%v", res.Content)
			b, _ = json.Marshal(res.StructuredContent)
			assert.JSONEq(t, `{"rows":[{"stage":"proposal","deals":2,"pipeline":2000}],"count":1,"truncated":false}`, string(b))
			res, err = s.CallTool(ctx, &sdkmcp.CallToolParams{Name: "query_records", Arguments: map[string]any{"objectName": "sys_user"}})
			require.NoError(t, err)
			assert.True(t, res.IsError, "system objects are hidden from agents")
		})
	}
	t.Run("off", func(t *testing.T) {
		c := startCRM(t, crmDatabases(t)["sqlite"], map[string]string{"OS_ADMIN_EMAIL": "admin@example.com", "OS_ADMIN_PASSWORD": "change-me-now"})
		assert.NotContains(t, c.out.String(), "MCP server:")
		code, _ := c.client().do("POST", "/mcp", `{}`)
		assert.Equal(t, 404, code)
	})
}
