package security_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/security"
	"github.com/objectos-go/objectos/store"
)

// TestFieldAccessComesFromGrantingSets: a field is readable only through
// sets that grant read on the object, and writable only through sets that
// grant the write at hand (create or edit). A set that lists the object for
// another reason (create only, say) does not open the fields it does not
// mention to reads or edits.
func TestFieldAccessComesFromGrantingSets(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		a := &objectos.Artifact{Name: "fields",
			Objects: []*objectos.Object{{Name: "account", SharingModel: objectos.SharingPublicReadWrite, Fields: []*objectos.Field{
				{Name: "name", Type: objectos.TypeText}, {Name: "revenue", Type: objectos.TypeNumber}}}},
			PermissionSets: []*objectos.PermissionSet{
				{Name: "analyst", Objects: map[string]objectos.ObjectPermission{"account": {AllowRead: true, ViewAllRecords: true}},
					Fields: map[string]objectos.FieldPermission{"account.revenue": {Readable: false, Editable: false}}},
				{Name: "editor", Objects: map[string]objectos.ObjectPermission{"account": {AllowRead: true, AllowEdit: true}},
					Fields: map[string]objectos.FieldPermission{"account.revenue": {Readable: false, Editable: false}}},
				{Name: "intake", Objects: map[string]objectos.ObjectPermission{"account": {AllowCreate: true}}},
				{Name: "reader", Objects: map[string]objectos.ObjectPermission{"account": {AllowRead: true}}},
			}}
		s, err := objectos.New(ctx, objectos.Options{Artifact: a, Store: st, Plugins: []objectos.Plugin{security.New()}})
		require.NoError(t, err)
		res, err := s.Create(objectos.AsSystem(ctx), "account", objectos.Record{"name": "Acme", "revenue": 987654})
		require.NoError(t, err)
		as := func(sets ...string) context.Context {
			return objectos.WithPrincipal(ctx, &objectos.Principal{UserID: "u-" + sets[0], PermissionSets: sets})
		}

		// analyst + intake: intake grants no read, so revenue stays hidden.
		ai := as("analyst", "intake")
		list, err := s.List(ai, "account", objectos.Query{})
		require.NoError(t, err)
		require.Len(t, list.Records, 1)
		assert.NotContains(t, list.Records[0], "revenue")
		_, err = s.List(ai, "account", objectos.Query{Filter: objectos.Where("revenue", objectos.OpGt, 0)})
		assert.True(t, objectos.IsCode(err, objectos.CodeFieldNotAccessible), "%v", err)
		got, err := s.Get(ai, "account", res.ID, objectos.GetOptions{})
		require.NoError(t, err)
		assert.NotContains(t, got.Record, "revenue")
		// intake's create may write revenue (it does not restrict it)
		_, err = s.Create(ai, "account", objectos.Record{"name": "New", "revenue": 1})
		assert.NoError(t, err)

		// editor + intake: intake grants no edit, so revenue stays read-only
		// to updates, and hidden.
		ei := as("editor", "intake")
		_, err = s.Update(ei, "account", res.ID, objectos.Record{"revenue": 1}, objectos.WriteOptions{})
		assert.True(t, objectos.IsCode(err, objectos.CodeFieldNotAccessible), "%v", err)
		_, err = s.Update(ei, "account", res.ID, objectos.Record{"name": "Acme 2"}, objectos.WriteOptions{})
		assert.NoError(t, err)

		// analyst + reader: reader grants read without restriction, so the
		// union reads revenue, as before.
		ar := as("analyst", "reader")
		got, err = s.Get(ar, "account", res.ID, objectos.GetOptions{})
		require.NoError(t, err)
		assert.EqualValues(t, 987654, got.Record["revenue"])
	})
}
