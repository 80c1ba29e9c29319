package objectos

import (
	"context"
	"slices"
)

// Description is an object as one caller may see it, for metadata surfaces
// (the metadata API, MCP, user interfaces).
type Description struct {
	// Object is a copy of the object holding only the fields the caller
	// may read; internal fields are never in it. Its actions are those the
	// caller may run (see Stack.RunAction).
	Object *Object
	// Can says which operations the caller's grants allow on the object at
	// all (record access may still narrow them per record).
	Can map[Access]bool
	// Editable lists the fields of Object the caller may write.
	Editable map[string]bool
}

// Describe returns the object as the caller of ctx may see it. An object
// that does not exist, is not exposed through the API (apiEnabled false) or
// that the caller may not read is OBJECT_NOT_FOUND alike, so a description
// reveals nothing the data API would not. Anonymous callers are
// UNAUTHENTICATED.
func (s *Stack) Describe(ctx context.Context, object string) (*Description, error) {
	p, sys, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	o := s.objects[object]
	if o == nil || !o.APIEnabled() {
		return nil, Errorf(CodeObjectNotFound, "Object '%s' not found.", object).With("object", object)
	}
	d, err := s.describe(ctx, p, sys, o)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, Errorf(CodeObjectNotFound, "Object '%s' not found.", object).With("object", object)
	}
	return d, nil
}

// DescribeAll returns the descriptions of every object exposed through the
// API that the caller may read: the artifact's objects in order, then the
// system objects.
func (s *Stack) DescribeAll(ctx context.Context) ([]*Description, error) {
	p, sys, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Description
	for _, o := range s.order {
		if !o.APIEnabled() {
			continue
		}
		d, err := s.describe(ctx, p, sys, o)
		if err != nil {
			return nil, err
		}
		if d != nil {
			out = append(out, d)
		}
	}
	return out, nil
}

// describe is nil when the caller may not read the object; a permission
// refusal is not an error here, a failing security plugin is.
func (s *Stack) describe(ctx context.Context, p *Principal, sys bool, o *Object) (*Description, error) {
	read, _, err := s.authorize(ctx, p, sys, o, AccessRead)
	if err != nil {
		if IsCode(err, CodePermissionDenied) {
			return nil, nil
		}
		return nil, err
	}
	d := &Description{Can: map[Access]bool{AccessRead: true}, Editable: map[string]bool{}}
	var edit *Grant
	for _, a := range []Access{AccessCreate, AccessUpdate, AccessDelete} {
		g, _, err := s.authorize(ctx, p, sys, o, a)
		switch {
		case err == nil:
			d.Can[a] = true
			if a == AccessUpdate {
				edit = g
			}
		case !IsCode(err, CodePermissionDenied):
			return nil, err
		}
	}
	c := *o
	c.fieldIndex = nil
	c.Fields = nil
	for _, f := range o.Fields {
		if f.Internal || !read.CanRead(f.Name) {
			continue
		}
		c.Fields = append(c.Fields, f)
		if edit != nil && edit.CanEdit(f.Name) && !f.Readonly && f.Stored() && (!f.System || f.Name == FieldOwner && edit.Transfer) {
			d.Editable[f.Name] = true
		}
	}
	c.Actions = nil
	held := s.permissionSetsOf(p)
	for _, a := range o.Actions {
		if sys || p.IsAdmin() || !slices.ContainsFunc(a.RequiredPermissions, func(rp string) bool { return !held[rp] }) {
			c.Actions = append(c.Actions, a)
		}
	}
	c.Indexes = nil
	for _, ix := range o.Indexes {
		// an index over a hidden field would tell of the field
		if !slices.ContainsFunc(ix.Fields, func(f string) bool { return c.Field(f) == nil }) {
			c.Indexes = append(c.Indexes, ix)
		}
	}
	d.Object = &c
	return d, nil
}
