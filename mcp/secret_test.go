package mcp_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

// TestSecretTools: through MCP a secret is written in plain text and read
// as the mask, never filtered or sorted, and no tool result and no log
// line holds its plaintext.
func TestSecretTools(t *testing.T) {
	const plain = "sk_live_MCPPLAIN_93be"
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, nil, func(o *objectos.Options) {
			acc := o.Artifact.Object("crm_account")
			acc.Fields = append(acc.Fields, &objectos.Field{Name: "api_token", Label: "API token", Type: objectos.TypeSecret})
			o.SecretKeys = []objectos.SecretKey{{ID: "mcp", Key: bytes.Repeat([]byte{9}, 32)}}
		})
		admin := e.signUp("admin")
		a := e.mustConnect(admin.key)

		d := a.must("describe_object", map[string]any{"objectName": "crm_account"})
		for _, f := range d["fields"].([]any) {
			if f.(map[string]any)["name"] == "api_token" {
				assert.Equal(t, "secret", f.(map[string]any)["type"])
			}
		}
		c := a.must("create_record", map[string]any{"objectName": "crm_account", "data": map[string]any{"name": "Acme", "api_token": plain}})
		id := c["id"].(string)
		assert.Equal(t, objectos.MaskedValue, c["record"].(map[string]any)["api_token"])
		g := a.must("get_record", map[string]any{"objectName": "crm_account", "recordId": id})
		assert.Equal(t, objectos.MaskedValue, g["record"].(map[string]any)["api_token"])
		q := a.must("query_records", map[string]any{"objectName": "crm_account", "fields": []any{"name", "api_token"}})
		assert.Equal(t, objectos.MaskedValue, records(q)[0]["api_token"])
		u := a.must("update_record", map[string]any{"objectName": "crm_account", "recordId": id,
			"data": map[string]any{"name": "Acme 2", "api_token": objectos.MaskedValue}})
		assert.Equal(t, objectos.MaskedValue, u["record"].(map[string]any)["api_token"])
		// The api action answers with the record it updated (checked on the
		// wire below).
		a.must("run_action", map[string]any{"objectName": "crm_account", "actionName": "archive", "recordId": id})

		v, err := e.stack.RevealSecret(objectos.AsSystem(context.Background()), "crm_account", id, "api_token")
		require.NoError(t, err)
		assert.Equal(t, plain, v, "the mask written back left the secret as it was")

		f := a.fails("INVALID_FILTER", "query_records", map[string]any{"objectName": "crm_account", "where": map[string]any{"api_token": plain}})
		assert.Contains(t, f.err["message"], "is a secret field and cannot be filtered")
		a.fails("INVALID_FILTER", "query_records", map[string]any{"objectName": "crm_account",
			"where": []any{"api_token", "startswith", "sk_"}})
		s := a.fails("INVALID_SORT", "query_records", map[string]any{"objectName": "crm_account",
			"orderBy": []any{map[string]any{"field": "api_token"}}})
		assert.Contains(t, s.err["message"], "is a secret field and cannot be sorted")
		a.fails("VALIDATION_FAILED", "update_record", map[string]any{"objectName": "crm_account", "recordId": id,
			"data": map[string]any{"api_token": 12}})

		assert.NotContains(t, a.wire.received(), "MCPPLAIN", "no MCP response holds the plaintext")
		assert.NotContains(t, e.logs.String(), "MCPPLAIN", "no log line holds the plaintext")
	})
}
