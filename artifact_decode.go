package objectos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/objectos-go/objectos/internal/jsonkind"
	"github.com/objectos-go/objectos/internal/suggest"
)

// Problem is one thing wrong with an artifact, at a path such as
// "objects.crm_account.fields.amount.type".
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// ArtifactError lists every problem found in an artifact.
type ArtifactError struct {
	Problems []Problem
}

func (e *ArtifactError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "objectos: invalid artifact (%d problem", len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteByte('s')
	}
	b.WriteString("):")
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

type problems struct{ list []Problem }

func (p *problems) add(path, format string, args ...any) {
	p.list = append(p.list, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &ArtifactError{Problems: p.list}
}

// omap is a decoded JSON or YAML object that keeps its key order.
type omap struct {
	keys []string
	vals map[string]any
}

func decodeArtifact(data []byte, isYAML bool) (*Artifact, error) {
	var tree any
	var err error
	if isYAML {
		tree, err = yamlTree(data)
	} else {
		tree, err = jsonTree(data)
	}
	if err != nil {
		return nil, err
	}
	var p problems
	a := &Artifact{}
	b := binder{p: &p}
	b.bind("", tree, reflect.ValueOf(a).Elem())
	if len(p.list) > 0 {
		return nil, p.err()
	}
	if err := validateArtifact(a, nil, true); err != nil {
		return nil, err
	}
	return a, nil
}

// jsonTree decodes JSON keeping key order, with numbers as json.Number.
func jsonTree(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := jsonValue(dec)
	if err == nil {
		if _, err2 := dec.Token(); err2 != io.EOF {
			err = errors.New("unexpected data after the document")
		}
	}
	if err != nil {
		line, col := lineCol(data, dec.InputOffset())
		return nil, &ArtifactError{Problems: []Problem{{Message: fmt.Sprintf("invalid JSON at line %d, column %d: %v", line, col, err)}}}
	}
	return v, nil
}

func jsonValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := &omap{vals: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string)
				v, err := jsonValue(dec)
				if err != nil {
					return nil, err
				}
				if _, dup := m.vals[k]; dup {
					return nil, fmt.Errorf("duplicate key %q", k)
				}
				m.keys = append(m.keys, k)
				m.vals[k] = v
			}
			_, err := dec.Token()
			return m, err
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := jsonValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token()
			return arr, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return tok, nil
	}
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

func yamlTree(data []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &ArtifactError{Problems: []Problem{{Message: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}}}
	}
	if len(doc.Content) == 0 {
		return nil, &ArtifactError{Problems: []Problem{{Message: "empty document"}}}
	}
	v, err := yamlValue(doc.Content[0])
	if err != nil {
		return nil, &ArtifactError{Problems: []Problem{{Message: "invalid YAML: " + err.Error()}}}
	}
	return v, nil
}

func yamlValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.AliasNode:
		return yamlValue(n.Alias)
	case yaml.MappingNode:
		m := &omap{vals: map[string]any{}}
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn := n.Content[i]
			if kn.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: keys must be strings", kn.Line)
			}
			if kn.Value == "<<" {
				return nil, fmt.Errorf("line %d: merge keys are not supported", kn.Line)
			}
			v, err := yamlValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			if _, dup := m.vals[kn.Value]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", kn.Line, kn.Value)
			}
			m.keys = append(m.keys, kn.Value)
			m.vals[kn.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		arr := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlValue(c)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		return arr, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, err
			}
			return b, nil
		case "!!int", "!!float":
			var f float64
			if err := n.Decode(&f); err != nil {
				return nil, err
			}
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, fmt.Errorf("line %d: %s is not a finite number", n.Line, n.Value)
			}
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
		default:
			return n.Value, nil
		}
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
}

// The keys of upstream ObjectStack schemas that objectos does not support
// yet, per Go type; they are refused with "not supported yet" instead of
// "unknown key". Retired upstream keys are refused as retired.
var (
	unsupportedKeys = map[reflect.Type][]string{
		reflect.TypeOf(Artifact{}): {"manifest", "datasources", "datasourceMapping", "translations",
			"objectExtensions", "apps", "pages", "dashboards", "reports", "datasets", "actions", "flows",
			"jobs", "emailTemplates", "docs", "books", "positions", "permissions", "capabilities",
			"sharingRules", "apis", "webhooks", "api", "server", "agents", "tools", "skills", "hooks",
			"functions", "onEnable", "mappings", "analyticsCubes", "connectors", "data", "plugins",
			"requires", "tiers", "devPlugins", "runtimeModule"},
		reflect.TypeOf(Object{}): {"managedBy", "userActions", "systemFields", "datasource", "external",
			"fieldGroups", "tenancy", "access", "requiredPermissions", "lifecycle", "displayNameField",
			"titleFormat", "highlightFields", "stageField", "listViews", "searchableFields",
			"externalSharingModel", "publicSharing", "protection"},
		reflect.TypeOf(Field{}): {"format", "storage", "multiple", "useGrouping", "accept", "maxSize",
			"inlineEdit", "inlineTitle", "inlineColumns", "inlineAmountField", "relatedList",
			"relatedListTitle", "relatedListColumns", "relatedListFilter", "displayField",
			"descriptionField", "lookupColumns", "lookupPageSize", "lookupFilters", "dependsOn",
			"allowCreate", "summaryOperations", "language", "step",
			"currencyConfig", "dimensions", "trackHistory", "group", "widget", "requiredPermissions", "maskingRule", "ackPlaintextMasking",
			"externalId"},
		reflect.TypeOf(Capabilities{}): {"trackHistory", "files", "feeds", "activities", "clone"},
		reflect.TypeOf(Action{}): {"objectName", "component", "openIn", "body", "order", "errorMessage",
			"undoable", "resultDialog", "visible", "disabled", "requiresFeature", "ai", "recordIdParam",
			"recordIdField", "bodyShape", "mode", "opensInNewTab", "newTabUrl", "onSuccess", "aria"},
		reflect.TypeOf(ActionParam{}): {"field", "objectOverride", "multiple", "accept", "maxSize",
			"defaultFromRow", "visible", "requiresFeature"},
		reflect.TypeOf(PermissionSet{}): {"packageId", "managedBy", "systemPermissions",
			"tabPermissions", "rowLevelSecurity", "adminScope", "protection"},
		reflect.TypeOf(ObjectPermission{}): {"allowExport", "allowRestore", "allowPurge", "readScope", "writeScope"},
		reflect.TypeOf(Policy{}):           {"positions"},
	}
	retiredKeys = map[reflect.Type][]string{
		reflect.TypeOf(Object{}): {"softDelete", "versioning", "search", "recordName", "keyPrefix",
			"tags", "active", "abstract", "defaultDetailForm"},
		reflect.TypeOf(Field{}): {"index", "columnName", "referenceFilters", "conditionalRequired"},
		reflect.TypeOf(Index{}): {"type", "where"},
	}
	// keys accepted only with an empty value: the feature is not supported
	// yet, but an empty declaration of it is harmless.
	emptyOnlyKeys = map[reflect.Type][]string{}
	// keys other schemas use for one of ours, with the hint an unknown one
	// gets.
	keyHints = map[reflect.Type]map[string]string{
		reflect.TypeOf(ValidationRule{}): {
			"expression": `validation rules write their CEL predicate as "condition", true when the record is invalid`,
			"rule":       `validation rules write their CEL predicate as "condition", true when the record is invalid`,
			"pattern":    `format rules write their regular expression as "regex"`,
		},
	}
	expressionType = reflect.TypeOf(Expression(""))
	// fields whose wire form is a map keyed by the element's name.
	namedMapType = reflect.TypeOf([]*Field(nil))
	anyType      = reflect.TypeOf((*any)(nil)).Elem()
)

// binder copies a decoded tree into Go values, reporting every unknown key
// and wrong type with its path.
type binder struct{ p *problems }

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// kindName names the kind of a value of the decoded tree, where an object
// is the decoder's ordered *omap.
func kindName(v any) string {
	if _, ok := v.(*omap); ok {
		return "an object"
	}
	return jsonkind.Of(v)
}

func (b *binder) bind(path string, v any, dst reflect.Value) {
	t := dst.Type()
	if t == anyType {
		if v != nil {
			dst.Set(reflect.ValueOf(plain(v)))
		}
		return
	}
	if v == nil {
		// null leaves the zero value, like an omitted key.
		return
	}
	if t == namedMapType {
		b.bindNamedMap(path, v, dst)
		return
	}
	if t == expressionType {
		b.bindExpression(path, v, dst)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		ptr := reflect.New(t.Elem())
		b.bind(path, v, ptr.Elem())
		dst.Set(ptr)
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			b.p.add(path, "must be a string, not %s", kindName(v))
			return
		}
		dst.SetString(s)
	case reflect.Bool:
		x, ok := v.(bool)
		if !ok {
			b.p.add(path, "must be true or false, not %s", kindName(v))
			return
		}
		dst.SetBool(x)
	case reflect.Int:
		n, ok := v.(json.Number)
		i, err := n.Int64()
		if !ok || err != nil || i < 0 || i > math.MaxInt32 {
			b.p.add(path, "must be a whole number of zero or more")
			return
		}
		dst.SetInt(i)
	case reflect.Float64:
		n, ok := v.(json.Number)
		f, err := n.Float64()
		if !ok || err != nil {
			b.p.add(path, "must be a number, not %s", kindName(v))
			return
		}
		dst.SetFloat(f)
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			b.p.add(path, "must be an array, not %s", kindName(v))
			return
		}
		out := reflect.MakeSlice(t, len(arr), len(arr))
		for i, e := range arr {
			b.bind(elemPath(path, i, e), e, out.Index(i))
		}
		dst.Set(out)
	case reflect.Map:
		m, ok := v.(*omap)
		if !ok {
			b.p.add(path, "must be an object, not %s", kindName(v))
			return
		}
		out := reflect.MakeMapWithSize(t, len(m.keys))
		for _, k := range m.keys {
			ev := reflect.New(t.Elem()).Elem()
			if t.Elem() == reflect.TypeOf(FieldPermission{}) {
				ev.Set(reflect.ValueOf(FieldPermission{Readable: true}))
			}
			b.bind(join(path, k), m.vals[k], ev)
			out.SetMapIndex(reflect.ValueOf(k), ev)
		}
		dst.Set(out)
	case reflect.Struct:
		m, ok := v.(*omap)
		if !ok {
			b.p.add(path, "must be an object, not %s", kindName(v))
			return
		}
		b.bindStruct(path, m, dst)
	default:
		b.p.add(path, "cannot be decoded")
	}
}

// elemPath names an array element by its "name" key when it has one.
func elemPath(path string, i int, e any) string {
	if m, ok := e.(*omap); ok {
		if n, ok := m.vals["name"].(string); ok && validName(n) {
			return join(path, n)
		}
	}
	return fmt.Sprintf("%s[%d]", path, i)
}

type structField struct {
	index int
	name  string
}

func jsonFields(t reflect.Type) []structField {
	var out []structField
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, structField{index: i, name: name})
	}
	return out
}

func (b *binder) bindStruct(path string, m *omap, dst reflect.Value) {
	t := dst.Type()
	fields := jsonFields(t)
	byName := make(map[string]int, len(fields))
	var names []string
	for _, f := range fields {
		// System flags are set by objectos, never by an artifact.
		if f.name == "system" || f.name == "isSystem" {
			continue
		}
		byName[f.name] = f.index
		names = append(names, f.name)
	}
	for _, k := range m.keys {
		v := m.vals[k]
		if idx, ok := byName[k]; ok {
			b.bind(join(path, k), v, dst.Field(idx))
			continue
		}
		switch {
		case slices.Contains(emptyOnlyKeys[t], k):
			if !isEmptyValue(v) {
				b.p.add(join(path, k), "not supported yet (only an empty value is accepted)")
			}
		case slices.Contains(unsupportedKeys[t], k) || (k == "system" || k == "isSystem"):
			b.p.add(join(path, k), "not supported yet")
		case slices.Contains(retiredKeys[t], k):
			b.p.add(join(path, k), "retired upstream; not accepted")
		case keyHints[t][k] != "":
			b.p.add(join(path, k), "unknown key; %s", keyHints[t][k])
		default:
			msg := "unknown key"
			if s := suggest.Closest(k, names); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			b.p.add(join(path, k), "%s", msg)
		}
	}
}

// bindExpression binds a CEL expression: a string, or upstream's envelope
// {dialect: "cel", source, ast?, meta?} (ast and meta are derived from
// source and not read).
func (b *binder) bindExpression(path string, v any, dst reflect.Value) {
	switch x := v.(type) {
	case string:
		dst.SetString(x)
	case *omap:
		for _, k := range x.keys {
			switch k {
			case "dialect", "source", "ast", "meta":
			default:
				b.p.add(join(path, k), "unknown key of an expression; it has dialect and source")
			}
		}
		if d, _ := x.vals["dialect"].(string); d != "cel" {
			b.p.add(join(path, "dialect"), "must be \"cel\" (other dialects are not supported)")
		}
		src, ok := x.vals["source"].(string)
		if !ok {
			b.p.add(join(path, "source"), "must be a string holding the CEL expression")
			return
		}
		dst.SetString(src)
	default:
		b.p.add(path, "must be a CEL expression (a string), not %s", kindName(v))
	}
}

func isEmptyValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case []any:
		return len(x) == 0
	case *omap:
		return len(x.keys) == 0
	}
	return false
}

// bindNamedMap binds {"name": {...}, ...} into a slice of named elements.
func (b *binder) bindNamedMap(path string, v any, dst reflect.Value) {
	m, ok := v.(*omap)
	if !ok {
		b.p.add(path, "must be an object keyed by field name, not %s", kindName(v))
		return
	}
	t := dst.Type()
	out := reflect.MakeSlice(t, 0, len(m.keys))
	for _, k := range m.keys {
		p := join(path, k)
		ptr := reflect.New(t.Elem().Elem())
		ev := m.vals[k]
		if em, ok := ev.(*omap); ok {
			if n, has := em.vals["name"]; has && n != k {
				b.p.add(join(p, "name"), "must equal the key %q", k)
			}
		}
		if ev == nil {
			b.p.add(p, "must be an object, not null")
			continue
		}
		b.bind(p, ev, ptr.Elem())
		ptr.Elem().FieldByName("Name").SetString(k)
		out = reflect.Append(out, ptr)
	}
	dst.Set(out)
}

// plain converts a decoded tree into plain Go values (map[string]any,
// []any, float64, string, bool, nil).
func plain(v any) any {
	switch x := v.(type) {
	case *omap:
		out := make(map[string]any, len(x.keys))
		for _, k := range x.keys {
			out[k] = plain(x.vals[k])
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case json.Number:
		f, _ := x.Float64()
		return f
	}
	return v
}
