package objectos

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// AggFunc is an aggregate function.
type AggFunc string

// Aggregate functions (upstream's QueryAST).
const (
	AggCount         AggFunc = "count"
	AggSum           AggFunc = "sum"
	AggAvg           AggFunc = "avg"
	AggMin           AggFunc = "min"
	AggMax           AggFunc = "max"
	AggCountDistinct AggFunc = "count_distinct"
)

// DateGranularity buckets a date or datetime group key: the key is the
// first day of the bucket ("2024-03-01" for March), in UTC. Weeks start on
// Monday (ISO).
type DateGranularity string

// Date granularities.
const (
	GranularityDay     DateGranularity = "day"
	GranularityWeek    DateGranularity = "week"
	GranularityMonth   DateGranularity = "month"
	GranularityQuarter DateGranularity = "quarter"
	GranularityYear    DateGranularity = "year"
)

// Aggregation is one aggregate of an AggregateQuery: Function over Field
// (count without a field counts records), under the name Alias in the
// result rows.
type Aggregation struct {
	Function AggFunc
	// Field is the field aggregated; empty only for count.
	Field string
	// Alias names the value in the result rows. Default: the function and
	// the field, such as "sum_amount" (or "count").
	Alias string
	// Filter, when set, aggregates only the records matching it (SQL's
	// FILTER (WHERE …)), as upstream's per-aggregation filter.
	Filter *Filter
}

// GroupKey is one key of an AggregateQuery's grouping: a field, or a date
// or datetime field bucketed by Granularity.
type GroupKey struct {
	Field       string
	Granularity DateGranularity
	// Alias names the key in the result rows. Default: the field's name.
	Alias string
}

// AggregateQuery groups an object's records and aggregates each group.
type AggregateQuery struct {
	// Filter selects the records (ObjectQL, as in Query), within the
	// caller's record access.
	Filter *Filter
	// GroupBy are the keys; none aggregates every record into one row.
	GroupBy []GroupKey
	// Aggregations are computed per group; at least one.
	Aggregations []Aggregation
	// Having keeps the groups matching it; its fields are the aliases.
	Having *Filter
	// Sort orders the groups by aliases; the group keys follow as
	// tie-breakers. Default: the group keys ascending (NULL first).
	Sort []SortKey
	// Limit caps the groups returned: default 50, at most the Stack's
	// MaxPageSize. Offset skips groups.
	Limit, Offset int
}

// AggregateResult is the groups of an aggregate query.
type AggregateResult struct {
	// Rows hold, per group, the group keys and the aggregates under their
	// aliases: wire values of the key fields (a date bucket is its first
	// day), counts as integers, sums and averages as numbers, minimum and
	// maximum as values of the field. An aggregate over no value is null
	// (a count is 0).
	Rows []Record
	// HasMore reports whether groups follow this page.
	HasMore bool
}

// Aggregator is implemented by a Tx that can group and aggregate in the
// database (the store package's does, on both dialects, in one statement).
// The engine checks and binds everything first: the select names only
// fields of the object, its filters are bound, and its result columns are
// g0, g1, … (group keys) and a0, a1, … (aggregates), described by
// AggregateSelect.Result.
type Aggregator interface {
	Aggregate(ctx context.Context, o *Object, a *AggregateSelect) ([]Record, error)
}

// AggregateSelect is an aggregate read of one object's records, checked and
// bound by the engine.
type AggregateSelect struct {
	// Where is a bound filter on the object; nil matches every record.
	Where *Filter
	// Groups are the keys, result columns g0, g1, ….
	Groups []GroupSpec
	// Aggs are the aggregates, result columns a0, a1, ….
	Aggs []AggSpec
	// Result describes the result columns as fields (count, sum and avg are
	// numbers; min and max have the field's type; a date bucket is a date),
	// for Having and for decoding.
	Result *Object
	// Having is a filter bound on Result.
	Having *Filter
	// Sort orders by result columns: NULL smallest, as every sort.
	Sort []SortKey
	// Limit caps the rows; 0 means no cap. Offset skips rows.
	Limit, Offset int
}

// GroupSpec is one group key of an AggregateSelect.
type GroupSpec struct {
	Field       string
	Granularity DateGranularity
}

// AggSpec is one aggregate of an AggregateSelect; Field is empty for a
// count of records, and Filter a bound filter on the object.
type AggSpec struct {
	Function AggFunc
	Field    string
	Filter   *Filter
}

// Limits of one aggregate query.
const (
	maxGroupKeys    = 8
	maxAggregations = 32
)

var aliasRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

func aggErr(format string, args ...any) *Error {
	return quotedf(CodeInvalidQuery, format, args...).With("param", "aggregations")
}

// Aggregate groups the records of the object the caller may read and
// aggregates each group, in one statement on the store: count, sum, avg,
// min, max and count_distinct, with group keys (date buckets by day, week,
// month, quarter or year), a filter on the records and one on the groups
// (Having), sorted and paged. Field security applies as in List: a field
// the caller may not read cannot be grouped, aggregated or filtered on
// (FIELD_NOT_ACCESSIBLE). Mistakes in the query are INVALID_QUERY (or
// INVALID_FIELD, INVALID_FILTER, INVALID_SORT).
func (s *Stack) Aggregate(ctx context.Context, object string, q AggregateQuery) (*AggregateResult, error) {
	c, err := s.begin(ctx, object, AccessRead)
	if err != nil {
		return nil, err
	}
	ag, ok := s.reader(ctx).(Aggregator)
	if !ok {
		return nil, NewError(CodeInvalidQuery, "This store cannot aggregate.")
	}
	if len(q.Aggregations) == 0 {
		return nil, aggErr("An aggregate query needs at least one aggregation.")
	}
	if len(q.GroupBy) > maxGroupKeys || len(q.Aggregations) > maxAggregations {
		return nil, aggErr("An aggregate query takes at most %d group keys and %d aggregations.", maxGroupKeys, maxAggregations)
	}
	field := func(name, use string) (*Field, error) {
		f := c.o.Field(name)
		switch {
		case f == nil || f.Internal && !c.sys:
			return nil, c.unknownField(name, CodeInvalidField)
		case !c.sys && !c.g.CanRead(name):
			return nil, fieldError(c.o, name, CodeFieldNotAccessible, "Field '%s' is not readable and cannot be %s.", name, use)
		case f.Kind() == KindPassword:
			return nil, fieldError(c.o, name, CodeInvalidField, "Field '%s' is a password and cannot be %s.", name, use)
		case f.Kind() == KindSecret:
			return nil, fieldError(c.o, name, CodeInvalidQuery, "Field '%s' is a secret (encrypted) and cannot be %s.", name, use)
		case !f.Stored() && f.Computed() == nil:
			return nil, fieldError(c.o, name, CodeInvalidQuery, "Field '%s' is a formula computed after the read and cannot be %s.", name, use)
		}
		return f, nil
	}
	sel := &AggregateSelect{Result: &Object{Name: c.o.Name}}
	aliases := map[string]string{} // alias -> result column
	out := make([]string, 0, len(q.GroupBy)+len(q.Aggregations))
	addAlias := func(alias, col string) error {
		if !aliasRE.MatchString(alias) {
			return aggErr("Alias %q must be a name of letters, digits and underscores.", clip(alias))
		}
		if _, dup := aliases[alias]; dup {
			return aggErr("Alias '%s' is used twice.", alias)
		}
		aliases[alias] = col
		out = append(out, alias)
		return nil
	}
	var resultFields []*Field
	for i, k := range q.GroupBy {
		f, err := field(k.Field, "grouped")
		if err != nil {
			return nil, err
		}
		col := fmt.Sprintf("g%d", i)
		rf := &Field{Name: col, Type: valueType(f), Options: f.Options, Reference: f.Reference}
		switch f.Kind() {
		case KindMulti, KindJSON:
			return nil, fieldError(c.o, f.Name, CodeInvalidQuery, "Field '%s' is a %s field and cannot be grouped.", f.Name, f.Type)
		}
		if k.Granularity != "" {
			switch k.Granularity {
			case GranularityDay, GranularityWeek, GranularityMonth, GranularityQuarter, GranularityYear:
			default:
				return nil, aggErr("Unknown date granularity '%s'; use day, week, month, quarter or year.", clip(string(k.Granularity)))
			}
			if !f.Stored() {
				return nil, fieldError(c.o, f.Name, CodeInvalidQuery, "Field '%s' is a formula; it has no %s buckets.", f.Name, k.Granularity)
			}
			if f.Kind() != KindDate && f.Kind() != KindDatetime {
				return nil, fieldError(c.o, f.Name, CodeInvalidQuery, "Field '%s' is not a date or datetime; it has no %s buckets.", f.Name, k.Granularity)
			}
			rf = &Field{Name: col, Type: TypeDate}
		}
		alias := k.Alias
		if alias == "" {
			alias = k.Field
		}
		if err := addAlias(alias, col); err != nil {
			return nil, err
		}
		sel.Groups = append(sel.Groups, GroupSpec{Field: f.Name, Granularity: k.Granularity})
		resultFields = append(resultFields, rf)
	}
	counts := map[string]bool{} // result columns that are counts
	for i, a := range q.Aggregations {
		col := fmt.Sprintf("a%d", i)
		counts[col] = a.Function == AggCount || a.Function == AggCountDistinct
		spec := AggSpec{Function: a.Function}
		rf := &Field{Name: col, Type: TypeNumber}
		switch a.Function {
		case AggCount, AggCountDistinct, AggSum, AggAvg, AggMin, AggMax:
		default:
			return nil, aggErr("Unknown aggregate function '%s'; use count, sum, avg, min, max or count_distinct.", clip(string(a.Function)))
		}
		if a.Field == "" && a.Function != AggCount {
			return nil, aggErr("%s needs a field.", a.Function)
		}
		if a.Field != "" {
			f, err := field(a.Field, "aggregated")
			if err != nil {
				return nil, err
			}
			switch a.Function {
			case AggSum, AggAvg:
				if f.Kind() != KindNumber {
					return nil, fieldError(c.o, f.Name, CodeInvalidQuery, "%s needs a number field; '%s' is %s.", a.Function, f.Name, f.Type)
				}
			case AggMin, AggMax:
				switch f.Kind() {
				case KindNumber, KindDate, KindDatetime, KindTime, KindText, KindChoice, KindAutonumber:
				default:
					return nil, fieldError(c.o, f.Name, CodeInvalidQuery, "%s needs a number, date, time or text field; '%s' is %s.", a.Function, f.Name, f.Type)
				}
				rf = &Field{Name: col, Type: valueType(f), Options: f.Options}
			case AggCountDistinct:
				if f.Kind() == KindJSON || f.Kind() == KindMulti {
					return nil, fieldError(c.o, f.Name, CodeInvalidQuery, "count_distinct cannot count %s values.", f.Type)
				}
			}
			spec.Field = f.Name
		}
		if a.Filter != nil {
			bound, err := c.bindReadableFilter(a.Filter)
			if err != nil {
				return nil, err
			}
			spec.Filter = bound
		}
		alias := a.Alias
		if alias == "" {
			alias = string(a.Function)
			if a.Field != "" {
				alias += "_" + a.Field
			}
		}
		if err := addAlias(alias, col); err != nil {
			return nil, err
		}
		sel.Aggs = append(sel.Aggs, spec)
		resultFields = append(resultFields, rf)
	}
	sel.Result.Fields = resultFields

	var user *Filter
	if q.Filter != nil {
		if user, err = c.bindReadableFilter(q.Filter); err != nil {
			return nil, err
		}
	}
	sel.Where = And(c.rf, user)
	if sel.Where != nil && sel.Where.IsTrue() {
		sel.Where = nil
	}
	if q.Having != nil {
		renamed, err := renameFields(q.Having, aliases)
		if err != nil {
			return nil, err
		}
		if sel.Having, err = BindFilter(sel.Result, renamed, BindOptions{Now: s.clock(), UserID: userID(c.p)}); err != nil {
			return nil, err
		}
	}
	n := sel.Where.values() + sel.Having.values()
	for _, a := range sel.Aggs {
		n += a.Filter.values()
	}
	if err := s.checkValues(n); err != nil {
		return nil, err
	}
	sorted := map[string]bool{}
	for _, k := range q.Sort {
		col, ok := aliases[k.Field]
		if !ok {
			return nil, Errorf(CodeInvalidSort, "Unknown sort key '%s'; sort an aggregate query by its aliases (%s).",
				clip(k.Field), strings.Join(out, ", ")).With("param", "sort")
		}
		if !sorted[col] {
			sel.Sort = append(sel.Sort, SortKey{Field: col, Desc: k.Desc})
			sorted[col] = true
		}
	}
	for i := range sel.Groups {
		if col := fmt.Sprintf("g%d", i); !sorted[col] {
			sel.Sort = append(sel.Sort, SortKey{Field: col})
		}
	}
	limit, err := s.pageSize(q.Limit, q.Offset)
	if err != nil {
		return nil, err
	}
	sel.Limit, sel.Offset = limit+1, q.Offset
	rows, err := ag.Aggregate(ctx, c.o, sel)
	if err != nil {
		return nil, err
	}
	res := &AggregateResult{Rows: make([]Record, 0, min(len(rows), limit))}
	if len(rows) > limit {
		res.HasMore = true
		rows = rows[:limit]
	}
	for _, row := range rows {
		rec := make(Record, len(out))
		for _, alias := range out {
			col := aliases[alias]
			if counts[col] {
				n, _ := row[col].(float64)
				rec[alias] = int64(n)
				continue
			}
			rec[alias] = toWire(sel.Result.Field(col), row[col])
		}
		res.Rows = append(res.Rows, rec)
	}
	return res, nil
}

// renameFields copies a filter with its field names (and $field
// references) mapped by names; a name not in it is INVALID_FILTER.
func renameFields(f *Filter, names map[string]string) (*Filter, error) {
	if f == nil {
		return nil, nil
	}
	c := *f
	if f.Field != "" {
		col, ok := names[f.Field]
		if !ok {
			return nil, Errorf(CodeInvalidFilter, "Unknown name '%s' in having; it filters on the aliases of the group keys and aggregations.",
				clip(f.Field)).With("param", "having")
		}
		c.Field = col
	}
	if f.Ref != "" {
		col, ok := names[f.Ref]
		if !ok {
			return nil, Errorf(CodeInvalidFilter, "Unknown name '%s' in having.", clip(f.Ref)).With("param", "having")
		}
		c.Ref = col
	}
	c.Children = nil
	for _, ch := range f.Children {
		rc, err := renameFields(ch, names)
		if err != nil {
			return nil, err
		}
		c.Children = append(c.Children, rc)
	}
	return &c, nil
}

// valueType is the type of a field's values: a formula's return type.
func valueType(f *Field) FieldType {
	if f.Type == TypeFormula {
		return f.ReturnType
	}
	return f.Type
}
