package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/audit"
	"github.com/objectos-go/objectos/internal/snapshot"
)

// Two-factor sign-in with TOTP (RFC 6238), as better-auth's two-factor
// plugin:
//
//	POST /auth/two-factor/enable  {password, issuer?}  ⇒ {totpURI, backupCodes}
//	POST /auth/two-factor/verify-totp {code, trustDevice?} ⇒ {token, user}
//	POST /auth/two-factor/verify-backup-code {code}    ⇒ {token, user}
//	POST /auth/two-factor/disable {password}           ⇒ {status: true}
//	POST /auth/two-factor/get-totp-uri {password}      ⇒ {totpURI}
//
// Enable stores a new secret and 10 backup codes; two-factor is on once a
// code of the new secret is verified with verify-totp while signed in. A
// password sign-in of such a user then answers {twoFactorRedirect: true,
// twoFactorMethods: ["totp"]} with a pending cookie (TwoFactorCookieName)
// instead of a session, and verify-totp or verify-backup-code with that
// cookie completes it.

// Defaults of the two-factor sign-in.
const (
	// TwoFactorCookieName is the pending sign-in's cookie, better-auth's
	// (with the __Secure- prefix when cookies are secure).
	TwoFactorCookieName = "better-auth.two_factor"
	// TwoFactorPendingTTL is how long a pending sign-in waits for its code.
	TwoFactorPendingTTL = 10 * time.Minute
	// DefaultTwoFactorIssuer names the account in authenticator apps when
	// neither the request nor Options.TwoFactorIssuer does.
	DefaultTwoFactorIssuer = "objectos"
	backupCodeCount        = 10
	totpPeriod             = 30
)

var (
	errInvalidCode        = aerr(http.StatusUnauthorized, "INVALID_CODE", "Invalid code")
	errInvalidBackupCode  = aerr(http.StatusUnauthorized, "INVALID_BACKUP_CODE", "Invalid backup code")
	errInvalidTwoFactor   = aerr(http.StatusUnauthorized, "INVALID_TWO_FACTOR_COOKIE", "Invalid two factor cookie")
	errTOTPNotEnabled     = aerr(http.StatusBadRequest, "TOTP_NOT_ENABLED", "TOTP not enabled")
	errTwoFactorNotOn     = aerr(http.StatusBadRequest, "TWO_FACTOR_NOT_ENABLED", "Two factor isn't enabled")
	errCodeRequired       = aerr(http.StatusBadRequest, "VALIDATION_ERROR", "code is required and must be a string")
	errTwoFactorNoAccount = aerr(http.StatusBadRequest, "CREDENTIAL_ACCOUNT_NOT_FOUND", "Credential account not found")
)

func (p *Plugin) twoFactorRoutes(r *objectos.Router, guarded objectos.RouteOption) {
	r.HandleFunc(http.MethodPost, "/auth/two-factor/enable", p.enableTwoFactor, guarded)
	r.HandleFunc(http.MethodPost, "/auth/two-factor/disable", p.disableTwoFactor, guarded)
	r.HandleFunc(http.MethodPost, "/auth/two-factor/get-totp-uri", p.getTOTPURI, guarded)
	r.HandleFunc(http.MethodPost, "/auth/two-factor/verify-totp", p.verifyTOTP, guarded)
	r.HandleFunc(http.MethodPost, "/auth/two-factor/verify-backup-code", p.verifyBackupCode, guarded)
}

// passwordPost is the preamble of the two-factor routes that need the
// session and its user's password: the password is checked under the
// sign-in lockout (a wrong one is 400 INVALID_PASSWORD, as better-auth).
func (p *Plugin) passwordPost(w http.ResponseWriter, r *http.Request) (*session, objectos.Record, map[string]any, bool) {
	s, body, ok := p.sessionPost(w, r)
	if !ok {
		return nil, nil, nil, false
	}
	password, isString := body["password"].(string)
	if !isString {
		p.fail(w, r, errPasswordRequired)
		return nil, nil, nil, false
	}
	if len(password) > 4*MaxPasswordLength {
		password = password[:4*MaxPasswordLength]
	}
	ctx := p.asCaller(r, s)
	sys := objectos.AsSystem(ctx)
	u, err := p.st.Get(sys, ObjUser, s.userID, objectos.GetOptions{})
	if err != nil {
		p.fail(w, r, err)
		return nil, nil, nil, false
	}
	hash, err := p.credentialHash(sys, s.userID)
	if err == nil && hash == "" {
		err = errTwoFactorNoAccount
	}
	if err != nil {
		p.fail(w, r, err)
		return nil, nil, nil, false
	}
	email, _ := u.Record["email"].(string)
	who := audit.Event{TargetUserID: s.userID}.FromRequest(p.st, r)
	if err := p.verifyGuarded(ctx, attemptIdentifier(email), password, hash, true, who); err != nil {
		if err == errWrongPassword {
			err = errInvalidPassword
		}
		p.fail(w, r, err)
		return nil, nil, nil, false
	}
	return s, u.Record, body, true
}

// enableTwoFactor stores a new secret and new backup codes; two-factor is
// off until a code of the secret is verified (verify-totp with the session).
func (p *Plugin) enableTwoFactor(w http.ResponseWriter, r *http.Request) {
	s, user, body, ok := p.passwordPost(w, r)
	if !ok {
		return
	}
	issuer := strings.TrimSpace(str(body, "issuer"))
	if issuer == "" {
		issuer = p.opts.TwoFactorIssuer
	}
	email, _ := user["email"].(string)
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: email, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	codes, hashes := newBackupCodes()
	ctx := p.asCaller(r, s)
	err = p.st.Transact(objectos.AsSystem(ctx), func(ctx context.Context) error {
		row, err := p.findOne(ctx, ObjTwoFactor, objectos.Eq("user_id", s.userID))
		if err != nil {
			return err
		}
		secret, _, err := p.st.SealValue(ObjTwoFactor, "secret", s.userID, key.Secret())
		if err != nil {
			return err
		}
		vals := objectos.Record{"user_id": s.userID, "secret": secret, "backup_codes": hashes, "last_step": 0.0}
		if row == nil {
			_, err = p.st.Create(ctx, ObjTwoFactor, vals)
		} else {
			_, err = p.st.Update(ctx, ObjTwoFactor, row["id"].(string), vals, objectos.WriteOptions{})
		}
		if err != nil {
			return err
		}
		// a new secret is on only once the user shows they have it, and no
		// browser trusted under the old one skips it
		if err := p.forgetDevices(ctx, s.userID); err != nil {
			return err
		}
		_, err = p.st.Update(ctx, ObjUser, s.userID, objectos.Record{"two_factor_enabled": false}, objectos.WriteOptions{})
		return err
	})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"totpURI": key.URL(), "backupCodes": codes})
}

func (p *Plugin) disableTwoFactor(w http.ResponseWriter, r *http.Request) {
	s, _, _, ok := p.passwordPost(w, r)
	if !ok {
		return
	}
	ctx := p.asCaller(r, s)
	err := p.st.Transact(objectos.AsSystem(ctx), func(ctx context.Context) error {
		row, err := p.findOne(ctx, ObjTwoFactor, objectos.Eq("user_id", s.userID))
		if err != nil {
			return err
		}
		if row != nil {
			if err := p.st.Delete(ctx, ObjTwoFactor, row["id"].(string), objectos.WriteOptions{}); err != nil {
				return err
			}
		}
		if _, err = p.st.Update(ctx, ObjUser, s.userID, objectos.Record{"two_factor_enabled": false}, objectos.WriteOptions{}); err != nil {
			return err
		}
		return p.forgetDevices(ctx, s.userID)
	})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"status": true})
}

func (p *Plugin) getTOTPURI(w http.ResponseWriter, r *http.Request) {
	s, user, _, ok := p.passwordPost(w, r)
	if !ok {
		return
	}
	row, err := p.findOne(objectos.AsSystem(r.Context()), ObjTwoFactor, objectos.Eq("user_id", s.userID))
	if err == nil && (row == nil || user["two_factor_enabled"] != true) {
		err = errTOTPNotEnabled
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	email, _ := user["email"].(string)
	secret, err := p.totpSecret(row)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", p.opts.TwoFactorIssuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + p.opts.TwoFactorIssuer + ":" + email, RawQuery: v.Encode()}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"totpURI": u.String()})
}

// newBackupCodes returns backupCodeCount random codes (xxxxx-xxxxx, 50
// random bits each) and their SHA-256, as stored.
func newBackupCodes() (codes []string, hashes []any) {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	for range backupCodeCount {
		b := make([]byte, 10)
		if _, err := rand.Read(b); err != nil {
			panic("auth: crypto/rand failed: " + err.Error())
		}
		for i := range b {
			b[i] = alphabet[int(b[i])%32] // 32 of the 36, so each is equally likely
		}
		c := string(b[:5]) + "-" + string(b[5:])
		codes = append(codes, c)
		hashes = append(hashes, hashToken(c))
	}
	return codes, hashes
}

// pendingCookieName is the pending sign-in's cookie name for the request.
func (p *Plugin) pendingCookieName(r *http.Request) string {
	if p.secure(r) {
		return "__Secure-" + TwoFactorCookieName
	}
	return TwoFactorCookieName
}

// startTwoFactor records a pending sign-in of the user (in
// sys_verification, keyed by the SHA-256 of a random token) and sets its
// cookie: HttpOnly, SameSite=Lax, TwoFactorPendingTTL.
func (p *Plugin) startTwoFactor(w http.ResponseWriter, r *http.Request, user objectos.Record, remember bool) error {
	token := newToken()
	_, err := p.st.Create(objectos.AsSystem(r.Context()), ObjVerification, objectos.Record{
		"identifier": "2fa:" + hashToken(token), "subject": user["id"],
		"value": map[string]any{"remember": remember}, "expires_at": objectos.FormatDatetime(p.now().Add(TwoFactorPendingTTL)),
	})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: p.pendingCookieName(r), Value: token, Path: "/", MaxAge: int(TwoFactorPendingTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: p.secure(r),
	})
	return nil
}

// pending is a pending sign-in found from its cookie.
type pending struct {
	id       string // the sys_verification row
	user     objectos.Record
	remember bool
}

// pendingSignIn finds the request's live pending sign-in, or nil.
func (p *Plugin) pendingSignIn(r *http.Request) (*pending, error) {
	c, err := r.Cookie(p.pendingCookieName(r))
	if err != nil || !validTokenShape(c.Value) {
		return nil, nil
	}
	sys := objectos.AsSystem(r.Context())
	row, err := p.findOne(sys, ObjVerification, objectos.Eq("identifier", "2fa:"+hashToken(c.Value)))
	if err != nil || row == nil || !p.now().Before(parseTime(row["expires_at"])) {
		return nil, err
	}
	userID, _ := row["subject"].(string)
	u, err := p.st.Get(sys, ObjUser, userID, objectos.GetOptions{})
	if objectos.IsCode(err, objectos.CodeRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	pd := &pending{id: row["id"].(string), user: u.Record, remember: true}
	if v, ok := row["value"].(map[string]any); ok && v["remember"] == false {
		pd.remember = false
	}
	return pd, nil
}

// verifyTOTP completes a pending sign-in with a code of the user's
// authenticator; without a pending sign-in but with a session, it turns
// two-factor on for the session's user (the code shows the secret of
// enable reached the authenticator). With trustDevice: true, a completed
// sign-in trusts the browser (see TrustDeviceCookieName).
func (p *Plugin) verifyTOTP(w http.ResponseWriter, r *http.Request) {
	p.verifySecondFactor(w, r, false)
}

// verifyBackupCode completes a pending sign-in with a backup code, which
// is then used up.
func (p *Plugin) verifyBackupCode(w http.ResponseWriter, r *http.Request) {
	p.verifySecondFactor(w, r, true)
}

func (p *Plugin) verifySecondFactor(w http.ResponseWriter, r *http.Request, backup bool) {
	body, withCookie, ok := p.signInBody(w, r)
	if !ok {
		return
	}
	code, isString := body["code"].(string)
	if !isString {
		p.fail(w, r, errCodeRequired)
		return
	}
	code = strings.TrimSpace(code)
	pd, err := p.pendingSignIn(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	var s *session
	if pd == nil {
		if backup {
			p.fail(w, r, errInvalidTwoFactor)
			return
		}
		// no pending sign-in: confirm enable for the session's user
		if !p.cookieOriginAllowed(r) {
			p.fail(w, r, errInvalidOrigin)
			return
		}
		if s, err = p.currentSession(r); err == nil && s == nil {
			err = errInvalidTwoFactor
		}
		if err != nil {
			p.fail(w, r, err)
			return
		}
		u, err := p.st.Get(objectos.AsSystem(r.Context()), ObjUser, s.userID, objectos.GetOptions{})
		if err != nil {
			p.fail(w, r, err)
			return
		}
		pd = &pending{user: u.Record}
	}
	ctx := r.Context()
	if s != nil {
		ctx = p.asCaller(r, s)
	}
	userID, _ := pd.user["id"].(string)
	email, _ := pd.user["email"].(string)
	who := audit.Event{TargetUserID: userID, Details: map[string]any{"email": email, "secondFactor": map[bool]string{false: "totp", true: "backup_code"}[backup]}}.FromRequest(p.st, r)
	if err := p.checkSecondFactor(ctx, userID, email, code, backup, who); err != nil {
		if pd.id != "" {
			p.signInFailed(ctx, who, err)
		}
		p.fail(w, r, err)
		return
	}
	sys := objectos.AsSystem(ctx)
	if s != nil {
		if _, err := p.st.Update(sys, ObjUser, userID, objectos.Record{"two_factor_enabled": true}, objectos.WriteOptions{}); err != nil {
			p.fail(w, r, err)
			return
		}
		pd.user["two_factor_enabled"] = true
		objectos.WriteJSON(w, http.StatusOK, map[string]any{"token": s.token, "user": userJSON(pd.user)})
		return
	}
	// the pending sign-in is used once: whoever deletes it goes on
	err = p.st.Delete(sys, ObjVerification, pd.id, objectos.WriteOptions{})
	if objectos.IsCode(err, objectos.CodeRecordNotFound) {
		err = errInvalidTwoFactor
	}
	if err == nil && isBanned(pd.user, p.now()) {
		err = errBanned
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: p.pendingCookieName(r), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: p.secure(r)})
	if body["trustDevice"] == true {
		if err := p.trustDevice(ctx, w, r, userID); err != nil {
			p.fail(w, r, err)
			return
		}
	}
	p.finishSignIn(w, r, pd.user, pd.remember, withCookie, who)
}

// checkSecondFactor checks a code of the user under the sign-in lockout of
// their email: each attempt is counted first, a right code clears the
// count, and LockoutThreshold wrong ones (codes or passwords) lock the
// account. A TOTP code is accepted one step early or late, and not at a
// step at or before the last one accepted; a backup code is used up.
func (p *Plugin) checkSecondFactor(ctx context.Context, userID, email, code string, backup bool, who audit.Event) error {
	ident := attemptIdentifier(email)
	now := p.now()
	t, err := p.countAttempt(ctx, ident, now, who)
	if err != nil {
		return err
	}
	if !t.locked.IsZero() {
		return accountLocked(t.locked, now)
	}
	wrong := errInvalidCode
	if backup {
		wrong = errInvalidBackupCode
	}
	err = p.st.Transact(objectos.AsSystem(ctx), func(ctx context.Context) error {
		res, err := p.st.List(ctx, ObjTwoFactor, objectos.Query{Filter: objectos.Eq("user_id", userID), Limit: 1, SkipCount: true, Lock: true})
		if err != nil {
			return err
		}
		if len(res.Records) == 0 {
			return errTwoFactorNotOn
		}
		row := res.Records[0]
		var vals objectos.Record
		if backup {
			list, _ := row["backup_codes"].([]any)
			h := hashToken(code)
			for i, v := range list {
				if s, _ := v.(string); subtle.ConstantTimeCompare([]byte(s), []byte(h)) == 1 {
					rest := append(append([]any{}, list[:i]...), list[i+1:]...)
					vals = objectos.Record{"backup_codes": rest}
					break
				}
			}
		} else {
			secret, err := p.totpSecret(row)
			if err != nil {
				return err
			}
			last, _ := row["last_step"].(float64)
			if step, ok := matchTOTP(secret, code, now); ok && float64(step) > last {
				// sealed again with the current key (or sealed at last, when
				// keys came after the secret), so that the keys that sealed
				// it before can leave the keyring
				userID, _ := row["user_id"].(string)
				sealed, _, err := p.st.SealValue(ObjTwoFactor, "secret", userID, secret)
				if err != nil {
					return err
				}
				vals = objectos.Record{"last_step": float64(step), "secret": sealed}
			}
		}
		if vals == nil {
			return wrong
		}
		_, err = p.st.Update(ctx, ObjTwoFactor, row["id"].(string), vals, objectos.WriteOptions{})
		return err
	})
	if err != nil {
		return err
	}
	return p.settleSuccess(ctx, ident, t, now)
}

// matchTOTP finds the time step, among the one of now and its neighbours,
// whose code is code.
// totpSecret reads a user's TOTP secret: sealed with the Stack's
// SecretKeys when it has some (bound to the user), as stored otherwise.
func (p *Plugin) totpSecret(row objectos.Record) (string, error) {
	stored, _ := row["secret"].(string)
	userID, _ := row["user_id"].(string)
	return p.st.OpenValue(ObjTwoFactor, "secret", userID, stored)
}

func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	opts := totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	step := now.Unix() / totpPeriod
	found, at := false, int64(0)
	for _, d := range []int64{-1, 0, 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix((step+d)*totpPeriod, 0).UTC(), opts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && !found {
			found, at = true, step+d
		}
	}
	return at, found
}

// Trusted devices, as better-auth's trustDevice: a sign-in completed with
// a code and trustDevice: true sets a cookie (TrustDeviceCookieName,
// HttpOnly, TrustDeviceTTL) that lets the same browser's next password
// sign-in of the same user skip the code. Each use replaces it with a new
// one; a password change or reset, a revocation of the user's sessions,
// a ban, and turning two-factor off or on again forget every device.
const (
	// TrustDeviceCookieName is the trusted device's cookie, better-auth's
	// (with the __Secure- prefix when cookies are secure).
	TrustDeviceCookieName = "better-auth.trust_device"
	// TrustDeviceTTL is how long a device stays trusted without a sign-in.
	TrustDeviceTTL = 30 * 24 * time.Hour
	trustPrefix    = "trust:"
)

func (p *Plugin) trustCookieName(r *http.Request) string {
	if p.secure(r) {
		return "__Secure-" + TrustDeviceCookieName
	}
	return TrustDeviceCookieName
}

// trustDevice records the request's browser as trusted by the user (in
// sys_verification, keyed by the SHA-256 of a random token) and sets its
// cookie.
func (p *Plugin) trustDevice(ctx context.Context, w http.ResponseWriter, r *http.Request, userID string) error {
	token := newToken()
	_, err := p.st.Create(objectos.AsSystem(ctx), ObjVerification, objectos.Record{
		"identifier": trustPrefix + hashToken(token), "subject": userID,
		"expires_at": objectos.FormatDatetime(p.now().Add(TrustDeviceTTL)),
	})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: p.trustCookieName(r), Value: token, Path: "/", MaxAge: int(TrustDeviceTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: p.secure(r)})
	return nil
}

// useTrustedDevice reports whether the request comes from a browser the
// user trusts; the trust is used up and replaced by a new one (so a
// stolen copy of the cookie works once at most, and not after the owner
// signed in again).
func (p *Plugin) useTrustedDevice(ctx context.Context, w http.ResponseWriter, r *http.Request, userID string) (bool, error) {
	c, err := r.Cookie(p.trustCookieName(r))
	if err != nil || !validTokenShape(c.Value) {
		return false, nil
	}
	sys := objectos.AsSystem(ctx)
	row, err := p.findOne(sys, ObjVerification, objectos.And(objectos.Eq("identifier", trustPrefix+hashToken(c.Value)), objectos.Eq("subject", userID)))
	if err != nil || row == nil {
		return false, err
	}
	err = p.st.Delete(sys, ObjVerification, row["id"].(string), objectos.WriteOptions{})
	if objectos.IsCode(err, objectos.CodeRecordNotFound) {
		return false, nil // used by a concurrent sign-in
	}
	if err != nil || !p.now().Before(parseTime(row["expires_at"])) {
		return false, err
	}
	return true, p.trustDevice(ctx, w, r, userID)
}

// forgetDevices forgets every device the user trusts.
func (p *Plugin) forgetDevices(ctx context.Context, userID string) error {
	return snapshot.Each(objectos.AsSystem(ctx), p.st, ObjVerification,
		objectos.And(objectos.Eq("subject", userID), objectos.Where("identifier", objectos.OpStartsWith, trustPrefix)),
		func(ctx context.Context, id string) error {
			err := p.st.Delete(ctx, ObjVerification, id, objectos.WriteOptions{})
			if objectos.IsCode(err, objectos.CodeRecordNotFound) {
				return nil
			}
			return err
		})
}
