package store

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/objectos-go/objectos"
)

// col writes a field's column, or for a formula field the SQL expression
// that computes it (see objectos.Field.Computed).
func (q *sqlb) col(f *objectos.Field) {
	if f.Stored() {
		q.ident(f.Name)
		return
	}
	e := f.Computed()
	if e == nil {
		// the engine never asks for it; a quoted name would not fail in
		// SQLite, which reads an unknown "name" as the string 'name'
		q.err = fmt.Errorf("store: %s.%s is a formula computed after the read, not by the database", q.o.Name, f.Name)
		q.ident(f.Name)
		return
	}
	if err := q.expr(e); err != nil {
		q.err = err
		return
	}
	if q.d.pg && e.Type == objectos.ExprText {
		// compare and sort by bytes, as the text columns do
		q.str(` COLLATE "C"`)
	}
}

// colName is col by name.
func (q *sqlb) colName(name string) {
	if f := q.o.Field(name); f != nil {
		q.col(f)
		return
	}
	q.ident(name)
}

// whiteSpace is every character unicode.IsSpace reports, for the trim of
// ExprBlank (bound, like every value).
var whiteSpace = func() string {
	var b strings.Builder
	for r := rune(0); r <= 0x3000; r++ {
		if unicode.IsSpace(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}()

// typedArg binds a value of an expression. PostgreSQL is told its type,
// which it cannot infer inside an expression.
func (q *sqlb) typedArg(t objectos.ExprType, v any) {
	if v == nil {
		q.str("NULL")
		return
	}
	if b, ok := v.(bool); ok && !q.d.pg {
		v = int64(0)
		if b {
			v = int64(1)
		}
	}
	if !q.d.pg {
		q.arg(v)
		return
	}
	q.str("CAST(")
	q.arg(v)
	q.str(" AS ")
	q.str(pgType(t))
	q.str(")")
}

func pgType(t objectos.ExprType) string {
	switch t {
	case objectos.ExprNumber:
		return "DOUBLE PRECISION"
	case objectos.ExprInteger:
		return "BIGINT"
	case objectos.ExprBool:
		return "BOOLEAN"
	case objectos.ExprDate:
		return "DATE"
	case objectos.ExprDatetime:
		return "TIMESTAMPTZ"
	}
	return "TEXT"
}

var exprInfix = map[objectos.ExprOp]string{
	objectos.ExprAdd: " + ", objectos.ExprSub: " - ", objectos.ExprMul: " * ",
	objectos.ExprLt: " < ", objectos.ExprLte: " <= ", objectos.ExprGt: " > ", objectos.ExprGte: " >= ",
	objectos.ExprAnd: " AND ", objectos.ExprOr: " OR ", objectos.ExprConcat: " || ",
}

// datePart is the strftime format (SQLite) and EXTRACT field (PostgreSQL)
// of a date part.
var datePart = map[objectos.ExprOp][2]string{
	objectos.ExprYear: {"%Y", "YEAR"}, objectos.ExprMonth: {"%m", "MONTH"}, objectos.ExprDay: {"%d", "DAY"},
	objectos.ExprWeekday: {"%w", "DOW"}, objectos.ExprHour: {"%H", "HOUR"}, objectos.ExprMinute: {"%M", "MINUTE"},
}

// expr writes an expression (see objectos.Expr for its semantics), every
// value bound.
func (q *sqlb) expr(e *objectos.Expr) error {
	args := e.Args
	sub := func(i int) error {
		if i >= len(args) {
			return fmt.Errorf("store: %s needs %d operands", e.Op, i+1)
		}
		return q.expr(args[i])
	}
	// text compared by bytes on PostgreSQL, as the columns are
	textOperand := func(i int) error {
		if err := sub(i); err != nil {
			return err
		}
		if q.d.pg && args[i].Type == objectos.ExprText {
			q.str(` COLLATE "C"`)
		}
		return nil
	}
	switch e.Op {
	case objectos.ExprField:
		f, err := q.field(e.Field)
		if err != nil {
			return err
		}
		if !f.Stored() {
			return fmt.Errorf("store: %s is not a stored field", e.Field)
		}
		if q.d.pg && e.Type == objectos.ExprNumber {
			// numeric computes in decimal; the expression in doubles
			q.str("CAST(")
			q.ident(f.Name)
			q.str(" AS DOUBLE PRECISION)")
			return nil
		}
		q.ident(f.Name)
		return nil
	case objectos.ExprValue:
		q.typedArg(e.Type, e.Value)
		return nil
	case objectos.ExprAdd, objectos.ExprSub, objectos.ExprMul, objectos.ExprAnd, objectos.ExprOr, objectos.ExprConcat:
		q.str("(")
		if err := sub(0); err != nil {
			return err
		}
		q.str(exprInfix[e.Op])
		if err := sub(1); err != nil {
			return err
		}
		q.str(")")
		return nil
	case objectos.ExprLt, objectos.ExprLte, objectos.ExprGt, objectos.ExprGte:
		q.str("(")
		if err := textOperand(0); err != nil {
			return err
		}
		q.str(exprInfix[e.Op])
		if err := textOperand(1); err != nil {
			return err
		}
		q.str(")")
		return nil
	case objectos.ExprDiv:
		q.str("(")
		if err := sub(0); err != nil {
			return err
		}
		q.str(" / NULLIF(")
		if err := sub(1); err != nil {
			return err
		}
		q.str(", 0))")
		return nil
	case objectos.ExprNeg:
		q.str("(- ")
		if err := sub(0); err != nil {
			return err
		}
		q.str(")")
		return nil
	case objectos.ExprDouble:
		q.str("CAST(")
		if err := sub(0); err != nil {
			return err
		}
		if q.d.pg {
			q.str(" AS DOUBLE PRECISION)")
		} else {
			q.str(" AS REAL)")
		}
		return nil
	case objectos.ExprEq, objectos.ExprNe:
		q.str("(")
		if err := textOperand(0); err != nil {
			return err
		}
		switch {
		case q.d.pg && e.Op == objectos.ExprEq:
			q.str(" IS NOT DISTINCT FROM ")
		case q.d.pg:
			q.str(" IS DISTINCT FROM ")
		case e.Op == objectos.ExprEq:
			q.str(" IS ")
		default:
			q.str(" IS NOT ")
		}
		if err := textOperand(1); err != nil {
			return err
		}
		q.str(")")
		return nil
	case objectos.ExprNot:
		q.str("(NOT ")
		if err := sub(0); err != nil {
			return err
		}
		q.str(")")
		return nil
	case objectos.ExprIf:
		q.str("(CASE WHEN ")
		if err := sub(0); err != nil {
			return err
		}
		q.str(" IS NULL THEN NULL WHEN ")
		if err := sub(0); err != nil {
			return err
		}
		q.str(" THEN ")
		if err := sub(1); err != nil {
			return err
		}
		q.str(" ELSE ")
		if err := sub(2); err != nil {
			return err
		}
		q.str(" END)")
		return nil
	case objectos.ExprCoalesce:
		q.str("COALESCE(")
		if err := sub(0); err != nil {
			return err
		}
		q.str(", ")
		if err := sub(1); err != nil {
			return err
		}
		q.str(")")
		return nil
	case objectos.ExprIsNull:
		q.str("(")
		if err := sub(0); err != nil {
			return err
		}
		q.str(" IS NULL)")
		return nil
	case objectos.ExprLength:
		q.str("length(")
		if err := sub(0); err != nil {
			return err
		}
		q.str(")")
		return nil
	case objectos.ExprBlank, objectos.ExprEmpty:
		q.str("(")
		if err := sub(0); err != nil {
			return err
		}
		q.str(" IS NULL OR ")
		if e.Op == objectos.ExprBlank {
			if q.d.pg {
				q.str("btrim(")
			} else {
				q.str("trim(")
			}
			if err := sub(0); err != nil {
				return err
			}
			q.str(", ")
			q.typedArg(objectos.ExprText, whiteSpace)
			q.str(")")
		} else if err := sub(0); err != nil {
			return err
		}
		q.str(" = '')")
		return nil
	case objectos.ExprIn:
		if len(args) < 2 {
			q.str("(1=0)")
			return nil
		}
		q.str("COALESCE(")
		if err := textOperand(0); err != nil {
			return err
		}
		q.str(" IN (")
		for i := 1; i < len(args); i++ {
			if i > 1 {
				q.str(", ")
			}
			if err := sub(i); err != nil {
				return err
			}
		}
		if q.d.pg {
			q.str("), FALSE)")
		} else {
			q.str("), 0)")
		}
		return nil
	case objectos.ExprYear, objectos.ExprMonth, objectos.ExprDay, objectos.ExprWeekday, objectos.ExprHour, objectos.ExprMinute:
		part := datePart[e.Op]
		if !q.d.pg {
			q.str("CAST(strftime('" + part[0] + "', ")
			if err := sub(0); err != nil {
				return err
			}
			q.str(") AS INTEGER)")
			return nil
		}
		q.str("CAST(EXTRACT(" + part[1] + " FROM ")
		if err := sub(0); err != nil {
			return err
		}
		if len(args) > 0 && args[0].Type == objectos.ExprDatetime {
			q.str(" AT TIME ZONE 'UTC'")
		}
		q.str(") AS BIGINT)")
		return nil
	case objectos.ExprLookup, objectos.ExprLookupMatch:
		return q.lookup(e)
	case objectos.ExprAbs:
		q.str("abs(")
		if err := sub(0); err != nil {
			return err
		}
		q.str(")")
		return nil
	}
	return fmt.Errorf("store: unsupported expression %s", e.Op)
}

// lookup writes an expression read through a reference field: a scalar
// subquery on the target's record for ExprLookup,
//
//	(SELECT <expr> FROM "target" AS "lookup" WHERE "lookup"."id" = "object"."field")
//
// and a semi-join for ExprLookupMatch,
//
//	("field" IN (SELECT "id" FROM "target" WHERE <expr>))
//
// which PostgreSQL plans as a join (hashing the targets that match, or
// reading the records of each through an index on the field). The
// target's columns are written unqualified: inside the subquery they
// name the target's.
func (q *sqlb) lookup(e *objectos.Expr) error {
	outer, t := q.o, e.Object
	ref, err := q.field(e.Field)
	if err != nil {
		return err
	}
	switch {
	case t == nil || len(e.Args) != 1:
		return fmt.Errorf("store: %s needs an object and one operand", e.Op)
	case q.inLookup:
		return fmt.Errorf("store: %s cannot read through a second lookup", e.Op)
	case ref.Kind() != objectos.KindReference || ref.Target() != t.Name:
		return fmt.Errorf("store: %s.%s does not reference %s", outer.Name, ref.Name, t.Name)
	}
	q.o, q.inLookup = t, true
	defer func() { q.o, q.inLookup = outer, false }()
	if e.Op == objectos.ExprLookupMatch {
		q.str("(")
		q.ident(ref.Name)
		q.str(` IN (SELECT "id" FROM `)
		q.ident(t.Name)
		q.str(" WHERE ")
		if err := q.matchExpr(e.Args[0]); err != nil {
			return err
		}
		q.str("))")
		return nil
	}
	alias := "lookup"
	if outer.Name == alias {
		alias = "lookup_record"
	}
	q.str("(SELECT ")
	if err := q.expr(e.Args[0]); err != nil {
		return err
	}
	q.str(" FROM ")
	q.ident(t.Name)
	q.str(" AS ")
	q.ident(alias)
	q.str(" WHERE ")
	q.ident(alias)
	q.str(`."id" = `)
	q.ident(outer.Name)
	q.str(".")
	q.ident(ref.Name)
	q.str(")")
	return nil
}

// matchExpr writes the predicate of an ExprLookupMatch, where a NULL and
// false both leave a target out: an equality with a value (never NULL
// there) is a plain =, which an index serves, where IS NOT DISTINCT FROM
// would not be.
func (q *sqlb) matchExpr(e *objectos.Expr) error {
	switch {
	case e.Op == objectos.ExprOr && len(e.Args) == 2:
		q.str("(")
		if err := q.matchExpr(e.Args[0]); err != nil {
			return err
		}
		q.str(" OR ")
		if err := q.matchExpr(e.Args[1]); err != nil {
			return err
		}
		q.str(")")
		return nil
	case e.Op == objectos.ExprEq && len(e.Args) == 2 && e.Args[1].Op == objectos.ExprValue && e.Args[1].Value != nil:
		q.str("(")
		for i, a := range e.Args {
			if i > 0 {
				q.str(" = ")
			}
			if err := q.expr(a); err != nil {
				return err
			}
			if q.d.pg && a.Type == objectos.ExprText {
				q.str(` COLLATE "C"`)
			}
		}
		q.str(")")
		return nil
	}
	return q.expr(e)
}
