package objectos_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/security"
	"github.com/objectos-go/objectos/store"
)

// lookupArtifact: projects belong to a team (region, a permission set of
// its members) and may have a parent project; tasks belong to a project.
func lookupArtifact(policies ...*objectos.Policy) *objectos.Artifact {
	all := objectos.ObjectPermission{AllowRead: true, AllowCreate: true, AllowEdit: true, AllowDelete: true,
		ViewAllRecords: true, ModifyAllRecords: true, AllowTransfer: true}
	perms := map[string]objectos.ObjectPermission{"project": all, "task": all}
	return &objectos.Artifact{Name: "lookups",
		Objects: []*objectos.Object{
			{Name: "project", SharingModel: objectos.SharingPublicReadWrite, Fields: []*objectos.Field{
				{Name: "name", Type: objectos.TypeText},
				{Name: "region", Type: objectos.TypeSelect, Options: []objectos.Option{{Value: "red"}, {Value: "blue"}, {Value: "apac"}}},
				{Name: "budget", Type: objectos.TypeNumber},
				{Name: "parent", Type: objectos.TypeLookup, Reference: "project"},
				{Name: "api_token", Type: objectos.TypePassword},
			}},
			{Name: "task", SharingModel: objectos.SharingPublicReadWrite, Fields: []*objectos.Field{
				{Name: "title", Type: objectos.TypeText},
				{Name: "points", Type: objectos.TypeNumber},
				{Name: "project", Type: objectos.TypeLookup, Reference: "project"},
			}},
		},
		PermissionSets: []*objectos.PermissionSet{
			{Name: "red", Objects: perms}, {Name: "blue", Objects: perms}, {Name: "member", Objects: perms},
		},
		Policies: policies,
	}
}

// TestPolicyThroughLookup: the README's examples. A task is read by the
// owner of its project and by the members of the project's team; it is
// created, moved and updated only in a project of the caller's; a project
// is read by its owner and by the owner of its parent (a lookup to the
// same object). The reads are SQL, the write checks read the referenced
// record.
func TestPolicyThroughLookup(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newStack(t, st, lookupArtifact(
			&objectos.Policy{Name: "project_team", Object: "task", Operation: objectos.PolicySelect,
				Using: "project.owner_id == current_user.id || project.region in current_user.permission_sets"},
			&objectos.Policy{Name: "own_project", Object: "task", Operation: objectos.PolicyAll,
				Using: "record.project.owner_id == current_user.id"},
			&objectos.Policy{Name: "own_or_parent", Object: "project", Operation: objectos.PolicySelect,
				Using: "owner_id == current_user.id || parent.owner_id == current_user.id"},
		))
		alice, bob, carl := asUser("alice", "red", "member"), asUser("bob", "blue", "member"), asUser("carl", "member")
		project := func(owner, name, region, parent string) string {
			rec := objectos.Record{"name": name, "owner_id": owner}
			if region != "" {
				rec["region"] = region
			}
			if parent != "" {
				rec["parent"] = parent
			}
			r, err := s.Create(system(), "project", rec)
			require.NoError(t, err)
			return r.ID
		}
		pa := project("alice", "pa", "red", "")
		pb := project("bob", "pb", "blue", "")
		pc := project("carl", "pc", "", pa) // a sub-project of alice's
		task := func(title, project string) string {
			rec := objectos.Record{"title": title, "owner_id": "carl"}
			if project != "" {
				rec["project"] = project
			}
			r, err := s.Create(system(), "task", rec)
			require.NoError(t, err)
			return r.ID
		}
		ta, tb, tc, tn := task("ta", pa), task("tb", pb), task("tc", pc), task("tn", "")

		titles := func(ctx context.Context, object string) []string {
			t.Helper()
			q := objectos.Query{Sort: []objectos.SortKey{{Field: "name"}}, Limit: 1}
			if object == "task" {
				q.Sort[0].Field = "title"
			}
			res, err := s.List(ctx, object, q)
			require.NoError(t, err)
			var out []string
			for {
				for _, r := range res.Records {
					out = append(out, fmt.Sprint(r["title"], r["name"]))
				}
				if res.NextCursor == "" {
					break
				}
				q.Cursor = res.NextCursor
				res, err = s.List(ctx, object, q)
				require.NoError(t, err)
			}
			return out
		}
		// a task without a project, or in carl's, is nobody's but carl's
		assert.Equal(t, []string{"ta<nil>"}, titles(alice, "task"), "alice: her project's task (team red has no other)")
		assert.Equal(t, []string{"tb<nil>"}, titles(bob, "task"))
		assert.Equal(t, []string{"tc<nil>"}, titles(carl, "task"), "carl owns pc, not tn")
		assert.Equal(t, []string{"<nil>pa", "<nil>pc"}, titles(alice, "project"), "alice: hers and its sub-project")
		assert.Equal(t, []string{"<nil>pc"}, titles(carl, "project"))
		n, err := s.Count(bob, "task", objectos.Query{})
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		_, err = s.Get(alice, "task", tb, objectos.GetOptions{})
		requireCode(t, err, objectos.CodeRecordNotFound)

		// writes: the check reads the project the task would be in
		_, err = s.Create(alice, "task", objectos.Record{"title": "new", "project": pa})
		require.NoError(t, err)
		_, err = s.Create(alice, "task", objectos.Record{"title": "new", "project": pc})
		e := requireCode(t, err, objectos.CodePermissionDenied)
		assert.Contains(t, e.Message, "'own_project'", "alice reads pc (a sub-project of hers), carl owns it")
		_, err = s.Create(alice, "task", objectos.Record{"title": "new", "project": pb})
		requireCode(t, err, objectos.CodeValidationFailed) // a reference to a record she cannot read
		_, err = s.Create(alice, "task", objectos.Record{"title": "none"})
		requireCode(t, err, objectos.CodePermissionDenied)
		_, err = s.Update(alice, "task", ta, objectos.Record{"project": pc}, objectos.WriteOptions{})
		requireCode(t, err, objectos.CodePermissionDenied)
		_, err = s.Update(alice, "task", ta, objectos.Record{"points": 3}, objectos.WriteOptions{})
		require.NoError(t, err)
		_, err = s.Update(bob, "task", ta, objectos.Record{"points": 4}, objectos.WriteOptions{})
		requireCode(t, err, objectos.CodeRecordNotFound)
		// handing the project to bob hands him its tasks, at once
		_, err = s.Update(system(), "project", pa, objectos.Record{"owner_id": "bob"}, objectos.WriteOptions{})
		require.NoError(t, err)
		_, err = s.Update(bob, "task", ta, objectos.Record{"points": 4}, objectos.WriteOptions{})
		require.NoError(t, err)
		assert.Equal(t, []string{"new<nil>", "ta<nil>"}, titles(alice, "task"), "team red still reads them")
		require.NoError(t, s.Delete(bob, "task", ta, objectos.WriteOptions{}))
		err = s.Delete(alice, "task", tc, objectos.WriteOptions{})
		requireCode(t, err, objectos.CodeRecordNotFound)
		_ = tn
	})
}

// TestPolicyLookupDifferential: for each using below, what the database
// lets a caller read (the using compiled to SQL, as a scalar subquery or
// a semi-join) is what the same predicate evaluated in Go lets them
// create (the check of an insert policy, reading the referenced record),
// over random projects and tasks with empty references and NULLs.
func TestPolicyLookupDifferential(t *testing.T) {
	exprs := []string{
		`project.owner_id == current_user.id`,
		`project.region in current_user.permission_sets`,
		`project.region in ["red", "apac"]`,
		`!(project.region == "apac")`,
		`project.region != "apac" && points > 1.0`,
		`points <= project.budget`,
		`project.budget > 10.0 || project == null`,
		`project.name == title`,
		`project.parent == null`,
		`coalesce(project.budget, 0.0) < 5.0`,
		`project.budget * 2.0 >= points + 1.0`,
		`isBlank(project.name)`,
		`!(project.owner_id == current_user.id) && project.id != null`,
	}
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		seedStack := newStack(t, st, lookupArtifact())
		r := rand.New(rand.NewPCG(5, 8))
		owners := []string{"alice", "bob", "carl"}
		regions := []any{"red", "blue", "apac", nil}
		numbers := []any{nil, 0.0, 1.0, 2.5, 10.0, 12.0}
		names := []any{nil, "", " ", "a", "b"}
		var projects []string
		for i := range 12 {
			rec := objectos.Record{"owner_id": owners[r.IntN(3)], "region": regions[r.IntN(4)],
				"budget": numbers[r.IntN(len(numbers))], "name": names[r.IntN(len(names))]}
			if i > 0 && r.IntN(2) == 0 {
				rec["parent"] = projects[r.IntN(len(projects))]
			}
			p, err := seedStack.Create(system(), "project", rec)
			require.NoError(t, err)
			projects = append(projects, p.ID)
		}
		var tasks []objectos.Record
		for range 60 {
			rec := objectos.Record{"points": numbers[r.IntN(len(numbers))], "title": names[r.IntN(len(names))]}
			if r.IntN(5) > 0 {
				rec["project"] = projects[r.IntN(len(projects))]
			}
			tk, err := seedStack.Create(system(), "task", rec)
			require.NoError(t, err)
			tasks = append(tasks, tk.Record)
		}
		users := []context.Context{asUser("alice", "red", "member"), asUser("bob", "blue"), asUser("carl")}
		for _, src := range exprs {
			t.Run(src, func(t *testing.T) {
				s := newStack(t, st, lookupArtifact(
					&objectos.Policy{Name: "read", Object: "task", Operation: objectos.PolicySelect, Using: objectos.Expression(src)},
					&objectos.Policy{Name: "write", Object: "task", Operation: objectos.PolicyInsert, Check: objectos.Expression(src)},
				))
				for u, ctx := range users {
					res, err := s.List(ctx, "task", objectos.Query{Limit: 1000, Fields: []string{"id"}})
					require.NoError(t, err)
					var read []string
					for _, rec := range res.Records {
						read = append(read, rec["id"].(string))
					}
					var wrote []string
					for _, tk := range tasks {
						rec := objectos.Record{"points": tk["points"], "title": tk["title"], "project": tk["project"]}
						created, err := s.Create(ctx, "task", rec)
						if err != nil {
							requireCode(t, err, objectos.CodePermissionDenied)
							continue
						}
						wrote = append(wrote, tk["id"].(string))
						require.NoError(t, s.Delete(system(), "task", created.ID, objectos.WriteOptions{}))
					}
					slices.Sort(read)
					slices.Sort(wrote)
					assert.Equal(t, wrote, read, "user %d", u)
				}
			})
		}
	})
}

// TestPolicyLookupNewErrors: what New says of a path through a lookup it
// cannot follow.
func TestPolicyLookupNewErrors(t *testing.T) {
	cases := []struct {
		name, using, check, path, msg string
	}{
		{"typo", "project.ownr_id == current_user.id", "", "policies.p.using",
			"project is a lookup whose record has no field 'ownr_id' (did you mean 'owner_id'?)"},
		{"password", "project.api_token == 'x'", "", "policies.p.using", "has no field 'api_token'"},
		{"two hops", "project.parent.owner_id == current_user.id", "", "policies.p.using", "does not support field selection"},
		{"previous", "", "previous.project.owner_id == current_user.id", "policies.p.check", "not on previous"},
		{"not a lookup", "title.size == 1", "", "policies.p.using", "does not support field selection"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := lookupArtifact(&objectos.Policy{Name: "p", Object: "task", Operation: objectos.PolicyUpdate,
				Using: objectos.Expression(c.using), Check: objectos.Expression(c.check)})
			_, err := objectos.New(context.Background(), objectos.Options{Artifact: a, Store: testenv.Open(t, testenv.SQLite)})
			var ae *objectos.ArtifactError
			require.ErrorAs(t, err, &ae)
			i := slices.IndexFunc(ae.Problems, func(p objectos.Problem) bool { return p.Path == c.path })
			require.GreaterOrEqual(t, i, 0, "no problem at %s in %v", c.path, err)
			assert.Contains(t, ae.Problems[i].Message, c.msg)
		})
	}
	t.Run("validation rule", func(t *testing.T) {
		a := lookupArtifact()
		a.Objects[1].Validations = []*objectos.ValidationRule{{Name: "r", Type: "script", Condition: "project.budget < points", Message: "over budget"}}
		_, err := objectos.New(context.Background(), objectos.Options{Artifact: a, Store: testenv.Open(t, testenv.SQLite)})
		require.ErrorContains(t, err, "only row-level policies read the fields of a lookup's record")
	})
}

// TestREADMEPolicyThroughLookup: the README's example policies, on the
// objects it names, do what it says: the account's owner and the members
// of its team read its deals; only the owner creates, moves or deletes
// them.
func TestREADMEPolicyThroughLookup(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "**Through a lookup.**")
	require.True(t, ok, "the README has no example of a policy through a lookup")
	_, block, ok := strings.Cut(section, "```yaml\n")
	require.True(t, ok)
	block, _, _ = strings.Cut(block, "```\n")
	a, err := objectos.ParseArtifact([]byte(`name: readme
objects:
  - name: crm_account
    sharingModel: public_read_write
    fields:
      name: {type: text}
      team: {type: select, options: [{value: emea}, {value: apac}]}
  - name: crm_opportunity
    sharingModel: public_read_write
    fields:
      name: {type: text}
      account: {type: lookup, reference: crm_account}
permissionSets:
  - {name: sales, objects: {crm_account: {allowRead: true}, crm_opportunity: {allowRead: true, allowCreate: true, allowEdit: true, allowDelete: true}}}
  - {name: emea, objects: {}}
  - {name: apac, objects: {}}
` + block))
	require.NoError(t, err)
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newStack(t, st, a, func(o *objectos.Options) { o.Plugins = append(o.Plugins, security.New()) })
		acme, err := s.Create(system(), "crm_account", objectos.Record{"name": "Acme", "team": "emea", "owner_id": "olga"})
		require.NoError(t, err)
		deal, err := s.Create(system(), "crm_opportunity", objectos.Record{"name": "Big deal", "account": acme.ID})
		require.NoError(t, err)
		olga, ezra, pat := asUser("olga", "sales"), asUser("ezra", "sales", "emea"), asUser("pat", "sales", "apac")
		for who, n := range map[context.Context]int64{olga: 1, ezra: 1, pat: 0} {
			got, err := s.Count(who, "crm_opportunity", objectos.Query{})
			require.NoError(t, err)
			assert.Equal(t, n, got)
		}
		_, err = s.Create(olga, "crm_opportunity", objectos.Record{"name": "Another", "account": acme.ID})
		require.NoError(t, err)
		_, err = s.Create(ezra, "crm_opportunity", objectos.Record{"name": "Mine?", "account": acme.ID})
		requireCode(t, err, objectos.CodePermissionDenied)
		_, err = s.Update(ezra, "crm_opportunity", deal.ID, objectos.Record{"name": "renamed"}, objectos.WriteOptions{})
		requireCode(t, err, objectos.CodeRecordNotAccessible)
		require.NoError(t, s.Delete(olga, "crm_opportunity", deal.ID, objectos.WriteOptions{}))
	})
}

// TestPolicyLookupInBatch: in a CreateMany, a check that reads through a
// lookup to a record the batch creates reads that record as prepared (one
// created earlier in the batch), and does not allow the write when the
// record comes later: all are checked before any is stored, and the
// check of one created alone reads the stored record.
func TestPolicyLookupInBatch(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		a := &objectos.Artifact{Name: "tree", Objects: []*objectos.Object{{Name: "node", SharingModel: objectos.SharingPublicReadWrite,
			Fields: []*objectos.Field{{Name: "locked", Type: objectos.TypeBoolean}, {Name: "parent", Type: objectos.TypeLookup, Reference: "node"}}}},
			Policies: []*objectos.Policy{{Name: "unlocked_parent", Object: "node", Operation: objectos.PolicyInsert, Check: "!(parent.locked == true)"}}}
		s := newStack(t, st, a)
		u := asUser("u")
		locked, err := s.Create(u, "node", objectos.Record{"locked": true})
		require.NoError(t, err)
		_, err = s.Create(u, "node", objectos.Record{"parent": locked.ID})
		requireCode(t, err, objectos.CodePermissionDenied)

		_, err = s.CreateMany(u, "node", []objectos.Record{{"id": "x", "locked": true}, {"parent": "x"}})
		e := requireCode(t, err, objectos.CodePermissionDenied)
		assert.EqualValues(t, 1, e.Details["index"], "the child of a locked parent of the same batch")
		_, err = s.CreateMany(u, "node", []objectos.Record{{"parent": "y"}, {"id": "y"}})
		e = requireCode(t, err, objectos.CodePermissionDenied)
		assert.EqualValues(t, 0, e.Details["index"], "a parent the batch creates later cannot be read yet")
		res, err := s.CreateMany(u, "node", []objectos.Record{{"id": "z"}, {"parent": "z"}})
		require.NoError(t, err)
		assert.Len(t, res, 2)
		n, err := s.Count(system(), "node", objectos.Query{})
		require.NoError(t, err)
		assert.EqualValues(t, 3, n, "nothing of the refused batches was stored")
	})
}
