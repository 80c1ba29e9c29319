package objectos

import "context"

// GetOptions shape a single-record read.
type GetOptions struct {
	// Fields restricts the returned fields; id is always returned.
	Fields []string
	// Expand lists reference fields to replace by the referenced record.
	Expand []string
	// ExpandSpecs narrow expansions by path (see ExpandSpec).
	ExpandSpecs map[string]ExpandSpec
}

// Get returns one record by id, as the caller may see it: a record outside
// the caller's access is RECORD_NOT_FOUND, exactly like a missing one.
func (s *Stack) Get(ctx context.Context, object, id string, opts GetOptions) (*Result, error) {
	c, err := s.begin(ctx, object, AccessRead)
	if err != nil {
		return nil, err
	}
	fields, err := c.projection(opts.Fields)
	if err != nil {
		return nil, err
	}
	expand, err := c.parseExpand(ctx, opts.Expand, opts.ExpandSpecs)
	if err != nil {
		return nil, err
	}
	fields = withExpand(fields, expand)
	if !ValidID(id) {
		return nil, notFound(c.o, id)
	}
	rows, err := s.reader(ctx).Find(ctx, c.o, &Select{
		Where:  And(&Filter{Op: OpEq, Field: FieldID, Value: id}, c.rf),
		Fields: storedFields(readFields(c.o, fields, nil)),
		Limit:  1,
	})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, notFound(c.o, id)
	}
	version := versionOf(rows[0])
	s.computeFormulas(ctx, c.o, rows[0], fields)
	rec := wireInPlace(c.o, rows[0], fields)
	if err := s.expand(ctx, []Record{rec}, expand); err != nil {
		return nil, err
	}
	return &Result{ID: id, Record: rec, Version: version}, nil
}

func notFound(o *Object, id string) *Error {
	return Errorf(CodeRecordNotFound, "Record '%s' not found in '%s'.", id, o.Name).With("object", o.Name)
}

// ListResult is one page of records.
type ListResult struct {
	Records []Record
	// Total counts every matching record; -1 when the query skipped it.
	Total int64
	// TotalEstimated reports that Total is the database's estimate (see
	// Query.EstimateCount).
	TotalEstimated bool
	// HasMore reports whether records follow this page.
	HasMore bool
	// NextCursor continues after this page (empty on the last page).
	NextCursor string
}

// List returns one page of the records the caller may see that match the
// query. The caller's record access is part of the SQL, so Total, HasMore and
// cursors count only visible records.
func (s *Stack) List(ctx context.Context, object string, q Query) (*ListResult, error) {
	c, err := s.begin(ctx, object, AccessRead)
	if err != nil {
		return nil, err
	}
	plan, err := c.plan(ctx, &q)
	if err != nil {
		return nil, err
	}
	limit, err := s.pageSize(q.Limit, q.Offset)
	if err != nil {
		return nil, err
	}
	sel := &Select{Where: plan.where, Fields: readFields(c.o, withSortFields(plan.fields, plan.sort), plan.sort),
		Sort: plan.sort, Limit: limit + 1, Offset: q.Offset, Lock: q.Lock}
	if q.Cursor != "" {
		if q.Offset != 0 {
			return nil, Errorf(CodeInvalidCursor, "cursor cannot be combined with offset.").With("param", "cursor")
		}
		after, err := s.decodeCursor(c.o, q.Cursor, plan)
		if err != nil {
			return nil, err
		}
		sel.After = after
	}
	tx := s.reader(ctx)
	rows, err := tx.Find(ctx, c.o, sel)
	if err != nil {
		return nil, err
	}
	res := &ListResult{Total: -1}
	if len(rows) > limit {
		res.HasMore = true
		rows = rows[:limit]
		res.NextCursor = s.encodeCursor(c.o, plan, rows[len(rows)-1])
	}
	if !q.SkipCount {
		if q.Offset == 0 && q.Cursor == "" && !res.HasMore {
			res.Total = int64(len(rows))
		} else if res.Total, res.TotalEstimated, err = count(ctx, tx, c.o, plan.where, q.EstimateCount); err != nil {
			return nil, err
		}
	}
	res.Records = make([]Record, len(rows))
	for i, r := range rows {
		s.computeFormulas(ctx, c.o, r, plan.fields)
		res.Records[i] = wireInPlace(c.o, r, plan.fields)
	}
	if err := s.expand(ctx, res.Records, plan.expand); err != nil {
		return nil, err
	}
	return res, nil
}

// Count returns the number of records the caller may see that match the
// query's filter and search.
func (s *Stack) Count(ctx context.Context, object string, q Query) (int64, error) {
	c, err := s.begin(ctx, object, AccessRead)
	if err != nil {
		return 0, err
	}
	plan, err := c.plan(ctx, &q)
	if err != nil {
		return 0, err
	}
	return s.reader(ctx).Count(ctx, c.o, plan.where)
}
