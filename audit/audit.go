package audit

import (
	"context"
	"io"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/schedule"
)

// Object is the name of the audit log's system object.
const Object = "sys_audit_log"

// The events the standard plugins record. Plugins of the application may
// record events of their own names.
const (
	SignIn                 = "sign_in"                  // a password sign-in succeeded
	SignInFailed           = "sign_in_failed"           // a password sign-in failed; Code says why
	Lockout                = "lockout"                  // failed sign-ins locked an email
	SignOut                = "sign_out"                 // a user ended their session
	SessionRevoked         = "session_revoked"          // a session was revoked; Code is the reason
	PasswordChanged        = "password_changed"         // a user's password was set, changed or reset; Code says which
	PasswordResetRequested = "password_reset_requested" // a reset link was asked for (Code unknown_email when no user has the address)
	EmailVerified          = "email_verified"           // a user followed a verification link
	EmailChanged           = "email_changed"            // a user's address changed, by a link sent to the new one
	APIKeyMinted           = "api_key_minted"           // an API key was minted
	APIKeyRevoked          = "api_key_revoked"          // an API key was revoked
	PermissionsChanged     = "permissions_changed"      // a user's role or permission sets changed
	UserCreated            = "user_created"             // an administrator created a user (details: role, permission_sets)
	UserBanned             = "user_banned"              // a user was banned
	UserUnbanned           = "user_unbanned"            // a user was unbanned
	ActionRun              = "action_run"               // an action ran; Code is its name
)

// Defaults of Options.
const (
	DefaultPurgeInterval = time.Hour
	DefaultPurgeBatch    = 1000
)

// Event is one entry of the audit log. Only Name is required. An Event
// must never hold a secret: no password, token, key or hash.
type Event struct {
	// Name is the event: one of the constants above, or the
	// application's own.
	Name string
	// ActorID is the user who acted; empty for the system or an
	// anonymous caller. Record fills it from the context's principal
	// when it is empty.
	ActorID string
	// TargetUserID is the user the event is about.
	TargetUserID string
	// Object and RecordID name the record the event is about, if any.
	Object, RecordID string
	// IP and UserAgent are the client's, when the event came with a
	// request (see FromRequest).
	IP, UserAgent string
	// Code is a reason or result code (INVALID_EMAIL_OR_PASSWORD,
	// "sign_out", "banned", …).
	Code string
	// Details are further facts, stored as JSON.
	Details map[string]any
}

// FromRequest returns e with the client address (as the Stack sees it,
// behind trusted proxies) and user agent of r.
func (e Event) FromRequest(st *objectos.Stack, r *http.Request) Event {
	e.IP = st.ClientIP(r)
	e.UserAgent = r.UserAgent()
	return e
}

// Record writes e to the audit log, as the system, in the context's
// transaction when it has one (so the entry commits or rolls back with
// the event). On a Stack without the audit plugin it does nothing and
// returns nil, so plugins record events whether or not the log is kept.
func Record(ctx context.Context, st *objectos.Stack, e Event) error {
	if st == nil || st.Object(Object) == nil {
		return nil
	}
	if e.ActorID == "" {
		if pr := objectos.PrincipalFrom(ctx); pr != nil {
			e.ActorID = pr.UserID
		}
	}
	rec := objectos.Record{"event": e.Name}
	for k, v := range map[string]string{"actor_id": e.ActorID, "target_user_id": e.TargetUserID, "object": e.Object,
		"record_id": e.RecordID, "ip_address": clip(e.IP, 64), "user_agent": clip(e.UserAgent, 512), "code": e.Code} {
		if v != "" {
			rec[k] = v
		}
	}
	if len(e.Details) > 0 {
		rec["details"] = e.Details
	}
	_, err := st.Create(objectos.AsSystem(ctx), Object, rec)
	return err
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Options configures the audit plugin. The zero value keeps entries
// forever.
type Options struct {
	// Retention is how long entries are kept: older ones are purged (see
	// Plugin.Purge). Zero or negative keeps them forever.
	Retention time.Duration
	// PurgeInterval is how often the purge runs when Retention is set, from
	// a goroutine that Stack.Close stops. Default 1 hour; negative turns
	// the schedule off (call Purge yourself).
	PurgeInterval time.Duration
	// PurgeBatch bounds the entries one purge deletes. Default 1000.
	PurgeBatch int
}

// Plugin is the audit plugin: it contributes sys_audit_log and purges it.
// One Plugin serves one Stack.
type Plugin struct {
	opts  Options
	st    *objectos.Stack
	purge *schedule.Schedule // stopped by Close
}

var (
	_ objectos.Plugin         = (*Plugin)(nil)
	_ objectos.ObjectProvider = (*Plugin)(nil)
	_ objectos.Initializer    = (*Plugin)(nil)
	_ objectos.ActionObserver = (*Plugin)(nil)
	_ io.Closer               = (*Plugin)(nil)
)

// New returns the audit plugin.
func New(opts Options) *Plugin {
	if opts.PurgeInterval == 0 {
		opts.PurgeInterval = DefaultPurgeInterval
	}
	if opts.PurgeBatch <= 0 {
		opts.PurgeBatch = DefaultPurgeBatch
	}
	return &Plugin{opts: opts}
}

// Name implements objectos.Plugin.
func (p *Plugin) Name() string { return "audit" }

// Objects implements objectos.ObjectProvider. sys_audit_log has no user_id
// reference to sys_user, so the security plugin's built-in rule for system
// objects gives it to administrators only; its API offers get and list
// alone, so nobody writes it through the data API.
func (p *Plugin) Objects() []*objectos.Object {
	return []*objectos.Object{{
		Name: Object, Label: "Audit Log Entry", PluralLabel: "Audit Log", Ownership: objectos.OwnershipNone,
		SharingModel: objectos.SharingPrivate,
		Enable:       objectos.Capabilities{APIMethods: []objectos.APIMethod{objectos.MethodGet, objectos.MethodList}},
		Fields: []*objectos.Field{
			{Name: "event", Type: objectos.TypeText, Required: true, MaxLength: 100},
			{Name: "actor_id", Type: objectos.TypeText, MaxLength: 100},
			{Name: "target_user_id", Type: objectos.TypeText, MaxLength: 100},
			{Name: "object", Type: objectos.TypeText, MaxLength: 100},
			{Name: "record_id", Type: objectos.TypeText, MaxLength: 100},
			{Name: "ip_address", Type: objectos.TypeText, MaxLength: 64},
			{Name: "user_agent", Type: objectos.TypeText, MaxLength: 512},
			{Name: "code", Type: objectos.TypeText, MaxLength: 100},
			{Name: "details", Type: objectos.TypeJSON},
		},
		Indexes: []objectos.Index{{Fields: []string{objectos.FieldCreatedAt}}, {Fields: []string{"event"}},
			{Fields: []string{"target_user_id"}}},
	}}
}

// ActionRan implements objectos.ActionObserver: it records the run, in the
// action's transaction, with the names of the parameters given but not
// their values (which may hold anything).
func (p *Plugin) ActionRan(ctx context.Context, call *objectos.ActionCall) error {
	ev := Event{Name: ActionRun, Object: call.Object.Name, RecordID: call.RecordID, Code: call.Action.Name,
		Details: map[string]any{"params": slices.Sorted(maps.Keys(call.Params))}}
	if call.Principal != nil {
		ev.ActorID = call.Principal.UserID
	}
	return Record(ctx, p.st, ev)
}

// Init implements objectos.Initializer: it starts the purge schedule.
func (p *Plugin) Init(_ context.Context, st *objectos.Stack) error {
	p.st = st
	if p.opts.Retention > 0 && p.opts.PurgeInterval > 0 {
		p.purge = schedule.Every(p.opts.PurgeInterval, func(ctx context.Context) error {
			_, err := p.Purge(ctx)
			return err
		}, func(ctx context.Context, err error) {
			p.st.Logger().WarnContext(ctx, "audit: purge failed", "error", err.Error())
		})
	}
	return nil
}

// Close implements io.Closer: it stops the purge schedule.
func (p *Plugin) Close() error {
	p.purge.Stop()
	return nil
}

// Purge deletes at most Options.PurgeBatch entries older than
// Options.Retention and returns how many it deleted; with no retention it
// deletes nothing. Several replicas may purge at once.
func (p *Plugin) Purge(ctx context.Context) (int, error) {
	if p.opts.Retention <= 0 {
		return 0, nil
	}
	sys := objectos.AsSystem(ctx)
	before := objectos.FormatDatetime(p.st.Now().Add(-p.opts.Retention))
	res, err := p.st.List(sys, Object, objectos.Query{Filter: objectos.Where(objectos.FieldCreatedAt, objectos.OpLt, before),
		Fields: []string{objectos.FieldID}, Limit: p.opts.PurgeBatch, SkipCount: true})
	if err != nil {
		return 0, err
	}
	total := 0
	for _, r := range res.Records {
		err := p.st.Delete(sys, Object, r[objectos.FieldID].(string), objectos.WriteOptions{})
		switch {
		case err == nil:
			total++
		case objectos.IsCode(err, objectos.CodeRecordNotFound):
		default:
			return total, err
		}
	}
	return total, nil
}
