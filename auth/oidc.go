package auth

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/audit"
	"github.com/objectos-go/objectos/internal/snapshot"
)

// oidcProvider is a configured Provider. An OpenID Connect one discovers
// its issuer on first use, so that an unreachable identity provider does
// not stop the server from starting.
type oidcProvider struct {
	cfg      Provider
	mu       sync.Mutex
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
}

func (op *oidcProvider) isOIDC() bool { return op.cfg.Issuer != "" }

// endpoint returns the provider's authorization and token endpoints,
// discovering them first for OpenID Connect.
func (op *oidcProvider) endpoint(ctx context.Context, client *http.Client) (oauth2.Endpoint, error) {
	if !op.isOIDC() {
		return oauth2.Endpoint{AuthURL: op.cfg.AuthURL, TokenURL: op.cfg.TokenURL}, nil
	}
	pr, _, err := op.discover(ctx, client)
	if err != nil {
		return oauth2.Endpoint{}, err
	}
	return pr.Endpoint(), nil
}

func (op *oidcProvider) discover(ctx context.Context, client *http.Client) (*oidc.Provider, *oidc.IDTokenVerifier, error) {
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.provider != nil {
		return op.provider, op.verifier, nil
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, client), 10*time.Second)
	defer cancel()
	if op.cfg.multiTenant != "" {
		ctx = oidc.InsecureIssuerURLContext(ctx, op.cfg.tenantIssuer("{tenantid}"))
	}
	pr, err := oidc.NewProvider(ctx, op.cfg.Issuer)
	if err != nil {
		return nil, nil, objectos.NewError(objectos.CodeServiceUnavailable, "The identity provider is unavailable.").WithCause(err)
	}
	op.provider = pr
	// a multi-tenant token's issuer is its tenant's: checked in callback
	op.verifier = pr.Verifier(&oidc.Config{ClientID: op.cfg.ClientID, SkipIssuerCheck: op.cfg.multiTenant != ""})
	return op.provider, op.verifier, nil
}

const (
	stateCookie = "objectos.oauth_state"
	stateTTL    = 10 * time.Minute
)

func (p *Plugin) oauthConfig(r *http.Request, op *oidcProvider, ep oauth2.Endpoint) *oauth2.Config {
	scopes := op.cfg.Scopes
	if len(scopes) == 0 && op.isOIDC() {
		scopes = []string{oidc.ScopeOpenID, "email", "profile"}
	}
	return &oauth2.Config{
		ClientID:     op.cfg.ClientID,
		ClientSecret: op.cfg.ClientSecret,
		Endpoint:     ep,
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
	ep, err := op.endpoint(r.Context(), p.opts.HTTPClient)
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
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	if op.isOIDC() {
		opts = append(opts, oidc.Nonce(nonce))
	}
	authURL := p.oauthConfig(r, op, ep).AuthCodeURL(state, opts...)
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
	ep, err := op.endpoint(r.Context(), p.opts.HTTPClient)
	if err != nil {
		p.redirectError(w, r, st, "provider_unavailable", err)
		return
	}
	tok, err := p.oauthConfig(r, op, ep).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(st.verifier))
	if err != nil {
		p.redirectError(w, r, st, "oauth_code_verification_failed", err)
		return
	}
	var who *identity
	var code string
	if op.isOIDC() {
		who, code, err = p.oidcIdentity(ctx, op, tok, st.nonce)
	} else {
		who, code, err = p.oauthIdentity(ctx, op, tok)
	}
	if code != "" {
		p.redirectError(w, r, st, code, err)
		return
	}
	user, created, code, err := p.linkOrCreate(r.Context(), op.cfg, who.subject, who.email, who.verified, who.name, who.picture)
	if err != nil || code != "" {
		p.redirectError(w, r, st, firstNonEmpty(code, "internal_error"), err)
		return
	}
	userID, _ := user["id"].(string)
	ev := audit.Event{TargetUserID: userID, Details: map[string]any{"provider": id}}.FromRequest(p.st, r)
	if isBanned(user, p.now()) {
		p.signInFailed(r.Context(), ev, errBanned)
		p.redirectError(w, r, st, "banned", nil)
		return
	}
	var s *session
	err = p.st.Transact(objectos.AsSystem(r.Context()), func(ctx context.Context) error {
		var err error
		if s, err = p.createSession(ctx, r, user, true); err != nil {
			return err
		}
		ev.Name, ev.ActorID, ev.Object, ev.RecordID = audit.SignIn, userID, ObjSession, s.id
		return audit.Record(ctx, p.st, ev)
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

// identity is who a provider says signed in.
type identity struct {
	subject, email string
	verified       bool
	name, picture  string
}

// oidcIdentity reads the identity from the ID token of an OpenID Connect
// sign-in (and the userinfo endpoint when the token has no email). code is
// the error the browser is sent back with, err its logged cause.
func (p *Plugin) oidcIdentity(ctx context.Context, op *oidcProvider, tok *oauth2.Token, nonce string) (*identity, string, error) {
	pr, verifier, err := op.discover(ctx, p.opts.HTTPClient)
	if err != nil {
		return nil, "provider_unavailable", err
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, "id_token_missing", nil
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		return nil, "invalid_id_token", err
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return nil, "invalid_nonce", nil
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
		Name          string `json:"name"`
		GivenName     string `json:"given_name"`
		FamilyName    string `json:"family_name"`
		Picture       string `json:"picture"`
		TenantID      string `json:"tid"`
	}
	if err := idt.Claims(&claims); err != nil {
		return nil, "invalid_id_token", err
	}
	if op.cfg.multiTenant != "" && (!tenantIDRE.MatchString(claims.TenantID) || idt.Issuer != op.cfg.tenantIssuer(claims.TenantID)) {
		return nil, "invalid_id_token", fmt.Errorf("issuer %q is not the issuer of tenant %q", idt.Issuer, claims.TenantID)
	}
	if op.cfg.verifiedClaim != "" {
		// the provider's own claim, read only where there is one
		all := map[string]any{}
		if err := idt.Claims(&all); err != nil {
			return nil, "invalid_id_token", err
		}
		claims.EmailVerified = all[op.cfg.verifiedClaim]
	}
	// Providers may keep profile claims out of the ID token: ask the
	// userinfo endpoint, which must speak of the same subject.
	if claims.Email == "" {
		ui, err := pr.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return nil, "failed_to_get_user_info", err
		}
		if ui.Subject != idt.Subject {
			return nil, "failed_to_get_user_info", nil
		}
		if err := ui.Claims(&claims); err != nil {
			return nil, "failed_to_get_user_info", err
		}
		claims.EmailVerified = ui.EmailVerified
		if op.cfg.verifiedClaim != "" {
			claims.EmailVerified = false
		}
	}
	return &identity{subject: idt.Subject, email: claims.Email, verified: isTrue(claims.EmailVerified),
		name:    firstNonEmpty(claims.Name, strings.TrimSpace(claims.GivenName+" "+claims.FamilyName)),
		picture: claims.Picture}, "", nil
}

// tenantIDRE matches a Microsoft tenant ID (a GUID).
var tenantIDRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isTrue(v any) bool { return v == true || v == "true" }

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
// that has just proven it: every way in that whoever registered the
// address kept goes — the password and the links of other identities (a
// provider that did not verify the address let them sign up with it) —
// every credential of the account (sessions, keys) is revoked, and the
// email is verified.
func (p *Plugin) claim(ctx context.Context, userID string) error {
	sys := objectos.AsSystem(ctx)
	err := snapshot.Each(sys, p.st, ObjAccount, objectos.Eq("user_id", userID),
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
