package objectos

import (
	"fmt"
	"strings"

	"github.com/objectos-go/objectos/internal/expr"
)

// toSQL translates a type-checked CEL expression to an Expr the database
// computes with the same result as the CEL evaluation (where a failed
// evaluation is null), or returns why it cannot. fields are the object's
// fields the expression may read. current_user's attributes become
// userValue placeholders (policies bind them per caller).
//
// CEL propagates an error (a null operand, a division by zero) through
// every operator, where SQL's NULL is a value that ==, coalesce, isBlank
// and IN look at. So those operators take only operands that cannot fail
// — fields, literals, current_user, and themselves — and an expression
// that gives them one is computed in Go instead.
//
// A field read through a reference field (account.owner_id, policies
// only: lookups) becomes an ExprLookup of the target's field.
func toSQL(n *expr.Node, fields map[string]*Field, lookups map[string]*lookupTarget) (*Expr, string) {
	t := translator{fields: fields, lookups: lookups}
	e, _, err := t.node(n)
	if err != nil {
		return nil, err.Error()
	}
	return e, ""
}

type translator struct {
	fields  map[string]*Field
	lookups map[string]*lookupTarget
}

// userValue stands for an attribute of current_user in a policy's Expr
// until the policy is bound to a caller.
type userValue string

func sqlType(t expr.Type) (ExprType, bool) {
	switch t {
	case expr.Double:
		return ExprNumber, true
	case expr.Int:
		return ExprInteger, true
	case expr.String:
		return ExprText, true
	case expr.Bool:
		return ExprBool, true
	case expr.Null:
		return ExprNull, true
	}
	return "", false
}

func numeric(t ExprType) bool { return t == ExprNumber || t == ExprInteger }

var cmpOps = map[string]ExprOp{"_<_": ExprLt, "_<=_": ExprLte, "_>_": ExprGt, "_>=_": ExprGte}
var arithExprOps = map[string]ExprOp{"_+_": ExprAdd, "_-_": ExprSub, "_*_": ExprMul, "_/_": ExprDiv}
var dateParts = map[string]ExprOp{"getFullYear": ExprYear, "getMonth": ExprMonth, "getDate": ExprDay,
	"getDayOfMonth": ExprDay, "getDayOfWeek": ExprWeekday, "getHours": ExprHour, "getMinutes": ExprMinute}

func op(o ExprOp, t ExprType, args ...*Expr) *Expr { return &Expr{Op: o, Type: t, Args: args} }

// node translates n; fallible reports whether its CEL evaluation can fail
// (where SQL gives NULL).
func (t *translator) node(n *expr.Node) (e *Expr, fallible bool, err error) {
	switch n.Kind {
	case expr.NodeField:
		if head, sub, ok := strings.Cut(n.Name, "."); ok {
			// a NULL reference reads NULL, as the evaluation in Go reads
			// null: not fallible
			lt := t.lookups[head]
			if lt == nil {
				return nil, false, fmt.Errorf("%s is not read through a lookup here", n.Name)
			}
			e, err := fieldExpr(lt.fields[sub], n.Name)
			if err != nil {
				return nil, false, err
			}
			return &Expr{Op: ExprLookup, Type: e.Type, Field: head, Object: lt.object, Args: []*Expr{e}}, false, nil
		}
		e, err := fieldExpr(t.fields[n.Name], n.Name)
		return e, false, err
	case expr.NodeConst:
		typ, ok := sqlType(n.Type)
		if !ok {
			return nil, false, fmt.Errorf("a literal of this type is not translated")
		}
		return &Expr{Op: ExprValue, Type: typ, Value: n.Value}, false, nil
	case expr.NodeUser:
		switch n.Name {
		case "id", "email", "role":
			return &Expr{Op: ExprValue, Type: ExprText, Value: userValue(n.Name)}, false, nil
		}
		return nil, false, fmt.Errorf("current_user.%s is a list", n.Name)
	case expr.NodeCall:
		return t.call(n)
	case expr.NodeNow:
		return nil, false, fmt.Errorf("now is the time of the read")
	}
	return nil, false, fmt.Errorf("this expression is not translated")
}

// fieldExpr is the ExprField of a stored field.
func fieldExpr(f *Field, name string) (*Expr, error) {
	if f == nil || !f.Stored() {
		return nil, fmt.Errorf("%s is not a stored field", name)
	}
	var typ ExprType
	switch f.Kind() {
	case KindNumber:
		typ = ExprNumber
	case KindBool:
		typ = ExprBool
	case KindDate:
		typ = ExprDate
	case KindDatetime:
		typ = ExprDatetime
	case KindText, KindChoice, KindReference, KindAutonumber:
		typ = ExprText
	default:
		return nil, fmt.Errorf("%s is a %s field", name, f.Type)
	}
	return &Expr{Op: ExprField, Type: typ, Field: f.Name}, nil
}

func (t *translator) args(n *expr.Node) ([]*Expr, bool, error) {
	out := make([]*Expr, len(n.Args))
	fallible := false
	for i, a := range n.Args {
		e, f, err := t.node(a)
		if err != nil {
			return nil, false, err
		}
		out[i], fallible = e, fallible || f
	}
	return out, fallible, nil
}

// comparable brings two operands to one type (an integer beside a double
// becomes a double); ok is false when their types differ otherwise.
func comparable(a, b *Expr) (*Expr, *Expr, bool) {
	switch {
	case a.Type == b.Type:
		return a, b, true
	case a.Type == ExprInteger && b.Type == ExprNumber:
		return op(ExprDouble, ExprNumber, a), b, true
	case a.Type == ExprNumber && b.Type == ExprInteger:
		return a, op(ExprDouble, ExprNumber, b), true
	}
	return a, b, false
}

func (t *translator) call(n *expr.Node) (*Expr, bool, error) {
	name := n.Name
	if name == "@in" {
		return t.in(n)
	}
	args, fallible, err := t.args(n)
	if err != nil {
		return nil, false, err
	}
	unsupported := fmt.Errorf("%s is not translated", name)
	switch {
	case arithExprOps[name] != "" && len(args) == 2:
		a, b := args[0], args[1]
		if name == "_+_" && a.Type == ExprText && b.Type == ExprText {
			return op(ExprConcat, ExprText, a, b), true, nil
		}
		if !numeric(a.Type) || !numeric(b.Type) {
			return nil, false, unsupported
		}
		a, b, _ = comparable(a, b)
		return op(arithExprOps[name], a.Type, a, b), true, nil
	case name == "-_" && len(args) == 1 && numeric(args[0].Type):
		return op(ExprNeg, args[0].Type, args[0]), true, nil
	case cmpOps[name] != "" && len(args) == 2:
		a, b, ok := comparable(args[0], args[1])
		if !ok || a.Type == ExprNull || a.Type == ExprBool {
			return nil, false, unsupported
		}
		return op(cmpOps[name], ExprBool, a, b), true, nil
	case (name == "_==_" || name == "_!=_") && len(args) == 2:
		if fallible {
			return nil, false, fmt.Errorf("== and != compare fields and literals only")
		}
		a, b := args[0], args[1]
		var e *Expr
		switch {
		case b.Type == ExprNull && a.Type == ExprNull:
			e = &Expr{Op: ExprValue, Type: ExprBool, Value: true}
		case b.Type == ExprNull:
			e = op(ExprIsNull, ExprBool, a)
		case a.Type == ExprNull:
			e = op(ExprIsNull, ExprBool, b)
		default:
			var ok bool
			if a, b, ok = comparable(a, b); !ok {
				return nil, false, unsupported
			}
			e = op(ExprEq, ExprBool, a, b)
		}
		if name == "_!=_" {
			e = op(ExprNot, ExprBool, e)
		}
		return e, false, nil
	case name == "_&&_" || name == "_||_":
		if args[0].Type != ExprBool || args[1].Type != ExprBool {
			return nil, false, unsupported
		}
		logic := ExprAnd
		if name == "_||_" {
			logic = ExprOr
		}
		// a null operand fails in CEL (unless the other decides)
		return op(logic, ExprBool, args...), true, nil
	case name == "!_" && args[0].Type == ExprBool:
		return op(ExprNot, ExprBool, args[0]), true, nil
	case name == "_?_:_":
		c, a, b := args[0], args[1], args[2]
		if c.Type != ExprBool {
			return nil, false, unsupported
		}
		a, b, ok := comparable(a, b)
		typ := a.Type
		switch {
		case a.Type == ExprNull:
			typ, ok = b.Type, true
		case b.Type == ExprNull:
			ok = true
		}
		if !ok {
			return nil, false, unsupported
		}
		// a null condition fails in CEL: that is fallible, as the branches
		return op(ExprIf, typ, c, a, b), true, nil
	case name == "coalesce" && len(args) == 2:
		if fallible {
			return nil, false, fmt.Errorf("coalesce takes fields and literals only")
		}
		a, b, ok := comparable(args[0], args[1])
		if !ok {
			return nil, false, unsupported
		}
		return op(ExprCoalesce, a.Type, a, b), false, nil
	case (name == "isBlank" || name == "isEmpty") && len(args) == 1:
		if fallible {
			return nil, false, fmt.Errorf("%s takes a field or a literal only", name)
		}
		if args[0].Type != ExprText {
			return op(ExprIsNull, ExprBool, args[0]), false, nil
		}
		logic := ExprBlank
		if name == "isEmpty" {
			logic = ExprEmpty
		}
		return op(logic, ExprBool, args[0]), false, nil
	case (name == "size" || name == "len") && len(args) == 1 && args[0].Type == ExprText:
		l := op(ExprLength, ExprInteger, args[0])
		if name == "size" {
			return l, true, nil // size(null) fails
		}
		if fallible {
			return nil, false, fmt.Errorf("len takes a field or a literal only")
		}
		return op(ExprCoalesce, ExprInteger, l, &Expr{Op: ExprValue, Type: ExprInteger, Value: int64(0)}), false, nil
	case dateParts[name] != "" && len(args) == 1 && (args[0].Type == ExprDate || args[0].Type == ExprDatetime):
		e := op(dateParts[name], ExprInteger, args[0])
		if name == "getMonth" || name == "getDayOfMonth" { // CEL counts these from 0
			e = op(ExprSub, ExprInteger, e, &Expr{Op: ExprValue, Type: ExprInteger, Value: int64(1)})
		}
		return e, true, nil
	case name == "abs" && len(args) == 1 && numeric(args[0].Type):
		return op(ExprAbs, args[0].Type, args[0]), true, nil
	}
	return nil, false, unsupported
}

// in translates x in [literals].
func (t *translator) in(n *expr.Node) (*Expr, bool, error) {
	if len(n.Args) == 2 && n.Args[1].Kind == expr.NodeUser && n.Args[1].Name == "permission_sets" {
		// a policy's x in current_user.permission_sets: the sets are
		// bound as the list when the policy is bound to a caller
		x, fallible, err := t.node(n.Args[0])
		if err != nil {
			return nil, false, err
		}
		if fallible || x.Type != ExprText {
			return nil, false, fmt.Errorf("in current_user.permission_sets takes a text field")
		}
		return op(ExprIn, ExprBool, x, &Expr{Op: ExprValue, Type: ExprText, Value: userValue("permission_sets")}), false, nil
	}
	if len(n.Args) != 2 || n.Args[1].Kind != expr.NodeList {
		return nil, false, fmt.Errorf("in takes a list of literals")
	}
	x, fallible, err := t.node(n.Args[0])
	if err != nil {
		return nil, false, err
	}
	if fallible || (x.Type != ExprText && !numeric(x.Type)) {
		return nil, false, fmt.Errorf("in takes a field of text or numbers")
	}
	e := op(ExprIn, ExprBool, x)
	for _, el := range n.Args[1].Args {
		v, _, err := t.node(el)
		if err != nil || v.Op != ExprValue || v.Value == nil {
			return nil, false, fmt.Errorf("in takes a list of literals")
		}
		if x.Type == ExprNumber && v.Type == ExprInteger {
			v = &Expr{Op: ExprValue, Type: ExprNumber, Value: float64(v.Value.(int64))}
		}
		if v.Type != x.Type {
			return nil, false, fmt.Errorf("in takes a list of literals of the field's type")
		}
		e.Args = append(e.Args, v)
	}
	return e, false, nil
}
