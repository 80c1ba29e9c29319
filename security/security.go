// Package security is the default SecurityPlugin of objectos: permission
// sets, record access from each object's sharing model, and field-level
// security. The engine consults it on every read and write, from every
// surface.
//
// A principal holds the permission sets marked isDefault plus those assigned
// to it (sys_user.permission_sets). Grants union across sets; an operation no
// set grants is 403 PERMISSION_DENIED (fail closed). Users with the admin role
// have every permission.
//
// Record access comes from the object's sharingModel:
//
//	private            read and write own records (owner_id); viewAllRecords
//	                   reads all, modifyAllRecords writes all
//	public_read        read all, write own
//	public_read_write  read and write all
//
// The rule is a filter the engine puts into the SQL of every query, so
// totals, pages and cursors count only what the caller may see.
//
// Field grants ("object.field": {readable, editable}) restrict fields; a
// field a set does not mention is fully accessible through that set, for
// the accesses the set grants on the object: a field is readable through
// the sets that grant read, writable on create through those that grant
// create, on update through those that grant edit. A set that lists an
// object only to allow create opens none of its fields to reads.
//
// System objects have built-in rules: a user reads and updates their own
// sys_user row; objects with a user_id reference to sys_user (sys_api_key)
// are read and updated by their user; everything else about system objects
// is for administrators.
package security

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/objectos-go/objectos"
)

// Plugin is the default SecurityPlugin. Add it to Options.Plugins; one
// Plugin serves one Stack.
type Plugin struct {
	mu       sync.RWMutex
	sets     map[string]*objectos.PermissionSet
	defaults []string
	ready    bool
	cache    sync.Map // grantKey -> *compiled
}

var (
	_ objectos.Plugin         = (*Plugin)(nil)
	_ objectos.SecurityPlugin = (*Plugin)(nil)
	_ objectos.Initializer    = (*Plugin)(nil)
	_ objectos.HookProvider   = (*Plugin)(nil)
)

// New returns the security plugin.
func New() *Plugin { return &Plugin{sets: map[string]*objectos.PermissionSet{}} }

// Name implements objectos.Plugin.
func (p *Plugin) Name() string { return "security" }

// Init implements objectos.Initializer: it reads the permission sets of the
// stack's artifact.
func (p *Plugin) Init(_ context.Context, st *objectos.Stack) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ps := range st.Artifact().PermissionSets {
		if ps == nil {
			continue
		}
		p.sets[ps.Name] = ps
		if ps.IsDefault {
			p.defaults = append(p.defaults, ps.Name)
		}
	}
	sort.Strings(p.defaults)
	p.ready = true
	return nil
}

// Hooks implements objectos.HookProvider: permission_sets written on a
// sys_user must name declared permission sets.
func (p *Plugin) Hooks() []objectos.Hook {
	check := func(_ context.Context, h *objectos.HookContext) error {
		v, ok := h.Input["permission_sets"]
		if !ok || v == nil {
			return nil
		}
		list, _ := v.([]any)
		if s, ok := v.([]string); ok {
			for _, x := range s {
				list = append(list, x)
			}
		}
		p.mu.RLock()
		defer p.mu.RUnlock()
		for _, x := range list {
			name, _ := x.(string)
			if _, ok := p.sets[name]; !ok {
				names := slices.Sorted(maps.Keys(p.sets))
				return &objectos.Error{Code: objectos.CodeValidationFailed,
					Message: fmt.Sprintf("permission_sets: %q is not a permission set", fmt.Sprint(x)),
					Fields: []objectos.FieldError{{Field: "permission_sets", Code: objectos.FieldInvalidOption,
						Message: fmt.Sprintf("%v is not one of %s", x, strings.Join(names, ", ")), Constraint: names}}}
			}
		}
		return nil
	}
	return []objectos.Hook{{Object: objectos.UserObject, Events: []objectos.HookEvent{objectos.BeforeCreate, objectos.BeforeUpdate}, Func: check}}
}

// compiled is the union of a principal's sets for one object.
type compiled struct {
	perm    objectos.ObjectPermission
	granted bool // some set mentions the object
	// fields are the restricted fields per access: readable through the
	// sets that grant read, writable through those that grant the write.
	fields map[objectos.Access]map[string]objectos.FieldAccess
}

func denied(o *objectos.Object, a objectos.Access) error {
	return objectos.Errorf(objectos.CodePermissionDenied, "Operation '%s' on object '%s' is not permitted.", a, o.Name).
		With("object", o.Name)
}

// Authorize implements objectos.SecurityPlugin.
func (p *Plugin) Authorize(_ context.Context, pr *objectos.Principal, o *objectos.Object, a objectos.Access) (*objectos.Grant, error) {
	if pr == nil {
		return nil, objectos.AuthenticationRequired()
	}
	if pr.IsAdmin() {
		return &objectos.Grant{Transfer: true}, nil
	}
	if o.System {
		return systemGrant(pr, o, a)
	}
	c := p.compile(pr, o)
	if c == nil {
		return nil, denied(o, a)
	}
	perm := c.perm
	var allowed bool
	switch a {
	case objectos.AccessRead:
		allowed = perm.AllowRead || perm.ViewAllRecords || perm.ModifyAllRecords
	case objectos.AccessCreate:
		allowed = perm.AllowCreate
	case objectos.AccessUpdate:
		allowed = perm.AllowEdit || perm.ModifyAllRecords
	case objectos.AccessDelete:
		allowed = perm.AllowDelete || perm.ModifyAllRecords
	}
	if !allowed {
		return nil, denied(o, a)
	}
	g := &objectos.Grant{Transfer: perm.AllowTransfer, Fields: c.fields[a]}
	own := ownRecords(o, pr)
	switch a {
	case objectos.AccessRead:
		if !perm.ViewAllRecords && !perm.ModifyAllRecords && o.Sharing() == objectos.SharingPrivate {
			g.Records = own
		}
	case objectos.AccessUpdate, objectos.AccessDelete:
		if !perm.ModifyAllRecords && o.Sharing() != objectos.SharingPublicReadWrite {
			g.Records = own
		}
	}
	return g, nil
}

// ownRecords is the filter of the principal's own records: owner_id, or
// nothing at all on objects without owners.
func ownRecords(o *objectos.Object, pr *objectos.Principal) *objectos.Filter {
	if !o.HasOwner() || o.Field(objectos.FieldOwner) == nil {
		return objectos.False()
	}
	return objectos.Eq(objectos.FieldOwner, pr.UserID)
}

// systemGrant is the built-in rule for system objects.
func systemGrant(pr *objectos.Principal, o *objectos.Object, a objectos.Access) (*objectos.Grant, error) {
	switch {
	case o.Name == objectos.UserObject:
		if a == objectos.AccessRead || a == objectos.AccessUpdate {
			return &objectos.Grant{Records: objectos.Eq(objectos.FieldID, pr.UserID)}, nil
		}
	case selfField(o) != "":
		if a == objectos.AccessRead || a == objectos.AccessUpdate {
			return &objectos.Grant{Records: objectos.Eq(selfField(o), pr.UserID)}, nil
		}
	}
	return nil, denied(o, a)
}

// selfField is the user_id reference of a system object to sys_user, if
// it has one and exposes itself through the API.
func selfField(o *objectos.Object) string {
	f := o.Field("user_id")
	if f == nil || f.Kind() != objectos.KindReference || f.Target() != objectos.UserObject || !o.APIEnabled() {
		return ""
	}
	return "user_id"
}

// heldSets returns the sorted names of the declared sets a principal holds.
func (p *Plugin) heldSets(pr *objectos.Principal) []string {
	out := append([]string(nil), p.defaults...)
	for _, n := range pr.PermissionSets {
		if _, ok := p.sets[n]; ok {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// compile unions the principal's sets for the object, cached by the set of
// sets: the result depends on nothing else.
func (p *Plugin) compile(pr *objectos.Principal, o *objectos.Object) *compiled {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if !p.ready {
		return nil
	}
	held := p.heldSets(pr)
	key := o.Name + "\x00" + strings.Join(held, ",")
	if v, ok := p.cache.Load(key); ok {
		return v.(*compiled)
	}
	c := &compiled{}
	prefix := o.Name + "."
	mentioned := map[string]bool{}
	var grantingSets []*objectos.PermissionSet
	for _, name := range held {
		ps := p.sets[name]
		op, ok := ps.Objects[o.Name]
		if !ok {
			continue
		}
		c.granted = true
		c.perm.AllowRead = c.perm.AllowRead || op.AllowRead
		c.perm.AllowCreate = c.perm.AllowCreate || op.AllowCreate
		c.perm.AllowEdit = c.perm.AllowEdit || op.AllowEdit
		c.perm.AllowDelete = c.perm.AllowDelete || op.AllowDelete
		c.perm.ViewAllRecords = c.perm.ViewAllRecords || op.ViewAllRecords
		c.perm.ModifyAllRecords = c.perm.ModifyAllRecords || op.ModifyAllRecords
		c.perm.AllowTransfer = c.perm.AllowTransfer || op.AllowTransfer
		grantingSets = append(grantingSets, ps)
		for key := range ps.Fields {
			if strings.HasPrefix(key, prefix) {
				mentioned[strings.TrimPrefix(key, prefix)] = true
			}
		}
	}
	if !c.granted {
		p.cache.Store(key, (*compiled)(nil))
		return nil
	}
	// A field is readable when some set that grants read lets it be read,
	// and writable when some set that grants the write lets it be written
	// (and read): by its own grant, or by not mentioning it. A set that
	// lists the object for another access votes on nothing else.
	grants := map[objectos.Access]func(objectos.ObjectPermission) bool{
		objectos.AccessRead: func(op objectos.ObjectPermission) bool {
			return op.AllowRead || op.ViewAllRecords || op.ModifyAllRecords
		},
		objectos.AccessCreate: func(op objectos.ObjectPermission) bool { return op.AllowCreate },
		objectos.AccessUpdate: func(op objectos.ObjectPermission) bool { return op.AllowEdit || op.ModifyAllRecords },
	}
	for field := range mentioned {
		vote := func(a objectos.Access, edit bool) bool {
			for _, ps := range grantingSets {
				if !grants[a](ps.Objects[o.Name]) {
					continue
				}
				fp, said := ps.Fields[prefix+field]
				if !said || fp.Readable && (!edit || fp.Editable) {
					return true
				}
			}
			return false
		}
		readable := vote(objectos.AccessRead, false)
		for _, a := range []objectos.Access{objectos.AccessRead, objectos.AccessCreate, objectos.AccessUpdate, objectos.AccessDelete} {
			fa := objectos.FieldAccess{Readable: readable, Editable: true} // reads and deletes write nothing
			if a == objectos.AccessCreate || a == objectos.AccessUpdate {
				fa.Editable = vote(a, true)
			}
			if fa.Readable && fa.Editable {
				continue
			}
			if c.fields == nil {
				c.fields = map[objectos.Access]map[string]objectos.FieldAccess{}
			}
			if c.fields[a] == nil {
				c.fields[a] = map[string]objectos.FieldAccess{}
			}
			c.fields[a][field] = fa
		}
	}
	p.cache.Store(key, c)
	return c
}
