package auth

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/audit"
)

// Email verification, as better-auth's: a link to GET verify-email?token=…
// is mailed on sign-up (EmailVerification.SendOnSignUp) or on request
// (send-verification-email), and change-email mails one to the new
// address, whose following makes the change. Unlike better-auth's signed
// JWTs, the tokens are opaque, stored hashed and used once (clients only
// carry them back).

var (
	errVerificationDisabled = aerr(http.StatusBadRequest, "VERIFICATION_EMAIL_NOT_ENABLED", "Verification email isn't enabled")
	errEmailNotVerified     = aerr(http.StatusForbidden, "EMAIL_NOT_VERIFIED", "Email not verified")
	errEmailMismatch        = aerr(http.StatusBadRequest, "EMAIL_MISMATCH", "Email mismatch")
	errAlreadyVerified      = aerr(http.StatusBadRequest, "EMAIL_ALREADY_VERIFIED", "Email is already verified")
	errEmailSame            = aerr(http.StatusBadRequest, "EMAIL_IS_THE_SAME", "Email is the same")
)

func (p *Plugin) verifyRoutes(r *objectos.Router, guarded objectos.RouteOption) {
	r.HandleFunc(http.MethodPost, "/auth/send-verification-email", p.sendVerificationEmail, guarded)
	r.HandleFunc(http.MethodGet, "/auth/verify-email", p.verifyEmail, guarded)
	r.HandleFunc(http.MethodPost, "/auth/change-email", p.changeEmail, guarded)
}

// callbackOf reads the optional callbackURL of a body: it must be trusted.
func (p *Plugin) callbackOf(r *http.Request, body map[string]any) (string, error) {
	cb, err := optionalString(body, "callbackURL")
	if err == nil && cb != "" && !p.trustedRedirect(r, cb) {
		err = errInvalidCallback
	}
	return cb, err
}

// mailVerification mails a verification link for the user: of their
// address, or, with newEmail, to newEmail, whose following makes it their
// address. With discard the same work is done and nothing is stored or
// sent.
func (p *Plugin) mailVerification(ctx context.Context, r *http.Request, user objectos.Record, newEmail, callbackURL string, discard bool) error {
	userID, _ := user["id"].(string)
	email, _ := user["email"].(string)
	name, _ := user["name"].(string)
	value := map[string]any{"userId": userID, "email": email}
	to, kind := email, mailVerifyEmail
	if newEmail != "" {
		value["updateTo"], to, kind = newEmail, newEmail, mailChangeEmail
	}
	var token string
	var err error
	if discard {
		token = newToken()
		_, err = p.findLinkToken(ctx, purposeVerifyEmail, token)
	} else {
		token, err = p.issueLinkToken(ctx, purposeVerifyEmail, userID, value, p.opts.EmailVerification.TTL)
	}
	if err != nil {
		return err
	}
	if callbackURL == "" {
		callbackURL = "/"
	}
	link := p.link(r, "verify-email", url.Values{"token": {token}, "callbackURL": {callbackURL}})
	return p.sendMail(ctx, kind, MailData{Name: name, Email: to, URL: link, ExpiresIn: expiresIn(p.opts.EmailVerification.TTL)}, discard)
}

// sendVerificationEmail mails a verification link. Signed in, it is for
// the caller's own address (EMAIL_MISMATCH otherwise) and refused once it
// is verified; signed out, the answer is the same whether or not the
// address is a user's and unverified, and only then is a message sent.
func (p *Plugin) sendVerificationEmail(w http.ResponseWriter, r *http.Request) {
	body, ok := p.postBody(w, r)
	if !ok {
		return
	}
	email, ok := normalizeEmail(str(body, "email"))
	if !ok {
		p.fail(w, r, errInvalidEmail)
		return
	}
	callbackURL, err := p.callbackOf(r, body)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if p.opts.Mailer == nil {
		p.fail(w, r, errVerificationDisabled)
		return
	}
	s, err := p.currentSession(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	sys := objectos.AsSystem(r.Context())
	var user objectos.Record
	if s != nil {
		var res *objectos.Result
		if res, err = p.st.Get(sys, ObjUser, s.userID, objectos.GetOptions{}); err != nil {
			p.fail(w, r, err)
			return
		}
		user = res.Record
		switch {
		case user["email"] != email:
			err = errEmailMismatch
		case user["email_verified"] == true:
			err = errAlreadyVerified
		}
		if err == nil {
			err = p.mailVerification(sys, r, user, "", callbackURL, false)
		}
	} else {
		if user, err = p.userByEmail(sys, email); err == nil {
			send := user != nil && user["email_verified"] != true
			if !send {
				user = objectos.Record{"email": email}
			}
			err = p.mailVerification(sys, r, user, "", callbackURL, !send)
		}
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"status": true})
}

// verifyEmail follows a verification link: the address is marked verified,
// or, for a change-email link, becomes the user's (verified). The token is
// used up. With callbackURL the browser is sent there (with ?error=CODE on
// failure); without, the answer is JSON.
func (p *Plugin) verifyEmail(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	callbackURL := q.Get("callbackURL")
	if callbackURL != "" && !p.trustedRedirect(r, callbackURL) {
		p.fail(w, r, errInvalidCallback)
		return
	}
	var user objectos.Record
	changed := false
	err := p.st.Transact(objectos.AsSystem(r.Context()), func(ctx context.Context) error {
		value, err := p.useLinkToken(ctx, purposeVerifyEmail, q.Get("token"))
		if err != nil {
			return err
		}
		userID := str(value, "userId")
		res, err := p.st.Get(ctx, ObjUser, userID, objectos.GetOptions{})
		if objectos.IsCode(err, objectos.CodeRecordNotFound) {
			return errResetUserGone
		}
		if err != nil {
			return err
		}
		user = res.Record
		if user["email"] != str(value, "email") {
			return errInvalidToken // the address changed since the link was sent
		}
		ev := audit.Event{TargetUserID: userID, Object: ObjUser, RecordID: userID}.FromRequest(p.st, r)
		changes := objectos.Record{"email_verified": true}
		if to := str(value, "updateTo"); to != "" {
			if other, err := p.userByEmail(ctx, to); err != nil || other != nil {
				if err == nil {
					err = errUserExists
				}
				return err
			}
			changes["email"], changed = to, true
			ev.Name, ev.Details = audit.EmailChanged, map[string]any{"from": user["email"], "to": to}
		} else if user["email_verified"] == true {
			return nil
		} else {
			ev.Name, ev.Details = audit.EmailVerified, map[string]any{"email": user["email"]}
		}
		updated, err := p.st.Update(ctx, ObjUser, userID, changes, objectos.WriteOptions{})
		if objectos.IsCode(err, objectos.CodeUniqueViolation) {
			return errUserExists
		}
		if err != nil {
			return err
		}
		user = updated.Record
		if err := p.dropLinkTokens(ctx, purposeVerifyEmail, userID); err != nil {
			return err
		}
		return audit.Record(ctx, p.st, ev)
	})
	if err != nil {
		var ae *authError
		if errors.As(err, &ae) {
			if callbackURL != "" {
				redirectWith(w, r, callbackURL, "error", ae.Code)
				return
			}
			if ae.status == http.StatusBadRequest {
				e := *ae
				e.status = http.StatusUnauthorized // better-auth's status for a bad link
				err = &e
			}
		}
		p.fail(w, r, err)
		return
	}
	if callbackURL != "" {
		w.Header().Set("Referrer-Policy", "no-referrer")
		http.Redirect(w, r, callbackURL, http.StatusFound)
		return
	}
	var u any
	if changed {
		u = userJSON(user)
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"status": true, "user": u})
}

// changeEmail mails a link to the new address; the change happens when it
// is followed. An address another user has is answered alike, and no
// message is sent.
func (p *Plugin) changeEmail(w http.ResponseWriter, r *http.Request) {
	s, body, ok := p.sessionPost(w, r)
	if !ok {
		return
	}
	newEmail, ok := normalizeEmail(str(body, "newEmail"))
	if !ok {
		p.fail(w, r, errInvalidEmail)
		return
	}
	callbackURL, err := p.callbackOf(r, body)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if p.opts.Mailer == nil {
		p.fail(w, r, errVerificationDisabled)
		return
	}
	sys := objectos.AsSystem(r.Context())
	res, err := p.st.Get(sys, ObjUser, s.userID, objectos.GetOptions{})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if res.Record["email"] == newEmail {
		p.fail(w, r, errEmailSame)
		return
	}
	other, err := p.userByEmail(sys, newEmail)
	if err == nil {
		err = p.mailVerification(sys, r, res.Record, newEmail, callbackURL, other != nil)
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"status": true})
}
