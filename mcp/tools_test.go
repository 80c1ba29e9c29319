package mcp_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

// TestInitialize connects with the SDK's client in both protocol eras: the
// 2026-07-28 one (server/discover, no handshake) and the 2025-11-25
// handshake, which a stateless server answers without a session.
func TestInitialize(t *testing.T) {
	e := newEnv(t, testenv.Open(t, testenv.SQLite), nil)
	admin := e.signUp("admin")
	for _, version := range []string{"", "2025-11-25", "2025-06-18"} {
		t.Run("version="+version, func(t *testing.T) {
			a, err := e.connect(keyHeader(admin.key), version)
			require.NoError(t, err)
			init := a.s.InitializeResult()
			require.NotNil(t, init)
			if version != "" {
				assert.Equal(t, version, init.ProtocolVersion)
			}
			assert.Equal(t, "objectos", init.ServerInfo.Name)
			assert.Equal(t, objectos.Version, init.ServerInfo.Version)
			assert.NotNil(t, init.Capabilities.Tools)
			assert.NotNil(t, init.Capabilities.Resources)
			assert.Nil(t, init.Capabilities.Logging, "no logging capability")
			assert.NotEmpty(t, init.Instructions)
			assert.Empty(t, a.s.ID(), "stateless: no session id")
			assert.Len(t, a.tools, 10)
			// the tools run as the caller in either era
			assert.EqualValues(t, 3, a.must("list_objects", nil)["totalCount"])
		})
	}

	// The handshake over plain HTTP: JSON, no Mcp-Session-Id, and the
	// initialized notification is 202.
	r := e.post("POST", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",`+
		`"capabilities":{},"clientInfo":{"name":"curl","version":"0"}}}`, map[string]string{"Authorization": "Bearer " + admin.key})
	require.Equal(t, 200, r.code, r.body)
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	assert.Empty(t, r.header.Get("Mcp-Session-Id"))
	res := r.json(t)["result"].(map[string]any)
	assert.Equal(t, "2025-11-25", res["protocolVersion"])
	assert.Equal(t, "objectos", res["serverInfo"].(map[string]any)["name"])
	r = e.post("POST", `{"jsonrpc":"2.0","method":"notifications/initialized"}`, map[string]string{"x-api-key": admin.key})
	assert.Equal(t, 202, r.code, r.body)
	assert.Empty(t, r.body)

	// Lists are private to the caller's credentials.
	r = e.post("POST", `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, map[string]string{"x-api-key": admin.key})
	require.Equal(t, 200, r.code, r.body)
	assert.Contains(t, r.body, `"cacheScope":"private"`)
}

// TestToolList checks the tools' names (upstream's), schemas and
// annotations.
func TestToolList(t *testing.T) {
	e := newEnv(t, testenv.Open(t, testenv.SQLite), nil)
	a := e.mustConnect(e.signUp("admin").key)
	res, err := a.s.ListTools(context.Background(), nil)
	require.NoError(t, err)
	var got []string
	for _, tl := range res.Tools {
		got = append(got, tl.Name)
	}
	assert.ElementsMatch(t, []string{"list_objects", "describe_object", "query_records", "aggregate_records", "get_record", "create_record",
		"update_record", "delete_record", "list_actions", "run_action"}, got)

	type hint struct{ readOnly, destructive, idempotent bool }
	want := map[string]hint{
		"list_objects":      {readOnly: true, idempotent: true},
		"describe_object":   {readOnly: true, idempotent: true},
		"query_records":     {readOnly: true, idempotent: true},
		"aggregate_records": {readOnly: true, idempotent: true},
		"get_record":        {readOnly: true, idempotent: true},
		"list_actions":      {readOnly: true, idempotent: true},
		"create_record":     {},
		"update_record":     {destructive: true, idempotent: true},
		"delete_record":     {destructive: true, idempotent: true},
		"run_action":        {destructive: true},
	}
	required := map[string][]string{
		"list_objects": nil, "list_actions": nil,
		"describe_object":   {"objectName"},
		"query_records":     {"objectName"},
		"aggregate_records": {"objectName", "aggregations"},
		"get_record":        {"objectName", "recordId"},
		"create_record":     {"objectName", "data"},
		"update_record":     {"objectName", "recordId", "data"},
		"delete_record":     {"objectName", "recordId"},
		"run_action":        {"actionName"},
	}
	for _, tl := range res.Tools {
		t.Run(tl.Name, func(t *testing.T) {
			an := tl.Annotations
			require.NotNil(t, an)
			w := want[tl.Name]
			assert.Equal(t, w.readOnly, an.ReadOnlyHint, "readOnlyHint")
			assert.Equal(t, w.idempotent, an.IdempotentHint, "idempotentHint")
			require.NotNil(t, an.DestructiveHint)
			assert.Equal(t, w.destructive, *an.DestructiveHint, "destructiveHint")
			require.NotNil(t, an.OpenWorldHint)
			assert.False(t, *an.OpenWorldHint, "openWorldHint")
			assert.NotEmpty(t, tl.Title)
			assert.NotEmpty(t, tl.Description)

			in := asMap(t, tl.InputSchema)
			assert.Equal(t, "object", in["type"])
			assert.Equal(t, false, in["additionalProperties"], "unknown arguments are refused")
			var req []string
			for _, r := range asSlice(in["required"]) {
				req = append(req, r.(string))
			}
			assert.Equal(t, required[tl.Name], req)
			compileSchema(t, tl.Name+"-input", tl.InputSchema)
			out := asMap(t, tl.OutputSchema)
			assert.Equal(t, "object", out["type"], "the TypeScript SDK takes object output schemas only")
		})
	}
	q := asMap(t, a.tools["query_records"].InputSchema)["properties"].(map[string]any)
	assert.EqualValues(t, 1, q["limit"].(map[string]any)["minimum"])
	assert.EqualValues(t, 50, q["limit"].(map[string]any)["default"])
	assert.Contains(t, q["limit"].(map[string]any)["description"], "at most 1000")
	assert.Equal(t, []any{"object", "array"}, q["where"].(map[string]any)["type"])
}

func asMap(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// TestRecordTools drives every record tool's success and failure modes as
// an administrator.
func TestRecordTools(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, nil)
		admin := e.signUp("admin")
		a := e.mustConnect(admin.key)

		// list_objects: the artifact's objects exposed through the API.
		objs := a.must("list_objects", nil)
		assert.Equal(t, []string{"crm_account", "crm_opportunity", "crm_region"}, names(objs["objects"].([]any), "name"))
		assert.EqualValues(t, 3, objs["totalCount"])

		// describe_object
		d := a.must("describe_object", map[string]any{"objectName": "crm_account"})
		assert.Equal(t, "Account", d["label"])
		assert.Equal(t, "private", d["sharingModel"])
		fields := map[string]map[string]any{}
		for _, f := range d["fields"].([]any) {
			fields[f.(map[string]any)["name"].(string)] = f.(map[string]any)
		}
		assert.Equal(t, true, fields["name"]["required"])
		assert.Equal(t, "select", fields["industry"]["type"])
		assert.Len(t, fields["industry"]["options"], 2)
		assert.Equal(t, true, fields["id"]["readonly"])
		assert.Equal(t, false, fields["id"]["editable"])
		assert.Equal(t, true, fields["annual_revenue"]["editable"])
		assert.Equal(t, []any{"archive"}, d["actions"])
		assert.Equal(t, map[string]any{"allowRead": true, "allowCreate": true, "allowEdit": true, "allowDelete": true}, d["permissions"])
		a.fails("OBJECT_NOT_FOUND", "describe_object", map[string]any{"objectName": "nope"})
		a.fails("OBJECT_NOT_FOUND", "describe_object", map[string]any{"objectName": "crm_internal"})
		a.fails("VALIDATION_FAILED", "describe_object", map[string]any{})

		// create_record, as the caller, through the hooks
		c := a.must("create_record", map[string]any{"objectName": "crm_account",
			"data": map[string]any{"name": "Acme", "industry": "technology", "annual_revenue": 1200000.25, "created_at": "2020-01-01T00:00:00Z"}})
		id := c["id"].(string)
		rec := c["record"].(map[string]any)
		assert.Equal(t, "Acme", rec["name"])
		assert.Equal(t, 1200000.25, rec["annual_revenue"], "numbers stay exact")
		assert.Equal(t, admin.id, rec["owner_id"])
		assert.Equal(t, []any{"created_at"}, c["droppedFields"])
		for i, name := range []string{"Beta", "Gamma", "Delta"} {
			a.must("create_record", map[string]any{"objectName": "crm_account",
				"data": map[string]any{"name": name, "industry": "finance", "annual_revenue": float64(i * 1000)}})
		}
		v := a.fails("VALIDATION_FAILED", "create_record", map[string]any{"objectName": "crm_account",
			"data": map[string]any{"industry": "mining"}})
		assert.ElementsMatch(t, []string{"name", "industry"}, names(v.err["fields"].([]any), "field"))
		a.fails("INVALID_FIELD", "create_record", map[string]any{"objectName": "crm_account", "data": map[string]any{"name": "X", "nope": 1}})
		hook := a.fails("VALIDATION_FAILED", "create_record", map[string]any{"objectName": "crm_account", "data": map[string]any{"name": "forbidden"}})
		assert.Equal(t, "That name is forbidden.", hook.err["message"])
		a.fails("OBJECT_NOT_FOUND", "create_record", map[string]any{"objectName": "crm_internal", "data": map[string]any{"name": "X"}})
		m := a.fails("OBJECT_API_METHOD_NOT_ALLOWED", "create_record", map[string]any{"objectName": "crm_region", "data": map[string]any{"name": "EMEA"}})
		assert.Equal(t, []any{"get", "list"}, m.err["details"].(map[string]any)["allowed"])
		a.fails("VALIDATION_FAILED", "create_record", map[string]any{"objectName": "crm_account"})
		a.fails("VALIDATION_FAILED", "create_record", map[string]any{"objectName": "crm_account", "data": []any{1}})

		// get_record
		g := a.must("get_record", map[string]any{"objectName": "crm_account", "recordId": id})
		assert.Equal(t, id, g["id"])
		assert.Equal(t, "Acme", g["record"].(map[string]any)["name"])
		a.fails("RECORD_NOT_FOUND", "get_record", map[string]any{"objectName": "crm_account", "recordId": "01a23201-e714-7d10-b094-000000000000"})
		a.fails("RECORD_NOT_FOUND", "get_record", map[string]any{"objectName": "crm_account", "recordId": "not an id"})
		a.fails("VALIDATION_FAILED", "get_record", map[string]any{"objectName": "crm_account"})

		// query_records: filters in both forms, fields, sorts, pages
		q := a.must("query_records", map[string]any{"objectName": "crm_account", "where": map[string]any{"industry": "finance"},
			"orderBy": []any{map[string]any{"field": "name", "order": "desc"}}, "fields": []any{"name"}})
		assert.EqualValues(t, 3, q["total"])
		assert.EqualValues(t, 3, q["count"])
		assert.Equal(t, false, q["hasMore"])
		assert.NotContains(t, q, "nextOffset")
		assert.Equal(t, []string{"Gamma", "Delta", "Beta"}, recordNames(q))
		assert.ElementsMatch(t, []string{"id", "name"}, keys(records(q)[0]))
		q = a.must("query_records", map[string]any{"objectName": "crm_account",
			"where": []any{"and", []any{"industry", "=", "finance"}, []any{"annual_revenue", ">=", 1000}}})
		assert.ElementsMatch(t, []string{"Gamma", "Delta"}, recordNames(q))
		q = a.must("query_records", map[string]any{"objectName": "crm_account", "orderBy": []any{map[string]any{"field": "name"}}, "limit": 2})
		assert.Equal(t, []string{"Acme", "Beta"}, recordNames(q))
		assert.EqualValues(t, 4, q["total"])
		assert.Equal(t, true, q["hasMore"])
		assert.EqualValues(t, 2, q["nextOffset"])
		q = a.must("query_records", map[string]any{"objectName": "crm_account", "orderBy": []any{map[string]any{"field": "name"}}, "limit": 2, "offset": 2})
		assert.Equal(t, []string{"Delta", "Gamma"}, recordNames(q))
		assert.Equal(t, false, q["hasMore"])
		q = a.must("query_records", map[string]any{"objectName": "crm_account", "limit": 5000})
		assert.EqualValues(t, 4, q["count"], "a limit above the ceiling is capped, not refused")
		q = a.must("query_records", map[string]any{"objectName": "crm_account", "where": map[string]any{"name": "nobody"}})
		assert.Equal(t, []any{}, q["records"])
		assert.EqualValues(t, 0, q["total"])
		a.fails("INVALID_FILTER", "query_records", map[string]any{"objectName": "crm_account", "where": map[string]any{"name": map[string]any{"$regex": "A"}}})
		a.fails("INVALID_FILTER", "query_records", map[string]any{"objectName": "crm_account", "where": map[string]any{"nope": 1}})
		a.fails("INVALID_FIELD", "query_records", map[string]any{"objectName": "crm_account", "fields": []any{"nope"}})
		a.fails("INVALID_SORT", "query_records", map[string]any{"objectName": "crm_account", "orderBy": []any{map[string]any{"field": "nope"}}})
		for name, args := range map[string]map[string]any{
			"limit 0":          {"limit": 0},
			"negative offset":  {"offset": -1},
			"a string filter":  {"where": `{"name":"Acme"}`},
			"a bad order":      {"orderBy": []any{map[string]any{"field": "name", "order": "down"}}},
			"an unknown key":   {"filter": map[string]any{}},
			"a fractional one": {"limit": 2.5},
		} {
			args["objectName"] = "crm_account"
			r := a.fails("VALIDATION_FAILED", "query_records", args)
			assert.Contains(t, r.err["message"], "Invalid arguments", name)
		}
		a.fails("OBJECT_NOT_FOUND", "query_records", map[string]any{"objectName": "crm_internal"})

		// update_record
		u := a.must("update_record", map[string]any{"objectName": "crm_account", "recordId": id, "data": map[string]any{"industry": "finance"}})
		assert.Equal(t, "finance", u["record"].(map[string]any)["industry"])
		assert.Equal(t, "Acme", u["record"].(map[string]any)["name"], "a partial update")
		a.fails("VALIDATION_FAILED", "update_record", map[string]any{"objectName": "crm_account", "recordId": id, "data": map[string]any{"name": nil}})
		a.fails("RECORD_NOT_FOUND", "update_record", map[string]any{"objectName": "crm_account", "recordId": "01a23201-e714-7d10-b094-000000000000", "data": map[string]any{}})
		a.fails("OBJECT_API_METHOD_NOT_ALLOWED", "update_record", map[string]any{"objectName": "crm_region", "recordId": id, "data": map[string]any{}})

		// delete_record, and what references a record
		opp := a.must("create_record", map[string]any{"objectName": "crm_opportunity", "data": map[string]any{"name": "Deal", "account": id}})
		a.fails("DELETE_RESTRICTED", "delete_record", map[string]any{"objectName": "crm_account", "recordId": id})
		del := a.must("delete_record", map[string]any{"objectName": "crm_opportunity", "recordId": opp["id"]})
		assert.Equal(t, map[string]any{"objectName": "crm_opportunity", "recordId": opp["id"], "deleted": true}, del)
		a.must("delete_record", map[string]any{"objectName": "crm_account", "recordId": id})
		a.fails("RECORD_NOT_FOUND", "get_record", map[string]any{"objectName": "crm_account", "recordId": id})
		a.fails("RECORD_NOT_FOUND", "delete_record", map[string]any{"objectName": "crm_account", "recordId": id})

		// an unknown tool is a protocol error, not a tool result
		_, err := a.s.CallTool(context.Background(), &sdkmcp.CallToolParams{Name: "aggregate_everything"})
		require.Error(t, err)
	})
}

func recordNames(q map[string]any) []string {
	var out []string
	for _, r := range records(q) {
		out = append(out, r["name"].(string))
	}
	return out
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestActionTools lists and runs the CRM's actions.
func TestActionTools(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, nil)
		admin := e.signUp("admin")
		sales := e.signUp("sam", "crm_sales_user")
		analyst := e.signUp("ann", "crm_analyst")
		a := e.mustConnect(admin.key)

		l := a.must("list_actions", nil)
		assert.EqualValues(t, 2, l["totalCount"])
		byName := map[string]map[string]any{}
		for _, x := range l["actions"].([]any) {
			byName[x.(map[string]any)["name"].(string)] = x.(map[string]any)
		}
		assert.Equal(t, "crm_opportunity", byName["close_won"]["objectName"])
		assert.Equal(t, "script", byName["close_won"]["type"])
		assert.Equal(t, []any{map[string]any{"name": "note", "type": "text", "label": "Note", "required": false}}, byName["close_won"]["params"])
		assert.Equal(t, "api", byName["archive"]["type"])
		assert.Equal(t, []any{}, byName["archive"]["params"])

		s := e.mustConnect(sales.key)
		acc := s.must("create_record", map[string]any{"objectName": "crm_account", "data": map[string]any{"name": "Acme"}})
		opp := s.must("create_record", map[string]any{"objectName": "crm_opportunity", "data": map[string]any{"name": "Deal", "account": acc["id"]}})

		// the object found by the action's name, and named
		r := s.must("run_action", map[string]any{"actionName": "close_won", "recordId": opp["id"], "params": map[string]any{"note": "signed"}})
		assert.Equal(t, "crm_opportunity", r["objectName"])
		assert.Equal(t, "closed_won", r["result"].(map[string]any)["stage"])
		r = s.must("run_action", map[string]any{"actionName": "archive", "objectName": "crm_account", "recordId": acc["id"]})
		assert.Equal(t, "finance", r["result"].(map[string]any)["record"].(map[string]any)["industry"])

		s.fails("ACTION_NOT_FOUND", "run_action", map[string]any{"actionName": "nope"})
		s.fails("ACTION_NOT_FOUND", "run_action", map[string]any{"actionName": "nope", "objectName": "crm_account"})
		s.fails("OBJECT_NOT_FOUND", "run_action", map[string]any{"actionName": "close_won", "objectName": "crm_internal"})
		v := s.fails("VALIDATION_FAILED", "run_action", map[string]any{"actionName": "close_won", "recordId": opp["id"], "params": map[string]any{"nope": 1}})
		assert.Equal(t, "nope", v.err["fields"].([]any)[0].(map[string]any)["field"])
		s.fails("RECORD_NOT_FOUND", "run_action", map[string]any{"actionName": "close_won", "recordId": "01a23201-e714-7d10-b094-000000000000"})
		s.fails("VALIDATION_FAILED", "run_action", map[string]any{"objectName": "crm_account"})

		// the analyst may read the opportunity but not change it
		an := e.mustConnect(analyst.key)
		an.fails("PERMISSION_DENIED", "run_action", map[string]any{"actionName": "close_won", "recordId": opp["id"]})
	})
}

// TestServerFailure: a failure inside a tool is INTERNAL_ERROR for the
// caller, and its cause goes to the log only, with the request id.
func TestServerFailure(t *testing.T) {
	e := newEnv(t, testenv.Open(t, testenv.SQLite), nil)
	a := e.mustConnect(e.signUp("admin").key)
	r := a.fails("INTERNAL_ERROR", "create_record", map[string]any{"objectName": "crm_account", "data": map[string]any{"name": "explode"}})
	assert.Equal(t, "An internal error occurred.", r.err["message"])
	assert.NotContains(t, a.wire.received(), "on fire")
	logs := e.logs.String()
	assert.Contains(t, logs, "mcp tool failed")
	assert.Contains(t, logs, "tool=create_record")
	assert.Contains(t, logs, "on fire")
	assert.Regexp(t, `request_id=[0-9a-f]{32}`, logs)
	assert.NotContains(t, logs, "session connected", "the SDK's information lines stay out")
}
