package auth

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/objectos-go/objectos"
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
	emailVerified                bool
	admin                        bool
	// account links an external identity instead of a password.
	account objectos.Record
}

// createUser creates a user and their account in one transaction. The first
// user of the stack becomes an admin: the unique "bootstrap" marker lets only
// one concurrent sign-up claim it.
func (p *Plugin) createUser(ctx context.Context, nu newUser) (objectos.Record, error) {
	sys := objectos.AsSystem(ctx)
	var hash string
	if nu.password != "" {
		var err error
		if hash, err = p.opts.Hasher.Hash(nu.password); err != nil {
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
	hash, err := p.opts.Hasher.Hash(password)
	if err != nil {
		return err
	}
	return p.st.Transact(objectos.AsSystem(ctx), func(ctx context.Context) error {
		if err := p.storePasswordHash(ctx, userID, hash); err != nil {
			return err
		}
		return p.RevokeSessions(ctx, userID, "password_changed")
	})
}

// storePasswordHash sets the hash of the user's credential account, creating
// the account for a user who had none (signed up through OIDC).
func (p *Plugin) storePasswordHash(ctx context.Context, userID, hash string) error {
	sys := objectos.AsSystem(ctx)
	acct, err := p.findOne(sys, ObjAccount, objectos.And(objectos.Eq("user_id", userID), objectos.Eq("provider_id", credentialProvider)))
	if err != nil {
		return err
	}
	if acct == nil {
		_, err = p.st.Create(sys, ObjAccount, objectos.Record{"user_id": userID, "provider_id": credentialProvider,
			"account_id": userID, "password_hash": hash})
		return err
	}
	_, err = p.st.Update(sys, ObjAccount, acct["id"].(string), objectos.Record{"password_hash": hash}, objectos.WriteOptions{})
	return err
}

// lockState reads the failed sign-ins of an email identifier.
func (p *Plugin) attempts(ctx context.Context, ident string) (objectos.Record, error) {
	return p.findOne(ctx, ObjLoginAttempt, objectos.Eq("identifier", ident))
}

func (p *Plugin) lockedUntil(rec objectos.Record, now time.Time) (time.Time, bool) {
	if rec == nil {
		return time.Time{}, false
	}
	t := parseTime(rec["locked_until"])
	return t, !t.IsZero() && now.Before(t)
}

// recordFailure counts a failed sign-in; the threshold-th failure in a row
// locks the identifier.
func (p *Plugin) recordFailure(ctx context.Context, ident string, rec objectos.Record, now time.Time) error {
	sys := objectos.AsSystem(ctx)
	failures := 1.0
	if rec != nil {
		if f, ok := rec["failures"].(float64); ok {
			failures = f + 1
		}
		// a lock that has run out starts a new count
		if t := parseTime(rec["locked_until"]); !t.IsZero() && !now.Before(t) {
			failures = 1
		}
	}
	vals := objectos.Record{"failures": failures, "locked_until": nil}
	if int(failures) >= p.opts.LockoutThreshold {
		vals["locked_until"] = objectos.FormatDatetime(now.Add(p.opts.LockoutDuration))
		vals["failures"] = 0.0
	}
	if rec == nil {
		vals["identifier"] = ident
		_, err := p.st.Create(sys, ObjLoginAttempt, vals)
		if objectos.IsCode(err, objectos.CodeUniqueViolation) {
			return nil // a concurrent failure created it; one count is lost, not a lock
		}
		return err
	}
	_, err := p.st.Update(sys, ObjLoginAttempt, rec["id"].(string), vals, objectos.WriteOptions{})
	return err
}

func (p *Plugin) clearFailures(ctx context.Context, rec objectos.Record) error {
	if rec == nil {
		return nil
	}
	err := p.st.Delete(objectos.AsSystem(ctx), ObjLoginAttempt, rec["id"].(string), objectos.WriteOptions{})
	if objectos.IsCode(err, objectos.CodeRecordNotFound) {
		return nil
	}
	return err
}

// attemptIdentifier keys failed sign-ins by a hash of the normalised email.
func attemptIdentifier(email string) string { return "email:" + hashToken(email) }
