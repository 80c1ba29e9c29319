package auth

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/audit"
)

// The administrator's routes, as better-auth's admin plugin: another
// user's sessions (list, revoke one, revoke all) and bans. Each needs a live
// session (cookie or bearer; an API key is not enough) and answers 401
// UNAUTHORIZED without one; a user without the admin role is answered 403
// with better-auth's code for the route, before the body is looked at.

var (
	errNotAllowedListSessions   = aerr(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS", "You are not allowed to list users sessions")
	errNotAllowedRevokeSessions = aerr(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS", "You are not allowed to revoke users sessions")
	errNotAllowedBan            = aerr(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS", "You are not allowed to ban users")
	errNotAllowedCreate         = aerr(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS", "You are not allowed to create users")
	errNotAllowedSetPassword    = aerr(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD", "You are not allowed to set users password")
	errUserExistsAdmin          = aerr(http.StatusBadRequest, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "User already exists. Use another email.")
	errInvalidRole              = aerr(http.StatusBadRequest, "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE",
		"You are not allowed to set a non-existent role value: the roles are user and admin")
	errNewPasswordRequired = aerr(http.StatusBadRequest, "VALIDATION_ERROR", "newPassword is required and must be a string")
	errCreateUserData      = aerr(http.StatusBadRequest, "VALIDATION_ERROR",
		"data may hold permission_sets (a list of permission set names) and image only")
	errCannotBanYourself    = aerr(http.StatusBadRequest, "YOU_CANNOT_BAN_YOURSELF", "You cannot ban yourself")
	errUserNotFound         = aerr(http.StatusNotFound, "USER_NOT_FOUND", "User not found")
	errUserIDRequired       = aerr(http.StatusBadRequest, "VALIDATION_ERROR", "userId is required and must be a non-empty string")
	errSessionTokenRequired = aerr(http.StatusBadRequest, "VALIDATION_ERROR", "sessionToken is required and must be a non-empty string")
	errBanReasonString      = aerr(http.StatusBadRequest, "VALIDATION_ERROR", "banReason must be a string")
	errBanExpiresIn         = aerr(http.StatusBadRequest, "VALIDATION_ERROR",
		"banExpiresIn must be a number of seconds from 0 to "+strconv.Itoa(maxBanSeconds))
)

const (
	// defaultBanReason is better-auth's reason for a ban given none.
	defaultBanReason = "No reason"
	// maxBanSeconds bounds banExpiresIn (a hundred years), so the expiry is
	// a date every store can hold.
	maxBanSeconds = 100 * 365 * 24 * 60 * 60
)

func (p *Plugin) adminRoutes(r *objectos.Router) {
	r.HandleFunc(http.MethodPost, "/auth/admin/list-user-sessions", p.listUserSessions)
	r.HandleFunc(http.MethodPost, "/auth/admin/revoke-user-session", p.revokeUserSession)
	r.HandleFunc(http.MethodPost, "/auth/admin/revoke-user-sessions", p.revokeUserSessions)
	r.HandleFunc(http.MethodPost, "/auth/admin/ban-user", p.banUser)
	r.HandleFunc(http.MethodPost, "/auth/admin/unban-user", p.unbanUser)
	r.HandleFunc(http.MethodPost, "/auth/admin/create-user", p.adminCreateUser)
	r.HandleFunc(http.MethodPost, "/auth/admin/set-user-password", p.setUserPassword)
}

// adminCreateUser creates a user with a password, as better-auth's
// createUser: {email, password, name, role?, data?} ⇒ {user}. role is user
// (the default) or admin; data may give the user's permission_sets and
// image. Sign-up rules do not apply (the administrator creates the user);
// the address is unverified until its owner verifies it, as better-auth
// leaves it.
func (p *Plugin) adminCreateUser(w http.ResponseWriter, r *http.Request) {
	s, pr, body, ok := p.adminPost(w, r, errNotAllowedCreate)
	if !ok {
		return
	}
	email, password, name, err := accountFields(body)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	role := str(body, "role")
	if role != "" && role != "user" && role != objectos.RoleAdmin {
		p.fail(w, r, errInvalidRole)
		return
	}
	extra := objectos.Record{}
	if d, set := body["data"]; set && d != nil {
		m, ok := d.(map[string]any)
		if !ok {
			p.fail(w, r, errCreateUserData)
			return
		}
		for k, v := range m {
			switch k {
			case "permission_sets", "image":
				extra[k] = v
			default:
				p.fail(w, r, errCreateUserData)
				return
			}
		}
	}
	ctx := p.asCaller(r, s)
	if err := p.emailFree(ctx, email, errUserExistsAdmin); err != nil {
		p.fail(w, r, err)
		return
	}
	// hashed before the transaction, which would hold the database (on
	// SQLite, every writer) for the hashing's time
	hash, err := p.hash(ctx, password)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	var res *objectos.Result
	err = p.st.Transact(objectos.AsSystem(ctx), func(tx context.Context) error {
		user, err := p.createUser(tx, newUser{name: name, email: email, hash: hash, admin: role == objectos.RoleAdmin})
		if err != nil {
			return err
		}
		// the rest as the system, the administrator named as the actor;
		// the security plugin's hook refuses a permission set that does
		// not exist
		tx = objectos.WithPrincipal(tx, pr)
		id := user["id"].(string)
		if res, err = p.st.Update(tx, ObjUser, id, extra, objectos.WriteOptions{}); err != nil {
			return err
		}
		return audit.Record(tx, p.st, audit.Event{Name: audit.UserCreated, TargetUserID: id, Object: ObjUser, RecordID: id,
			Details: map[string]any{"email": res.Record["email"], "role": res.Record["role"], "permission_sets": res.Record["permission_sets"]}})
	})
	if objectos.IsCode(err, objectos.CodeUniqueViolation) {
		err = errUserExistsAdmin
	}
	p.answerUser(w, r, res, err)
}

// setUserPassword sets a user's password, as better-auth's
// setUserPassword: {userId, newPassword} ⇒ {status: true}. It revokes every
// session of the user, as a reset does (their API keys are left alone).
func (p *Plugin) setUserPassword(w http.ResponseWriter, r *http.Request) {
	ok := p.forUser(w, r, errNotAllowedSetPassword, func(ctx context.Context, body map[string]any, userID string) error {
		password, isString := body["newPassword"].(string)
		if !isString {
			return errNewPasswordRequired
		}
		if err := checkPassword(password); err != nil {
			return err
		}
		return p.SetPassword(ctx, userID, password)
	})
	if ok {
		objectos.WriteJSON(w, http.StatusOK, map[string]any{"status": true})
	}
}

// forUser runs the part of an admin route that changes one existing user,
// named by the body's userId, as the administrator; it answers a failure
// itself. The routes that use it revoke the user's sessions, so when the
// user is the caller, their cookie goes too.
func (p *Plugin) forUser(w http.ResponseWriter, r *http.Request, forbidden *authError,
	fn func(ctx context.Context, body map[string]any, userID string) error) bool {
	s, _, body, ok := p.adminPost(w, r, forbidden)
	if !ok {
		return false
	}
	ctx := p.asCaller(r, s)
	userID, err := userIDOf(body)
	if err == nil {
		err = p.checkUser(ctx, userID)
	}
	if err == nil {
		err = fn(ctx, body, userID)
	}
	if err != nil {
		p.fail(w, r, err)
		return false
	}
	if userID == s.userID {
		p.clearCookie(w, r)
	}
	return true
}

// adminPost is the preamble of the admin routes: origin, session, the admin
// role (forbidden is the route's refusal of anyone else), body. It returns
// the caller's session and principal; on failure it has answered.
func (p *Plugin) adminPost(w http.ResponseWriter, r *http.Request, forbidden *authError) (*session, *objectos.Principal, map[string]any, bool) {
	if !p.cookieOriginAllowed(r) {
		p.fail(w, r, errInvalidOrigin)
		return nil, nil, nil, false
	}
	s, ok := p.requireSession(w, r)
	if !ok {
		return nil, nil, nil, false
	}
	_, method := p.credentials(r)
	pr := s.principal(method)
	if !pr.IsAdmin() {
		p.fail(w, r, forbidden)
		return nil, nil, nil, false
	}
	if p.needsTwoFactor(s, pr) {
		// the routes an administrator without two-factor keeps are their
		// own account's, not these, which reach everyone's
		p.fail(w, r, errTwoFactorRequiredAuth)
		return nil, nil, nil, false
	}
	body, ok := p.readBody(w, r)
	if !ok {
		return nil, nil, nil, false
	}
	return s, pr, body, true
}

// userIDOf reads the userId of an admin route's body.
func userIDOf(body map[string]any) (string, error) {
	id, _ := body["userId"].(string)
	if id == "" {
		return "", errUserIDRequired
	}
	return id, nil
}

// checkUser answers USER_NOT_FOUND for an id that names no user.
func (p *Plugin) checkUser(ctx context.Context, id string) error {
	_, err := p.st.Get(objectos.AsSystem(ctx), ObjUser, id, objectos.GetOptions{Fields: []string{objectos.FieldID}})
	if objectos.IsCode(err, objectos.CodeRecordNotFound) {
		return errUserNotFound
	}
	return err
}

// listUserSessions lists a user's live sessions, newest first, as
// list-sessions lists the caller's: ids, never tokens.
func (p *Plugin) listUserSessions(w http.ResponseWriter, r *http.Request) {
	_, _, body, ok := p.adminPost(w, r, errNotAllowedListSessions)
	if !ok {
		return
	}
	userID, err := userIDOf(body)
	if err == nil {
		err = p.checkUser(r.Context(), userID)
	}
	var sessions []map[string]any
	if err == nil {
		sessions, err = p.liveSessions(r.Context(), userID)
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"sessions": sessions})
}

// revokeUserSession revokes any user's session, named by its token or (since
// only hashes are stored, and the lists show ids) its id. A session that is
// unknown or revoked already is answered alike, as better-auth does.
func (p *Plugin) revokeUserSession(w http.ResponseWriter, r *http.Request) {
	s, _, body, ok := p.adminPost(w, r, errNotAllowedRevokeSessions)
	if !ok {
		return
	}
	ref, _ := body["sessionToken"].(string)
	if ref == "" {
		p.fail(w, r, errSessionTokenRequired)
		return
	}
	ctx := p.asCaller(r, s)
	row, err := p.findOne(objectos.AsSystem(ctx), ObjSession, objectos.And(objectos.Eq("revoked_at", nil), sessionRef(ref)))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if row != nil {
		id := row["id"].(string)
		if err := p.revoke(ctx, id, "revoked_by_admin"); err != nil {
			p.fail(w, r, err)
			return
		}
		if id == s.id {
			p.clearCookie(w, r)
		}
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"success": true})
}

// revokeUserSessions revokes every session of a user (their API keys are
// left alone).
func (p *Plugin) revokeUserSessions(w http.ResponseWriter, r *http.Request) {
	ok := p.forUser(w, r, errNotAllowedRevokeSessions, func(ctx context.Context, _ map[string]any, userID string) error {
		return p.st.RevokeCredentials(ctx, userID, "revoked_by_admin", objectos.CredentialSession)
	})
	if ok {
		objectos.WriteJSON(w, http.StatusOK, map[string]any{"success": true})
	}
}

// banUser bans a user, for banExpiresIn seconds or (absent or 0, as
// better-auth) until unbanned, and revokes their sessions. The change goes
// through the engine as the administrator, so the sys_user hooks run: they
// revoke the sessions when banned turns true and carry the ban onto the
// user's sessions and API keys, which are refused while it lasts. Sessions
// are revoked here as well, for a user who was banned already (a ban that
// ran out, say) and signed in since.
func (p *Plugin) banUser(w http.ResponseWriter, r *http.Request) {
	_, pr, body, ok := p.adminPost(w, r, errNotAllowedBan)
	if !ok {
		return
	}
	userID, err := userIDOf(body)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	reason := defaultBanReason
	if v, set := body["banReason"]; set {
		s, ok := v.(string)
		if !ok {
			p.fail(w, r, errBanReasonString)
			return
		}
		if s != "" {
			reason = s
		}
	}
	var expires any // none: until unbanned
	if v, set := body["banExpiresIn"]; set {
		secs, ok := banSeconds(v)
		if !ok {
			p.fail(w, r, errBanExpiresIn)
			return
		}
		if secs > 0 {
			expires = objectos.FormatDatetime(p.now().Add(time.Duration(secs * float64(time.Second))))
		}
	}
	if userID == pr.UserID {
		p.fail(w, r, errCannotBanYourself)
		return
	}
	ctx := objectos.WithPrincipal(r.Context(), pr)
	var res *objectos.Result
	err = p.st.Transact(ctx, func(ctx context.Context) error {
		var err error
		res, err = p.st.Update(ctx, ObjUser, userID, objectos.Record{"banned": true, "ban_reason": reason, "ban_expires": expires},
			objectos.WriteOptions{})
		if err != nil {
			return err
		}
		return p.st.RevokeCredentials(ctx, userID, "banned", objectos.CredentialSession)
	})
	p.answerUser(w, r, res, err)
}

// unbanUser lifts a user's ban. Their sessions stay revoked; their API keys
// work again.
func (p *Plugin) unbanUser(w http.ResponseWriter, r *http.Request) {
	_, pr, body, ok := p.adminPost(w, r, errNotAllowedBan)
	if !ok {
		return
	}
	userID, err := userIDOf(body)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	ctx := objectos.WithPrincipal(r.Context(), pr)
	res, err := p.st.Update(ctx, ObjUser, userID, objectos.Record{"banned": false, "ban_reason": nil, "ban_expires": nil},
		objectos.WriteOptions{})
	p.answerUser(w, r, res, err)
}

// answerUser answers {user} after a change of a user, or the change's error.
func (p *Plugin) answerUser(w http.ResponseWriter, r *http.Request, res *objectos.Result, err error) {
	if objectos.IsCode(err, objectos.CodeRecordNotFound) {
		err = errUserNotFound
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"user": userJSON(res.Record)})
}

// banSeconds reads banExpiresIn: a number (JSON), or a string holding one
// (a form body has only strings), from 0 to maxBanSeconds.
func banSeconds(v any) (float64, bool) {
	var secs float64
	switch v := v.(type) {
	case float64:
		secs = v
	case string:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, false
		}
		secs = f
	default:
		return 0, false
	}
	if math.IsNaN(secs) || secs < 0 || secs > maxBanSeconds {
		return 0, false
	}
	return secs, true
}
