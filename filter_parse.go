package objectos

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/objectos-go/objectos/internal/jsonkind"
	"github.com/objectos-go/objectos/internal/suggest"
)

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
		return nil, filterErr("filter must be an object or an array, not %s", jsonkind.Of(v))
	}
}

var logicalKeys = []string{"$and", "$or", "$not"}

func parseObjectFilter(m map[string]any, depth int) (*Filter, error) {
	keys := slices.Sorted(maps.Keys(m))
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
	if s := suggest.Closest(op, append(names, logicalKeys...)); s != "" {
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
	return filterErr("%s %s: the comparand is %s; it must be %s", field, op, jsonkind.Of(v), comparandKinds)
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
	if !slices.Contains(comparisonOps, op) {
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
			return nil, filterErr("%s %s needs a string comparand, not %s", field, op, jsonkind.Of(v))
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
		if s := suggest.Closest(lower, names); s != "" {
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
