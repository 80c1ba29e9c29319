package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/audit"
)

// authError is better-auth's error body {code, message}.
type authError struct {
	status     int
	retryAfter int    // seconds, for the Retry-After header; 0 for none
	Code       string `json:"code"`
	Message    string `json:"message"`
}

func (e *authError) Error() string { return e.Code + ": " + e.Message }

func aerr(status int, code, message string) *authError {
	return &authError{status: status, Code: code, Message: message}
}

var (
	errInvalidCredentials = aerr(http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password")
	errInvalidEmail       = aerr(http.StatusBadRequest, "INVALID_EMAIL", "Invalid email")
	errPasswordTooShort   = aerr(http.StatusBadRequest, "PASSWORD_TOO_SHORT", "Password too short")
	errPasswordTooLong    = aerr(http.StatusBadRequest, "PASSWORD_TOO_LONG", "Password too long")
	errUserExists         = aerr(http.StatusUnprocessableEntity, "USER_ALREADY_EXISTS", "User already exists. Use another email.")
	errSignUpDisabled     = aerr(http.StatusForbidden, "SIGN_UP_DISABLED", "Sign-up is disabled")
	errAccountLocked      = aerr(http.StatusForbidden, "ACCOUNT_LOCKED", "Too many failed sign-in attempts; try again later")
	errBanned             = aerr(http.StatusForbidden, "BANNED_USER", "You have been banned from this application")
	errInvalidOrigin      = aerr(http.StatusForbidden, "INVALID_ORIGIN", "Invalid origin")
	errInvalidBody        = aerr(http.StatusBadRequest, "INVALID_REQUEST_BODY", "The request body is not valid JSON")
	errUnsupportedMedia   = aerr(http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "Send JSON or form data")
	errTooLarge           = aerr(http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "The request body is too large")
	errProviderNotFound   = aerr(http.StatusNotFound, "PROVIDER_NOT_FOUND", "Provider not found")
	errInvalidCallback    = aerr(http.StatusForbidden, "INVALID_CALLBACK_URL", "Invalid callbackURL")
	errInvalidState       = aerr(http.StatusBadRequest, "INVALID_STATE", "The sign-in state is missing, expired or forged; start again")
	errNotFound           = aerr(http.StatusNotFound, "NOT_FOUND", "Not found")
	errPasswordRequired   = aerr(http.StatusBadRequest, "VALIDATION_ERROR", "password is required and must be a string")
)

// fail writes an error on the auth routes in better-auth's envelope.
func (p *Plugin) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *authError
	if errors.As(err, &ae) {
		switch {
		case ae.retryAfter > 0:
			w.Header().Set("Retry-After", strconv.Itoa(ae.retryAfter))
		case ae.status == http.StatusServiceUnavailable:
			w.Header().Set("Retry-After", "1")
		}
		objectos.WriteJSON(w, ae.status, ae)
		return
	}
	e := p.st.LogError(r, err)
	code := string(e.Code)
	if e.Code == objectos.CodeValidationFailed && len(e.Fields) > 0 {
		code = "VALIDATION_ERROR"
	}
	objectos.WriteJSON(w, e.HTTPStatus(), &authError{Code: code, Message: e.Message})
}

// Routes implements objectos.RouteProvider.
func (p *Plugin) Routes(r *objectos.Router) {
	p.st = r.Stack()
	// Every auth response is about credentials or a session: no cache may
	// keep it. The routes that check a password or start a sign-in draw
	// from the auth rate-limit bucket (per client IP); the others are reads
	// and writes like any route.
	r = r.With(objectos.NoStore(), objectos.ErrorWriter(p.fail))
	guarded := objectos.RateLimitBucket(objectos.BucketAuth)
	r.HandleFunc(http.MethodPost, "/auth/sign-up/email", p.signUpEmail, guarded)
	r.HandleFunc(http.MethodPost, "/auth/sign-in/email", p.signInEmail, guarded)
	r.HandleFunc(http.MethodPost, "/auth/sign-out", p.signOut)
	r.HandleFunc(http.MethodGet, "/auth/get-session", p.getSession)
	r.HandleFunc(http.MethodGet, "/auth/bootstrap-status", p.bootstrapStatus)
	r.HandleFunc(http.MethodGet, "/auth/config", p.config)
	r.HandleFunc(http.MethodPost, "/auth/sign-in/social", p.signInSocial, guarded)
	r.HandleFunc(http.MethodGet, "/auth/callback/{provider}", p.callback)
	r.HandleFunc(http.MethodPost, "/auth/change-password", p.changePassword, guarded)
	r.HandleFunc(http.MethodGet, "/auth/token", p.token)
	r.HandleFunc(http.MethodGet, "/auth/jwks", p.jwks)
	p.resetRoutes(r, guarded)
	p.verifyRoutes(r, guarded)
	p.accountRoutes(r)
	p.adminRoutes(r)
	p.twoFactorRoutes(r, guarded)
	r.HandleFunc("", "/auth/", func(w http.ResponseWriter, r *http.Request) { p.fail(w, r, errNotFound) })
}

const maxAuthBody = 64 << 10

// readBody decodes a JSON or form-encoded body into a string-keyed map.
func readBody(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAuthBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge
		}
		return nil, errInvalidBody
	}
	switch {
	case mt == "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, errInvalidBody
		}
		out := map[string]any{}
		for k, v := range vals {
			out[k] = v[0]
		}
		return out, nil
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || (mt == "" && len(bytes.TrimSpace(raw)) > 0):
		if len(bytes.TrimSpace(raw)) == 0 {
			return map[string]any{}, nil
		}
		var out map[string]any
		if err := json.Unmarshal(raw, &out); err != nil || out == nil {
			return nil, errInvalidBody
		}
		return out, nil
	case len(bytes.TrimSpace(raw)) == 0:
		return map[string]any{}, nil
	}
	return nil, errUnsupportedMedia
}

func str(body map[string]any, k string) string {
	s, _ := body[k].(string)
	return s
}

// userJSON is better-auth's user shape.
func userJSON(u objectos.Record) map[string]any {
	out := map[string]any{
		"id": u["id"], "name": u["name"], "email": u["email"], "emailVerified": u["email_verified"] == true,
		"image": u["image"], "createdAt": u["created_at"], "updatedAt": u["updated_at"],
		"role": u["role"], "banned": u["banned"] == true, "twoFactorEnabled": u["two_factor_enabled"] == true, "banReason": u["ban_reason"], "banExpires": u["ban_expires"],
	}
	return out
}

func sessionJSON(s *session) map[string]any {
	return map[string]any{
		"id": s.id, "token": s.token, "userId": s.userID,
		"expiresAt": objectos.FormatDatetime(s.expiresAt), "createdAt": objectos.FormatDatetime(s.createdAt),
		"updatedAt": objectos.FormatDatetime(s.updatedAt), "ipAddress": s.ip, "userAgent": s.ua,
	}
}

func checkPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLength:
		return errPasswordTooShort
	case n > MaxPasswordLength:
		return errPasswordTooLong
	}
	return nil
}

func rememberMe(body map[string]any) bool {
	switch v := body["rememberMe"].(type) {
	case bool:
		return v
	case string:
		return v != "false"
	}
	return true
}

// postBody checks the Origin of a state-changing auth request and reads its
// body; on failure it has answered already.
func (p *Plugin) postBody(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	if !p.originAllowed(r) {
		p.fail(w, r, errInvalidOrigin)
		return nil, false
	}
	return p.readBody(w, r)
}

func (p *Plugin) readBody(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	body, err := readBody(w, r)
	if err != nil {
		p.fail(w, r, err)
		return nil, false
	}
	return body, true
}

// signInBody is postBody for the routes that start a session. A page on a
// trusted origin gets the session cookie; a page on an origin the CORS
// policy allows without credentials gets the token only (no cookie, so a
// forged form post from such a site cannot sign a browser in); any other
// origin is refused. withCookie says which.
func (p *Plugin) signInBody(w http.ResponseWriter, r *http.Request) (body map[string]any, withCookie, ok bool) {
	switch {
	case p.originAllowed(r):
		withCookie = true
	case p.st.OriginAllowed(r.Header.Get("Origin")):
	default:
		p.fail(w, r, errInvalidOrigin)
		return nil, false, false
	}
	body, ok = p.readBody(w, r)
	return body, withCookie, ok
}

func (p *Plugin) signUpEmail(w http.ResponseWriter, r *http.Request) {
	body, withCookie, ok := p.signInBody(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	hasUsers, err := p.hasUsers(ctx)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if hasUsers && !p.signUpEnabled() {
		p.fail(w, r, errSignUpDisabled)
		return
	}
	email, password, name, err := accountFields(body)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	sendVerification := p.opts.EmailVerification.SendOnSignUp && p.opts.Mailer != nil
	callbackURL := ""
	if sendVerification {
		var err error
		if callbackURL, err = p.callbackOf(r, body); err != nil {
			p.fail(w, r, err)
			return
		}
	}
	if err := p.emailFree(ctx, email, errUserExists); err != nil {
		p.fail(w, r, err)
		return
	}
	user, err := p.createUser(ctx, newUser{name: name, email: email, password: password, image: str(body, "image")})
	if objectos.IsCode(err, objectos.CodeUniqueViolation) {
		err = errUserExists
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if sendVerification && user["email_verified"] != true {
		if err := p.mailVerification(objectos.AsSystem(ctx), r, user, "", callbackURL, false); err != nil {
			p.fail(w, r, err)
			return
		}
	}
	if p.opts.RequireEmailVerification && user["email_verified"] != true {
		// no session until the address is verified, as better-auth
		objectos.WriteJSON(w, http.StatusOK, map[string]any{"token": nil, "user": userJSON(user)})
		return
	}
	remember := rememberMe(body)
	s, err := p.createSession(ctx, r, user, remember)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.startSession(w, r, s, withCookie)
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"token": s.token, "user": userJSON(user)})
}

// accountFields reads the email, password and name of a new password
// account (sign-up, an administrator's create-user): the email normalized,
// the password's length checked, the name the address's local part when
// none is given.
func accountFields(body map[string]any) (email, password, name string, err error) {
	email, ok := normalizeEmail(str(body, "email"))
	if !ok {
		return "", "", "", errInvalidEmail
	}
	password = str(body, "password")
	if err := checkPassword(password); err != nil {
		return "", "", "", err
	}
	name = strings.TrimSpace(str(body, "name"))
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	return email, password, name, nil
}

// emailFree answers taken when a user has the address already.
func (p *Plugin) emailFree(ctx context.Context, email string, taken error) error {
	existing, err := p.userByEmail(objectos.AsSystem(ctx), email)
	if err == nil && existing != nil {
		err = taken
	}
	return err
}

// signInEmail checks the password with the same work and the same answer
// whether or not the email exists: an unknown email is verified against a
// dummy hash, and failed attempts are counted per email either way.
func (p *Plugin) signInEmail(w http.ResponseWriter, r *http.Request) {
	body, withCookie, ok := p.signInBody(w, r)
	if !ok {
		return
	}
	email, ok := normalizeEmail(str(body, "email"))
	if !ok {
		p.fail(w, r, errInvalidEmail)
		return
	}
	password, isString := body["password"].(string)
	if !isString {
		p.fail(w, r, errPasswordRequired)
		return
	}
	if len(password) > 4*MaxPasswordLength {
		password = password[:4*MaxPasswordLength] // bound the hashing work; such a password never matches
	}
	ctx := r.Context()
	sys := objectos.AsSystem(ctx)
	now := p.now()
	user, err := p.userByEmail(sys, email)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	userID := ""
	if user != nil {
		userID = user["id"].(string)
	}
	hash, err := p.credentialHash(sys, userID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	known := hash != "" && user != nil
	if !known {
		hash = p.dummyHash // the same work for an unknown email, which never matches
	}
	who := audit.Event{TargetUserID: userID, Details: map[string]any{"email": email}}.FromRequest(p.st, r)
	err = p.verifyGuarded(ctx, attemptIdentifier(email), password, hash, known, who)
	if err == nil && isBanned(user, now) {
		err = errBanned
	}
	if err == nil && p.opts.RequireEmailVerification && user["email_verified"] != true {
		err = errEmailNotVerified // only once the password is right, as better-auth
	}
	if err != nil {
		p.signInFailed(ctx, who, err)
		p.fail(w, r, err)
		return
	}
	if user["two_factor_enabled"] == true {
		// the password is right; a browser the user trusts goes on
		trusted, err := p.useTrustedDevice(ctx, w, r, userID)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		if trusted {
			who.Details["trustedDevice"] = true
			p.finishSignIn(w, r, user, rememberMe(body), withCookie, who)
			return
		}
		// the session waits for the second factor
		if err := p.startTwoFactor(w, r, user, rememberMe(body)); err != nil {
			p.fail(w, r, err)
			return
		}
		// twoFactorMethods as better-auth's: its client hands them to
		// onTwoFactorRedirect, for the app to pick the form it shows
		objectos.WriteJSON(w, http.StatusOK, map[string]any{"twoFactorRedirect": true, "twoFactorMethods": []string{"totp"}})
		return
	}
	p.finishSignIn(w, r, user, rememberMe(body), withCookie, who)
}

// finishSignIn starts the session of a user whose sign-in succeeded,
// records it, and answers {redirect, token, user}.
func (p *Plugin) finishSignIn(w http.ResponseWriter, r *http.Request, user objectos.Record, remember, withCookie bool, who audit.Event) {
	sys := objectos.AsSystem(r.Context())
	userID, _ := user["id"].(string)
	now := p.now()
	var s *session
	err := p.st.Transact(sys, func(ctx context.Context) error {
		var err error
		if s, err = p.createSession(ctx, r, user, remember); err != nil {
			return err
		}
		who.Name, who.ActorID, who.Object, who.RecordID = audit.SignIn, userID, ObjSession, s.id
		return audit.Record(ctx, p.st, who)
	})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if _, err := p.st.Update(sys, ObjUser, userID, objectos.Record{"last_login_at": objectos.FormatDatetime(now)}, objectos.WriteOptions{}); err == nil {
		user["last_login_at"] = objectos.FormatDatetime(now)
	}
	p.startSession(w, r, s, withCookie)
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"redirect": false, "token": s.token, "user": userJSON(user)})
}

// signInFailed records a sign-in refused for a reason of the auth routes
// (a wrong password, a lock, a ban, no free hashing slot); a technical
// failure is logged by fail instead. The entry has no transaction to join.
func (p *Plugin) signInFailed(ctx context.Context, who audit.Event, err error) {
	var ae *authError
	if !errors.As(err, &ae) {
		return
	}
	who.Name, who.Code = audit.SignInFailed, ae.Code
	if rerr := audit.Record(objectos.AsSystem(ctx), p.st, who); rerr != nil {
		p.st.Logger().WarnContext(ctx, "auth: audit log", "event", who.Name, "error", rerr.Error())
	}
}

// asCaller is the request's context with the session's principal, so that
// the audit log names the caller as the actor of what a route does.
func (p *Plugin) asCaller(r *http.Request, s *session) context.Context {
	_, method := p.credentials(r)
	return objectos.WithPrincipal(r.Context(), s.principal(method))
}

// currentSession is the request's session, or nil when it has none, an
// invalid one, or authenticated otherwise (an API key). It goes through the
// Stack's authentication, which runs once per request: resolving a session
// may extend it, and the route must see that to send the cookie again.
func (p *Plugin) currentSession(r *http.Request) (*session, error) {
	pr, err := p.st.Authenticate(r)
	if err != nil {
		if errors.Is(err, objectos.ErrNoCredentials) || objectos.AsError(err).HTTPStatus() == http.StatusUnauthorized {
			return nil, nil
		}
		return nil, err
	}
	s, _ := pr.Credential.(*session)
	return s, nil
}

func (p *Plugin) getSession(w http.ResponseWriter, r *http.Request) {
	s, err := p.currentSession(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if s == nil {
		objectos.WriteJSON(w, http.StatusOK, nil)
		return
	}
	u, err := p.st.Get(objectos.AsSystem(r.Context()), ObjUser, s.userID, objectos.GetOptions{})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if s.refreshed {
		p.setSession(w, r, s)
	}
	// a fresh JWT in set-auth-jwt, as better-auth's jwt plugin adds it
	if !p.needsTwoFactor(s, s.principal(objectos.AuthSession)) {
		if t, err := p.signJWT(r.Context(), s); err == nil {
			w.Header().Set("set-auth-jwt", t)
		} else {
			p.st.Logger().WarnContext(r.Context(), "auth: no JWT for get-session", "request_id", objectos.RequestID(r.Context()), "err", err)
		}
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"session": sessionJSON(s), "user": userJSON(u.Record)})
}

func (p *Plugin) signOut(w http.ResponseWriter, r *http.Request) {
	if !p.cookieOriginAllowed(r) {
		p.fail(w, r, errInvalidOrigin)
		return
	}
	s, err := p.currentSession(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if s != nil {
		if err := p.revoke(p.asCaller(r, s), s.id, "sign_out"); err != nil {
			p.fail(w, r, err)
			return
		}
	}
	p.clearCookie(w, r)
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"success": true})
}

func (p *Plugin) bootstrapStatus(w http.ResponseWriter, r *http.Request) {
	has, err := p.hasUsers(r.Context())
	if err != nil {
		p.fail(w, r, err)
		return
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"hasOwner": has})
}

func (p *Plugin) config(w http.ResponseWriter, r *http.Request) {
	providers := make([]map[string]any, 0, len(p.opts.Providers))
	for _, pr := range p.opts.Providers {
		name := pr.Name
		if name == "" {
			name = pr.ID
		}
		kind := "social" // upstream's word for an OAuth 2.0 provider
		if pr.Issuer != "" {
			kind = "oidc"
		}
		providers = append(providers, map[string]any{"id": pr.ID, "name": name, "enabled": true, "type": kind})
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{
		"emailPassword": map[string]any{
			"enabled": true, "disableSignUp": !p.signUpEnabled(), "requireEmailVerification": p.opts.RequireEmailVerification,
			"minPasswordLength": MinPasswordLength, "maxPasswordLength": MaxPasswordLength,
		},
		"socialProviders": providers,
		"features":        map[string]any{"twoFactor": true, "organization": false, "ssoEnforced": false},
	})
}
