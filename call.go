package objectos

import (
	"context"
	"fmt"

	"github.com/objectos-go/objectos/internal/suggest"
)

// call is one data call: the object, the caller and the grant for its
// access, with the grant's record filter bound.
type call struct {
	s   *Stack
	o   *Object
	p   *Principal
	sys bool
	g   *Grant
	rf  *Filter
	// refs are the references of a CreateMany looked up up front (see
	// knownReferences): target object → id → visible. Nil elsewhere; a
	// hook's own writes are calls of their own and look theirs up.
	refs map[string]map[string]bool
	// batch are the records of a CreateMany prepared so far, by id, for
	// the checks of row-level policies that read through a lookup to one
	// of them. Nil elsewhere.
	batch map[string]Record
}

// begin resolves the object, the caller and the grant for the access.
func (s *Stack) begin(ctx context.Context, object string, access Access) (*call, error) {
	o, err := s.lookup(object)
	if err != nil {
		return nil, err
	}
	p, sys, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	g, rf, err := s.authorize(ctx, p, sys, o, access)
	if err != nil {
		return nil, err
	}
	return &call{s: s, o: o, p: p, sys: sys, g: g, rf: rf}, nil
}

func (s *Stack) lookup(name string) (*Object, error) {
	o := s.objects[name]
	if o == nil {
		return nil, quotedf(CodeObjectNotFound, "Object '%s' not found.", name).With("object", name)
	}
	return o, nil
}

// caller returns the principal of the context and whether it runs as the
// system; anonymous callers are UNAUTHENTICATED.
func (s *Stack) caller(ctx context.Context) (*Principal, bool, error) {
	p := PrincipalFrom(ctx)
	if IsSystem(ctx) {
		return p, true, nil
	}
	if p == nil {
		return nil, false, AuthenticationRequired()
	}
	return p, false, nil
}

// authorize asks the security plugin for the grant and binds its record
// filter against the object, AND-ed with the row-level policies of the
// access (see policyFilter).
func (s *Stack) authorize(ctx context.Context, p *Principal, sys bool, o *Object, access Access) (*Grant, *Filter, error) {
	if sys {
		return &Grant{Transfer: true}, nil, nil
	}
	g, err := s.security.Authorize(ctx, p, o, access)
	if err != nil {
		return nil, nil, err
	}
	if g == nil {
		return nil, nil, Errorf(CodePermissionDenied, "Operation '%s' on object '%s' is not permitted.", access, o.Name)
	}
	g = formulaGrant(o, g)
	pf := s.policyFilter(p, o, access)
	if g.Records == nil {
		return g, pf, nil
	}
	rf, err := BindFilter(o, g.Records, BindOptions{Now: s.clock(), UserID: userID(p), AllowInternal: true})
	if err != nil {
		return nil, nil, fmt.Errorf("objectos: security plugin record filter for %s: %w", o.Name, err)
	}
	if pf != nil {
		rf = And(rf, pf)
	}
	return g, rf, nil
}

func userID(p *Principal) string {
	if p == nil {
		return ""
	}
	return p.UserID
}

func fieldError(o *Object, name string, code Code, format string, args ...any) *Error {
	return quotedf(code, format, args...).With("field", name).With("object", o.Name)
}

func (c *call) unknownField(name string, code Code) *Error {
	var names []string
	for _, f := range c.o.Fields {
		if !f.Internal || c.sys {
			names = append(names, f.Name)
		}
	}
	msg := fmt.Sprintf("Unknown field '%s' on object '%s'.", clip(name), c.o.Name)
	if sg := suggest.Closest(name, names); sg != "" {
		msg += fmt.Sprintf(" Did you mean '%s'?", sg)
	}
	return NewError(code, msg).With("field", name).With("object", c.o.Name)
}

// projection resolves the fields to return: the requested ones (plus id) or
// every readable one.
func (c *call) projection(fields []string) ([]string, error) {
	if len(fields) == 0 {
		out := make([]string, 0, len(c.o.Fields))
		for _, f := range c.o.Fields {
			if (c.sys || !f.Internal) && (c.sys || c.g.CanRead(f.Name)) {
				out = append(out, f.Name)
			}
		}
		return out, nil
	}
	out := []string{FieldID}
	seen := map[string]bool{FieldID: true}
	for _, name := range fields {
		f := c.o.Field(name)
		if f == nil || (f.Internal && !c.sys) {
			return nil, c.unknownField(name, CodeInvalidField)
		}
		if !c.sys && !c.g.CanRead(name) {
			return nil, fieldError(c.o, name, CodeFieldNotAccessible, "Field '%s' is not readable.", name)
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out, nil
}
