package mcp_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/mcp"
	"github.com/objectos-go/objectos/store"
)

// TestRecordAccess: a sales user sees and changes only their own records
// (sharingModel private), an analyst sees everyone's and changes nothing,
// and a user without a permission set sees no object at all.
func TestRecordAccess(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, nil)
		e.signUp("admin")
		sam, sue := e.signUp("sam", "crm_sales_user"), e.signUp("sue", "crm_sales_user")
		analyst, nobody := e.signUp("ann", "crm_analyst"), e.signUp("nick")
		s1, s2 := e.mustConnect(sam.key), e.mustConnect(sue.key)

		own := s1.must("create_record", map[string]any{"objectName": "crm_account", "data": map[string]any{"name": "Sam's"}})
		s1.must("create_record", map[string]any{"objectName": "crm_account", "data": map[string]any{"name": "Sam's too"}})
		other := s2.must("create_record", map[string]any{"objectName": "crm_account", "data": map[string]any{"name": "Sue's"}})

		q := s1.must("query_records", map[string]any{"objectName": "crm_account"})
		assert.ElementsMatch(t, []string{"Sam's", "Sam's too"}, recordNames(q))
		assert.EqualValues(t, 2, q["total"], "the total counts only visible records")
		for _, r := range records(q) {
			assert.Equal(t, sam.id, r["owner_id"])
		}
		q = s1.must("query_records", map[string]any{"objectName": "crm_account", "where": map[string]any{"name": "Sue's"}})
		assert.EqualValues(t, 0, q["total"], "a filter cannot reach past record access")
		s1.fails("RECORD_NOT_FOUND", "get_record", map[string]any{"objectName": "crm_account", "recordId": other["id"]})
		s1.fails("RECORD_NOT_FOUND", "update_record", map[string]any{"objectName": "crm_account", "recordId": other["id"], "data": map[string]any{"name": "mine"}})
		s1.fails("RECORD_NOT_FOUND", "run_action", map[string]any{"actionName": "archive", "recordId": other["id"]})
		s1.fails("PERMISSION_DENIED", "delete_record", map[string]any{"objectName": "crm_account", "recordId": own["id"]})
		s1.must("update_record", map[string]any{"objectName": "crm_account", "recordId": own["id"], "data": map[string]any{"industry": "finance"}})
		d := s1.must("describe_object", map[string]any{"objectName": "crm_account"})
		assert.Equal(t, map[string]any{"allowRead": true, "allowCreate": true, "allowEdit": true, "allowDelete": false}, d["permissions"])

		an := e.mustConnect(analyst.key)
		q = an.must("query_records", map[string]any{"objectName": "crm_account"})
		assert.EqualValues(t, 3, q["total"])
		an.fails("PERMISSION_DENIED", "create_record", map[string]any{"objectName": "crm_account", "data": map[string]any{"name": "X"}})
		an.fails("PERMISSION_DENIED", "update_record", map[string]any{"objectName": "crm_account", "recordId": own["id"], "data": map[string]any{"name": "X"}})

		n := e.mustConnect(nobody.key)
		objs := n.must("list_objects", nil)
		assert.Equal(t, []any{}, objs["objects"])
		assert.Equal(t, []any{}, n.must("list_actions", nil)["actions"])
		n.fails("OBJECT_NOT_FOUND", "describe_object", map[string]any{"objectName": "crm_account"})
		n.fails("PERMISSION_DENIED", "query_records", map[string]any{"objectName": "crm_account"})
	})
}

// TestHiddenFields: an analyst never receives annual_revenue, by any tool or
// resource, and cannot filter, sort or select by it.
func TestHiddenFields(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, nil)
		admin := e.signUp("admin")
		analyst := e.signUp("ann", "crm_analyst")
		ad := e.mustConnect(admin.key)
		acc := ad.must("create_record", map[string]any{"objectName": "crm_account",
			"data": map[string]any{"name": "Acme", "annual_revenue": 987654321}})
		opp := ad.must("create_record", map[string]any{"objectName": "crm_opportunity", "data": map[string]any{"name": "Deal", "account": acc["id"]}})

		a := e.mustConnect(analyst.key)
		q := a.must("query_records", map[string]any{"objectName": "crm_account"})
		require.Len(t, records(q), 1)
		assert.NotContains(t, records(q)[0], "annual_revenue")
		assert.NotContains(t, a.must("get_record", map[string]any{"objectName": "crm_account", "recordId": acc["id"]})["record"], "annual_revenue")
		d := a.must("describe_object", map[string]any{"objectName": "crm_account"})
		assert.NotContains(t, names(d["fields"].([]any), "name"), "annual_revenue")
		objs := a.must("list_objects", nil)
		ad.must("list_objects", nil)
		assert.Less(t, objs["objects"].([]any)[0].(map[string]any)["fieldCount"], ad.must("list_objects", nil)["objects"].([]any)[0].(map[string]any)["fieldCount"])
		res, err := a.read("objectos://objects/crm_account")
		require.NoError(t, err)
		assert.NotContains(t, names(res["fields"].([]any), "name"), "annual_revenue")
		a.must("list_actions", nil)
		a.must("get_record", map[string]any{"objectName": "crm_opportunity", "recordId": opp["id"]})

		wire := a.wire.received()
		assert.False(t, strings.Contains(wire, "annual_revenue"), "no answer the analyst received names the field")
		assert.False(t, strings.Contains(wire, "987654321"), "nor carries its value")
		assert.True(t, strings.Contains(ad.wire.received(), "987654321"), "the admin does see it")

		// Asking for it by name is refused (and the error names what was asked).
		a.fails("FIELD_NOT_ACCESSIBLE", "query_records", map[string]any{"objectName": "crm_account", "where": map[string]any{"annual_revenue": map[string]any{"$gt": 0}}})
		a.fails("FIELD_NOT_ACCESSIBLE", "query_records", map[string]any{"objectName": "crm_account", "orderBy": []any{map[string]any{"field": "annual_revenue"}}})
		a.fails("FIELD_NOT_ACCESSIBLE", "query_records", map[string]any{"objectName": "crm_account", "fields": []any{"name", "annual_revenue"}})
		assert.False(t, strings.Contains(a.wire.received(), "987654321"))
	})
}

// TestSystemObjects: system objects are hidden from every tool and
// resource, unless Options.SystemObjects lists them.
func TestSystemObjects(t *testing.T) {
	e := newEnv(t, testenv.Open(t, testenv.SQLite), nil)
	admin := e.signUp("admin")
	a := e.mustConnect(admin.key)
	for _, o := range names(a.must("list_objects", nil)["objects"].([]any), "name") {
		assert.False(t, strings.HasPrefix(o, "sys_"), o)
	}
	for _, act := range a.must("list_actions", nil)["actions"].([]any) {
		assert.False(t, strings.HasPrefix(act.(map[string]any)["objectName"].(string), "sys_"))
	}
	a.fails("OBJECT_NOT_FOUND", "describe_object", map[string]any{"objectName": "sys_user"})
	a.fails("OBJECT_NOT_FOUND", "query_records", map[string]any{"objectName": "sys_user"})
	a.fails("OBJECT_NOT_FOUND", "get_record", map[string]any{"objectName": "sys_user", "recordId": admin.id})
	a.fails("OBJECT_NOT_FOUND", "update_record", map[string]any{"objectName": "sys_user", "recordId": admin.id, "data": map[string]any{"name": "x"}})
	a.fails("OBJECT_NOT_FOUND", "delete_record", map[string]any{"objectName": "sys_api_key", "recordId": admin.keyID})
	a.fails("OBJECT_NOT_FOUND", "run_action", map[string]any{"actionName": "revoke_api_key", "objectName": "sys_api_key", "recordId": admin.keyID})
	a.fails("ACTION_NOT_FOUND", "run_action", map[string]any{"actionName": "revoke_api_key", "recordId": admin.keyID})
	_, err := a.read("objectos://objects/sys_user")
	assert.Error(t, err)
	res, err := a.read("objectos://objects")
	require.NoError(t, err)
	for _, o := range names(res["objects"].([]any), "name") {
		assert.False(t, strings.HasPrefix(o, "sys_"), o)
	}

	// Listed, sys_user is there for those who may read it; sys_api_key is not.
	e2 := newEnv(t, testenv.Open(t, testenv.SQLite), &mcp.Options{Enabled: true, SystemObjects: []string{"sys_user"}})
	admin2 := e2.signUp("admin")
	a2 := e2.mustConnect(admin2.key)
	assert.Contains(t, names(a2.must("list_objects", nil)["objects"].([]any), "name"), "sys_user")
	assert.NotContains(t, names(a2.must("list_objects", nil)["objects"].([]any), "name"), "sys_api_key")
	u := a2.must("get_record", map[string]any{"objectName": "sys_user", "recordId": admin2.id})
	assert.Equal(t, "admin@example.com", u["record"].(map[string]any)["email"])
	a2.fails("OBJECT_NOT_FOUND", "query_records", map[string]any{"objectName": "sys_api_key"})
	_, err = a2.read("objectos://objects/sys_user")
	assert.NoError(t, err)
}

// TestResources lists and reads the metadata resources.
func TestResources(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, nil)
		admin := e.signUp("admin")
		sales := e.signUp("sam", "crm_sales_user")
		a := e.mustConnect(admin.key)
		ctx := context.Background()

		rs, err := a.s.ListResources(ctx, nil)
		require.NoError(t, err)
		require.Len(t, rs.Resources, 1)
		assert.Equal(t, "objectos://objects", rs.Resources[0].URI)
		assert.Equal(t, "application/json", rs.Resources[0].MIMEType)
		ts, err := a.s.ListResourceTemplates(ctx, nil)
		require.NoError(t, err)
		require.Len(t, ts.ResourceTemplates, 1)
		assert.Equal(t, "objectos://objects/{name}", ts.ResourceTemplates[0].URITemplate)

		list, err := a.read("objectos://objects")
		require.NoError(t, err)
		assert.Equal(t, a.must("list_objects", nil), list, "the resource is list_objects' result")
		one, err := a.read("objectos://objects/crm_account")
		require.NoError(t, err)
		assert.Equal(t, a.must("describe_object", map[string]any{"objectName": "crm_account"}), one)

		for _, uri := range []string{"objectos://objects/nope", "objectos://objects/crm_internal", "objectos://objects/", "objectos://objects/a/b", "objectos://other"} {
			_, err := a.read(uri)
			require.Error(t, err, uri)
			assert.Contains(t, err.Error(), "not found", uri)
		}
		// An object the caller may not read does not exist for them.
		s := e.mustConnect(sales.key)
		_, err = s.read("objectos://objects/crm_region")
		require.NoError(t, err)
		nobody := e.mustConnect(e.signUp("nick").key)
		_, err = nobody.read("objectos://objects/crm_account")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "not found")
		_, err = nobody.s.ReadResource(ctx, &sdkmcp.ReadResourceParams{URI: "objectos://objects"})
		require.NoError(t, err)
	})
}

// TestConcurrentCallers: one server serves many callers at once, and each
// call runs as its own caller.
func TestConcurrentCallers(t *testing.T) {
	e := newEnv(t, testenv.Open(t, testenv.SQLite), nil)
	e.signUp("admin")
	agents := map[string]*agent{}
	for _, name := range []string{"sam", "sue", "sid"} {
		agents[name] = e.mustConnect(e.signUp(name, "crm_sales_user").key)
		agents[name].must("create_record", map[string]any{"objectName": "crm_account", "data": map[string]any{"name": name + "'s"}})
	}
	var wg sync.WaitGroup
	for name, a := range agents {
		for range 10 {
			wg.Go(func() {
				res, err := a.s.CallTool(context.Background(), &sdkmcp.CallToolParams{Name: "query_records",
					Arguments: map[string]any{"objectName": "crm_account"}})
				if assert.NoError(t, err) && assert.False(t, res.IsError) {
					recs := res.StructuredContent.(map[string]any)["records"].([]any)
					if assert.Len(t, recs, 1) {
						assert.Equal(t, name+"'s", recs[0].(map[string]any)["name"])
					}
				}
			})
		}
	}
	wg.Wait()
}
