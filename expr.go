package objectos

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Expr is a storage-neutral scalar expression: what a formula field (see
// [Field.Computed]) and a row-level policy compile to when the database
// can compute them. A Store compiles it to SQL with every Value bound as
// a parameter. Its NULL semantics are SQL's, tuned to agree with the CEL
// evaluation of the same expression: arithmetic, comparisons, text and
// date functions of NULL are NULL, a division by zero is NULL, ExprEq and
// ExprNe treat NULL as a value (NULL = NULL is true), AND, OR and NOT are
// three-valued.
type Expr struct {
	Op ExprOp
	// Type is the type of the expression's value.
	Type ExprType
	// Field is the stored field of ExprField, and the reference field of
	// ExprLookup and ExprLookupMatch.
	Field string
	// Object is the object ExprLookup and ExprLookupMatch read: the target
	// of their reference field.
	Object *Object
	// Value is ExprValue's: nil, bool, int64, float64 or string.
	Value any
	Args  []*Expr
}

// ExprOp is an operation of an Expr.
type ExprOp string

// Expr operations. Args are the operands in order.
const (
	ExprField ExprOp = "field" // the column of Field
	ExprValue ExprOp = "value" // a bound Value
	ExprAdd   ExprOp = "+"
	ExprSub   ExprOp = "-"
	ExprMul   ExprOp = "*"
	ExprDiv   ExprOp = "/" // NULL when the divisor is 0; integers truncate toward zero
	ExprNeg   ExprOp = "neg"
	// ExprDouble converts an integer to a double.
	ExprDouble ExprOp = "double"
	ExprEq     ExprOp = "="  // NULL-safe: true when both are NULL, false when one is
	ExprNe     ExprOp = "!=" // NULL-safe
	ExprLt     ExprOp = "<"
	ExprLte    ExprOp = "<="
	ExprGt     ExprOp = ">"
	ExprGte    ExprOp = ">="
	ExprAnd    ExprOp = "and"
	ExprOr     ExprOp = "or"
	ExprNot    ExprOp = "not"
	// ExprIf is Args[1] when Args[0] is true, Args[2] when false, NULL
	// when NULL.
	ExprIf       ExprOp = "if"
	ExprCoalesce ExprOp = "coalesce"
	ExprIsNull   ExprOp = "isnull"
	ExprConcat   ExprOp = "concat"
	// ExprLength counts characters (code points).
	ExprLength ExprOp = "length"
	// ExprBlank is true for NULL and for text of white space only (every
	// character Unicode calls white space); ExprEmpty for NULL and "".
	ExprBlank ExprOp = "blank"
	ExprEmpty ExprOp = "empty"
	// ExprIn is Args[0] equal to one of Args[1:] (values); false, not
	// NULL, when Args[0] is NULL.
	ExprIn ExprOp = "in"
	// Date parts of a date or datetime, in UTC: the year, the month
	// (1-12), the day of the month (1-31), the day of the week (0 is
	// Sunday), the hour and the minute. Integers.
	ExprYear    ExprOp = "year"
	ExprMonth   ExprOp = "month"
	ExprDay     ExprOp = "day"
	ExprWeekday ExprOp = "weekday"
	ExprHour    ExprOp = "hour"
	ExprMinute  ExprOp = "minute"
	ExprAbs     ExprOp = "abs"
	// ExprLookup reads through the reference field Field: it is Args[0],
	// an expression over the fields of Object, computed on the record of
	// Object whose id Field holds; NULL when Field is NULL or names no
	// record. Args[0] reads no further lookup.
	ExprLookup ExprOp = "lookup"
	// ExprLookupMatch is true when the reference field Field names a
	// record of Object for which Args[0] is true, false when it names one
	// for which it is not (or none), and NULL when Field is NULL: the
	// semi-join a WHERE clause makes of ExprLookup compared with a value.
	ExprLookupMatch ExprOp = "lookup_match"
)

// ExprType is the type of an Expr's value.
type ExprType string

// Expr types.
const (
	ExprNull     ExprType = "null"
	ExprNumber   ExprType = "number" // a double
	ExprInteger  ExprType = "integer"
	ExprText     ExprType = "text"
	ExprBool     ExprType = "boolean"
	ExprDate     ExprType = "date"
	ExprDatetime ExprType = "datetime"
)

// String renders the expression deterministically (for logs, cursor
// binding and comparing filters).
func (e *Expr) String() string {
	var b strings.Builder
	e.write(&b)
	return b.String()
}

func (e *Expr) write(b *strings.Builder) {
	switch e.Op {
	case ExprField:
		b.WriteString(strconv.Quote(e.Field))
		return
	case ExprValue:
		switch v := e.Value.(type) {
		case time.Time:
			b.WriteString(FormatDatetime(v))
		default:
			raw, _ := json.Marshal(v)
			b.Write(raw)
		}
		b.WriteByte(':')
		b.WriteString(string(e.Type))
		return
	}
	b.WriteString(string(e.Op))
	b.WriteByte('(')
	if e.Op == ExprLookup || e.Op == ExprLookupMatch {
		b.WriteString(strconv.Quote(e.Field))
		if e.Object != nil {
			b.WriteString("->" + e.Object.Name)
		}
		b.WriteByte(',')
	}
	for i, a := range e.Args {
		if i > 0 {
			b.WriteByte(',')
		}
		a.write(b)
	}
	b.WriteByte(')')
}

// fields appends the fields the expression reads.
func (e *Expr) fields(yield func(string)) {
	switch e.Op {
	case ExprField:
		yield(e.Field)
	case ExprLookup, ExprLookupMatch:
		yield(e.Field) // Args are over the fields of the target
		return
	}
	for _, a := range e.Args {
		a.fields(yield)
	}
}

// values counts the values the expression binds.
func (e *Expr) values() int {
	n := 0
	if e.Op == ExprValue && e.Value != nil {
		n++
	}
	for _, a := range e.Args {
		n += a.values()
	}
	return n
}
