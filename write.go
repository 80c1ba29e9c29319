package objectos

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"
)

// WriteOptions condition an update or delete.
type WriteOptions struct {
	// IfMatch makes the write conditional on the record's current version
	// (an ETag from a read, with or without quotes); a stale value is
	// CONCURRENT_UPDATE. "*" matches any version.
	IfMatch string
}

// Create validates and stores a new record owned by the caller and returns
// it. Readonly and system fields in data are dropped (see Result.Dropped);
// unknown fields are INVALID_FIELD; invalid values are VALIDATION_FAILED with
// one entry per field.
func (s *Stack) Create(ctx context.Context, object string, data Record) (*Result, error) {
	c, err := s.begin(ctx, object, AccessCreate)
	if err != nil {
		return nil, err
	}
	var res *Result
	run := s.transact
	if s.oneStatementCreate(ctx, c.o) {
		run = s.untransacted
	}
	err = run(ctx, func(ctx context.Context, tx Tx) error {
		input := make(Record, len(data))
		maps.Copy(input, data)
		hc := &HookContext{Object: c.o, Event: BeforeCreate, Input: input, Principal: c.p}
		if id, ok := input[FieldID].(string); ok {
			hc.ID = id
		}
		if err := s.runHooks(ctx, hc); err != nil {
			return err
		}
		now := s.clock().UTC().Truncate(time.Millisecond)
		values, dropped, err := c.prepare(ctx, tx, hc.Input, nil, now)
		if err != nil {
			return err
		}
		if err := tx.Insert(ctx, c.o, values); err != nil {
			return err
		}
		id := values[FieldID].(string)
		res = &Result{ID: id, Version: versionOf(values), Dropped: dropped}
		if err := s.runHooks(ctx, &HookContext{Object: c.o, Event: AfterCreate, ID: id, Input: hc.Input,
			Result: s.wireComputed(ctx, c.o, values, allFields(c.o)), Principal: c.p}); err != nil {
			return err
		}
		fields, _ := c.projection(nil)
		res.Record = s.wireComputed(ctx, c.o, values, fields)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// oneStatementCreate reports whether a create of the object writes one row
// and nothing else, so that it needs no transaction of its own (the store
// runs the INSERT alone, one round trip instead of three): no hook may
// write beside it, and no autonumber takes a number that a failed insert
// would have to give back. Its reads (reference checks) see what a READ
// COMMITTED transaction would, and the database's constraints still hold.
func (s *Stack) oneStatementCreate(ctx context.Context, o *Object) bool {
	if ctx.Value(txKey) != nil {
		return false // joins the caller's transaction
	}
	for _, h := range s.hooks {
		if (h.Object == "*" || h.Object == o.Name) && (slices.Contains(h.Events, BeforeCreate) || slices.Contains(h.Events, AfterCreate)) {
			return false
		}
	}
	for _, f := range o.Fields {
		if f.Kind() == KindAutonumber {
			return false
		}
	}
	return true
}

// CreateMany validates and stores records of one object in one transaction,
// all or nothing, and returns their results in order. Every record passes
// the checks and hooks of Create; an error names the failing record's
// position in its "index" detail. A store whose transactions offer
// BatchInserter writes the records in few statements.
func (s *Stack) CreateMany(ctx context.Context, object string, data []Record) ([]*Result, error) {
	c, err := s.begin(ctx, object, AccessCreate)
	if err != nil {
		return nil, err
	}
	results := make([]*Result, len(data))
	err = s.transact(ctx, func(ctx context.Context, tx Tx) error {
		refs, err := c.knownReferences(ctx, tx, data)
		if err != nil {
			return err
		}
		c.refs = refs
		if c.o.policies != nil {
			c.batch = make(map[string]Record, len(data))
		}
		now := s.clock().UTC().Truncate(time.Millisecond)
		rows := make([]Record, len(data))
		inputs := make([]Record, len(data))
		for i, rec := range data {
			input := make(Record, len(rec))
			maps.Copy(input, rec)
			hc := &HookContext{Object: c.o, Event: BeforeCreate, Input: input, Principal: c.p}
			if id, ok := hc.Input[FieldID].(string); ok {
				hc.ID = id
			}
			if err := s.runHooks(ctx, hc); err != nil {
				return atIndex(err, i)
			}
			values, dropped, err := c.prepare(ctx, tx, hc.Input, nil, now)
			if err != nil {
				return atIndex(err, i)
			}
			rows[i], inputs[i] = values, hc.Input
			results[i] = &Result{ID: values[FieldID].(string), Version: versionOf(values), Dropped: dropped}
			if c.batch != nil {
				c.batch[results[i].ID] = values
			}
		}
		if err := insertMany(ctx, tx, c.o, rows); err != nil {
			return err
		}
		fields, _ := c.projection(nil)
		for i, values := range rows {
			if err := s.runHooks(ctx, &HookContext{Object: c.o, Event: AfterCreate, ID: results[i].ID, Input: inputs[i],
				Result: s.wireComputed(ctx, c.o, values, allFields(c.o)), Principal: c.p}); err != nil {
				return atIndex(err, i)
			}
			results[i].Record = s.wireComputed(ctx, c.o, values, fields)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// knownReferences looks up, one query per referenced object, which of the
// ids the records reference the caller can see, so that checkReferences
// needs no query per record. Ids the batch itself creates count as found.
// Ids a hook adds later are not in the map and are looked up then.
func (c *call) knownReferences(ctx context.Context, tx Tx, data []Record) (map[string]map[string]bool, error) {
	wanted := map[string]map[string]bool{}
	for _, f := range c.o.Fields {
		if f.Kind() != KindReference || (f.System && c.sys) || c.s.objects[f.Target()] == nil {
			continue
		}
		for _, rec := range data {
			if id, ok := rec[f.Name].(string); ok && ValidID(id) {
				if wanted[f.Target()] == nil {
					wanted[f.Target()] = map[string]bool{}
				}
				wanted[f.Target()][id] = false
			}
		}
	}
	for name, ids := range wanted {
		target := c.s.objects[name]
		_, rf, err := c.s.authorize(ctx, c.p, c.sys, target, AccessRead)
		if IsCode(err, CodePermissionDenied) {
			continue // none of them is visible
		}
		if err != nil {
			return nil, err
		}
		list := make([]any, 0, len(ids))
		for id := range ids {
			list = append(list, id)
		}
		for start := 0; start < len(list); start += MaxInValues {
			rows, err := tx.Find(ctx, target, &Select{
				Where:  And(&Filter{Op: OpIn, Field: FieldID, Value: list[start:min(start+MaxInValues, len(list))]}, rf),
				Fields: []string{FieldID},
			})
			if err != nil {
				return nil, err
			}
			for _, r := range rows {
				if id, ok := r[FieldID].(string); ok {
					ids[id] = true
				}
			}
		}
	}
	if own := wanted[c.o.Name]; own != nil {
		for _, rec := range data {
			if id, ok := rec[FieldID].(string); ok {
				if _, referenced := own[id]; referenced {
					own[id] = true
				}
			}
		}
	}
	return wanted, nil
}

func atIndex(err error, i int) error { return AsError(err).With("index", i) }

// insertMany stores the rows with the Tx's BatchInserter when it has one.
// When the batch fails on a record (a unique value taken, say) and the Tx
// offers savepoints, the rows are inserted one by one to name that record.
func insertMany(ctx context.Context, tx Tx, o *Object, rows []Record) error {
	oneByOne := func() error {
		for i, r := range rows {
			if err := tx.Insert(ctx, o, r); err != nil {
				return atIndex(err, i)
			}
		}
		return nil
	}
	bi, ok := tx.(BatchInserter)
	if !ok || len(rows) < 2 {
		return oneByOne()
	}
	sp, ok := tx.(Savepointer)
	if !ok {
		return bi.InsertMany(ctx, o, rows)
	}
	err := sp.Savepoint(ctx, func() error { return bi.InsertMany(ctx, o, rows) })
	if err == nil || AsError(err).HTTPStatus() >= 500 {
		return err
	}
	return oneByOne()
}

// Update applies a partial update to one record and returns the result.
func (s *Stack) Update(ctx context.Context, object, id string, data Record, opts WriteOptions) (*Result, error) {
	c, err := s.begin(ctx, object, AccessUpdate)
	if err != nil {
		return nil, err
	}
	_, readF, err := s.authorize(ctx, c.p, c.sys, c.o, AccessRead)
	if err != nil {
		return nil, err
	}
	var res *Result
	err = s.transact(ctx, func(ctx context.Context, tx Tx) error {
		existing, err := c.load(ctx, tx, id, readF, opts)
		if err != nil {
			return err
		}
		input := make(Record, len(data))
		maps.Copy(input, data)
		hc := &HookContext{Object: c.o, Event: BeforeUpdate, ID: id, Input: input,
			Previous: s.wireComputed(ctx, c.o, existing, allFields(c.o)), Principal: c.p}
		if err := s.runHooks(ctx, hc); err != nil {
			return err
		}
		now := s.clock().UTC().Truncate(time.Millisecond)
		values, dropped, err := c.prepare(ctx, tx, hc.Input, existing, now)
		if err != nil {
			return err
		}
		where := And(&Filter{Op: OpEq, Field: FieldID, Value: id},
			&Filter{Op: OpEq, Field: FieldUpdatedAt, Value: existing[FieldUpdatedAt]})
		n, err := tx.Update(ctx, c.o, where, values)
		if err != nil {
			return err
		}
		if n == 0 {
			return Errorf(CodeConcurrentUpdate, "Record '%s' was changed by someone else; reload it and try again.", id).
				With("object", c.o.Name)
		}
		merged := maps.Clone(existing)
		maps.Copy(merged, values)
		res = &Result{ID: id, Version: versionOf(merged), Dropped: dropped}
		if err := s.runHooks(ctx, &HookContext{Object: c.o, Event: AfterUpdate, ID: id, Input: hc.Input,
			Previous: hc.Previous, Result: s.wireComputed(ctx, c.o, merged, allFields(c.o)), Principal: c.p}); err != nil {
			return err
		}
		fields, _ := c.projection(nil)
		res.Record = s.wireComputed(ctx, c.o, merged, fields)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// load reads a record for a write: it must be visible to the caller (within
// readF, else RECORD_NOT_FOUND), and within the call's grant (else
// RECORD_NOT_ACCESSIBLE).
func (c *call) load(ctx context.Context, tx Tx, id string, readF *Filter, opts WriteOptions) (Record, error) {
	if !ValidID(id) {
		return nil, notFound(c.o, id)
	}
	byID := &Filter{Op: OpEq, Field: FieldID, Value: id}
	rows, err := tx.Find(ctx, c.o, &Select{Where: And(byID, readF), Limit: 1, Lock: true})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, notFound(c.o, id)
	}
	if c.rf != nil && c.rf.String() != readF.String() {
		n, err := tx.Count(ctx, c.o, And(byID, c.rf))
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, Errorf(CodeRecordNotAccessible, "Record '%s' in '%s' is not writable by the caller.", id, c.o.Name).
				With("object", c.o.Name)
		}
	}
	if opts.IfMatch != "" {
		want := strings.TrimPrefix(strings.TrimSpace(opts.IfMatch), "W/")
		want = strings.Trim(want, `"`)
		if cur := versionOf(rows[0]); want != "*" && want != cur {
			return nil, Errorf(CodeConcurrentUpdate, "Record '%s' was changed by someone else; reload it and try again.", id).
				With("object", c.o.Name).With("currentVersion", cur)
		}
	}
	return rows[0], nil
}

func (s *Stack) runHooks(ctx context.Context, hc *HookContext) error {
	for _, h := range s.hooks {
		if h.Object != "*" && h.Object != hc.Object.Name {
			continue
		}
		if !slices.Contains(h.Events, hc.Event) {
			continue
		}
		if err := h.Func(ctx, hc); err != nil {
			return err
		}
	}
	return nil
}
