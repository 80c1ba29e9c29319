package security_test

import (
	"context"
	"testing"
	"time"

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

// TestDeleteBehavioursAsTheCaller: DELETE_RESTRICTED counts and names only
// the dependents the caller can see (and says nothing of the others), and
// set_null changes the version (updated_at, updated_by) of the records it
// changes, so their ETags no longer match.
func TestDeleteBehavioursAsTheCaller(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		all := objectos.ObjectPermission{AllowRead: true, AllowCreate: true, AllowEdit: true, AllowDelete: true}
		a := &objectos.Artifact{Name: "deletes",
			Objects: []*objectos.Object{
				{Name: "account", SharingModel: objectos.SharingPublicReadWrite, Fields: []*objectos.Field{{Name: "name", Type: objectos.TypeText}}},
				{Name: "deal", SharingModel: objectos.SharingPrivate, Fields: []*objectos.Field{
					{Name: "account", Type: objectos.TypeLookup, Reference: "account", DeleteBehavior: objectos.DeleteRestrict}}},
				{Name: "contact", SharingModel: objectos.SharingPublicReadWrite, Fields: []*objectos.Field{
					{Name: "account", Type: objectos.TypeLookup, Reference: "account"}}},
			},
			PermissionSets: []*objectos.PermissionSet{
				{Name: "member", IsDefault: true, Objects: map[string]objectos.ObjectPermission{"account": all, "deal": all, "contact": all}},
				{Name: "account_only", Objects: map[string]objectos.ObjectPermission{"account": all}},
			}}
		now := time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC)
		s, err := objectos.New(ctx, objectos.Options{Artifact: a, Store: st, Plugins: []objectos.Plugin{security.New()},
			Clock: func() time.Time { return now }})
		require.NoError(t, err)
		alice := objectos.WithPrincipal(ctx, &objectos.Principal{UserID: "alice"})
		bob := objectos.WithPrincipal(ctx, &objectos.Principal{UserID: "bob"})
		acc, err := s.Create(alice, "account", objectos.Record{"name": "Acme"})
		require.NoError(t, err)
		_, err = s.Create(bob, "deal", objectos.Record{"account": acc.ID})
		require.NoError(t, err)

		// Only Bob's deal holds the account: Alice learns nothing of it.
		err = s.Delete(alice, "account", acc.ID, objectos.WriteOptions{})
		e := objectos.AsError(err)
		require.Equal(t, objectos.CodeDeleteRestricted, e.Code, "%v", err)
		assert.NotContains(t, e.Details, "dependentCount")
		assert.NotContains(t, e.Details, "dependentObject")
		assert.NotContains(t, e.Message, "1")
		assert.NotContains(t, e.Message, "deal")

		// With one of her own, she sees one.
		_, err = s.Create(alice, "deal", objectos.Record{"account": acc.ID})
		require.NoError(t, err)
		e = objectos.AsError(s.Delete(alice, "account", acc.ID, objectos.WriteOptions{}))
		require.Equal(t, objectos.CodeDeleteRestricted, e.Code)
		assert.EqualValues(t, 1, e.Details["dependentCount"])
		assert.Equal(t, "deal", e.Details["dependentObject"])
		// Bob sees his own too; someone who cannot read deals sees nothing.
		e = objectos.AsError(s.Delete(bob, "account", acc.ID, objectos.WriteOptions{}))
		assert.EqualValues(t, 1, e.Details["dependentCount"])
		carol := objectos.WithPrincipal(ctx, &objectos.Principal{UserID: "carol", PermissionSets: []string{"account_only"}})
		e = objectos.AsError(s.Delete(carol, "account", acc.ID, objectos.WriteOptions{}))
		require.Equal(t, objectos.CodeDeleteRestricted, e.Code)
		assert.NotContains(t, e.Details, "dependentObject")

		// set_null is a change: a new version, stamped with who made it.
		acc2, err := s.Create(alice, "account", objectos.Record{"name": "Beta"})
		require.NoError(t, err)
		c, err := s.Create(bob, "contact", objectos.Record{"account": acc2.ID})
		require.NoError(t, err)
		require.NoError(t, s.Delete(alice, "account", acc2.ID, objectos.WriteOptions{}))
		got, err := s.Get(bob, "contact", c.ID, objectos.GetOptions{})
		require.NoError(t, err)
		assert.Nil(t, got.Record["account"])
		assert.NotEqual(t, c.Version, got.Version, "the ETag changes with the record (same clock millisecond)")
		assert.Equal(t, "alice", got.Record["updated_by"])
		_, err = s.Update(bob, "contact", c.ID, objectos.Record{"account": nil}, objectos.WriteOptions{IfMatch: c.Version})
		assert.True(t, objectos.IsCode(err, objectos.CodeConcurrentUpdate), "%v", err)
	})
}
