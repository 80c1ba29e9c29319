package expr

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
)

// Value runs a value expression (CompileValue) and returns its value as Go
// sees it: nil, float64 (every number), string, bool or time.Time (UTC).
// An evaluation that fails — a null operand of arithmetic or of a
// comparison, a division by zero, an overflow — is null, as SQL computes
// it: the error is returned beside the nil value for whoever wants to log
// it, and ErrCostLimit or a cancelled ctx is an error with no value.
func (p *Program) Value(ctx context.Context, vars *Vars) (any, error) {
	out, _, err := p.prg.ContextEval(ctx, activation{vars})
	if err != nil {
		if strings.Contains(err.Error(), "cost limit exceeded") {
			return nil, fmt.Errorf("%w: %w", ErrCostLimit, err)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, nil
	}
	switch x := out.(type) {
	case types.Double:
		f := float64(x)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, nil
		}
		return f, nil
	case types.Int:
		return float64(x), nil
	case types.String:
		return string(x), nil
	case types.Bool:
		return bool(x), nil
	case types.Timestamp:
		return x.Time.UTC(), nil
	}
	return nil, nil
}

// NodeKind is the kind of a node of an expression's tree.
type NodeKind uint8

// Node kinds.
const (
	NodeOther NodeKind = iota // anything else: a map, a comprehension, previous, …
	NodeField                 // a field of the record (bare name or record.<name>), or one read through a reference field (account.owner_id)
	NodeConst                 // a literal: nil, bool, int64, float64, string
	NodeCall                  // a function or operator; a receiver is the first argument
	NodeList                  // a list literal
	NodeUser                  // current_user.<Name>
	NodeNow                   // now
)

// Types of tree nodes beside those of fields.
const (
	Int   Type = 100 + iota // an integer (a literal, len, a date part)
	Null                    // the null literal
	Other                   // anything else
)

// Node is a type-checked expression as a tree, for whoever translates it
// (to SQL): operators and functions keep their CEL names (_+_, _==_,
// _?_:_, getFullYear, …).
type Node struct {
	Kind  NodeKind
	Name  string // field, function or current_user attribute
	Value any    // NodeConst
	Args  []*Node
	Type  Type
}

// Tree returns the expression as a tree of Nodes.
func (p *Program) Tree() *Node {
	a := p.ast.NativeRep()
	return tree(a, a.Expr())
}

func nodeType(t *types.Type) Type {
	switch {
	case t == nil:
		return Other
	case t.IsExactType(cel.NullType):
		return Null
	case t.IsAssignableType(cel.NullableType(cel.DoubleType)) && !t.IsExactType(cel.DynType):
		return Double
	case t.IsAssignableType(cel.NullableType(cel.IntType)) && !t.IsExactType(cel.DynType):
		return Int
	case t.IsAssignableType(cel.NullableType(cel.StringType)) && !t.IsExactType(cel.DynType):
		return String
	case t.IsAssignableType(cel.NullableType(cel.BoolType)) && !t.IsExactType(cel.DynType):
		return Bool
	case t.IsExactType(cel.TimestampType):
		return Timestamp
	case t.IsExactType(cel.ListType(cel.StringType)):
		return StringList
	}
	return Other
}

func tree(a *celast.AST, e celast.Expr) *Node {
	n := &Node{Type: nodeType(a.GetType(e.ID()))}
	switch e.Kind() {
	case celast.IdentKind:
		switch name := e.AsIdent(); name {
		case VarNow:
			n.Kind = NodeNow
		case VarRecord, VarPrevious, VarUser:
		default:
			n.Kind, n.Name = NodeField, name
			if path, ok := lookupPath(name); ok {
				n.Name = path // account.owner_id
			}
		}
	case celast.SelectKind:
		sel := e.AsSelect()
		if op := sel.Operand(); op.Kind() == celast.IdentKind && !sel.IsTestOnly() {
			switch op.AsIdent() {
			case VarRecord:
				n.Kind, n.Name = NodeField, sel.FieldName()
			case VarUser:
				n.Kind, n.Name = NodeUser, sel.FieldName()
			}
		}
	case celast.LiteralKind:
		n.Kind = NodeConst
		switch v := e.AsLiteral().(type) {
		case types.Null:
			n.Value = nil
		case types.Bool:
			n.Value = bool(v)
		case types.Int:
			n.Value = int64(v)
		case types.Double:
			n.Value = float64(v)
		case types.String:
			n.Value = string(v)
		default:
			n.Kind = NodeOther
		}
	case celast.CallKind:
		call := e.AsCall()
		n.Kind, n.Name = NodeCall, call.FunctionName()
		if op, ok := arithNames[n.Name]; ok {
			n.Name = op
		}
		if call.IsMemberFunction() {
			n.Args = append(n.Args, tree(a, call.Target()))
		}
		for _, arg := range call.Args() {
			n.Args = append(n.Args, tree(a, arg))
		}
	case celast.ListKind:
		n.Kind = NodeList
		for _, el := range e.AsList().Elements() {
			n.Args = append(n.Args, tree(a, el))
		}
	}
	return n
}

// Uses returns the variables the expression reads beside the fields:
// record, previous, current_user, now, sorted.
func (p *Program) Uses() []string {
	seen := map[string]bool{}
	nav := celast.NavigateAST(p.ast.NativeRep())
	for _, n := range celast.MatchDescendants(nav, celast.KindMatcher(celast.IdentKind)) {
		switch name := n.AsIdent(); name {
		case VarRecord, VarPrevious, VarUser, VarNow:
			seen[name] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
