package objectos

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/objectos-go/objectos/internal/expr"
)

// formula is a compiled formula field.
type formula struct {
	field *Field
	prg   *expr.Program
	// reads are the stored fields the expression reads.
	reads []string
	// types are their CEL types, for the record the expression sees.
	types []fieldShape
	// sql is the expression the database computes; nil when it cannot
	// (then the engine computes it after the read).
	sql *Expr
	// returnType is the declared or inferred return type.
	returnType FieldType
}

// formulaKeys are what a formula field may declare beside its type,
// expression and return type; everything else is about stored values.
func formulaProblem(f *Field) string {
	switch {
	case f.Required, f.RequiredWhen != "":
		return "a formula is computed, never required"
	case f.Unique:
		return "a formula has no column and cannot be unique"
	case f.Searchable:
		return "a formula has no column and cannot be searched"
	case f.DefaultValue != nil:
		return "a formula is computed and has no default"
	case f.Internal:
		return "a formula cannot be internal"
	case f.ReadonlyWhen != "":
		return "a formula is always read-only"
	case f.RenamedFrom != "":
		return "a formula has no column to rename"
	case f.Reference != "", f.DeleteBehavior != "", len(f.Options) > 0, f.AutonumberFormat != "",
		f.MinLength != 0, f.MaxLength != 0, f.Precision != 0, f.Scale != nil, f.Min != nil, f.Max != nil:
		return "a formula's value is computed; constraints on stored values do not apply to it"
	}
	return ""
}

// compileFormulas checks and compiles the formula fields of o; nil when it
// has none (or when they have problems, reported on p).
func compileFormulas(p *problems, path string, o *Object) []*formula {
	var out []*formula
	var rc *ruleCompiler
	before := len(p.list)
	for _, f := range o.Fields {
		if f == nil || f.Type != TypeFormula || f.Name == "" {
			if f != nil && f.Type != TypeFormula && (f.Expression != "" || f.ReturnType != "") {
				p.add(path+".fields."+f.Name, "expression and returnType belong to formula fields")
			}
			continue
		}
		fp := path + ".fields." + f.Name
		if msg := formulaProblem(f); msg != "" {
			p.add(fp, "%s", msg)
		}
		if f.ReturnType != "" && !slices.Contains(formulaReturnTypes, f.ReturnType) {
			p.add(fp+".returnType", "%q is not one of number, text, boolean, date, datetime", f.ReturnType)
			continue
		}
		if f.Expression == "" {
			p.add(fp+".expression", "is required: the CEL expression that computes the field")
			continue
		}
		if rc == nil {
			rc = newRuleCompiler(p, path, o)
		}
		env := rc.environment()
		if env == nil {
			return nil
		}
		prg, err := env.CompileValue(string(f.Expression))
		if err != nil {
			p.add(fp+".expression", "%v", err)
			continue
		}
		fm := &formula{field: f, prg: prg}
		if ok := fm.check(p, fp, rc); !ok {
			continue
		}
		out = append(out, fm)
	}
	if len(p.list) > before {
		return nil
	}
	return out
}

// check checks what the formula reads and its return type, and compiles
// it to SQL where it can.
func (fm *formula) check(p *problems, fp string, rc *ruleCompiler) bool {
	f := fm.field
	tree := fm.prg.Tree()
	ok := true
	walkTree(tree, func(n *expr.Node) {
		switch {
		case n.Kind == expr.NodeUser:
			p.add(fp+".expression", "a formula cannot read current_user: its value is the same for every caller")
			ok = false
		case n.Kind == expr.NodeField:
			if fd := rc.fields[n.Name]; fd != nil && (fd.Internal || fd.Kind() == KindPassword) {
				p.add(fp+".expression", "a formula cannot read %s: it is a %s field", n.Name, map[bool]string{true: "internal", false: "password"}[fd.Internal])
				ok = false
			}
		}
	})
	if slices.Contains(fm.prg.Uses(), expr.VarPrevious) {
		p.add(fp+".expression", "a formula cannot read previous: it is computed on read, not on a write")
		ok = false
	}
	want := map[expr.Type][]FieldType{
		expr.Double: {TypeNumber}, expr.String: {TypeText}, expr.Bool: {TypeBoolean},
		expr.Timestamp: {TypeDatetime, TypeDate},
	}[fm.prg.Out]
	fm.returnType = f.ReturnType
	switch {
	case f.ReturnType == "":
		fm.returnType = want[0]
	case !slices.Contains(want, f.ReturnType):
		p.add(fp+".returnType", "is %s, but the expression is a %s", f.ReturnType, want[0])
		ok = false
	}
	for _, name := range fm.prg.Reads {
		fd := rc.fields[name]
		if fd == nil {
			continue
		}
		fm.reads = append(fm.reads, name)
		fm.types = append(fm.types, fieldShape{name: name, kind: fd.Kind(), t: exprType(fd.Kind())})
	}
	if ok {
		fm.sql, _ = toSQL(tree, rc.fields, nil)
		if fm.sql != nil && fm.returnType == TypeDate && fm.sql.Type != ExprDate {
			fm.sql = nil
		}
	}
	return ok
}

func walkTree(n *expr.Node, fn func(*expr.Node)) {
	fn(n)
	for _, a := range n.Args {
		walkTree(a, fn)
	}
}

// attachFormulas gives the formula fields of a Stack's object their
// compiled formulas (and their return type when the artifact left it to
// the expression), on the object's own copies of the fields.
func (o *Object) attachFormulas(fs []*formula) {
	for _, fm := range fs {
		f := o.fieldIndex[fm.field.Name]
		if f == nil {
			continue
		}
		c := *fm
		c.field = f
		f.ReturnType = fm.returnType
		f.formula = &c
		o.formulas = append(o.formulas, &c)
	}
}

// computeFormulas sets the value of every formula among fields in canon,
// a record holding at least the fields they read. A formula whose
// evaluation fails is null, as SQL would compute it; one stopped by the
// cost limit is null too, and logged.
func (s *Stack) computeFormulas(ctx context.Context, o *Object, canon Record, fields []string) {
	if o.formulas == nil {
		return
	}
	var vars *expr.Vars
	for _, fm := range o.formulas {
		if !slices.Contains(fields, fm.field.Name) {
			continue
		}
		if vars == nil {
			vars = &expr.Vars{Record: map[string]any{}, Now: s.clock().UTC()}
		}
		for _, t := range fm.types {
			vars.Record[t.name] = celValue(t, canon[t.name])
		}
		v, err := fm.prg.Value(ctx, vars)
		if err != nil {
			s.log.WarnContext(ctx, "objectos: a formula could not be computed; it reads as null",
				"object", o.Name, "field", fm.field.Name, "request_id", RequestID(ctx), "err", err)
		}
		canon[fm.field.Name] = formulaValue(fm.field, v)
	}
}

// wireComputed is wire with the formulas among fields computed: on a
// copy, as canon belongs to a write that goes on.
func (s *Stack) wireComputed(ctx context.Context, o *Object, canon Record, fields []string) Record {
	if o.formulas != nil {
		canon = maps.Clone(canon)
		s.computeFormulas(ctx, o, canon, fields)
	}
	return wire(o, canon, fields)
}

// formulaValue converts a formula's value to the canonical value of its
// return type: a date is "YYYY-MM-DD", a datetime a UTC time in
// milliseconds.
func formulaValue(f *Field, v any) any {
	t, ok := v.(time.Time)
	if !ok {
		return v
	}
	if f.ReturnType == TypeDate {
		return t.UTC().Format(DateLayout)
	}
	return t.UTC().Truncate(time.Millisecond)
}

// readFields returns the fields a read asks the store for: the projected
// ones, where each formula is replaced by the fields it reads (keep names
// formulas the store computes itself: the sort keys, whose values a
// cursor carries).
func readFields(o *Object, fields []string, keep []SortKey) []string {
	if o.formulas == nil {
		return fields
	}
	out := make([]string, 0, len(fields)+4)
	add := func(name string) {
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	for _, name := range fields {
		f := o.Field(name)
		if f == nil || f.formula == nil {
			add(name)
			continue
		}
		if f.formula.sql != nil && slices.ContainsFunc(keep, func(k SortKey) bool { return k.Field == name }) {
			add(name)
		}
		for _, r := range f.formula.reads {
			add(r)
		}
	}
	return out
}

// formulaGrant returns g with every formula that reads a field g does not
// let be read made unreadable too: a formula never shows what its caller
// cannot see. g itself (the security plugin's, maybe cached) is not
// changed.
func formulaGrant(o *Object, g *Grant) *Grant {
	if o.formulas == nil || g == nil || len(g.Fields) == 0 {
		return g
	}
	var out *Grant
	for _, fm := range o.formulas {
		if !g.CanRead(fm.field.Name) {
			continue
		}
		for _, r := range fm.reads {
			if g.CanRead(r) {
				continue
			}
			if out == nil {
				c := *g
				c.Fields = make(map[string]FieldAccess, len(g.Fields)+len(o.formulas))
				for k, v := range g.Fields {
					c.Fields[k] = v
				}
				out = &c
			}
			out.Fields[fm.field.Name] = FieldAccess{Readable: false, Editable: false}
			break
		}
	}
	if out == nil {
		return g
	}
	return out
}
