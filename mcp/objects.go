package mcp

import (
	"context"

	"github.com/objectos-go/objectos"
)

// The metadata tools: list_objects and describe_object. Both show the
// Stack's Describe view (objects the caller may read, fields they may
// read), less the system objects agents may not see.

// noArgs is the input of a tool that takes none.
type noArgs struct{}

type objectArgs struct {
	ObjectName string `json:"objectName" jsonschema:"the object's API name, as list_objects gives it"`
}

// objectList is list_objects' result and the resource objectos://objects.
type objectList struct {
	Objects    []objectSummary `json:"objects"`
	TotalCount int             `json:"totalCount"`
}

type objectSummary struct {
	Name        string `json:"name" jsonschema:"the API name, for the objectName of the other tools"`
	Label       string `json:"label"`
	Description string `json:"description,omitempty"`
	FieldCount  int    `json:"fieldCount" jsonschema:"how many fields the caller may read"`
}

// objectDescription is describe_object's result and the resource
// objectos://objects/{name}: the object as the caller may see it.
type objectDescription struct {
	Name         string             `json:"name"`
	Label        string             `json:"label"`
	PluralLabel  string             `json:"pluralLabel,omitempty"`
	Description  string             `json:"description,omitempty"`
	NameField    string             `json:"nameField,omitempty" jsonschema:"the field that names a record"`
	SharingModel string             `json:"sharingModel" jsonschema:"private: users see the records they own unless granted more; public_read: all read, owners write; public_read_write"`
	Fields       []fieldDescription `json:"fields" jsonschema:"the fields the caller may read; only these may be selected, filtered and sorted"`
	Actions      []string           `json:"actions" jsonschema:"the actions the caller may run on the object (see list_actions)"`
	Permissions  objectPermissions  `json:"permissions" jsonschema:"what the caller may do with the object's records (record access may narrow it per record)"`
	Enable       objectFeatures     `json:"enableFeatures"`
}

type fieldDescription struct {
	Name         string        `json:"name"`
	Type         string        `json:"type" jsonschema:"text, number, currency, boolean, date (YYYY-MM-DD), datetime (ISO 8601), select, lookup, …"`
	Label        string        `json:"label"`
	Description  string        `json:"description,omitempty"`
	Required     bool          `json:"required" jsonschema:"a create must give it a value"`
	Readonly     bool          `json:"readonly" jsonschema:"set by the server; writes leave it out"`
	Editable     bool          `json:"editable" jsonschema:"the caller may write it"`
	Unique       bool          `json:"unique,omitempty"`
	Options      []optionValue `json:"options,omitempty" jsonschema:"the allowed values of a select field"`
	Reference    string        `json:"reference,omitempty" jsonschema:"the object a lookup points to; the value is that record's id"`
	MaxLength    int           `json:"maxLength,omitempty"`
	Min          *float64      `json:"min,omitempty"`
	Max          *float64      `json:"max,omitempty"`
	DefaultValue any           `json:"defaultValue,omitempty"`
}

type optionValue struct {
	Value string `json:"value"`
	Label string `json:"label,omitempty"`
}

type objectPermissions struct {
	AllowRead   bool `json:"allowRead"`
	AllowCreate bool `json:"allowCreate"`
	AllowEdit   bool `json:"allowEdit"`
	AllowDelete bool `json:"allowDelete"`
}

type objectFeatures struct {
	APIMethods []objectos.APIMethod `json:"apiMethods" jsonschema:"the operations the API exposes on the object"`
	Searchable bool                 `json:"searchable"`
}

func (s *server) listObjects() tool[noArgs, objectList] {
	return tool[noArgs, objectList]{
		name: "list_objects", title: "List objects",
		description: "Lists the objects (tables) the caller may read, with their labels and field counts. Call describe_object for an object's fields.",
		hints:       hints{readOnly: true, idempotent: true},
		run: func(ctx context.Context, _ *noArgs) (*objectList, error) {
			if err := s.st.Charge(ctx, objectos.AccessRead, ""); err != nil {
				return nil, err
			}
			return s.objectList(ctx)
		},
	}
}

func (s *server) objectList(ctx context.Context) (*objectList, error) {
	descs, err := s.st.DescribeAll(ctx)
	if err != nil {
		return nil, err
	}
	out := &objectList{Objects: []objectSummary{}}
	for _, d := range descs {
		if !s.visible(d.Object) {
			continue
		}
		o := d.Object
		out.Objects = append(out.Objects, objectSummary{Name: o.Name, Label: labelOf(o.Label, o.Name),
			Description: o.Description, FieldCount: len(o.Fields)})
	}
	out.TotalCount = len(out.Objects)
	return out, nil
}

func (s *server) describeObject() tool[objectArgs, objectDescription] {
	return tool[objectArgs, objectDescription]{
		name: "describe_object", title: "Describe an object",
		description: "Describes an object: its fields (type, label, required, editable, select options, lookup targets), " +
			"its actions and what the caller may do with its records. Only fields listed here may be selected, filtered, sorted or written.",
		hints: hints{readOnly: true, idempotent: true},
		run: func(ctx context.Context, in *objectArgs) (*objectDescription, error) {
			if err := s.st.Charge(ctx, objectos.AccessRead, in.ObjectName); err != nil {
				return nil, err
			}
			return s.describe(ctx, in.ObjectName)
		},
	}
}

// describe is the description of an object agents may see, or
// OBJECT_NOT_FOUND.
func (s *server) describe(ctx context.Context, name string) (*objectDescription, error) {
	if _, err := s.exposed(name, ""); err != nil {
		return nil, err
	}
	d, err := s.st.Describe(ctx, name)
	if err != nil {
		return nil, err
	}
	return describeObject(d), nil
}

func describeObject(d *objectos.Description) *objectDescription {
	o := d.Object
	out := &objectDescription{
		Name: o.Name, Label: labelOf(o.Label, o.Name), PluralLabel: o.PluralLabel, Description: o.Description,
		NameField: o.NameField, SharingModel: string(o.Sharing()),
		Fields:  make([]fieldDescription, 0, len(o.Fields)),
		Actions: []string{},
		Permissions: objectPermissions{AllowRead: d.Can[objectos.AccessRead], AllowCreate: d.Can[objectos.AccessCreate],
			AllowEdit: d.Can[objectos.AccessUpdate], AllowDelete: d.Can[objectos.AccessDelete]},
		Enable: objectFeatures{APIMethods: o.AllowedMethods(), Searchable: o.Searchable()},
	}
	if out.Enable.APIMethods == nil {
		out.Enable.APIMethods = []objectos.APIMethod{}
	}
	for _, f := range o.Fields {
		fd := fieldDescription{
			Name: f.Name, Type: string(f.Type), Label: labelOf(f.Label, f.Name), Description: f.Description,
			Required: f.Required, Readonly: f.Readonly || f.System && f.Name != objectos.FieldOwner,
			Editable: d.Editable[f.Name], Unique: f.Unique, Reference: f.Target(),
			MaxLength: f.MaxLength, Min: f.Min, Max: f.Max, DefaultValue: f.DefaultValue,
		}
		for _, opt := range f.Options {
			fd.Options = append(fd.Options, optionValue{Value: opt.Value, Label: opt.Label})
		}
		out.Fields = append(out.Fields, fd)
	}
	for _, a := range o.Actions {
		out.Actions = append(out.Actions, a.Name)
	}
	return out
}

func labelOf(label, name string) string {
	if label != "" {
		return label
	}
	return name
}
