package objectos

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultPageSize is the page size of a list without a limit.
const DefaultPageSize = 50

// Query is a list request against one object.
type Query struct {
	// Filter is a parsed filter (see [ParseFilter]); nil matches every record.
	Filter *Filter
	// Sort keys; id is appended as the final tie-breaker in the direction
	// of the last key. Empty means id ascending (creation order).
	Sort []SortKey
	// Fields restricts the returned fields; id is always returned. Empty
	// means every readable field.
	Fields []string
	// Expand lists reference fields to replace by the referenced record;
	// dotted paths ("account.parent") expand nested levels, at most 3 deep.
	Expand []string
	// ExpandSpecs narrow expansions by path: the fields returned and a
	// filter the referenced record must match (see ExpandSpec). A spec's
	// path is expanded even when Expand does not list it.
	ExpandSpecs map[string]ExpandSpec
	// Search is a case-insensitive containment search over the searchable
	// fields, AND-ed with the filter.
	Search string
	// SearchFields restricts Search to these text fields. Empty means the
	// object's searchable fields.
	SearchFields []string
	// Limit is the page size: 0 means DefaultPageSize; above the stack's
	// maximum it is clamped. Negative is refused.
	Limit int
	// Offset skips rows; it cannot be combined with Cursor.
	Offset int
	// Cursor continues from a previous page's NextCursor.
	Cursor string
	// SkipCount leaves Total unset (-1), saving a COUNT query.
	SkipCount bool
	// EstimateCount lets Total be the database's estimate when it is large
	// (above EstimateAbove), where an exact COUNT reads every match: on a
	// store that can estimate (PostgreSQL's planner), ListResult reports it
	// with TotalEstimated. Below that, and on other stores, Total is exact.
	EstimateCount bool
	// Lock locks the records read until the transaction ends (SELECT … FOR
	// UPDATE on PostgreSQL; SQLite serializes write transactions anyway),
	// for a read-modify-write inside Stack.Transact.
	Lock bool
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

// queryPlan is a list query checked against the object and the grant.
type queryPlan struct {
	where  *Filter
	sort   []SortKey // with the id tie-breaker
	fields []string
	expand []*expandNode
	digest string // binds cursors to the query and the caller
}

func (c *call) plan(ctx context.Context, q *Query) (*queryPlan, error) {
	pl := &queryPlan{}
	var err error
	if pl.fields, err = c.projection(q.Fields); err != nil {
		return nil, err
	}
	if pl.expand, err = c.parseExpand(ctx, q.Expand, q.ExpandSpecs); err != nil {
		return nil, err
	}
	pl.fields = withExpand(pl.fields, pl.expand)
	var user *Filter
	if q.Filter != nil {
		if user, err = c.bindReadableFilter(q.Filter); err != nil {
			return nil, err
		}
	}
	if err := c.s.checkValues(user.values() + expandValues(pl.expand)); err != nil {
		return nil, err
	}
	keys, err := bindSort(c.o, q.Sort)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if !c.sys && !c.g.CanRead(k.Field) {
			return nil, fieldError(c.o, k.Field, CodeFieldNotAccessible, "Field '%s' is not readable and cannot be sorted.", k.Field)
		}
	}
	pl.sort = withTieBreaker(keys)
	var search *Filter
	if q.Search != "" {
		if search, err = c.searchFilter(q.Search, q.SearchFields); err != nil {
			return nil, err
		}
	}
	pl.where = And(c.rf, user, search)
	if pl.where != nil && pl.where.IsTrue() {
		pl.where = nil
	}
	pl.digest = queryDigest(c.o, q, keys, userID(c.p), c.sys)
	return pl, nil
}

// searchFilter builds the case-insensitive containment search over the
// object's searchable fields that the caller may read.
func (c *call) searchFilter(term string, only []string) (*Filter, error) {
	if !c.o.Searchable() {
		return nil, Errorf(CodeInvalidQuery, "Object '%s' is not searchable.", c.o.Name).With("param", "search")
	}
	if strings.IndexByte(term, 0) >= 0 || len(term) > 500 || !utf8.ValidString(term) {
		return nil, Errorf(CodeInvalidQuery, "search must be text of at most 500 characters.").With("param", "search")
	}
	var names []string
	for _, name := range only {
		f := c.o.Field(name)
		switch {
		case f == nil || (f.Internal && !c.sys):
			return nil, c.unknownField(name, CodeInvalidField)
		case !c.sys && !c.g.CanRead(name):
			return nil, fieldError(c.o, name, CodeFieldNotAccessible, "Field '%s' is not readable and cannot be searched.", name)
		case f.Kind() == KindSecret:
			return nil, fieldError(c.o, name, CodeInvalidQuery, "Field '%s' is a secret (encrypted) and cannot be searched.", name)
		case f.Kind() != KindText && f.Kind() != KindChoice && f.Kind() != KindAutonumber:
			return nil, fieldError(c.o, name, CodeInvalidField, "Field '%s' is not a text field and cannot be searched.", name)
		}
		names = append(names, name)
	}
	for _, f := range c.o.Fields {
		if len(only) == 0 && f.Searchable && !f.Internal {
			names = append(names, f.Name)
		}
	}
	if len(names) == 0 {
		for _, f := range c.o.Fields {
			if !f.System && !f.Internal && (f.Kind() == KindText || f.Kind() == KindChoice || f.Kind() == KindAutonumber) {
				names = append(names, f.Name)
			}
		}
	}
	folded := asciiLower(term)
	or := &Filter{Op: OpOr}
	for _, name := range names {
		if c.sys || c.g.CanRead(name) {
			or.Children = append(or.Children, &Filter{Op: OpIContains, Field: name, Value: folded})
		}
	}
	return or, nil
}

// bindReadableFilter binds a caller's filter to the object and checks that
// it names only fields the caller may read.
func (c *call) bindReadableFilter(f *Filter) (*Filter, error) {
	bound, err := BindFilter(c.o, f, BindOptions{Now: c.s.clock(), UserID: userID(c.p), AllowInternal: c.sys})
	if err != nil {
		return nil, err
	}
	if !c.sys {
		for _, name := range bound.Fields() {
			if !c.g.CanRead(name) {
				return nil, fieldError(c.o, name, CodeFieldNotAccessible, "Field '%s' is not readable and cannot be filtered.", name)
			}
		}
	}
	return bound, nil
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
