package auth

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/audit"
	"github.com/objectos-go/objectos/internal/snapshot"
)

// oidcProvider discovers its issuer on first use, so that an unreachable
// identity provider does not stop the server from starting.
type oidcProvider struct {
	cfg      Provider
	mu       sync.Mutex
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
}

func (op *oidcProvider) discover(ctx context.Context, client *http.Client) (*oidc.Provider, *oidc.IDTokenVerifier, error) {
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.provider != nil {
		return op.provider, op.verifier, nil
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, client), 10*time.Second)
	defer cancel()
	pr, err := oidc.NewProvider(ctx, op.cfg.Issuer)
	if err != nil {
		return nil, nil, objectos.NewError(objectos.CodeServiceUnavailable, "The identity provider is unavailable.").WithCause(err)
	}
	op.provider = pr
	op.verifier = pr.Verifier(&oidc.Config{ClientID: op.cfg.ClientID})
	return op.provider, op.verifier, nil
}

const (
	stateCookie = "objectos.oauth_state"
	stateTTL    = 10 * time.Minute
)

func (p *Plugin) oauthConfig(r *http.Request, op *oidcProvider, pr *oidc.Provider) *oauth2.Config {
	scopes := op.cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "email", "profile"}
	}
	return &oauth2.Config{
		ClientID:     op.cfg.ClientID,
		ClientSecret: op.cfg.ClientSecret,
		Endpoint:     pr.Endpoint(),
		RedirectURL:  p.requestOrigin(r) + p.st.BasePath() + "/auth/callback/" + url.PathEscape(op.cfg.ID),
		Scopes:       scopes,
	}
}

func (p *Plugin) signInSocial(w http.ResponseWriter, r *http.Request) {
	body, ok := p.postBody(w, r)
	if !ok {
		return
	}
	op := p.providers[str(body, "provider")]
	if op == nil {
		p.fail(w, r, errProviderNotFound)
		return
	}
	callbackURL := str(body, "callbackURL")
	if callbackURL == "" {
		callbackURL = "/"
	}
	errorURL, newUserURL := str(body, "errorCallbackURL"), str(body, "newUserCallbackURL")
	for _, u := range []string{callbackURL, errorURL, newUserURL} {
		if u != "" && !p.trustedRedirect(r, u) {
			p.fail(w, r, errInvalidCallback)
			return
		}
	}
	pr, _, err := op.discover(r.Context(), p.opts.HTTPClient)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	state, nonce, verifier := newToken(), newToken(), oauth2.GenerateVerifier()
	_, err = p.st.Create(objectos.AsSystem(r.Context()), ObjVerification, objectos.Record{
		"identifier": "oauth:" + hashToken(state),
		"value": map[string]any{"provider": op.cfg.ID, "verifier": verifier, "nonce": nonce,
			"callbackURL": callbackURL, "errorCallbackURL": errorURL, "newUserCallbackURL": newUserURL},
		"expires_at": objectos.FormatDatetime(p.now().Add(stateTTL)),
	})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: state, Path: p.st.BasePath() + "/auth/callback",
		MaxAge: int(stateTTL.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: p.secure(r)})
	authURL := p.oauthConfig(r, op, pr).AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))
	redirect := body["disableRedirect"] != true
	if redirect {
		w.Header().Set("Location", authURL)
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"url": authURL, "redirect": redirect})
}

// oauthState is what sign-in/social stored for the callback.
type oauthState struct {
	provider, verifier, nonce         string
	callbackURL, errorURL, newUserURL string
}

// takeState checks the state parameter against the browser's state cookie
// and consumes the stored state (single use, ten minutes).
func (p *Plugin) takeState(r *http.Request, providerID string) (*oauthState, error) {
	state := r.URL.Query().Get("state")
	c, err := r.Cookie(stateCookie)
	if state == "" || err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
		return nil, errInvalidState
	}
	sys := objectos.AsSystem(r.Context())
	row, err := p.findOne(sys, ObjVerification, objectos.Eq("identifier", "oauth:"+hashToken(state)))
	if err != nil {
		return nil, err
	}
	if row == nil {
		return nil, errInvalidState
	}
	if err := p.st.Delete(sys, ObjVerification, row["id"].(string), objectos.WriteOptions{}); err != nil {
		if objectos.IsCode(err, objectos.CodeRecordNotFound) {
			return nil, errInvalidState // consumed by a concurrent callback
		}
		return nil, err
	}
	v, _ := row["value"].(map[string]any)
	s := &oauthState{provider: str(v, "provider"), verifier: str(v, "verifier"), nonce: str(v, "nonce"),
		callbackURL: str(v, "callbackURL"), errorURL: str(v, "errorCallbackURL"), newUserURL: str(v, "newUserCallbackURL")}
	if !p.now().Before(parseTime(row["expires_at"])) || s.provider != providerID {
		return nil, errInvalidState
	}
	return s, nil
}

// redirectError sends the browser back to the application with ?error=code.
func (p *Plugin) redirectError(w http.ResponseWriter, r *http.Request, st *oauthState, code string, cause error) {
	if cause != nil {
		p.st.Logger().WarnContext(r.Context(), "auth: OAuth sign-in failed", "request_id", objectos.RequestID(r.Context()),
			"provider", st.provider, "error", code, "cause", cause.Error())
	}
	target := st.errorURL
	if target == "" {
		target = st.callbackURL
	}
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	http.Redirect(w, r, target+sep+"error="+url.QueryEscape(code), http.StatusFound)
}

func (p *Plugin) callback(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("provider")
	op := p.providers[id]
	if op == nil {
		p.fail(w, r, errProviderNotFound)
		return
	}
	st, err := p.takeState(r, id)
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: "", Path: p.st.BasePath() + "/auth/callback", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: p.secure(r)})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		p.redirectError(w, r, st, "provider_"+sanitizeCode(e), nil)
		return
	}
	ctx := oidc.ClientContext(r.Context(), p.opts.HTTPClient)
	pr, verifier, err := op.discover(r.Context(), p.opts.HTTPClient)
	if err != nil {
		p.redirectError(w, r, st, "provider_unavailable", err)
		return
	}
	tok, err := p.oauthConfig(r, op, pr).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(st.verifier))
	if err != nil {
		p.redirectError(w, r, st, "oauth_code_verification_failed", err)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		p.redirectError(w, r, st, "id_token_missing", nil)
		return
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		p.redirectError(w, r, st, "invalid_id_token", err)
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.nonce)) != 1 {
		p.redirectError(w, r, st, "invalid_nonce", nil)
		return
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
		Name          string `json:"name"`
		GivenName     string `json:"given_name"`
		FamilyName    string `json:"family_name"`
		Picture       string `json:"picture"`
	}
	if err := idt.Claims(&claims); err != nil {
		p.redirectError(w, r, st, "invalid_id_token", err)
		return
	}
	// Providers may keep profile claims out of the ID token: ask the
	// userinfo endpoint, which must speak of the same subject.
	if claims.Email == "" {
		ui, err := pr.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			p.redirectError(w, r, st, "failed_to_get_user_info", err)
			return
		}
		if ui.Subject != idt.Subject {
			p.redirectError(w, r, st, "failed_to_get_user_info", nil)
			return
		}
		if err := ui.Claims(&claims); err != nil {
			p.redirectError(w, r, st, "failed_to_get_user_info", err)
			return
		}
		claims.EmailVerified = ui.EmailVerified
	}
	verified := claims.EmailVerified == true || claims.EmailVerified == "true"
	user, created, code, err := p.linkOrCreate(r.Context(), op.cfg, idt.Subject, claims.Email, verified,
		firstNonEmpty(claims.Name, strings.TrimSpace(claims.GivenName+" "+claims.FamilyName)), claims.Picture)
	if err != nil || code != "" {
		p.redirectError(w, r, st, firstNonEmpty(code, "internal_error"), err)
		return
	}
	userID, _ := user["id"].(string)
	who := audit.Event{TargetUserID: userID, Details: map[string]any{"provider": id}}.FromRequest(p.st, r)
	if isBanned(user, p.now()) {
		p.signInFailed(r.Context(), who, errBanned)
		p.redirectError(w, r, st, "banned", nil)
		return
	}
	var s *session
	err = p.st.Transact(objectos.AsSystem(r.Context()), func(ctx context.Context) error {
		var err error
		if s, err = p.createSession(ctx, r, user, true); err != nil {
			return err
		}
		who.Name, who.ActorID, who.Object, who.RecordID = audit.SignIn, userID, ObjSession, s.id
		return audit.Record(ctx, p.st, who)
	})
	if err != nil {
		p.redirectError(w, r, st, "internal_error", err)
		return
	}
	p.setSession(w, r, s)
	target := st.callbackURL
	if created && st.newUserURL != "" {
		target = st.newUserURL
	}
	http.Redirect(w, r, target, http.StatusFound)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func sanitizeCode(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' {
			b.WriteRune(c)
		}
		if b.Len() >= 40 {
			break
		}
	}
	return b.String()
}

// linkOrCreate finds the user of an external identity: by its linked
// account, or by verified email (linking the account), or creates one when
// sign-up allows it. It returns an error code for refusals.
func (p *Plugin) linkOrCreate(ctx context.Context, pr Provider, subject, rawEmail string, verified bool, name, picture string) (objectos.Record, bool, string, error) {
	sys := objectos.AsSystem(ctx)
	if subject == "" {
		return nil, false, "invalid_id_token", nil
	}
	acct, err := p.findOne(sys, ObjAccount, objectos.And(objectos.Eq("provider_id", pr.ID), objectos.Eq("account_id", subject)))
	if err != nil {
		return nil, false, "", err
	}
	if acct != nil {
		u, err := p.st.Get(sys, ObjUser, acct["user_id"].(string), objectos.GetOptions{})
		if err != nil {
			return nil, false, "", err
		}
		return u.Record, false, "", nil
	}
	email, ok := normalizeEmail(rawEmail)
	if !ok {
		return nil, false, "email_not_found", nil
	}
	account := objectos.Record{"provider_id": pr.ID, "account_id": subject, "scope": strings.Join(pr.Scopes, " ")}
	existing, err := p.userByEmail(sys, email)
	if err != nil {
		return nil, false, "", err
	}
	if existing != nil {
		if !verified {
			return nil, false, "account_not_linked", nil
		}
		userID := existing["id"].(string)
		err := p.st.Transact(sys, func(ctx context.Context) error {
			if existing["email_verified"] != true {
				// Nobody proved this address before; the provider does now.
				// Whoever registered it first (perhaps not its owner, who
				// would otherwise sign in to an account someone else holds
				// the password of) loses every way in: the password, the
				// sessions and the keys.
				if err := p.claim(ctx, userID); err != nil {
					return err
				}
				existing["email_verified"] = true
			}
			account["user_id"] = userID
			_, err := p.st.Create(ctx, ObjAccount, account)
			return err
		})
		if err != nil {
			return nil, false, "", err
		}
		return existing, false, "", nil
	}
	hasUsers, err := p.hasUsers(sys)
	if err != nil {
		return nil, false, "", err
	}
	if hasUsers && !p.signUpEnabled() && !pr.AllowSignUp {
		return nil, false, "signup_disabled", nil
	}
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	if !validURL(picture) {
		picture = ""
	}
	u, err := p.createUser(ctx, newUser{name: name, email: email, emailVerified: verified, image: picture, account: account})
	if err != nil {
		return nil, false, "", err
	}
	return u, true, "", nil
}

// claim hands an account whose email was never verified to the identity
// that has just proven it: the password goes, every credential of the
// account (sessions, keys) is revoked, and the email is verified.
func (p *Plugin) claim(ctx context.Context, userID string) error {
	sys := objectos.AsSystem(ctx)
	err := snapshot.Each(sys, p.st, ObjAccount, objectos.And(objectos.Eq("user_id", userID), objectos.Eq("provider_id", credentialProvider)),
		func(ctx context.Context, id string) error {
			return p.st.Delete(ctx, ObjAccount, id, objectos.WriteOptions{})
		})
	if err != nil {
		return err
	}
	if err := p.st.RevokeCredentials(sys, userID, "account_claimed"); err != nil {
		return err
	}
	_, err = p.st.Update(sys, ObjUser, userID, objectos.Record{"email_verified": true}, objectos.WriteOptions{})
	return err
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return s != "" && len(s) <= 2048 && err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
