package objectos

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/objectos-go/objectos/internal/expr"
	"github.com/objectos-go/objectos/internal/suggest"
)

// ruleSet is what an object's validation rules and conditional fields
// compile to at New. An object without any has none (a nil *ruleSet), so
// its writes do no rule work at all.
type ruleSet struct {
	rules    []*rule      // top level, in priority order
	required []fieldRule  // requiredWhen
	readonly []fieldRule  // readonlyWhen
	types    []fieldShape // every field, for the record expressions see
}

// rule is a compiled validation rule.
type rule struct {
	decl            *ValidationRule
	cond            *expr.Program // script and cross_field: condition; conditional: when
	re              *regexp.Regexp
	schema          *jsonschema.Schema
	then, otherwise *rule
	// reads are the fields the rule looks at; a rule reading a field with
	// an invalid value is not run (the value error says enough).
	reads []string
}

// fieldRule is a compiled requiredWhen or readonlyWhen.
type fieldRule struct {
	field *Field
	prg   *expr.Program
}

type fieldShape struct {
	name string
	kind Kind
	t    expr.Type
}

// The field a violation of a rule without a field names (upstream's).
const recordField = "_record"

// Field codes of validation rules (reference §2.6).
const (
	FieldRuleViolation       = "rule_violation"
	FieldJSONSchemaViolation = "json_schema_violation"
	FieldInvalidTransition   = "invalid_transition"
	FieldInvalidInitialState = "invalid_initial_state"
)

// exprType is the CEL type of a field's values: dates and datetimes are
// timestamps (a date at midnight UTC), times of day strings.
func exprType(k Kind) expr.Type {
	switch k {
	case KindNumber:
		return expr.Double
	case KindBool:
		return expr.Bool
	case KindDate, KindDatetime:
		return expr.Timestamp
	case KindMulti:
		return expr.StringList
	case KindJSON:
		return expr.Dyn
	}
	return expr.String
}

// ruleCompiler checks and compiles the rules of one object, reporting
// problems with their paths.
type ruleCompiler struct {
	p      *problems
	path   string
	o      *Object
	fields map[string]*Field
	names  []string
	shapes []fieldShape
	// lookups are what expressions read through each reference field
	// (policies only).
	lookups map[string]*lookupTarget
	env     *expr.Env
	envErr  bool
}

// lookupTarget is what an expression reads through a reference field
// (account.owner_id): the fields of its target but the formulas,
// passwords, secrets and internal fields.
type lookupTarget struct {
	field  *Field
	object *Object
	fields map[string]*Field // the target's, by name
	shapes []fieldShape      // those expressions read
}

// compileRules checks and compiles the validations and conditional fields
// of o; nil when it has none (or when they have problems, reported on p).
func compileRules(p *problems, path string, o *Object) *ruleSet {
	rc := newRuleCompiler(p, path, o)
	before := len(p.list)
	rs := &ruleSet{types: rc.shapes}
	for _, f := range o.Fields {
		if f == nil || f.Name == "" {
			continue
		}
		fp := path + ".fields." + f.Name
		if f.RequiredWhen != "" {
			if prg := rc.predicate(fp+".requiredWhen", f.RequiredWhen); prg != nil {
				rs.required = append(rs.required, fieldRule{field: f, prg: prg})
			}
		}
		if f.ReadonlyWhen != "" {
			if prg := rc.predicate(fp+".readonlyWhen", f.ReadonlyWhen); prg != nil {
				rs.readonly = append(rs.readonly, fieldRule{field: f, prg: prg})
			}
		}
		if f.VisibleWhen != "" {
			rc.predicate(fp+".visibleWhen", f.VisibleWhen)
		}
		for i, op := range f.Options {
			if op.VisibleWhen != "" {
				rc.predicate(fmt.Sprintf("%s.options[%d].visibleWhen", fp, i), op.VisibleWhen)
			}
		}
	}
	seen := map[string]bool{}
	for i, vr := range o.Validations {
		rp := fmt.Sprintf("%s.validations[%d]", path, i)
		if vr == nil {
			p.add(rp, "must be an object")
			continue
		}
		if validName(vr.Name) {
			rp = path + ".validations." + vr.Name
		}
		switch {
		case vr.Name == "":
			p.add(rp+".name", "is required")
		case !validName(vr.Name):
			p.add(rp+".name", "%q must match ^[a-z_][a-z0-9_]*$", vr.Name)
		case seen[vr.Name]:
			p.add(rp+".name", "duplicate validation rule %q", vr.Name)
		}
		seen[vr.Name] = true
		for j, e := range vr.Events {
			if e != EventInsert && e != EventUpdate {
				p.add(fmt.Sprintf("%s.events[%d]", rp, j), "%q is not one of insert, update", e)
			}
		}
		if vr.Priority != nil && *vr.Priority > 9999 {
			p.add(rp+".priority", "must be between 0 and 9999")
		}
		switch vr.Severity {
		case "", "error":
		case "warning", "info":
			p.add(rp+".severity", "%q is not supported yet (every rule is an error)", vr.Severity)
		default:
			p.add(rp+".severity", "%q is not one of error, warning, info", vr.Severity)
		}
		if r := rc.rule(rp, vr); r != nil {
			rs.rules = append(rs.rules, r)
		}
	}
	slices.SortStableFunc(rs.rules, func(a, b *rule) int { return cmp.Compare(a.decl.priority(), b.decl.priority()) })
	if len(p.list) > before || len(rs.rules)+len(rs.required)+len(rs.readonly) == 0 {
		return nil
	}
	return rs
}

// newRuleCompiler prepares the compilation of o's expressions: they see
// every field but the formulas.
func newRuleCompiler(p *problems, path string, o *Object) *ruleCompiler {
	rc := &ruleCompiler{p: p, path: path, o: o, fields: map[string]*Field{}}
	for _, f := range append(systemFields(o), o.Fields...) {
		if f == nil || !f.Type.Valid() || f.Type == TypeFormula || rc.fields[f.Name] != nil && !f.System {
			continue
		}
		if rc.fields[f.Name] == nil {
			rc.names = append(rc.names, f.Name)
		}
		rc.fields[f.Name] = f
	}
	for _, n := range rc.names {
		f := rc.fields[n]
		rc.shapes = append(rc.shapes, fieldShape{name: n, kind: f.Kind(), t: exprType(f.Kind())})
	}
	return rc
}

// withLookups lets the expressions read through the reference fields to
// the declared objects among objects (a system object's fields are not
// reachable).
func (rc *ruleCompiler) withLookups(objects map[string]*Object) *ruleCompiler {
	rc.lookups = map[string]*lookupTarget{}
	for _, n := range rc.names {
		f := rc.fields[n]
		t := objects[f.Target()]
		if f.Kind() != KindReference || f.Internal || t == nil || strings.HasPrefix(t.Name, "sys_") {
			continue
		}
		lt := &lookupTarget{field: f, object: t}
		trc := newRuleCompiler(rc.p, "", t)
		lt.fields = trc.fields
		for _, s := range trc.shapes {
			if trc.fields[s.name].Internal || s.kind == KindPassword || s.kind == KindSecret {
				continue
			}
			lt.shapes = append(lt.shapes, s)
		}
		rc.lookups[n] = lt
	}
	return rc
}

// environment returns the CEL environment of the object's fields, or nil
// after reporting why there is none.
func (rc *ruleCompiler) environment() *expr.Env {
	if rc.env == nil && !rc.envErr {
		fields := make([]expr.Field, len(rc.shapes))
		for i, s := range rc.shapes {
			fields[i] = expr.Field{Name: s.name, Type: s.t}
			if lt := rc.lookups[s.name]; lt != nil {
				for _, ts := range lt.shapes {
					fields[i].Lookup = append(fields[i].Lookup, expr.Field{Name: ts.name, Type: ts.t})
				}
			}
		}
		env, err := expr.NewEnv(fields)
		if err != nil {
			rc.envErr = true
			rc.p.add(rc.path, "the expressions of this object cannot be compiled: %v", err)
			return nil
		}
		rc.env = env
	}
	return rc.env
}

// predicate compiles a CEL predicate, or reports why it cannot.
func (rc *ruleCompiler) predicate(path string, src Expression) *expr.Program {
	if rc.environment() == nil {
		return nil
	}
	prg, err := rc.env.CompileBool(string(src))
	if err != nil {
		rc.p.add(path, "%v", err)
		return nil
	}
	return prg
}

// field resolves the field a rule names, reporting an unknown one.
func (rc *ruleCompiler) field(path, name string) *Field {
	if name == "" {
		rc.p.add(path, "is required")
		return nil
	}
	f := rc.fields[name]
	if f == nil {
		msg := fmt.Sprintf("unknown field %q", name)
		if s := suggest.Closest(name, rc.names); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		rc.p.add(path, "%s", msg)
	}
	return f
}

// keys lists what a rule of type t may set beside the common keys.
var ruleKeys = map[RuleType][]string{
	RuleScript:       {"condition", "fields"},
	RuleCrossField:   {"condition", "fields"},
	RuleFormat:       {"field", "regex", "format"},
	RuleStateMachine: {"field", "transitions", "initialStates"},
	RuleJSONSchema:   {"field", "schema"},
	RuleConditional:  {"when", "then", "otherwise"},
}

// rule checks and compiles one rule (top level or nested).
func (rc *ruleCompiler) rule(rp string, vr *ValidationRule) *rule {
	p := rc.p
	if strings.TrimSpace(vr.Message) == "" {
		p.add(rp+".message", "is required")
	}
	allowed, known := ruleKeys[vr.Type]
	switch {
	case vr.Type == "":
		p.add(rp+".type", "is required (script, cross_field, format, state_machine, json_schema, conditional)")
		return nil
	case !known:
		msg := fmt.Sprintf("%q is not one of script, cross_field, format, state_machine, json_schema, conditional", vr.Type)
		if vr.Type == "unique" || vr.Type == "uniqueness" {
			msg = fmt.Sprintf("%q is not a rule type; declare a unique index or a unique field", vr.Type)
		}
		p.add(rp+".type", "%s", msg)
		return nil
	}
	set := map[string]bool{
		"condition": vr.Condition != "", "fields": vr.Fields != nil, "field": vr.Field != "",
		"regex": vr.Regex != "", "format": vr.Format != "", "transitions": vr.Transitions != nil,
		"initialStates": vr.InitialStates != nil, "schema": vr.Schema != nil, "when": vr.When != "",
		"then": vr.Then != nil, "otherwise": vr.Otherwise != nil,
	}
	for _, k := range []string{"condition", "fields", "field", "regex", "format", "transitions", "initialStates", "schema", "when", "then", "otherwise"} {
		if set[k] && !slices.Contains(allowed, k) {
			p.add(rp+"."+k, "does not apply to %s rules", vr.Type)
		}
	}
	r := &rule{decl: vr}
	switch vr.Type {
	case RuleScript, RuleCrossField:
		if vr.Type == RuleCrossField && len(vr.Fields) == 0 {
			p.add(rp+".fields", "a cross_field rule lists the fields it is about")
		}
		for i, fn := range vr.Fields {
			rc.field(fmt.Sprintf("%s.fields[%d]", rp, i), fn)
		}
		if vr.Condition == "" {
			p.add(rp+".condition", "is required: a CEL predicate, true when the record is invalid")
			return nil
		}
		if r.cond = rc.predicate(rp+".condition", vr.Condition); r.cond == nil {
			return nil
		}
		r.reads = r.cond.Reads
	case RuleFormat:
		f := rc.field(rp+".field", vr.Field)
		if f != nil && !(f.Kind() == KindText || f.Kind() == KindChoice || f.Kind() == KindAutonumber) {
			p.add(rp+".field", "a format rule checks a text field; %s is a %s field", f.Name, f.Type)
		}
		switch vr.Format {
		case "", "email", "url", "phone", "json":
		default:
			p.add(rp+".format", "%q is not one of email, url, phone, json", vr.Format)
		}
		if vr.Regex == "" && vr.Format == "" {
			p.add(rp, "a format rule needs a regex, a format, or both")
		}
		if vr.Regex != "" {
			re, err := regexp.Compile(vr.Regex)
			if err != nil {
				p.add(rp+".regex", "%s (Go regular expression syntax, RE2)", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			}
			r.re = re
		}
		r.reads = []string{vr.Field}
	case RuleStateMachine:
		f := rc.field(rp+".field", vr.Field)
		if f != nil && f.Kind() != KindChoice {
			p.add(rp+".field", "a state_machine rule governs a select or radio field; %s is a %s field", f.Name, f.Type)
			f = nil
		}
		if len(vr.Transitions) == 0 && len(vr.InitialStates) == 0 {
			p.add(rp+".transitions", "is required: the values each value may change to")
		}
		if f != nil {
			option := func(path, v string) {
				if !f.HasOption(v) {
					values := make([]string, len(f.Options))
					for i, o := range f.Options {
						values[i] = o.Value
					}
					msg := fmt.Sprintf("%q is not an option of %s", v, f.Name)
					if s := suggest.Closest(v, values); s != "" {
						msg += fmt.Sprintf("; did you mean %q?", s)
					}
					p.add(path, "%s", msg)
				}
			}
			for _, from := range slices.Sorted(maps.Keys(vr.Transitions)) {
				option(rp+".transitions."+from, from)
				for i, to := range vr.Transitions[from] {
					option(fmt.Sprintf("%s.transitions.%s[%d]", rp, from, i), to)
				}
			}
			for i, v := range vr.InitialStates {
				option(fmt.Sprintf("%s.initialStates[%d]", rp, i), v)
			}
		}
		r.reads = []string{vr.Field}
	case RuleJSONSchema:
		f := rc.field(rp+".field", vr.Field)
		if f != nil && f.Kind() != KindJSON {
			p.add(rp+".field", "a json_schema rule checks a json field; %s is a %s field", f.Name, f.Type)
		}
		if vr.Schema == nil {
			p.add(rp+".schema", "is required: a JSON Schema")
		} else {
			sch, err := compileSchema(vr.Schema)
			if err != nil {
				p.add(rp+".schema", "%s", err)
			}
			r.schema = sch
		}
		r.reads = []string{vr.Field}
	case RuleConditional:
		if vr.When == "" {
			p.add(rp+".when", "is required: a CEL predicate choosing then or otherwise")
		} else if r.cond = rc.predicate(rp+".when", vr.When); r.cond != nil {
			r.reads = append(r.reads, r.cond.Reads...)
		}
		if vr.Then == nil {
			p.add(rp+".then", "is required: the rule that applies while when holds")
		}
		for _, branch := range []struct {
			name string
			decl *ValidationRule
			dst  **rule
		}{{"then", vr.Then, &r.then}, {"otherwise", vr.Otherwise, &r.otherwise}} {
			if branch.decl == nil {
				continue
			}
			bp := rp + "." + branch.name
			nested := branch.decl
			if nested.Events != nil || nested.Priority != nil || nested.Severity != "" {
				p.add(bp, "events, priority and severity belong to the outer rule")
			}
			if *branch.dst = rc.rule(bp, nested); *branch.dst != nil {
				r.reads = append(r.reads, (*branch.dst).reads...)
			}
		}
	}
	return r
}

// compileSchema compiles a json_schema rule's schema. Only the schema
// itself is read: a $ref to another document fails, and nothing is
// fetched.
func compileSchema(doc any) (*jsonschema.Schema, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, errors.New("is not a JSON value")
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, errors.New("is not a JSON value")
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	const url = "urn:objectos:rule-schema"
	if err := c.AddResource(url, v); err != nil {
		return nil, fmt.Errorf("is not a JSON Schema: %v", err)
	}
	sch, err := c.Compile(url)
	var le *jsonschema.LoadURLError
	var ve *jsonschema.SchemaValidationError
	switch {
	case err == nil:
		return sch, nil
	case errors.As(err, &le):
		return nil, fmt.Errorf("refers to %s; references to other documents are not supported", le.URL)
	case errors.As(err, &ve):
		// the leaves of the metaschema's answer, on one line
		var leaves []string
		for _, l := range strings.Split(ve.Err.Error(), "\n") {
			l = strings.TrimLeft(l, " -")
			if strings.HasPrefix(l, "at ") && !strings.HasSuffix(l, " failed") {
				leaves = append(leaves, l)
			}
		}
		return nil, fmt.Errorf("is not a valid JSON Schema: %s", strings.Join(leaves, "; "))
	}
	return nil, fmt.Errorf("is not a valid JSON Schema: %s", strings.ReplaceAll(err.Error(), url, "schema"))
}

// noLoader refuses every document a schema refers to.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) { return nil, errors.New("not loaded") }

// ruleCheck is one write's evaluation of an object's rules.
type ruleCheck struct {
	c        *call
	event    RuleEvent
	values   Record // what the write gives (normalized, with the defaults of a create)
	existing Record // the stored record of an update; nil on a create
	vars     *expr.Vars
	bad      map[string]bool // fields with an invalid value
	errs     []FieldError
}

// checkRules evaluates the rules of the call's object on a write and
// returns errs with their violations appended. values are the normalized
// values of the write, existing the stored record of an update (nil on a
// create), errs the field errors found so far: a rule that reads a field
// whose value is invalid is not run.
func (c *call) checkRules(ctx context.Context, values, existing Record, now time.Time, errs []FieldError) []FieldError {
	rs := c.o.rules
	rc := ruleCheck{c: c, event: EventInsert, values: values, existing: existing, errs: errs}
	if existing != nil {
		rc.event = EventUpdate
	}
	for _, fe := range errs {
		if rc.bad == nil {
			rc.bad = map[string]bool{}
		}
		rc.bad[fe.Field] = true
	}
	rc.vars = c.ruleVars(rs, values, existing, now)
	for _, fr := range rs.required {
		if rc.bad[fr.field.Name] || !isMissing(rc.vars.Record[fr.field.Name]) || !rc.skipBad(fr.prg.Reads) {
			continue
		}
		holds, err := fr.prg.Eval(ctx, rc.vars)
		switch {
		case err != nil:
			rc.unevaluable(ctx, fr.field.Name, "requiredWhen", fmt.Sprintf("%s: its requiredWhen could not be evaluated", fr.field.Name), err)
		case holds:
			rc.errs = append(rc.errs, FieldError{Field: fr.field.Name, Code: FieldRequired,
				Message: fmt.Sprintf("%s is required", fr.field.Name), Constraint: map[string]any{"rule": "requiredWhen"}})
		}
	}
	if existing != nil {
		for _, fr := range rs.readonly {
			v, given := values[fr.field.Name]
			if !given || rc.bad[fr.field.Name] || sameValue(v, existing[fr.field.Name]) || !rc.skipBad(fr.prg.Reads) {
				continue
			}
			holds, err := fr.prg.Eval(ctx, rc.vars)
			switch {
			case err != nil:
				rc.unevaluable(ctx, fr.field.Name, "readonlyWhen", fmt.Sprintf("%s: its readonlyWhen could not be evaluated", fr.field.Name), err)
			case holds:
				rc.errs = append(rc.errs, FieldError{Field: fr.field.Name, Code: FieldRuleViolation,
					Message:    fmt.Sprintf("%s is read-only for this record and cannot be changed", fr.field.Name),
					Constraint: map[string]any{"rule": "readonlyWhen"}})
			}
		}
	}
	for _, r := range rs.rules {
		if !r.decl.IsActive() || !r.decl.appliesTo(rc.event) || !rc.skipBad(r.reads) {
			continue
		}
		if fe := rc.eval(ctx, r, r.decl.Name); fe != nil {
			rc.errs = append(rc.errs, *fe)
		}
	}
	return rc.errs
}

// skipBad reports whether none of the fields is invalid.
func (rc *ruleCheck) skipBad(reads []string) bool {
	for _, f := range reads {
		if rc.bad[f] {
			return false
		}
	}
	return true
}

// unevaluable fails a rule closed: a condition that could not be
// evaluated is a violation. The cause is logged, never answered.
func (rc *ruleCheck) unevaluable(ctx context.Context, field, name, message string, err error) {
	rc.c.s.log.WarnContext(ctx, "objectos: a validation rule could not be evaluated; the write is refused",
		"object", rc.c.o.Name, "rule", name, "field", field, "request_id", RequestID(ctx), "err", err)
	rc.errs = append(rc.errs, FieldError{Field: field, Code: FieldRuleViolation, Message: message,
		Constraint: map[string]any{"rule": name, "reason": "unevaluable"}})
}

// eval evaluates one rule and returns its violation, or nil. name is the
// top-level rule's, for the constraint.
func (rc *ruleCheck) eval(ctx context.Context, r *rule, name string) *FieldError {
	d := r.decl
	violation := func(field, code string) *FieldError {
		return &FieldError{Field: field, Code: code, Message: d.Message, Constraint: map[string]any{"rule": name}}
	}
	switch d.Type {
	case RuleScript, RuleCrossField:
		field := recordField
		if len(d.Fields) > 0 {
			field = d.Fields[0]
		}
		invalid, err := r.cond.Eval(ctx, rc.vars)
		if err != nil {
			rc.unevaluable(ctx, field, name, d.Message, err)
			return nil
		}
		if invalid {
			return violation(field, FieldRuleViolation)
		}
	case RuleConditional:
		holds, err := r.cond.Eval(ctx, rc.vars)
		if err != nil {
			rc.unevaluable(ctx, recordField, name, d.Message, err)
			return nil
		}
		branch := r.otherwise
		if holds {
			branch = r.then
		}
		if branch != nil && branch.decl.IsActive() {
			return rc.eval(ctx, branch, name)
		}
	case RuleFormat:
		s, ok := rc.values[d.Field].(string)
		if !ok || s == "" {
			return nil // not written, or empty: required's business
		}
		if (r.re != nil && !r.re.MatchString(s)) || !namedFormat(d.Format, s) {
			return violation(d.Field, FieldInvalidFormat)
		}
	case RuleJSONSchema:
		raw, ok := rc.values[d.Field].(json.RawMessage)
		if !ok {
			return nil
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err == nil {
			err = r.schema.Validate(v)
		}
		if err != nil {
			return violation(d.Field, FieldJSONSchemaViolation)
		}
	case RuleStateMachine:
		to, ok := rc.values[d.Field].(string)
		if !ok {
			return nil // not written, or cleared
		}
		if rc.existing == nil {
			if len(d.InitialStates) > 0 && !slices.Contains(d.InitialStates, to) {
				fe := violation(d.Field, FieldInvalidInitialState)
				fe.Constraint = map[string]any{"rule": name, "allowed": d.InitialStates}
				return fe
			}
			return nil
		}
		from, _ := rc.existing[d.Field].(string)
		allowed, governed := d.Transitions[from]
		if from == "" || from == to || !governed || slices.Contains(allowed, to) {
			return nil
		}
		fe := violation(d.Field, FieldInvalidTransition)
		if allowed == nil {
			allowed = []string{}
		}
		fe.Constraint = map[string]any{"rule": name, "from": from, "allowed": allowed}
		return fe
	}
	return nil
}

func namedFormat(format, s string) bool {
	switch format {
	case "email":
		return validEmail(s)
	case "url":
		return validURL(s)
	case "phone":
		return phoneRE.MatchString(s)
	case "json":
		return json.Valid([]byte(s))
	}
	return true
}

// ruleVars builds what the expressions of a write see: the record it would
// store (the stored record with the update applied, or the new record with
// its defaults and system stamps; the id of a create only when given),
// previous, the caller and the time.
func (c *call) ruleVars(rs *ruleSet, values, existing Record, now time.Time) *expr.Vars {
	image := make(Record, len(values)+6)
	for k, v := range existing {
		image[k] = v
	}
	for k, v := range values {
		image[k] = v
	}
	if existing == nil {
		c.stampAudit(image, now)
	} else {
		c.stampUpdate(image, existing, now)
	}
	vars := &expr.Vars{Record: celRecord(rs.types, image), Now: now}
	if existing != nil {
		vars.Previous = celRecord(rs.types, existing)
	}
	if c.p != nil {
		vars.User = expr.User{ID: c.p.UserID, Email: c.p.Email, Role: c.p.Role,
			PermissionSets: slices.Sorted(mapKeys(c.s.permissionSetsOf(c.p)))}
	}
	return vars
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// celRecord converts a record's canonical values to CEL values, with every
// field present. A secret is the mask when set (expressions may test that
// it is, never what it is), like on every read.
func celRecord(types []fieldShape, r Record) map[string]any {
	out := make(map[string]any, len(types))
	for _, s := range types {
		out[s.name] = celValue(s, r[s.name])
	}
	return out
}

// celValue converts a field's canonical value to the value an expression
// sees.
func celValue(s fieldShape, v any) any {
	if s.kind == KindSecret && v != nil {
		v = MaskedValue // rules never see a secret's plaintext
	}
	if raw, ok := v.(json.RawMessage); ok {
		var x any
		if json.Unmarshal(raw, &x) == nil {
			v = x
		}
	}
	return expr.Value(s.t, v)
}

// isMissing reports whether a value an expression sees is empty for
// requiredWhen: null, blank text or an empty list.
func isMissing(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.TrimFunc(x, unicode.IsSpace) == ""
	case []string:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return expr.IsNull(v)
}

// sameValue reports whether two canonical values are equal.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case []string:
		y, ok := b.([]string)
		return ok && slices.Equal(x, y)
	case json.RawMessage:
		y, ok := b.(json.RawMessage)
		return ok && bytes.Equal(x, y)
	}
	return a == b
}
