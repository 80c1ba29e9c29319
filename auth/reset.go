package auth

import (
	"context"
	"net/http"
	"net/url"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/audit"
)

// Password reset, as better-auth's: request-password-reset mails a link to
// GET reset-password/{token}, which sends the browser to the application's
// redirectTo with ?token=…; the application's form posts the token and the
// new password to POST reset-password.

var (
	errResetDisabled   = aerr(http.StatusBadRequest, "RESET_PASSWORD_DISABLED", "Reset password isn't enabled")
	errInvalidRedirect = aerr(http.StatusForbidden, "INVALID_REDIRECT_URL", "Invalid redirectURL")
	errResetUserGone   = aerr(http.StatusBadRequest, "USER_NOT_FOUND", "User not found")
	errNewPassword     = aerr(http.StatusBadRequest, "VALIDATION_ERROR", "newPassword is required and must be a string")
	errCallbackNeeded  = aerr(http.StatusBadRequest, "VALIDATION_ERROR", "callbackURL is required")
	errNotString       = func(k string) *authError {
		return aerr(http.StatusBadRequest, "VALIDATION_ERROR", k+" must be a string")
	}
)

// resetRequested is request-password-reset's answer, the same whether or
// not the address belongs to a user.
var resetRequested = map[string]any{"status": true, "message": "If this email exists in our system, check your email for the reset link"}

func (p *Plugin) resetRoutes(r *objectos.Router, guarded objectos.RouteOption) {
	r.HandleFunc(http.MethodPost, "/auth/request-password-reset", p.requestPasswordReset, guarded)
	r.HandleFunc(http.MethodGet, "/auth/reset-password/{token}", p.resetPasswordCallback, guarded)
	r.HandleFunc(http.MethodPost, "/auth/reset-password", p.resetPassword, guarded)
}

// optionalString reads an optional string field of a body.
func optionalString(body map[string]any, k string) (string, error) {
	switch v := body[k].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	}
	return "", errNotString(k)
}

// requestPasswordReset mails a reset link to a user's address. Whether or
// not the address is a user's, it does the same work (a token is made and
// looked up or stored, a message rendered, the request audited) and gives
// the same answer; the message is sent after the answer.
func (p *Plugin) requestPasswordReset(w http.ResponseWriter, r *http.Request) {
	body, ok := p.postBody(w, r)
	if !ok {
		return
	}
	email, ok := normalizeEmail(str(body, "email"))
	if !ok {
		p.fail(w, r, errInvalidEmail)
		return
	}
	redirectTo, err := optionalString(body, "redirectTo")
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if redirectTo != "" && !p.trustedRedirect(r, redirectTo) {
		p.fail(w, r, errInvalidRedirect)
		return
	}
	if p.opts.Mailer == nil {
		p.fail(w, r, errResetDisabled)
		return
	}
	ctx := r.Context()
	sys := objectos.AsSystem(ctx)
	user, err := p.userByEmail(sys, email)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	who := audit.Event{Name: audit.PasswordResetRequested}.FromRequest(p.st, r)
	var token, name string
	if user != nil {
		userID := user["id"].(string)
		name, _ = user["name"].(string)
		who.TargetUserID, who.Object, who.RecordID = userID, ObjUser, userID
		token, err = p.issueLinkToken(sys, purposeResetPassword, userID, map[string]any{"userId": userID}, p.opts.ResetPasswordTTL)
	} else {
		// the lookup a use of the token costs, in place of its storing
		who.Code, who.Details = "unknown_email", map[string]any{"email": email}
		token = newToken()
		_, err = p.findLinkToken(sys, purposeResetPassword, token)
	}
	if err == nil {
		err = audit.Record(sys, p.st, who)
	}
	if err == nil {
		link := p.link(r, "reset-password/"+token, url.Values{"callbackURL": {redirectTo}})
		err = p.sendMail(ctx, mailResetPassword, MailData{Name: name, Email: email, URL: link,
			ExpiresIn: expiresIn(p.opts.ResetPasswordTTL)}, user == nil)
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	objectos.WriteJSON(w, http.StatusOK, resetRequested)
}

// resetPasswordCallback is the link of the message: it sends the browser
// on to callbackURL with ?token=… while the token is good, else with
// ?error=INVALID_TOKEN. It does not use the token up.
func (p *Plugin) resetPasswordCallback(w http.ResponseWriter, r *http.Request) {
	callbackURL := r.URL.Query().Get("callbackURL")
	if callbackURL == "" {
		p.fail(w, r, errCallbackNeeded)
		return
	}
	if !p.trustedRedirect(r, callbackURL) {
		p.fail(w, r, errInvalidCallback)
		return
	}
	token := r.PathValue("token")
	t, err := p.findLinkToken(r.Context(), purposeResetPassword, token)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if t == nil || t.expired {
		redirectWith(w, r, callbackURL, "error", errInvalidToken.Code)
		return
	}
	redirectWith(w, r, callbackURL, "token", token)
}

// redirectWith answers 302 to target (trusted already) with k=v added to
// its query.
func redirectWith(w http.ResponseWriter, r *http.Request, target, k, v string) {
	u, err := url.Parse(target)
	if err != nil {
		u = &url.URL{Path: "/"}
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// resetPassword sets a new password with a reset token: the token is used
// up, every session of the user is revoked (and their API keys with
// Options.ResetRevokesAPIKeys), their other reset links stop working, and
// the sign-in lockout of their address is lifted.
func (p *Plugin) resetPassword(w http.ResponseWriter, r *http.Request) {
	body, ok := p.postBody(w, r)
	if !ok {
		return
	}
	token, err := optionalString(body, "token")
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if token == "" {
		token = r.URL.Query().Get("token")
	}
	if token == "" {
		p.fail(w, r, errInvalidToken)
		return
	}
	newPassword, isString := body["newPassword"].(string)
	if !isString {
		p.fail(w, r, errNewPassword)
		return
	}
	if err := checkPassword(newPassword); err != nil {
		p.fail(w, r, err)
		return
	}
	ctx := r.Context()
	sys := objectos.AsSystem(ctx)
	// Checked before the (slow) hash, and again, atomically, when used.
	t, err := p.findLinkToken(sys, purposeResetPassword, token)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if t == nil || t.expired {
		p.fail(w, r, errInvalidToken)
		return
	}
	userID := str(t.value, "userId")
	u, err := p.st.Get(sys, ObjUser, userID, objectos.GetOptions{})
	if objectos.IsCode(err, objectos.CodeRecordNotFound) {
		err = errResetUserGone
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	hash, err := p.hash(ctx, newPassword)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	kinds := []objectos.CredentialKind{objectos.CredentialSession}
	if p.opts.ResetRevokesAPIKeys {
		kinds = append(kinds, objectos.CredentialAPIKey)
	}
	email, _ := u.Record["email"].(string)
	err = p.st.Transact(sys, func(ctx context.Context) error {
		if _, err := p.useLinkToken(ctx, purposeResetPassword, token); err != nil {
			if err == errTokenExpired {
				err = errInvalidToken
			}
			return err
		}
		if err := p.storePasswordHash(ctx, userID, hash, "reset"); err != nil {
			return err
		}
		if err := p.dropLinkTokens(ctx, purposeResetPassword, userID); err != nil {
			return err
		}
		if err := p.clearAttempts(ctx, attemptIdentifier(email)); err != nil {
			return err
		}
		return p.st.RevokeCredentials(ctx, userID, "password_reset", kinds...)
	})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"status": true})
}

// clearAttempts forgets the failed sign-ins, and the lock, of ident.
func (p *Plugin) clearAttempts(ctx context.Context, ident string) error {
	sys := objectos.AsSystem(ctx)
	row, err := p.findOne(sys, ObjLoginAttempt, objectos.Eq("identifier", ident))
	if err != nil || row == nil {
		return err
	}
	err = p.st.Delete(sys, ObjLoginAttempt, row["id"].(string), objectos.WriteOptions{})
	if objectos.IsCode(err, objectos.CodeRecordNotFound) {
		return nil
	}
	return err
}
