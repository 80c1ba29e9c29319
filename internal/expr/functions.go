package expr

import (
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// The helper functions of upstream's expression library (reference §8.3)
// beside CEL's own (size, has, matches, contains, startsWith, endsWith,
// timestamp parts such as getFullYear) and its strings extension (trim,
// lowerAscii, upperAscii, replace, split, substring, indexOf, …). Dates
// are timestamps at midnight UTC; "today" is the UTC day.
//
//	now()                   the time of the write (same as now)
//	today()                 the UTC day of the write, at midnight
//	daysFromNow(n) daysAgo(n)  today() plus or minus n days
//	addDays(t, n) addMonths(t, n)
//	date(s) date(t)         a date from "YYYY-MM-DD" (or a datetime string), or t's UTC day
//	datetime(s)             a timestamp from an ISO 8601 string
//	daysBetween(a, b)       whole days from a to b (b − a)
//	isBlank(v)              null, a string of spaces only, or an empty list or map
//	isEmpty(v)              null, "", or an empty list or map
//	coalesce(v, fallback)   v unless it is null
//	trim(s) upper(s) lower(s)  (null stays null)
//	contains(s, sub) startsWith(s, p) endsWith(s, p)  (false on null)
//	len(v)                  characters of a string, items of a list or map; 0 for null
//	abs(x) round(x) floor(x) ceil(x) min(a, b) max(a, b)
var functions = []cel.EnvOption{
	cel.Function("date",
		cel.Overload("objectos_date_string", []*types.Type{cel.StringType}, cel.TimestampType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				s := string(v.(types.String))
				if d, err := time.Parse("2006-01-02", s); err == nil {
					return types.Timestamp{Time: d}
				}
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					return types.Timestamp{Time: day(t)}
				}
				return types.NewErr("date: %q is not a date written YYYY-MM-DD", clip(s))
			})),
		cel.Overload("objectos_date_timestamp", []*types.Type{cel.TimestampType}, cel.TimestampType,
			cel.UnaryBinding(func(v ref.Val) ref.Val { return types.Timestamp{Time: day(v.(types.Timestamp).Time)} }))),
	cel.Function("datetime",
		cel.Overload("objectos_datetime_string", []*types.Type{cel.StringType}, cel.TimestampType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				s := string(v.(types.String))
				t, err := time.Parse(time.RFC3339Nano, s)
				if err != nil {
					return types.NewErr("datetime: %q is not an ISO 8601 timestamp", clip(s))
				}
				return types.Timestamp{Time: t.UTC()}
			}))),
	cel.Function("addDays",
		cel.Overload("objectos_addDays", []*types.Type{cel.TimestampType, cel.IntType}, cel.TimestampType,
			cel.BinaryBinding(func(t, n ref.Val) ref.Val {
				return types.Timestamp{Time: t.(types.Timestamp).Time.AddDate(0, 0, int(n.(types.Int)))}
			}))),
	cel.Function("addMonths",
		cel.Overload("objectos_addMonths", []*types.Type{cel.TimestampType, cel.IntType}, cel.TimestampType,
			cel.BinaryBinding(func(t, n ref.Val) ref.Val {
				return types.Timestamp{Time: t.(types.Timestamp).Time.AddDate(0, int(n.(types.Int)), 0)}
			}))),
	cel.Function("daysBetween",
		cel.Overload("objectos_daysBetween", []*types.Type{cel.TimestampType, cel.TimestampType}, cel.IntType,
			cel.BinaryBinding(func(a, b ref.Val) ref.Val {
				d := b.(types.Timestamp).Time.Sub(a.(types.Timestamp).Time)
				return types.Int(int64(d / (24 * time.Hour)))
			}))),
	cel.Function("isBlank",
		cel.Overload("objectos_isBlank", []*types.Type{cel.DynType}, cel.BoolType,
			cel.UnaryBinding(func(v ref.Val) ref.Val { return types.Bool(empty(v, true)) }))),
	cel.Function("isEmpty",
		cel.Overload("objectos_isEmpty", []*types.Type{cel.DynType}, cel.BoolType,
			cel.UnaryBinding(func(v ref.Val) ref.Val { return types.Bool(empty(v, false)) }))),
	cel.Function("coalesce",
		cel.Overload("objectos_coalesce", []*types.Type{cel.TypeParamType("A"), cel.TypeParamType("A")}, cel.TypeParamType("A"),
			cel.BinaryBinding(func(v, fallback ref.Val) ref.Val {
				if v == types.NullValue {
					return fallback
				}
				return v
			}))),
	stringFunc("trim", strings.TrimSpace),
	stringFunc("upper", strings.ToUpper),
	stringFunc("lower", strings.ToLower),
	stringTest("contains", strings.Contains),
	stringTest("startsWith", strings.HasPrefix),
	stringTest("endsWith", strings.HasSuffix),
	cel.Function("len",
		cel.Overload("objectos_len_string", []*types.Type{cel.NullableType(cel.StringType)}, cel.IntType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				if s, ok := v.(types.String); ok {
					return types.Int(utf8.RuneCountInString(string(s)))
				}
				return types.Int(0)
			})),
		cel.Overload("objectos_len_list", []*types.Type{cel.ListType(cel.TypeParamType("T"))}, cel.IntType,
			cel.UnaryBinding(func(v ref.Val) ref.Val { return v.(traits.Sizer).Size() })),
		cel.Overload("objectos_len_map", []*types.Type{cel.MapType(cel.TypeParamType("K"), cel.TypeParamType("V"))}, cel.IntType,
			cel.UnaryBinding(func(v ref.Val) ref.Val { return v.(traits.Sizer).Size() }))),
	cel.Function("abs",
		cel.Overload("objectos_abs_double", []*types.Type{cel.DoubleType}, cel.DoubleType,
			cel.UnaryBinding(func(v ref.Val) ref.Val { return types.Double(math.Abs(float64(v.(types.Double)))) })),
		cel.Overload("objectos_abs_int", []*types.Type{cel.IntType}, cel.IntType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				n := v.(types.Int)
				if n == math.MinInt64 {
					return types.NewErr("abs: integer overflow")
				}
				if n < 0 {
					return -n
				}
				return n
			}))),
	doubleFunc("round", math.Round),
	doubleFunc("floor", math.Floor),
	doubleFunc("ceil", math.Ceil),
	pairFunc("min", math.Min, func(a, b int64) int64 { return min(a, b) }),
	pairFunc("max", math.Max, func(a, b int64) int64 { return max(a, b) }),
}

// macros are the helpers that read the time of the write: they stand for
// expressions over the variable now.
var macros = []cel.Macro{
	cel.GlobalMacro("now", 0, func(eh cel.MacroExprFactory, _ celast.Expr, _ []celast.Expr) (celast.Expr, *common.Error) {
		return eh.NewIdent(VarNow), nil
	}),
	cel.GlobalMacro("today", 0, func(eh cel.MacroExprFactory, _ celast.Expr, _ []celast.Expr) (celast.Expr, *common.Error) {
		return eh.NewCall("date", eh.NewIdent(VarNow)), nil
	}),
	cel.GlobalMacro("daysFromNow", 1, func(eh cel.MacroExprFactory, _ celast.Expr, args []celast.Expr) (celast.Expr, *common.Error) {
		return eh.NewCall("addDays", eh.NewCall("date", eh.NewIdent(VarNow)), args[0]), nil
	}),
	cel.GlobalMacro("daysAgo", 1, func(eh cel.MacroExprFactory, _ celast.Expr, args []celast.Expr) (celast.Expr, *common.Error) {
		return eh.NewCall("addDays", eh.NewCall("date", eh.NewIdent(VarNow)), eh.NewCall(operators.Negate, args[0])), nil
	}),
}

func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// clip bounds a value an error message repeats.
func clip(s string) string {
	if len(s) <= 32 {
		return s
	}
	n := 32
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func empty(v ref.Val, blank bool) bool {
	switch x := v.(type) {
	case types.Null:
		return true
	case types.String:
		if blank {
			return strings.TrimFunc(string(x), unicode.IsSpace) == ""
		}
		return x == ""
	case traits.Sizer:
		return x.Size() == types.Int(0)
	}
	return false
}

// stringFunc is a function of a nullable string that keeps null.
func stringFunc(name string, fn func(string) string) cel.EnvOption {
	return cel.Function(name,
		cel.Overload("objectos_"+name+"_string", []*types.Type{cel.NullableType(cel.StringType)}, cel.NullableType(cel.StringType),
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				if s, ok := v.(types.String); ok {
					return types.String(fn(string(s)))
				}
				return types.NullValue
			})))
}

// stringTest is a predicate of a nullable string and a string, false on
// null.
func stringTest(name string, fn func(string, string) bool) cel.EnvOption {
	return cel.Function(name,
		cel.Overload("objectos_"+name+"_string_string", []*types.Type{cel.NullableType(cel.StringType), cel.StringType}, cel.BoolType,
			cel.BinaryBinding(func(v, arg ref.Val) ref.Val {
				s, ok := v.(types.String)
				return types.Bool(ok && fn(string(s), string(arg.(types.String))))
			})))
}

func doubleFunc(name string, fn func(float64) float64) cel.EnvOption {
	return cel.Function(name,
		cel.Overload("objectos_"+name+"_double", []*types.Type{cel.DoubleType}, cel.DoubleType,
			cel.UnaryBinding(func(v ref.Val) ref.Val { return types.Double(fn(float64(v.(types.Double)))) })))
}

func pairFunc(name string, fd func(a, b float64) float64, fi func(a, b int64) int64) cel.EnvOption {
	return cel.Function(name,
		cel.Overload("objectos_"+name+"_double", []*types.Type{cel.DoubleType, cel.DoubleType}, cel.DoubleType,
			cel.BinaryBinding(func(a, b ref.Val) ref.Val {
				return types.Double(fd(float64(a.(types.Double)), float64(b.(types.Double))))
			})),
		cel.Overload("objectos_"+name+"_int", []*types.Type{cel.IntType, cel.IntType}, cel.IntType,
			cel.BinaryBinding(func(a, b ref.Val) ref.Val { return types.Int(fi(int64(a.(types.Int)), int64(b.(types.Int)))) })))
}
