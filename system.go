package objectos

import (
	"slices"
	"time"
)

// UserObject is the name of the system object that user fields reference.
const UserObject = "sys_user"

// Names of the injected system fields (SPEC §2.2).
const (
	FieldID        = "id"
	FieldCreatedAt = "created_at"
	FieldCreatedBy = "created_by"
	FieldUpdatedAt = "updated_at"
	FieldUpdatedBy = "updated_by"
	FieldOwner     = "owner_id"
)

var systemFieldNames = []string{FieldID, FieldCreatedAt, FieldCreatedBy, FieldUpdatedAt, FieldUpdatedBy, FieldOwner}

func isSystemFieldName(name string) bool { return slices.Contains(systemFieldNames, name) }

// systemFields returns the injected fields of o, in column order: id first,
// the audit fields and owner_id last.
func systemFields(o *Object) []*Field {
	id := &Field{Name: FieldID, Label: "ID", Type: TypeText, System: true, MaxLength: 128}
	audit := []*Field{
		{Name: FieldCreatedAt, Label: "Created At", Type: TypeDatetime, Readonly: true, System: true},
		{Name: FieldCreatedBy, Label: "Created By", Type: TypeUser, Readonly: true, System: true},
		{Name: FieldUpdatedAt, Label: "Updated At", Type: TypeDatetime, Readonly: true, System: true},
		{Name: FieldUpdatedBy, Label: "Updated By", Type: TypeUser, Readonly: true, System: true},
	}
	out := []*Field{id}
	if o.HasOwner() {
		out = append(out, &Field{Name: FieldOwner, Label: "Owner", Type: TypeUser, System: true})
	}
	return append(out, audit...)
}

// resolveObject returns a copy of o with the system fields injected (id
// first, then the declared fields, then owner_id and the audit fields) and
// its field index built. System objects may declare system fields
// themselves; a declared field wins over the injected one.
func resolveObject(o *Object) *Object {
	r := *o
	sys := systemFields(o)
	declared := map[string]bool{}
	for _, f := range o.Fields {
		declared[f.Name] = true
	}
	fields := make([]*Field, 0, len(o.Fields)+len(sys))
	if !declared[FieldID] {
		fields = append(fields, sys[0])
	}
	for _, f := range o.Fields {
		c := *f
		fields = append(fields, &c)
	}
	for _, f := range sys[1:] {
		if !declared[f.Name] {
			fields = append(fields, f)
		}
	}
	r.Fields = fields
	r.Indexes = append([]Index(nil), o.Indexes...)
	r.Actions = append([]*Action(nil), o.Actions...)
	r.fieldIndex = make(map[string]*Field, len(fields))
	for _, f := range fields {
		r.fieldIndex[f.Name] = f
	}
	r.secrets = secretFields(&r)
	return &r
}

func nowUTC() time.Time { return time.Now().UTC() }
