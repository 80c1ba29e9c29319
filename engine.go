package objectos

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Result is one record returned by Create, Get and Update.
type Result struct {
	ID string
	// Record holds the wire values of the fields the caller may read.
	Record Record
	// Version is the record's optimistic-concurrency version, usable as an
	// ETag and in WriteOptions.IfMatch.
	Version string
	// Dropped lists the readonly and system fields removed from the input.
	Dropped []string
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

// GetOptions shape a single-record read.
type GetOptions struct {
	// Fields restricts the returned fields; id is always returned.
	Fields []string
	// Expand lists reference fields to replace by the referenced record.
	Expand []string
	// ExpandSpecs narrow expansions by path (see ExpandSpec).
	ExpandSpecs map[string]ExpandSpec
}

// WriteOptions condition an update or delete.
type WriteOptions struct {
	// IfMatch makes the write conditional on the record's current version
	// (an ETag from a read, with or without quotes); a stale value is
	// CONCURRENT_UPDATE. "*" matches any version.
	IfMatch string
}

const maxExpandDepth = 3

func (s *Stack) lookup(name string) (*Object, error) {
	o := s.objects[name]
	if o == nil {
		return nil, quotedf(CodeObjectNotFound, "Object '%s' not found.", name).With("object", name)
	}
	return o, nil
}

// caller returns the principal of the context and whether it runs as the
// system; anonymous callers are UNAUTHENTICATED.
func (s *Stack) caller(ctx context.Context) (*Principal, bool, error) {
	p := PrincipalFrom(ctx)
	if IsSystem(ctx) {
		return p, true, nil
	}
	if p == nil {
		return nil, false, NewError(CodeUnauthenticated, "Authentication is required to access this endpoint.")
	}
	return p, false, nil
}

// authorize asks the security plugin for the grant and binds its record
// filter against the object.
func (s *Stack) authorize(ctx context.Context, p *Principal, sys bool, o *Object, access Access) (*Grant, *Filter, error) {
	if sys {
		return &Grant{Transfer: true}, nil, nil
	}
	g, err := s.security.Authorize(ctx, p, o, access)
	if err != nil {
		return nil, nil, err
	}
	if g == nil {
		return nil, nil, Errorf(CodePermissionDenied, "Operation '%s' on object '%s' is not permitted.", access, o.Name)
	}
	if g.Records == nil {
		return g, nil, nil
	}
	rf, err := BindFilter(o, g.Records, BindOptions{Now: s.clock(), UserID: userID(p), AllowInternal: true})
	if err != nil {
		return nil, nil, fmt.Errorf("objectos: security plugin record filter for %s: %w", o.Name, err)
	}
	return g, rf, nil
}

// call is one data call: the object, the caller and the grant for its
// access, with the grant's record filter bound.
type call struct {
	o   *Object
	p   *Principal
	sys bool
	g   *Grant
	rf  *Filter
}

// begin resolves the object, the caller and the grant for the access.
func (s *Stack) begin(ctx context.Context, object string, access Access) (*call, error) {
	o, err := s.lookup(object)
	if err != nil {
		return nil, err
	}
	p, sys, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	g, rf, err := s.authorize(ctx, p, sys, o, access)
	if err != nil {
		return nil, err
	}
	return &call{o: o, p: p, sys: sys, g: g, rf: rf}, nil
}

func userID(p *Principal) string {
	if p == nil {
		return ""
	}
	return p.UserID
}

// reader returns the transaction of the context, or the store.
func (s *Stack) reader(ctx context.Context) Tx {
	if tx, ok := ctx.Value(txKey).(Tx); ok {
		return tx
	}
	return s.store
}

// transact runs fn in the context's transaction, or in a new one.
func (s *Stack) transact(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error {
	if tx, ok := ctx.Value(txKey).(Tx); ok {
		if sp, ok := tx.(Savepointer); ok && ctx.Value(savepointKey) != nil {
			// A data call of user code (an action handler): its failure undoes
			// only itself, so the handler may handle the error and go on, on
			// every store alike.
			return sp.Savepoint(ctx, func() error { return fn(context.WithValue(ctx, savepointKey, nil), tx) })
		}
		return fn(ctx, tx)
	}
	return s.store.Transact(ctx, func(tx Tx) error {
		return fn(context.WithValue(ctx, txKey, tx), tx)
	})
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
		if (h.Object == "*" || h.Object == o.Name) && (contains(h.Events, BeforeCreate) || contains(h.Events, AfterCreate)) {
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

// untransacted runs fn on the store itself, outside any transaction.
func (s *Stack) untransacted(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error {
	return fn(ctx, s.store)
}

// Transact runs fn in one database transaction: every data call made with
// the context fn receives joins it, and fn's error rolls all of them back.
// Inside another transaction it joins that one; inside one the application
// began (see WithTx) it runs in a savepoint, so fn's error undoes only what
// fn did and the application's transaction goes on.
func (s *Stack) Transact(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.transact(ctx, func(ctx context.Context, _ Tx) error { return fn(ctx) })
}

func fieldError(o *Object, name string, code Code, format string, args ...any) *Error {
	return quotedf(code, format, args...).With("field", name).With("object", o.Name)
}

func (s *Stack) unknownField(o *Object, name string, sys bool, code Code) *Error {
	var names []string
	for _, f := range o.Fields {
		if !f.Internal || sys {
			names = append(names, f.Name)
		}
	}
	msg := fmt.Sprintf("Unknown field '%s' on object '%s'.", clip(name), o.Name)
	if sg := suggest(name, names); sg != "" {
		msg += fmt.Sprintf(" Did you mean '%s'?", sg)
	}
	return NewError(code, msg).With("field", name).With("object", o.Name)
}

// projection resolves the fields to return: the requested ones (plus id) or
// every readable one.
func (s *Stack) projection(o *Object, g *Grant, sys bool, fields []string) ([]string, error) {
	if len(fields) == 0 {
		out := make([]string, 0, len(o.Fields))
		for _, f := range o.Fields {
			if (sys || !f.Internal) && (sys || g.CanRead(f.Name)) {
				out = append(out, f.Name)
			}
		}
		return out, nil
	}
	out := []string{FieldID}
	seen := map[string]bool{FieldID: true}
	for _, name := range fields {
		f := o.Field(name)
		if f == nil || (f.Internal && !sys) {
			return nil, s.unknownField(o, name, sys, CodeInvalidField)
		}
		if !sys && !g.CanRead(name) {
			return nil, fieldError(o, name, CodeFieldNotAccessible, "Field '%s' is not readable.", name)
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out, nil
}

// storedFields adds updated_at (for the version) to a projection.
func storedFields(fields []string) []string {
	for _, f := range fields {
		if f == FieldUpdatedAt {
			return fields
		}
	}
	return append(append(make([]string, 0, len(fields)+1), fields...), FieldUpdatedAt)
}

func versionOf(canon Record) string {
	if t, ok := canon[FieldUpdatedAt].(time.Time); ok {
		return FormatDatetime(t)
	}
	return ""
}

// wireInPlace converts a record read from the store, which the engine owns,
// to the wire values of the projected fields, dropping the others.
func wireInPlace(o *Object, canon Record, fields []string) Record {
	if len(canon) > len(fields) {
		// columns read only to sort by: not for the caller
		for k := range canon {
			if !contains(fields, k) {
				delete(canon, k)
			}
		}
	}
	for _, k := range fields {
		v, ok := canon[k]
		if !ok {
			continue
		}
		if f := o.Field(k); f != nil {
			canon[k] = toWire(f, v)
		} else {
			delete(canon, k)
		}
	}
	return canon
}

// wire converts a stored record to the wire values of the projected fields.
func wire(o *Object, canon Record, fields []string) Record {
	out := make(Record, len(fields))
	for _, name := range fields {
		if f := o.Field(name); f != nil {
			out[name] = toWire(f, canon[name])
		}
	}
	return out
}

// Get returns one record by id, as the caller may see it: a record outside
// the caller's access is RECORD_NOT_FOUND, exactly like a missing one.
func (s *Stack) Get(ctx context.Context, object, id string, opts GetOptions) (*Result, error) {
	c, err := s.begin(ctx, object, AccessRead)
	if err != nil {
		return nil, err
	}
	o, p, sys, g, rf := c.o, c.p, c.sys, c.g, c.rf
	fields, err := s.projection(o, g, sys, opts.Fields)
	if err != nil {
		return nil, err
	}
	expand, err := s.parseExpand(ctx, p, o, g, sys, opts.Expand, opts.ExpandSpecs)
	if err != nil {
		return nil, err
	}
	fields = withExpand(fields, expand)
	if !ValidID(id) {
		return nil, notFound(o, id)
	}
	rows, err := s.reader(ctx).Find(ctx, o, &Select{
		Where:  And(&Filter{Op: OpEq, Field: FieldID, Value: id}, rf),
		Fields: storedFields(fields),
		Limit:  1,
	})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, notFound(o, id)
	}
	version := versionOf(rows[0])
	rec := wireInPlace(o, rows[0], fields)
	if err := s.expand(ctx, []Record{rec}, expand); err != nil {
		return nil, err
	}
	return &Result{ID: id, Record: rec, Version: version}, nil
}

func notFound(o *Object, id string) *Error {
	return Errorf(CodeRecordNotFound, "Record '%s' not found in '%s'.", id, o.Name).With("object", o.Name)
}

// List returns one page of the records the caller may see that match the
// query. The caller's record access is part of the SQL, so Total, HasMore and
// cursors count only visible records.
func (s *Stack) List(ctx context.Context, object string, q Query) (*ListResult, error) {
	c, err := s.begin(ctx, object, AccessRead)
	if err != nil {
		return nil, err
	}
	o := c.o
	plan, err := s.plan(ctx, c, &q)
	if err != nil {
		return nil, err
	}
	limit, err := s.pageSize(q.Limit, q.Offset)
	if err != nil {
		return nil, err
	}
	sel := &Select{Where: plan.where, Fields: withSortFields(plan.fields, plan.sort),
		Sort: plan.sort, Limit: limit + 1, Offset: q.Offset, Lock: q.Lock}
	if q.Cursor != "" {
		if q.Offset != 0 {
			return nil, Errorf(CodeInvalidCursor, "cursor cannot be combined with offset.").With("param", "cursor")
		}
		after, err := s.decodeCursor(o, q.Cursor, plan)
		if err != nil {
			return nil, err
		}
		sel.After = after
	}
	tx := s.reader(ctx)
	rows, err := tx.Find(ctx, o, sel)
	if err != nil {
		return nil, err
	}
	res := &ListResult{Total: -1}
	if len(rows) > limit {
		res.HasMore = true
		rows = rows[:limit]
		res.NextCursor = s.encodeCursor(o, plan, rows[len(rows)-1])
	}
	if !q.SkipCount {
		if q.Offset == 0 && q.Cursor == "" && !res.HasMore {
			res.Total = int64(len(rows))
		} else if res.Total, res.TotalEstimated, err = count(ctx, tx, o, plan.where, q.EstimateCount); err != nil {
			return nil, err
		}
	}
	res.Records = make([]Record, len(rows))
	for i, r := range rows {
		res.Records[i] = wireInPlace(o, r, plan.fields)
	}
	if err := s.expand(ctx, res.Records, plan.expand); err != nil {
		return nil, err
	}
	return res, nil
}

// pageSize checks a limit and an offset and returns the page size: the
// limit, DefaultPageSize when it is 0, at most the Stack's MaxPageSize.
func (s *Stack) pageSize(limit, offset int) (int, error) {
	switch {
	case limit < 0:
		return 0, Errorf(CodeInvalidQuery, "limit must be zero or more.").With("param", "limit")
	case offset < 0:
		return 0, Errorf(CodeInvalidQuery, "offset must be zero or more.").With("param", "offset")
	case limit == 0:
		return DefaultPageSize, nil
	}
	return min(limit, s.maxPage), nil
}

// Count returns the number of records the caller may see that match the
// query's filter and search.
func (s *Stack) Count(ctx context.Context, object string, q Query) (int64, error) {
	c, err := s.begin(ctx, object, AccessRead)
	if err != nil {
		return 0, err
	}
	plan, err := s.plan(ctx, c, &q)
	if err != nil {
		return 0, err
	}
	return s.reader(ctx).Count(ctx, c.o, plan.where)
}

// queryPlan is a list query checked against the object and the grant.
type queryPlan struct {
	where  *Filter
	sort   []SortKey // with the id tie-breaker
	fields []string
	expand []*expandNode
	digest string // binds cursors to the query and the caller
}

func (s *Stack) plan(ctx context.Context, c *call, q *Query) (*queryPlan, error) {
	o, g, rf, p, sys := c.o, c.g, c.rf, c.p, c.sys
	pl := &queryPlan{}
	var err error
	if pl.fields, err = s.projection(o, g, sys, q.Fields); err != nil {
		return nil, err
	}
	if pl.expand, err = s.parseExpand(ctx, p, o, g, sys, q.Expand, q.ExpandSpecs); err != nil {
		return nil, err
	}
	pl.fields = withExpand(pl.fields, pl.expand)
	var user *Filter
	if q.Filter != nil {
		if user, err = s.bindReadableFilter(o, g, sys, p, q.Filter); err != nil {
			return nil, err
		}
	}
	if err := s.checkValues(user.values() + expandValues(pl.expand)); err != nil {
		return nil, err
	}
	keys, err := bindSort(o, q.Sort)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if !sys && !g.CanRead(k.Field) {
			return nil, fieldError(o, k.Field, CodeFieldNotAccessible, "Field '%s' is not readable and cannot be sorted.", k.Field)
		}
	}
	pl.sort = withTieBreaker(keys)
	var search *Filter
	if q.Search != "" {
		if search, err = s.searchFilter(o, g, sys, q.Search, q.SearchFields); err != nil {
			return nil, err
		}
	}
	pl.where = And(rf, user, search)
	if pl.where != nil && pl.where.IsTrue() {
		pl.where = nil
	}
	pl.digest = queryDigest(o, q, keys, userID(p), sys)
	return pl, nil
}

func withTieBreaker(keys []SortKey) []SortKey {
	out := make([]SortKey, 0, len(keys)+1)
	desc := false
	for _, k := range keys {
		if k.Field == FieldID {
			return append(out, k)
		}
		out = append(out, k)
		desc = k.Desc
	}
	return append(out, SortKey{Field: FieldID, Desc: desc})
}

func withSortFields(fields []string, keys []SortKey) []string {
	out := fields
	for _, k := range keys {
		if !contains(out, k.Field) {
			if len(out) == len(fields) {
				out = append([]string(nil), fields...)
			}
			out = append(out, k.Field)
		}
	}
	return out
}

// searchFilter builds the case-insensitive containment search over the
// object's searchable fields that the caller may read.
func (s *Stack) searchFilter(o *Object, g *Grant, sys bool, term string, only []string) (*Filter, error) {
	if !o.Searchable() {
		return nil, Errorf(CodeInvalidQuery, "Object '%s' is not searchable.", o.Name).With("param", "search")
	}
	if strings.IndexByte(term, 0) >= 0 || len(term) > 500 || !utf8.ValidString(term) {
		return nil, Errorf(CodeInvalidQuery, "search must be text of at most 500 characters.").With("param", "search")
	}
	var names []string
	for _, name := range only {
		f := o.Field(name)
		switch {
		case f == nil || (f.Internal && !sys):
			return nil, s.unknownField(o, name, sys, CodeInvalidField)
		case !sys && !g.CanRead(name):
			return nil, fieldError(o, name, CodeFieldNotAccessible, "Field '%s' is not readable and cannot be searched.", name)
		case f.Kind() != KindText && f.Kind() != KindChoice && f.Kind() != KindAutonumber:
			return nil, fieldError(o, name, CodeInvalidField, "Field '%s' is not a text field and cannot be searched.", name)
		}
		names = append(names, name)
	}
	for _, f := range o.Fields {
		if len(only) == 0 && f.Searchable && !f.Internal {
			names = append(names, f.Name)
		}
	}
	if len(names) == 0 {
		for _, f := range o.Fields {
			if !f.System && !f.Internal && (f.Kind() == KindText || f.Kind() == KindChoice || f.Kind() == KindAutonumber) {
				names = append(names, f.Name)
			}
		}
	}
	folded := asciiLower(term)
	or := &Filter{Op: OpOr}
	for _, name := range names {
		if sys || g.CanRead(name) {
			or.Children = append(or.Children, &Filter{Op: OpIContains, Field: name, Value: folded})
		}
	}
	return or, nil
}

// ExpandSpec narrows one expanded reference (Query.ExpandSpecs and
// GetOptions.ExpandSpecs, keyed by the dotted expand path, e.g.
// "account.parent").
type ExpandSpec struct {
	// Fields of the referenced record to return; id is always returned.
	// Empty means every readable field.
	Fields []string
	// Filter the referenced record must match to replace the reference; a
	// reference to a record that does not match keeps its id, as one the
	// caller cannot read does.
	Filter *Filter
}

// expandNode is one reference field to expand, checked against the caller's
// access to its target, with the expansions nested in it.
type expandNode struct {
	field    *Field
	target   *Object
	denied   bool     // the caller may not read the target: ids stay
	rf       *Filter  // the caller's record filter on the target
	where    *Filter  // the spec's filter, bound
	fields   []string // the target's fields returned, nested references included
	children []*expandNode
}

// parseExpand checks every level of the expand paths up front, so that a
// mistake is reported whether or not any record has something to expand.
func (s *Stack) parseExpand(ctx context.Context, p *Principal, o *Object, g *Grant, sys bool, paths []string, specs map[string]ExpandSpec) ([]*expandNode, error) {
	for path := range specs {
		if !slices.Contains(paths, path) {
			paths = append(slices.Clip(paths), path) // a spec names its path; expanding it is implied
		}
	}
	return s.parseExpandLevel(ctx, p, o, g, sys, paths, specs, "")
}

func (s *Stack) parseExpandLevel(ctx context.Context, p *Principal, o *Object, g *Grant, sys bool, paths []string, specs map[string]ExpandSpec, prefix string) ([]*expandNode, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	var out []*expandNode
	nested := map[string][]string{}
	index := map[string]int{}
	for _, path := range paths {
		full := prefix + path
		if strings.Count(full, ".") >= maxExpandDepth {
			return nil, Errorf(CodeInvalidField, "expand '%s' is deeper than %d levels.", full, maxExpandDepth).With("field", full)
		}
		head, rest, _ := strings.Cut(path, ".")
		if _, ok := index[head]; !ok {
			f := o.Field(head)
			if f == nil || (f.Internal && !sys) {
				return nil, s.unknownField(o, head, sys, CodeInvalidField)
			}
			if f.Kind() != KindReference {
				return nil, fieldError(o, head, CodeInvalidField, "Field '%s' is not a reference and cannot be expanded.", head)
			}
			if !sys && !g.CanRead(head) {
				return nil, fieldError(o, head, CodeFieldNotAccessible, "Field '%s' is not readable.", head)
			}
			target := s.objects[f.Target()]
			if target == nil {
				return nil, fieldError(o, head, CodeInvalidField, "Field '%s' references an object that is not installed.", head)
			}
			index[head] = len(out)
			out = append(out, &expandNode{field: f, target: target})
		}
		if rest != "" {
			nested[head] = append(nested[head], rest)
		}
	}
	for _, n := range out {
		head := n.field.Name
		tg, rf, err := s.authorize(ctx, p, sys, n.target, AccessRead)
		switch {
		case IsCode(err, CodePermissionDenied):
			// Nothing of the target will be shown; its names are still
			// checked (with no grant, for existence only).
			n.denied, tg = true, nil
		case err != nil:
			return nil, err
		}
		n.rf = rf
		spec := specs[prefix+head]
		if n.fields, err = s.projection(n.target, tg, sys, spec.Fields); err != nil {
			return nil, err
		}
		if spec.Filter != nil {
			if n.where, err = s.bindReadableFilter(n.target, tg, sys, p, spec.Filter); err != nil {
				return nil, err
			}
		}
		if n.children, err = s.parseExpandLevel(ctx, p, n.target, tg, sys, nested[head], specs, prefix+head+"."); err != nil {
			return nil, err
		}
		n.fields = withExpand(n.fields, n.children)
	}
	return out, nil
}

// bindReadableFilter binds a caller's filter to the object and checks that
// it names only fields the caller may read.
func (s *Stack) bindReadableFilter(o *Object, g *Grant, sys bool, p *Principal, f *Filter) (*Filter, error) {
	bound, err := BindFilter(o, f, BindOptions{Now: s.clock(), UserID: userID(p), AllowInternal: sys})
	if err != nil {
		return nil, err
	}
	if !sys {
		for _, name := range bound.Fields() {
			if !g.CanRead(name) {
				return nil, fieldError(o, name, CodeFieldNotAccessible, "Field '%s' is not readable and cannot be filtered.", name)
			}
		}
	}
	return bound, nil
}

// expandValues counts the values the filters of expansions bind.
func expandValues(nodes []*expandNode) int {
	n := 0
	for _, e := range nodes {
		n += e.where.values() + expandValues(e.children)
	}
	return n
}

// checkValues refuses a query whose filters bind more than
// Options.MaxQueryValues values.
func (s *Stack) checkValues(n int) error {
	if n > s.maxValues {
		return filterErr("the query's filters hold %d values; at most %d are allowed in one query", n, s.maxValues).
			With("limit", s.maxValues)
	}
	return nil
}

func withExpand(fields []string, expand []*expandNode) []string {
	out := fields
	for _, e := range expand {
		if !contains(out, e.field.Name) {
			if len(out) == len(fields) {
				out = append([]string(nil), fields...)
			}
			out = append(out, e.field.Name)
		}
	}
	return out
}

// expand replaces reference ids in the records by the referenced records the
// caller may read (and that match the expansion's filter), one query per
// field and level. Other ids stay as they are.
func (s *Stack) expand(ctx context.Context, recs []Record, nodes []*expandNode) error {
	for _, e := range nodes {
		if e.denied {
			continue
		}
		var ids []any
		seen := map[string]bool{}
		for _, r := range recs {
			if id, ok := r[e.field.Name].(string); ok && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			continue
		}
		rows, err := s.reader(ctx).Find(ctx, e.target, &Select{
			Where:  And(&Filter{Op: OpIn, Field: FieldID, Value: ids}, e.rf, e.where),
			Fields: e.fields,
		})
		if err != nil {
			return err
		}
		byID := make(map[string]Record, len(rows))
		children := make([]Record, len(rows))
		for i, r := range rows {
			id, _ := r[FieldID].(string)
			w := wireInPlace(e.target, r, e.fields)
			children[i] = w
			byID[id] = w
		}
		if err := s.expand(ctx, children, e.children); err != nil {
			return err
		}
		for _, r := range recs {
			if id, ok := r[e.field.Name].(string); ok {
				if child, ok := byID[id]; ok {
					r[e.field.Name] = child
				}
			}
		}
	}
	return nil
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
	o, p, sys, g := c.o, c.p, c.sys, c.g
	var res *Result
	run := s.transact
	if s.oneStatementCreate(ctx, o) {
		run = s.untransacted
	}
	err = run(ctx, func(ctx context.Context, tx Tx) error {
		input := copyRecord(data)
		hc := &HookContext{Object: o, Event: BeforeCreate, Input: input, Principal: p}
		if id, ok := input[FieldID].(string); ok {
			hc.ID = id
		}
		if err := s.runHooks(ctx, hc); err != nil {
			return err
		}
		now := s.clock().UTC().Truncate(time.Millisecond)
		values, dropped, err := s.prepare(ctx, tx, o, g, p, sys, hc.Input, nil, now)
		if err != nil {
			return err
		}
		if err := tx.Insert(ctx, o, values); err != nil {
			return err
		}
		id := values[FieldID].(string)
		res = &Result{ID: id, Version: versionOf(values), Dropped: dropped}
		if err := s.runHooks(ctx, &HookContext{Object: o, Event: AfterCreate, ID: id, Input: hc.Input,
			Result: wire(o, values, allFields(o)), Principal: p}); err != nil {
			return err
		}
		fields, _ := s.projection(o, g, sys, nil)
		res.Record = wire(o, values, fields)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
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
	o, p, sys, g := c.o, c.p, c.sys, c.g
	results := make([]*Result, len(data))
	err = s.transact(ctx, func(ctx context.Context, tx Tx) error {
		ids, err := s.knownReferences(ctx, tx, o, p, sys, data)
		if err != nil {
			return err
		}
		ctx = context.WithValue(ctx, refsKey, &knownRefs{object: o, p: p, sys: sys, ids: ids})
		now := s.clock().UTC().Truncate(time.Millisecond)
		rows := make([]Record, len(data))
		inputs := make([]Record, len(data))
		for i, rec := range data {
			hc := &HookContext{Object: o, Event: BeforeCreate, Input: copyRecord(rec), Principal: p}
			if id, ok := hc.Input[FieldID].(string); ok {
				hc.ID = id
			}
			if err := s.runHooks(ctx, hc); err != nil {
				return atIndex(err, i)
			}
			values, dropped, err := s.prepare(ctx, tx, o, g, p, sys, hc.Input, nil, now)
			if err != nil {
				return atIndex(err, i)
			}
			rows[i], inputs[i] = values, hc.Input
			results[i] = &Result{ID: values[FieldID].(string), Version: versionOf(values), Dropped: dropped}
		}
		if err := insertMany(ctx, tx, o, rows); err != nil {
			return err
		}
		fields, _ := s.projection(o, g, sys, nil)
		for i, values := range rows {
			if err := s.runHooks(ctx, &HookContext{Object: o, Event: AfterCreate, ID: results[i].ID, Input: inputs[i],
				Result: wire(o, values, allFields(o)), Principal: p}); err != nil {
				return atIndex(err, i)
			}
			results[i].Record = wire(o, values, fields)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// knownRefs are the references of a CreateMany checked up front, for
// checkReferences of that object and caller only (a hook's own writes, as
// another caller or on another object, look theirs up).
type knownRefs struct {
	object *Object
	p      *Principal
	sys    bool
	ids    map[string]map[string]bool // target object → id → visible
}

// knownReferences looks up, one query per referenced object, which of the
// ids the records reference the caller can see, so that checkReferences
// needs no query per record. Ids the batch itself creates count as found.
// Ids a hook adds later are not in the map and are looked up then.
func (s *Stack) knownReferences(ctx context.Context, tx Tx, o *Object, p *Principal, sys bool, data []Record) (map[string]map[string]bool, error) {
	wanted := map[string]map[string]bool{}
	for _, f := range o.Fields {
		if f.Kind() != KindReference || (f.System && sys) || s.objects[f.Target()] == nil {
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
		target := s.objects[name]
		_, rf, err := s.authorize(ctx, p, sys, target, AccessRead)
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
	if own := wanted[o.Name]; own != nil {
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

func allFields(o *Object) []string {
	out := make([]string, len(o.Fields))
	for i, f := range o.Fields {
		out[i] = f.Name
	}
	return out
}

func copyRecord(r Record) Record {
	out := make(Record, len(r))
	for k, v := range r {
		out[k] = v
	}
	return out
}

// prepare validates input for a create (existing nil) or an update and
// returns the canonical values to store and the dropped fields.
func (s *Stack) prepare(ctx context.Context, tx Tx, o *Object, g *Grant, p *Principal, sys bool,
	input Record, existing Record, now time.Time) (Record, []string, error) {
	creating := existing == nil
	keys := sortedKeys(input)
	var unknown []string
	for _, k := range keys {
		if f := o.Field(k); f == nil || (f.Internal && !sys) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		e := s.unknownField(o, unknown[0], sys, CodeInvalidField)
		if len(unknown) > 1 {
			e.Message = fmt.Sprintf("Unknown fields on object '%s': %s.", o.Name, strings.Join(unknown, ", "))
			e.With("fields", unknown)
		}
		return nil, nil, e
	}
	values := make(Record, len(o.Fields))
	var dropped []string
	var errs []FieldError
	for _, k := range keys {
		f := o.Field(k)
		v := input[k]
		switch {
		case k == FieldID:
			if !creating {
				dropped = append(dropped, k)
				continue
			}
			if v == nil {
				continue
			}
			id, ok := v.(string)
			if !ok || !ValidID(id) {
				errs = append(errs, FieldError{Field: k, Code: FieldInvalidValue,
					Message: "id must be 1 to 128 letters, digits, _ . : or -, starting with a letter or digit"})
				continue
			}
			values[k] = id
			continue
		case f.System && k != FieldOwner && !sys:
			dropped = append(dropped, k)
			continue
		case f.Kind() == KindAutonumber && !sys:
			dropped = append(dropped, k)
			continue
		case f.Readonly && !sys:
			dropped = append(dropped, k)
			continue
		case f.Kind() == KindPassword && v == MaskedValue:
			continue
		}
		if !sys && !g.CanEdit(k) {
			return nil, nil, fieldError(o, k, CodeFieldNotAccessible, "Field '%s' is not editable.", k)
		}
		c, fe := normalizeValue(f, v)
		if fe != nil {
			errs = append(errs, *fe)
			continue
		}
		if c == nil && f.Required {
			errs = append(errs, FieldError{Field: k, Code: FieldRequired, Message: fmt.Sprintf("%s is required", k)})
			continue
		}
		values[k] = c
	}
	if creating {
		for _, f := range o.Fields {
			if _, given := values[f.Name]; given || f.System || f.Kind() == KindAutonumber {
				continue
			}
			if _, given := input[f.Name]; given && !(f.Readonly && !sys) {
				continue
			}
			d, fe := normalizeDefault(f, userID(p), now)
			if fe != nil {
				return nil, nil, fmt.Errorf("objectos: default of %s.%s: %s", o.Name, f.Name, fe.Message)
			}
			if d != nil {
				values[f.Name] = d
			} else if f.Required {
				errs = append(errs, FieldError{Field: f.Name, Code: FieldRequired, Message: fmt.Sprintf("%s is required", f.Name)})
			}
		}
	}
	if len(errs) > 0 {
		return nil, nil, validationFailed(o.Name, errs)
	}
	// owner transfer
	if o.HasOwner() {
		if owner, given := values[FieldOwner]; given {
			current := userID(p)
			if !creating {
				current, _ = existing[FieldOwner].(string)
			}
			if owner != current && !g.Transfer {
				return nil, nil, fieldError(o, FieldOwner, CodePermissionDenied,
					"Changing the owner of a '%s' record requires the transfer permission.", o.Name)
			}
			if owner == nil {
				return nil, nil, validationFailed(o.Name, []FieldError{{Field: FieldOwner, Code: FieldRequired, Message: "owner_id is required"}})
			}
		}
	}
	if err := s.checkReferences(ctx, tx, o, p, sys, values, existing); err != nil {
		return nil, nil, err
	}
	if creating {
		if _, ok := values[FieldID]; !ok {
			id, err := uuid.NewV7()
			if err != nil {
				return nil, nil, err
			}
			values[FieldID] = id.String()
		}
		setIfAbsent(values, FieldCreatedAt, now)
		setIfAbsent(values, FieldUpdatedAt, now)
		if uid := userID(p); uid != "" {
			setIfAbsent(values, FieldCreatedBy, uid)
			setIfAbsent(values, FieldUpdatedBy, uid)
			if o.HasOwner() {
				setIfAbsent(values, FieldOwner, uid)
			}
		}
		for _, f := range o.Fields {
			if f.Kind() != KindAutonumber {
				continue
			}
			if _, given := values[f.Name]; given {
				continue
			}
			n, err := tx.NextSequence(ctx, o.Name+"."+f.Name)
			if err != nil {
				return nil, nil, err
			}
			values[f.Name] = formatAutonumber(f.AutonumberFormat, n, now)
		}
	} else {
		prev, _ := existing[FieldUpdatedAt].(time.Time)
		next := now
		if !next.After(prev) {
			next = prev.Add(time.Millisecond)
		}
		values[FieldUpdatedAt] = next
		if uid := userID(p); uid != "" {
			values[FieldUpdatedBy] = uid
		}
	}
	return values, dropped, nil
}

func setIfAbsent(values Record, k string, v any) {
	if _, ok := values[k]; !ok {
		values[k] = v
	}
}

// checkReferences verifies that every reference value written points at a
// record the caller can see.
func (s *Stack) checkReferences(ctx context.Context, tx Tx, o *Object, p *Principal, sys bool, values, existing Record) error {
	var errs []FieldError
	for _, f := range o.Fields {
		if f.Kind() != KindReference {
			continue
		}
		id, ok := values[f.Name].(string)
		if !ok {
			continue
		}
		if existing != nil && existing[f.Name] == id {
			continue
		}
		target := s.objects[f.Target()]
		if target == nil {
			continue // e.g. user fields without a sys_user object
		}
		if f.System && sys {
			continue
		}
		found, known := false, false
		if refs, ok := ctx.Value(refsKey).(*knownRefs); ok && refs.object == o && refs.p == p && refs.sys == sys {
			found, known = refs.ids[target.Name][id]
		}
		if !known {
			_, rf, err := s.authorize(ctx, p, sys, target, AccessRead)
			if err == nil {
				n, err := tx.Count(ctx, target, And(&Filter{Op: OpEq, Field: FieldID, Value: id}, rf))
				if err != nil {
					return err
				}
				found = n > 0
			} else if !IsCode(err, CodePermissionDenied) {
				return err
			}
		}
		if !found {
			errs = append(errs, FieldError{Field: f.Name, Code: FieldReferenceNotFound,
				Message: fmt.Sprintf("%s does not reference an existing %s record", f.Name, target.Name)})
		}
	}
	if len(errs) > 0 {
		return validationFailed(o.Name, errs)
	}
	return nil
}

func formatAutonumber(format string, n int64, now time.Time) string {
	if format == "" {
		format = "{0000}"
	}
	out := counterRE.ReplaceAllStringFunc(format, func(tok string) string {
		width := len(tok) - 2
		return fmt.Sprintf("%0*d", width, n)
	})
	r := strings.NewReplacer("{YYYYMMDD}", now.Format("20060102"), "{YYYY}", now.Format("2006"),
		"{MM}", now.Format("01"), "{DD}", now.Format("02"))
	return r.Replace(out)
}

// load reads a record for a write: it must be visible to the caller (else
// RECORD_NOT_FOUND), and within the write grant (else RECORD_NOT_ACCESSIBLE).
func (s *Stack) load(ctx context.Context, tx Tx, o *Object, id string, readF, writeF *Filter, opts WriteOptions) (Record, error) {
	if !ValidID(id) {
		return nil, notFound(o, id)
	}
	byID := &Filter{Op: OpEq, Field: FieldID, Value: id}
	rows, err := tx.Find(ctx, o, &Select{Where: And(byID, readF), Limit: 1, Lock: true})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, notFound(o, id)
	}
	if writeF != nil && writeF.String() != readF.String() {
		n, err := tx.Count(ctx, o, And(byID, writeF))
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, Errorf(CodeRecordNotAccessible, "Record '%s' in '%s' is not writable by the caller.", id, o.Name).
				With("object", o.Name)
		}
	}
	if opts.IfMatch != "" {
		want := strings.TrimPrefix(strings.TrimSpace(opts.IfMatch), "W/")
		want = strings.Trim(want, `"`)
		if cur := versionOf(rows[0]); want != "*" && want != cur {
			return nil, Errorf(CodeConcurrentUpdate, "Record '%s' was changed by someone else; reload it and try again.", id).
				With("object", o.Name).With("currentVersion", cur)
		}
	}
	return rows[0], nil
}

// Update applies a partial update to one record and returns the result.
func (s *Stack) Update(ctx context.Context, object, id string, data Record, opts WriteOptions) (*Result, error) {
	c, err := s.begin(ctx, object, AccessUpdate)
	if err != nil {
		return nil, err
	}
	o, p, sys, g, writeF := c.o, c.p, c.sys, c.g, c.rf
	_, readF, err := s.authorize(ctx, p, sys, o, AccessRead)
	if err != nil {
		return nil, err
	}
	var res *Result
	err = s.transact(ctx, func(ctx context.Context, tx Tx) error {
		existing, err := s.load(ctx, tx, o, id, readF, writeF, opts)
		if err != nil {
			return err
		}
		hc := &HookContext{Object: o, Event: BeforeUpdate, ID: id, Input: copyRecord(data),
			Previous: wire(o, existing, allFields(o)), Principal: p}
		if err := s.runHooks(ctx, hc); err != nil {
			return err
		}
		now := s.clock().UTC().Truncate(time.Millisecond)
		values, dropped, err := s.prepare(ctx, tx, o, g, p, sys, hc.Input, existing, now)
		if err != nil {
			return err
		}
		where := And(&Filter{Op: OpEq, Field: FieldID, Value: id},
			&Filter{Op: OpEq, Field: FieldUpdatedAt, Value: existing[FieldUpdatedAt]})
		n, err := tx.Update(ctx, o, where, values)
		if err != nil {
			return err
		}
		if n == 0 {
			return Errorf(CodeConcurrentUpdate, "Record '%s' was changed by someone else; reload it and try again.", id).
				With("object", o.Name)
		}
		merged := copyRecord(existing)
		for k, v := range values {
			merged[k] = v
		}
		res = &Result{ID: id, Version: versionOf(merged), Dropped: dropped}
		if err := s.runHooks(ctx, &HookContext{Object: o, Event: AfterUpdate, ID: id, Input: hc.Input,
			Previous: hc.Previous, Result: wire(o, merged, allFields(o)), Principal: p}); err != nil {
			return err
		}
		fields, _ := s.projection(o, g, sys, nil)
		res.Record = wire(o, merged, fields)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Delete removes one record, applying the deleteBehavior of every lookup
// that points at it (set_null, cascade, restrict) in the same transaction.
func (s *Stack) Delete(ctx context.Context, object, id string, opts WriteOptions) error {
	c, err := s.begin(ctx, object, AccessDelete)
	if err != nil {
		return err
	}
	o, p, sys, writeF := c.o, c.p, c.sys, c.rf
	_, readF, err := s.authorize(ctx, p, sys, o, AccessRead)
	if err != nil {
		return err
	}
	return s.transact(ctx, func(ctx context.Context, tx Tx) error {
		existing, err := s.load(ctx, tx, o, id, readF, writeF, opts)
		if err != nil {
			return err
		}
		prev := wire(o, existing, allFields(o))
		if err := s.runHooks(ctx, &HookContext{Object: o, Event: BeforeDelete, ID: id, Previous: prev, Principal: p}); err != nil {
			return err
		}
		d := &deletion{p: p, sys: sys, now: s.clock().UTC().Truncate(time.Millisecond), visited: map[string]bool{}}
		if err := s.deleteRows(ctx, tx, o, []any{id}, d); err != nil {
			return err
		}
		return s.runHooks(ctx, &HookContext{Object: o, Event: AfterDelete, ID: id, Previous: prev, Principal: p})
	})
}

// deletion is the state of one delete and its cascades: the caller, the
// time of the change, and the records already reached (against cycles).
type deletion struct {
	p       *Principal
	sys     bool
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
	_, readF, err := s.authorize(ctx, d.p, d.sys, ref.Object, AccessRead)
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
	if uid := userID(d.p); uid != "" {
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

func (s *Stack) runHooks(ctx context.Context, hc *HookContext) error {
	for _, h := range s.hooks {
		if h.Object != "*" && h.Object != hc.Object.Name {
			continue
		}
		if !contains(h.Events, hc.Event) {
			continue
		}
		if err := h.Func(ctx, hc); err != nil {
			return err
		}
	}
	return nil
}

// queryDigest identifies the query a cursor belongs to: the object, the
// filter as written, the search, the sort and the caller.
func queryDigest(o *Object, q *Query, keys []SortKey, uid string, sys bool) string {
	var b strings.Builder
	b.WriteString(o.Name)
	b.WriteByte(0)
	b.WriteString(q.Filter.String())
	b.WriteByte(0)
	b.WriteString(q.Search)
	b.WriteByte(0)
	b.WriteString(strings.Join(q.SearchFields, ","))
	b.WriteByte(0)
	for _, k := range keys {
		b.WriteString(k.Field)
		if k.Desc {
			b.WriteString(" desc")
		}
		b.WriteByte(',')
	}
	b.WriteByte(0)
	b.WriteString(uid)
	b.WriteString(strconv.FormatBool(sys))
	return b.String()
}
