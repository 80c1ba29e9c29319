// Package auth is the default AuthPlugin of objectos: users, email and
// password sign-in, sessions (cookie and bearer), and OAuth 2.0 / OpenID
// Connect sign-in with any standards-compliant provider. Its routes under
// {base}/auth follow better-auth's, so better-auth clients work against them:
//
//	POST /auth/sign-up/email     {name, email, password}          ⇒ {token, user}
//	POST /auth/sign-in/email     {email, password, rememberMe?}   ⇒ {redirect, token, user}
//	POST /auth/sign-out                                           ⇒ {success: true}
//	GET  /auth/get-session                                        ⇒ {session, user} or null
//	GET  /auth/bootstrap-status                                   ⇒ {hasOwner}
//	GET  /auth/config                                             ⇒ enabled methods and providers
//	POST /auth/sign-in/social    {provider, callbackURL}          ⇒ {url, redirect: true}
//	GET  /auth/callback/{provider}                                ⇒ 302 to callbackURL
//	POST /auth/change-password   {currentPassword, newPassword, revokeOtherSessions?} ⇒ {token, user}
//	POST /auth/update-user       {name?, image?}                  ⇒ {status: true}
//	GET  /auth/list-sessions                                      ⇒ [session…] (no tokens)
//	POST /auth/revoke-session    {token}  (token or session id)   ⇒ {status: true}
//	POST /auth/revoke-sessions                                    ⇒ {status: true}
//	POST /auth/revoke-other-sessions                              ⇒ {status: true}
//	POST /auth/request-password-reset {email, redirectTo?}        ⇒ {status: true, message}
//	GET  /auth/reset-password/{token}?callbackURL=…               ⇒ 302 to callbackURL?token=…
//	POST /auth/reset-password    {newPassword, token}             ⇒ {status: true}
//	POST /auth/send-verification-email {email, callbackURL?}      ⇒ {status: true}
//	GET  /auth/verify-email?token=…&callbackURL=…                 ⇒ 302 to callbackURL, or {status, user}
//	POST /auth/change-email      {newEmail, callbackURL?}         ⇒ {status: true}; the link to the new address changes it
//	GET  /auth/token                                              ⇒ {token}: a short-lived JWT for the session
//	GET  /auth/jwks                                               ⇒ {keys: [JWK…]}: the keys that verify those JWTs
//	POST /auth/two-factor/enable {password, issuer?}              ⇒ {totpURI, backupCodes}
//	POST /auth/two-factor/verify-totp {code, trustDevice?}        ⇒ {token, user}: completes a pending sign-in
//	POST /auth/two-factor/verify-backup-code {code}               ⇒ {redirect, token, user}
//	POST /auth/two-factor/disable {password}                      ⇒ {status: true}
//	POST /auth/two-factor/get-totp-uri {password}                 ⇒ {totpURI}
//
// and, for administrators (role "admin"), the routes of better-auth's admin
// plugin that a console needs:
//
//	POST /auth/admin/list-user-sessions  {userId}                 ⇒ {sessions: [session…]} (no tokens)
//	POST /auth/admin/revoke-user-session {sessionToken}  (token or session id) ⇒ {success: true}
//	POST /auth/admin/revoke-user-sessions {userId}                ⇒ {success: true}
//	POST /auth/admin/ban-user    {userId, banReason?, banExpiresIn?} ⇒ {user}
//	POST /auth/admin/unban-user  {userId}                         ⇒ {user}
//
// Sessions are opaque 256-bit random tokens stored only as SHA-256 in
// sys_session; the same token works as the session cookie and as
// Authorization: Bearer. Passwords are hashed with argon2id at explicit
// parameters (DefaultArgon2Params). Errors on these routes use better-auth's
// {code, message} envelope.
//
// With a Mailer (Options.Mailer: an SMTPMailer, or the development
// LogMailer, which logs links instead of sending them) the plugin mails
// password-reset and email-verification links; their tokens are 256
// random bits, stored only as SHA-256, used once.
package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/audit"
	"github.com/objectos-go/objectos/internal/schedule"
	"github.com/objectos-go/objectos/internal/snapshot"
)

// Defaults of Options.
const (
	DefaultCookieName       = "better-auth.session_token"
	DefaultSessionTTL       = 7 * 24 * time.Hour
	DefaultUpdateAge        = 24 * time.Hour
	DefaultMaxSessionAge    = 30 * 24 * time.Hour
	DefaultPurgeInterval    = time.Hour
	DefaultPurgeBatch       = 1000
	DefaultLockoutThreshold = 5
	DefaultLockoutDuration  = 15 * time.Minute
	DefaultHashWait         = 250 * time.Millisecond
	DefaultResetPasswordTTL = time.Hour
	DefaultVerificationTTL  = time.Hour
	MinPasswordLength       = 8
	MaxPasswordLength       = 128
)

// DefaultArgon2Params are the argon2id parameters of new password hashes:
// 19 MiB of memory, 2 iterations, 1 thread (OWASP's recommendation), a
// 16-byte salt and a 32-byte key. They are fixed, not derived from the
// machine, so every replica hashes alike. Existing hashes keep the
// parameters they were made with.
var DefaultArgon2Params = argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Provider is an identity provider users sign in with: OpenID Connect,
// configured by its issuer URL (discovery at
// {issuer}/.well-known/openid-configuration), or plain OAuth 2.0 without
// discovery, configured by its endpoints (AuthURL, TokenURL, UserInfoURL)
// and the fields of its userinfo answer. GitHub, Google, Microsoft and
// GitLab return the providers of those services. Either kind uses state,
// PKCE (S256) and the linking rule: an existing user is linked by an email
// the provider says is verified, never by another.
type Provider struct {
	// ID names the provider in routes: /auth/callback/{ID}. Required.
	ID string
	// Name is shown by /auth/config. Default: ID.
	Name string
	// Issuer makes the provider OpenID Connect: its ID token names the
	// user.
	Issuer       string
	ClientID     string
	ClientSecret string
	// Scopes requested; default openid, email, profile (OIDC) and none
	// (OAuth 2.0).
	Scopes []string
	// AllowSignUp lets this provider create users even when sign-up is
	// otherwise disabled. Existing users are always linked by verified email.
	AllowSignUp bool

	// AuthURL, TokenURL and UserInfoURL are a plain OAuth 2.0 provider's
	// endpoints (no Issuer): the authorization page, the code exchange and
	// the JSON document of the signed-in user, read with the access token.
	AuthURL, TokenURL, UserInfoURL string
	// UserInfo names the fields of the userinfo document; the zero value
	// reads the usual names.
	UserInfo UserInfoFields
	// EmailsURL lists the user's addresses as GitHub's /user/emails does
	// ([{"email", "primary", "verified"}]): when the userinfo document has
	// no verified email, the verified primary address found there is the
	// user's.
	EmailsURL string

	// multiTenant is the tenant segment of the Issuer's path that Microsoft
	// sets for the common, organizations and consumers tenants, whose
	// discovery names the issuer https://login.microsoftonline.com/{tenantid}/v2.0:
	// each ID token's issuer is checked against its own tid claim instead.
	multiTenant string
	// verifiedClaim is the ID token claim that says the email is verified,
	// where the provider has no email_verified (Microsoft: xms_edov).
	verifiedClaim string
}

// UserInfoFields names the fields of a plain OAuth 2.0 provider's
// userinfo document, each a key or a dotted path ("data.id"). An empty
// name reads the usual ones: ID sub or id (a string or a number), Email
// email, EmailVerified email_verified or verified_email (true or "true";
// without one the email counts as unverified), Name name, login or
// preferred_username, Image picture or avatar_url.
type UserInfoFields struct {
	ID, Email, EmailVerified, Name, Image string
}

// Hasher hashes and verifies passwords. The default is argon2id with
// DefaultArgon2Params.
type Hasher interface {
	Hash(password string) (string, error)
	Verify(password, hash string) (bool, error)
}

// Options configures the auth plugin. Every field has a usable zero value;
// WithEnv fills unset fields from the OS_* environment variables.
type Options struct {
	// SignUp enables open sign-up. Nil means disabled; the very first user
	// can always sign up and becomes an admin.
	SignUp *bool
	// AdminEmail and AdminPassword provision a bootstrap admin at start-up
	// when no user has that email.
	AdminEmail, AdminPassword string
	// BaseURL is the public URL of the server (scheme and host), used for
	// OAuth redirect URIs and trusted origins. Default: derived from each
	// request.
	BaseURL string
	// TrustedOrigins may appear in Origin headers and OAuth callback URLs,
	// besides the server's own origin. The origins the Stack's CORS policy
	// allows with credentials are trusted in Origin headers too.
	TrustedOrigins []string
	// CookieName is the session cookie's name. Default
	// "better-auth.session_token", with the __Secure- prefix when cookies
	// are secure (see SecureCookies); a request is read by the name it
	// would be answered with, so a secure one never by the plain name.
	CookieName string
	// SecureCookies forces the Secure cookie attribute. Default: set when the
	// request came over TLS or BaseURL is https.
	SecureCookies bool
	// SessionTTL is a session's lifetime. Default 7 days.
	SessionTTL time.Duration
	// UpdateAge is how often a session in use is extended. Default 1 day.
	UpdateAge time.Duration
	// MaxSessionAge is a session's absolute lifetime: however often it is
	// used, it ends this long after its sign-in. Default 30 days.
	MaxSessionAge time.Duration
	// PurgeInterval is how often expired sessions, expired OAuth sign-in
	// state and stale failed-sign-in counts are deleted (see Plugin.Purge),
	// from a goroutine that Stack.Close stops. Default 1 hour; negative
	// turns the schedule off (call Purge yourself).
	PurgeInterval time.Duration
	// PurgeBatch bounds the rows of each kind one purge deletes. Default
	// 1000.
	PurgeBatch int
	// LockoutThreshold failed sign-ins in a row lock an email for
	// LockoutDuration. Defaults 5 and 15 minutes.
	LockoutThreshold int
	LockoutDuration  time.Duration
	// Providers are the OAuth/OIDC providers.
	Providers []Provider
	// Hasher hashes passwords. Default argon2id with DefaultArgon2Params.
	Hasher Hasher
	// HashConcurrency bounds the password hashes and checks that run at
	// once (each argon2id check takes about 19 MiB and tens of
	// milliseconds). Default 2 × GOMAXPROCS.
	HashConcurrency int
	// HashWait is how long a sign-in waits for a free slot before it is
	// answered 503 SERVICE_UNAVAILABLE with Retry-After. Default 250ms.
	HashWait time.Duration
	// HTTPClient talks to OAuth providers. Default http.DefaultClient.
	HTTPClient *http.Client
	// Mailer sends the password-reset and email-verification links, in
	// the background after the request is answered. Nil turns those routes
	// off (400 RESET_PASSWORD_DISABLED, VERIFICATION_EMAIL_NOT_ENABLED).
	// Every mailer but LogMailer needs BaseURL: links are built on it,
	// never on a request's Host header, which a client chooses.
	Mailer Mailer
	// MailTemplates are the messages sent; each empty field is the
	// default's (DefaultResetPasswordTemplate, …).
	MailTemplates MailTemplates
	// ResetPasswordTTL is how long a password-reset link works. Default 1
	// hour.
	ResetPasswordTTL time.Duration
	// ResetRevokesAPIKeys makes a password reset revoke the user's API
	// keys too. Default false: a reset always revokes every session of the
	// user, and the keys only with this set.
	ResetRevokesAPIKeys bool
	// EmailVerification configures the verification of addresses.
	EmailVerification EmailVerification
	// RequireEmailVerification refuses password sign-in to a user whose
	// address is not verified (403 EMAIL_NOT_VERIFIED, after the password
	// is checked), and sign-up then starts no session. It needs a Mailer.
	// Default false (OS_AUTH_REQUIRE_EMAIL_VERIFICATION).
	RequireEmailVerification bool
	// JWT configures the short-lived JWTs of GET /auth/token and their
	// keys (GET /auth/jwks); every field has a default.
	JWT JWT
	// TwoFactorIssuer names the account in authenticator apps (the TOTP
	// URI's issuer) when POST /auth/two-factor/enable names none. Default
	// "objectos".
	TwoFactorIssuer string
	// RequireTwoFactorForAdmins refuses an administrator's session on
	// every route but /auth/… (403 PERMISSION_DENIED, reason
	// TWO_FACTOR_REQUIRED) until they turn two-factor on; GET /auth/token
	// refuses them a JWT meanwhile. API keys are not affected.
	RequireTwoFactorForAdmins bool
}

// EmailVerification configures the verification of addresses.
type EmailVerification struct {
	// SendOnSignUp sends the verification link on sign-up. Default:
	// Options.RequireEmailVerification.
	SendOnSignUp bool
	// TTL is how long a verification link works. Default 1 hour.
	TTL time.Duration
}

// WithEnv returns o with unset fields filled from the environment:
// OS_AUTH_SIGNUP_ENABLED, OS_ADMIN_EMAIL, OS_ADMIN_PASSWORD, OS_AUTH_URL and
// OS_TRUSTED_ORIGINS (comma-separated), and OS_AUTH_REQUIRE_EMAIL_VERIFICATION
// (true, 1 or yes sets RequireEmailVerification).
func (o Options) WithEnv(getenv func(string) string) Options {
	if !o.RequireEmailVerification {
		v := strings.ToLower(strings.TrimSpace(getenv("OS_AUTH_REQUIRE_EMAIL_VERIFICATION")))
		o.RequireEmailVerification = v == "true" || v == "1" || v == "yes"
	}
	if o.SignUp == nil {
		if v := strings.ToLower(strings.TrimSpace(getenv("OS_AUTH_SIGNUP_ENABLED"))); v != "" {
			b := v == "true" || v == "1" || v == "yes"
			o.SignUp = &b
		}
	}
	if o.AdminEmail == "" {
		o.AdminEmail = getenv("OS_ADMIN_EMAIL")
	}
	if o.AdminPassword == "" {
		o.AdminPassword = getenv("OS_ADMIN_PASSWORD")
	}
	if o.BaseURL == "" {
		o.BaseURL = getenv("OS_AUTH_URL")
	}
	for _, s := range strings.Split(getenv("OS_TRUSTED_ORIGINS"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.TrustedOrigins = append(o.TrustedOrigins, s)
		}
	}
	return o
}

// Plugin is the auth plugin: system objects, routes, and the AuthPlugin
// that resolves session cookies and bearer tokens. One Plugin serves one
// Stack.
type Plugin struct {
	opts      Options
	st        *objectos.Stack
	trusted   map[string]bool
	providers map[string]*oidcProvider
	dummyHash string
	hashSlots chan struct{} // bounds the password hashes running at once
	mu        sync.Mutex
	purge     *schedule.Schedule // stopped by Close
	mail      map[string]*mailTemplate
	sending   sync.WaitGroup // messages being sent; Close waits for them
	jwt       jwtKeys        // the JWT keys of sys_jwks
}

var (
	_ objectos.Plugin           = (*Plugin)(nil)
	_ objectos.CredentialIssuer = (*Plugin)(nil)
	_ objectos.AuthPlugin       = (*Plugin)(nil)
	_ objectos.ObjectProvider   = (*Plugin)(nil)
	_ objectos.RouteProvider    = (*Plugin)(nil)
	_ objectos.Initializer      = (*Plugin)(nil)
	_ objectos.HookProvider     = (*Plugin)(nil)
	_ io.Closer                 = (*Plugin)(nil)
)

type argonHasher struct{ params *argon2id.Params }

func (h argonHasher) Hash(pw string) (string, error) { return argon2id.CreateHash(pw, h.params) }
func (h argonHasher) Verify(pw, hash string) (bool, error) {
	return argon2id.ComparePasswordAndHash(pw, hash)
}

// New returns the auth plugin.
func New(opts Options) *Plugin {
	if opts.CookieName == "" {
		opts.CookieName = DefaultCookieName
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	if opts.UpdateAge <= 0 {
		opts.UpdateAge = DefaultUpdateAge
	}
	if opts.MaxSessionAge <= 0 {
		opts.MaxSessionAge = DefaultMaxSessionAge
	}
	if opts.PurgeInterval == 0 {
		opts.PurgeInterval = DefaultPurgeInterval
	}
	if opts.PurgeBatch <= 0 {
		opts.PurgeBatch = DefaultPurgeBatch
	}
	if opts.LockoutThreshold <= 0 {
		opts.LockoutThreshold = DefaultLockoutThreshold
	}
	if opts.LockoutDuration <= 0 {
		opts.LockoutDuration = DefaultLockoutDuration
	}
	if opts.Hasher == nil {
		p := DefaultArgon2Params
		opts.Hasher = argonHasher{params: &p}
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = http.DefaultClient
	}
	if opts.HashConcurrency <= 0 {
		opts.HashConcurrency = 2 * runtime.GOMAXPROCS(0)
	}
	if opts.HashWait <= 0 {
		opts.HashWait = DefaultHashWait
	}
	if opts.ResetPasswordTTL <= 0 {
		opts.ResetPasswordTTL = DefaultResetPasswordTTL
	}
	if opts.EmailVerification.TTL <= 0 {
		opts.EmailVerification.TTL = DefaultVerificationTTL
	}
	if opts.RequireEmailVerification {
		opts.EmailVerification.SendOnSignUp = true
	}
	if opts.TwoFactorIssuer == "" {
		opts.TwoFactorIssuer = DefaultTwoFactorIssuer
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	opts.JWT = opts.JWT.withDefaults(opts.BaseURL)
	p := &Plugin{opts: opts, trusted: map[string]bool{}, providers: map[string]*oidcProvider{},
		hashSlots: make(chan struct{}, opts.HashConcurrency)}
	for _, o := range opts.TrustedOrigins {
		if origin := originOf(o); origin != "" {
			p.trusted[origin] = true
		}
	}
	if origin := originOf(opts.BaseURL); origin != "" {
		p.trusted[origin] = true
	}
	return p
}

// Name implements objectos.Plugin.
func (p *Plugin) Name() string { return "auth" }

// Objects implements objectos.ObjectProvider.
func (p *Plugin) Objects() []*objectos.Object { return systemObjects() }

// selfEditable are the sys_user fields a user may change on their own row.
var selfEditable = map[string]bool{"name": true, "image": true}

// Hooks implements objectos.HookProvider:
//   - the identity write guard: a caller who is not an administrator may
//     change only the name and image of their own sys_user row;
//   - banning a user revokes their sessions at once;
//   - the audit log records bans, unbans, changes of role or permission
//     sets, and revoked sessions, in the transaction of the change.
func (p *Plugin) Hooks() []objectos.Hook {
	return []objectos.Hook{
		{Object: ObjUser, Events: []objectos.HookEvent{objectos.AfterUpdate}, Func: p.auditUserChange},
		{Object: ObjSession, Events: []objectos.HookEvent{objectos.AfterUpdate}, Func: p.auditRevocation},
		{Object: ObjUser, Events: []objectos.HookEvent{objectos.BeforeUpdate},
			Func: func(ctx context.Context, h *objectos.HookContext) error {
				if objectos.IsSystem(ctx) || h.Principal.IsAdmin() {
					return nil
				}
				if h.Principal == nil || h.Principal.UserID != h.ID {
					return objectos.Errorf(objectos.CodeRecordNotAccessible, "Only administrators can change other users.").
						With("object", ObjUser)
				}
				for k, v := range h.Input {
					// an unchanged value is no change (clients write back what they read)
					if !selfEditable[k] && k != objectos.FieldID && fmt.Sprint(v) != fmt.Sprint(h.Previous[k]) {
						return objectos.Errorf(objectos.CodeFieldNotAccessible, "Field '%s' can only be changed by an administrator.", k).
							With("field", k).With("object", ObjUser)
					}
				}
				return nil
			}},
		{Object: ObjUser, Events: []objectos.HookEvent{objectos.AfterUpdate},
			Func: func(ctx context.Context, h *objectos.HookContext) error {
				if h.Result["banned"] == true && h.Previous["banned"] != true {
					return p.RevokeSessions(ctx, h.ID, "banned")
				}
				if snapshot.Changed(h.Previous, h.Result) {
					return snapshot.Refresh(ctx, p.st, ObjSession, liveSessionsOf(h.ID), h.Result)
				}
				return nil
			}},
	}
}

// auditUserChange records a ban, an unban, or a change of a user's role or
// permission sets. The actor is the context's principal (the system when
// there is none).
func (p *Plugin) auditUserChange(ctx context.Context, h *objectos.HookContext) error {
	ev := audit.Event{TargetUserID: h.ID, Object: ObjUser, RecordID: h.ID}
	switch was, is := h.Previous["banned"] == true, h.Result["banned"] == true; {
	case is && !was:
		ev.Name, ev.Details = audit.UserBanned, map[string]any{"reason": h.Result["ban_reason"], "expires": h.Result["ban_expires"]}
	case was && !is:
		ev.Name = audit.UserUnbanned
	}
	if ev.Name != "" {
		if err := audit.Record(ctx, p.st, ev); err != nil {
			return err
		}
	}
	changes := map[string]any{}
	for _, k := range []string{"role", "permission_sets"} {
		if fmt.Sprint(h.Previous[k]) != fmt.Sprint(h.Result[k]) {
			changes[k] = map[string]any{"from": h.Previous[k], "to": h.Result[k]}
		}
	}
	if len(changes) == 0 {
		return nil
	}
	ev.Name, ev.Details = audit.PermissionsChanged, changes
	return audit.Record(ctx, p.st, ev)
}

// auditRevocation records a session's revocation: a sign-out, or a
// revocation whose reason ("revoked", "revoked_by_admin", "banned",
// "password_changed") is the entry's code.
func (p *Plugin) auditRevocation(ctx context.Context, h *objectos.HookContext) error {
	if h.Previous["revoked_at"] != nil || h.Result["revoked_at"] == nil {
		return nil
	}
	reason, _ := h.Result["revoke_reason"].(string)
	userID, _ := h.Result["user_id"].(string)
	ev := audit.Event{Name: audit.SessionRevoked, TargetUserID: userID, Object: ObjSession, RecordID: h.ID, Code: reason}
	if reason == "sign_out" {
		ev.Name = audit.SignOut
	}
	return audit.Record(ctx, p.st, ev)
}

// Init implements objectos.Initializer: it checks the providers and
// provisions the bootstrap admin.
func (p *Plugin) Init(ctx context.Context, st *objectos.Stack) error {
	p.st = st
	hash, err := p.opts.Hasher.Hash("objectos-dummy-password")
	if err != nil {
		return fmt.Errorf("auth: hasher: %w", err)
	}
	p.dummyHash = hash
	for _, pr := range p.opts.Providers {
		if err := pr.check(); err != nil {
			return err
		}
		if _, dup := p.providers[pr.ID]; dup {
			return fmt.Errorf("auth: two providers are named %q", pr.ID)
		}
		p.providers[pr.ID] = &oidcProvider{cfg: pr}
	}
	if err := p.initMail(st); err != nil {
		return err
	}
	if _, err := p.signingKey(ctx); err != nil {
		return fmt.Errorf("auth: JWT signing key: %w", err)
	}
	if p.opts.AdminEmail != "" || p.opts.AdminPassword != "" {
		if err := p.provisionAdmin(ctx); err != nil {
			return fmt.Errorf("auth: bootstrap admin: %w", err)
		}
	}
	if p.opts.PurgeInterval > 0 {
		p.purge = schedule.Every(p.opts.PurgeInterval, func(ctx context.Context) error {
			_, err := p.Purge(ctx)
			return err
		}, func(ctx context.Context, err error) {
			p.st.Logger().WarnContext(ctx, "auth: purge failed", "error", err.Error())
		})
	}
	return nil
}

// Close implements io.Closer: it stops the purge schedule and waits for
// the messages being sent (Stack.Close calls it).
func (p *Plugin) Close() error {
	p.purge.Stop()
	p.sending.Wait()
	return nil
}

func (p *Plugin) provisionAdmin(ctx context.Context) error {
	email, ok := normalizeEmail(p.opts.AdminEmail)
	if !ok {
		return errors.New("OS_ADMIN_EMAIL is not a valid email address")
	}
	if n := len(p.opts.AdminPassword); n < MinPasswordLength || n > MaxPasswordLength {
		return fmt.Errorf("OS_ADMIN_PASSWORD must be %d to %d characters", MinPasswordLength, MaxPasswordLength)
	}
	sys := objectos.AsSystem(ctx)
	if u, err := p.userByEmail(sys, email); err != nil || u != nil {
		return err
	}
	name, _, _ := strings.Cut(email, "@")
	// the operator named the address: it counts as verified
	_, err := p.createUser(sys, newUser{name: name, email: email, password: p.opts.AdminPassword, admin: true, emailVerified: true})
	return err
}

// Authenticate implements objectos.AuthPlugin: it resolves a session from
// Authorization: Bearer or the session cookie, and verifies a JWT of GET
// /auth/token sent as Authorization: Bearer (from its claims, with no
// database round trip). API keys (os_pk_…) are left to the apikey plugin.
func (p *Plugin) Authenticate(r *http.Request) (*objectos.Principal, error) {
	token, method := p.credentials(r)
	if token == ambiguousCookies {
		return nil, objectos.NewError(objectos.CodeInvalidToken, "Several session cookies were sent; sign in again.")
	}
	if token == "" {
		return nil, objectos.ErrNoCredentials
	}
	if method == objectos.AuthBearer && looksLikeJWT(token) {
		return p.verifyJWT(r.Context(), token)
	}
	if method == objectos.AuthSession && !safeMethod(r.Method) && !p.originAllowed(r) {
		return nil, objectos.NewError(objectos.CodePermissionDenied, "Cross-origin requests with a session cookie are not allowed.")
	}
	s, err := p.resolve(r.Context(), token)
	if err != nil {
		return nil, err
	}
	pr := s.principal(method)
	// the auth routes stay open, so they can turn two-factor on (the
	// path may reach here with or without the base path)
	if p.needsTwoFactor(s, pr) && !strings.HasPrefix(strings.TrimPrefix(r.URL.Path, p.st.BasePath()), "/auth/") {
		return nil, errTwoFactorRequired()
	}
	return pr, nil
}

// needsTwoFactor reports whether the session is an administrator's who
// must turn two-factor on first (Options.RequireTwoFactorForAdmins).
func (p *Plugin) needsTwoFactor(s *session, pr *objectos.Principal) bool {
	return p.opts.RequireTwoFactorForAdmins && pr.IsAdmin() && s.snap["u_two_factor"] != true
}

func errTwoFactorRequired() error {
	return objectos.NewError(objectos.CodePermissionDenied,
		"Administrators must turn on two-factor sign-in (POST /auth/two-factor/enable) first.").With("reason", "TWO_FACTOR_REQUIRED")
}

// errTwoFactorRequiredAuth is errTwoFactorRequired on the auth routes,
// whose envelope (better-auth's {code, message}) has no details.
var errTwoFactorRequiredAuth = aerr(http.StatusForbidden, "TWO_FACTOR_REQUIRED",
	"Administrators must turn on two-factor sign-in (POST /auth/two-factor/enable) first")

// credentials finds a session token: the bearer token first, then the
// cookie.
func (p *Plugin) credentials(r *http.Request) (string, objectos.AuthMethod) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		token = strings.TrimSpace(token)
		if strings.EqualFold(scheme, "Bearer") && token != "" && !strings.HasPrefix(token, "os_pk_") {
			return token, objectos.AuthBearer
		}
		return "", ""
	}
	// Only the name this request's cookie is set under counts: on a secure
	// request the __Secure- one, never a plain one planted over HTTP. A
	// sibling subdomain may still set a __Secure- cookie for the parent
	// domain, on a longer path so that browsers send it first: when the
	// name comes with several values, none is chosen.
	token := ""
	for _, c := range r.CookiesNamed(p.cookieName(r)) {
		v, err := url.QueryUnescape(c.Value)
		if err != nil {
			v = c.Value
		}
		switch {
		case v == "" || v == token:
		case token != "":
			return ambiguousCookies, objectos.AuthSession
		default:
			token = v
		}
	}
	if token == "" {
		return "", ""
	}
	return token, objectos.AuthSession
}

// ambiguousCookies is what credentials finds when the session cookie comes
// with several values (no token has this shape).
const ambiguousCookies = "\x00ambiguous"

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// originOf returns scheme://host of a URL, or "".
func originOf(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// requestOrigin is the server's own origin as the request reached it.
func (p *Plugin) requestOrigin(r *http.Request) string {
	if p.opts.BaseURL != "" {
		return originOf(p.opts.BaseURL)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return strings.ToLower(scheme + "://" + r.Host)
}

// originAllowed accepts requests without Origin (server-side clients) and
// those from the server's own origin, a trusted one, or one the Stack's
// CORS policy allows credentialed requests from.
func (p *Plugin) originAllowed(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	o = strings.ToLower(strings.TrimRight(o, "/"))
	return o == p.requestOrigin(r) || p.trusted[o] || p.st.OriginTrusted(o)
}

// cookieOriginAllowed is the Origin check of a state-changing request made
// with the caller's session: needed when the browser sent the session cookie
// by itself (the cross-site request forgery a cookie allows); a bearer
// token, which no page can make a browser send, needs none.
func (p *Plugin) cookieOriginAllowed(r *http.Request) bool {
	if _, m := p.credentials(r); m == objectos.AuthBearer {
		return true
	}
	return p.originAllowed(r)
}

// trustedRedirect reports whether an OAuth callback URL may be redirected
// to: a path on this server ("/…"), or an absolute http(s) URL on the
// server's own origin or a trusted one. Control characters, spaces and
// backslashes are refused anywhere, since browsers drop or rewrite them
// (turning "/\t/evil.example" or "/\\evil.example" into "//evil.example");
// the target is then resolved against the server's origin and its origin
// compared, so no spelling reaches another host.
func (p *Plugin) trustedRedirect(r *http.Request, target string) bool {
	if target == "" || len(target) > maxRedirectLength {
		return false
	}
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return false
		}
	}
	if !strings.HasPrefix(target, "/") && !strings.HasPrefix(strings.ToLower(target), "http://") &&
		!strings.HasPrefix(strings.ToLower(target), "https://") {
		return false
	}
	own := p.requestOrigin(r)
	base, err := url.Parse(own + "/")
	if err != nil {
		return false
	}
	u, err := url.Parse(target)
	if err != nil || u.User != nil || u.Opaque != "" {
		return false
	}
	abs := base.ResolveReference(u)
	if abs.Scheme != "http" && abs.Scheme != "https" || abs.Host == "" || abs.User != nil {
		return false
	}
	o := strings.ToLower(abs.Scheme + "://" + abs.Host)
	return o == own || p.trusted[o]
}

// maxRedirectLength bounds a callback URL.
const maxRedirectLength = 2048

func (p *Plugin) signUpEnabled() bool { return p.opts.SignUp != nil && *p.opts.SignUp }

func (p *Plugin) now() time.Time { return p.st.Now().UTC() }
