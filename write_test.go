package objectos_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

var uuidV7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestWriteSemantics(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		clk := newClock()
		s := newStack(t, st, crmArtifact(), func(o *objectos.Options) { o.Clock = clk.Now })
		alice := as("alice")

		t.Run("injected system fields", func(t *testing.T) {
			r := mustCreate(t, s, alice, "account", objectos.Record{"name": "Acme"})
			assert.Regexp(t, uuidV7, r.ID)
			assert.Equal(t, r.ID, r.Record["id"])
			assert.Equal(t, "2026-07-28T12:00:00.000Z", r.Record["created_at"])
			assert.Equal(t, "2026-07-28T12:00:00.000Z", r.Record["updated_at"])
			assert.Equal(t, "alice", r.Record["created_by"])
			assert.Equal(t, "alice", r.Record["updated_by"])
			assert.Equal(t, "alice", r.Record["owner_id"])
			assert.Equal(t, r.Record["updated_at"], r.Version)
			// ids are time-ordered
			r2 := mustCreate(t, s, alice, "account", objectos.Record{"name": "Later"})
			assert.Less(t, r.ID, r2.ID)
		})

		t.Run("caller supplied id", func(t *testing.T) {
			r := mustCreate(t, s, alice, "account", objectos.Record{"id": "acc-custom.1", "name": "Custom"})
			assert.Equal(t, "acc-custom.1", r.ID)
			_, err := s.Create(alice, "account", objectos.Record{"id": "bad id!", "name": "X"})
			e := requireCode(t, err, objectos.CodeValidationFailed)
			assert.Equal(t, "invalid_value", fieldCodes(e)["id"])
			_, err = s.Create(alice, "account", objectos.Record{"id": "acc-custom.1", "name": "Dup"})
			e = requireCode(t, err, objectos.CodeUniqueViolation)
			assert.Equal(t, "id", e.Details["field"])
		})

		t.Run("defaults apply when omitted, not when null", func(t *testing.T) {
			r := mustCreate(t, s, alice, "account", objectos.Record{"name": "Defaults"})
			assert.Equal(t, 3.0, r.Record["rating"])
			assert.Equal(t, "retail", r.Record["industry"])
			assert.Equal(t, "new", r.Record["status"])
			r = mustCreate(t, s, alice, "account", objectos.Record{"name": "Nulls", "rating": nil, "industry": nil})
			assert.Nil(t, r.Record["rating"])
			assert.Nil(t, r.Record["industry"])
		})

		t.Run("required on create and update", func(t *testing.T) {
			_, err := s.Create(alice, "account", objectos.Record{"website": "https://x.example"})
			e := requireCode(t, err, objectos.CodeValidationFailed)
			assert.Equal(t, map[string]string{"name": "required"}, fieldCodes(e))
			_, err = s.Create(alice, "account", objectos.Record{"name": nil})
			e = requireCode(t, err, objectos.CodeValidationFailed)
			assert.Equal(t, map[string]string{"name": "required"}, fieldCodes(e))
			r := mustCreate(t, s, alice, "account", objectos.Record{"name": "Req"})
			_, err = s.Update(alice, "account", r.ID, objectos.Record{"name": nil}, objectos.WriteOptions{})
			e = requireCode(t, err, objectos.CodeValidationFailed)
			assert.Equal(t, map[string]string{"name": "required"}, fieldCodes(e))
			// omitting a required field on update is fine
			_, err = s.Update(alice, "account", r.ID, objectos.Record{"website": "https://req.example"}, objectos.WriteOptions{})
			require.NoError(t, err)
		})

		t.Run("readonly and system fields are dropped and reported", func(t *testing.T) {
			r := mustCreate(t, s, alice, "account", objectos.Record{
				"name": "RO", "status": "hacked", "created_at": "2000-01-01T00:00:00.000Z", "created_by": "mallory",
				"number": "ACC-9999",
			})
			assert.ElementsMatch(t, []string{"status", "created_at", "created_by", "number"}, r.Dropped)
			assert.Equal(t, "new", r.Record["status"])
			assert.Equal(t, "alice", r.Record["created_by"])
			assert.NotEqual(t, "ACC-9999", r.Record["number"])
			u, err := s.Update(alice, "account", r.ID, objectos.Record{"id": "other", "status": "x", "updated_by": "m", "name": "RO2"}, objectos.WriteOptions{})
			require.NoError(t, err)
			assert.ElementsMatch(t, []string{"id", "status", "updated_by"}, u.Dropped)
			assert.Equal(t, r.ID, u.Record["id"])
			assert.Equal(t, "RO2", u.Record["name"])
			assert.Equal(t, "new", u.Record["status"])
		})

		t.Run("unknown fields are refused", func(t *testing.T) {
			_, err := s.Create(alice, "account", objectos.Record{"name": "U", "nmae": "x"})
			e := requireCode(t, err, objectos.CodeInvalidField)
			assert.Equal(t, "nmae", e.Details["field"])
			assert.Contains(t, e.Message, "Did you mean 'name'?")
			_, err = s.Create(alice, "account", objectos.Record{"name": "U", "a1": 1, "b2": 2})
			e = requireCode(t, err, objectos.CodeInvalidField)
			assert.Equal(t, []string{"a1", "b2"}, e.Details["fields"])
		})

		t.Run("every failing field is reported", func(t *testing.T) {
			_, err := s.Create(alice, "account", objectos.Record{
				"name":     "this name is definitely longer than fifty characters in total",
				"industry": "mining",
				"revenue":  -5.0,
				"website":  "not a url",
				"rating":   "five",
			})
			e := requireCode(t, err, objectos.CodeValidationFailed)
			assert.Equal(t, map[string]string{
				"name": "max_length", "industry": "invalid_option", "revenue": "min_value",
				"website": "invalid_url", "rating": "invalid_number",
			}, fieldCodes(e))
			assert.Equal(t, "account", e.Details["object"])
			_, err = s.Create(alice, "account", objectos.Record{"name": "Scale", "revenue": 1.234})
			e = requireCode(t, err, objectos.CodeValidationFailed)
			assert.Equal(t, map[string]string{"revenue": "max_scale"}, fieldCodes(e))
			_, err = s.Create(alice, "account", objectos.Record{"name": "nul\x00byte"})
			e = requireCode(t, err, objectos.CodeValidationFailed)
			assert.Equal(t, map[string]string{"name": "invalid_value"}, fieldCodes(e))
		})

		t.Run("lookups must exist", func(t *testing.T) {
			_, err := s.Create(alice, "contact", objectos.Record{"last_name": "Doe", "account": "missing-id"})
			e := requireCode(t, err, objectos.CodeValidationFailed)
			assert.Equal(t, map[string]string{"account": "reference_not_found"}, fieldCodes(e))
			acc := mustCreate(t, s, alice, "account", objectos.Record{"name": "Ref"})
			c := mustCreate(t, s, alice, "contact", objectos.Record{"last_name": "Doe", "account": acc.ID})
			assert.Equal(t, acc.ID, c.Record["account"])
			_, err = s.Update(alice, "contact", c.ID, objectos.Record{"account": "gone"}, objectos.WriteOptions{})
			requireCode(t, err, objectos.CodeValidationFailed)
		})

		t.Run("a value too long to index is a 4xx", func(t *testing.T) {
			// random text does not compress, so PostgreSQL's index row limit
			// (about 2.7 kB) is exceeded; SQLite has none
			var b strings.Builder
			for i := 0; i < 2000; i++ {
				fmt.Fprintf(&b, "%08x", rand.Uint32())
			}
			_, err := s.Create(alice, "account", objectos.Record{"name": "Long", "code": b.String()})
			if st.Dialect() == "pg" {
				e := requireCode(t, err, objectos.CodeValidationFailed)
				assert.Equal(t, 400, e.HTTPStatus())
			} else {
				require.NoError(t, err)
			}
		})

		t.Run("unique index", func(t *testing.T) {
			mustCreate(t, s, alice, "account", objectos.Record{"name": "U1", "code": "C-1"})
			_, err := s.Create(alice, "account", objectos.Record{"name": "U2", "code": "C-1"})
			e := requireCode(t, err, objectos.CodeUniqueViolation)
			assert.Equal(t, "code", e.Details["field"])
			assert.Equal(t, 409, e.HTTPStatus())
			assert.NotContains(t, e.Message, "uq_")
		})

		t.Run("autonumber", func(t *testing.T) {
			a := mustCreate(t, s, system(), "account", objectos.Record{"name": "N1"})
			b := mustCreate(t, s, alice, "account", objectos.Record{"name": "N2"})
			assert.Regexp(t, `^ACC-\d{4}$`, a.Record["number"])
			assert.NotEqual(t, a.Record["number"], b.Record["number"])
			// a failed create does not consume a number
			_, err := s.Create(alice, "account", objectos.Record{"name": "N3", "code": "C-1"})
			requireCode(t, err, objectos.CodeUniqueViolation)
			c := mustCreate(t, s, alice, "account", objectos.Record{"name": "N4"})
			var nb, nc int
			_, _ = fmtSscanf(b.Record["number"].(string), &nb)
			_, _ = fmtSscanf(c.Record["number"].(string), &nc)
			assert.Equal(t, nb+1, nc)
		})

		t.Run("optimistic concurrency", func(t *testing.T) {
			r := mustCreate(t, s, alice, "account", objectos.Record{"name": "V"})
			g, err := s.Get(alice, "account", r.ID, objectos.GetOptions{})
			require.NoError(t, err)
			assert.Equal(t, r.Version, g.Version)
			// two updates in the same millisecond still change the version
			u1, err := s.Update(alice, "account", r.ID, objectos.Record{"name": "V1"}, objectos.WriteOptions{IfMatch: `"` + g.Version + `"`})
			require.NoError(t, err)
			assert.NotEqual(t, g.Version, u1.Version)
			_, err = s.Update(alice, "account", r.ID, objectos.Record{"name": "V2"}, objectos.WriteOptions{IfMatch: g.Version})
			e := requireCode(t, err, objectos.CodeConcurrentUpdate)
			assert.Equal(t, u1.Version, e.Details["currentVersion"])
			err = s.Delete(alice, "account", r.ID, objectos.WriteOptions{IfMatch: g.Version})
			requireCode(t, err, objectos.CodeConcurrentUpdate)
			u2, err := s.Update(alice, "account", r.ID, objectos.Record{"name": "V2"}, objectos.WriteOptions{IfMatch: "W/\"" + u1.Version + "\""})
			require.NoError(t, err)
			assert.Greater(t, u2.Version, u1.Version)
			g, err = s.Get(alice, "account", r.ID, objectos.GetOptions{})
			require.NoError(t, err)
			assert.Equal(t, "V2", g.Record["name"])
			require.NoError(t, s.Delete(alice, "account", r.ID, objectos.WriteOptions{IfMatch: u2.Version}))
		})

		t.Run("delete behaviours", func(t *testing.T) {
			acc := mustCreate(t, s, alice, "account", objectos.Record{"name": "Parent"})
			child := mustCreate(t, s, alice, "account", objectos.Record{"name": "Child", "parent": acc.ID})
			contact := mustCreate(t, s, alice, "contact", objectos.Record{"last_name": "SetNull", "account": acc.ID})
			note := mustCreate(t, s, alice, "note", objectos.Record{"body": "cascade", "account": acc.ID})
			tag := mustCreate(t, s, alice, "note_tag", objectos.Record{"label": "t", "note": note.ID})
			deal := mustCreate(t, s, alice, "deal", objectos.Record{"name": "Blocker", "account": acc.ID})

			err := s.Delete(alice, "account", acc.ID, objectos.WriteOptions{})
			e := requireCode(t, err, objectos.CodeDeleteRestricted)
			assert.Equal(t, "deal", e.Details["dependentObject"])
			assert.EqualValues(t, 1, e.Details["dependentCount"])
			// nothing changed
			for obj, id := range map[string]string{"account": acc.ID, "contact": contact.ID, "note": note.ID, "note_tag": tag.ID} {
				_, err := s.Get(alice, obj, id, objectos.GetOptions{})
				require.NoError(t, err, obj)
			}
			c, _ := s.Get(alice, "contact", contact.ID, objectos.GetOptions{})
			assert.Equal(t, acc.ID, c.Record["account"])

			require.NoError(t, s.Delete(alice, "deal", deal.ID, objectos.WriteOptions{}))
			require.NoError(t, s.Delete(alice, "account", acc.ID, objectos.WriteOptions{}))
			c, err = s.Get(alice, "contact", contact.ID, objectos.GetOptions{})
			require.NoError(t, err)
			assert.Nil(t, c.Record["account"], "set_null")
			ch, err := s.Get(alice, "account", child.ID, objectos.GetOptions{})
			require.NoError(t, err)
			assert.Nil(t, ch.Record["parent"], "self reference set_null")
			_, err = s.Get(alice, "note", note.ID, objectos.GetOptions{})
			requireCode(t, err, objectos.CodeRecordNotFound) // master_detail cascades
			_, err = s.Get(alice, "note_tag", tag.ID, objectos.GetOptions{})
			requireCode(t, err, objectos.CodeRecordNotFound) // and further down
		})

		t.Run("a failed multi-step write leaves nothing behind", func(t *testing.T) {
			acc := mustCreate(t, s, alice, "account", objectos.Record{"name": "Deep"})
			note := mustCreate(t, s, alice, "note", objectos.Record{"body": "n", "account": acc.ID})
			deal := mustCreate(t, s, alice, "deal", objectos.Record{"name": "d", "account": acc.ID})
			tag := mustCreate(t, s, alice, "note_tag", objectos.Record{"label": "x", "note": note.ID, "pinned_deal": deal.ID})
			require.NoError(t, s.Delete(alice, "note_tag", tag.ID, objectos.WriteOptions{}))
			tag = mustCreate(t, s, alice, "note_tag", objectos.Record{"label": "x", "note": note.ID})
			// account -> note (cascade) -> note_tag (cascade); deal restricts the account
			err := s.Delete(alice, "account", acc.ID, objectos.WriteOptions{})
			requireCode(t, err, objectos.CodeDeleteRestricted)
			for obj, id := range map[string]string{"account": acc.ID, "note": note.ID, "note_tag": tag.ID} {
				_, err := s.Get(alice, obj, id, objectos.GetOptions{})
				require.NoError(t, err, "%s must survive the failed cascade", obj)
			}
			// a transaction spanning several creates rolls back as a whole
			boom := errors.New("boom")
			err = s.Transact(alice, func(ctx context.Context) error {
				mustCreate(t, s, ctx, "account", objectos.Record{"name": "TxA"})
				mustCreate(t, s, ctx, "account", objectos.Record{"name": "TxB"})
				return boom
			})
			require.ErrorIs(t, err, boom)
			n, err := s.Count(alice, "account", objectos.Query{Filter: objectos.Where("name", objectos.OpIn, []any{"TxA", "TxB"})})
			require.NoError(t, err)
			assert.Zero(t, n)
		})

		t.Run("not found and bad ids", func(t *testing.T) {
			_, err := s.Get(alice, "account", "nope", objectos.GetOptions{})
			requireCode(t, err, objectos.CodeRecordNotFound)
			_, err = s.Get(alice, "account", "../../etc", objectos.GetOptions{})
			requireCode(t, err, objectos.CodeRecordNotFound)
			_, err = s.Update(alice, "account", "nope", objectos.Record{"name": "x"}, objectos.WriteOptions{})
			requireCode(t, err, objectos.CodeRecordNotFound)
			err = s.Delete(alice, "account", "nope", objectos.WriteOptions{})
			requireCode(t, err, objectos.CodeRecordNotFound)
			_, err = s.Get(alice, "nothing", "x", objectos.GetOptions{})
			requireCode(t, err, objectos.CodeObjectNotFound)
			_, err = s.Get(context.Background(), "account", "x", objectos.GetOptions{})
			requireCode(t, err, objectos.CodeUnauthenticated)
		})
	})
}

func TestHooksRunInTheTransaction(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		var calls []string
		hooks := []objectos.Hook{
			{Object: "account", Events: []objectos.HookEvent{objectos.BeforeCreate, objectos.BeforeUpdate}, Func: func(ctx context.Context, h *objectos.HookContext) error {
				calls = append(calls, string(h.Event))
				if h.Input["name"] == "upper" {
					h.Input["name"] = "UPPER"
				}
				if h.Input["name"] == "invalid-from-hook" {
					h.Input["revenue"] = -1.0
				}
				return nil
			}},
			{Object: "*", Events: []objectos.HookEvent{objectos.AfterCreate}, Func: func(ctx context.Context, h *objectos.HookContext) error {
				calls = append(calls, "after:"+h.Object.Name)
				if h.Result["name"] == "fail-after" {
					return objectos.Errorf(objectos.CodeValidationFailed, "rejected by hook")
				}
				return nil
			}},
		}
		s := newStack(t, st, crmArtifact(), func(o *objectos.Options) { o.Hooks = hooks })
		r := mustCreate(t, s, as("u"), "account", objectos.Record{"name": "upper"})
		assert.Equal(t, "UPPER", r.Record["name"])
		assert.Equal(t, []string{"beforeCreate", "after:account"}, calls)

		_, err := s.Create(as("u"), "account", objectos.Record{"name": "invalid-from-hook"})
		e := requireCode(t, err, objectos.CodeValidationFailed)
		assert.Equal(t, "min_value", fieldCodes(e)["revenue"])

		_, err = s.Create(as("u"), "account", objectos.Record{"name": "fail-after"})
		requireCode(t, err, objectos.CodeValidationFailed)
		n, err := s.Count(as("u"), "account", objectos.Query{Filter: objectos.Eq("name", "fail-after")})
		require.NoError(t, err)
		assert.Zero(t, n, "the insert rolled back with the failing after hook")
	})
}

func TestUpdatedAtIsMonotonic(t *testing.T) {
	st := testenv.Open(t, testenv.SQLite)
	clk := newClock()
	s := newStack(t, st, crmArtifact(), func(o *objectos.Options) { o.Clock = clk.Now })
	r := mustCreate(t, s, as("u"), "account", objectos.Record{"name": "M"})
	clk.Advance(-time.Hour) // a replica with a slow clock
	u, err := s.Update(as("u"), "account", r.ID, objectos.Record{"name": "M2"}, objectos.WriteOptions{})
	require.NoError(t, err)
	assert.Greater(t, u.Version, r.Version)
}

func TestCreateMany(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		var calls []string
		hooks := []objectos.Hook{{Object: "account", Events: []objectos.HookEvent{objectos.BeforeCreate, objectos.AfterCreate},
			Func: func(ctx context.Context, h *objectos.HookContext) error {
				calls = append(calls, string(h.Event)+":"+fmt.Sprint(h.Input["name"]))
				return nil
			}}}
		s := newStack(t, st, crmArtifact(), func(o *objectos.Options) { o.Hooks = hooks })
		ctx := as("u")
		count := func() int64 {
			t.Helper()
			n, err := s.Count(ctx, "account", objectos.Query{})
			require.NoError(t, err)
			return n
		}

		// Many rows (more than one multi-row statement), defaults, autonumbers,
		// owners and hooks, as a single create gives them.
		var data []objectos.Record
		for i := range 1500 {
			rec := objectos.Record{"name": fmt.Sprintf("n%04d", i)}
			if i%2 == 0 {
				rec["revenue"] = float64(i)
			}
			data = append(data, rec)
		}
		res, err := s.CreateMany(ctx, "account", data)
		require.NoError(t, err)
		require.Len(t, res, 1500)
		assert.EqualValues(t, 1500, count())
		assert.Len(t, calls, 3000)
		assert.Equal(t, "beforeCreate:n0000", calls[0])
		assert.Equal(t, "afterCreate:n1499", calls[2999])
		got, err := s.Get(ctx, "account", res[1499].ID, objectos.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, "n1499", got.Record["name"])
		assert.Nil(t, got.Record["revenue"])
		assert.Equal(t, "retail", got.Record["industry"], "the default")
		assert.Equal(t, "u", got.Record["owner_id"])
		assert.Equal(t, "ACC-1500", got.Record["number"])
		assert.Equal(t, res[1499].Record, got.Record)

		// All or nothing, and the error names the record.
		for name, tc := range map[string]struct {
			data  []objectos.Record
			index int
			code  objectos.Code
		}{
			"invalid value":           {[]objectos.Record{{"name": "ok"}, {"name": "bad", "revenue": -1.0}}, 1, objectos.CodeValidationFailed},
			"unique within the batch": {[]objectos.Record{{"name": "a", "code": "same"}, {"name": "b"}, {"name": "c", "code": "same"}}, 2, objectos.CodeUniqueViolation},
			"id taken":                {[]objectos.Record{{"name": "a"}, {"id": res[7].ID, "name": "b"}}, 1, objectos.CodeUniqueViolation},
			"unknown field":           {[]objectos.Record{{"name": "a", "nope": 1}}, 0, objectos.CodeInvalidField},
			"reference to nothing":    {[]objectos.Record{{"name": "a"}, {"name": "b", "parent": "missing"}}, 1, objectos.CodeValidationFailed},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := s.CreateMany(ctx, "account", tc.data)
				e := requireCode(t, err, tc.code)
				assert.Equal(t, tc.index, e.Details["index"], e.Message)
				assert.EqualValues(t, 1500, count())
			})
		}
		res, err = s.CreateMany(ctx, "account", nil)
		require.NoError(t, err)
		assert.Empty(t, res)
	})
}

// CreateMany checks the references of all its records with one query per
// referenced object, under the caller's access, and accepts references to
// records the batch itself creates.
func TestCreateManyReferences(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newStack(t, st, crmArtifact(), func(o *objectos.Options) {
			o.Plugins = []objectos.Plugin{&publicReadOwnerWrite{}}
		})
		alice, bob := as("alice"), as("bob")
		a := mustCreate(t, s, alice, "account", objectos.Record{"name": "Alice Co"})
		res, err := s.CreateMany(bob, "contact", []objectos.Record{
			{"last_name": "One", "account": a.ID}, {"last_name": "Two", "account": a.ID}, {"last_name": "Three"},
		})
		require.NoError(t, err, "accounts are public_read")
		assert.Equal(t, a.ID, res[1].Record["account"])

		_, err = s.CreateMany(bob, "contact", []objectos.Record{{"last_name": "x", "account": a.ID}, {"last_name": "y", "account": "missing"}})
		e := requireCode(t, err, objectos.CodeValidationFailed)
		assert.Equal(t, 1, e.Details["index"])
		assert.Equal(t, "reference_not_found", fieldCodes(e)["account"])

		// a parent created in the same batch, listed first
		res, err = s.CreateMany(bob, "account", []objectos.Record{
			{"id": "parent-1", "name": "Parent"}, {"name": "Child", "parent": "parent-1"},
		})
		require.NoError(t, err)
		assert.Equal(t, "parent-1", res[1].Record["parent"])
	})
}

// countingStore counts the transactions the engine opens.
type countingStore struct {
	objectos.Store
	txs atomic.Int64
}

func (c *countingStore) Transact(ctx context.Context, fn func(tx objectos.Tx) error) error {
	c.txs.Add(1)
	return c.Store.Transact(ctx, fn)
}

// TestCreateIsOneStatement: a create that writes one row and nothing else
// runs without a transaction of its own (one round trip, not three); a
// hook or an autonumber brings the transaction back, and a create inside
// the caller's transaction joins it.
func TestCreateIsOneStatement(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		ctx := objectos.AsSystem(context.Background())
		cs := &countingStore{Store: st}
		a := &objectos.Artifact{Name: "one", Objects: []*objectos.Object{
			{Name: "plain", Fields: []*objectos.Field{{Name: "name", Type: objectos.TypeText}}},
			{Name: "numbered", Fields: []*objectos.Field{{Name: "no", Type: objectos.TypeAutonumber, AutonumberFormat: "N-{0000}"}}},
			{Name: "hooked", Fields: []*objectos.Field{{Name: "name", Type: objectos.TypeText}}},
		}}
		s, err := objectos.New(context.Background(), objectos.Options{Artifact: a, Store: cs, Hooks: []objectos.Hook{{Object: "hooked",
			Events: []objectos.HookEvent{objectos.AfterCreate}, Func: func(context.Context, *objectos.HookContext) error { return nil }}}})
		require.NoError(t, err)
		for object, want := range map[string]int64{"plain": 0, "numbered": 1, "hooked": 1} {
			before := cs.txs.Load()
			_, err := s.Create(ctx, object, objectos.Record{})
			require.NoError(t, err)
			assert.Equal(t, want, cs.txs.Load()-before, object)
		}
		before := cs.txs.Load()
		require.NoError(t, s.Transact(ctx, func(ctx context.Context) error {
			_, err := s.Create(ctx, "plain", objectos.Record{"name": "in a transaction"})
			return err
		}))
		assert.EqualValues(t, 1, cs.txs.Load()-before, "joins the caller's transaction")
	})
}
