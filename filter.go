package objectos

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"
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
	// OpExpr matches the records for which Expr is true (not false, not
	// NULL); negated, those for which it is false. It appears in the
	// filters of row-level policies, never in a caller's.
	OpExpr Op = "$expr"
)

var comparisonOps = []Op{OpEq, OpNe, OpGt, OpGte, OpLt, OpLte, OpIn, OpNin, OpBetween, OpContains,
	OpNotContains, OpStartsWith, OpEndsWith, OpIContains, OpLike, OpILike, OpNull, OpExists}

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
	// Expr is the boolean expression of OpExpr.
	Expr *Expr `json:"expr,omitempty"`
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
	case OpExpr:
		b.WriteString("$expr(")
		if f.Expr != nil {
			f.Expr.write(b)
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
	if f.Expr != nil {
		n += f.Expr.values()
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
		if n.Expr != nil {
			n.Expr.fields(func(name string) {
				if !seen[name] {
					seen[name] = true
					out = append(out, name)
				}
			})
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
