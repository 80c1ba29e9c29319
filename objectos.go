// Package objectos turns a declared artifact (objects, fields, actions,
// permission sets, views) into a complete, secure HTTP API. See doc.go.
package objectos

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/objectos-go/objectos/internal/schedule"
)

// Version is the objectos release, reported by /health when the artifact
// has no version.
const Version = "0.1.0"

// DefaultBasePath is the base path of every route unless Options.BasePath
// says otherwise.
const DefaultBasePath = "/api/v1"

// DefaultMaxPageSize is the page-size ceiling unless Options.MaxPageSize
// says otherwise.
const DefaultMaxPageSize = 1000

// DefaultMaxQueryValues is the most values one query's filters may bind
// unless Options.MaxQueryValues says otherwise; MaxQueryValuesCeiling is
// the most it may say (SQLite binds at most 32,766 values per statement,
// and the engine adds its own beside the caller's).
const (
	DefaultMaxQueryValues = 10000
	MaxQueryValuesCeiling = 30000
)

// Options configures a Stack. Artifact and Store are required; every other
// field has a usable zero value.
type Options struct {
	// Artifact is the declared application. Required.
	Artifact *Artifact
	// Store persists records. Required. The Stack does not close it.
	Store Store
	// Plugins extend the stack (routes, system objects, authentication,
	// security, hooks). A plugin that implements AuthPlugin joins the
	// authentication chain; one that implements SecurityPlugin becomes the
	// security plugin.
	Plugins []Plugin
	// Security decides permissions. Nil means the plugin that implements
	// SecurityPlugin, or AllowAll when there is none; New refuses a nil
	// Security without one when an AuthPlugin and system objects (the auth
	// plugin's users and sessions, say) are present, since AllowAll would
	// let every signed-in user read and change every user's: set AllowAll{}
	// here to choose it anyway.
	Security SecurityPlugin
	// Hooks are write hooks, in addition to those of plugins.
	Hooks []Hook
	// ActionHandlers run the script actions, keyed "object.action". Every
	// declared script action needs one; New reports those missing.
	ActionHandlers map[string]ActionHandler
	// BasePath prefixes every route. Default "/api/v1".
	BasePath string
	// MaxPageSize is the page-size ceiling of lists. Default 1000.
	MaxPageSize int
	// MaxQueryValues caps the values the filters of one query bind
	// together (each member of an $in list counts): more is 400
	// INVALID_FILTER. Default 10,000; at most MaxQueryValuesCeiling.
	MaxQueryValues int
	// Secret signs list cursors. Replicas behind one load balancer must
	// share it. Default: 32 random bytes per process, so cursors do not
	// survive a restart.
	Secret []byte
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
	// Logger receives request failures (at Error, with the request id and
	// the cause the client never sees), plugin messages, and one access
	// line per request at Info (see NoAccessLog). Default slog.Default().
	Logger *slog.Logger
	// NoAccessLog turns the access line off. Default false: every request
	// the Stack serves is logged at Info when Logger is enabled for Info,
	// with its method, route pattern, status, duration, bytes, request id
	// and, when they apply, the principal, its authentication method and
	// the object. The line never holds the path, the query, a header, a
	// cookie or a body, so no credential reaches it.
	NoAccessLog bool
	// CORS lets browser pages on other origins call the API. The zero value
	// turns it off.
	CORS CORS
	// RateLimits limits request rates per client. The zero value applies
	// the default rates (auth 10/min per IP, write 60/min and read 600/min
	// per principal) with an in-memory limiter; RateLimits{Disabled: true}
	// turns them off.
	RateLimits RateLimits
	// TrustedProxies are the reverse proxies and load balancers (CIDRs such
	// as "10.0.0.0/8", single addresses, or "unix" for a proxy on a Unix
	// socket) whose ClientIPHeader tells the client's address. Default
	// none: the client is the TCP peer and forwarding headers are ignored.
	TrustedProxies []string
	// ClientIPHeader is the one header trusted proxies set to the client's
	// address: "X-Forwarded-For" (the default; read from the right, past
	// trusted hops), "Forwarded" (RFC 7239), or a single-address header
	// such as "X-Real-IP" or "CF-Connecting-IP". The proxies must set or
	// append it on every request, so a client cannot send its own.
	ClientIPHeader string
	// HSTS is the Strict-Transport-Security header sent on every response,
	// such as "max-age=63072000; includeSubDomains". Default: not sent
	// (set it when the API is only reachable over HTTPS).
	HSTS string
	// Idempotency configures the Idempotency-Key header on the routes that
	// honour it (the rest plugin's writes and actions, the apikey plugin's
	// POST /keys). The zero value turns it on: keys kept 24 hours.
	Idempotency Idempotency
	// SecretKeys encrypt the values of secret fields at rest (AES-256-GCM).
	// The first key is current: every value written is sealed with it; the
	// others still decrypt the values they sealed, until a write of the
	// record or Stack.RotateSecrets seals those again with the current key.
	// Default none, and New refuses an artifact with secret fields without
	// a key; keys must be 32 bytes with distinct ids. Replicas must share
	// them, and losing a key loses the values it sealed.
	SecretKeys []SecretKey
}

// Stack is a running objectos application: the engine that enforces
// permissions and validation on every read and write, and the HTTP handler
// that serves the routes of its plugins under the base path. A Stack is safe
// for concurrent use.
type Stack struct {
	artifact  *Artifact
	store     Store
	security  SecurityPlugin
	auth      []AuthPlugin
	plugins   []Plugin
	objects   map[string]*Object
	order     []*Object
	refs      map[string][]refEdge
	hooks     []Hook
	base      string
	maxPage   int
	maxValues int
	secret    []byte
	clock     func() time.Time
	log       *slog.Logger
	mux       *http.ServeMux
	entry     http.Handler // mux behind CORS
	cors      *corsPolicy
	limits    *limits
	proxies   proxies
	ipHeader  string
	hsts      []string
	patterns  []string
	handlers  map[string]ActionHandler
	// actionObservers are the plugins told of each action run.
	actionObservers []ActionObserver
	observers       []RequestObserver // the plugins told of each request (observe.go)
	started         time.Time
	closeOnce       sync.Once
	accessLog       bool
	draining        atomic.Bool
	inflight        atomic.Int64
	idem            *idempotency // nil when Idempotency.Disabled
	// secrets encrypts the secret fields; nil without Options.SecretKeys.
	secrets *keyring
}

// refEdge is a reference field of Object that points at another object.
type refEdge struct {
	Object *Object
	Field  *Field
}

// New validates the artifact, brings the database schema in line with it
// (and with the system objects of the plugins), and wires the plugins. An
// invalid artifact gives an *ArtifactError listing every problem.
func New(ctx context.Context, opts Options) (*Stack, error) {
	if opts.Artifact == nil {
		return nil, errors.New("objectos: Options.Artifact is required")
	}
	if opts.Store == nil {
		return nil, errors.New("objectos: Options.Store is required")
	}
	s := &Stack{
		artifact:  opts.Artifact,
		store:     opts.Store,
		security:  opts.Security,
		plugins:   opts.Plugins,
		base:      strings.TrimRight(opts.BasePath, "/"),
		maxPage:   opts.MaxPageSize,
		maxValues: opts.MaxQueryValues,
		secret:    opts.Secret,
		clock:     opts.Clock,
		log:       opts.Logger,
		objects:   map[string]*Object{},
		refs:      map[string][]refEdge{},
		hooks:     append([]Hook(nil), opts.Hooks...),
		handlers:  map[string]ActionHandler{},
		accessLog: !opts.NoAccessLog,
	}
	if opts.BasePath == "" {
		s.base = DefaultBasePath
	}
	if s.base != "" && !strings.HasPrefix(s.base, "/") {
		return nil, fmt.Errorf("objectos: BasePath %q must start with /", opts.BasePath)
	}
	if s.maxPage <= 0 {
		s.maxPage = DefaultMaxPageSize
	}
	switch {
	case s.maxValues <= 0:
		s.maxValues = DefaultMaxQueryValues
	case s.maxValues > MaxQueryValuesCeiling:
		return nil, fmt.Errorf("objectos: MaxQueryValues %d is more than %d", s.maxValues, MaxQueryValuesCeiling)
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if len(s.secret) == 0 {
		s.secret = make([]byte, 32)
		if _, err := rand.Read(s.secret); err != nil {
			return nil, fmt.Errorf("objectos: secret: %w", err)
		}
	}

	var err error
	if s.cors, err = newCORSPolicy(opts.CORS); err != nil {
		return nil, err
	}
	if s.proxies, err = parseProxies(opts.TrustedProxies); err != nil {
		return nil, err
	}
	s.ipHeader = http.CanonicalHeaderKey(strings.TrimSpace(opts.ClientIPHeader))
	if s.ipHeader == "" {
		s.ipHeader = DefaultClientIPHeader
	}
	if opts.HSTS != "" {
		s.hsts = []string{opts.HSTS}
	}

	var system []*Object
	var pluginHooks []Hook
	names := map[string]string{}
	providers := map[string]string{} // system object -> the plugin that provides it
	for _, p := range opts.Plugins {
		if p == nil {
			return nil, errors.New("objectos: nil plugin")
		}
		if prev, dup := names[p.Name()]; dup {
			return nil, fmt.Errorf("objectos: two plugins are named %q (%s)", p.Name(), prev)
		}
		names[p.Name()] = p.Name()
		objs, err := systemObjects(p)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			providers[o.Name] = p.Name()
		}
		system = append(system, objs...)
		if ap, ok := p.(AuthPlugin); ok {
			s.auth = append(s.auth, ap)
		}
		if sp, ok := p.(SecurityPlugin); ok && opts.Security == nil {
			if s.security != nil {
				return nil, fmt.Errorf("objectos: more than one plugin implements SecurityPlugin (%s)", p.Name())
			}
			s.security = sp
		}
		if hp, ok := p.(HookProvider); ok {
			pluginHooks = append(pluginHooks, hp.Hooks()...)
		}
		if ao, ok := p.(ActionObserver); ok {
			s.actionObservers = append(s.actionObservers, ao)
		}
	}
	s.observers = requestObservers(opts.Plugins)
	if s.security == nil {
		if len(s.auth) > 0 && len(system) > 0 {
			// Signed-in users and system objects (users, sessions, keys)
			// without a security plugin would let every user read and
			// change everyone's.
			return nil, errors.New("objectos: an authentication plugin with system objects needs a security plugin: " +
				"add security.New(), or set Options.Security (objectos.AllowAll{} lets every signed-in user do everything, " +
				"system objects included)")
		}
		s.security = AllowAll{}
	}
	if !opts.Idempotency.Disabled {
		s.idem = newIdempotency(opts.Idempotency)
		system = append(system, idempotencyObject())
		providers[IdempotencyObject] = "objectos"
	}
	if s.order, err = resolveObjects(opts.Artifact, system); err != nil {
		return nil, err
	}
	if s.secrets, err = newKeyring(opts.SecretKeys); err != nil {
		return nil, err
	}
	if err := checkSecretKeys(s.order, s.secrets); err != nil {
		return nil, err
	}
	if err := checkSystemReferences(system, opts.Artifact, providers); err != nil {
		return nil, err
	}
	for _, r := range s.order {
		s.objects[r.Name] = r
	}
	if s.idem != nil {
		s.idem.obj = s.objects[IdempotencyObject]
	}
	for _, o := range s.order {
		for _, f := range o.Fields {
			if f.Kind() == KindReference && !f.System {
				t := f.Target()
				if s.objects[t] != nil {
					s.refs[t] = append(s.refs[t], refEdge{Object: o, Field: f})
				}
			}
		}
	}
	for k, h := range opts.ActionHandlers {
		if h == nil {
			return nil, fmt.Errorf("objectos: Options.ActionHandlers[%q] is nil", k)
		}
		s.handlers[k] = h
	}
	if err := s.checkActionHandlers(); err != nil {
		return nil, err
	}
	for _, h := range s.hooks {
		if h.Func == nil {
			return nil, errors.New("objectos: hook without a function")
		}
		if h.Object != "*" && s.objects[h.Object] == nil {
			return nil, fmt.Errorf("objectos: hook for unknown object %q", h.Object)
		}
	}
	// A plugin's hook for an object another plugin would contribute (a
	// security rule on sys_user without the auth plugin) has nothing to do.
	for _, h := range pluginHooks {
		if h.Func != nil && (h.Object == "*" || s.objects[h.Object] != nil) {
			s.hooks = append(s.hooks, h)
		}
	}
	if s.limits, err = newLimits(opts.RateLimits, s.objects, s.clock); err != nil {
		return nil, err
	}
	if l, ok := s.store.(interface{ SetLogger(*slog.Logger) }); ok {
		l.SetLogger(s.log)
	}
	if err := s.store.Sync(ctx, s.order); err != nil {
		return nil, err
	}
	s.mux = http.NewServeMux()
	r := &Router{stack: s, routes: new([]route)}
	probes := r.With(NoRateLimit())
	probes.HandleFunc(http.MethodGet, "/health", s.serveHealth)
	probes.HandleFunc(http.MethodGet, "/ready", s.serveReady)
	for _, p := range opts.Plugins {
		if rp, ok := p.(RouteProvider); ok {
			rp.Routes(r)
		}
	}
	if err := r.mount(s.mux, s); err != nil {
		return nil, err
	}
	for _, rt := range *r.routes {
		s.patterns = append(s.patterns, rt.pattern)
	}
	s.entry = s.mux
	if s.cors != nil {
		s.entry = s.cors.handler.Handler(s.mux)
	}
	s.started = time.Now()
	if s.idem != nil && s.idem.opts.PurgeInterval > 0 {
		s.idem.purge = schedule.Every(s.idem.opts.PurgeInterval, func(ctx context.Context) error {
			_, err := s.PurgeIdempotencyKeys(ctx)
			return err
		}, func(ctx context.Context, err error) {
			s.log.WarnContext(ctx, "objectos: purging idempotency keys failed", "error", err.Error())
		})
	}
	for _, p := range opts.Plugins {
		if ip, ok := p.(Initializer); ok {
			if err := ip.Init(ctx, s); err != nil {
				// What the plugins before it started (schedules,
				// connections) ends with the Stack that never was.
				_ = s.Close()
				return nil, fmt.Errorf("objectos: plugin %s: %w", p.Name(), err)
			}
		}
	}
	return s, nil
}

// checkSystemReferences finds the references of plugins' objects to
// objects nobody provides (an API key's user without the auth plugin): a
// plugin that needs another says so at New, not at its first request.
func checkSystemReferences(system []*Object, a *Artifact, providers map[string]string) error {
	known := map[string]bool{}
	for _, o := range system {
		known[o.Name] = true
	}
	for _, o := range a.Objects {
		if o != nil {
			known[o.Name] = true
		}
	}
	for _, o := range system {
		for _, f := range o.Fields {
			if f == nil || f.System || f.Kind() != KindReference || known[f.Target()] {
				continue
			}
			hint := "add the plugin that provides it to Options.Plugins"
			if f.Target() == UserObject {
				hint = "add the auth plugin (auth.New), or another plugin that provides " + UserObject + ", to Options.Plugins"
			}
			return fmt.Errorf("objectos: plugin %s: object %s: field %s references object %q, which no plugin provides: %s",
				providers[o.Name], o.Name, f.Name, f.Target(), hint)
		}
	}
	return nil
}

// systemObjects returns the system objects a plugin contributes, marked as
// such.
func systemObjects(p Plugin) ([]*Object, error) {
	op, ok := p.(ObjectProvider)
	if !ok {
		return nil, nil
	}
	var out []*Object
	for _, o := range op.Objects() {
		if !strings.HasPrefix(o.Name, "sys_") {
			return nil, fmt.Errorf("objectos: plugin %s: system object %q must be named sys_*", p.Name(), o.Name)
		}
		c := *o
		c.System = true
		out = append(out, &c)
	}
	return out, nil
}

// resolveObjects validates the artifact against the system objects and
// returns every object with its system fields: the artifact's in order,
// then the system objects.
func resolveObjects(a *Artifact, system []*Object) ([]*Object, error) {
	sysCompiled, err := checkArtifact(&Artifact{Objects: system}, nil, true)
	if err != nil {
		return nil, fmt.Errorf("objectos: system objects: %w", err)
	}
	compiled, err := checkArtifact(a, system, false)
	if err != nil {
		return nil, err
	}
	var out []*Object
	resolved := map[*Object]*Object{}
	for _, o := range append(append([]*Object(nil), a.Objects...), system...) {
		r := resolveObject(o)
		r.rules = cmp.Or(compiled.rules[o], sysCompiled.rules[o])
		r.attachFormulas(append(compiled.formulas[o], sysCompiled.formulas[o]...))
		r.policies = compiled.policies[o]
		resolved[o] = r
		out = append(out, r)
	}
	for _, r := range out {
		for _, pl := range r.policies {
			pl.resolve(resolved)
		}
	}
	return out, nil
}

// ResolveObjects returns the objects that a Stack built from the artifact
// and the plugins stores, without a store: the artifact's objects, then the
// plugins' system objects, each with its system fields — what
// [Stack.Objects] returns and what [New] passes to [Store.Sync]. It
// validates the artifact as New does. The Stack's own system objects
// (IdempotencyObject) are included. A migration tool makes its plan from
// them (see the store package's Plan) where New would refuse to start.
func ResolveObjects(a *Artifact, plugins []Plugin) ([]*Object, error) {
	if a == nil {
		return nil, errors.New("objectos: an artifact is required")
	}
	var system []*Object
	providers := map[string]string{}
	for _, p := range plugins {
		if p == nil {
			return nil, errors.New("objectos: nil plugin")
		}
		objs, err := systemObjects(p)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			providers[o.Name] = p.Name()
		}
		system = append(system, objs...)
	}
	system = append(system, idempotencyObject())
	out, err := resolveObjects(a, system)
	if err != nil {
		return nil, err
	}
	return out, checkSystemReferences(system, a, providers)
}

// Close closes the plugins that implement io.Closer. It does not close the
// store, which belongs to the caller.
func (s *Stack) Close() error {
	var errs []error
	s.closeOnce.Do(func() {
		if s.idem != nil {
			s.idem.purge.Stop()
		}
		for _, p := range s.plugins {
			if c, ok := p.(io.Closer); ok {
				if err := c.Close(); err != nil {
					errs = append(errs, err)
				}
			}
		}
	})
	return errors.Join(errs...)
}

// Artifact returns the artifact the stack was built from.
func (s *Stack) Artifact() *Artifact { return s.artifact }

// Object returns the resolved object (with its system fields), or nil.
func (s *Stack) Object(name string) *Object { return s.objects[name] }

// Objects returns every resolved object: the artifact's in order, then the
// system objects of the plugins.
func (s *Stack) Objects() []*Object { return append([]*Object(nil), s.order...) }

// MaxPageSize returns the page-size ceiling of lists (Options.MaxPageSize).
func (s *Stack) MaxPageSize() int { return s.maxPage }

// BasePath returns the base path of the routes, such as "/api/v1".
func (s *Stack) BasePath() string { return s.base }

// Logger returns the stack's logger.
func (s *Stack) Logger() *slog.Logger { return s.log }

// Now returns the current time of the stack's clock.
func (s *Stack) Now() time.Time { return s.clock() }

// Plugins returns the plugins of the stack.
func (s *Stack) Plugins() []Plugin { return append([]Plugin(nil), s.plugins...) }

// RevokeCredentials revokes every credential of the user of the given kinds
// (all kinds when none is given) in every plugin that issues credentials:
// after it returns, none of them authenticates, on any replica. Plugins
// call it where a change of who controls an account must end what was
// granted before (a password reset, an account claimed through a verified
// email).
func (s *Stack) RevokeCredentials(ctx context.Context, userID, reason string, kinds ...CredentialKind) error {
	var errs []error
	for _, p := range s.plugins {
		if ci, ok := p.(CredentialIssuer); ok {
			if err := ci.RevokeCredentials(ctx, userID, reason, kinds...); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// ConfirmPassword checks the user's current password with the plugin that
// keeps passwords (see PasswordConfirmer); without one, no password can be
// confirmed (VALIDATION_FAILED).
func (s *Stack) ConfirmPassword(ctx context.Context, userID, password string) error {
	for _, p := range s.plugins {
		if pc, ok := p.(PasswordConfirmer); ok {
			return pc.ConfirmPassword(ctx, userID, password)
		}
	}
	msg := "No password can be confirmed here."
	return &Error{Code: CodeValidationFailed, Message: msg, Fields: []FieldError{{Field: "password", Code: FieldInvalidValue, Message: msg}}}
}

// Authenticate runs the authentication chain on the request. It returns the
// principal, or ErrNoCredentials when no plugin recognised credentials, or
// the deciding plugin's error. Within a request the Stack serves, the
// chain runs once: the rate limiter's answer is reused.
func (s *Stack) Authenticate(r *http.Request) (*Principal, error) {
	st := stateOf(r.Context())
	if st != nil && st.authDone {
		return st.principal, st.authErr
	}
	p, err := s.authenticate(r)
	if st != nil && err == nil {
		st.seen = p
	}
	return p, err
}

func (s *Stack) authenticate(r *http.Request) (*Principal, error) {
	for _, a := range s.auth {
		p, err := a.Authenticate(r)
		if errors.Is(err, ErrNoCredentials) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if p == nil {
			return nil, AuthenticationRequired()
		}
		return p, nil
	}
	return nil, ErrNoCredentials
}

// RequirePrincipal authenticates a request for a route that needs a caller.
// When there is none, or the credentials are bad, it writes the error in
// the wrapped envelope (401 with WWW-Authenticate) and returns false.
func (s *Stack) RequirePrincipal(w http.ResponseWriter, r *http.Request) (*Principal, bool) {
	p, err := s.Authenticate(r)
	if errors.Is(err, ErrNoCredentials) {
		err = AuthenticationRequired()
	}
	if err != nil {
		if AsError(err).HTTPStatus() == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="objectos"`)
		}
		s.WriteError(w, r, err)
		return nil, false
	}
	return p, true
}

// Router collects the routes of plugins. Patterns are relative to the base
// path and use net/http.ServeMux wildcards ("/data/{object}/{id}").
type Router struct {
	stack  *Stack
	routes *[]route
	opts   routeOptions
}

// Stack returns the stack the routes are mounted on.
func (r *Router) Stack() *Stack { return r.stack }

// With returns a Router that registers its routes with the options (in
// addition to r's), as chi's With does. The routes land in the same table.
func (r *Router) With(opts ...RouteOption) *Router {
	c := *r
	for _, o := range opts {
		o(&c.opts)
	}
	return &c
}

// HasRoute reports whether a route with the pattern prefix is registered
// (for discovery: "/auth/" tells whether authentication routes exist).
func (s *Stack) HasRoute(prefix string) bool {
	for _, p := range s.patterns {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

type route struct {
	method, pattern string
	h               http.Handler
	opts            routeOptions
}

// routeOptions are what RouteOptions set.
type routeOptions struct {
	bucket    string // "" = BucketRead or BucketWrite by method; bucketNone = not limited
	byAddress bool   // key the budget by client address, without authenticating
	fail      func(http.ResponseWriter, *http.Request, error)
	noStore   bool
	// idemMaxBody > 0 marks the routes Idempotent, with their body limit
	idemMaxBody int64
}

const bucketNone = "-"

// RouteOption configures routes; see Router.With and Router.Handle.
type RouteOption func(*routeOptions)

// RateLimitBucket puts routes in a rate-limit bucket (BucketAuth,
// BucketRead or BucketWrite). By default a route is in BucketRead for GET
// and HEAD and in BucketWrite for other methods.
func RateLimitBucket(bucket string) RouteOption {
	return func(o *routeOptions) { o.bucket = bucket }
}

// RateLimitPerAddress keys the routes' budget by client address and does
// not authenticate the caller for it: for public routes that need no
// principal (pages and their assets), where authenticating would only cost
// a lookup.
func RateLimitPerAddress() RouteOption { return func(o *routeOptions) { o.byAddress = true } }

// NoRateLimit exempts routes from rate limits (health probes).
func NoRateLimit() RouteOption { return func(o *routeOptions) { o.bucket = bucketNone } }

// NoStore marks the routes' responses as carrying credentials or session
// state: Cache-Control: no-store, so no cache keeps them, and
// Referrer-Policy: no-referrer, so where they redirect to never learns
// their URL (an OAuth callback's code, say).
func NoStore() RouteOption { return func(o *routeOptions) { o.noStore = true } }

func noStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Cache-Control"] = hdrNoStore
		w.Header()["Referrer-Policy"] = hdrNoReferrer
		h.ServeHTTP(w, r)
	})
}

// SetHTMLHeaders sets the headers of an HTML page the Stack serves: its
// Content-Security-Policy (csp; the Stack's default allows nothing),
// X-Frame-Options: DENY and Referrer-Policy: no-referrer. Routes that serve
// HTML call it before writing.
func SetHTMLHeaders(w http.ResponseWriter, csp string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h["X-Frame-Options"] = hdrDeny
	h["Referrer-Policy"] = hdrNoReferrer
}

// ErrorWriter sets how the Stack writes errors of its own on the routes
// (such as the rate limiter's 429), so they come in the surface's envelope.
// Default Stack.WriteError (the wrapped envelope).
func ErrorWriter(fail func(w http.ResponseWriter, r *http.Request, err error)) RouteOption {
	return func(o *routeOptions) { o.fail = fail }
}

// Handle registers h for the method and pattern, with the Router's options
// and opts. An empty method matches every method, leaving the handler to
// answer 405 itself.
func (r *Router) Handle(method, pattern string, h http.Handler, opts ...RouteOption) {
	ro := r.opts
	for _, o := range opts {
		o(&ro)
	}
	*r.routes = append(*r.routes, route{method: strings.ToUpper(method), pattern: pattern, h: h, opts: ro})
}

// HandleFunc registers a handler function.
func (r *Router) HandleFunc(method, pattern string, h http.HandlerFunc, opts ...RouteOption) {
	r.Handle(method, pattern, h, opts...)
}

func (r *Router) mount(mux *http.ServeMux, s *Stack) (err error) {
	byPattern := map[string]map[string]http.Handler{}
	var order []string
	for _, rt := range *r.routes {
		m := byPattern[rt.pattern]
		if m == nil {
			m = map[string]http.Handler{}
			byPattern[rt.pattern] = m
			order = append(order, rt.pattern)
		}
		if _, dup := m[rt.method]; dup {
			return fmt.Errorf("objectos: route %s %s registered twice", rt.method, rt.pattern)
		}
		switch rt.opts.bucket {
		case "", bucketNone, BucketAuth, BucketRead, BucketWrite:
		default:
			return fmt.Errorf("objectos: route %s %s: unknown rate-limit bucket %q (use BucketAuth, BucketRead or BucketWrite)",
				rt.method, rt.pattern, rt.opts.bucket)
		}
		h := rt.h
		if rt.opts.idemMaxBody > 0 && s.idem != nil {
			h = s.idempotent(rt, h)
		}
		h = s.limit(rt, h)
		if rt.opts.noStore {
			h = noStore(h)
		}
		m[rt.method] = h
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("objectos: routes: %v", p)
		}
	}()
	for _, pattern := range order {
		mux.Handle(pattern, methodSwitch(s, byPattern[pattern]))
	}
	if _, ok := byPattern["/"]; !ok {
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			s.WriteError(w, r, Errorf(CodeNotFound, "No route for %s %s.", r.Method, r.URL.Path))
		})
	}
	return nil
}

func methodSwitch(s *Stack, handlers map[string]http.Handler) http.Handler {
	var allowed []string
	for m := range handlers {
		if m != "" {
			allowed = append(allowed, m)
		}
	}
	allow := strings.Join(slices.Sorted(slices.Values(allowed)), ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := handlers[r.Method]; ok {
			h.ServeHTTP(w, r)
			return
		}
		if h, ok := handlers[http.MethodGet]; ok && r.Method == http.MethodHead {
			h.ServeHTTP(w, r) // net/http drops the body of a HEAD response
			return
		}
		if h, ok := handlers[""]; ok {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Allow", allow)
		s.WriteError(w, r, Errorf(CodeMethodNotAllowed, "Method %s is not allowed here; use %s.", r.Method, allow).
			With("allowed", allowed))
	})
}

// Response headers every answer of the Stack carries (SecurityHeaders).
// Each slice has capacity 1, so a handler's Header().Add copies instead of
// writing into the shared array.
var (
	hdrNosniff    = []string{"nosniff"}[:1:1]
	hdrNoReferrer = []string{"no-referrer"}[:1:1]
	hdrDeny       = []string{"DENY"}[:1:1]
	hdrCSP        = []string{"default-src 'none'; frame-ancestors 'none'"}[:1:1]
	hdrNoStore    = []string{"no-store"}[:1:1]
)

// ServeHTTP serves the routes under the base path. Mount it with
// mux.Handle(base+"/", stack) (and mux.Handle(base, stack) for discovery at
// the base path itself).
//
// Every response carries X-Request-Id, X-Content-Type-Options: nosniff, a
// Content-Security-Policy that allows nothing and no framing
// (default-src 'none'; frame-ancestors 'none'; a route serving HTML sets
// its own with SetHTMLHeaders) and, when Options.HSTS is set,
// Strict-Transport-Security. JSON answers need no more: nosniff and their
// content type keep browsers from rendering them, and each further header
// costs every request (past eight, the header map grows). CORS preflights
// are answered here, before any route, authentication or database work.
// Each request is logged once on Options.Logger (the access line; see
// Options.NoAccessLog), and reported to the plugins that implement
// RequestObserver. After Shutdown, requests other than the probes are
// answered 503 SERVICE_UNAVAILABLE.
func (s *Stack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["X-Content-Type-Options"] = hdrNosniff
	h["Content-Security-Policy"] = hdrCSP
	if s.hsts != nil {
		h["Strict-Transport-Security"] = s.hsts
	}
	r = SetRequestID(w, r)
	ctx := r.Context()
	st := stateOf(ctx)
	id := st.id
	// Counted before the drain check, so Shutdown waits for every request
	// that passed it, access line included.
	s.inflight.Add(1)
	defer s.inflight.Add(-1)
	var r2 *http.Request // the request the routes see, once there is one
	if logged := s.accessLog && s.log.Enabled(ctx, slog.LevelInfo); logged || s.observers != nil {
		st.w = accessWriter{ResponseWriter: w, start: time.Now()}
		w = &st.w
		r = s.startRequest(r)
		ctx = r.Context()
		defer func() { s.endRequest(st, r, r2, logged) }()
	}
	rel, ok := s.relative(r.URL.Path)
	if s.draining.Load() && rel != "/health" && rel != "/ready" {
		w.Header().Set("Retry-After", drainRetryAfter)
		s.WriteError(w, r, NewError(CodeServiceUnavailable, "The service is shutting down; retry shortly.").
			With("state", "draining"))
		return
	}
	if ok && cleanPath(rel) != rel {
		// The mux would redirect to the cleaned path, which it knows
		// without the base path; no route of the Stack has dot segments or
		// double slashes in its path anyway.
		ok = false
	}
	if !ok {
		hint := ""
		if !strings.HasPrefix(r.URL.Path, s.base+"/") && r.URL.Path != s.base {
			// mounted elsewhere, or behind http.StripPrefix
			hint = " This API is served under " + s.base + " (Options.BasePath): mount it at that path as it is, " +
				"not behind http.StripPrefix, or set Options.BasePath to where it is mounted."
		}
		s.WriteError(w, r.WithContext(ctx), Errorf(CodeNotFound, "No route for %s %s.%s", r.Method, r.URL.Path, hint))
		return
	}
	// A shallow copy with the base path stripped, as http.StripPrefix does:
	// cloning the headers would cost an allocation per header.
	r2 = new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path, u.RawPath = rel, ""
	r2.URL = &u
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.ErrorContext(ctx, "objectos: panic serving request", "request_id", id, "method", r.Method,
				"path", r.URL.Path, "client_ip", s.ClientIP(r), "panic", fmt.Sprint(p))
			s.WriteError(w, r2, NewError(CodeInternal, "An internal error occurred."))
		}
	}()
	s.entry.ServeHTTP(w, r2)
}

// cleanPath is net/http's: path.Clean that keeps a trailing slash.
func cleanPath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

func (s *Stack) relative(path string) (string, bool) {
	if s.base == "" {
		if path == "" {
			return "/", true
		}
		return path, strings.HasPrefix(path, "/")
	}
	if path == s.base {
		return "/", true
	}
	if strings.HasPrefix(path, s.base+"/") {
		return path[len(s.base):], true
	}
	return "", false
}

// SetRequestID sets X-Request-Id on the response — the caller's when it is
// printable ASCII of at most 128 bytes, a new random id otherwise — and
// returns the request with the id in its context. The Stack does this for
// its own routes; handlers mounted beside it can use it too.
func SetRequestID(w http.ResponseWriter, r *http.Request) *http.Request {
	id := r.Header.Get("X-Request-Id")
	if !validRequestID(id) {
		id = newToken()
	}
	w.Header().Set("X-Request-Id", id)
	return r.WithContext(WithRequestID(r.Context(), id))
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

// newToken returns 16 random bytes in hex: a request id, an idempotency
// claim's lock token.
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// WriteJSON writes v as JSON with the status and the JSON content type.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h["X-Content-Type-Options"] = hdrNosniff
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// WriteRawJSON writes a JSON body the caller encoded, with the headers
// WriteJSON sets; b must be one valid JSON value.
func WriteRawJSON(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h["X-Content-Type-Options"] = hdrNosniff
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// AppendRecordJSON appends the record as a JSON object with sorted keys
// (what Record.MarshalJSON writes), for surfaces that encode many records
// into one buffer.
func AppendRecordJSON(b []byte, r Record) ([]byte, error) { return appendRecord(b, r) }

// AppendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it without HTML escaping.
func AppendJSONString(b []byte, s string) []byte { return appendJSONString(b, s) }

// WriteData writes the success envelope {"success":true,"data":data}.
func WriteData(w http.ResponseWriter, status int, data any) {
	WriteJSON(w, status, struct {
		Success bool `json:"success"`
		Data    any  `json:"data"`
	}{true, data})
}

// ErrorBody is the body of the wrapped error envelope.
type ErrorBody struct {
	Code       Code           `json:"code"`
	Message    string         `json:"message"`
	HTTPStatus int            `json:"httpStatus"`
	Details    map[string]any `json:"details,omitempty"`
}

// WriteError logs err when it is a server failure and writes the wrapped
// error envelope {"success":false,"error":{code,message,httpStatus,details}}.
// Only the client-safe code, message and details are written.
func (s *Stack) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := s.LogError(r, err)
	SetRetryAfter(w.Header(), e)
	details := e.Details
	if len(e.Fields) > 0 {
		details = make(map[string]any, len(e.Details)+1)
		maps.Copy(details, e.Details)
		details["fields"] = e.Fields
	}
	WriteJSON(w, e.HTTPStatus(), struct {
		Success bool      `json:"success"`
		Error   ErrorBody `json:"error"`
	}{false, ErrorBody{Code: e.Code, Message: e.Message, HTTPStatus: e.HTTPStatus(), Details: details}})
}

// LogError converts err to an *Error and logs it, with its cause and the
// request id, when it is a server failure (5xx). Surfaces call it before
// writing their own error envelopes.
func (s *Stack) LogError(r *http.Request, err error) *Error {
	e := AsError(err)
	if e.HTTPStatus() >= 500 {
		s.log.ErrorContext(r.Context(), "objectos: request failed", "request_id", RequestID(r.Context()),
			"method", r.Method, "path", r.URL.Path, "client_ip", s.ClientIP(r), "code", string(e.Code), "error", err.Error())
	}
	return e
}

func (s *Stack) serveHealth(w http.ResponseWriter, r *http.Request) {
	version := s.artifact.Version
	if version == "" {
		version = Version
	}
	WriteData(w, http.StatusOK, map[string]any{
		"status":    "ok",
		"timestamp": FormatDatetime(s.clock()),
		"version":   version,
		"uptime":    float64(time.Since(s.started).Milliseconds()) / 1000,
	})
}

func (s *Stack) serveReady(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		w.Header().Set("Retry-After", drainRetryAfter)
		s.WriteError(w, r, NewError(CodeServiceUnavailable, "Service not ready: it is shutting down.").
			With("state", "draining"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "objectos: not ready", "request_id", RequestID(r.Context()), "error", err.Error())
		s.WriteError(w, r, NewError(CodeServiceUnavailable, "Service not ready: the database is unreachable.").
			With("state", "degraded"))
		return
	}
	WriteData(w, http.StatusOK, map[string]any{"status": "ready", "state": "running"})
}
