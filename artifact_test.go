package objectos_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
)

const specExample = `{
  "name": "crm", "version": "1.0.0",
  "objects": [{
    "name": "crm_account", "label": "Account", "pluralLabel": "Accounts",
    "sharingModel": "private",
    "enable": { "apiEnabled": true, "apiMethods": ["get","list","create","update","delete"], "searchable": true },
    "fields": {
      "name":           { "type": "text", "required": true, "maxLength": 200, "searchable": true },
      "industry":       { "type": "select", "options": [{"label":"Technology","value":"technology"},{"label":"Finance","value":"finance"}] },
      "annual_revenue": { "type": "currency", "scale": 2, "min": 0 },
      "website":        { "type": "url" },
      "parent":         { "type": "lookup", "reference": "crm_account", "deleteBehavior": "set_null" }
    },
    "indexes": [{ "fields": ["industry"] }, { "fields": ["name"], "unique": true }],
    "actions": [{ "name": "mark_key_account", "type": "script", "label": "Mark as key account",
                  "params": [{ "name": "reason", "type": "text", "required": true }] }],
    "validations": []
  }],
  "permissionSets": [{
    "name": "sales_user", "isDefault": true,
    "objects": { "crm_account": { "allowRead": true, "allowCreate": true, "allowEdit": true, "allowDelete": false } },
    "fields":  { "crm_account.annual_revenue": { "readable": true, "editable": false } }
  }],
  "views": [{ "name": "all_accounts", "object": "crm_account", "type": "list",
              "columns": ["name","industry"], "sort": ["-created_at"] }]
}`

func TestParseArtifactSpecExample(t *testing.T) {
	a, err := objectos.ParseArtifact([]byte(specExample))
	require.NoError(t, err)
	require.Len(t, a.Objects, 1)
	o := a.Objects[0]
	assert.Equal(t, "crm_account", o.Name)
	names := []string{}
	for _, f := range o.Fields {
		names = append(names, f.Name)
	}
	assert.Equal(t, []string{"name", "industry", "annual_revenue", "website", "parent"}, names, "field order is kept")
	assert.Equal(t, 200, o.Field("name").MaxLength)
	assert.Equal(t, 2, *o.Field("annual_revenue").Scale)
	assert.Equal(t, 0.0, *o.Field("annual_revenue").Min)
	assert.True(t, o.Indexes[1].Unique)
	assert.Equal(t, objectos.FieldPermission{Readable: true, Editable: false}, a.PermissionSets[0].Fields["crm_account.annual_revenue"])
	assert.True(t, o.AllowsMethod(objectos.MethodDelete))
	assert.False(t, o.AllowsMethod(objectos.MethodBulk))
	assert.Equal(t, []string{"-created_at"}, a.Views[0].Sort)

	// The same artifact stands up a stack, once its script action has a
	// handler.
	_, err = objectos.New(context.Background(), objectos.Options{Artifact: a, Store: testenv.Open(t, testenv.SQLite)})
	assert.ErrorContains(t, err, `script action without a handler; register one in Options.ActionHandlers["crm_account.mark_key_account"]`)
	s := newStack(t, testenv.Open(t, testenv.SQLite), a, func(o *objectos.Options) {
		o.ActionHandlers = map[string]objectos.ActionHandler{
			"crm_account.mark_key_account": func(context.Context, *objectos.ActionCall) (any, error) { return nil, nil },
		}
	})
	assert.NotNil(t, s.Object("crm_account").Field("owner_id"))
}

func TestParseArtifactYAML(t *testing.T) {
	src := `
name: crm
objects:
  - name: crm_contact
    fields:
      last_name: {type: text, required: true}
      email: {type: email}
      tags: {type: tags, defaultValue: [a, b]}
      score: {type: number, min: 0, max: 1.5}
`
	a, err := objectos.ParseArtifact([]byte(src))
	require.NoError(t, err)
	o := a.Objects[0]
	assert.Equal(t, "last_name", o.Fields[0].Name)
	assert.Equal(t, []any{"a", "b"}, o.Field("tags").DefaultValue)
	assert.Equal(t, 1.5, *o.Field("score").Max)

	dir := t.TempDir()
	path := filepath.Join(dir, "app.yml")
	require.NoError(t, os.WriteFile(path, []byte(src), 0o600))
	b, err := objectos.LoadArtifact(path)
	require.NoError(t, err)
	assert.Equal(t, a.Objects[0].Fields[3].Max, b.Objects[0].Fields[3].Max)
}

func problems(t *testing.T, err error) map[string]string {
	t.Helper()
	var ae *objectos.ArtifactError
	require.True(t, errors.As(err, &ae), "want *ArtifactError, got %v", err)
	out := map[string]string{}
	for _, p := range ae.Problems {
		out[p.Path] = p.Message
	}
	return out
}

func TestArtifactProblemsAreReportedAllAtOnce(t *testing.T) {
	src := `{
	  "objects": [{
	    "name": "crm_account",
	    "softDelete": true,
	    "tenancy": {"enabled": true},
	    "fields": {
	      "amount": {"tpye": "currency"},
	      "kind": {"type": "selcet"},
	      "owner": {"type": "lookup", "reference": "crm_acount"},
	      "stage": {"type": "select", "options": [{"label": "No value"}]},
	      "total": {"type": "formula"},
	      "Bad-Name": {"type": "text"},
	      "n": {"type": "number", "maxLength": "ten"}
	    }
	  }]
	}`
	_, err := objectos.ParseArtifact([]byte(src))
	p := problems(t, err)
	assert.Equal(t, `unknown key; did you mean "type"?`, p["objects.crm_account.fields.amount.tpye"])
	assert.Equal(t, "retired upstream; not accepted", p["objects.crm_account.softDelete"])
	assert.Equal(t, "not supported yet", p["objects.crm_account.tenancy"])
	assert.Equal(t, "must be a whole number of zero or more", p["objects.crm_account.fields.n.maxLength"])
	assert.Len(t, p, 4, "shape problems are reported before semantic ones: %v", p)

	// With the shape fixed, every semantic problem comes at once.
	src2 := `{
	  "objects": [{
	    "name": "crm_account",
	    "fields": {
	      "amount": {"type": "currency"},
	      "kind": {"type": "selcet"},
	      "owner": {"type": "lookup", "reference": "crm_acount"},
	      "stage": {"type": "select", "options": [{"label": "No value"}]},
	      "total": {"type": "formula"},
	      "Bad-Name": {"type": "text"},
	      "created_at": {"type": "datetime"},
	      "size": {"type": "number", "maxLength": 3}
	    },
	    "indexes": [{"fields": ["amout"]}]
	  }, {"name": "sys_thing"}, {"name": "crm_account"}],
	  "permissionSets": [{"name": "ps", "objects": {"crm_nothing": {"allowRead": true}}, "fields": {"crm_account.nope": {}}}],
	  "views": [{"name": "v", "object": "crm_account", "columns": ["amount", "ammount"], "sort": ["-nope"]}]
	}`
	_, err = objectos.ParseArtifact([]byte(src2))
	p = problems(t, err)
	want := map[string]string{
		"objects.crm_account.fields.kind.type":              `unknown field type "selcet"; did you mean "select"?`,
		"objects.crm_account.fields.owner.reference":        `references undeclared object "crm_acount"; did you mean "crm_account"?`,
		"objects.crm_account.fields.stage.options[0].value": "is required",
		"objects.crm_account.fields.total.expression":       `is required: the CEL expression that computes the field`,
		"objects.crm_account.fields.Bad-Name":               `field name "Bad-Name" must match ^[a-z_][a-z0-9_]*$`,
		"objects.crm_account.fields.created_at":             `"created_at" is a system field, injected on every object; it cannot be declared`,
		"objects.crm_account.fields.size":                   "minLength and maxLength apply to text fields only",
		"objects.crm_account.indexes[0].fields[0]":          `unknown field "amout"; did you mean "amount"?`,
		"objects.sys_thing.name":                            `"sys_thing": names starting with sys_ are reserved for system objects`,
		"objects.crm_account.name":                          `duplicate object "crm_account"`,
		"permissionSets.ps.objects.crm_nothing":             `references undeclared object "crm_nothing"`,
		"permissionSets.ps.fields.crm_account.nope":         `unknown field "nope"`,
		"views.v.columns[1]":                                `unknown field "ammount"; did you mean "amount"?`,
		"views.v.sort":                                      `unknown field "nope"`,
	}
	for path, msg := range want {
		assert.Equal(t, msg, p[path], path)
	}
	assert.Len(t, p, len(want), "%v", p)
	assert.Contains(t, err.Error(), "objects.crm_account.fields.kind.type: unknown field type")
}

// Types by the names other schemas give them get a did-you-mean too.
func TestFieldTypeSynonyms(t *testing.T) {
	for typ, want := range map[string]string{"bool": "boolean", "integer": "number", "string": "text",
		"timestamp": "datetime", "enum": "select", "Bool": "boolean"} {
		_, err := objectos.ParseArtifact([]byte(`{"name":"x","objects":[{"name":"t","fields":{"f":{"type":"` + typ + `"}}}]}`))
		p := problems(t, err)
		assert.Equal(t, `unknown field type "`+typ+`"; did you mean "`+want+`"?`, p["objects.t.fields.f.type"], typ)
	}
}

func TestArtifactValidationInGo(t *testing.T) {
	a := &objectos.Artifact{Objects: []*objectos.Object{{
		Name:         "thing",
		SharingModel: "secret",
		Fields: []*objectos.Field{
			{Name: "n", Type: objectos.TypeNumber, Min: objectos.Ptr(5.0), Max: objectos.Ptr(1.0)},
			{Name: "d", Type: objectos.TypeDate, DefaultValue: "yesterday"},
			{Name: "w", Type: objectos.TypeDatetime, DefaultValue: "NOW()"},
			{Name: "u", Type: objectos.TypeUser, DefaultValue: "current_user"},
			{Name: "s", Type: objectos.TypeSelect, Options: []objectos.Option{{Value: "a"}, {Value: "a"}}},
			{Name: "k", Type: objectos.TypeAutonumber, AutonumberFormat: "K-"},
		},
		Enable:  objectos.Capabilities{APIMethods: []objectos.APIMethod{"get", "upsert"}},
		Actions: []*objectos.Action{{Name: "go", Type: "flow"}},
	}}}
	_, err := objectos.New(context.Background(), objectos.Options{Artifact: a, Store: testenv.Open(t, testenv.SQLite)})
	p := problems(t, err)
	assert.Contains(t, p["objects.thing.sharingModel"], `"secret" is not one of`)
	assert.Equal(t, "is greater than max", p["objects.thing.fields.n.min"])
	assert.Contains(t, p["objects.thing.fields.d.defaultValue"], "YYYY-MM-DD")
	assert.Equal(t, `duplicate option "a"`, p["objects.thing.fields.s.options[1].value"])
	assert.Equal(t, "needs a counter token such as {0000}", p["objects.thing.fields.k.autonumberFormat"])
	assert.Contains(t, p["objects.thing.enable.apiMethods[1]"], `"upsert"`)
	assert.Equal(t, `"flow" actions are not supported yet`, p["objects.thing.actions.go.type"])
	assert.Len(t, p, 7, "%v", p)
}

func TestArtifactSyntaxErrors(t *testing.T) {
	_, err := objectos.ParseArtifact([]byte("{\n  \"objects\": [\n    {\"name\": }\n]}"))
	p := problems(t, err)
	for _, msg := range p {
		assert.Contains(t, msg, "line 3")
	}
	_, err = objectos.ParseArtifact([]byte(`{"name": "a", "name": "b"}`))
	assert.Contains(t, err.Error(), `duplicate key "name"`)
	_, err = objectos.ParseArtifact([]byte("objects:\n  - name: a\n    fields: [1, 2]\n"))
	assert.Contains(t, err.Error(), "objects.a.fields: must be an object keyed by field name")
}

func TestArtifactRenamedFrom(t *testing.T) {
	// The strict decoders accept renamedFrom, in YAML and in JSON.
	a, err := objectos.ParseArtifact([]byte(`
objects:
  - name: crm_opportunity
    fields:
      close_date: {type: date, renamedFrom: due}
`))
	require.NoError(t, err)
	assert.Equal(t, "due", a.Objects[0].Field("close_date").RenamedFrom)
	a, err = objectos.ParseArtifact([]byte(`{"objects": [{"name": "thing", "fields": {"b": {"type": "text", "renamedFrom": "a"}}}]}`))
	require.NoError(t, err)
	assert.Equal(t, "a", a.Objects[0].Field("b").RenamedFrom)

	// The former name must be a name, not this field's, not one the object
	// still declares, and not the former name of another field.
	_, err = objectos.ParseArtifact([]byte(`{"objects": [{"name": "thing", "fields": {
	  "a": {"type": "text"},
	  "b": {"type": "text", "renamedFrom": "a"},
	  "c": {"type": "text", "renamedFrom": "c"},
	  "d": {"type": "text", "renamedFrom": "Old-Name"},
	  "e": {"type": "text", "renamedFrom": "x"},
	  "f": {"type": "text", "renamedFrom": "x"},
	  "g": {"type": "text", "renamedFrom": "created_at"}
	}}]}`))
	p := problems(t, err)
	want := map[string]string{
		"objects.thing.fields.b.renamedFrom": `"a" is still declared; a field cannot be renamed from a field the object declares`,
		"objects.thing.fields.c.renamedFrom": `is the field's own name`,
		"objects.thing.fields.d.renamedFrom": `"Old-Name" must match ^[a-z_][a-z0-9_]*$`,
		"objects.thing.fields.f.renamedFrom": `"x" is already the former name of field "e"`,
		"objects.thing.fields.g.renamedFrom": `"created_at" is still declared; a field cannot be renamed from a field the object declares`,
	}
	assert.Equal(t, want, p)

	// In Go, the same checks run at New.
	_, err = objectos.New(context.Background(), objectos.Options{Store: testenv.Open(t, testenv.SQLite), Artifact: &objectos.Artifact{
		Objects: []*objectos.Object{{Name: "thing", Fields: []*objectos.Field{
			{Name: "a", Type: objectos.TypeText}, {Name: "b", Type: objectos.TypeText, RenamedFrom: "a"},
		}}}}})
	assert.Contains(t, problems(t, err), "objects.thing.fields.b.renamedFrom")
}
