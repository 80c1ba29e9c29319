// Package expr is the one CEL (Common Expression Language) environment of
// objectos. Every feature that takes an expression from the artifact —
// validation rules and conditional fields today — compiles it here, against
// the fields of one object, so that they all see the same variables and
// functions:
//
//	record         the record being written (update: stored record + patch)
//	previous       the stored record on update; null on insert
//	<field>        each field by its bare name, as record.<field>
//	current_user   {id, email, role, permission_sets}
//	now            the time of the write (a timestamp)
//
// and the functions of [functions] and [macros] beside CEL's standard ones
// and its strings extension. Expressions are parsed and type-checked once
// (Compile) and run many times (Program.Eval) within a cost limit, so that
// no expression can run for long.
package expr

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"

	"github.com/objectos-go/objectos/internal/suggest"
)

// Type is the CEL type a field's values have in expressions.
type Type uint8

// Field types. Scalar fields are nullable: an empty field is null.
const (
	Dyn        Type = iota // any JSON value
	String                 // text, select, reference ids, times of day
	Double                 // numbers
	Bool                   // booleans
	Timestamp              // dates (midnight UTC) and datetimes
	StringList             // multi-select and tags; an empty field is []
)

// Field is a field of the record an expression sees.
type Field struct {
	Name string
	Type Type
	// Lookup are the fields of the record a reference field points to,
	// which an expression reads through it as <name>.<field> (or
	// record.<name>.<field>): one hop, never previous.<name>.<field>. The
	// evaluation finds their values in Vars.Record under the path.
	Lookup []Field
}

// Variable names beside the fields.
const (
	VarRecord   = "record"
	VarPrevious = "previous"
	VarUser     = "current_user"
	VarNow      = "now"
)

// The object types of record and current_user. Their dotted names cannot
// clash with a field name.
const (
	recordType = "objectos.Record"
	userType   = "objectos.User"
)

// CostLimit bounds the work of one evaluation, in CEL's cost units (about
// one per operation, more for strings and lists in proportion to their
// size): an expression that would do more fails with ErrCostLimit. Every
// sensible rule costs well under a thousand.
const CostLimit = 1_000_000

// ErrCostLimit is the error of an evaluation stopped by the cost limit.
var ErrCostLimit = errors.New("expr: cost limit exceeded")

// reserved are CEL's reserved words and the names the environment declares;
// a field so named is reachable as record.<name> only.
var reserved = []string{"in", "as", "break", "const", "continue", "else", "for", "function", "if",
	"import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
	"null", "true", "false", VarRecord, VarPrevious, VarUser, VarNow}

// Env compiles expressions over the records of one object. It is safe for
// concurrent use.
type Env struct {
	env    *cel.Env
	fields map[string]Type
	names  []string // declared names, for did-you-mean
	// lookups are the fields reachable through each reference field.
	lookups map[string][]string
}

// NewEnv returns the environment for records with the fields.
func NewEnv(fields []Field) (*Env, error) {
	e := &Env{fields: make(map[string]Type, len(fields)), lookups: map[string][]string{}}
	recordFields := make(map[string]*types.Type, len(fields))
	opts := []cel.EnvOption{
		ext.Strings(),
		// record.amount > 40 as upstream writes it; == and arithmetic
		// still take one type (record.amount == 40.0)
		cel.CrossTypeNumericComparisons(true),
		cel.DefaultUTCTimeZone(true),
		cel.Variable(VarRecord, cel.ObjectType(recordType)),
		cel.Variable(VarPrevious, cel.ObjectType(recordType)),
		cel.Variable(VarUser, cel.ObjectType(userType)),
		cel.Variable(VarNow, cel.TimestampType),
		cel.Macros(macros...),
	}
	opts = append(opts, functions...)
	opts = append(opts, arithmetic()...)
	e.names = append(e.names, VarRecord, VarPrevious, VarUser, VarNow)
	for _, f := range fields {
		t := celType(f.Type)
		e.fields[f.Name] = f.Type
		recordFields[f.Name] = t
		if !slices.Contains(reserved, f.Name) {
			opts = append(opts, cel.Variable(f.Name, t))
			e.names = append(e.names, f.Name)
		}
		// account.owner_id is a qualified name, which the checker resolves
		// before it reads account.owner_id as a selection on account (a
		// string): so account stays the id it is everywhere else
		for _, sub := range f.Lookup {
			path := f.Name + "." + sub.Name
			e.lookups[f.Name] = append(e.lookups[f.Name], sub.Name)
			opts = append(opts, cel.Variable(VarRecord+"."+path, celType(sub.Type)))
			if !slices.Contains(reserved, f.Name) {
				opts = append(opts, cel.Variable(path, celType(sub.Type)))
			}
		}
	}
	opts = append(opts, cel.CustomTypeProvider(&provider{
		Provider: types.NewEmptyRegistry(),
		structs: map[string]map[string]*types.Type{
			recordType: recordFields,
			userType: {
				"id": cel.StringType, "email": cel.StringType, "role": cel.StringType,
				"permission_sets": cel.ListType(cel.StringType),
			},
		},
	}))
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("expr: %w", err)
	}
	e.env = env
	return e, nil
}

func celType(t Type) *types.Type {
	switch t {
	case String:
		return cel.NullableType(cel.StringType)
	case Double:
		return cel.NullableType(cel.DoubleType)
	case Bool:
		return cel.NullableType(cel.BoolType)
	case Timestamp:
		return cel.TimestampType // nullable in CEL already
	case StringList:
		return cel.ListType(cel.StringType)
	}
	return cel.DynType
}

// provider declares the object types record and current_user to the type
// checker. At run time their values are maps, read by field name.
type provider struct {
	types.Provider
	structs map[string]map[string]*types.Type
}

func (p *provider) FindStructType(name string) (*types.Type, bool) {
	if _, ok := p.structs[name]; ok {
		return types.NewTypeTypeWithParam(types.NewObjectType(name)), true
	}
	return p.Provider.FindStructType(name)
}

func (p *provider) FindStructFieldNames(name string) ([]string, bool) {
	if fs, ok := p.structs[name]; ok {
		names := make([]string, 0, len(fs))
		for n := range fs {
			names = append(names, n)
		}
		slices.Sort(names)
		return names, true
	}
	return p.Provider.FindStructFieldNames(name)
}

func (p *provider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if fs, ok := p.structs[name]; ok {
		t, ok := fs[field]
		if !ok {
			return nil, false
		}
		return &types.FieldType{Type: t}, true
	}
	return p.Provider.FindStructFieldType(name, field)
}

var wrapperRE = regexp.MustCompile(`wrapper\((\w+)\)`)

// CompileError is what is wrong with an expression, in messages fit for
// the author of an artifact.
type CompileError struct {
	Messages []string
}

func (e *CompileError) Error() string { return strings.Join(e.Messages, "; ") }

// Program is a compiled, type-checked expression.
type Program struct {
	prg cel.Program
	ast *cel.Ast
	// Out is the type of a value expression's value (CompileValue).
	Out Type
	// Reads are the fields the expression reads, through record, a bare
	// name or previous, sorted: a reference field read through
	// (account.owner_id) among them.
	Reads []string
	// Lookups are the paths of the fields it reads through a reference
	// field (account.owner_id), sorted.
	Lookups []string
}

// CompileBool parses and type-checks a predicate: an expression whose
// value is a boolean.
func (e *Env) CompileBool(src string) (*Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, &CompileError{Messages: []string{"is empty"}}
	}
	ast, err := e.check(src)
	if err != nil {
		return nil, err
	}
	if out := ast.OutputType(); !out.IsExactType(cel.BoolType) && !out.IsExactType(cel.DynType) {
		return nil, &CompileError{Messages: []string{fmt.Sprintf("must be true or false, not a %s", typeName(out))}}
	}
	return e.program(ast)
}

// CompileValue parses and type-checks an expression whose value is a
// number, a string, a boolean or a timestamp: a formula. Program.Out is
// its type (Double for every number).
func (e *Env) CompileValue(src string) (*Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, &CompileError{Messages: []string{"is empty"}}
	}
	ast, err := e.check(src)
	if err != nil {
		return nil, err
	}
	prg, err := e.program(ast)
	if err != nil {
		return nil, err
	}
	out := ast.OutputType()
	switch {
	case out.IsAssignableType(cel.NullableType(cel.DoubleType)) || out.IsAssignableType(cel.NullableType(cel.IntType)):
		prg.Out = Double
	case out.IsAssignableType(cel.NullableType(cel.StringType)):
		prg.Out = String
	case out.IsAssignableType(cel.NullableType(cel.BoolType)):
		prg.Out = Bool
	case out.IsExactType(cel.TimestampType):
		prg.Out = Timestamp
	default:
		return nil, &CompileError{Messages: []string{fmt.Sprintf("must be a number, a string, a boolean or a timestamp, not a %s", typeName(out))}}
	}
	return prg, nil
}

// check parses src, rewrites its arithmetic (see rewriteArithmetic) and
// type-checks it.
func (e *Env) check(src string) (*cel.Ast, error) {
	parsed, iss := e.env.Parse(src)
	if iss == nil || iss.Err() == nil {
		if msgs := e.checkLookups(parsed.NativeRep()); msgs != nil {
			return nil, &CompileError{Messages: msgs}
		}
		rewriteArithmetic(parsed.NativeRep(), e.fields)
		parsed, iss = e.env.Check(parsed)
	}
	if iss != nil && iss.Err() != nil {
		var msgs []string
		for _, ce := range iss.Errors() {
			msgs = append(msgs, e.explain(ce.Message))
		}
		return nil, &CompileError{Messages: msgs}
	}
	return parsed, nil
}

// checkLookups explains the selections through a reference field that
// name no field of its target (account.ownr_id), which the checker would
// report as a selection on a string.
func (e *Env) checkLookups(a *celast.AST) []string {
	var msgs []string
	nav := celast.NavigateAST(a)
	for _, n := range celast.MatchDescendants(nav, celast.KindMatcher(celast.SelectKind)) {
		sel := n.AsSelect()
		head, via := "", ""
		switch op := sel.Operand(); op.Kind() {
		case celast.IdentKind:
			if !slices.Contains(reserved, op.AsIdent()) {
				head = op.AsIdent()
			}
		case celast.SelectKind:
			if in := op.AsSelect().Operand(); in.Kind() == celast.IdentKind {
				head, via = op.AsSelect().FieldName(), in.AsIdent()
			}
		}
		subs, ok := e.lookups[head]
		if !ok || (via != "" && via != VarRecord && via != VarPrevious) {
			continue
		}
		switch {
		case via == VarPrevious:
			msgs = append(msgs, fmt.Sprintf("previous.%s.%s: the fields of a lookup are read on the record (%s.%s), not on previous",
				head, sel.FieldName(), head, sel.FieldName()))
		case !slices.Contains(subs, sel.FieldName()):
			msg := fmt.Sprintf("%s is a lookup whose record has no field '%s'", head, sel.FieldName())
			if s := suggest.Closest(sel.FieldName(), subs); s != "" {
				msg += fmt.Sprintf(" (did you mean '%s'?)", s)
			}
			msgs = append(msgs, msg)
		}
	}
	return msgs
}

func (e *Env) program(ast *cel.Ast) (*Program, error) {
	prg, err := e.env.Program(ast,
		cel.CostLimit(CostLimit),
		cel.InterruptCheckFrequency(100),
		cel.OptimizeRegex(interpreter.MatchesRegexOptimization),
	)
	if err != nil {
		return nil, &CompileError{Messages: []string{e.explain(err.Error())}}
	}
	p := &Program{prg: prg, ast: ast}
	p.Reads, p.Lookups = e.reads(ast.NativeRep())
	return p, nil
}

func typeName(t *types.Type) string {
	if t.Kind() == types.StructKind {
		return "record"
	}
	return wrapperRE.ReplaceAllString(t.String(), "$1")
}

// explain shortens a checker message and adds a did-you-mean to an
// unknown name or field.
func (e *Env) explain(msg string) string {
	msg = strings.TrimSuffix(msg, " (in container '')")
	msg = wrapperRE.ReplaceAllString(msg, "$1") // a nullable double is a double to the author
	for fn, op := range arithNames {
		msg = strings.ReplaceAll(msg, "'"+fn+"'", "'"+op+"'")
	}
	if strings.Contains(msg, "does not support field selection") && len(e.lookups) == 0 {
		msg += " (only row-level policies read the fields of a lookup's record, as <lookup>.<field>)"
	}
	for _, prefix := range []string{"undeclared reference to '", "undefined field '"} {
		rest, ok := strings.CutPrefix(msg, prefix)
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, "'")
		candidates := e.names
		if prefix == "undefined field '" {
			candidates = slices.Sorted(func(yield func(string) bool) {
				for n := range e.fields {
					if !yield(n) {
						return
					}
				}
			})
			candidates = append(candidates, "id", "email", "role", "permission_sets")
		}
		if s := suggest.Closest(name, candidates); s != "" {
			msg += fmt.Sprintf(" (did you mean '%s'?)", s)
		}
	}
	return msg
}

// reads lists the fields an expression reads, and the paths it reads
// through reference fields.
func (e *Env) reads(a *celast.AST) (fields, lookups []string) {
	seen := map[string]bool{}
	paths := map[string]bool{}
	nav := celast.NavigateAST(a)
	for _, n := range celast.MatchDescendants(nav, celast.AllMatcher()) {
		switch n.Kind() {
		case celast.IdentKind:
			if _, ok := e.fields[n.AsIdent()]; ok && !slices.Contains(reserved, n.AsIdent()) {
				seen[n.AsIdent()] = true
			}
			if path, ok := lookupPath(n.AsIdent()); ok {
				head, _, _ := strings.Cut(path, ".")
				seen[head], paths[path] = true, true
			}
		case celast.SelectKind:
			sel := n.AsSelect()
			op := sel.Operand()
			if op.Kind() == celast.IdentKind && (op.AsIdent() == VarRecord || op.AsIdent() == VarPrevious) {
				seen[sel.FieldName()] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen)), slices.Sorted(maps.Keys(paths))
}

// lookupPath returns the path (account.owner_id) of a name the checker
// resolved to a field read through a reference field.
func lookupPath(name string) (string, bool) {
	name = strings.TrimPrefix(name, VarRecord+".")
	return name, strings.Contains(name, ".")
}

// User is the caller an expression sees as current_user.
type User struct {
	ID             string
	Email          string
	Role           string
	PermissionSets []string
}

// Vars are the values of one evaluation. Record and Previous hold values
// as Value converts them, with every field present (null when empty).
type Vars struct {
	Record   map[string]any
	Previous map[string]any // nil on insert
	User     User
	Now      time.Time
	user     map[string]any
}

// activation resolves the names of an evaluation from its Vars.
type activation struct{ v *Vars }

func (a activation) ResolveName(name string) (any, bool) {
	v := a.v
	switch name {
	case VarRecord:
		return v.Record, true
	case VarPrevious:
		if v.Previous == nil {
			return types.NullValue, true
		}
		return v.Previous, true
	case VarUser:
		if v.user == nil {
			sets := v.User.PermissionSets
			if sets == nil {
				sets = []string{}
			}
			v.user = map[string]any{"id": v.User.ID, "email": v.User.Email, "role": v.User.Role, "permission_sets": sets}
		}
		return v.user, true
	case VarNow:
		return v.Now, true
	}
	val, ok := v.Record[strings.TrimPrefix(name, VarRecord+".")]
	return val, ok
}

func (activation) Parent() interpreter.Activation { return nil }

// Value converts a field's stored value to the value an expression sees:
// a date "2006-01-02" becomes a timestamp at midnight UTC, an empty list
// stays a list, and nil is null.
func Value(t Type, v any) any {
	switch t {
	case Timestamp:
		if s, ok := v.(string); ok {
			if d, err := time.Parse("2006-01-02", s); err == nil {
				return d
			}
		}
	case StringList:
		if v == nil {
			return []string{}
		}
	}
	if v == nil {
		return types.NullValue
	}
	return v
}

// IsNull reports whether a value from Value is null.
func IsNull(v any) bool { return v == types.NullValue }

// Eval runs the predicate. An error — a value of the wrong type at run
// time, a null where a value was needed, the cost limit (ErrCostLimit) or
// a cancelled ctx — means the predicate could not be evaluated.
func (p *Program) Eval(ctx context.Context, vars *Vars) (bool, error) {
	out, _, err := p.prg.ContextEval(ctx, activation{vars})
	if err != nil {
		if strings.Contains(err.Error(), "cost limit exceeded") {
			return false, fmt.Errorf("%w: %w", ErrCostLimit, err)
		}
		return false, err
	}
	switch x := out.(type) {
	case types.Bool:
		return bool(x), nil
	case ref.Val:
		if x == types.NullValue {
			return false, errors.New("expr: the expression is null, not true or false")
		}
	}
	return false, fmt.Errorf("expr: the expression is a %s, not true or false", out.Type())
}
