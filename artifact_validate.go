package objectos

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/objectos-go/objectos/internal/suggest"
)

var nameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func validName(s string) bool { return len(s) <= 63 && nameRE.MatchString(s) }

// maxNameLen keeps generated identifiers (indexes, constraints) within the
// 63-byte limit of PostgreSQL.
const maxNameLen = 48

// Validate checks the artifact as [New] does, reporting every problem in an
// *ArtifactError. References to system objects (sys_*) are accepted here;
// New checks them against the objects its plugins contribute.
func (a *Artifact) Validate() error { return validateArtifact(a, nil, true) }

// validateArtifact checks a against itself and the system objects. With
// standalone set, references to unknown sys_* objects are accepted.
func validateArtifact(a *Artifact, system []*Object, standalone bool) error {
	_, err := checkArtifact(a, system, standalone)
	return err
}

// compiledArtifact is what New compiles from an artifact's expressions:
// the rules and the formulas of the objects that have any.
type compiledArtifact struct {
	rules    map[*Object]*ruleSet
	formulas map[*Object][]*formula
	policies map[*Object][]*policy
}

// checkArtifact is validateArtifact that also returns the compiled
// expressions.
func checkArtifact(a *Artifact, system []*Object, standalone bool) (*compiledArtifact, error) {
	p := &problems{}
	objects := map[string]*Object{}
	for _, o := range system {
		objects[o.Name] = o
	}
	var objectNames []string
	for i, o := range a.Objects {
		path := fmt.Sprintf("objects[%d]", i)
		if o == nil {
			p.add(path, "must be an object")
			continue
		}
		if o.Name != "" {
			path = "objects." + o.Name
		}
		switch {
		case o.Name == "":
			p.add(path+".name", "is required")
		case !validName(o.Name) || len(o.Name) > maxNameLen:
			p.add(path+".name", "%q must match ^[a-z_][a-z0-9_]*$ and be at most %d characters", o.Name, maxNameLen)
		case strings.HasPrefix(o.Name, "sys_") && !o.System:
			p.add(path+".name", "%q: names starting with sys_ are reserved for system objects", o.Name)
		case strings.HasPrefix(o.Name, "objectos_"):
			p.add(path+".name", "%q: names starting with objectos_ are reserved", o.Name)
		case objects[o.Name] != nil:
			p.add(path+".name", "duplicate object %q", o.Name)
		default:
			objects[o.Name] = o
			objectNames = append(objectNames, o.Name)
		}
	}
	for _, o := range system {
		objectNames = append(objectNames, o.Name)
	}
	v := &validator{p: p, objects: objects, objectNames: objectNames, standalone: standalone,
		out: &compiledArtifact{rules: map[*Object]*ruleSet{}, formulas: map[*Object][]*formula{}, policies: map[*Object][]*policy{}}}
	for i, o := range a.Objects {
		if o == nil {
			continue
		}
		path := fmt.Sprintf("objects[%d]", i)
		if o.Name != "" {
			path = "objects." + o.Name
		}
		v.object(path, o)
	}
	v.permissionSets(a.PermissionSets)
	v.views(a.Views)
	v.policies(a.Policies)
	if err := p.err(); err != nil {
		return nil, err
	}
	return v.out, nil
}

type validator struct {
	p           *problems
	objects     map[string]*Object
	objectNames []string
	standalone  bool
	out         *compiledArtifact
}

func (v *validator) refObject(path, name string) *Object {
	if o := v.objects[name]; o != nil {
		return o
	}
	if v.standalone && strings.HasPrefix(name, "sys_") {
		return nil
	}
	msg := fmt.Sprintf("references undeclared object %q", name)
	if s := suggest.Closest(name, v.objectNames); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	v.p.add(path, "%s", msg)
	return nil
}

func (v *validator) object(path string, o *Object) {
	p := v.p
	switch o.SharingModel {
	case "", SharingPrivate, SharingPublicRead, SharingPublicReadWrite:
	case "controlled_by_parent":
		p.add(path+".sharingModel", "controlled_by_parent is not supported yet")
	default:
		p.add(path+".sharingModel", "%q is not one of private, public_read, public_read_write", o.SharingModel)
	}
	switch o.Ownership {
	case "", OwnershipUser, OwnershipNone:
	case "business_unit", "org":
		p.add(path+".ownership", "%q is not supported yet", o.Ownership)
	default:
		p.add(path+".ownership", "%q is not one of user, none", o.Ownership)
	}
	for i, m := range o.Enable.APIMethods {
		if !slices.Contains(AllAPIMethods, m) {
			p.add(fmt.Sprintf("%s.enable.apiMethods[%d]", path, i), "%q is not one of get, list, create, update, delete, bulk", m)
		}
	}
	names := map[string]bool{}
	var fieldNames []string
	for _, f := range systemFields(o) {
		names[f.Name] = true
		fieldNames = append(fieldNames, f.Name)
	}
	for i, f := range o.Fields {
		fp := fmt.Sprintf("%s.fields[%d]", path, i)
		if f == nil {
			p.add(fp, "must be an object")
			continue
		}
		if f.Name != "" {
			fp = path + ".fields." + f.Name
		}
		switch {
		case f.Name == "":
			p.add(fp+".name", "is required")
		case !validName(f.Name):
			p.add(fp, "field name %q must match ^[a-z_][a-z0-9_]*$", f.Name)
		case isSystemFieldName(f.Name) && !o.System:
			p.add(fp, "%q is a system field, injected on every object; it cannot be declared", f.Name)
		case names[f.Name]:
			p.add(fp, "duplicate field %q", f.Name)
		default:
			names[f.Name] = true
			fieldNames = append(fieldNames, f.Name)
		}
		v.field(fp, o, f)
	}
	renamed := map[string]string{}
	for _, f := range o.Fields {
		if f == nil || f.RenamedFrom == "" || f.Name == "" {
			continue
		}
		fp := path + ".fields." + f.Name + ".renamedFrom"
		switch old := f.RenamedFrom; {
		case old == f.Name:
			p.add(fp, "is the field's own name")
		case !validName(old):
			p.add(fp, "%q must match ^[a-z_][a-z0-9_]*$", old)
		case names[old]:
			p.add(fp, "%q is still declared; a field cannot be renamed from a field the object declares", old)
		case renamed[old] != "":
			p.add(fp, "%q is already the former name of field %q", old, renamed[old])
		default:
			renamed[old] = f.Name
		}
	}
	fieldPath := func(name string) bool { return names[name] }
	if o.NameField != "" && !fieldPath(o.NameField) {
		v.unknownField(path+".nameField", o.NameField, fieldNames)
	}
	idxNames := map[string]bool{}
	for i, ix := range o.Indexes {
		ip := fmt.Sprintf("%s.indexes[%d]", path, i)
		if len(ix.Fields) == 0 {
			p.add(ip+".fields", "must list at least one field")
		}
		seen := map[string]bool{}
		for j, fn := range ix.Fields {
			fp := fmt.Sprintf("%s.fields[%d]", ip, j)
			switch {
			case seen[fn]:
				p.add(fp, "duplicate field %q", fn)
			case !fieldPath(fn):
				v.unknownField(fp, fn, fieldNames)
			}
			seen[fn] = true
			if f := o.Field(fn); f != nil && f.Type == TypeFormula {
				p.add(fp, "%s is a formula: it has no column to index", fn)
			} else if f != nil && ix.Unique && (f.Kind() == KindMulti || f.Kind() == KindJSON) {
				p.add(fp, "a %s field cannot be part of a unique index", f.Type)
			}
			if f := o.Field(fn); f != nil && f.Kind() == KindSecret {
				p.add(fp, "a secret field cannot be indexed: its values are encrypted")
			}
		}
		if ix.Name != "" {
			if !validName(ix.Name) || len(ix.Name) > 63 {
				p.add(ip+".name", "%q must match ^[a-z_][a-z0-9_]*$", ix.Name)
			} else if idxNames[ix.Name] {
				p.add(ip+".name", "duplicate index name %q", ix.Name)
			}
			idxNames[ix.Name] = true
		}
	}
	actions := map[string]bool{}
	for i, a := range o.Actions {
		ap := fmt.Sprintf("%s.actions[%d]", path, i)
		if a == nil {
			p.add(ap, "must be an object")
			continue
		}
		if a.Name != "" {
			ap = path + ".actions." + a.Name
		}
		v.name(ap, "action", a.Name, actions)
		v.action(ap, a)
	}
	if rs := compileRules(p, path, o); rs != nil {
		v.out.rules[o] = rs
	}
	if fs := compileFormulas(p, path, o); fs != nil {
		v.out.formulas[o] = fs
	}
}

// name checks the name of a named item (action, parameter, permission set,
// view): required, a valid identifier, unique among its kind.
func (v *validator) name(path, kind, name string, seen map[string]bool) {
	switch {
	case name == "":
		v.p.add(path+".name", "is required")
	case !validName(name):
		v.p.add(path+".name", "%q must match ^[a-z_][a-z0-9_]*$", name)
	case seen[name]:
		v.p.add(path+".name", "duplicate %s %q", kind, name)
	}
	seen[name] = true
}

func (v *validator) unknownField(path, name string, candidates []string) {
	msg := fmt.Sprintf("unknown field %q", name)
	if s := suggest.Closest(name, candidates); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	v.p.add(path, "%s", msg)
}

func typeProblem(t FieldType) string {
	if t == "" {
		return "is required"
	}
	if slices.Contains(unsupportedTypes, string(t)) {
		return fmt.Sprintf("%q is not supported yet", t)
	}
	names := make([]string, 0, len(typeKinds))
	for k := range typeKinds {
		names = append(names, string(k))
	}
	msg := fmt.Sprintf("unknown field type %q", t)
	if s, ok := typeSynonyms[strings.ToLower(string(t))]; ok {
		msg += fmt.Sprintf("; did you mean %q?", s)
	} else if s := suggest.Closest(string(t), names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return msg
}

// typeSynonyms are the names other schemas (SQL, JSON Schema, Go,
// PocketBase) give the field types, for the did-you-mean of an unknown one.
var typeSynonyms = map[string]FieldType{
	"bool": TypeBoolean, "int": TypeNumber, "integer": TypeNumber, "float": TypeNumber, "double": TypeNumber,
	"decimal": TypeNumber, "numeric": TypeNumber, "int64": TypeNumber, "float64": TypeNumber,
	"string": TypeText, "str": TypeText, "varchar": TypeText, "char": TypeText,
	"timestamp": TypeDatetime, "timestamptz": TypeDatetime, "date_time": TypeDatetime, "time.time": TypeDatetime,
	"enum": TypeSelect, "array": TypeTags, "list": TypeTags, "object": TypeJSON, "map": TypeJSON, "jsonb": TypeJSON,
	"money": TypeCurrency, "reference": TypeLookup, "relation": TypeLookup, "foreign_key": TypeLookup, "fk": TypeLookup,
	"editor": TypeRichtext, "longtext": TypeTextarea, "uuid": TypeText,
}

func (v *validator) field(fp string, o *Object, f *Field) {
	p := v.p
	if !f.Type.Valid() {
		p.add(fp+".type", "%s", typeProblem(f.Type))
		return
	}
	if f.Type == TypeFormula {
		return // compileFormulas checks it
	}
	k := f.Kind()
	textual := k == KindText || k == KindPassword || k == KindSecret
	if (f.MaxLength != 0 || f.MinLength != 0) && !textual {
		p.add(fp, "minLength and maxLength apply to text fields only")
	}
	if f.MaxLength != 0 && f.MinLength > f.MaxLength {
		p.add(fp+".minLength", "is greater than maxLength")
	}
	if (f.Precision != 0 || f.Scale != nil || f.Min != nil || f.Max != nil) && k != KindNumber {
		p.add(fp, "precision, scale, min and max apply to numeric fields only")
	}
	if f.Scale != nil && (*f.Scale < 0 || *f.Scale > 18) {
		p.add(fp+".scale", "must be between 0 and 18")
	}
	if f.Precision < 0 || f.Precision > 38 {
		p.add(fp+".precision", "must be between 1 and 38")
	}
	if f.Precision != 0 && f.Scale != nil && *f.Scale > f.Precision {
		p.add(fp+".scale", "is greater than precision")
	}
	if f.Min != nil && f.Max != nil && *f.Min > *f.Max {
		p.add(fp+".min", "is greater than max")
	}
	needsOptions := k == KindChoice || f.Type == TypeMultiselect || f.Type == TypeCheckboxes
	if len(f.Options) > 0 && !needsOptions && f.Type != TypeTags {
		p.add(fp+".options", "options apply to select, radio, multiselect, checkboxes and tags fields only")
	}
	if needsOptions && len(f.Options) == 0 {
		p.add(fp+".options", "a %s field needs at least one option", f.Type)
	}
	v.options(fp+".options", f.Options, k == KindChoice)
	if k == KindReference {
		switch {
		case f.Type == TypeUser:
			if f.Reference != "" && f.Reference != UserObject {
				p.add(fp+".reference", "a user field always references %s", UserObject)
			}
		case f.Reference == "":
			p.add(fp+".reference", "is required for a %s field", f.Type)
		default:
			v.refObject(fp+".reference", f.Reference)
		}
		switch f.DeleteBehavior {
		case "", DeleteSetNull, DeleteCascade, DeleteRestrict:
		default:
			p.add(fp+".deleteBehavior", "%q is not one of set_null, cascade, restrict", f.DeleteBehavior)
		}
	} else {
		if f.Reference != "" {
			p.add(fp+".reference", "applies to lookup and master_detail fields only")
		}
		if f.DeleteBehavior != "" {
			p.add(fp+".deleteBehavior", "applies to lookup, master_detail and user fields only")
		}
	}
	if f.AutonumberFormat != "" {
		if k != KindAutonumber {
			p.add(fp+".autonumberFormat", "applies to autonumber fields only")
		} else if !counterRE.MatchString(f.AutonumberFormat) {
			p.add(fp+".autonumberFormat", "needs a counter token such as {0000}")
		}
	}
	if f.Unique && (k == KindMulti || k == KindJSON || k == KindPassword || k == KindSecret) {
		p.add(fp+".unique", "a %s field cannot be unique", f.Type)
	}
	if k == KindSecret {
		if f.Sortable != nil && *f.Sortable {
			p.add(fp+".sortable", "a secret field cannot be sortable: its values are encrypted")
		}
		if f.DefaultValue != nil {
			p.add(fp+".defaultValue", "a secret field takes no default: a default would sit in the artifact in plain text")
		}
	}
	if f.Searchable && !(k == KindText || k == KindChoice || k == KindAutonumber) {
		p.add(fp+".searchable", "only text, select and autonumber fields can be searchable")
	}
	if f.DefaultValue != nil {
		switch {
		case k == KindSecret: // reported above
		case k == KindAutonumber:
			p.add(fp+".defaultValue", "an autonumber field is issued by the server and takes no default")
		default:
			if _, fe := normalizeDefault(f, "", nowUTC()); fe != nil {
				p.add(fp+".defaultValue", "%s", fe.Message)
			}
		}
	}
	defaults := 0
	for _, op := range f.Options {
		if op.Default {
			defaults++
		}
	}
	if defaults > 1 && k == KindChoice {
		p.add(fp+".options", "only one option can be the default")
	}
	if f.Required && f.Internal {
		p.add(fp, "an internal field cannot be required (callers cannot write it)")
	}
}

var counterRE = regexp.MustCompile(`\{0+\}`)

func (v *validator) options(path string, opts []Option, _ bool) {
	seen := map[string]bool{}
	for i, op := range opts {
		op := op
		ip := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case op.Value == "":
			v.p.add(ip+".value", "is required")
		case strings.ContainsRune(op.Value, 0):
			v.p.add(ip+".value", "must not contain NUL")
		case seen[op.Value]:
			v.p.add(ip+".value", "duplicate option %q", op.Value)
		}
		seen[op.Value] = true
	}
}

func (v *validator) action(ap string, a *Action) {
	p := v.p
	switch a.Type {
	case "", ActionScript:
		if a.Target != "" || a.Method != "" || a.BodyExtra != nil {
			p.add(ap, "method, target and bodyExtra apply to api actions only")
		}
	case ActionAPI:
		switch strings.ToUpper(a.Method) {
		case "", "POST", "PATCH", "DELETE":
		default:
			p.add(ap+".method", "%q is not one of POST, PATCH, DELETE", a.Method)
		}
		if a.Target == "" {
			p.add(ap+".target", "is required for an api action")
		}
	case "url", "modal", "flow", "form":
		p.add(ap+".type", "%q actions are not supported yet", a.Type)
	default:
		p.add(ap+".type", "%q is not one of script, api", a.Type)
	}
	seen := map[string]bool{}
	for i, prm := range a.Params {
		pp := fmt.Sprintf("%s.params[%d]", ap, i)
		if prm == nil {
			p.add(pp, "must be an object")
			continue
		}
		if prm.Name != "" {
			pp = ap + ".params." + prm.Name
		}
		v.name(pp, "parameter", prm.Name, seen)
		if !prm.Type.Valid() || prm.Type == TypeFormula {
			p.add(pp+".type", "%s", typeProblem(prm.Type))
			continue
		}
		switch prm.Type.Kind() {
		case KindAutonumber:
			p.add(pp+".type", "an action parameter cannot be an autonumber")
		case KindChoice:
			if len(prm.Options) == 0 {
				p.add(pp+".options", "a %s parameter needs at least one option", prm.Type)
			}
		case KindReference:
			if prm.Type != TypeUser {
				if prm.Reference == "" {
					p.add(pp+".reference", "is required for a %s parameter", prm.Type)
				} else {
					v.refObject(pp+".reference", prm.Reference)
				}
			}
		}
		v.options(pp+".options", prm.Options, true)
		if prm.DefaultValue != nil {
			if _, fe := normalizeDefault(prm.asField(), "", nowUTC()); fe != nil {
				p.add(pp+".defaultValue", "%s", fe.Message)
			}
		}
	}
	for i, rp := range a.RequiredPermissions {
		if strings.TrimSpace(rp) == "" {
			p.add(fmt.Sprintf("%s.requiredPermissions[%d]", ap, i), "must not be empty")
		}
	}
}

// asField views a parameter as a field, so that parameters are checked with
// the same rules as record values.
func (prm *ActionParam) asField() *Field {
	return &Field{Name: prm.Name, Label: prm.Label, Type: prm.Type, Required: prm.Required,
		Options: prm.Options, Reference: prm.Reference, DefaultValue: prm.DefaultValue}
}

func (v *validator) permissionSets(sets []*PermissionSet) {
	p := v.p
	seen := map[string]bool{}
	for i, ps := range sets {
		path := fmt.Sprintf("permissionSets[%d]", i)
		if ps == nil {
			p.add(path, "must be an object")
			continue
		}
		if ps.Name != "" {
			path = "permissionSets." + ps.Name
		}
		v.name(path, "permission set", ps.Name, seen)
		for _, name := range slices.Sorted(maps.Keys(ps.Objects)) {
			v.refObject(path+".objects."+name, name)
		}
		for _, key := range slices.Sorted(maps.Keys(ps.Fields)) {
			obj, field, ok := strings.Cut(key, ".")
			if !ok {
				p.add(path+".fields."+key, "keys are written object.field")
				continue
			}
			o := v.refObject(path+".fields."+key, obj)
			if o == nil {
				continue
			}
			if o.Field(field) == nil && !isSystemFieldName(field) {
				var names []string
				for _, f := range o.Fields {
					names = append(names, f.Name)
				}
				v.unknownField(path+".fields."+key, field, names)
			}
		}
	}
}

func (v *validator) views(views []*View) {
	p := v.p
	seen := map[string]bool{}
	for i, vw := range views {
		path := fmt.Sprintf("views[%d]", i)
		if vw == nil {
			p.add(path, "must be an object")
			continue
		}
		if vw.Name != "" {
			path = "views." + vw.Name
		}
		v.name(path, "view", vw.Name, seen)
		switch vw.Type {
		case "", "list", "form":
		default:
			p.add(path+".type", "%q is not one of list, form", vw.Type)
		}
		if vw.Object == "" {
			p.add(path+".object", "is required")
			continue
		}
		o := v.refObject(path+".object", vw.Object)
		if o == nil {
			continue
		}
		ro := resolveObject(o)
		var names []string
		for _, f := range ro.Fields {
			names = append(names, f.Name)
		}
		for j, c := range vw.Columns {
			if ro.Field(c) == nil {
				v.unknownField(fmt.Sprintf("%s.columns[%d]", path, j), c, names)
			}
		}
		if len(vw.Sort) > 0 {
			if _, err := ParseSort(strings.Join(vw.Sort, ",")); err != nil {
				p.add(path+".sort", "%s", AsError(err).Message)
			} else if _, err := bindSort(ro, mustSort(vw.Sort)); err != nil {
				p.add(path+".sort", "%s", AsError(err).Message)
			}
		}
		if vw.Filter != nil {
			f, err := ParseFilterValue(vw.Filter)
			if err == nil {
				_, err = BindFilter(ro, f, BindOptions{Now: nowUTC()})
			}
			if err != nil {
				p.add(path+".filter", "%s", AsError(err).Message)
			}
		}
		if vw.PageSize < 0 {
			p.add(path+".pageSize", "must not be negative")
		}
	}
}

func mustSort(keys []string) []SortKey {
	s, _ := ParseSort(strings.Join(keys, ","))
	return s
}
