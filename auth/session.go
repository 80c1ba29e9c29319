package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/snapshot"
)

// session is a resolved sys_session with its user.
type session struct {
	id, token string
	userID    string
	expiresAt time.Time
	createdAt time.Time
	updatedAt time.Time
	ip, ua    string
	remember  bool
	snap      objectos.Record // the user's snapshot columns
	refreshed bool            // the expiry was extended by this request
}

func (s *session) principal(m objectos.AuthMethod) *objectos.Principal {
	p := &objectos.Principal{UserID: s.userID, Method: m, SessionID: s.id, Credential: s, AuthTime: s.createdAt}
	snapshot.Fill(p, s.snap)
	return p
}

// newToken returns 32 random bytes as base64url (43 characters).
func newToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("auth: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hashToken is the SHA-256 of a token, as stored. A 256-bit random token
// needs no slow hash.
func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

func validTokenShape(t string) bool {
	if len(t) < 16 || len(t) > 256 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func invalidSession() error {
	return objectos.NewError(objectos.CodeInvalidToken, "The session is not valid; sign in again.")
}

func parseTime(v any) time.Time {
	s, _ := v.(string)
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// createSession starts a session for the user.
func (p *Plugin) createSession(ctx context.Context, r *http.Request, user objectos.Record, remember bool) (*session, error) {
	userID, _ := user["id"].(string)
	token := newToken()
	now := p.now()
	ttl := min(p.opts.SessionTTL, p.opts.MaxSessionAge)
	if !remember {
		ttl = min(ttl, DefaultUpdateAge)
	}
	ip, ua := p.st.ClientIP(r), r.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	rec := snapshot.Of(user)
	for k, v := range (objectos.Record{
		"user_id": userID, "token_hash": hashToken(token), "expires_at": objectos.FormatDatetime(now.Add(ttl)),
		"remember": remember, "ip_address": ip, "user_agent": ua,
	}) {
		rec[k] = v
	}
	res, err := p.st.Create(objectos.AsSystem(ctx), ObjSession, rec)
	if err != nil {
		return nil, err
	}
	return &session{id: res.ID, token: token, userID: userID, expiresAt: now.Add(ttl).Truncate(time.Millisecond),
		createdAt: now.Truncate(time.Millisecond), updatedAt: now.Truncate(time.Millisecond), ip: ip, ua: ua,
		remember: remember, snap: snapshot.Of(user)}, nil
}

// resolve finds the live session of a token: it must exist, not be revoked
// or expired, and belong to a user who is not banned. It is one indexed
// lookup: the user's state rides on the session row. A session in use is
// extended at most once per UpdateAge.
func (p *Plugin) resolve(ctx context.Context, token string) (*session, error) {
	if !validTokenShape(token) {
		return nil, invalidSession()
	}
	sys := objectos.AsSystem(ctx)
	row, err := p.findOne(sys, ObjSession, objectos.Eq("token_hash", hashToken(token)))
	if err != nil {
		return nil, err
	}
	if row == nil || row["revoked_at"] != nil {
		return nil, invalidSession()
	}
	now := p.now()
	s := &session{
		id: row["id"].(string), token: token, expiresAt: parseTime(row["expires_at"]),
		createdAt: parseTime(row["created_at"]), updatedAt: parseTime(row["updated_at"]),
		remember: row["remember"] != false,
	}
	s.userID, _ = row["user_id"].(string)
	s.ip, _ = row["ip_address"].(string)
	s.ua, _ = row["user_agent"].(string)
	end := s.createdAt.Add(p.opts.MaxSessionAge)
	if !now.Before(s.expiresAt) || !now.Before(end) {
		return nil, objectos.NewError(objectos.CodeSessionExpired, "The session has expired; sign in again.")
	}
	s.snap = row
	if snapshot.Banned(row, now) {
		return nil, invalidSession()
	}
	if exp := minTime(now.Add(p.opts.SessionTTL), end); s.remember && now.Sub(s.updatedAt) >= p.opts.UpdateAge && exp.After(s.expiresAt) {
		res, err := p.st.Update(sys, ObjSession, s.id, objectos.Record{"expires_at": objectos.FormatDatetime(exp)}, objectos.WriteOptions{})
		if err != nil {
			return nil, err
		}
		s.expiresAt = exp.Truncate(time.Millisecond)
		s.updatedAt = parseTime(res.Record["updated_at"])
		s.refreshed = true
	}
	return s, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func isBanned(user objectos.Record, now time.Time) bool {
	return snapshot.Banned(snapshot.Of(user), now)
}

// findOne returns the first record matching the filter, or nil.
func (p *Plugin) findOne(ctx context.Context, object string, f *objectos.Filter) (objectos.Record, error) {
	res, err := p.st.List(ctx, object, objectos.Query{Filter: f, Limit: 1, SkipCount: true})
	if err != nil {
		return nil, err
	}
	if len(res.Records) == 0 {
		return nil, nil
	}
	return res.Records[0], nil
}

func liveSessionsOf(userID string) *objectos.Filter {
	return objectos.And(objectos.Eq("user_id", userID), objectos.Eq("revoked_at", nil))
}

// RevokeCredentials implements objectos.CredentialIssuer: it revokes the
// user's sessions when kinds is empty or names CredentialSession.
func (p *Plugin) RevokeCredentials(ctx context.Context, userID, reason string, kinds ...objectos.CredentialKind) error {
	if len(kinds) > 0 && !slices.Contains(kinds, objectos.CredentialSession) {
		return nil
	}
	return p.RevokeSessions(ctx, userID, reason)
}

// RevokeSessions revokes every live session of the user at once, for
// example after a password change or a ban.
func (p *Plugin) RevokeSessions(ctx context.Context, userID, reason string) error {
	return p.revokeSessionsExcept(ctx, userID, "", reason)
}

// revokeSessionsExcept revokes every live session of the user but keep ("" for none).
func (p *Plugin) revokeSessionsExcept(ctx context.Context, userID, keep, reason string) error {
	// the browsers the user trusted skip the code no more either
	if err := p.forgetDevices(ctx, userID); err != nil {
		return err
	}
	f := liveSessionsOf(userID)
	if keep != "" {
		f = objectos.And(f, objectos.Where("id", objectos.OpNe, keep))
	}
	return snapshot.Each(ctx, p.st, ObjSession, f, func(ctx context.Context, id string) error {
		return p.revoke(ctx, id, reason)
	})
}

func (p *Plugin) revoke(ctx context.Context, sessionID, reason string) error {
	_, err := p.st.Update(objectos.AsSystem(ctx), ObjSession, sessionID, objectos.Record{
		"revoked_at": objectos.FormatDatetime(p.now()), "revoke_reason": reason,
	}, objectos.WriteOptions{})
	if objectos.IsCode(err, objectos.CodeRecordNotFound) {
		return nil
	}
	return err
}

// secure reports whether cookies for the request get the Secure attribute.
func (p *Plugin) secure(r *http.Request) bool {
	return p.opts.SecureCookies || r.TLS != nil || strings.HasPrefix(p.opts.BaseURL, "https://")
}

func (p *Plugin) cookieName(r *http.Request) string {
	if p.secure(r) {
		return "__Secure-" + p.opts.CookieName
	}
	return p.opts.CookieName
}

// startSession hands a new session to the client: the set-auth-token
// header, and the cookie too when withCookie.
func (p *Plugin) startSession(w http.ResponseWriter, r *http.Request, s *session, withCookie bool) {
	if withCookie {
		p.setSession(w, r, s)
		return
	}
	w.Header().Set("set-auth-token", s.token)
}

// setSession sets the session cookie and the set-auth-token header. The
// cookie is HttpOnly, SameSite=Lax, Path=/, host-only (no Domain), Secure on
// TLS, and persistent unless the session is not remembered.
func (p *Plugin) setSession(w http.ResponseWriter, r *http.Request, s *session) {
	c := &http.Cookie{
		Name: p.cookieName(r), Value: url.QueryEscape(s.token), Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: p.secure(r),
	}
	if d := s.expiresAt.Sub(p.now()); s.remember && d > 0 {
		c.MaxAge = int(d.Seconds())
	}
	http.SetCookie(w, c)
	w.Header().Set("set-auth-token", s.token)
}

func (p *Plugin) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: p.cookieName(r), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: p.secure(r),
	})
}
