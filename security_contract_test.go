package objectos_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

// publicReadOwnerWrite is a SecurityPlugin for the contract test: everyone
// reads every account, only owners write, only admins delete or transfer,
// "analyst" cannot read revenue and "viewer" cannot edit name. Contacts are
// private to their owner.
type publicReadOwnerWrite struct{ calls []objectos.Access }

func (p *publicReadOwnerWrite) Name() string { return "test-security" }

func (p *publicReadOwnerWrite) Authorize(_ context.Context, pr *objectos.Principal, o *objectos.Object, a objectos.Access) (*objectos.Grant, error) {
	p.calls = append(p.calls, a)
	g := &objectos.Grant{Transfer: pr.IsAdmin(), Fields: map[string]objectos.FieldAccess{}}
	if pr.UserID == "analyst" {
		g.Fields["revenue"] = objectos.FieldAccess{}
	}
	if pr.UserID == "viewer" {
		g.Fields["name"] = objectos.FieldAccess{Readable: true}
	}
	if pr.IsAdmin() {
		return g, nil
	}
	owner := objectos.Eq("owner_id", pr.UserID)
	switch {
	case a == objectos.AccessDelete:
		return nil, objectos.Errorf(objectos.CodePermissionDenied, "no delete on %s", o.Name)
	case a == objectos.AccessRead && o.Name == "account":
	default:
		g.Records = owner
	}
	return g, nil
}

func TestSecurityPluginContract(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		sec := &publicReadOwnerWrite{}
		s := newStack(t, st, crmArtifact(), func(o *objectos.Options) { o.Plugins = []objectos.Plugin{sec} })
		admin := objectos.WithPrincipal(context.Background(), &objectos.Principal{UserID: "root", Role: objectos.RoleAdmin})
		alice, bob := as("alice"), as("bob")

		a1 := mustCreate(t, s, alice, "account", objectos.Record{"name": "Alice Co", "revenue": 100.0})
		mustCreate(t, s, bob, "account", objectos.Record{"name": "Bob Co", "revenue": 200.0})
		c1 := mustCreate(t, s, alice, "contact", objectos.Record{"last_name": "A", "account": a1.ID})
		mustCreate(t, s, bob, "contact", objectos.Record{"last_name": "B"})
		mustCreate(t, s, bob, "contact", objectos.Record{"last_name": "B2"})

		// The record filter is in the SQL: total and pages count visible rows.
		res, err := s.List(alice, "contact", objectos.Query{Limit: 1})
		require.NoError(t, err)
		assert.EqualValues(t, 1, res.Total)
		assert.False(t, res.HasMore)
		res, err = s.List(bob, "contact", objectos.Query{Limit: 1})
		require.NoError(t, err)
		assert.EqualValues(t, 2, res.Total)
		assert.True(t, res.HasMore)
		n, err := s.Count(admin, "contact", objectos.Query{})
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)

		// Invisible is not found; visible but not writable is not accessible.
		_, err = s.Get(bob, "contact", c1.ID, objectos.GetOptions{})
		requireCode(t, err, objectos.CodeRecordNotFound)
		_, err = s.Update(bob, "contact", c1.ID, objectos.Record{"last_name": "x"}, objectos.WriteOptions{})
		requireCode(t, err, objectos.CodeRecordNotFound)
		_, err = s.Update(bob, "account", a1.ID, objectos.Record{"name": "x"}, objectos.WriteOptions{})
		requireCode(t, err, objectos.CodeRecordNotAccessible)
		err = s.Delete(alice, "account", a1.ID, objectos.WriteOptions{})
		requireCode(t, err, objectos.CodePermissionDenied)

		// A lookup to a record the caller cannot see is reference_not_found.
		_, err = s.Create(bob, "note_tag", objectos.Record{"label": "x", "note": "whatever"})
		requireCode(t, err, objectos.CodeValidationFailed)
		c2, err := s.Create(bob, "contact", objectos.Record{"last_name": "Z", "account": a1.ID})
		require.NoError(t, err, "accounts are readable by all")
		_, err = s.Update(alice, "contact", c1.ID, objectos.Record{"account": nil}, objectos.WriteOptions{})
		require.NoError(t, err)
		_ = c2

		// Field security.
		analyst := as("analyst")
		g, err := s.Get(analyst, "account", a1.ID, objectos.GetOptions{})
		require.NoError(t, err)
		assert.NotContains(t, g.Record, "revenue")
		assert.Contains(t, g.Record, "name")
		_, err = s.List(analyst, "account", objectos.Query{Filter: objectos.Where("revenue", objectos.OpGt, 1.0)})
		requireCode(t, err, objectos.CodeFieldNotAccessible)
		_, err = s.List(analyst, "account", objectos.Query{Sort: []objectos.SortKey{{Field: "revenue"}}})
		requireCode(t, err, objectos.CodeFieldNotAccessible)
		_, err = s.List(analyst, "account", objectos.Query{Fields: []string{"revenue"}})
		requireCode(t, err, objectos.CodeFieldNotAccessible)
		created, err := s.Create(analyst, "account", objectos.Record{"name": "Analyst Co"})
		require.NoError(t, err)
		assert.NotContains(t, created.Record, "revenue")
		viewer := as("viewer")
		_, err = s.Create(viewer, "account", objectos.Record{"name": "V"})
		requireCode(t, err, objectos.CodeFieldNotAccessible)

		// Owner transfer needs the grant.
		_, err = s.Update(alice, "account", a1.ID, objectos.Record{"owner_id": "bob"}, objectos.WriteOptions{})
		requireCode(t, err, objectos.CodePermissionDenied)
		_, err = s.Create(alice, "account", objectos.Record{"name": "Gift", "owner_id": "bob"})
		requireCode(t, err, objectos.CodePermissionDenied)
		u, err := s.Update(admin, "account", a1.ID, objectos.Record{"owner_id": "bob"}, objectos.WriteOptions{})
		require.NoError(t, err)
		assert.Equal(t, "bob", u.Record["owner_id"])
		_, err = s.Update(alice, "account", a1.ID, objectos.Record{"name": "mine?"}, objectos.WriteOptions{})
		requireCode(t, err, objectos.CodeRecordNotAccessible)

		// Expand shows only what the caller may read of the target.
		ce, err := s.Get(bob, "contact", c2.ID, objectos.GetOptions{Expand: []string{"account"}})
		require.NoError(t, err)
		assert.Equal(t, "Alice Co", ce.Record["account"].(objectos.Record)["name"])

		// ... and an expansion cannot name, or filter on, a field the
		// caller may not read.
		_, err = s.Get(analyst, "contact", c2.ID, objectos.GetOptions{
			ExpandSpecs: map[string]objectos.ExpandSpec{"account": {Fields: []string{"revenue"}}}})
		requireCode(t, err, objectos.CodeFieldNotAccessible)
		_, err = s.List(analyst, "contact", objectos.Query{
			ExpandSpecs: map[string]objectos.ExpandSpec{"account": {Filter: objectos.Where("revenue", objectos.OpGt, 1.0)}}})
		requireCode(t, err, objectos.CodeFieldNotAccessible)

		// Anonymous callers get nothing; the system context bypasses.
		_, err = s.List(context.Background(), "account", objectos.Query{})
		requireCode(t, err, objectos.CodeUnauthenticated)
		sec.calls = nil
		_, err = s.List(system(), "contact", objectos.Query{})
		require.NoError(t, err)
		assert.Empty(t, sec.calls, "the system context does not consult the plugin")
	})
}
