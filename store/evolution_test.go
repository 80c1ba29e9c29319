package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

// allTypes is every field type objectos stores.
var allTypes = []objectos.FieldType{
	objectos.TypeText, objectos.TypeTextarea, objectos.TypeEmail, objectos.TypeURL, objectos.TypePhone,
	objectos.TypeMarkdown, objectos.TypeHTML, objectos.TypeRichtext, objectos.TypeCode, objectos.TypeColor,
	objectos.TypeSelect, objectos.TypeRadio, objectos.TypeAutonumber, objectos.TypeUser,
	objectos.TypePassword, objectos.TypeSecret,
	objectos.TypeLookup, objectos.TypeMasterDetail,
	objectos.TypeNumber, objectos.TypeCurrency, objectos.TypePercent, objectos.TypeRating, objectos.TypeSlider,
	objectos.TypeProgress,
	objectos.TypeBoolean, objectos.TypeToggle,
	objectos.TypeDate, objectos.TypeDatetime, objectos.TypeTime,
	objectos.TypeMultiselect, objectos.TypeCheckboxes, objectos.TypeTags,
	objectos.TypeJSON,
}

// storage is the documented grouping of field types by how a column holds
// them (README, "Stores and schema sync").
var storage = map[objectos.FieldType]string{
	objectos.TypeText: "text", objectos.TypeTextarea: "text", objectos.TypeEmail: "text", objectos.TypeURL: "text",
	objectos.TypePhone: "text", objectos.TypeMarkdown: "text", objectos.TypeHTML: "text", objectos.TypeRichtext: "text",
	objectos.TypeCode: "text", objectos.TypeColor: "text", objectos.TypeSelect: "text", objectos.TypeRadio: "text",
	objectos.TypeAutonumber: "text", objectos.TypeUser: "text",
	objectos.TypePassword: "password", objectos.TypeSecret: "secret",
	objectos.TypeLookup: "reference", objectos.TypeMasterDetail: "reference",
	objectos.TypeNumber: "number", objectos.TypeCurrency: "number", objectos.TypePercent: "number",
	objectos.TypeRating: "number", objectos.TypeSlider: "number", objectos.TypeProgress: "number",
	objectos.TypeBoolean: "boolean", objectos.TypeToggle: "boolean",
	objectos.TypeDate: "date", objectos.TypeDatetime: "datetime", objectos.TypeTime: "time",
	objectos.TypeMultiselect: "list", objectos.TypeCheckboxes: "list", objectos.TypeTags: "list",
	objectos.TypeJSON: "json",
}

// accepted is the documented verdict: a change within a group, and text to
// password and list to json, are applied by sync; every other is refused
// (to and from secret among them: sync neither encrypts nor decrypts).
func accepted(from, to objectos.FieldType) bool {
	g, h := storage[from], storage[to]
	return g == h || g == "text" && h == "password" || g == "list" && h == "json"
}

func typedField(name string, t objectos.FieldType) *objectos.Field {
	f := &objectos.Field{Name: name, Type: t}
	switch t {
	case objectos.TypeSelect, objectos.TypeRadio, objectos.TypeMultiselect, objectos.TypeCheckboxes:
		f.Options = []objectos.Option{{Value: "a"}, {Value: "b"}}
	case objectos.TypeLookup, objectos.TypeMasterDetail:
		f.Reference = "target"
	}
	return f
}

// pairArtifact has one object per type (t_<from>), with one field per type
// (to_<to>), each declared as typeOf(from, to).
func pairArtifact(typeOf func(from, to objectos.FieldType) objectos.FieldType) *objectos.Artifact {
	a := &objectos.Artifact{Objects: []*objectos.Object{{Name: "target", Fields: []*objectos.Field{{Name: "name", Type: objectos.TypeText}}}}}
	for _, from := range allTypes {
		o := &objectos.Object{Name: "t_" + string(from)}
		for _, to := range allTypes {
			o.Fields = append(o.Fields, typedField("to_"+string(to), typeOf(from, to)))
		}
		a.Objects = append(a.Objects, o)
	}
	return a
}

// refusals lists the "object.field" of every *store.SchemaError in err.
func refusals(t *testing.T, err error) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var se *store.SchemaError
		require.True(t, errors.As(err, &se), "not a *store.SchemaError: %v", err)
		out[se.Object+"."+se.Field] = true
	}
	if err != nil {
		walk(err)
	}
	return out
}

// TestSchemaTypeChanges changes every field type into every other, on
// every store: sync accepts exactly the documented pairs, refuses the
// others with a *store.SchemaError each (all at once), records the types it
// accepted (so that going back may be refused), and changes nothing when it
// refuses.
func TestSchemaTypeChanges(t *testing.T) {
	require.Len(t, storage, len(allTypes))
	for _, ft := range allTypes {
		require.True(t, ft.Valid(), ft)
	}
	verdicts := map[testenv.Kind]map[string]bool{}
	for _, k := range testenv.Kinds(t) {
		t.Run(string(k), func(t *testing.T) {
			st := testenv.Open(t, k)
			declared := func(from, to objectos.FieldType) objectos.FieldType { return from }
			changed := func(from, to objectos.FieldType) objectos.FieldType { return to }
			_, err := start(t, st, pairArtifact(declared))
			require.NoError(t, err)

			_, err = start(t, st, pairArtifact(changed))
			require.Error(t, err)
			got := refusals(t, err)
			verdicts[k] = got
			for _, from := range allTypes {
				for _, to := range allTypes {
					key := fmt.Sprintf("t_%s.to_%s", from, to)
					assert.Equal(t, !accepted(from, to), got[key], "%s → %s", from, to)
				}
			}
			var se *store.SchemaError
			require.True(t, errors.As(err, &se))
			assert.Contains(t, err.Error(), "objectos: schema: t_text.to_number: the column holds text values and the field is now declared as number")
			assert.Contains(t, err.Error(), "convert the column with a migration plan")
			assert.Contains(t, err.Error(), "objectos: schema: t_text.to_secret: the column holds text values and the field is now declared as secret: "+
				"its values would have to be encrypted, which a schema change does not do; nothing was changed; "+
				"no migration plan converts to or from secret yet")
			assert.Contains(t, err.Error(), "t_secret.to_password: the column holds secret values and the field is now declared as password: "+
				"its values are encrypted by objectos, and a schema change cannot decrypt them")

			// The accepted changes apply; a second start is a no-op.
			partly := func(from, to objectos.FieldType) objectos.FieldType {
				if accepted(from, to) {
					return to
				}
				return from
			}
			_, err = start(t, st, pairArtifact(partly))
			require.NoError(t, err)
			_, err = start(t, st, pairArtifact(partly))
			require.NoError(t, err)

			// Sync recorded the new types: going back is judged from them.
			_, err = start(t, st, pairArtifact(declared))
			back := refusals(t, err)
			for _, from := range allTypes {
				for _, to := range allTypes {
					key := fmt.Sprintf("t_%s.to_%s", from, to)
					assert.Equal(t, accepted(from, to) && !accepted(to, from), back[key], "%s → %s → %s", from, to, from)
				}
			}
		})
	}
	if len(verdicts) == 2 {
		assert.Equal(t, verdicts[testenv.SQLite], verdicts[testenv.Postgres], "both stores give the same verdicts")
	}
}

func opportunities(due objectos.FieldType) *objectos.Artifact {
	return &objectos.Artifact{Objects: []*objectos.Object{{
		Name: "crm_opportunity",
		Fields: []*objectos.Field{
			{Name: "name", Type: objectos.TypeText},
			{Name: "due", Type: due},
		},
	}}}
}

// TestSchemaDateToDatetimeIsRefused is the change of issue 15: on SQLite it
// used to pass New, and then every list answered 500.
func TestSchemaDateToDatetimeIsRefused(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		ctx := objectos.AsSystem(context.Background())
		s, err := start(t, st, opportunities(objectos.TypeDate))
		require.NoError(t, err)
		_, err = s.Create(ctx, "crm_opportunity", objectos.Record{"name": "Big deal", "due": "2024-03-15"})
		require.NoError(t, err)

		_, err = start(t, st, opportunities(objectos.TypeDatetime))
		var se *store.SchemaError
		require.True(t, errors.As(err, &se), "%v", err)
		assert.Equal(t, "crm_opportunity", se.Object)
		assert.Equal(t, "due", se.Field)
		assert.Equal(t, "objectos: schema: crm_opportunity.due: the column holds date values and the field is now declared as datetime: "+
			"that changes how its values are stored; nothing was changed; convert the column with a migration plan "+
			"((*store.Store).Plan, then Apply; examples/crm: -migrate plan, then -migrate apply), or declare the field as date again", err.Error())

		// Nothing changed: the old declaration still reads the record.
		s, err = start(t, st, opportunities(objectos.TypeDate))
		require.NoError(t, err)
		res, err := s.List(ctx, "crm_opportunity", objectos.Query{})
		require.NoError(t, err)
		require.Len(t, res.Records, 1)
		assert.Equal(t, "2024-03-15", res.Records[0]["due"])
	})
}

// TestSchemaColumnsBackfill opens databases made before objectos recorded
// column types: the types are recorded from the catalog and the values.
func TestSchemaColumnsBackfill(t *testing.T) {
	for _, k := range testenv.Kinds(t) {
		t.Run(string(k), func(t *testing.T) {
			ctx := objectos.AsSystem(context.Background())
			open := reopenable(t, k)
			st := open()
			s, err := start(t, st, opportunities(objectos.TypeDate))
			require.NoError(t, err)
			_, err = s.Create(ctx, "crm_opportunity", objectos.Record{"name": "Big deal", "due": "2024-03-15"})
			require.NoError(t, err)
			// The database as the earlier objectos left it.
			require.NoError(t, st.Exec(context.Background(), "DROP TABLE objectos_columns"))
			require.NoError(t, st.Close())

			st = open()
			defer st.Close()
			s, err = start(t, st, opportunities(objectos.TypeDate))
			require.NoError(t, err, "a database without the record opens")
			res, err := s.List(ctx, "crm_opportunity", objectos.Query{})
			require.NoError(t, err)
			assert.Equal(t, "2024-03-15", res.Records[0]["due"])
			// ... and its columns are recorded as they are.
			_, err = start(t, st, opportunities(objectos.TypeDatetime))
			assert.Equal(t, map[string]bool{"crm_opportunity.due": true}, refusals(t, err))

			// An earlier objectos let date become datetime on SQLite (both
			// are TEXT there), leaving dates that no datetime reads: the
			// values tell what the column holds.
			require.NoError(t, st.Exec(context.Background(), "DROP TABLE objectos_columns"))
			_, err = start(t, st, opportunities(objectos.TypeDatetime))
			assert.Equal(t, map[string]bool{"crm_opportunity.due": true}, refusals(t, err))
			assert.ErrorContains(t, err, "the column holds date values")
		})
	}
}

func accounts(fields ...*objectos.Field) *objectos.Artifact {
	return &objectos.Artifact{Objects: []*objectos.Object{{
		Name:    "account",
		Fields:  append([]*objectos.Field{{Name: "name", Type: objectos.TypeText}}, fields...),
		Indexes: []objectos.Index{{Fields: []string{"name"}}},
	}}}
}

// TestSchemaRename renames fields declared with renamedFrom: the columns
// keep their values, their indexes and foreign keys follow them, and a
// restart with renamedFrom still declared changes nothing.
func TestSchemaRename(t *testing.T) {
	for _, k := range testenv.Kinds(t) {
		t.Run(string(k), func(t *testing.T) {
			ctx := objectos.AsSystem(context.Background())
			open := reopenable(t, k)
			st := open()
			defer func() { st.Close() }()
			v1 := accounts(
				&objectos.Field{Name: "code", Type: objectos.TypeText, Unique: true},
				&objectos.Field{Name: "parent", Type: objectos.TypeLookup, Reference: "account", DeleteBehavior: objectos.DeleteRestrict},
			)
			v1.Objects[0].Indexes = append(v1.Objects[0].Indexes, objectos.Index{Fields: []string{"code", "name"}})
			s, err := start(t, st, v1)
			require.NoError(t, err)
			top, err := s.Create(ctx, "account", objectos.Record{"name": "Top", "code": "T"})
			require.NoError(t, err)
			sub, err := s.Create(ctx, "account", objectos.Record{"name": "Sub", "code": "S", "parent": top.ID})
			require.NoError(t, err)
			before, err := st.Indexes(context.Background())
			require.NoError(t, err)
			require.True(t, before["uq_account_code"])
			require.True(t, before["ixo_account_parent_id"])
			require.True(t, before["ixo_account_code_name_id"])

			v2 := accounts(
				&objectos.Field{Name: "account_code", Type: objectos.TypeText, Unique: true, RenamedFrom: "code"},
				&objectos.Field{Name: "parent_account", Type: objectos.TypeLookup, Reference: "account", DeleteBehavior: objectos.DeleteRestrict,
					RenamedFrom: "parent"},
			)
			v2.Objects[0].Indexes = append(v2.Objects[0].Indexes, objectos.Index{Fields: []string{"account_code", "name"}})
			check := func(s *objectos.Stack) {
				t.Helper()
				got, err := s.Get(ctx, "account", sub.ID, objectos.GetOptions{})
				require.NoError(t, err)
				assert.Equal(t, "S", got.Record["account_code"])
				assert.Equal(t, top.ID, got.Record["parent_account"])
				assert.NotContains(t, got.Record, "code")
				// The unique index and the foreign key followed the column.
				_, err = s.Create(ctx, "account", objectos.Record{"name": "Dup", "account_code": "T"})
				require.True(t, objectos.IsCode(err, objectos.CodeUniqueViolation), "%v", err)
				assert.Equal(t, "account_code", objectos.AsError(err).Details["field"])
				err = st.Insert(ctx, s.Object("account"), objectos.Record{"id": "dangling", "name": "X", "parent_account": "nobody"})
				require.Error(t, err, "the foreign key holds")
				err = s.Delete(ctx, "account", top.ID, objectos.WriteOptions{})
				assert.True(t, objectos.IsCode(err, objectos.CodeDeleteRestricted), "%v", err)
				after, err := st.Indexes(context.Background())
				require.NoError(t, err)
				for _, name := range []string{"uq_account_account_code", "ixo_account_parent_account_id", "ixo_account_account_code_name_id"} {
					assert.True(t, after[name], name)
				}
				for _, name := range []string{"uq_account_code", "ixo_account_parent_id", "ixo_account_code_name_id"} {
					assert.False(t, after[name], name)
				}
			}
			s, err = start(t, st, v2)
			require.NoError(t, err)
			check(s)

			// A restart with renamedFrom still declared is a no-op.
			require.NoError(t, st.Close())
			st = open()
			s, err = start(t, st, v2)
			require.NoError(t, err)
			check(s)

			// Neither column: the field is created as usual.
			v3 := accounts(append(v2.Objects[0].Fields[1:], &objectos.Field{Name: "region", Type: objectos.TypeText, RenamedFrom: "area"})...)
			s, err = start(t, st, v3)
			require.NoError(t, err)
			_, err = s.Create(ctx, "account", objectos.Record{"name": "R", "region": "EU"})
			require.NoError(t, err)
		})
	}
}

// TestSchemaRenameRefused: a rename sync cannot apply changes nothing.
func TestSchemaRenameRefused(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		ctx := objectos.AsSystem(context.Background())
		s, err := start(t, st, accounts(&objectos.Field{Name: "old", Type: objectos.TypeText}, &objectos.Field{Name: "new", Type: objectos.TypeText},
			&objectos.Field{Name: "day", Type: objectos.TypeDate}))
		require.NoError(t, err)
		r, err := s.Create(ctx, "account", objectos.Record{"name": "A", "old": "o", "new": "n", "day": "2024-03-15"})
		require.NoError(t, err)

		// Both the former and the new column exist.
		_, err = start(t, st, accounts(&objectos.Field{Name: "new", Type: objectos.TypeText, RenamedFrom: "old"},
			&objectos.Field{Name: "day", Type: objectos.TypeDate}))
		var se *store.SchemaError
		require.True(t, errors.As(err, &se), "%v", err)
		assert.Equal(t, "new", se.Field)
		assert.ErrorContains(t, err, "objectos: schema: account.new: the field is renamed from old, but the table has both columns old and new")

		// A rename with a type change that is not stored alike: refused, and
		// the rename is not applied either.
		_, err = start(t, st, accounts(&objectos.Field{Name: "old", Type: objectos.TypeText}, &objectos.Field{Name: "new", Type: objectos.TypeText},
			&objectos.Field{Name: "due", Type: objectos.TypeDatetime, RenamedFrom: "day"}))
		require.True(t, errors.As(err, &se), "%v", err)
		assert.Equal(t, "due", se.Field)
		assert.ErrorContains(t, err, "the column holds date values and the field is now declared as datetime")
		s, err = start(t, st, accounts(&objectos.Field{Name: "old", Type: objectos.TypeText}, &objectos.Field{Name: "new", Type: objectos.TypeText},
			&objectos.Field{Name: "day", Type: objectos.TypeDate}))
		require.NoError(t, err)
		got, err := s.Get(ctx, "account", r.ID, objectos.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, "2024-03-15", got.Record["day"])
	})
}
