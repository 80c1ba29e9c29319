package objectos

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/objectos-go/objectos/internal/jsonkind"
	"github.com/objectos-go/objectos/internal/suggest"
)

// BindOptions controls [BindFilter].
type BindOptions struct {
	// Now resolves date macros such as {today}; zero means the current time.
	Now time.Time
	// UserID resolves {current_user_id} and {user_id}.
	UserID string
	// AllowInternal lets the filter read internal fields. Only filters built
	// by Go code running as the system (security plugins, hooks) set it.
	AllowInternal bool
}

// comparison classes: two fields compare only within a class.
type cmpClass uint8

const (
	classNone cmpClass = iota
	classText
	classNumber
	classBool
	classDate
	classDatetime
	classTime
)

func classOf(f *Field) cmpClass {
	switch f.Kind() {
	case KindText, KindChoice, KindReference, KindAutonumber:
		return classText
	case KindNumber:
		return classNumber
	case KindBool:
		return classBool
	case KindDate:
		return classDate
	case KindDatetime:
		return classDatetime
	case KindTime:
		return classTime
	}
	return classNone
}

// BindFilter checks a parsed filter against the object and returns the bound
// filter the store compiles: every field exists and may be filtered,
// comparands have the field's type in canonical form, date macros are
// resolved, whole-day bounds on datetime fields are expanded, and every
// negation ($ne, $nin, $notContains, $exists:false, …) is written as $not.
// Errors are INVALID_FILTER and name the field the caller wrote.
func BindFilter(o *Object, f *Filter, opts BindOptions) (*Filter, error) {
	if f == nil {
		return nil, nil
	}
	if opts.Now.IsZero() {
		opts.Now = nowUTC()
	}
	b := &filterBinder{o: o, opts: opts}
	return b.bind(f, 0)
}

type filterBinder struct {
	o    *Object
	opts BindOptions
}

func (b *filterBinder) field(name string) (*Field, error) {
	f := b.o.Field(name)
	if f == nil || (f.Internal && !b.opts.AllowInternal) {
		var names []string
		for _, x := range b.o.Fields {
			if !x.Internal {
				names = append(names, x.Name)
			}
		}
		msg := fmt.Sprintf("unknown field %q", clip(name))
		if s := suggest.Closest(name, names); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return nil, NewError(CodeInvalidFilter, msg)
	}
	if f.Kind() == KindPassword {
		return nil, filterErr("%q is a password field and cannot be filtered", name)
	}
	if f.Type == TypeFormula && f.Computed() == nil {
		return nil, filterErr("%q is a formula computed after the read and cannot be filtered", name).With("field", name)
	}
	if f.Kind() == KindSecret {
		return nil, filterErr("%q is a secret field and cannot be filtered: its values are encrypted", name)
	}
	return f, nil
}

func (b *filterBinder) bind(f *Filter, depth int) (*Filter, error) {
	if depth > maxFilterDepth*2 {
		return nil, filterErr("filter is nested too deeply")
	}
	switch f.Op {
	case OpAnd, OpOr:
		out := &Filter{Op: f.Op, Children: make([]*Filter, 0, len(f.Children))}
		for _, c := range f.Children {
			bc, err := b.bind(c, depth+1)
			if err != nil {
				return nil, err
			}
			out.Children = append(out.Children, bc)
		}
		return out, nil
	case OpNot:
		if len(f.Children) != 1 {
			return nil, filterErr("$not takes exactly one condition")
		}
		c, err := b.bind(f.Children[0], depth+1)
		if err != nil {
			return nil, err
		}
		return Not(c), nil
	}
	fld, err := b.field(f.Field)
	if err != nil {
		return nil, err
	}
	if f.Ref != "" {
		return b.bindRef(fld, f)
	}
	return b.bindLeaf(fld, f)
}

func (b *filterBinder) bindRef(fld *Field, f *Filter) (*Filter, error) {
	ref, err := b.field(f.Ref)
	if err != nil {
		return nil, err
	}
	ca, cb := classOf(fld), classOf(ref)
	if ca == classNone || cb == classNone {
		return nil, filterErr("%s %s: multi-valued and JSON fields cannot be compared with another field", f.Field, f.Op)
	}
	if ca != cb {
		return nil, filterErr("%s %s: the two fields have different types and cannot be compared", f.Field, f.Op)
	}
	switch f.Op {
	case OpEq, OpGt, OpGte, OpLt, OpLte:
		return &Filter{Op: f.Op, Field: fld.Name, Ref: ref.Name}, nil
	case OpNe:
		return Not(&Filter{Op: OpEq, Field: fld.Name, Ref: ref.Name}), nil
	}
	return nil, filterErr("%s %s: a field reference is not allowed here", f.Field, f.Op)
}

func isNullFilter(field string, null bool) *Filter {
	n := &Filter{Op: OpNull, Field: field, Value: true}
	if null {
		return n
	}
	return Not(n)
}

func (b *filterBinder) bindLeaf(fld *Field, f *Filter) (*Filter, error) {
	op := f.Op
	switch op {
	case OpNull:
		v, ok := f.Value.(bool)
		if !ok {
			return nil, filterErr("%s $null needs true or false", f.Field)
		}
		return isNullFilter(fld.Name, v), nil
	case OpExists:
		v, ok := f.Value.(bool)
		if !ok {
			return nil, filterErr("%s $exists needs true or false", f.Field)
		}
		return isNullFilter(fld.Name, !v), nil
	case OpNe:
		inner, err := b.bindLeaf(fld, &Filter{Op: OpEq, Field: f.Field, Value: f.Value})
		if err != nil {
			return nil, err
		}
		return Not(inner), nil
	case OpNin:
		inner, err := b.bindLeaf(fld, &Filter{Op: OpIn, Field: f.Field, Value: f.Value})
		if err != nil {
			return nil, err
		}
		return Not(inner), nil
	case OpNotContains:
		inner, err := b.bindLeaf(fld, &Filter{Op: OpContains, Field: f.Field, Value: f.Value})
		if err != nil {
			return nil, err
		}
		return Not(inner), nil
	}
	kind := fld.Kind()
	switch kind {
	case KindMulti:
		return b.bindMulti(fld, f)
	case KindJSON:
		if op == OpEq && f.Value == nil {
			return isNullFilter(fld.Name, true), nil
		}
		return nil, filterErr("%s is a JSON field; only $null and $exists apply", f.Field)
	}
	if isStringOp(op) {
		if classOf(fld) != classText {
			return nil, filterErr("%s %s: string operators apply to text fields only", f.Field, op)
		}
		s, ok := f.Value.(string)
		if !ok || s == "" {
			return nil, filterErr("%s %s needs a non-empty string comparand", f.Field, op)
		}
		if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
			return nil, filterErr("%s %s: the comparand must be valid UTF-8 without NUL characters", f.Field, op)
		}
		if (op == OpLike || op == OpILike) && endsWithEscape(s) {
			return nil, filterErr("%s %s: the pattern ends with the escape character \\; write \\\\ for a literal backslash", f.Field, op)
		}
		if op == OpIContains {
			s = asciiLower(s)
		}
		return &Filter{Op: op, Field: fld.Name, Value: s}, nil
	}
	switch op {
	case OpEq:
		if f.Value == nil {
			return isNullFilter(fld.Name, true), nil
		}
		v, day, err := b.comparand(fld, op, f.Value)
		if err != nil {
			return nil, err
		}
		if day != "" {
			return dayRange(fld.Name, day), nil
		}
		return &Filter{Op: OpEq, Field: fld.Name, Value: v}, nil
	case OpGt, OpGte, OpLt, OpLte:
		if f.Value == nil {
			return nil, filterErr("%s %s: null cannot be ordered; use $null", f.Field, op)
		}
		if kind == KindBool {
			return nil, filterErr("%s %s: a boolean field has no order", f.Field, op)
		}
		v, day, err := b.comparand(fld, op, f.Value)
		if err != nil {
			return nil, err
		}
		if day != "" {
			return dayBound(fld.Name, op, day), nil
		}
		return &Filter{Op: op, Field: fld.Name, Value: v}, nil
	case OpIn:
		arr, ok := f.Value.([]any)
		if !ok {
			return nil, filterErr("%s $in needs an array of values", f.Field)
		}
		var vals []any
		var extra []*Filter
		for _, e := range arr {
			if e == nil {
				extra = append(extra, isNullFilter(fld.Name, true))
				continue
			}
			v, day, err := b.comparand(fld, op, e)
			if err != nil {
				return nil, err
			}
			if day != "" {
				extra = append(extra, dayRange(fld.Name, day))
				continue
			}
			vals = append(vals, v)
		}
		var parts []*Filter
		if len(vals) > 0 {
			parts = append(parts, &Filter{Op: OpIn, Field: fld.Name, Value: vals})
		}
		parts = append(parts, extra...)
		if len(parts) == 1 {
			return parts[0], nil
		}
		return &Filter{Op: OpOr, Children: parts}, nil
	case OpBetween:
		arr, ok := f.Value.([]any)
		if !ok || len(arr) != 2 || arr[0] == nil || arr[1] == nil {
			return nil, filterErr("%s $between needs a two-element array [min, max]", f.Field)
		}
		if kind == KindBool {
			return nil, filterErr("%s $between: a boolean field has no order", f.Field)
		}
		lo, err := b.bindLeaf(fld, &Filter{Op: OpGte, Field: f.Field, Value: arr[0]})
		if err != nil {
			return nil, err
		}
		hi, err := b.bindLeaf(fld, &Filter{Op: OpLte, Field: f.Field, Value: arr[1]})
		if err != nil {
			return nil, err
		}
		return &Filter{Op: OpAnd, Children: []*Filter{lo, hi}}, nil
	}
	return nil, unknownOperator(string(op), "")
}

func (b *filterBinder) bindMulti(fld *Field, f *Filter) (*Filter, error) {
	var vals []string
	add := func(v any) error {
		s, ok := v.(string)
		if !ok {
			return filterErr("%s %s: a multi-valued field compares with strings", f.Field, f.Op)
		}
		if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
			return filterErr("%s %s: the comparand must be valid UTF-8 without NUL characters", f.Field, f.Op)
		}
		vals = append(vals, s)
		return nil
	}
	switch f.Op {
	case OpEq:
		if f.Value == nil {
			return isNullFilter(fld.Name, true), nil
		}
		if err := add(f.Value); err != nil {
			return nil, err
		}
	case OpIn:
		arr, _ := f.Value.([]any)
		for _, e := range arr {
			if err := add(e); err != nil {
				return nil, err
			}
		}
		if len(vals) == 0 {
			return False(), nil
		}
	default:
		return nil, filterErr("%s %s: a multi-valued field supports $eq, $ne, $in, $nin, $null and $exists", f.Field, f.Op)
	}
	return &Filter{Op: OpHas, Field: fld.Name, Value: vals}, nil
}

// comparand converts a scalar comparand to the field's canonical type. For a
// datetime field compared with a bare day it returns that day instead, for
// the whole-day rules.
func (b *filterBinder) comparand(fld *Field, op Op, v any) (any, string, error) {
	if s, ok := v.(string); ok {
		if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
			return nil, "", filterErr("%s %s: the comparand must be valid UTF-8 without NUL characters", fld.Name, op)
		}
		r, err := b.resolveMacro(fld, op, s)
		if err != nil {
			return nil, "", err
		}
		v = r
	}
	switch fld.Kind() {
	case KindText, KindChoice, KindReference, KindAutonumber:
		s, ok := v.(string)
		if !ok {
			return nil, "", filterErr("%s %s expects a string, not %s", fld.Name, op, jsonkind.Of(v))
		}
		return s, "", nil
	case KindNumber:
		n, ok := toFloat(v)
		if !ok {
			return nil, "", filterErr("%s %s expects a number, not %s", fld.Name, op, jsonkind.Of(v))
		}
		return n, "", nil
	case KindBool:
		x, ok := v.(bool)
		if !ok {
			return nil, "", filterErr("%s %s expects true or false, not %s", fld.Name, op, jsonkind.Of(v))
		}
		return x, "", nil
	case KindDate:
		switch x := v.(type) {
		case string:
			if d, ok := parseDate(x); ok {
				return d, "", nil
			}
			if t, ok := parseDatetime(x); ok {
				return t.Format(DateLayout), "", nil
			}
		case time.Time:
			return x.UTC().Format(DateLayout), "", nil
		}
		return nil, "", filterErr("%s %s expects a date written YYYY-MM-DD", fld.Name, op)
	case KindDatetime:
		switch x := v.(type) {
		case string:
			if d, ok := parseDate(x); ok {
				return nil, d, nil
			}
			if t, ok := parseDatetime(x); ok {
				return t, "", nil
			}
		case time.Time:
			return x.UTC().Truncate(time.Millisecond), "", nil
		}
		return nil, "", filterErr("%s %s expects an ISO 8601 timestamp or a date", fld.Name, op)
	case KindTime:
		if s, ok := v.(string); ok {
			if t, ok := parseTime(s); ok {
				return t, "", nil
			}
		}
		return nil, "", filterErr("%s %s expects a time written HH:MM:SS", fld.Name, op)
	}
	return nil, "", filterErr("%s cannot be filtered with %s", fld.Name, op)
}

// endsWithEscape reports whether a LIKE pattern ends with an escape
// character that escapes nothing (an odd run of trailing backslashes).
func endsWithEscape(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

func dayStart(day string) time.Time {
	t, _ := time.Parse(DateLayout, day)
	return t
}

// lastInstant is the last instant a datetime field can hold.
var lastInstant = time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC)

// beforeNextDay matches instants before the day after start: < next
// midnight, or <= the last instant when the next day is past year 9999.
func beforeNextDay(field string, start time.Time) *Filter {
	next := start.AddDate(0, 0, 1)
	if next.Year() > 9999 {
		return &Filter{Op: OpLte, Field: field, Value: lastInstant}
	}
	return &Filter{Op: OpLt, Field: field, Value: next}
}

// dayRange matches every instant of the UTC day.
func dayRange(field, day string) *Filter {
	start := dayStart(day)
	return &Filter{Op: OpAnd, Children: []*Filter{
		{Op: OpGte, Field: field, Value: start},
		beforeNextDay(field, start),
	}}
}

// dayBound applies a bound given as a bare day to a datetime field: the day
// is a whole day, so <= day means before the next midnight.
func dayBound(field string, op Op, day string) *Filter {
	start := dayStart(day)
	switch op {
	case OpGt:
		if next := start.AddDate(0, 0, 1); next.Year() <= 9999 {
			return &Filter{Op: OpGte, Field: field, Value: next}
		}
		return &Filter{Op: OpGt, Field: field, Value: lastInstant}
	case OpGte:
		return &Filter{Op: OpGte, Field: field, Value: start}
	case OpLt:
		return &Filter{Op: OpLt, Field: field, Value: start}
	default: // OpLte
		return beforeNextDay(field, start)
	}
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
