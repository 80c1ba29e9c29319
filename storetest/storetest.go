// Package storetest is the conformance suite of [objectos.Store]: every
// implementation must pass it, as the store package's SQLite and PostgreSQL
// stores do. Run it from the implementation's own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) objectos.Store {
//			st := openAnEmptyDatabase(t) // one per call
//			t.Cleanup(func() { st.Close() })
//			return st
//		})
//	}
//
// The suite checks the Store contract as the engine relies on it: schema
// sync (additive, refusing unsafe changes), the canonical value of every
// field kind, reads with fields, sorts (NULL smallest), pages and keyset
// continuation, counts, updates and deletes, transactions, sequences,
// savepoints where offered, aggregates where offered (the Aggregator through
// a Stack: groups, date buckets, NULL rules, filters, having, sorts and pages),
// error translation, and the upstream ObjectQL
// filter and sorting vectors (testdata/filters.json) run through a Stack
// built on the store.
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
)

// Run runs the suite. open must return a new, empty store each time it is
// called (its own database or schema), closed by a cleanup it registers.
func Run(t *testing.T, open func(t *testing.T) objectos.Store) {
	t.Run("Sync", func(t *testing.T) { testSync(t, open(t)) })
	t.Run("Types", func(t *testing.T) { testTypes(t, open(t)) })
	t.Run("FindSortPage", func(t *testing.T) { testFindSortPage(t, open(t)) })
	t.Run("TextOrder", func(t *testing.T) { testTextOrder(t, open(t)) })
	t.Run("CountUpdateDelete", func(t *testing.T) { testCountUpdateDelete(t, open(t)) })
	t.Run("Transactions", func(t *testing.T) { testTransactions(t, open(t)) })
	t.Run("Errors", func(t *testing.T) { testErrors(t, open(t)) })
	t.Run("BatchInsert", func(t *testing.T) { testBatchInsert(t, open(t)) })
	t.Run("Aggregate", func(t *testing.T) { testAggregate(t, open(t)) })
	t.Run("FilterVectors", func(t *testing.T) { testFilterVectors(t, open(t)) })
	t.Run("SortingVectors", func(t *testing.T) { testSortingVectors(t, open(t)) })
}

var epoch = time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC)

// stack syncs the artifact into the store and returns the Stack, whose
// resolved objects (with their system fields) the Tx checks use.
func stack(t *testing.T, st objectos.Store, a *objectos.Artifact) *objectos.Stack {
	t.Helper()
	s, err := objectos.New(context.Background(), objectos.Options{Artifact: a, Store: st, Clock: func() time.Time { return epoch }})
	require.NoError(t, err)
	return s
}

func obj(name string, fields ...*objectos.Field) *objectos.Object {
	return &objectos.Object{Name: name, Ownership: objectos.OwnershipNone, Fields: fields}
}

func ids(rows []objectos.Record) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i], _ = r[objectos.FieldID].(string)
	}
	return out
}

func testSync(t *testing.T, st objectos.Store) {
	ctx := context.Background()
	v1 := &objectos.Artifact{Objects: []*objectos.Object{obj("thing", &objectos.Field{Name: "name", Type: objectos.TypeText})}}
	s := stack(t, st, v1)
	require.NoError(t, st.Ping(ctx))
	require.NoError(t, st.Insert(ctx, s.Object("thing"), objectos.Record{"id": "t1", "name": "kept"}))

	// Additive changes apply and keep the data; syncing twice is a no-op.
	v2 := &objectos.Artifact{Objects: []*objectos.Object{
		obj("thing", &objectos.Field{Name: "name", Type: objectos.TypeText}, &objectos.Field{Name: "extra", Type: objectos.TypeNumber}),
		obj("other", &objectos.Field{Name: "x", Type: objectos.TypeText}),
	}}
	stack(t, st, v2)
	s = stack(t, st, v2) // a second sync of the same objects changes nothing
	rows, err := st.Find(ctx, s.Object("thing"), &objectos.Select{})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.Equal(t, "kept", rows[0]["name"])
	assert.Nil(t, rows[0]["extra"])
	require.NoError(t, st.Insert(ctx, s.Object("thing"), objectos.Record{"id": "t2", "name": "new", "extra": 1.5}))
	require.NoError(t, st.Insert(ctx, s.Object("other"), objectos.Record{"id": "o1", "x": "y"}))

	// A type change is refused, naming the object and the field.
	v3 := &objectos.Artifact{Objects: []*objectos.Object{obj("thing", &objectos.Field{Name: "name", Type: objectos.TypeNumber})}}
	_, err = objectos.New(ctx, objectos.Options{Artifact: v3, Store: st})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "thing")
	assert.Contains(t, err.Error(), "name")
	// ... and a new required field without a default on a table with rows.
	v4 := &objectos.Artifact{Objects: []*objectos.Object{obj("thing",
		&objectos.Field{Name: "name", Type: objectos.TypeText}, &objectos.Field{Name: "must", Type: objectos.TypeText, Required: true})}}
	_, err = objectos.New(ctx, objectos.Options{Artifact: v4, Store: st})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "must")
	n, err := st.Count(ctx, s.Object("thing"), nil)
	require.NoError(t, err)
	assert.EqualValues(t, 2, n, "a refused sync changes nothing")
}

// typedObject has one field of every kind.
func typedObject() *objectos.Object {
	return obj("typed",
		&objectos.Field{Name: "text", Type: objectos.TypeText},
		&objectos.Field{Name: "number", Type: objectos.TypeNumber},
		&objectos.Field{Name: "flag", Type: objectos.TypeBoolean},
		&objectos.Field{Name: "day", Type: objectos.TypeDate},
		&objectos.Field{Name: "at", Type: objectos.TypeDatetime},
		&objectos.Field{Name: "clock", Type: objectos.TypeTime},
		&objectos.Field{Name: "choice", Type: objectos.TypeSelect, Options: []objectos.Option{{Value: "a"}, {Value: "b"}}},
		&objectos.Field{Name: "tags", Type: objectos.TypeTags},
		&objectos.Field{Name: "doc", Type: objectos.TypeJSON},
		&objectos.Field{Name: "ref", Type: objectos.TypeLookup, Reference: "typed"},
		&objectos.Field{Name: "seq", Type: objectos.TypeAutonumber},
	)
}

func testTypes(t *testing.T, st objectos.Store) {
	ctx := context.Background()
	s := stack(t, st, &objectos.Artifact{Objects: []*objectos.Object{typedObject()}})
	o := s.Object("typed")
	at := time.Date(2024, 3, 15, 14, 30, 5, 123e6, time.UTC)
	full := objectos.Record{
		"id": "full", "text": "héllo, 'quoted' %_ text", "number": -1234.5678, "flag": true, "day": "2024-03-15",
		"at": at, "clock": "14:30:05", "choice": "b", "tags": []string{"x", "y z"},
		"doc": json.RawMessage(`{"b":[1,2.5,"three"],"a":{"nested":true}}`), "ref": nil, "seq": "0001",
		"created_at": at, "updated_at": at,
	}
	require.NoError(t, st.Insert(ctx, o, full))
	nulls := objectos.Record{"id": "nulls", "ref": "full"}
	require.NoError(t, st.Insert(ctx, o, nulls))
	fractional := objectos.Record{"id": "frac", "clock": "08:05:00.250", "flag": false, "number": 0.0, "tags": []string{}, "doc": json.RawMessage(`null`)}
	require.NoError(t, st.Insert(ctx, o, fractional))

	rows, err := st.Find(ctx, o, &objectos.Select{Sort: []objectos.SortKey{{Field: "id"}}})
	require.NoError(t, err)
	require.Len(t, rows, 3)
	byID := map[string]objectos.Record{}
	for _, r := range rows {
		byID[r["id"].(string)] = r
	}
	got := byID["full"]
	for _, k := range []string{"text", "number", "flag", "day", "clock", "choice", "tags", "seq"} {
		assert.Equal(t, full[k], got[k], k)
	}
	gotAt, ok := got["at"].(time.Time)
	require.True(t, ok, "a datetime is a time.Time, not %T", got["at"])
	assert.True(t, at.Equal(gotAt), "datetime %v", gotAt)
	assert.Equal(t, time.UTC, gotAt.Location())
	doc, ok := got["doc"].(json.RawMessage)
	require.True(t, ok, "json is a json.RawMessage, not %T", got["doc"])
	assert.JSONEq(t, string(full["doc"].(json.RawMessage)), string(doc))

	for k := range full {
		if k == "id" || k == "ref" {
			continue
		}
		assert.Nil(t, byID["nulls"][k], "NULL %s", k)
	}
	assert.Equal(t, "full", byID["nulls"]["ref"])
	assert.Equal(t, "08:05:00.250", byID["frac"]["clock"])
	assert.Equal(t, false, byID["frac"]["flag"])
	assert.Equal(t, 0.0, byID["frac"]["number"])
	assert.Equal(t, []string{}, byID["frac"]["tags"])
}

// rowObject is the fixture of the read checks: n is NULL on two rows.
func rowFixture(t *testing.T, st objectos.Store) (*objectos.Stack, *objectos.Object) {
	t.Helper()
	s := stack(t, st, &objectos.Artifact{Objects: []*objectos.Object{obj("row",
		&objectos.Field{Name: "n", Type: objectos.TypeNumber},
		&objectos.Field{Name: "s", Type: objectos.TypeText},
	)}})
	o := s.Object("row")
	for i, r := range []objectos.Record{
		{"id": "r1", "n": 3.0, "s": "c"},
		{"id": "r2", "n": nil, "s": "a"},
		{"id": "r3", "n": 1.0, "s": nil},
		{"id": "r4", "n": 3.0, "s": "b"},
		{"id": "r5", "n": nil, "s": "e"},
		{"id": "r6", "n": -2.0, "s": "d"},
	} {
		require.NoError(t, st.Insert(context.Background(), o, r), "row %d", i)
	}
	return s, o
}

func testFindSortPage(t *testing.T, st objectos.Store) {
	ctx := context.Background()
	_, o := rowFixture(t, st)
	find := func(sel *objectos.Select) []objectos.Record {
		t.Helper()
		rows, err := st.Find(ctx, o, sel)
		require.NoError(t, err)
		return rows
	}
	asc := []objectos.SortKey{{Field: "n"}, {Field: "id"}}
	desc := []objectos.SortKey{{Field: "n", Desc: true}, {Field: "id", Desc: true}}
	ascOrder := []string{"r2", "r5", "r6", "r3", "r1", "r4"}
	descOrder := []string{"r4", "r1", "r3", "r6", "r5", "r2"}
	assert.Equal(t, ascOrder, ids(find(&objectos.Select{Sort: asc})), "NULL sorts first ascending")
	assert.Equal(t, descOrder, ids(find(&objectos.Select{Sort: desc})), "NULL sorts last descending")
	assert.Equal(t, []string{"r6", "r3"}, ids(find(&objectos.Select{Sort: asc, Limit: 2, Offset: 2})))
	assert.Equal(t, []string{"r3", "r2"}, ids(find(&objectos.Select{Sort: []objectos.SortKey{{Field: "s"}, {Field: "id"}}, Limit: 2})),
		"NULL text sorts first")

	// Keyset continuation: After holds the sort values of the last row seen.
	for name, keys := range map[string][]objectos.SortKey{"asc": asc, "desc": desc} {
		want := ascOrder
		if name == "desc" {
			want = descOrder
		}
		var walked []string
		var after []any
		for i := 0; i < 10; i++ {
			page := find(&objectos.Select{Sort: keys, After: after, Limit: 2, Fields: []string{"id", "n"}})
			if len(page) == 0 {
				break
			}
			walked = append(walked, ids(page)...)
			last := page[len(page)-1]
			after = []any{last["n"], last["id"]}
		}
		assert.Equal(t, want, walked, "keyset walk %s", name)
	}

	// Fields narrows the read; a filter selects rows.
	rows := find(&objectos.Select{Fields: []string{"s"}, Where: bind(t, o, objectos.Eq("id", "r1"))})
	require.Len(t, rows, 1)
	assert.Equal(t, "c", rows[0]["s"])
	assert.NotContains(t, rows[0], "n")
	rows = find(&objectos.Select{Where: bind(t, o, objectos.Where("n", objectos.OpGte, 1.0)), Sort: asc})
	assert.Equal(t, []string{"r3", "r1", "r4"}, ids(rows))
	assert.Empty(t, find(&objectos.Select{Where: bind(t, o, objectos.Eq("id", "nope"))}))
}

// testTextOrder: text compares and sorts by its bytes, whatever the
// database's locale, so every store gives the same records in the same
// order (and cursors stay stable).
func testTextOrder(t *testing.T, st objectos.Store) {
	ctx := context.Background()
	s := stack(t, st, &objectos.Artifact{Objects: []*objectos.Object{obj("word",
		&objectos.Field{Name: "w", Type: objectos.TypeText, Unique: true})}})
	o := s.Object("word")
	for i, w := range []string{"b", "B", "a", "_x", "Z", "é", "ab", "A b"} {
		require.NoError(t, st.Insert(ctx, o, objectos.Record{"id": fmt.Sprintf("w%d", i), "w": w}))
	}
	words := func(sel *objectos.Select) []string {
		t.Helper()
		rows, err := st.Find(ctx, o, sel)
		require.NoError(t, err)
		out := make([]string, len(rows))
		for i, r := range rows {
			out[i], _ = r["w"].(string)
		}
		return out
	}
	byW := []objectos.SortKey{{Field: "w"}, {Field: "id"}}
	assert.Equal(t, []string{"A b", "B", "Z", "_x", "a", "ab", "b", "é"}, words(&objectos.Select{Sort: byW}))
	assert.Equal(t, []string{"ab", "b", "é"}, words(&objectos.Select{Where: bind(t, o, objectos.Where("w", objectos.OpGt, "a")), Sort: byW}))
	assert.Equal(t, []string{"B", "Z", "_x"}, words(&objectos.Select{
		Where: bind(t, o, objectos.And(objectos.Where("w", objectos.OpGte, "B"), objectos.Where("w", objectos.OpLt, "a"))), Sort: byW}))
	// case-sensitive uniqueness: "b" and "B" are two values
	err := st.Insert(ctx, o, objectos.Record{"id": "dup", "w": "b"})
	assert.Equal(t, objectos.CodeUniqueViolation, objectos.AsError(err).Code)
}

func testCountUpdateDelete(t *testing.T, st objectos.Store) {
	ctx := context.Background()
	_, o := rowFixture(t, st)
	count := func(where *objectos.Filter) int64 {
		t.Helper()
		n, err := st.Count(ctx, o, where)
		require.NoError(t, err)
		return n
	}
	assert.EqualValues(t, 6, count(nil))
	assert.EqualValues(t, 2, count(bind(t, o, objectos.Eq("n", 3.0))))
	assert.EqualValues(t, 2, count(bind(t, o, objectos.Eq("n", nil))))

	n, err := st.Update(ctx, o, bind(t, o, objectos.Eq("n", 3.0)), objectos.Record{"s": "three"})
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)
	assert.EqualValues(t, 2, count(bind(t, o, objectos.Eq("s", "three"))))
	n, err = st.Update(ctx, o, bind(t, o, objectos.Eq("id", "nope")), objectos.Record{"s": "x"})
	require.NoError(t, err)
	assert.Zero(t, n)
	n, err = st.Update(ctx, o, bind(t, o, objectos.Eq("id", "r2")), objectos.Record{"n": 7.0, "s": nil})
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	rows, err := st.Find(ctx, o, &objectos.Select{Where: bind(t, o, objectos.Eq("id", "r2"))})
	require.NoError(t, err)
	assert.Equal(t, 7.0, rows[0]["n"])
	assert.Nil(t, rows[0]["s"])

	n, err = st.Delete(ctx, o, bind(t, o, objectos.Where("n", objectos.OpLt, 2.0)))
	require.NoError(t, err)
	assert.EqualValues(t, 2, n) // r3 (1) and r6 (-2); NULLs do not compare
	assert.EqualValues(t, 4, count(nil))
}

func testTransactions(t *testing.T, st objectos.Store) {
	ctx := context.Background()
	_, o := rowFixture(t, st)
	count := func() int64 {
		t.Helper()
		n, err := st.Count(ctx, o, nil)
		require.NoError(t, err)
		return n
	}
	require.NoError(t, st.Transact(ctx, func(tx objectos.Tx) error {
		if err := tx.Insert(ctx, o, objectos.Record{"id": "in-tx", "n": 9.0}); err != nil {
			return err
		}
		rows, err := tx.Find(ctx, o, &objectos.Select{Where: bind(t, o, objectos.Eq("id", "in-tx")), Lock: true})
		if err != nil {
			return err
		}
		if len(rows) != 1 {
			return fmt.Errorf("the transaction does not see its own insert")
		}
		return nil
	}))
	assert.EqualValues(t, 7, count(), "committed")

	seq := func(tx objectos.Tx, name string) int64 {
		t.Helper()
		v, err := tx.NextSequence(ctx, name)
		require.NoError(t, err)
		return v
	}
	assert.EqualValues(t, 1, seq(st, "a"))
	assert.EqualValues(t, 2, seq(st, "a"))
	assert.EqualValues(t, 1, seq(st, "b"), "sequences are independent")

	boom := fmt.Errorf("boom")
	err := st.Transact(ctx, func(tx objectos.Tx) error {
		if err := tx.Insert(ctx, o, objectos.Record{"id": "rolled-back"}); err != nil {
			return err
		}
		if _, err := tx.Update(ctx, o, nil, objectos.Record{"s": "gone"}); err != nil {
			return err
		}
		assert.EqualValues(t, 3, seq(tx, "a"))
		return boom
	})
	require.ErrorIs(t, err, boom)
	assert.EqualValues(t, 7, count(), "rolled back")
	n, err := st.Count(ctx, o, bind(t, o, objectos.Eq("s", "gone")))
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.EqualValues(t, 3, seq(st, "a"), "a rollback returns the number")

	// A store that offers savepoints undoes only the failed part.
	offered := false
	require.NoError(t, st.Transact(ctx, func(tx objectos.Tx) error {
		sp, ok := tx.(objectos.Savepointer)
		if !ok {
			return nil
		}
		offered = true
		if err := tx.Insert(ctx, o, objectos.Record{"id": "outer"}); err != nil {
			return err
		}
		err := sp.Savepoint(ctx, func() error {
			if err := tx.Insert(ctx, o, objectos.Record{"id": "inner"}); err != nil {
				return err
			}
			return tx.Insert(ctx, o, objectos.Record{"id": "outer"}) // a duplicate id fails
		})
		if err == nil {
			return fmt.Errorf("the duplicate insert in the savepoint succeeded")
		}
		return sp.Savepoint(ctx, func() error { return tx.Insert(ctx, o, objectos.Record{"id": "after"}) })
	}))
	if !offered {
		t.Log("the store offers no savepoints")
		return
	}
	rows, err := st.Find(ctx, o, &objectos.Select{Where: bind(t, o, objectos.Where("id", objectos.OpIn, []any{"outer", "inner", "after"})),
		Sort: []objectos.SortKey{{Field: "id"}}})
	require.NoError(t, err)
	assert.Equal(t, []string{"after", "outer"}, ids(rows), "the failed savepoint left nothing, the rest committed")
}

func testErrors(t *testing.T, st objectos.Store) {
	ctx := context.Background()
	s := stack(t, st, &objectos.Artifact{Objects: []*objectos.Object{
		obj("parent", &objectos.Field{Name: "code", Type: objectos.TypeText, Unique: true}),
		obj("child", &objectos.Field{Name: "parent", Type: objectos.TypeLookup, Reference: "parent"}),
	}})
	p, c := s.Object("parent"), s.Object("child")
	require.NoError(t, st.Insert(ctx, p, objectos.Record{"id": "p1", "code": "A"}))

	err := st.Insert(ctx, p, objectos.Record{"id": "p2", "code": "A"})
	e := objectos.AsError(err)
	assert.Equal(t, objectos.CodeUniqueViolation, e.Code, "%v", err)
	assert.Equal(t, "code", e.Details["field"])
	err = st.Insert(ctx, p, objectos.Record{"id": "p1", "code": "B"})
	assert.Equal(t, objectos.CodeUniqueViolation, objectos.AsError(err).Code, "a duplicate id")

	err = st.Insert(ctx, c, objectos.Record{"id": "c1", "parent": "missing"})
	assert.Equal(t, objectos.CodeValidationFailed, objectos.AsError(err).Code, "a foreign key: %v", err)
	// Messages are for people: no driver text.
	for _, err := range []error{
		st.Insert(ctx, p, objectos.Record{"id": "p3", "code": "A"}),
		st.Insert(ctx, c, objectos.Record{"id": "c3", "parent": "missing"}),
	} {
		require.Error(t, err)
		msg := strings.ToLower(objectos.AsError(err).Message)
		for _, leak := range []string{"sql", "constraint", "duplicate key", "pq:", "sqlite", "violates"} {
			assert.NotContains(t, msg, leak, "driver text in %q", msg)
		}
	}
	require.NoError(t, st.Insert(ctx, c, objectos.Record{"id": "c2", "parent": "p1"}))
	// The engine applies deleteBehavior itself; underneath, the database
	// keeps references sound (set_null by default).
	_, err = st.Delete(ctx, p, bind(t, p, objectos.Eq("id", "p1")))
	require.NoError(t, err)
	rows, err := st.Find(ctx, c, &objectos.Select{Where: bind(t, c, objectos.Eq("id", "c2"))})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.Nil(t, rows[0]["parent"], "a reference to a deleted record is cleared")

}

// testBatchInsert checks InsertMany where the store offers it: many rows
// (more than one statement's worth), fields a row leaves out stored as NULL,
// and a failure that writes nothing of its statement.
func testBatchInsert(t *testing.T, st objectos.Store) {
	ctx := context.Background()
	_, o := rowFixture(t, st)
	offered := false
	require.NoError(t, st.Transact(ctx, func(tx objectos.Tx) error {
		bi, ok := tx.(objectos.BatchInserter)
		if !ok {
			return nil
		}
		offered = true
		rows := make([]objectos.Record, 0, 5000)
		for i := range 5000 {
			r := objectos.Record{"id": fmt.Sprintf("b%05d", i), "n": float64(i)}
			if i%3 == 0 {
				r["s"] = fmt.Sprintf("s%d", i)
			}
			rows = append(rows, r)
		}
		return bi.InsertMany(ctx, o, rows)
	}))
	if !offered {
		t.Skip("the store offers no batch inserts")
	}
	n, err := st.Count(ctx, o, bind(t, o, objectos.Where("id", objectos.OpStartsWith, "b")))
	require.NoError(t, err)
	assert.EqualValues(t, 5000, n)
	rows, err := st.Find(ctx, o, &objectos.Select{Where: bind(t, o, objectos.Where("id", objectos.OpIn, []any{"b00003", "b04999"})),
		Sort: []objectos.SortKey{{Field: "id"}}})
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, "s3", rows[0]["s"])
	assert.Equal(t, 4999.0, rows[1]["n"])
	assert.Nil(t, rows[1]["s"], "a field the row left out is NULL")

	err = st.Transact(ctx, func(tx objectos.Tx) error {
		return tx.(objectos.BatchInserter).InsertMany(ctx, o, []objectos.Record{{"id": "fresh"}, {"id": "b00001"}})
	})
	assert.Equal(t, objectos.CodeUniqueViolation, objectos.AsError(err).Code, "%v", err)
	n, err = st.Count(ctx, o, bind(t, o, objectos.Eq("id", "fresh")))
	require.NoError(t, err)
	assert.Zero(t, n)
}

// testAggregate checks an Aggregator through Stack.Aggregate, which checks
// and binds the query the store then compiles.
func testAggregate(t *testing.T, st objectos.Store) {
	ctx := objectos.AsSystem(context.Background())
	s := stack(t, st, &objectos.Artifact{Objects: []*objectos.Object{obj("sale",
		&objectos.Field{Name: "region", Type: objectos.TypeText},
		&objectos.Field{Name: "amount", Type: objectos.TypeNumber},
		&objectos.Field{Name: "on", Type: objectos.TypeDate},
		&objectos.Field{Name: "at", Type: objectos.TypeDatetime},
	)}})
	if _, ok := objectos.Store(st).(objectos.Aggregator); !ok {
		t.Skip("the store offers no aggregates")
	}
	for _, r := range []objectos.Record{
		{"region": "north", "amount": 10.0, "on": "2024-01-15", "at": "2024-01-15T23:59:59.000Z"},
		{"region": "north", "amount": 5.5, "on": "2024-02-01", "at": "2024-02-01T00:00:00.000Z"},
		{"region": "south", "amount": 7.0, "on": "2024-04-01", "at": "2024-03-31T23:00:00-02:00"},
		{"region": "south", "on": "2024-12-30", "at": "2024-12-30T08:00:00.000Z"},
		{"amount": 1.0},
	} {
		_, err := s.Create(ctx, "sale", r)
		require.NoError(t, err)
	}
	agg := func(q objectos.AggregateQuery) []objectos.Record {
		t.Helper()
		res, err := s.Aggregate(ctx, "sale", q)
		require.NoError(t, err)
		return res.Rows
	}
	count := objectos.Aggregation{Function: objectos.AggCount, Alias: "n"}
	assert.Equal(t, []objectos.Record{
		{"region": nil, "n": int64(1), "total": 1.0, "avg": 1.0, "lo": 1.0, "regions": int64(0)},
		{"region": "north", "n": int64(2), "total": 15.5, "avg": 7.75, "lo": 5.5, "regions": int64(1)},
		{"region": "south", "n": int64(2), "total": 7.0, "avg": 7.0, "lo": 7.0, "regions": int64(1)},
	}, agg(objectos.AggregateQuery{GroupBy: []objectos.GroupKey{{Field: "region"}}, Aggregations: []objectos.Aggregation{count,
		{Function: objectos.AggSum, Field: "amount", Alias: "total"}, {Function: objectos.AggAvg, Field: "amount", Alias: "avg"},
		{Function: objectos.AggMin, Field: "amount", Alias: "lo"}, {Function: objectos.AggCountDistinct, Field: "region", Alias: "regions"}}}),
		"NULL is a group of its own, first; NULL values are left out of aggregates")
	assert.Equal(t, []objectos.Record{{"n": int64(0), "total": nil}}, agg(objectos.AggregateQuery{
		Filter:       objectos.Eq("region", "west"),
		Aggregations: []objectos.Aggregation{count, {Function: objectos.AggSum, Field: "amount", Alias: "total"}}}),
		"no group keys and nothing matching: one row, count 0, sum NULL")
	for gran, want := range map[objectos.DateGranularity][]any{
		objectos.GranularityWeek:    {nil, "2024-01-15", "2024-01-29", "2024-04-01", "2024-12-30"},
		objectos.GranularityMonth:   {nil, "2024-01-01", "2024-02-01", "2024-04-01", "2024-12-01"},
		objectos.GranularityQuarter: {nil, "2024-01-01", "2024-04-01", "2024-10-01"},
		objectos.GranularityYear:    {nil, "2024-01-01"},
	} {
		for _, field := range []string{"on", "at"} {
			var got []any
			for _, r := range agg(objectos.AggregateQuery{GroupBy: []objectos.GroupKey{{Field: field, Granularity: gran, Alias: "b"}},
				Aggregations: []objectos.Aggregation{count}}) {
				got = append(got, r["b"])
			}
			assert.Equal(t, want, got, "%s by %s (datetimes in UTC)", field, gran)
		}
	}
	assert.Equal(t, []objectos.Record{{"region": "north", "n": int64(2), "total": 15.5}}, agg(objectos.AggregateQuery{
		GroupBy: []objectos.GroupKey{{Field: "region"}}, Aggregations: []objectos.Aggregation{count,
			{Function: objectos.AggSum, Field: "amount", Alias: "total"}},
		Having: objectos.Where("total", objectos.OpGt, 10.0)}), "having on an aggregate")
	page := agg(objectos.AggregateQuery{GroupBy: []objectos.GroupKey{{Field: "region"}}, Aggregations: []objectos.Aggregation{
		{Function: objectos.AggMax, Field: "at", Alias: "last"}}, Sort: []objectos.SortKey{{Field: "last", Desc: true}}, Limit: 2, Offset: 1})
	assert.Equal(t, []objectos.Record{{"region": "north", "last": "2024-02-01T00:00:00.000Z"}, {"region": nil, "last": nil}}, page,
		"sorted by an aggregate (NULL last descending), paged")
	assert.Equal(t, []objectos.Record{{"big": int64(2), "n": int64(5)}}, agg(objectos.AggregateQuery{Aggregations: []objectos.Aggregation{
		count, {Function: objectos.AggCount, Alias: "big", Filter: objectos.Where("amount", objectos.OpGte, 7.0)}}}),
		"an aggregation's own filter")
}

// bind binds a filter to the object, as the engine does before a Store sees
// it.
func bind(t *testing.T, o *objectos.Object, f *objectos.Filter) *objectos.Filter {
	t.Helper()
	b, err := objectos.BindFilter(o, f, objectos.BindOptions{AllowInternal: true})
	require.NoError(t, err)
	return b
}
