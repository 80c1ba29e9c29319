package objectos

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Op is a filter operator. Parsed filters use every operator of the ObjectQL
// grammar; bound filters (see [BindFilter]) use only the logical operators,
// $eq, $gt, $gte, $lt, $lte, $in, the string operators and $null, plus $has
// for multi-valued fields, with every negation written as $not.
type Op string

// Filter operators.
const (
	OpAnd         Op = "$and"
	OpOr          Op = "$or"
	OpNot         Op = "$not"
	OpEq          Op = "$eq"
	OpNe          Op = "$ne"
	OpGt          Op = "$gt"
	OpGte         Op = "$gte"
	OpLt          Op = "$lt"
	OpLte         Op = "$lte"
	OpIn          Op = "$in"
	OpNin         Op = "$nin"
	OpBetween     Op = "$between"
	OpContains    Op = "$contains"
	OpNotContains Op = "$notContains"
	OpStartsWith  Op = "$startsWith"
	OpEndsWith    Op = "$endsWith"
	OpIContains   Op = "$icontains"
	OpLike        Op = "$like"
	OpILike       Op = "$ilike"
	OpNull        Op = "$null"
	OpExists      Op = "$exists"
	// OpHas matches a multi-valued field holding any of the strings in
	// Value ([]string). It appears in bound filters only.
	OpHas Op = "$has"
)

var comparisonOps = []Op{OpEq, OpNe, OpGt, OpGte, OpLt, OpLte, OpIn, OpNin, OpBetween, OpContains,
	OpNotContains, OpStartsWith, OpEndsWith, OpIContains, OpLike, OpILike, OpNull, OpExists}

// endsWithEscape reports whether a LIKE pattern ends with an escape
// character that escapes nothing (an odd run of trailing backslashes).
func endsWithEscape(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

func isStringOp(op Op) bool {
	switch op {
	case OpContains, OpNotContains, OpStartsWith, OpEndsWith, OpIContains, OpLike, OpILike:
		return true
	}
	return false
}

// Filter is a node of the storage-neutral filter AST. A logical node has Op
// $and, $or or $not and Children ($not has exactly one); an empty $and is
// true and an empty $or is false. A comparison has a Field, an Op and either
// a Value or, for a column-to-column comparison, Ref (the other field).
type Filter struct {
	Op       Op        `json:"op"`
	Field    string    `json:"field,omitempty"`
	Value    any       `json:"value,omitempty"`
	Ref      string    `json:"ref,omitempty"`
	Children []*Filter `json:"children,omitempty"`
}

// And returns the conjunction of the filters, dropping nil ones.
func And(fs ...*Filter) *Filter { return junction(OpAnd, fs) }

// Or returns the disjunction of the filters, dropping nil ones.
func Or(fs ...*Filter) *Filter { return junction(OpOr, fs) }

// junction joins the non-nil filters with op; a single one stands alone.
func junction(op Op, fs []*Filter) *Filter {
	out := &Filter{Op: op}
	for _, f := range fs {
		if f != nil {
			out.Children = append(out.Children, f)
		}
	}
	if len(out.Children) == 1 {
		return out.Children[0]
	}
	return out
}

// Not returns the negation of f.
func Not(f *Filter) *Filter { return &Filter{Op: OpNot, Children: []*Filter{f}} }

// Where returns the comparison field op value.
func Where(field string, op Op, value any) *Filter {
	return &Filter{Op: op, Field: field, Value: value}
}

// Eq returns the comparison field = value (IS NULL for a nil value).
func Eq(field string, value any) *Filter { return Where(field, OpEq, value) }

// True is the filter that matches every record.
func True() *Filter { return &Filter{Op: OpAnd} }

// False is the filter that matches no record.
func False() *Filter { return &Filter{Op: OpOr} }

// IsTrue reports whether f is the empty conjunction.
func (f *Filter) IsTrue() bool { return f == nil || (f.Op == OpAnd && len(f.Children) == 0) }

// String renders the filter deterministically (for logs and cursor binding).
func (f *Filter) String() string {
	if f == nil {
		return "true"
	}
	var b strings.Builder
	f.write(&b)
	return b.String()
}

func (f *Filter) write(b *strings.Builder) {
	switch f.Op {
	case OpAnd, OpOr, OpNot:
		b.WriteString(string(f.Op))
		b.WriteByte('(')
		for i, c := range f.Children {
			if i > 0 {
				b.WriteByte(',')
			}
			c.write(b)
		}
		b.WriteByte(')')
		return
	}
	b.WriteString(strconv.Quote(f.Field))
	b.WriteByte(' ')
	b.WriteString(string(f.Op))
	b.WriteByte(' ')
	if f.Ref != "" {
		b.WriteString("$field:" + strconv.Quote(f.Ref))
		return
	}
	switch v := f.Value.(type) {
	case time.Time:
		b.WriteString(FormatDatetime(v))
	default:
		raw, _ := json.Marshal(v)
		b.Write(raw)
	}
}

// values counts the values a bound filter binds: one per comparand, each
// member of a list (of any element type).
func (f *Filter) values() int {
	if f == nil {
		return 0
	}
	n := 0
	for _, c := range f.Children {
		n += c.values()
	}
	switch v := f.Value.(type) {
	case nil:
	case []any:
		n += len(v)
	case string, []byte:
		n++
	default:
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
			n += rv.Len()
		} else {
			n++
		}
	}
	return n
}

// Fields returns the names of the fields the filter reads, each once.
func (f *Filter) Fields() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(*Filter)
	walk = func(n *Filter) {
		if n == nil {
			return
		}
		for _, name := range []string{n.Field, n.Ref} {
			if name != "" && !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(f)
	return out
}

func filterErr(format string, args ...any) *Error {
	return quotedf(CodeInvalidFilter, format, args...)
}

// ParseFilter parses an ObjectQL filter from JSON: the object form
// ({"industry":"finance","amount":{"$gte":10}}) or the array form
// (["and", ["industry","=","finance"], …]). Errors are INVALID_FILTER.
func ParseFilter(data []byte) (*Filter, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, filterErr("filter must be valid JSON")
	}
	return ParseFilterValue(v)
}

// ParseFilterValue parses a filter already decoded from JSON into plain Go
// values (map[string]any, []any, string, float64, bool, nil).
func ParseFilterValue(v any) (*Filter, error) {
	return parseCondition(v, 0)
}

const maxFilterDepth = 32

// MaxInValues bounds the list of an $in or $nin.
const MaxInValues = 1000

func parseCondition(v any, depth int) (*Filter, error) {
	if depth > maxFilterDepth {
		return nil, filterErr("filter is nested too deeply (at most %d levels)", maxFilterDepth)
	}
	switch x := v.(type) {
	case map[string]any:
		return parseObjectFilter(x, depth)
	case []any:
		return parseArrayFilter(x, depth)
	case nil:
		return nil, filterErr("filter must be an object or an array, not null")
	default:
		return nil, filterErr("filter must be an object or an array, not %s", jsonKind(v))
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "a plain object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, json.Number, int, int64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

var logicalKeys = []string{"$and", "$or", "$not"}

func parseObjectFilter(m map[string]any, depth int) (*Filter, error) {
	keys := sortedKeys(m)
	var children []*Filter
	for _, k := range keys {
		v := m[k]
		switch k {
		case "$and", "$or":
			arr, ok := v.([]any)
			if !ok {
				return nil, filterErr("%s must be an array of conditions", k)
			}
			node := &Filter{Op: Op(k), Children: make([]*Filter, 0, len(arr))}
			for _, e := range arr {
				c, err := parseCondition(e, depth+1)
				if err != nil {
					return nil, err
				}
				node.Children = append(node.Children, c)
			}
			children = append(children, node)
		case "$not":
			c, err := parseCondition(v, depth+1)
			if err != nil {
				return nil, err
			}
			children = append(children, Not(c))
		default:
			if strings.HasPrefix(k, "$") {
				return nil, unknownOperator(k, "as a top-level key; use $and, $or or $not, or a field name")
			}
			if err := checkFieldName(k); err != nil {
				return nil, err
			}
			c, err := parseFieldCondition(k, v)
			if err != nil {
				return nil, err
			}
			children = append(children, c)
		}
	}
	if len(children) == 1 {
		return children[0], nil
	}
	return &Filter{Op: OpAnd, Children: children}, nil
}

func checkFieldName(name string) error {
	if strings.Contains(name, ".") {
		return filterErr("%q: dotted paths are not supported; filter on this object's own fields", name)
	}
	if !validName(name) {
		return filterErr("%q is not a field name", name)
	}
	return nil
}

func unknownOperator(op, where string) error {
	switch op {
	case "$regex", "$options":
		return filterErr("%s is not supported; use $icontains for case-insensitive matching", op)
	}
	names := make([]string, 0, len(comparisonOps))
	for _, o := range comparisonOps {
		names = append(names, string(o))
	}
	msg := fmt.Sprintf("unknown operator %s", clip(op))
	if s := suggest(op, append(names, logicalKeys...)); s != "" {
		msg += fmt.Sprintf("; did you mean %s?", s)
	}
	if where != "" {
		msg += " " + where
	}
	return NewError(CodeInvalidFilter, msg)
}

// fieldRef returns the referenced field of a {"$field": "name"} comparand.
func fieldRef(v any) (string, bool, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", false, nil
	}
	ref, has := m["$field"]
	if !has || len(m) != 1 {
		return "", false, nil
	}
	s, ok := ref.(string)
	if !ok || s == "" {
		return "", true, filterErr("$field must name a field")
	}
	if strings.Contains(s, ".") {
		return "", true, filterErr("$field %q: dotted paths are not supported; compare fields of this object only", s)
	}
	return s, true, nil
}

const comparandKinds = "a string, number, bigint, boolean, null or Date"

func checkScalar(field string, op Op, v any) error {
	switch v.(type) {
	case nil, string, float64, bool, json.Number:
		if s, ok := v.(string); ok && (strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s)) {
			return filterErr("%s %s: the comparand must be valid UTF-8 without NUL characters", field, op)
		}
		return nil
	}
	return filterErr("%s %s: the comparand is %s; it must be %s", field, op, jsonKind(v), comparandKinds)
}

func parseFieldCondition(field string, v any) (*Filter, error) {
	if ref, ok, err := fieldRef(v); ok || err != nil {
		if err != nil {
			return nil, err
		}
		return &Filter{Op: OpEq, Field: field, Ref: ref}, nil
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			return nil, filterErr("%s: a condition with no operator constrains nothing", field)
		}
		keys := make([]string, 0, len(x))
		hasRegex, hasOptions := false, false
		for k := range x {
			if !strings.HasPrefix(k, "$") {
				return nil, filterErr("%s: the comparand is a plain object; it must be %s (or use an operator such as $eq)", field, comparandKinds)
			}
			hasRegex = hasRegex || k == "$regex"
			hasOptions = hasOptions || k == "$options"
			keys = append(keys, k)
		}
		if hasRegex || hasOptions {
			names := "$regex"
			if hasRegex && hasOptions {
				names = "$regex and $options"
			} else if hasOptions {
				names = "$options"
			}
			return nil, filterErr("%s: %s are not supported; use $icontains for case-insensitive matching", field, names)
		}
		sort.Strings(keys)
		var children []*Filter
		for _, k := range keys {
			c, err := parseOperator(field, Op(k), x[k])
			if err != nil {
				return nil, err
			}
			children = append(children, c)
		}
		if len(children) == 1 {
			return children[0], nil
		}
		return &Filter{Op: OpAnd, Children: children}, nil
	case []any:
		return nil, filterErr("%s: an array is not a comparand; use {\"$in\": [...]}", field)
	default:
		if err := checkScalar(field, OpEq, v); err != nil {
			return nil, err
		}
		return &Filter{Op: OpEq, Field: field, Value: v}, nil
	}
}

func parseOperator(field string, op Op, v any) (*Filter, error) {
	if !contains(comparisonOps, op) {
		return nil, unknownOperator(string(op), "")
	}
	ref, isRef, err := fieldRef(v)
	if err != nil {
		return nil, err
	}
	if isRef {
		switch op {
		case OpEq, OpNe, OpGt, OpGte, OpLt, OpLte:
			return &Filter{Op: op, Field: field, Ref: ref}, nil
		}
		if isStringOp(op) {
			return nil, filterErr("%s %s: string operators do not take a field reference", field, op)
		}
		return nil, filterErr("%s %s: a field reference is not allowed here", field, op)
	}
	switch op {
	case OpIn, OpNin:
		arr, ok := v.([]any)
		if !ok {
			return nil, filterErr("%s %s needs an array of values", field, op)
		}
		if len(arr) > MaxInValues {
			return nil, filterErr("%s %s: at most %d values", field, op, MaxInValues)
		}
		for _, e := range arr {
			if _, isRef, _ := fieldRef(e); isRef {
				return nil, filterErr("%s %s: field references are not allowed inside the list", field, op)
			}
			if err := checkScalar(field, op, e); err != nil {
				return nil, err
			}
		}
		return &Filter{Op: op, Field: field, Value: arr}, nil
	case OpBetween:
		arr, ok := v.([]any)
		if !ok || len(arr) != 2 {
			return nil, filterErr("%s $between needs a two-element array [min, max]", field)
		}
		for _, e := range arr {
			if _, isRef, _ := fieldRef(e); isRef {
				return nil, filterErr("%s $between: field references are not allowed as bounds", field)
			}
			if err := checkScalar(field, op, e); err != nil {
				return nil, err
			}
			if e == nil {
				return nil, filterErr("%s $between: bounds cannot be null", field)
			}
		}
		return &Filter{Op: op, Field: field, Value: arr}, nil
	case OpNull, OpExists:
		b, ok := v.(bool)
		if !ok {
			return nil, filterErr("%s %s needs true or false", field, op)
		}
		return &Filter{Op: op, Field: field, Value: b}, nil
	}
	if err := checkScalar(field, op, v); err != nil {
		return nil, err
	}
	if isStringOp(op) {
		s, ok := v.(string)
		if !ok {
			return nil, filterErr("%s %s needs a string comparand, not %s", field, op, jsonKind(v))
		}
		if s == "" {
			return nil, filterErr("%s %s: an empty comparand matches everything; leave the condition out instead", field, op)
		}
	}
	return &Filter{Op: op, Field: field, Value: v}, nil
}

// arrayOps maps every operator spelling of the array form (lower case) to
// its operator; the null spellings map to $null with a fixed value.
var arrayOps = map[string]Op{
	"=": OpEq, "==": OpEq, "eq": OpEq, "equals": OpEq,
	"!=": OpNe, "<>": OpNe, "ne": OpNe, "neq": OpNe, "not_equals": OpNe, "notequals": OpNe,
	">": OpGt, "gt": OpGt, "greater_than": OpGt, "greaterthan": OpGt, "after": OpGt,
	">=": OpGte, "gte": OpGte, "greater_than_or_equal": OpGte, "greaterthanorequal": OpGte, "greaterorequal": OpGte,
	"<": OpLt, "lt": OpLt, "less_than": OpLt, "lessthan": OpLt, "before": OpLt,
	"<=": OpLte, "lte": OpLte, "less_than_or_equal": OpLte, "lessthanorequal": OpLte, "lessorequal": OpLte,
	"in": OpIn, "nin": OpNin, "not_in": OpNin, "notin": OpNin,
	"contains": OpContains, "notcontains": OpNotContains, "not_contains": OpNotContains,
	"icontains": OpIContains, "like": OpLike, "ilike": OpILike,
	"startswith": OpStartsWith, "starts_with": OpStartsWith,
	"endswith": OpEndsWith, "ends_with": OpEndsWith,
	"between": OpBetween,
}

var nullSpellings = map[string]bool{
	"is_null": true, "isnull": true, "is_empty": true, "isempty": true,
	"is_not_null": false, "isnotnull": false, "is_not_empty": false, "isnotempty": false,
}

const prefixFormHint = `use the prefix form ["and", ["a","=",1], ["b","=",2]]`

func parseArrayFilter(arr []any, depth int) (*Filter, error) {
	if len(arr) == 0 {
		return True(), nil
	}
	if head, ok := arr[0].(string); ok {
		switch strings.ToLower(head) {
		case "and", "or":
			if len(arr) >= 2 && isCondition(arr[1]) {
				node := &Filter{Op: Op("$" + strings.ToLower(head)), Children: make([]*Filter, 0, len(arr)-1)}
				for _, e := range arr[1:] {
					if !isCondition(e) {
						return nil, filterErr("malformed filter: every operand of %q must be a condition (an array or an object)", head)
					}
					c, err := parseCondition(e, depth+1)
					if err != nil {
						return nil, err
					}
					node.Children = append(node.Children, c)
				}
				return node, nil
			}
		}
		return parseArrayComparison(arr)
	}
	// A list of conditions: AND. A string between conditions is the infix
	// form, which is refused.
	node := &Filter{Op: OpAnd, Children: make([]*Filter, 0, len(arr))}
	for _, e := range arr {
		if s, ok := e.(string); ok {
			return nil, filterErr("malformed filter: the infix form [[…], %q, […]] is not accepted; %s", s, prefixFormHint)
		}
		if !isCondition(e) {
			return nil, filterErr("malformed filter: a list of conditions must contain only arrays or objects")
		}
		c, err := parseCondition(e, depth+1)
		if err != nil {
			return nil, err
		}
		node.Children = append(node.Children, c)
	}
	if len(node.Children) == 1 {
		return node.Children[0], nil
	}
	return node, nil
}

func isCondition(v any) bool {
	switch v.(type) {
	case []any, map[string]any:
		return true
	}
	return false
}

func parseArrayComparison(arr []any) (*Filter, error) {
	field, _ := arr[0].(string)
	if len(arr) < 2 || len(arr) > 3 {
		return nil, filterErr("malformed filter: a comparison is [field, operator, value]")
	}
	opName, ok := arr[1].(string)
	if !ok {
		return nil, filterErr("malformed filter: the operator of %q must be a string", field)
	}
	if err := checkFieldName(field); err != nil {
		return nil, err
	}
	lower := strings.ToLower(opName)
	if isNull, ok := nullSpellings[lower]; ok {
		if len(arr) == 3 && arr[2] != nil {
			if b, ok := arr[2].(bool); !ok || !b {
				return nil, filterErr("%s %s takes no value", field, opName)
			}
		}
		return &Filter{Op: OpNull, Field: field, Value: isNull}, nil
	}
	op, ok := arrayOps[lower]
	if !ok {
		if strings.HasPrefix(lower, "$") {
			return parseOperator(field, Op(opName), valueAt(arr, 2))
		}
		names := make([]string, 0, len(arrayOps))
		for k := range arrayOps {
			names = append(names, k)
		}
		msg := fmt.Sprintf("unknown operator %q", clip(opName))
		if s := suggest(lower, names); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return nil, NewError(CodeInvalidFilter, msg)
	}
	if len(arr) != 3 {
		return nil, filterErr("malformed filter: %s %s needs a value", field, opName)
	}
	return parseOperator(field, op, arr[2])
}

func valueAt(arr []any, i int) any {
	if i < len(arr) {
		return arr[i]
	}
	return nil
}

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
		if s := suggest(name, names); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return nil, NewError(CodeInvalidFilter, msg)
	}
	if f.Kind() == KindPassword {
		return nil, filterErr("%q is a password field and cannot be filtered", name)
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
			return nil, "", filterErr("%s %s expects a string, not %s", fld.Name, op, jsonKind(v))
		}
		return s, "", nil
	case KindNumber:
		n, ok := toFloat(v)
		if !ok {
			return nil, "", filterErr("%s %s expects a number, not %s", fld.Name, op, jsonKind(v))
		}
		return n, "", nil
	case KindBool:
		x, ok := v.(bool)
		if !ok {
			return nil, "", filterErr("%s %s expects true or false, not %s", fld.Name, op, jsonKind(v))
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

// SortKey is one key of a sort.
type SortKey struct {
	Field string `json:"field"`
	Desc  bool   `json:"desc,omitempty"`
}

func sortErr(format string, args ...any) *Error { return quotedf(CodeInvalidSort, format, args...) }

// ParseSort parses a sort string: comma-separated keys, each "field",
// "-field", "field asc" or "field desc". Errors are INVALID_SORT.
func ParseSort(s string) ([]SortKey, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []SortKey
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		item := strings.TrimSpace(part)
		if item == "" {
			return nil, sortErr("empty sort key in %q", s)
		}
		var k SortKey
		words := strings.Fields(item)
		switch len(words) {
		case 1:
			k.Field = words[0]
			if strings.HasPrefix(k.Field, "-") {
				k.Field, k.Desc = k.Field[1:], true
			} else if strings.HasPrefix(k.Field, "+") {
				k.Field = k.Field[1:]
			}
		case 2:
			k.Field = words[0]
			switch strings.ToLower(words[1]) {
			case "asc":
			case "desc":
				k.Desc = true
			default:
				return nil, sortErr("%q: the direction must be asc or desc", item)
			}
		default:
			return nil, sortErr("%q: write a key as field, -field, field asc or field desc", item)
		}
		if strings.Contains(k.Field, ":") {
			name, _, _ := strings.Cut(k.Field, ":")
			return nil, sortErr("%q: write %q or %q", item, name+" desc", "-"+name)
		}
		if strings.Contains(k.Field, ".") {
			return nil, sortErr("%q: dotted paths are not supported; sort on this object's own fields", k.Field)
		}
		if !validName(k.Field) {
			return nil, sortErr("%q is not a field name", k.Field)
		}
		if seen[k.Field] {
			return nil, sortErr("%q appears twice in the sort", k.Field)
		}
		seen[k.Field] = true
		out = append(out, k)
	}
	return out, nil
}

// ParseSortValue parses the JSON forms of a sort: a string as for
// [ParseSort], an array of strings ("-created_at") or of {field, order}
// objects, or an object {"field": "asc"|"desc"}.
func ParseSortValue(v any) ([]SortKey, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return ParseSort(x)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			switch y := e.(type) {
			case string:
				parts = append(parts, y)
			case map[string]any:
				field, _ := y["field"].(string)
				order, _ := y["order"].(string)
				for k := range y {
					if k != "field" && k != "order" {
						if k == "direction" {
							return nil, sortErr("use \"order\", not \"direction\", in a sort key")
						}
						return nil, sortErr("unknown key %q in a sort key; use {field, order}", k)
					}
				}
				if field == "" {
					return nil, sortErr("a sort key needs a field")
				}
				if order == "" {
					order = "asc"
				}
				parts = append(parts, field+" "+order)
			default:
				return nil, sortErr("a sort key must be a string or {field, order}")
			}
		}
		return ParseSort(strings.Join(parts, ","))
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		if len(keys) > 1 {
			return nil, sortErr("an object sort has one key only (object keys have no order); use an array")
		}
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			d, ok := x[k].(string)
			if !ok {
				return nil, sortErr("%q: the direction must be asc or desc", k)
			}
			parts = append(parts, k+" "+d)
		}
		return ParseSort(strings.Join(parts, ","))
	}
	return nil, sortErr("sort must be a string, an array or an object")
}

// bindSort checks the keys against the object.
func bindSort(o *Object, keys []SortKey) ([]SortKey, error) {
	for _, k := range keys {
		f := o.Field(k.Field)
		if f == nil || f.Internal {
			var names []string
			for _, x := range o.Fields {
				if !x.Internal {
					names = append(names, x.Name)
				}
			}
			msg := fmt.Sprintf("unknown field %q", clip(k.Field))
			if s := suggest(k.Field, names); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			return nil, NewError(CodeInvalidSort, msg)
		}
		if !f.IsSortable() {
			return nil, sortErr("%q is a %s field and cannot be sorted", k.Field, f.Type)
		}
	}
	return keys, nil
}

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

// resolveMacro resolves a placeholder comparand ({today}, ${now},
// {7_days_ago}, {current_user_id}); other strings are returned unchanged.
func (b *filterBinder) resolveMacro(fld *Field, op Op, s string) (any, error) {
	name, ok := macroName(s)
	if !ok {
		return s, nil
	}
	switch name {
	case "current_user_id", "user_id":
		if b.opts.UserID == "" {
			return nil, filterErr("%s %s: {%s} needs a signed-in user", fld.Name, op, name)
		}
		return b.opts.UserID, nil
	}
	v, ok := ResolveDateMacro(name, b.opts.Now)
	if !ok {
		return nil, filterErr("%s %s: unknown placeholder {%s}", fld.Name, op, name)
	}
	return v, nil
}

func macroName(s string) (string, bool) {
	s = strings.TrimPrefix(s, "$")
	if len(s) < 3 || s[0] != '{' || s[len(s)-1] != '}' {
		return "", false
	}
	name := s[1 : len(s)-1]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return "", false
		}
	}
	return name, true
}

// ResolveDateMacro resolves a date macro name (without braces) at now, in
// UTC. Instants ("now", "N_minutes_ago", "N_hours_from_now") resolve to a
// time.Time; everything else to a "YYYY-MM-DD" day.
func ResolveDateMacro(name string, now time.Time) (any, bool) {
	now = now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	day := func(t time.Time) string { return t.Format(DateLayout) }
	switch name {
	case "now":
		return now.Truncate(time.Millisecond), true
	case "today":
		return day(today), true
	case "yesterday":
		return day(today.AddDate(0, 0, -1)), true
	case "tomorrow":
		return day(today.AddDate(0, 0, 1)), true
	}
	if m := macroPeriodRE(name); m != nil {
		return day(m(today)), true
	}
	// N_unit_(ago|from_now)
	parts := strings.SplitN(name, "_", 2)
	if len(parts) != 2 {
		return nil, false
	}
	n, err := strconv.Atoi(parts[0])
	if err != nil || n < 0 || n > 100000 {
		return nil, false
	}
	rest := parts[1]
	sign := -1
	switch {
	case strings.HasSuffix(rest, "_ago"):
		rest = strings.TrimSuffix(rest, "_ago")
	case strings.HasSuffix(rest, "_from_now"):
		rest = strings.TrimSuffix(rest, "_from_now")
		sign = 1
	default:
		return nil, false
	}
	rest = strings.TrimSuffix(rest, "s")
	k := sign * n
	switch rest {
	case "minute":
		return now.Add(time.Duration(k) * time.Minute).Truncate(time.Millisecond), true
	case "hour":
		return now.Add(time.Duration(k) * time.Hour).Truncate(time.Millisecond), true
	case "day":
		return day(today.AddDate(0, 0, k)), true
	case "week":
		return day(today.AddDate(0, 0, 7*k)), true
	case "month":
		return day(addMonthsClamped(today, k)), true
	case "year":
		return day(addMonthsClamped(today, 12*k)), true
	}
	return nil, false
}

func addMonthsClamped(t time.Time, months int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).AddDate(0, months, 0)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), 0, 0, 0, 0, time.UTC)
}

// macroPeriodRE resolves {current|last|next}_{week|month|quarter|year}_{start|end}
// and the aliases week_start, month_end, ….
func macroPeriodRE(name string) func(time.Time) time.Time {
	parts := strings.Split(name, "_")
	var rel, unit, edge string
	switch len(parts) {
	case 2:
		rel, unit, edge = "current", parts[0], parts[1]
	case 3:
		rel, unit, edge = parts[0], parts[1], parts[2]
	default:
		return nil
	}
	shift := map[string]int{"current": 0, "last": -1, "next": 1}
	s, ok := shift[rel]
	if !ok || (edge != "start" && edge != "end") {
		return nil
	}
	var start func(time.Time) time.Time
	var next func(time.Time, int) time.Time
	switch unit {
	case "week":
		start = func(t time.Time) time.Time {
			wd := (int(t.Weekday()) + 6) % 7 // Monday = 0
			return t.AddDate(0, 0, -wd)
		}
		next = func(t time.Time, n int) time.Time { return t.AddDate(0, 0, 7*n) }
	case "month":
		start = func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC) }
		next = func(t time.Time, n int) time.Time { return t.AddDate(0, n, 0) }
	case "quarter":
		start = func(t time.Time) time.Time {
			q := (int(t.Month()) - 1) / 3
			return time.Date(t.Year(), time.Month(q*3+1), 1, 0, 0, 0, 0, time.UTC)
		}
		next = func(t time.Time, n int) time.Time { return t.AddDate(0, 3*n, 0) }
	case "year":
		start = func(t time.Time) time.Time { return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC) }
		next = func(t time.Time, n int) time.Time { return t.AddDate(n, 0, 0) }
	default:
		return nil
	}
	return func(today time.Time) time.Time {
		st := next(start(today), s)
		if edge == "start" {
			return st
		}
		return next(st, 1).AddDate(0, 0, -1)
	}
}
