package objectos

import (
	"context"
	"net/netip"
	"time"
)

// AuthMethod says how a principal authenticated.
type AuthMethod string

// Authentication methods.
const (
	AuthSession AuthMethod = "session" // session cookie
	AuthBearer  AuthMethod = "bearer"  // Authorization: Bearer <session token>
	AuthAPIKey  AuthMethod = "apikey"  // an API key
	AuthJWT     AuthMethod = "jwt"     // Authorization: Bearer <short-lived JWT>
	AuthOAuth   AuthMethod = "oauth"   // an external identity provider
	AuthCustom  AuthMethod = "custom"  // a user-supplied AuthPlugin
)

// RoleAdmin is the role of administrators, who have every permission.
const RoleAdmin = "admin"

// Principal is the authenticated caller of a request. Every surface resolves
// its credentials to a Principal, which the engine and the SecurityPlugin
// see; nil means anonymous.
type Principal struct {
	// UserID is the id of the caller's sys_user record.
	UserID string `json:"userId"`
	Email  string `json:"email,omitempty"`
	Name   string `json:"name,omitempty"`
	// Role is "admin" for administrators; empty otherwise.
	Role string `json:"role,omitempty"`
	// PermissionSets are the names of the sets assigned to the user (the
	// default sets apply in addition).
	PermissionSets []string `json:"permissionSets,omitempty"`
	// Method is how the caller authenticated.
	Method AuthMethod `json:"method,omitempty"`
	// SessionID is the sys_session id when Method is session or bearer.
	SessionID string `json:"sessionId,omitempty"`
	// KeyID is the sys_api_key id when Method is apikey.
	KeyID string `json:"keyId,omitempty"`
	// AuthTime is when the caller last proved who they are (signed in, for
	// a session); zero when unknown. Sensitive operations, such as minting
	// an API key, ask for a recent one.
	AuthTime time.Time `json:"-"`
	// Credential is the deciding AuthPlugin's own record of the credential
	// (the auth plugin's session, say), for that plugin's routes within the
	// same request. Others leave it alone; it is never serialized.
	Credential any `json:"-"`
}

// IsAdmin reports whether the principal has the admin role.
func (p *Principal) IsAdmin() bool { return p != nil && p.Role == RoleAdmin }

type ctxKey int

const (
	principalKey ctxKey = iota
	systemKey
	txKey
	savepointKey
	requestIDKey
)

// WithPrincipal returns a context carrying the principal.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey, p)
}

// PrincipalFrom returns the principal of the context, or nil (anonymous).
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey).(*Principal)
	return p
}

// AsSystem returns a context in which the engine runs as the system: no
// permission, record or field checks, and internal and readonly fields may be
// read and written. It exists for Go code only (plugins, migrations, tests);
// no request input can produce it.
func AsSystem(ctx context.Context) context.Context {
	return context.WithValue(ctx, systemKey, true)
}

// IsSystem reports whether the context runs as the system.
func IsSystem(ctx context.Context) bool {
	v, _ := ctx.Value(systemKey).(bool)
	return v
}

// WithRequestID returns a context carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, &requestState{id: id})
}

// RequestID returns the request id of the context, or "".
func RequestID(ctx context.Context) string {
	if st := stateOf(ctx); st != nil {
		return st.id
	}
	return ""
}

// requestState is what the Stack learns about a request once and keeps for
// its handlers: the request id, and, when the rate limiter needed them
// before the route's handler ran, the client address and the result of
// authentication. It rides in the context under the request-id key, so a
// request costs one context value. The limiter fills it before calling the
// handler and nothing else writes those fields afterwards, so handlers read
// them freely. seen and w are the access line's, written on the request's
// own goroutine and read by ServeHTTP after the handler returned.
type requestState struct {
	id string
	// ip is the client address (Stack.ClientIP), valid when ipDone.
	ip     netip.Addr
	ipDone bool
	// principal and authErr are Stack.Authenticate's answer, valid when
	// authDone.
	principal *Principal
	authErr   error
	authDone  bool
	// seen is the principal a handler's own Stack.Authenticate found, for
	// the access line when the limiter did not authenticate.
	seen *Principal
	// w records the response for the access line (Stack.ServeHTTP).
	w accessWriter
}

func stateOf(ctx context.Context) *requestState {
	st, _ := ctx.Value(requestIDKey).(*requestState)
	return st
}
