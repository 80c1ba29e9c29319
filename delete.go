package objectos

import (
	"context"
	"maps"
	"time"
)

// Delete removes one record, applying the deleteBehavior of every lookup
// that points at it (set_null, cascade, restrict) in the same transaction.
func (s *Stack) Delete(ctx context.Context, object, id string, opts WriteOptions) error {
	c, err := s.begin(ctx, object, AccessDelete)
	if err != nil {
		return err
	}
	_, readF, err := s.authorize(ctx, c.p, c.sys, c.o, AccessRead)
	if err != nil {
		return err
	}
	return s.transact(ctx, func(ctx context.Context, tx Tx) error {
		existing, err := c.load(ctx, tx, id, readF, opts)
		if err != nil {
			return err
		}
		prev := s.wireComputed(ctx, c.o, existing, allFields(c.o))
		if err := s.runHooks(ctx, &HookContext{Object: c.o, Event: BeforeDelete, ID: id, Previous: prev, Principal: c.p}); err != nil {
			return err
		}
		d := &deletion{c: c, now: s.clock().UTC().Truncate(time.Millisecond), visited: map[string]bool{}}
		if err := s.deleteRows(ctx, tx, c.o, []any{id}, d); err != nil {
			return err
		}
		return s.runHooks(ctx, &HookContext{Object: c.o, Event: AfterDelete, ID: id, Previous: prev, Principal: c.p})
	})
}

// deletion is the state of one delete and its cascades: the call (its
// caller), the time of the change, and the records already reached
// (against cycles).
type deletion struct {
	c       *call
	now     time.Time
	visited map[string]bool
}

// maxIDsPerStatement bounds the ids a cascade binds in one statement.
const maxIDsPerStatement = 1000

// deleteRows deletes the records with the ids after applying the delete
// behaviour of the references to them.
func (s *Stack) deleteRows(ctx context.Context, tx Tx, o *Object, ids []any, d *deletion) error {
	var todo []any
	for _, id := range ids {
		key := o.Name + "\x00" + id.(string)
		if !d.visited[key] {
			d.visited[key] = true
			todo = append(todo, id)
		}
	}
	for len(todo) > 0 {
		batch := todo[:min(len(todo), maxIDsPerStatement)]
		todo = todo[len(batch):]
		if err := s.deleteBatch(ctx, tx, o, batch, d); err != nil {
			return err
		}
	}
	return nil
}

func (s *Stack) deleteBatch(ctx context.Context, tx Tx, o *Object, todo []any, d *deletion) error {
	for _, ref := range s.refs[o.Name] {
		where := &Filter{Op: OpIn, Field: ref.Field.Name, Value: todo}
		switch ref.Field.OnDelete() {
		case DeleteRestrict:
			n, err := tx.Count(ctx, ref.Object, where)
			if err != nil {
				return err
			}
			if n > 0 {
				return s.restricted(ctx, tx, o, ref, where, d)
			}
		case DeleteCascade:
			rows, err := tx.Find(ctx, ref.Object, &Select{Where: where, Fields: []string{FieldID}})
			if err != nil {
				return err
			}
			child := make([]any, len(rows))
			for i, r := range rows {
				child[i] = r[FieldID]
			}
			if err := s.deleteRows(ctx, tx, ref.Object, child, d); err != nil {
				return err
			}
		default: // set_null
			if err := s.setNull(ctx, tx, ref, where, d); err != nil {
				return err
			}
		}
	}
	_, err := tx.Delete(ctx, o, &Filter{Op: OpIn, Field: FieldID, Value: todo})
	return err
}

// restricted is DELETE_RESTRICTED for dependents that hold the record. It
// counts and names only the dependents the caller can read; of the others
// it says nothing, so a refused delete reveals no record the caller cannot
// see.
func (s *Stack) restricted(ctx context.Context, tx Tx, o *Object, ref refEdge, where *Filter, d *deletion) error {
	_, readF, err := s.authorize(ctx, d.c.p, d.c.sys, ref.Object, AccessRead)
	var visible int64
	if err == nil {
		if visible, err = tx.Count(ctx, ref.Object, And(where, readF)); err != nil {
			return err
		}
	} else if !IsCode(err, CodePermissionDenied) {
		return err
	}
	if visible == 0 {
		return NewError(CodeDeleteRestricted, "The record cannot be deleted: other records reference it.").With("object", o.Name)
	}
	return Errorf(CodeDeleteRestricted, "The record cannot be deleted: %d '%s' record(s) reference it through '%s'.",
		visible, ref.Object.Name, ref.Field.Name).
		With("object", o.Name).With("dependentObject", ref.Object.Name).With("dependentCount", visible)
}

// setNull clears a reference to deleted records, as a change of the
// records that hold it: updated_at moves forward (past the current value,
// like every update, so the version changes even within one millisecond)
// and updated_by is the caller.
func (s *Stack) setNull(ctx context.Context, tx Tx, ref refEdge, where *Filter, d *deletion) error {
	values := Record{ref.Field.Name: nil, FieldUpdatedAt: d.now}
	if uid := userID(d.c.p); uid != "" {
		values[FieldUpdatedBy] = uid
	}
	// Most rows were last changed before now: one statement.
	if _, err := tx.Update(ctx, ref.Object, And(where, &Filter{Op: OpLt, Field: FieldUpdatedAt, Value: d.now}), values); err != nil {
		return err
	}
	// The rest (changed within this millisecond, or stamped ahead by
	// another clock) one by one, each a millisecond past its own.
	rows, err := tx.Find(ctx, ref.Object, &Select{Where: where, Fields: []string{FieldID, FieldUpdatedAt}})
	if err != nil {
		return err
	}
	for _, r := range rows {
		prev, _ := r[FieldUpdatedAt].(time.Time)
		v := maps.Clone(values)
		v[FieldUpdatedAt] = prev.Add(time.Millisecond)
		if _, err := tx.Update(ctx, ref.Object, &Filter{Op: OpEq, Field: FieldID, Value: r[FieldID]}, v); err != nil {
			return err
		}
	}
	return nil
}
