package objectos

import (
	"context"
	"net/http"
)

// Plugin extends a Stack. A plugin declares optional capabilities by
// implementing more interfaces, found by type assertion: [ObjectProvider]
// (system objects), [RouteProvider] (HTTP routes), [Initializer] (start-up
// work after schema sync), [HookProvider] (write hooks), [AuthPlugin],
// [SecurityPlugin], [RequestObserver] (traces and metrics) and io.Closer.
type Plugin interface {
	// Name identifies the plugin in logs and errors.
	Name() string
}

// ObjectProvider contributes system objects (named sys_*), which schema sync
// creates like any other object.
type ObjectProvider interface {
	Objects() []*Object
}

// RouteProvider contributes routes under the stack's base path.
type RouteProvider interface {
	Routes(r *Router)
}

// Initializer runs once in [New], after the schema is in sync.
type Initializer interface {
	Init(ctx context.Context, st *Stack) error
}

// HookProvider contributes write hooks.
type HookProvider interface {
	Hooks() []Hook
}

// ActionObserver is implemented by plugins that follow action runs (an
// audit log). ActionRan is called after an action's handler or data call
// succeeded, inside the action's transaction, with the context of that
// transaction; its error rolls the action back. A failed run is not
// reported.
type ActionObserver interface {
	ActionRan(ctx context.Context, call *ActionCall) error
}

// CredentialKind names a kind of credential a plugin issues.
type CredentialKind string

// Credential kinds.
const (
	CredentialSession CredentialKind = "session" // sessions: cookie and bearer token
	CredentialAPIKey  CredentialKind = "apikey"  // API keys
)

// CredentialIssuer is implemented by plugins that issue credentials (the
// auth plugin's sessions, the apikey plugin's keys). RevokeCredentials
// revokes, at once, every credential of the user of the given kinds that
// the plugin issued (every kind it issues when none is given); reason is
// recorded where the plugin keeps one. See Stack.RevokeCredentials.
type CredentialIssuer interface {
	RevokeCredentials(ctx context.Context, userID, reason string, kinds ...CredentialKind) error
}

// PasswordConfirmer is implemented by an AuthPlugin that keeps passwords:
// ConfirmPassword checks a user's current password for a sensitive
// operation (minting an API key with an older session). It returns nil when
// the password is right; VALIDATION_FAILED (on the field "password") when it
// is wrong or the user has none; ACCOUNT_LOCKED (details.retryAfter in
// seconds) when too many were wrong. Failures count towards the same lockout
// as sign-in. See Stack.ConfirmPassword.
type PasswordConfirmer interface {
	ConfirmPassword(ctx context.Context, userID, password string) error
}

// ServiceReporter is implemented by plugins that provide a service which
// may be switched off (the MCP server, say): discovery lists a switched-off
// service as unavailable, with the message, instead of leaving it out.
type ServiceReporter interface {
	ServiceStatus() ServiceStatus
}

// ServiceStatus is a service's name in discovery, whether it is on, and
// why not when it is off.
type ServiceStatus struct {
	Name    string
	Enabled bool
	Message string
}

// AuthPlugin resolves the credentials of a request to a principal. It returns
// [ErrNoCredentials] when the request carries none it recognises, an *Error
// with code UNAUTHENTICATED, INVALID_TOKEN or SESSION_EXPIRED for bad
// credentials, and any other error for a technical failure. Several auth
// plugins are asked in order; the first that does not return
// ErrNoCredentials decides.
type AuthPlugin interface {
	Authenticate(r *http.Request) (*Principal, error)
}

// AuthFunc adapts a function to [AuthPlugin] (and [Plugin]), which is how an
// existing identity system plugs in:
//
//	objectos.AuthFunc(func(r *http.Request) (*objectos.Principal, error) {
//		uid := myapp.UserFromRequest(r)
//		if uid == "" {
//			return nil, objectos.ErrNoCredentials
//		}
//		return &objectos.Principal{UserID: uid, Method: objectos.AuthCustom}, nil
//	})
type AuthFunc func(r *http.Request) (*Principal, error)

// Authenticate calls f.
func (f AuthFunc) Authenticate(r *http.Request) (*Principal, error) { return f(r) }

// Name implements Plugin.
func (AuthFunc) Name() string { return "authfunc" }

// Access is an operation that the SecurityPlugin authorizes.
type Access string

// Accesses.
const (
	AccessRead   Access = "read"
	AccessCreate Access = "create"
	AccessUpdate Access = "update"
	AccessDelete Access = "delete"
)

// FieldAccess says what a principal may do with one field.
type FieldAccess struct {
	Readable bool
	Editable bool
}

// Grant is what a SecurityPlugin allows a principal on one object for one
// access.
type Grant struct {
	// Records restricts the records the access applies to; it is pushed
	// into the SQL of every query. Nil means every record. It may use
	// internal fields and the operators of [Filter].
	Records *Filter
	// Fields lists the fields with restricted access; a field not listed is
	// fully accessible.
	Fields map[string]FieldAccess
	// Transfer allows setting owner_id to another user.
	Transfer bool
}

// CanRead reports whether the grant lets the field be read.
func (g *Grant) CanRead(field string) bool {
	if g == nil || g.Fields == nil {
		return true
	}
	a, ok := g.Fields[field]
	return !ok || a.Readable
}

// CanEdit reports whether the grant lets the field be written.
func (g *Grant) CanEdit(field string) bool {
	if g == nil || g.Fields == nil {
		return true
	}
	a, ok := g.Fields[field]
	return !ok || a.Editable
}

// SecurityPlugin decides what a principal may do. Authorize returns the grant
// for the access, or an *Error (PERMISSION_DENIED) when the principal has no
// such access to the object at all. The engine calls it for every read and
// write, from every surface.
type SecurityPlugin interface {
	Authorize(ctx context.Context, p *Principal, o *Object, access Access) (*Grant, error)
}

// AllowAll is the SecurityPlugin used when none is configured: every
// authenticated principal may do everything. Use the security package's
// plugin for permission sets and record access.
type AllowAll struct{}

// Authorize grants everything.
func (AllowAll) Authorize(context.Context, *Principal, *Object, Access) (*Grant, error) {
	return &Grant{Transfer: true}, nil
}

// HookEvent is when a hook runs.
type HookEvent string

// Hook events. Before hooks may change the input; every hook runs inside the
// write's transaction, and an error aborts the write.
const (
	BeforeCreate HookEvent = "beforeCreate"
	AfterCreate  HookEvent = "afterCreate"
	BeforeUpdate HookEvent = "beforeUpdate"
	AfterUpdate  HookEvent = "afterUpdate"
	BeforeDelete HookEvent = "beforeDelete"
	AfterDelete  HookEvent = "afterDelete"
)

// HookContext is what a hook sees.
type HookContext struct {
	Object *Object
	Event  HookEvent
	// ID is the record id (empty in beforeCreate unless the caller gave one).
	ID string
	// Input is the write's input in wire form; before hooks may change it,
	// and the changes are validated like the caller's input.
	Input Record
	// Previous is the stored record before an update or delete (wire form).
	Previous Record
	// Result is the stored record after a create or update (wire form).
	Result Record
	// Principal is the caller (nil when running as the system).
	Principal *Principal
}

// HookFunc is a write hook. The context carries the write's transaction, so
// data calls made through the Stack with it join the transaction.
type HookFunc func(ctx context.Context, h *HookContext) error

// Hook binds a function to objects and events.
type Hook struct {
	// Object is an object name, or "*" for every object.
	Object string
	Events []HookEvent
	Func   HookFunc
}
