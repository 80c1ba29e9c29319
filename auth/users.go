package auth

import (
	"context"
	"maps"
	"math"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/audit"
)

// normalizeEmail lower-cases and checks an email address.
func normalizeEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > 254 || strings.ContainsAny(s, " <>\"\x00") {
		return "", false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return "", false
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || !strings.Contains(s[at+1:], ".") || strings.HasSuffix(s, ".") {
		return "", false
	}
	return s, true
}

func (p *Plugin) userByEmail(ctx context.Context, email string) (objectos.Record, error) {
	return p.findOne(ctx, ObjUser, objectos.Eq("email", email))
}

func (p *Plugin) hasUsers(ctx context.Context) (bool, error) {
	res, err := p.st.List(objectos.AsSystem(ctx), ObjUser, objectos.Query{Fields: []string{"id"}, Limit: 1, SkipCount: true})
	if err != nil {
		return false, err
	}
	return len(res.Records) > 0, nil
}

type newUser struct {
	name, email, password, image string
	// hash is the password's, hashed already (password is then unused).
	hash          string
	emailVerified bool
	admin         bool
	// account links an external identity instead of a password.
	account objectos.Record
}

// createUser creates a user and their account in one transaction. The first
// user of the stack becomes an admin: the unique "bootstrap" marker lets only
// one concurrent sign-up claim it.
func (p *Plugin) createUser(ctx context.Context, nu newUser) (objectos.Record, error) {
	sys := objectos.AsSystem(ctx)
	hash := nu.hash
	if hash == "" && nu.password != "" {
		var err error
		if hash, err = p.hash(ctx, nu.password); err != nil {
			return nil, err
		}
	}
	first, err := p.hasUsers(sys)
	if err != nil {
		return nil, err
	}
	first = !first
	for attempt := 0; attempt < 2; attempt++ {
		var user objectos.Record
		err = p.st.Transact(sys, func(ctx context.Context) error {
			rec := objectos.Record{"name": nu.name, "email": nu.email, "email_verified": nu.emailVerified}
			if nu.image != "" {
				rec["image"] = nu.image
			}
			if nu.admin || first {
				rec["role"] = objectos.RoleAdmin
			}
			if first {
				rec["bootstrap"] = "owner"
			}
			res, err := p.st.Create(ctx, ObjUser, rec)
			if err != nil {
				return err
			}
			user = res.Record
			acct := objectos.Record{"user_id": res.ID, "provider_id": credentialProvider, "account_id": res.ID, "password_hash": hash}
			if nu.account != nil {
				acct = nu.account
				acct["user_id"] = res.ID
			}
			_, err = p.st.Create(ctx, ObjAccount, acct)
			return err
		})
		if err == nil {
			return user, nil
		}
		// Another sign-up took the first-user slot meanwhile: retry as an
		// ordinary user (the caller's sign-up rules were checked already
		// only if it was not first; re-check).
		if first && objectos.IsCode(err, objectos.CodeUniqueViolation) && objectos.AsError(err).Details["field"] == "bootstrap" {
			first = false
			if !nu.admin && !p.signUpEnabled() && nu.account == nil {
				return nil, errSignUpDisabled
			}
			continue
		}
		break
	}
	return nil, err
}

// credentialHash returns the password hash of a user's credential account.
func (p *Plugin) credentialHash(ctx context.Context, userID string) (string, error) {
	acct, err := p.findOne(ctx, ObjAccount, objectos.And(objectos.Eq("user_id", userID), objectos.Eq("provider_id", credentialProvider)))
	if err != nil || acct == nil {
		return "", err
	}
	h, _ := acct["password_hash"].(string)
	return h, nil
}

// SetPassword replaces a user's password and revokes every session of the
// user.
func (p *Plugin) SetPassword(ctx context.Context, userID, password string) error {
	if n := utf8.RuneCountInString(password); n < MinPasswordLength || n > MaxPasswordLength {
		return objectos.Errorf(objectos.CodeValidationFailed, "The password must be %d to %d characters.", MinPasswordLength, MaxPasswordLength)
	}
	hash, err := p.hash(ctx, password)
	if err != nil {
		return err
	}
	return p.st.Transact(objectos.AsSystem(ctx), func(ctx context.Context) error {
		if err := p.storePasswordHash(ctx, userID, hash, ""); err != nil {
			return err
		}
		return p.RevokeSessions(ctx, userID, "password_changed")
	})
}

// storePasswordHash sets the hash of the user's credential account, creating
// the account for a user who had none (signed up through OIDC). The audit
// log's password_changed entry has code "set" for a new account, else code
// ("changed" when empty).
func (p *Plugin) storePasswordHash(ctx context.Context, userID, hash, code string) error {
	sys := objectos.AsSystem(ctx)
	acct, err := p.findOne(sys, ObjAccount, objectos.And(objectos.Eq("user_id", userID), objectos.Eq("provider_id", credentialProvider)))
	if err != nil {
		return err
	}
	ev := audit.Event{Name: audit.PasswordChanged, TargetUserID: userID, Object: ObjAccount}
	if acct == nil {
		res, err := p.st.Create(sys, ObjAccount, objectos.Record{"user_id": userID, "provider_id": credentialProvider,
			"account_id": userID, "password_hash": hash})
		if err != nil {
			return err
		}
		ev.RecordID, ev.Code = res.ID, "set"
		return audit.Record(sys, p.st, ev)
	}
	if code == "" {
		code = "changed"
	}
	ev.RecordID, ev.Code = acct["id"].(string), code
	if _, err = p.st.Update(sys, ObjAccount, ev.RecordID, objectos.Record{"password_hash": hash}, objectos.WriteOptions{}); err != nil {
		return err
	}
	return audit.Record(sys, p.st, ev)
}

// The lockout counts attempts before their (slow) password check, each in
// a transaction that locks the identifier's row: parallel attempts queue on
// the row instead of overwriting each other's count, so a burst gets no
// more tries than LockoutThreshold. An attempt's place in the count is its
// ticket: the threshold-th locks the identifier, later ones are refused,
// and a right password is let in only if no other attempt locked the
// identifier while it was being checked. A success clears the count.

// ticket is an attempt's place in the count of its identifier.
type ticket struct {
	n      int       // the failures counted with this attempt
	locked time.Time // when the identifier was locked on arrival, the lock's end
}

// accountLocked is ACCOUNT_LOCKED with the seconds until the lock ends.
func accountLocked(until, now time.Time) *authError {
	e := *errAccountLocked
	e.retryAfter = max(1, int(math.Ceil(until.Sub(now).Seconds())))
	return &e
}

// countAttempt counts an attempt for ident, atomically.
func (p *Plugin) countAttempt(ctx context.Context, ident string, now time.Time, who audit.Event) (ticket, error) {
	sys := objectos.AsSystem(ctx)
	var t ticket
	for try := 0; ; try++ {
		err := p.st.Transact(sys, func(ctx context.Context) error {
			res, err := p.st.List(ctx, ObjLoginAttempt, objectos.Query{Filter: objectos.Eq("identifier", ident),
				Limit: 1, SkipCount: true, Lock: true})
			if err != nil {
				return err
			}
			if len(res.Records) == 0 {
				t = ticket{n: 1}
				vals := objectos.Record{"identifier": ident, "failures": 1.0}
				if p.opts.LockoutThreshold <= 1 {
					vals["locked_until"] = objectos.FormatDatetime(now.Add(p.opts.LockoutDuration))
					if err := p.recordLockout(ctx, who, 1); err != nil {
						return err
					}
				}
				_, err := p.st.Create(ctx, ObjLoginAttempt, vals)
				return err
			}
			rec := res.Records[0]
			if until := parseTime(rec["locked_until"]); !until.IsZero() && now.Before(until) {
				t = ticket{locked: until}
				return nil
			}
			n := 1
			if until := parseTime(rec["locked_until"]); until.IsZero() {
				f, _ := rec["failures"].(float64)
				n = int(f) + 1
			} // else a lock that ran out starts a new count
			t = ticket{n: n}
			vals := objectos.Record{"failures": float64(n), "locked_until": nil}
			if n >= p.opts.LockoutThreshold {
				vals["locked_until"] = objectos.FormatDatetime(now.Add(p.opts.LockoutDuration))
				if err := p.recordLockout(ctx, who, n); err != nil {
					return err
				}
			}
			_, err = p.st.Update(ctx, ObjLoginAttempt, rec["id"].(string), vals, objectos.WriteOptions{})
			return err
		})
		if objectos.IsCode(err, objectos.CodeUniqueViolation) && try < 3 {
			continue // a parallel first attempt created the row: count on it
		}
		return t, err
	}
}

// recordLockout records, in the transaction that sets it, the lock the
// n-th failed attempt put on an email.
func (p *Plugin) recordLockout(ctx context.Context, who audit.Event, n int) error {
	who.Name, who.Code = audit.Lockout, errAccountLocked.Code
	who.Details = maps.Clone(who.Details)
	if who.Details == nil {
		who.Details = map[string]any{}
	}
	who.Details["failures"] = n
	who.Details["lockedFor"] = p.opts.LockoutDuration.String()
	return audit.Record(ctx, p.st, who)
}

// settleSuccess lets a right password in: it is refused when the
// identifier was locked, or got locked by other attempts while this one was
// checked; otherwise the count is cleared.
func (p *Plugin) settleSuccess(ctx context.Context, ident string, t ticket, now time.Time) error {
	if !t.locked.IsZero() {
		return accountLocked(t.locked, now)
	}
	sys := objectos.AsSystem(ctx)
	return p.st.Transact(sys, func(ctx context.Context) error {
		res, err := p.st.List(ctx, ObjLoginAttempt, objectos.Query{Filter: objectos.Eq("identifier", ident),
			Limit: 1, SkipCount: true, Lock: true})
		if err != nil || len(res.Records) == 0 {
			return err
		}
		rec := res.Records[0]
		until := parseTime(rec["locked_until"])
		if !until.IsZero() && now.Before(until) && t.n < p.opts.LockoutThreshold {
			return accountLocked(until, now) // other attempts locked it meanwhile
		}
		err = p.st.Delete(ctx, ObjLoginAttempt, rec["id"].(string), objectos.WriteOptions{})
		if objectos.IsCode(err, objectos.CodeRecordNotFound) {
			return nil
		}
		return err
	})
}

// uncount takes back the failure an attempt counted (none when it arrived
// locked), and the lock that count set.
func (p *Plugin) uncount(ctx context.Context, ident string, t ticket) error {
	if !t.locked.IsZero() {
		return nil
	}
	return p.st.Transact(objectos.AsSystem(ctx), func(ctx context.Context) error {
		res, err := p.st.List(ctx, ObjLoginAttempt, objectos.Query{Filter: objectos.Eq("identifier", ident),
			Limit: 1, SkipCount: true, Lock: true})
		if err != nil || len(res.Records) == 0 {
			return err
		}
		rec := res.Records[0]
		f, _ := rec["failures"].(float64)
		vals := objectos.Record{"failures": max(f-1, 0)}
		if int(f)-1 < p.opts.LockoutThreshold {
			vals["locked_until"] = nil
		}
		_, err = p.st.Update(ctx, ObjLoginAttempt, rec["id"].(string), vals, objectos.WriteOptions{})
		return err
	})
}

// verifyGuarded checks a password against hash under the lockout of
// ident (known false: a stand-in hash, which never matches, for an unknown
// email); who describes the attempt for the audit log's lockout entry. It
// does the same work whatever the outcome, and returns nil for
// the right password, errAccountLocked, or errWrongPassword (which the
// route turns into its own error).
func (p *Plugin) verifyGuarded(ctx context.Context, ident, password, hash string, known bool, who audit.Event) error {
	now := p.now()
	t, err := p.countAttempt(ctx, ident, now, who)
	if err != nil {
		return err
	}
	// The count comes first, so that parallel attempts cannot outrun it;
	// one then turned away for want of a hashing slot checked nothing, and
	// its count is taken back.
	release, err := p.hashSlot(ctx)
	if err != nil {
		if uerr := p.uncount(ctx, ident, t); uerr != nil {
			return uerr
		}
		return err
	}
	defer release()
	match, err := p.opts.Hasher.Verify(password, hash)
	match = match && err == nil
	if !known {
		match = false
	}
	switch {
	case !t.locked.IsZero():
		return accountLocked(t.locked, now)
	case !match:
		return errWrongPassword
	}
	return p.settleSuccess(ctx, ident, t, now)
}

// errWrongPassword is verifyGuarded's answer to a wrong password.
var errWrongPassword = aerr(401, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password")

// attemptIdentifier keys failed sign-ins by a hash of the normalised email.
func attemptIdentifier(email string) string { return "email:" + hashToken(email) }

// errBusy answers a password hash or check that found no free slot.
var errBusy = aerr(503, "SERVICE_UNAVAILABLE", "Too many sign-ins are being checked at once; try again in a moment")

// hashSlot takes one of the slots that bound the hashes running at once,
// waiting at most HashWait; release gives it back.
func (p *Plugin) hashSlot(ctx context.Context) (release func(), err error) {
	select {
	case p.hashSlots <- struct{}{}:
		return func() { <-p.hashSlots }, nil
	default:
	}
	timer := time.NewTimer(p.opts.HashWait)
	defer timer.Stop()
	select {
	case p.hashSlots <- struct{}{}:
		return func() { <-p.hashSlots }, nil
	case <-timer.C:
		return nil, errBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// hash hashes a password within the slots.
func (p *Plugin) hash(ctx context.Context, password string) (string, error) {
	release, err := p.hashSlot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return p.opts.Hasher.Hash(password)
}
