package expr

import (
	"math"
	"slices"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// CEL's arithmetic takes one numeric type (amount * 2.0, never amount * 2)
// and divides doubles by zero into infinities. Upstream writes
// amount * probability / 100, and infinities have no JSON form and no SQL
// one, so every expression's +, -, * and / are rewritten, before the type
// check, into these functions: CEL's overloads plus a double and an int
// together (a double), and a division by zero that is an error for
// doubles as CEL's is for ints.
const (
	fnAdd = "objectos_add"
	fnSub = "objectos_sub"
	fnMul = "objectos_mul"
	fnDiv = "objectos_div"
)

// arithNames maps the rewritten functions back to the operators they stand
// for, in messages and for whoever reads an expression's tree.
var arithNames = map[string]string{fnAdd: operators.Add, fnSub: operators.Subtract, fnMul: operators.Multiply, fnDiv: operators.Divide}

var arithOps = map[string]string{operators.Add: fnAdd, operators.Subtract: fnSub, operators.Multiply: fnMul, operators.Divide: fnDiv}

// rewriteArithmetic replaces the arithmetic operators of a parsed
// expression by their objectos functions, and an integer literal beside a
// field in the branches of a ? : by a double (upstream's
// record.amount == null ? 0 : record.amount): a number field is always a
// double, and CEL's ? : wants both branches of one type.
func rewriteArithmetic(a *celast.AST, fields map[string]Type) {
	fac := celast.NewExprFactory()
	nav := celast.NavigateAST(a)
	for _, n := range celast.MatchDescendants(nav, celast.KindMatcher(celast.CallKind)) {
		call := n.AsCall()
		if call.FunctionName() == operators.Conditional && len(call.Args()) == 3 {
			args := call.Args()
			for _, j := range [2][2]int{{1, 2}, {2, 1}} {
				lit, other := args[j[0]], args[j[1]]
				if v, ok := intLiteral(lit); ok && isField(other, fields) {
					lit.SetKindCase(fac.NewLiteral(lit.ID(), types.Double(v)))
				}
			}
			continue
		}
		fn, ok := arithOps[call.FunctionName()]
		if !ok || call.IsMemberFunction() || len(call.Args()) != 2 {
			continue
		}
		n.SetKindCase(fac.NewCall(n.ID(), fn, call.Args()...))
	}
}

// intLiteral returns the value of an integer literal.
func intLiteral(e celast.Expr) (int64, bool) {
	if e.Kind() != celast.LiteralKind {
		return 0, false
	}
	v, ok := e.AsLiteral().(types.Int)
	return int64(v), ok
}

// isField reports whether e names a field: by its bare name or as
// record.<name>.
func isField(e celast.Expr, fields map[string]Type) bool {
	switch e.Kind() {
	case celast.IdentKind:
		_, ok := fields[e.AsIdent()]
		return ok && !slices.Contains(reserved, e.AsIdent())
	case celast.SelectKind:
		op := e.AsSelect().Operand()
		return op.Kind() == celast.IdentKind && (op.AsIdent() == VarRecord || op.AsIdent() == VarPrevious)
	}
	return false
}

type numOp struct {
	i func(a, b int64) ref.Val
	d func(a, b float64) ref.Val
}

func overflow(r int64, ok bool) ref.Val {
	if !ok {
		return types.NewErr("integer overflow")
	}
	return types.Int(r)
}

var numOps = map[string]numOp{
	fnAdd: {
		i: func(a, b int64) ref.Val { r := a + b; return overflow(r, (r > a) == (b > 0)) },
		d: func(a, b float64) ref.Val { return types.Double(a + b) },
	},
	fnSub: {
		i: func(a, b int64) ref.Val { r := a - b; return overflow(r, (r < a) == (b > 0)) },
		d: func(a, b float64) ref.Val { return types.Double(a - b) },
	},
	fnMul: {
		i: func(a, b int64) ref.Val {
			if a == 0 || b == 0 {
				return types.Int(0)
			}
			r := a * b
			return overflow(r, r/b == a && !(a == -1 && b == math.MinInt64) && !(b == -1 && a == math.MinInt64))
		},
		d: func(a, b float64) ref.Val { return types.Double(a * b) },
	},
	fnDiv: {
		i: func(a, b int64) ref.Val {
			if b == 0 {
				return types.NewErr("division by zero")
			}
			if a == math.MinInt64 && b == -1 {
				return types.NewErr("integer overflow")
			}
			return types.Int(a / b)
		},
		d: func(a, b float64) ref.Val {
			if b == 0 {
				return types.NewErr("division by zero")
			}
			return types.Double(a / b)
		},
	},
}

func arithmetic() []cel.EnvOption {
	var opts []cel.EnvOption
	for _, name := range []string{fnAdd, fnSub, fnMul, fnDiv} {
		op := numOps[name]
		ovs := []cel.FunctionOpt{
			cel.Overload(name+"_int_int", []*types.Type{cel.IntType, cel.IntType}, cel.IntType,
				cel.BinaryBinding(func(a, b ref.Val) ref.Val { return op.i(int64(a.(types.Int)), int64(b.(types.Int))) })),
			cel.Overload(name+"_double_double", []*types.Type{cel.DoubleType, cel.DoubleType}, cel.DoubleType,
				cel.BinaryBinding(func(a, b ref.Val) ref.Val { return op.d(float64(a.(types.Double)), float64(b.(types.Double))) })),
			cel.Overload(name+"_double_int", []*types.Type{cel.DoubleType, cel.IntType}, cel.DoubleType,
				cel.BinaryBinding(func(a, b ref.Val) ref.Val { return op.d(float64(a.(types.Double)), float64(b.(types.Int))) })),
			cel.Overload(name+"_int_double", []*types.Type{cel.IntType, cel.DoubleType}, cel.DoubleType,
				cel.BinaryBinding(func(a, b ref.Val) ref.Val { return op.d(float64(a.(types.Int)), float64(b.(types.Double))) })),
		}
		switch name {
		case fnAdd:
			ovs = append(ovs,
				cel.Overload(name+"_string", []*types.Type{cel.StringType, cel.StringType}, cel.StringType,
					cel.BinaryBinding(func(a, b ref.Val) ref.Val { return a.(types.String) + b.(types.String) })),
				cel.Overload(name+"_list", []*types.Type{cel.ListType(cel.TypeParamType("T")), cel.ListType(cel.TypeParamType("T"))},
					cel.ListType(cel.TypeParamType("T")), cel.BinaryBinding(func(a, b ref.Val) ref.Val {
						return a.(interface{ Add(ref.Val) ref.Val }).Add(b)
					})),
				cel.Overload(name+"_timestamp_duration", []*types.Type{cel.TimestampType, cel.DurationType}, cel.TimestampType,
					cel.BinaryBinding(func(a, b ref.Val) ref.Val { return a.(types.Timestamp).Add(b) })),
				cel.Overload(name+"_duration_timestamp", []*types.Type{cel.DurationType, cel.TimestampType}, cel.TimestampType,
					cel.BinaryBinding(func(a, b ref.Val) ref.Val { return b.(types.Timestamp).Add(a) })),
				cel.Overload(name+"_duration_duration", []*types.Type{cel.DurationType, cel.DurationType}, cel.DurationType,
					cel.BinaryBinding(func(a, b ref.Val) ref.Val { return a.(types.Duration).Add(b) })))
		case fnSub:
			ovs = append(ovs,
				cel.Overload(name+"_timestamp_timestamp", []*types.Type{cel.TimestampType, cel.TimestampType}, cel.DurationType,
					cel.BinaryBinding(func(a, b ref.Val) ref.Val {
						return types.Duration{Duration: a.(types.Timestamp).Time.Sub(b.(types.Timestamp).Time)}
					})),
				cel.Overload(name+"_timestamp_duration", []*types.Type{cel.TimestampType, cel.DurationType}, cel.TimestampType,
					cel.BinaryBinding(func(a, b ref.Val) ref.Val {
						return types.Timestamp{Time: a.(types.Timestamp).Time.Add(-b.(types.Duration).Duration)}
					})),
				cel.Overload(name+"_duration_duration", []*types.Type{cel.DurationType, cel.DurationType}, cel.DurationType,
					cel.BinaryBinding(func(a, b ref.Val) ref.Val { return a.(types.Duration).Subtract(b) })))
		}
		opts = append(opts, cel.Function(name, ovs...))
	}
	return opts
}
