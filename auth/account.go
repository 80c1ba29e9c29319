package auth

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/audit"
)

// The signed-in user's own account routes, as better-auth's: change the
// password, update the profile, list and revoke sessions. Each needs a live
// session (cookie or bearer; an API key is not enough) and answers 401
// UNAUTHORIZED without one.

var (
	errUnauthorized        = aerr(http.StatusUnauthorized, "UNAUTHORIZED", "Unauthorized")
	errInvalidPassword     = aerr(http.StatusBadRequest, "INVALID_PASSWORD", "Invalid password")
	errNoCredentialAccount = aerr(http.StatusBadRequest, "CREDENTIAL_ACCOUNT_NOT_FOUND", "Credential account not found")
	errEmailImmutable      = aerr(http.StatusBadRequest, "EMAIL_CAN_NOT_BE_UPDATED", "Email can not be updated")
	errNoFieldsToUpdate    = aerr(http.StatusBadRequest, "NO_FIELDS_TO_UPDATE", "No fields to update")
	errPasswordsRequired   = aerr(http.StatusBadRequest, "VALIDATION_ERROR", "newPassword and currentPassword are required strings")
	errTokenRequired       = aerr(http.StatusBadRequest, "VALIDATION_ERROR", "token is required")
)

// maxListedSessions bounds list-sessions.
const maxListedSessions = 100

func (p *Plugin) accountRoutes(r *objectos.Router) {
	r.HandleFunc(http.MethodPost, "/auth/update-user", p.updateUser)
	r.HandleFunc(http.MethodGet, "/auth/list-sessions", p.listSessions)
	r.HandleFunc(http.MethodPost, "/auth/revoke-session", p.revokeSession)
	r.HandleFunc(http.MethodPost, "/auth/revoke-sessions", p.revokeSessions)
	r.HandleFunc(http.MethodPost, "/auth/revoke-other-sessions", p.revokeOtherSessions)
}

// requireSession resolves the caller's session; on failure it has answered.
func (p *Plugin) requireSession(w http.ResponseWriter, r *http.Request) (*session, bool) {
	s, err := p.currentSession(r)
	if err == nil && s == nil {
		err = errUnauthorized
	}
	if err != nil {
		p.fail(w, r, err)
		return nil, false
	}
	return s, true
}

// sessionPost is the preamble of the POST account routes: origin, session,
// body.
func (p *Plugin) sessionPost(w http.ResponseWriter, r *http.Request) (*session, map[string]any, bool) {
	if !p.cookieOriginAllowed(r) {
		p.fail(w, r, errInvalidOrigin)
		return nil, nil, false
	}
	s, ok := p.requireSession(w, r)
	if !ok {
		return nil, nil, false
	}
	body, err := readBody(w, r)
	if err != nil {
		p.fail(w, r, err)
		return nil, nil, false
	}
	return s, body, true
}

// changePassword checks the current password (failures count towards the
// same lockout as sign-in, so a stolen session cannot guess it), stores the
// new one and revokes every other session of the user. With
// revokeOtherSessions the current session is replaced by a new one too, whose
// token is returned (and set as the cookie), as better-auth does.
func (p *Plugin) changePassword(w http.ResponseWriter, r *http.Request) {
	s, body, ok := p.sessionPost(w, r)
	if !ok {
		return
	}
	newPassword, ok1 := body["newPassword"].(string)
	current, ok2 := body["currentPassword"].(string)
	if !ok1 || !ok2 {
		p.fail(w, r, errPasswordsRequired)
		return
	}
	if err := checkPassword(newPassword); err != nil {
		p.fail(w, r, err)
		return
	}
	if len(current) > 4*MaxPasswordLength {
		current = current[:4*MaxPasswordLength]
	}
	ctx := p.asCaller(r, s)
	sys := objectos.AsSystem(ctx)
	u, err := p.st.Get(sys, ObjUser, s.userID, objectos.GetOptions{})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	user := u.Record
	email, _ := user["email"].(string)
	hash, err := p.credentialHash(sys, s.userID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if hash == "" {
		p.fail(w, r, errNoCredentialAccount)
		return
	}
	who := audit.Event{TargetUserID: s.userID}.FromRequest(p.st, r)
	if err := p.verifyGuarded(ctx, attemptIdentifier(email), current, hash, true, who); err != nil {
		if err == errWrongPassword {
			err = errInvalidPassword
		}
		p.fail(w, r, err)
		return
	}
	newHash, err := p.hash(ctx, newPassword)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	replace := body["revokeOtherSessions"] == true
	keys, ok := revokeKeys(body)
	if !ok {
		p.fail(w, r, errRevokeKeysBool)
		return
	}
	var fresh *session
	err = p.st.Transact(sys, func(ctx context.Context) error {
		if err := p.storePasswordHash(ctx, s.userID, newHash, ""); err != nil {
			return err
		}
		keep := s.id
		if replace {
			keep = ""
		}
		if err := p.revokeSessionsExcept(ctx, s.userID, keep, "password_changed"); err != nil {
			return err
		}
		if keys {
			if err := p.st.RevokeCredentials(ctx, s.userID, "password_changed", objectos.CredentialAPIKey); err != nil {
				return err
			}
		}
		if replace {
			fresh, err = p.createSession(ctx, r, user, s.remember)
		}
		return err
	})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	var token any
	if fresh != nil {
		p.setSession(w, r, fresh)
		token = fresh.token
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"token": token, "user": userJSON(user)})
}

// revokeKeys reads the revokeApiKeys flag of change-password and
// revoke-sessions: absent or a boolean.
func revokeKeys(body map[string]any) (revoke, ok bool) {
	switch v := body["revokeApiKeys"].(type) {
	case nil:
		return false, true
	case bool:
		return v, true
	}
	return false, false
}

var errRevokeKeysBool = aerr(http.StatusBadRequest, "VALIDATION_ERROR", "revokeApiKeys must be true or false")

// ConfirmPassword implements objectos.PasswordConfirmer: the user's current
// password, checked under the sign-in lockout of their email.
func (p *Plugin) ConfirmPassword(ctx context.Context, userID, password string) error {
	wrong := func() error {
		msg := "The password is not the account's current password."
		return &objectos.Error{Code: objectos.CodeValidationFailed, Message: msg,
			Fields: []objectos.FieldError{{Field: "password", Code: objectos.FieldInvalidValue, Message: msg}}}
	}
	sys := objectos.AsSystem(ctx)
	u, err := p.st.Get(sys, ObjUser, userID, objectos.GetOptions{})
	if err != nil {
		return err
	}
	email, _ := u.Record["email"].(string)
	hash, err := p.credentialHash(sys, userID)
	if err != nil {
		return err
	}
	if len(password) > 4*MaxPasswordLength {
		password = password[:4*MaxPasswordLength]
	}
	// An account without a password still pays for a check, so the answer
	// does not say which accounts have one.
	known := hash != ""
	if !known {
		hash = p.dummyHash
	}
	err = p.verifyGuarded(ctx, attemptIdentifier(email), password, hash, known, audit.Event{TargetUserID: userID})
	var ae *authError
	switch {
	case err == nil:
		return nil
	case err == errWrongPassword:
		return wrong()
	case errors.As(err, &ae) && ae.Code == errAccountLocked.Code:
		return objectos.NewError(objectos.CodeAccountLocked, ae.Message).With("retryAfter", ae.retryAfter)
	case errors.As(err, &ae) && ae.status == http.StatusServiceUnavailable:
		return objectos.NewError(objectos.CodeServiceUnavailable, ae.Message).With("retryAfter", 1)
	}
	return err
}

// updateUser changes the caller's own name and image. It runs as the caller,
// through the same rules as PATCH /data/sys_user/{id}.
func (p *Plugin) updateUser(w http.ResponseWriter, r *http.Request) {
	s, body, ok := p.sessionPost(w, r)
	if !ok {
		return
	}
	if _, ok := body["email"]; ok {
		p.fail(w, r, errEmailImmutable)
		return
	}
	changes := objectos.Record{}
	keys := slices.Sorted(maps.Keys(body))
	for _, k := range keys {
		if !selfEditable[k] {
			p.fail(w, r, aerr(http.StatusBadRequest, "FIELD_NOT_ALLOWED", objectos.Clip(k)+" is not allowed to be set"))
			return
		}
		changes[k] = body[k]
	}
	if v, ok := changes["name"]; ok {
		name, _ := v.(string)
		if name = strings.TrimSpace(name); name == "" {
			p.fail(w, r, aerr(http.StatusBadRequest, "VALIDATION_ERROR", "name must be a non-empty string"))
			return
		}
		changes["name"] = name
	}
	if len(changes) == 0 {
		p.fail(w, r, errNoFieldsToUpdate)
		return
	}
	ctx := objectos.WithPrincipal(r.Context(), s.principal(objectos.AuthSession))
	if _, err := p.st.Update(ctx, ObjUser, s.userID, changes, objectos.WriteOptions{}); err != nil {
		p.fail(w, r, err)
		return
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"status": true})
}

// listSessions lists the caller's live sessions, newest first. Tokens are
// stored only as hashes, so unlike better-auth the entries carry no token:
// revoke-session accepts a session id instead.
func (p *Plugin) listSessions(w http.ResponseWriter, r *http.Request) {
	s, ok := p.requireSession(w, r)
	if !ok {
		return
	}
	out, err := p.liveSessions(r.Context(), s.userID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	objectos.WriteJSON(w, http.StatusOK, out)
}

// liveSessions lists a user's sessions that are neither revoked nor
// expired, newest first, at most maxListedSessions, as list-sessions shows
// them: never a token or its hash.
func (p *Plugin) liveSessions(ctx context.Context, userID string) ([]map[string]any, error) {
	res, err := p.st.List(objectos.AsSystem(ctx), ObjSession, objectos.Query{
		Filter: objectos.And(liveSessionsOf(userID), objectos.Where("expires_at", objectos.OpGt, objectos.FormatDatetime(p.now()))),
		Sort:   []objectos.SortKey{{Field: "created_at", Desc: true}},
		Limit:  maxListedSessions, SkipCount: true,
	})
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(res.Records))
	for _, row := range res.Records {
		out = append(out, map[string]any{
			"id": row["id"], "userId": row["user_id"], "expiresAt": row["expires_at"],
			"createdAt": row["created_at"], "updatedAt": row["updated_at"],
			"ipAddress": row["ip_address"], "userAgent": row["user_agent"],
		})
	}
	return out, nil
}

// sessionRef matches the session a client names: by id, or by token (only
// its hash is stored). Clients hold ids from the session lists and tokens
// from sign-in.
func sessionRef(ref string) *objectos.Filter {
	if validTokenShape(ref) {
		return objectos.Or(objectos.Eq("token_hash", hashToken(ref)), objectos.Eq("id", ref))
	}
	return objectos.Eq("id", ref)
}

// revokeSession revokes one of the caller's sessions, named by its token or
// its id. Another user's session, or none, is answered alike and left alone.
func (p *Plugin) revokeSession(w http.ResponseWriter, r *http.Request) {
	s, body, ok := p.sessionPost(w, r)
	if !ok {
		return
	}
	ref, _ := body["token"].(string)
	if ref == "" {
		p.fail(w, r, errTokenRequired)
		return
	}
	ctx := p.asCaller(r, s)
	row, err := p.findOne(objectos.AsSystem(ctx), ObjSession, objectos.And(liveSessionsOf(s.userID), sessionRef(ref)))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if row != nil {
		id := row["id"].(string)
		if err := p.revoke(ctx, id, "revoked"); err != nil {
			p.fail(w, r, err)
			return
		}
		if id == s.id {
			p.clearCookie(w, r)
		}
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"status": true})
}

// revokeSessions revokes every session of the caller, this one included,
// and with revokeApiKeys their API keys too.
func (p *Plugin) revokeSessions(w http.ResponseWriter, r *http.Request) {
	s, body, ok := p.sessionPost(w, r)
	if !ok {
		return
	}
	keys, ok := revokeKeys(body)
	if !ok {
		p.fail(w, r, errRevokeKeysBool)
		return
	}
	kinds := []objectos.CredentialKind{objectos.CredentialSession}
	if keys {
		kinds = append(kinds, objectos.CredentialAPIKey)
	}
	if err := p.st.RevokeCredentials(p.asCaller(r, s), s.userID, "revoked", kinds...); err != nil {
		p.fail(w, r, err)
		return
	}
	p.clearCookie(w, r)
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"status": true})
}

func (p *Plugin) revokeOtherSessions(w http.ResponseWriter, r *http.Request) {
	s, _, ok := p.sessionPost(w, r)
	if !ok {
		return
	}
	if err := p.revokeSessionsExcept(p.asCaller(r, s), s.userID, s.id, "revoked"); err != nil {
		p.fail(w, r, err)
		return
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"status": true})
}
