package objectos

import (
	"os"
	"path/filepath"
	"strings"
)

// Artifact is the declared application: objects, permission sets and views.
// It is data: build it in Go or load it with [LoadArtifact] or
// [ParseArtifact]. [New] validates it and reports every problem at once.
type Artifact struct {
	Name           string           `json:"name,omitempty"`
	Label          string           `json:"label,omitempty"`
	Version        string           `json:"version,omitempty"`
	Description    string           `json:"description,omitempty"`
	Objects        []*Object        `json:"objects,omitempty"`
	PermissionSets []*PermissionSet `json:"permissionSets,omitempty"`
	Views          []*View          `json:"views,omitempty"`
	// Policies are the row-level security policies (see Policy).
	Policies []*Policy `json:"policies,omitempty"`
}

// SharingModel is the record-level baseline of an object.
type SharingModel string

// Sharing models. The zero value means private.
const (
	SharingPrivate         SharingModel = "private"
	SharingPublicRead      SharingModel = "public_read"
	SharingPublicReadWrite SharingModel = "public_read_write"
)

// Ownership says whether records of an object have an owner.
type Ownership string

// Ownership values. The zero value means user.
const (
	OwnershipUser Ownership = "user"
	OwnershipNone Ownership = "none"
)

// APIMethod is one operation of the generated data API that an object may
// expose.
type APIMethod string

// The API methods of enable.apiMethods.
const (
	MethodGet    APIMethod = "get"
	MethodList   APIMethod = "list"
	MethodCreate APIMethod = "create"
	MethodUpdate APIMethod = "update"
	MethodDelete APIMethod = "delete"
	MethodBulk   APIMethod = "bulk"
	// MethodAggregate is grouping and aggregating (POST /query with
	// aggregations, MCP's aggregate_records).
	MethodAggregate APIMethod = "aggregate"
)

// AllAPIMethods lists every API method in wire order.
var AllAPIMethods = []APIMethod{MethodGet, MethodList, MethodCreate, MethodUpdate, MethodDelete, MethodBulk, MethodAggregate}

// Capabilities is an object's enable block. The zero value exposes the object
// through the API with every method and makes it searchable.
type Capabilities struct {
	// APIEnabled false hides every data route of the object (404). Nil means true.
	APIEnabled *bool `json:"apiEnabled,omitempty"`
	// APIMethods whitelists the operations of the data API. Nil means all;
	// an empty, non-nil slice means none.
	APIMethods []APIMethod `json:"apiMethods,omitempty"`
	// Searchable false refuses the search parameter. Nil means true.
	Searchable *bool `json:"searchable,omitempty"`
}

// Object is a declared business object: a table, its fields and its API.
type Object struct {
	Name        string `json:"name"`
	Label       string `json:"label,omitempty"`
	PluralLabel string `json:"pluralLabel,omitempty"`
	Description string `json:"description,omitempty"`
	Icon        string `json:"icon,omitempty"`
	// NameField is the field used as the record's title. Optional.
	NameField string `json:"nameField,omitempty"`
	// SharingModel is the record access baseline; empty means private.
	SharingModel SharingModel `json:"sharingModel,omitempty"`
	// Ownership "none" leaves out the injected owner_id; empty means user.
	Ownership Ownership    `json:"ownership,omitempty"`
	Enable    Capabilities `json:"enable"`
	// Fields are the declared fields in order. On the wire they are a map
	// keyed by field name.
	Fields  []*Field  `json:"fields"`
	Indexes []Index   `json:"indexes,omitempty"`
	Actions []*Action `json:"actions,omitempty"`
	// Validations are the object's validation rules, checked on every
	// create and update (see [ValidationRule]).
	Validations []*ValidationRule `json:"validations,omitempty"`
	// System marks objects contributed by plugins (sys_*). An artifact cannot
	// set it.
	System bool `json:"isSystem,omitempty"`

	fieldIndex map[string]*Field
	// rules are the compiled validations and conditional fields; nil when
	// the object has none.
	rules *ruleSet
	// formulas are the formula fields, in order; nil when it has none.
	formulas []*formula
	// policies are the enabled row-level policies; nil when it has none.
	policies []*policy
	// secrets are the secret fields; nil when the object has none.
	secrets []*Field
}

// Field returns the field with the name, or nil. On an object returned by a
// [Stack] it includes the injected system fields.
func (o *Object) Field(name string) *Field {
	if o.fieldIndex != nil {
		return o.fieldIndex[name]
	}
	for _, f := range o.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Action returns the declared action with the name, or nil.
func (o *Object) Action(name string) *Action {
	for _, a := range o.Actions {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// APIEnabled reports whether the object is exposed through the data API.
func (o *Object) APIEnabled() bool { return o.Enable.APIEnabled == nil || *o.Enable.APIEnabled }

// Searchable reports whether the object accepts the search parameter.
func (o *Object) Searchable() bool { return o.Enable.Searchable == nil || *o.Enable.Searchable }

// AllowsMethod reports whether the API method is in the object's whitelist.
func (o *Object) AllowsMethod(m APIMethod) bool {
	if o.Enable.APIMethods == nil {
		return true
	}
	for _, x := range o.Enable.APIMethods {
		if x == m {
			return true
		}
	}
	return false
}

// AllowedMethods returns the API methods the object exposes, in wire order.
func (o *Object) AllowedMethods() []APIMethod {
	var out []APIMethod
	for _, m := range AllAPIMethods {
		if o.AllowsMethod(m) {
			out = append(out, m)
		}
	}
	return out
}

// Sharing returns the effective sharing model (private when unset).
func (o *Object) Sharing() SharingModel {
	if o.SharingModel == "" {
		return SharingPrivate
	}
	return o.SharingModel
}

// HasOwner reports whether records of the object carry owner_id.
func (o *Object) HasOwner() bool { return o.Ownership != OwnershipNone }

// FieldType is the declared type of a field.
type FieldType string

// Field types (SPEC §2.1).
const (
	TypeText         FieldType = "text"
	TypeTextarea     FieldType = "textarea"
	TypeEmail        FieldType = "email"
	TypeURL          FieldType = "url"
	TypePhone        FieldType = "phone"
	TypeMarkdown     FieldType = "markdown"
	TypeHTML         FieldType = "html"
	TypeRichtext     FieldType = "richtext"
	TypeCode         FieldType = "code"
	TypeColor        FieldType = "color"
	TypeNumber       FieldType = "number"
	TypeCurrency     FieldType = "currency"
	TypePercent      FieldType = "percent"
	TypeRating       FieldType = "rating"
	TypeSlider       FieldType = "slider"
	TypeProgress     FieldType = "progress"
	TypeBoolean      FieldType = "boolean"
	TypeToggle       FieldType = "toggle"
	TypeDate         FieldType = "date"
	TypeDatetime     FieldType = "datetime"
	TypeTime         FieldType = "time"
	TypeSelect       FieldType = "select"
	TypeRadio        FieldType = "radio"
	TypeMultiselect  FieldType = "multiselect"
	TypeCheckboxes   FieldType = "checkboxes"
	TypeTags         FieldType = "tags"
	TypeLookup       FieldType = "lookup"
	TypeMasterDetail FieldType = "master_detail"
	TypeUser         FieldType = "user"
	TypeJSON         FieldType = "json"
	TypeAutonumber   FieldType = "autonumber"
	TypePassword     FieldType = "password"
	// TypeFormula fields are computed on read from Expression (CEL); they
	// have no column and cannot be written.
	TypeFormula FieldType = "formula"
	// TypeSecret fields are encrypted at rest (Options.SecretKeys) and
	// read back masked.
	TypeSecret FieldType = "secret"
)

// Kind groups field types by how they are stored, compared and serialized.
type Kind uint8

// Field kinds.
const (
	KindInvalid    Kind = iota
	KindText            // string
	KindNumber          // float64
	KindBool            // bool
	KindDate            // "YYYY-MM-DD"
	KindDatetime        // instant, "YYYY-MM-DDTHH:MM:SS.sssZ" on the wire
	KindTime            // "HH:MM:SS[.fff]"
	KindChoice          // one option value
	KindMulti           // array of strings
	KindReference       // id of another record
	KindJSON            // any JSON
	KindAutonumber      // server-issued text
	KindPassword        // text, masked on read
	KindSecret          // text encrypted at rest (AES-256-GCM), masked on read
)

var typeKinds = map[FieldType]Kind{
	TypeText: KindText, TypeTextarea: KindText, TypeEmail: KindText, TypeURL: KindText,
	TypePhone: KindText, TypeMarkdown: KindText, TypeHTML: KindText, TypeRichtext: KindText,
	TypeCode: KindText, TypeColor: KindText,
	TypeNumber: KindNumber, TypeCurrency: KindNumber, TypePercent: KindNumber,
	TypeRating: KindNumber, TypeSlider: KindNumber, TypeProgress: KindNumber,
	TypeBoolean: KindBool, TypeToggle: KindBool,
	TypeDate: KindDate, TypeDatetime: KindDatetime, TypeTime: KindTime,
	TypeSelect: KindChoice, TypeRadio: KindChoice,
	TypeMultiselect: KindMulti, TypeCheckboxes: KindMulti, TypeTags: KindMulti,
	TypeLookup: KindReference, TypeMasterDetail: KindReference, TypeUser: KindReference,
	TypeJSON:       KindJSON,
	TypeAutonumber: KindAutonumber,
	TypePassword:   KindPassword,
	TypeSecret:     KindSecret,
}

// upstream field types that are refused with "not supported yet".
var unsupportedTypes = []string{"summary", "tree", "image", "file", "avatar",
	"video", "audio", "composite", "repeater", "record", "location", "address", "signature",
	"qrcode", "vector"}

// Kind returns the kind of the type, or KindInvalid for an unknown type.
// A formula's kind is that of its return type (see Field.Kind).
func (t FieldType) Kind() Kind { return typeKinds[t] }

// Valid reports whether objectos supports the type.
func (t FieldType) Valid() bool { return t == TypeFormula || typeKinds[t] != KindInvalid }

// formulaReturnTypes are the return types a formula may declare.
var formulaReturnTypes = []FieldType{TypeNumber, TypeText, TypeBoolean, TypeDate, TypeDatetime}

// DeleteBehavior is what deleting a record does to the records whose lookup
// points at it.
type DeleteBehavior string

// Delete behaviours. The zero value means set_null for lookup and user
// fields and cascade for master_detail.
const (
	DeleteSetNull  DeleteBehavior = "set_null"
	DeleteCascade  DeleteBehavior = "cascade"
	DeleteRestrict DeleteBehavior = "restrict"
)

// Option is one choice of a select, radio, multiselect or checkboxes field.
type Option struct {
	Label string `json:"label,omitempty"`
	Value string `json:"value"`
	Color string `json:"color,omitempty"`
	// Default makes this option the field's default value.
	Default bool `json:"default,omitempty"`
	// VisibleWhen is a predicate for user interfaces: the option is
	// offered while it holds. objectos checks it at New and passes it on in
	// metadata; it does not enforce it.
	VisibleWhen Expression `json:"visibleWhen,omitempty"`
}

// Field is a declared field of an object.
type Field struct {
	// Name is the field's key; in JSON it is the key of the fields map.
	Name        string    `json:"name,omitempty"`
	Label       string    `json:"label,omitempty"`
	Description string    `json:"description,omitempty"`
	Type        FieldType `json:"type"`
	// Required fields must be present and non-null on create and cannot be
	// nulled on update. It is a write contract, not a NOT NULL column.
	Required bool `json:"required,omitempty"`
	// Readonly fields are dropped from writes by callers (and reported).
	Readonly bool `json:"readonly,omitempty"`
	// Unique adds a unique index on the field.
	Unique bool `json:"unique,omitempty"`
	// Searchable fields are scanned by the search parameter.
	Searchable bool `json:"searchable,omitempty"`
	// Sortable false refuses sorting on the field; nil means true.
	Sortable *bool `json:"sortable,omitempty"`
	// Hidden is a hint for user interfaces only.
	Hidden bool `json:"hidden,omitempty"`
	// Internal fields never leave the server: no surface reads, writes,
	// filters or sorts them; only Go code running as the system does.
	Internal bool `json:"internal,omitempty"`
	// DefaultValue applies when a create omits the field. It is a wire value
	// of the field's type, or "NOW()" on date, datetime and time fields, or
	// "current_user" on user fields.
	DefaultValue any `json:"defaultValue,omitempty"`
	// MinLength and MaxLength bound text length in characters; 0 means no bound.
	MinLength int `json:"minLength,omitempty"`
	MaxLength int `json:"maxLength,omitempty"`
	// Precision is the maximum number of significant digits; 0 means no bound.
	Precision int `json:"precision,omitempty"`
	// Scale is the maximum number of decimal places; nil means no bound.
	Scale *int `json:"scale,omitempty"`
	// Min and Max bound numeric values; nil means no bound.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Options are the allowed values of select-like fields.
	Options []Option `json:"options,omitempty"`
	// Reference is the target object of lookup and master_detail fields
	// (user fields always reference sys_user).
	Reference      string         `json:"reference,omitempty"`
	DeleteBehavior DeleteBehavior `json:"deleteBehavior,omitempty"`
	// AutonumberFormat formats server-issued numbers, e.g. "INV-{0000}".
	// Tokens: {0…0} the zero-padded counter, {YYYY} {MM} {DD} {YYYYMMDD}.
	AutonumberFormat string `json:"autonumberFormat,omitempty"`
	Placeholder      string `json:"placeholder,omitempty"`
	InlineHelpText   string `json:"inlineHelpText,omitempty"`
	// RequiredWhen makes the field required while the predicate holds on
	// the record being written (create and update): an empty value is then
	// the field error "required".
	RequiredWhen Expression `json:"requiredWhen,omitempty"`
	// ReadonlyWhen makes the field read-only while the predicate holds on
	// the record being written: an update that changes the field is then
	// refused (VALIDATION_FAILED, field code rule_violation). Creates are
	// not affected.
	ReadonlyWhen Expression `json:"readonlyWhen,omitempty"`
	// VisibleWhen is a predicate for user interfaces: the field is shown
	// while it holds. objectos checks it at New and passes it on in
	// metadata; it does not enforce it (field security does that).
	VisibleWhen Expression `json:"visibleWhen,omitempty"`
	// Expression is a formula field's CEL expression over the other
	// fields of the record (and now); New type-checks it. See the README's
	// "Formula fields".
	Expression Expression `json:"expression,omitempty"`
	// ReturnType is a formula's type: number, text, boolean, date or
	// datetime. Empty means the expression's own (a timestamp is a
	// datetime); a declared one must match it.
	ReturnType FieldType `json:"returnType,omitempty"`
	// RenamedFrom is the field's former name. When the object's table has a
	// column of that name and none of this field's, schema sync renames the
	// column, keeping its values; once renamed, later starts leave it as it
	// is, so RenamedFrom may stay in the artifact. It must not name a field
	// the object still declares.
	RenamedFrom string `json:"renamedFrom,omitempty"`
	// System marks the injected system fields (id, created_at, …). An
	// artifact cannot set it.
	System bool `json:"system,omitempty"`

	// formula is a formula field's compiled expression, on the fields of
	// a Stack's objects.
	formula *formula
}

// Kind returns the field's kind; a formula's is its return type's.
func (f *Field) Kind() Kind {
	if f.Type == TypeFormula {
		return f.ReturnType.Kind()
	}
	return f.Type.Kind()
}

// Stored reports whether the field has a column: every field but a
// formula.
func (f *Field) Stored() bool { return f.Type != TypeFormula }

// Computed returns the storage-neutral form of a formula field of a
// Stack's object, which a Store compiles to SQL wherever the field is
// selected, filtered or sorted. It is nil for a field that is not a
// formula, and for a formula the database cannot compute (the engine
// computes it after the read, and refuses to filter or sort by it).
func (f *Field) Computed() *Expr {
	if f.formula == nil {
		return nil
	}
	return f.formula.sql
}

// IsSortable reports whether the field may be used in a sort.
func (f *Field) IsSortable() bool {
	if f.Sortable != nil && !*f.Sortable {
		return false
	}
	switch f.Kind() {
	case KindMulti, KindJSON, KindPassword, KindSecret:
		return false
	}
	return f.Type != TypeFormula || f.Computed() != nil
}

// Target returns the object a reference field points to.
func (f *Field) Target() string {
	if f.Type == TypeUser {
		return UserObject
	}
	return f.Reference
}

// OnDelete returns the effective delete behaviour of a reference field. A
// required field cannot be nulled, so set_null becomes restrict.
func (f *Field) OnDelete() DeleteBehavior {
	b := f.DeleteBehavior
	if b == "" {
		b = DeleteSetNull
		if f.Type == TypeMasterDetail {
			b = DeleteCascade
		}
	}
	if b == DeleteSetNull && f.Required {
		return DeleteRestrict
	}
	return b
}

// HasOption reports whether v is one of the field's option values.
func (f *Field) HasOption(v string) bool {
	for _, o := range f.Options {
		if o.Value == v {
			return true
		}
	}
	return false
}

// Index is a declared index over one or more fields.
type Index struct {
	Name   string   `json:"name,omitempty"`
	Fields []string `json:"fields"`
	Unique bool     `json:"unique,omitempty"`
}

// ActionType is how an action runs.
type ActionType string

// Action types. The zero value means script.
const (
	ActionScript ActionType = "script"
	ActionAPI    ActionType = "api"
)

// Action is a declared operation on an object, run through
// POST {base}/actions/{object}/{action}.
type Action struct {
	Name        string         `json:"name"`
	Label       string         `json:"label,omitempty"`
	Description string         `json:"description,omitempty"`
	Icon        string         `json:"icon,omitempty"`
	Type        ActionType     `json:"type,omitempty"`
	Params      []*ActionParam `json:"params,omitempty"`
	// RequiredPermissions are permission names the caller must hold.
	RequiredPermissions []string `json:"requiredPermissions,omitempty"`
	// Method, Target and BodyExtra describe an api action: the data route it
	// calls (for example PATCH /api/v1/data/sys_api_key/{id}) and a static body
	// merged last.
	Method         string         `json:"method,omitempty"`
	Target         string         `json:"target,omitempty"`
	BodyExtra      map[string]any `json:"bodyExtra,omitempty"`
	Locations      []string       `json:"locations,omitempty"`
	Variant        string         `json:"variant,omitempty"`
	ConfirmText    string         `json:"confirmText,omitempty"`
	SuccessMessage string         `json:"successMessage,omitempty"`
	RefreshAfter   bool           `json:"refreshAfter,omitempty"`
}

// recordPlaceholders are the spellings of the record id in an api action's
// target.
var recordPlaceholders = []string{"{id}", "{recordId}", ":id", ":recordId"}

// NeedsRecord reports whether the action runs on a record: an api action
// whose target names the record id. (A script action may take a record or
// not; its handler decides.)
func (a *Action) NeedsRecord() bool {
	if a.Type != ActionAPI {
		return false
	}
	for _, ph := range recordPlaceholders {
		if strings.Contains(a.Target, ph) {
			return true
		}
	}
	return false
}

// ActionParam is a declared parameter of an action.
type ActionParam struct {
	Name         string    `json:"name"`
	Label        string    `json:"label,omitempty"`
	Type         FieldType `json:"type"`
	Required     bool      `json:"required,omitempty"`
	Options      []Option  `json:"options,omitempty"`
	Reference    string    `json:"reference,omitempty"`
	DefaultValue any       `json:"defaultValue,omitempty"`
	HelpText     string    `json:"helpText,omitempty"`
	Placeholder  string    `json:"placeholder,omitempty"`
}

// ObjectPermission is what a permission set grants on one object.
type ObjectPermission struct {
	AllowRead        bool `json:"allowRead,omitempty"`
	AllowCreate      bool `json:"allowCreate,omitempty"`
	AllowEdit        bool `json:"allowEdit,omitempty"`
	AllowDelete      bool `json:"allowDelete,omitempty"`
	ViewAllRecords   bool `json:"viewAllRecords,omitempty"`
	ModifyAllRecords bool `json:"modifyAllRecords,omitempty"`
	AllowTransfer    bool `json:"allowTransfer,omitempty"`
}

// FieldPermission is what a permission set grants on one field. In JSON an
// omitted readable means true, as upstream.
type FieldPermission struct {
	Readable bool `json:"readable"`
	Editable bool `json:"editable"`
}

// PermissionSet is a named bundle of grants.
type PermissionSet struct {
	Name        string `json:"name"`
	Label       string `json:"label,omitempty"`
	Description string `json:"description,omitempty"`
	// IsDefault sets apply to every signed-in user.
	IsDefault bool `json:"isDefault,omitempty"`
	// Objects maps object names to grants.
	Objects map[string]ObjectPermission `json:"objects,omitempty"`
	// Fields maps "object.field" to grants.
	Fields map[string]FieldPermission `json:"fields,omitempty"`
}

// View is a declared list or form view of an object.
type View struct {
	Name    string   `json:"name"`
	Label   string   `json:"label,omitempty"`
	Object  string   `json:"object"`
	Type    string   `json:"type,omitempty"`
	Columns []string `json:"columns,omitempty"`
	Sort    []string `json:"sort,omitempty"`
	// Filter is an ObjectQL filter in either form.
	Filter   any `json:"filter,omitempty"`
	PageSize int `json:"pageSize,omitempty"`
}

// Object returns the declared object with the name, or nil.
func (a *Artifact) Object(name string) *Object {
	for _, o := range a.Objects {
		if o.Name == name {
			return o
		}
	}
	return nil
}

// LoadArtifact reads an artifact from a JSON or YAML file (by extension:
// .json, .yaml, .yml). Unknown keys and invalid values are reported as an
// *ArtifactError listing every problem with its path.
func LoadArtifact(path string) (*Artifact, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		return decodeArtifact(data, true)
	default:
		return decodeArtifact(data, false)
	}
}

// ParseArtifact decodes an artifact from JSON or YAML (JSON when the first
// non-space byte is '{'). It checks the shape of the document — unknown keys,
// wrong types — and then validates it as [New] would, except for references
// to system objects, which only a Stack's plugins can resolve.
func ParseArtifact(data []byte) (*Artifact, error) {
	trimmed := strings.TrimLeft(string(data[:min(len(data), 64)]), " \t\r\n\ufeff")
	return decodeArtifact(data, !strings.HasPrefix(trimmed, "{"))
}

// Ptr returns a pointer to v; it helps to fill optional fields in Go.
func Ptr[T any](v T) *T { return &v }
