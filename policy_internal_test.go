package objectos

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPolicyFilterShape: an equality of a text field with current_user.id
// is a plain $eq leaf (an index serves it), the caller's values are bound
// as values (never part of an expression's text), the permission sets
// become the list of an IN, and policies of one access are OR-ed.
func TestPolicyFilterShape(t *testing.T) {
	a := &Artifact{Name: "p", Objects: []*Object{{Name: "doc", Fields: []*Field{
		{Name: "team", Type: TypeText}, {Name: "rank", Type: TypeNumber}}}},
		Policies: []*Policy{
			{Name: "own", Object: "doc", Operation: PolicyAll, Using: "owner_id == current_user.id"},
			{Name: "team", Object: "doc", Operation: PolicySelect, Using: "current_user.email == created_by || (team in current_user.permission_sets && rank > 2)"},
			{Name: "nobody", Object: "doc", Operation: PolicyDelete, Using: "false"},
		}}
	out, err := checkArtifact(a, nil, true)
	require.NoError(t, err)
	o := &Object{Name: "doc", policies: out.policies[a.Objects[0]]}
	s := &Stack{artifact: a}
	p := &Principal{UserID: "u'1", Email: "e@x", PermissionSets: []string{"red", "blue"}}

	assert.Equal(t, `$or("owner_id" $eq "u'1","created_by" $eq "e@x",$and($expr(in("team","blue":text,"red":text)),$expr(>("rank",double(2:integer)))))`,
		s.policyFilter(p, o, AccessRead).String())
	assert.Equal(t, `"owner_id" $eq "u'1"`, s.policyFilter(p, o, AccessUpdate).String())
	assert.Equal(t, `"owner_id" $eq "u'1"`, s.policyFilter(p, o, AccessDelete).String(), "false adds nothing to an OR")
	o.policies = o.policies[2:]
	assert.Equal(t, `$or()`, s.policyFilter(p, o, AccessDelete).String(), "a false policy alone lets nothing through")
	o.policies = out.policies[a.Objects[0]]
	assert.Nil(t, s.policyFilter(p, o, AccessCreate), "an insert has no rows to filter")
	assert.Nil(t, s.policyFilter(&Principal{UserID: "root", Role: RoleAdmin}, o, AccessRead), "administrators are not subject to policies")
	// the compiled policy keeps its placeholders: binding copies
	assert.Equal(t, userValue("id"), o.policies[0].using.Args[1].Value)
}

// TestPolicyLookupShape: a comparison of a field read through a lookup
// with the caller's values is a semi-join (the database finds the few
// targets first), and the semi-joins through one lookup OR-ed are one;
// anything else reads the field with a scalar subquery.
func TestPolicyLookupShape(t *testing.T) {
	a := &Artifact{Name: "p", Objects: []*Object{
		{Name: "team", Fields: []*Field{{Name: "region", Type: TypeText}}},
		{Name: "doc", Fields: []*Field{{Name: "team", Type: TypeLookup, Reference: "team"}, {Name: "rank", Type: TypeNumber}}}},
		Policies: []*Policy{
			{Name: "team", Object: "doc", Operation: PolicySelect,
				Using: "team.owner_id == current_user.id || team.region in current_user.permission_sets || !(team.region == 'x')"},
		}}
	out, err := checkArtifact(a, nil, true)
	require.NoError(t, err)
	o := &Object{Name: "doc", policies: out.policies[a.Objects[1]]}
	s := &Stack{artifact: a}
	p := &Principal{UserID: "u1", PermissionSets: []string{"red"}}
	assert.Equal(t, `$or($expr(lookup_match("team"->team,or(=("owner_id","u1":text),in("region","red":text)))),`+
		`$expr(not(=(lookup("team"->team,"region"),"x":text))))`,
		s.policyFilter(p, o, AccessRead).String())
}
