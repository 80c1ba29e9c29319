package objectos

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/objectos-go/objectos/internal/expr"
)

// Policy is a row-level security policy (upstream's RLS policy): it
// narrows the records of one object that callers may read or write, on
// top of what the SecurityPlugin grants. Policies of one object and
// operation are OR-ed (a record is reachable when any of them lets it
// be); an object or operation without a policy is not narrowed.
// Administrators (Principal.Role "admin") and the system are not subject
// to policies; everyone else is, whatever the SecurityPlugin (AllowAll
// included).
type Policy struct {
	Name        string `json:"name"`
	Label       string `json:"label,omitempty"`
	Description string `json:"description,omitempty"`
	// Object is the object the policy narrows.
	Object string `json:"object"`
	// Operation is select, insert, update, delete or all.
	Operation PolicyOperation `json:"operation"`
	// Using is a CEL predicate over the record (and current_user) that
	// the records a select, update or delete reaches must satisfy. It is
	// compiled to SQL, with current_user's attributes bound as values: New
	// refuses one the database cannot compute.
	Using Expression `json:"using,omitempty"`
	// Check is a CEL predicate that the record a create or an update
	// would store must satisfy (it may read previous on an update). A
	// policy without one checks writes with Using, as PostgreSQL does.
	Check Expression `json:"check,omitempty"`
	// Enabled false switches the policy off; nil means enabled.
	Enabled *bool    `json:"enabled,omitempty"`
	Tags    []string `json:"tags,omitempty"`
}

// PolicyOperation is what a Policy applies to.
type PolicyOperation string

// Policy operations.
const (
	PolicySelect PolicyOperation = "select"
	PolicyInsert PolicyOperation = "insert"
	PolicyUpdate PolicyOperation = "update"
	PolicyDelete PolicyOperation = "delete"
	PolicyAll    PolicyOperation = "all"
)

// IsEnabled reports whether the policy is on (Enabled nil or true).
func (p *Policy) IsEnabled() bool { return p.Enabled == nil || *p.Enabled }

// policy is a compiled Policy.
type policy struct {
	decl *Policy
	// using is the read filter as an Expr, with current_user's attributes
	// as userValue placeholders; nil when the policy has none.
	using *Expr
	// write is the predicate creates and updates must satisfy: Check,
	// else Using; nil when the policy does not check writes.
	write *expr.Program
	types []fieldShape
	// lookups are the reference fields write reads through.
	lookups []*lookupTarget
}

// filters reports whether the policy narrows the records of an access.
func (pl *policy) filters(a Access) bool {
	if pl.using == nil {
		return false
	}
	switch pl.decl.Operation {
	case PolicyAll:
		return a != AccessCreate
	case PolicySelect:
		return a == AccessRead
	case PolicyUpdate:
		return a == AccessUpdate
	case PolicyDelete:
		return a == AccessDelete
	}
	return false
}

// checks reports whether the policy checks a create (or an update).
func (pl *policy) checks(creating bool) bool {
	if pl.write == nil {
		return false
	}
	switch pl.decl.Operation {
	case PolicyAll:
		return true
	case PolicyInsert:
		return creating
	case PolicyUpdate:
		return !creating
	}
	return false
}

var policyOperations = []PolicyOperation{PolicySelect, PolicyInsert, PolicyUpdate, PolicyDelete, PolicyAll}

// policies checks and compiles the artifact's policies, by object.
func (v *validator) policies(list []*Policy) {
	p := v.p
	seen := map[string]bool{}
	compilers := map[*Object]*ruleCompiler{}
	for i, decl := range list {
		path := fmt.Sprintf("policies[%d]", i)
		if decl == nil {
			p.add(path, "must be an object")
			continue
		}
		if validName(decl.Name) {
			path = "policies." + decl.Name
		}
		v.name(path, "policy", decl.Name, seen)
		before := len(p.list)
		var o *Object
		switch {
		case decl.Object == "":
			p.add(path+".object", "is required")
		case strings.HasPrefix(decl.Object, "sys_"):
			p.add(path+".object", "%q: policies on system objects are not supported", decl.Object)
		default:
			o = v.refObject(path+".object", decl.Object)
		}
		switch {
		case decl.Operation == "":
			p.add(path+".operation", "is required: one of select, insert, update, delete, all")
		case !slices.Contains(policyOperations, decl.Operation):
			p.add(path+".operation", "%q is not one of select, insert, update, delete, all", decl.Operation)
		}
		switch {
		case decl.Using == "" && decl.Check == "":
			p.add(path, "needs using (the records it lets be read, updated or deleted) or check (the records it lets be written)")
		case decl.Operation == PolicyInsert && decl.Using != "":
			p.add(path+".using", "an insert has no stored record to filter; write the condition as check")
		case (decl.Operation == PolicySelect || decl.Operation == PolicyDelete) && decl.Check != "":
			p.add(path+".check", "checks the record a write stores; a %s stores none: write the condition as using", decl.Operation)
		}
		if o == nil || len(p.list) > before {
			continue
		}
		rc := compilers[o]
		if rc == nil {
			rc = newRuleCompiler(p, "objects."+o.Name, o).withLookups(v.objects)
			compilers[o] = rc
		}
		pl := &policy{decl: decl, types: rc.shapes}
		if decl.Using != "" {
			prg := rc.predicate(path+".using", decl.Using)
			if prg == nil {
				continue
			}
			if slices.Contains(prg.Uses(), expr.VarPrevious) {
				p.add(path+".using", "filters stored records, which have no previous")
				continue
			}
			e, why := toSQL(prg.Tree(), rc.fields, rc.lookups)
			if e == nil || e.Type != ExprBool {
				if why == "" {
					why = "it is not a boolean"
				}
				p.add(path+".using", "cannot be computed by the database (%s): a policy's using is part of the SQL of every query, "+
					"made of fields, literals, current_user.id, email and role, comparisons, && || !, in, and the functions formulas compile", why)
				continue
			}
			pl.using = e
			pl.write = prg
		}
		if decl.Check != "" {
			if pl.write = rc.predicate(path+".check", decl.Check); pl.write == nil {
				continue
			}
		}
		if pl.write != nil {
			for _, path := range pl.write.Lookups {
				head, _, _ := strings.Cut(path, ".")
				if lt := rc.lookups[head]; !slices.Contains(pl.lookups, lt) {
					pl.lookups = append(pl.lookups, lt)
				}
			}
		}
		if decl.IsEnabled() {
			v.out.policies[o] = append(v.out.policies[o], pl)
		}
	}
}

// resolve points the policy's lookups at the resolved objects (with
// their system fields) of the declared ones they were compiled against.
func (pl *policy) resolve(resolved map[*Object]*Object) {
	var walk func(e *Expr)
	walk = func(e *Expr) {
		if r := resolved[e.Object]; r != nil {
			e.Object = r
		}
		for _, a := range e.Args {
			walk(a)
		}
	}
	if pl.using != nil {
		walk(pl.using)
	}
	for _, lt := range pl.lookups {
		if r := resolved[lt.object]; r != nil {
			lt.object = r
		}
	}
}

// policyFilter is the filter the object's policies put on an access by
// the caller: the OR of the using of every policy that applies, with
// current_user's attributes bound as values; nil when none applies.
func (s *Stack) policyFilter(p *Principal, o *Object, a Access) *Filter {
	if o.policies == nil || p.IsAdmin() {
		return nil
	}
	var or []*Filter
	var u *boundUser
	for _, pl := range o.policies {
		if !pl.filters(a) {
			continue
		}
		if u == nil {
			u = s.boundUser(p)
		}
		or = append(or, exprFilter(u.bind(pl.using)))
	}
	if or == nil {
		return nil
	}
	return Or(mergeLookupMatches(or)...)
}

// mergeLookupMatches flattens the OR of filters and makes one semi-join
// of the semi-joins through one reference field ("project" IN (SELECT
// "id" FROM "project" WHERE a OR b) for two of them), which the database
// plans as a join where an OR of two would have it test every row.
func mergeLookupMatches(or []*Filter) []*Filter {
	var out []*Filter
	byField := map[string]*Filter{}
	var add func(f *Filter)
	add = func(f *Filter) {
		if f.Op == OpOr {
			for _, c := range f.Children {
				add(c)
			}
			return
		}
		e := f.Expr
		if f.Op != OpExpr || e == nil || e.Op != ExprLookupMatch {
			out = append(out, f)
			return
		}
		prev := byField[e.Field]
		if prev == nil {
			byField[e.Field] = f
			out = append(out, f)
			return
		}
		m := *prev.Expr
		m.Args = []*Expr{op(ExprOr, ExprBool, prev.Expr.Args[0], e.Args[0])}
		*prev = Filter{Op: OpExpr, Expr: &m}
	}
	for _, f := range or {
		add(f)
	}
	return out
}

// boundUser is the values of current_user for the binding of policies.
type boundUser struct {
	id, email, role string
	sets            []string
}

func (s *Stack) boundUser(p *Principal) *boundUser {
	u := &boundUser{}
	if p != nil {
		u.id, u.email, u.role = p.UserID, p.Email, p.Role
	}
	u.sets = slices.Sorted(maps.Keys(s.permissionSetsOf(p)))
	return u
}

// bind returns e with its userValue placeholders replaced by the
// caller's values (e itself when it has none).
func (u *boundUser) bind(e *Expr) *Expr {
	if e.Op == ExprValue {
		uv, ok := e.Value.(userValue)
		if !ok {
			return e
		}
		v := map[userValue]string{"id": u.id, "email": u.email, "role": u.role}[uv]
		return &Expr{Op: ExprValue, Type: ExprText, Value: v}
	}
	var args []*Expr
	for i, a := range e.Args {
		if e.Op == ExprIn && a.Op == ExprValue && a.Value == userValue("permission_sets") {
			if args == nil {
				args = slices.Clone(e.Args[:i])
			}
			for _, name := range u.sets {
				args = append(args, &Expr{Op: ExprValue, Type: ExprText, Value: name})
			}
			continue
		}
		b := u.bind(a)
		if b != a && args == nil {
			args = slices.Clone(e.Args[:i])
		}
		if args != nil {
			args = append(args, b)
		}
	}
	if args == nil {
		return e
	}
	c := *e
	c.Args = args
	return &c
}

// exprFilter turns a bound policy predicate into a filter: its AND and OR
// into the filter's, an equality of a text field with a value into a
// plain $eq leaf (which an index serves), the rest into $expr leaves. In
// a WHERE clause, outside a negation, a NULL and false both exclude the
// row, so the NULL-safe = of an Expr and the $eq of a filter agree.
func exprFilter(e *Expr) *Filter {
	switch e.Op {
	case ExprAnd, ExprOr:
		fs := make([]*Filter, len(e.Args))
		for i, a := range e.Args {
			fs[i] = exprFilter(a)
		}
		if e.Op == ExprAnd {
			return &Filter{Op: OpAnd, Children: fs}
		}
		return &Filter{Op: OpOr, Children: mergeLookupMatches(fs)}
	case ExprValue:
		if b, ok := e.Value.(bool); ok && b {
			return True()
		}
		if e.Type == ExprBool {
			return False() // false or NULL
		}
	case ExprEq, ExprIn, ExprLt, ExprLte, ExprGt, ExprGte:
		if m := lookupMatch(e); m != nil {
			return &Filter{Op: OpExpr, Expr: m}
		}
		if e.Op != ExprEq {
			break
		}
		f, v := e.Args[0], e.Args[1]
		if f.Op != ExprField {
			f, v = v, f
		}
		if s, ok := v.Value.(string); ok && f.Op == ExprField && v.Op == ExprValue && f.Type == ExprText {
			return &Filter{Op: OpEq, Field: f.Field, Value: s}
		}
	}
	return &Filter{Op: OpExpr, Expr: e}
}

// lookupMatch turns a comparison of a value read through a lookup with
// values (account.owner_id == current_user.id, account.region in
// current_user.permission_sets) into the semi-join ExprLookupMatch, or
// returns nil. In a WHERE clause the two agree: when the reference is
// NULL or names no record, the lookup reads NULL, which such a
// comparison with non-NULL values makes false or NULL, excluding the row
// as the semi-join does; otherwise both compare the target's value. The
// semi-join is what lets the database find the few targets first.
func lookupMatch(e *Expr) *Expr {
	var lk *Expr
	at := 0
	for i, a := range e.Args {
		switch {
		case a.Op == ExprLookup && lk == nil:
			lk, at = a, i
		case a.Op == ExprValue && a.Value != nil:
		default:
			return nil
		}
	}
	if lk == nil || (e.Op == ExprIn && at != 0) {
		return nil
	}
	args := slices.Clone(e.Args)
	args[at] = lk.Args[0]
	return &Expr{Op: ExprLookupMatch, Type: ExprBool, Field: lk.Field, Object: lk.Object,
		Args: []*Expr{{Op: e.Op, Type: e.Type, Args: args}}}
}

// checkPolicies refuses a create (existing nil) or an update whose
// record, image (the stored record with the update applied, system
// fields stamped), no policy that checks it lets be written. A check
// that cannot be evaluated fails closed (the cause is logged).
func (c *call) checkPolicies(ctx context.Context, tx Tx, image, existing Record, now time.Time) error {
	if c.o.policies == nil || c.sys || c.p.IsAdmin() {
		return nil
	}
	creating := existing == nil
	var names []string
	var vars *expr.Vars
	for _, pl := range c.o.policies {
		if !pl.checks(creating) {
			continue
		}
		if vars == nil {
			vars = &expr.Vars{Record: celRecord(pl.types, image), Now: now}
			if existing != nil {
				vars.Previous = celRecord(pl.types, existing)
			}
			if c.p != nil {
				u := c.s.boundUser(c.p)
				vars.User = expr.User{ID: u.id, Email: u.email, Role: u.role, PermissionSets: u.sets}
			}
		}
		ok, err := false, c.readLookups(ctx, tx, vars.Record, image, pl.lookups)
		if err != nil && !errors.Is(err, errLookupMissing) {
			return err
		}
		if err == nil {
			ok, err = pl.write.Eval(ctx, vars)
		}
		if err != nil {
			c.s.log.WarnContext(ctx, "objectos: a row-level policy could not be evaluated; it does not allow the write",
				"object", c.o.Name, "policy", pl.decl.Name, "request_id", RequestID(ctx), "err", err)
		}
		if ok && err == nil {
			return nil
		}
		names = append(names, pl.decl.Name)
	}
	if names == nil {
		return nil
	}
	verb := "update"
	if creating {
		verb = "create"
	}
	if len(names) == 1 {
		return Errorf(CodePermissionDenied, "The row-level policy '%s' of '%s' does not allow this %s.", names[0], c.o.Name, verb).
			With("object", c.o.Name).With("policies", names)
	}
	return Errorf(CodePermissionDenied, "None of the row-level policies '%s' of '%s' allows this %s.",
		strings.Join(names, "', '"), c.o.Name, verb).With("object", c.o.Name).With("policies", names)
}

// errLookupMissing is the error of a policy check that reads through a
// reference to a record that does not exist.
var errLookupMissing = errors.New("objectos: a row-level policy reads through a reference to no record")

// readLookups adds to rec, the record a policy's check sees, the fields of
// the records image references through lookups (account.owner_id), unless
// they are there already: read as the system, as the SQL of a using
// reads them (a policy is the artifact's rule, not a read by the caller),
// and null when the reference is empty or names no record.
//
// A reference to a record that does not exist (yet: one a CreateMany
// creates after this one) is errLookupMissing: the check cannot be
// evaluated, and does not allow the write.
func (c *call) readLookups(ctx context.Context, tx Tx, rec map[string]any, image Record, lookups []*lookupTarget) error {
	for _, lt := range lookups {
		prefix := lt.field.Name + "."
		if _, done := rec[prefix+FieldID]; done {
			continue
		}
		var target Record
		if id, ok := image[lt.field.Name].(string); ok && id != "" {
			rows, err := tx.Find(ctx, lt.object, &Select{Where: &Filter{Op: OpEq, Field: FieldID, Value: id}, Limit: 1})
			if err != nil {
				return err
			}
			switch {
			case len(rows) > 0:
				target = rows[0]
			case lt.object.Name == c.o.Name && c.batch[id] != nil:
				target = c.batch[id] // created earlier in this CreateMany
			default:
				return fmt.Errorf("%w: %s names no %s record (yet)", errLookupMissing, lt.field.Name, lt.object.Name)
			}
		}
		for _, s := range lt.shapes {
			rec[prefix+s.name] = celValue(s, target[s.name])
		}
	}
	return nil
}
