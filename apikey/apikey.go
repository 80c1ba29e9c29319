// Package apikey adds API keys to objectos: the sys_api_key object, the
// POST {base}/keys route that mints them, and an authenticator that joins
// the stack's resolution path, so that a request with a key runs as the
// key's owner under the owner's permissions and record access.
//
// A key is "os_pk_live_" followed by 43 characters of base64url (32 random
// bytes). It is shown once, when minted; the server keeps its first 19
// characters (the prefix, for people to recognise it) and its SHA-256, which
// never leaves the server. Present it as any of
//
//	Authorization: Bearer os_pk_live_…
//	x-api-key: os_pk_live_…
//	Authorization: ApiKey os_pk_live_…
//
// Every request reads the key's row (one indexed lookup), so revocation and
// expiry act on the very next request on every replica.
package apikey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/audit"
	"github.com/objectos-go/objectos/internal/snapshot"
)

// Key format.
const (
	KeyPrefix    = "os_pk_live_"
	keyBodyLen   = 43 // base64url of 32 bytes, unpadded
	KeyLen       = len(KeyPrefix) + keyBodyLen
	StoredPrefix = len(KeyPrefix) + 8 // characters kept as the queryable prefix
	// Object is the name of the API key object.
	Object = "sys_api_key"
	// MaxNameLength bounds a key's name.
	MaxNameLength = 255
	// lastUsedEvery is how often last_used_at is written for a key in use.
	lastUsedEvery = time.Minute
)

// DefaultFreshSession is how recent a sign-in must be to mint a key
// without the current password, unless Options.FreshSession says otherwise.
const DefaultFreshSession = 15 * time.Minute

// Options configures the API key plugin. The zero value is usable.
type Options struct {
	// FreshSession is how recently the caller must have signed in to mint a
	// key through POST /keys; an older session must send its current
	// password as "password" (wrong ones count towards the sign-in
	// lockout), so a stolen session cannot turn itself into a key. Default
	// 15 minutes; negative turns the check off.
	FreshSession time.Duration
	// DefaultExpiry is the lifetime of a key minted without expires_at.
	// Default 0: such a key does not expire (unless MaxExpiry is set).
	DefaultExpiry time.Duration
	// MaxExpiry bounds every key's lifetime: a later expires_at is refused
	// (VALIDATION_FAILED, max_value), and a key minted without one expires
	// after DefaultExpiry or, when that is 0 or longer, after MaxExpiry.
	// Default 0: no bound.
	MaxExpiry time.Duration
}

// Plugin is the API key plugin. One Plugin serves one Stack.
type Plugin struct {
	st   *objectos.Stack
	opts Options
}

var (
	_ objectos.CredentialIssuer = (*Plugin)(nil)
	_ objectos.Plugin           = (*Plugin)(nil)
	_ objectos.AuthPlugin       = (*Plugin)(nil)
	_ objectos.ObjectProvider   = (*Plugin)(nil)
	_ objectos.RouteProvider    = (*Plugin)(nil)
	_ objectos.HookProvider     = (*Plugin)(nil)
)

// New returns the API key plugin. It needs a sys_user object (the auth
// plugin provides it) to own keys.
func New(opts Options) *Plugin {
	if opts.FreshSession == 0 {
		opts.FreshSession = DefaultFreshSession
	}
	if opts.MaxExpiry > 0 && (opts.DefaultExpiry <= 0 || opts.DefaultExpiry > opts.MaxExpiry) {
		opts.DefaultExpiry = opts.MaxExpiry
	}
	return &Plugin{opts: opts}
}

// Name implements objectos.Plugin.
func (p *Plugin) Name() string { return "apikey" }

// Objects implements objectos.ObjectProvider.
func (p *Plugin) Objects() []*objectos.Object {
	return []*objectos.Object{{
		Name: Object, Label: "API Key", PluralLabel: "API Keys", Ownership: objectos.OwnershipNone,
		NameField: "name",
		// Keys are minted through POST /keys and revoked with the action;
		// /data lists and reads them.
		Enable: objectos.Capabilities{APIMethods: []objectos.APIMethod{objectos.MethodGet, objectos.MethodList}},
		Fields: append([]*objectos.Field{
			{Name: "name", Type: objectos.TypeText, Required: true, MaxLength: MaxNameLength, Readonly: true},
			{Name: "prefix", Type: objectos.TypeText, MaxLength: StoredPrefix, Readonly: true},
			{Name: "key_hash", Type: objectos.TypeText, Internal: true, Unique: true},
			{Name: "user_id", Type: objectos.TypeLookup, Reference: objectos.UserObject, Required: true, Readonly: true,
				DeleteBehavior: objectos.DeleteCascade},
			{Name: "expires_at", Type: objectos.TypeDatetime, Readonly: true},
			{Name: "last_used_at", Type: objectos.TypeDatetime, Readonly: true},
			{Name: "revoked", Type: objectos.TypeBoolean, DefaultValue: false},
			// revoked_at is stamped by the revocation guard, never by callers.
			{Name: "revoked_at", Type: objectos.TypeDatetime},
			// The owner's state rides on the key (see internal/snapshot), so
			// that checking a key is one indexed lookup.
		}, snapshot.Fields()...),
		Indexes: []objectos.Index{{Fields: []string{"prefix"}}},
		Actions: []*objectos.Action{{
			Name: "revoke_api_key", Label: "Revoke", Type: objectos.ActionAPI, Method: "PATCH",
			Target: "/data/" + Object + "/{id}", BodyExtra: map[string]any{"revoked": true},
			Locations: []string{"list_item"}, Variant: "danger", ConfirmText: "Revoke this API key? Integrations using it stop at once.",
			SuccessMessage: "API key revoked",
		}},
	}}
}

// Hooks implements objectos.HookProvider:
//   - the revocation guard: callers (owners and administrators alike) may
//     only set revoked to true; the guard stamps revoked_at, and a revoked
//     key stays revoked;
//   - a change to a user's role, permission sets, ban or name is written on
//     the user's keys;
//   - the audit log records each key minted (by the context's principal,
//     for the key's user) and revoked, in the transaction of the write.
func (p *Plugin) Hooks() []objectos.Hook {
	return []objectos.Hook{{Object: Object, Events: []objectos.HookEvent{objectos.AfterCreate, objectos.AfterUpdate},
		Func: p.auditKey}, {Object: objectos.UserObject, Events: []objectos.HookEvent{objectos.AfterUpdate},
		Func: func(ctx context.Context, h *objectos.HookContext) error {
			if !snapshot.Changed(h.Previous, h.Result) {
				return nil
			}
			return snapshot.Refresh(ctx, p.st, Object, objectos.Eq("user_id", h.ID), h.Result)
		}}, {Object: Object, Events: []objectos.HookEvent{objectos.BeforeUpdate},
		Func: func(ctx context.Context, h *objectos.HookContext) error {
			if objectos.IsSystem(ctx) {
				return nil
			}
			for k, v := range h.Input {
				if k == "revoked" && v == true {
					continue
				}
				if k == objectos.FieldID || fmt.Sprint(v) == fmt.Sprint(h.Previous[k]) {
					continue
				}
				return objectos.Errorf(objectos.CodeFieldNotAccessible, "Only revoked: true can be written on an API key; mint a new key instead.").
					With("field", k).With("object", Object)
			}
			if h.Input["revoked"] == true && h.Previous["revoked"] != true {
				h.Input["revoked_at"] = objectos.FormatDatetime(p.st.Now())
			}
			return nil
		}}}
}

// auditKey records a key minted or revoked; the entry holds the key's id
// and name, never the key or its hash.
func (p *Plugin) auditKey(ctx context.Context, h *objectos.HookContext) error {
	userID, _ := h.Result["user_id"].(string)
	ev := audit.Event{Name: audit.APIKeyMinted, TargetUserID: userID, Object: Object, RecordID: h.ID,
		Details: map[string]any{"name": h.Result["name"], "expires_at": h.Result["expires_at"]}}
	if h.Event == objectos.AfterUpdate {
		if h.Result["revoked"] != true || h.Previous["revoked"] == true {
			return nil
		}
		ev.Name = audit.APIKeyRevoked
	}
	return audit.Record(ctx, p.st, ev)
}

// RevokeCredentials implements objectos.CredentialIssuer: it revokes every
// live key of the user when kinds is empty or names CredentialAPIKey.
func (p *Plugin) RevokeCredentials(ctx context.Context, userID, _ string, kinds ...objectos.CredentialKind) error {
	if len(kinds) > 0 && !slices.Contains(kinds, objectos.CredentialAPIKey) {
		return nil
	}
	now := objectos.FormatDatetime(p.st.Now())
	return snapshot.Each(ctx, p.st, Object, objectos.And(objectos.Eq("user_id", userID), objectos.Eq("revoked", false)),
		func(ctx context.Context, id string) error {
			_, err := p.st.Update(objectos.AsSystem(ctx), Object, id, objectos.Record{"revoked": true, "revoked_at": now}, objectos.WriteOptions{})
			if objectos.IsCode(err, objectos.CodeRecordNotFound) {
				return nil
			}
			return err
		})
}

// Routes implements objectos.RouteProvider.
func (p *Plugin) Routes(r *objectos.Router) {
	p.st = r.Stack()
	// the answer holds the raw key; a retry with the same Idempotency-Key
	// gets it again (stored encrypted under that key, see
	// objectos.Idempotency) instead of a second key
	r.HandleFunc(http.MethodPost, "/keys", p.mint, objectos.NoStore(), objectos.Idempotent(maxMintBody))
}

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

func newKey() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return KeyPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// wellFormed reports whether s has the shape of a key.
func wellFormed(s string) bool {
	if len(s) != KeyLen || !strings.HasPrefix(s, KeyPrefix) {
		return false
	}
	for i := len(KeyPrefix); i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func invalidKey() error {
	return objectos.NewError(objectos.CodeInvalidToken, "The API key is not valid.")
}

// presented finds a key in the request. ok is false when the request offers
// no key at all (so other authenticators may look).
func presented(r *http.Request) (key string, ok bool) {
	if k := r.Header.Get("X-Api-Key"); k != "" {
		return strings.TrimSpace(k), true
	}
	h := r.Header.Get("Authorization")
	scheme, rest, _ := strings.Cut(h, " ")
	rest = strings.TrimSpace(rest)
	switch {
	case strings.EqualFold(scheme, "ApiKey"):
		return rest, true
	case strings.EqualFold(scheme, "Bearer") && strings.HasPrefix(rest, "os_pk_"):
		return rest, true
	}
	return "", false
}

// Authenticate implements objectos.AuthPlugin.
func (p *Plugin) Authenticate(r *http.Request) (*objectos.Principal, error) {
	key, ok := presented(r)
	if !ok {
		return nil, objectos.ErrNoCredentials
	}
	if !wellFormed(key) {
		return nil, invalidKey()
	}
	return p.Resolve(r.Context(), key)
}

// Resolve checks a key and returns its owner as the principal.
func (p *Plugin) Resolve(ctx context.Context, key string) (*objectos.Principal, error) {
	if !wellFormed(key) {
		return nil, invalidKey()
	}
	sys := objectos.AsSystem(ctx)
	hash := hashKey(key)
	res, err := p.st.List(sys, Object, objectos.Query{Filter: objectos.Eq("key_hash", hash), Limit: 1, SkipCount: true,
		Fields: append([]string{"key_hash", "user_id", "revoked", "expires_at", "last_used_at"}, snapshot.Names()...)})
	if err != nil {
		return nil, err
	}
	if len(res.Records) == 0 {
		return nil, invalidKey()
	}
	row := res.Records[0]
	stored, _ := row["key_hash"].(string)
	if subtle.ConstantTimeCompare([]byte(stored), []byte(hash)) != 1 || row["revoked"] == true {
		return nil, invalidKey()
	}
	now := p.st.Now().UTC()
	if exp, ok := row["expires_at"].(string); ok && !now.Before(parseTime(exp)) {
		return nil, invalidKey()
	}
	if snapshot.Banned(row, now) {
		return nil, invalidKey()
	}
	uid, _ := row["user_id"].(string)
	id := row["id"].(string)
	if last, _ := row["last_used_at"].(string); last == "" || now.Sub(parseTime(last)) >= lastUsedEvery {
		if _, err := p.st.Update(sys, Object, id, objectos.Record{"last_used_at": objectos.FormatDatetime(now)}, objectos.WriteOptions{}); err != nil {
			return nil, err
		}
	}
	pr := &objectos.Principal{UserID: uid, Method: objectos.AuthAPIKey, KeyID: id}
	snapshot.Fill(pr, row)
	return pr, nil
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// Minted is the answer of POST /keys: the raw key appears here only.
type Minted struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Prefix    string  `json:"prefix"`
	Key       string  `json:"key"`
	ExpiresAt *string `json:"expires_at"`
}

const maxMintBody = 16 << 10

// mint serves POST /keys {name, expires_at?, user_id?, password?}: a
// session that signed in longer ago than Options.FreshSession must confirm
// the current password.
func (p *Plugin) mint(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.st.RequirePrincipal(w, r)
	if !ok {
		return
	}
	if pr.Method == objectos.AuthAPIKey {
		p.st.WriteError(w, r, objectos.NewError(objectos.CodePermissionDenied, "API keys are minted with a session, not with another key."))
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		p.st.WriteError(w, r, err)
		return
	}
	if err := p.fresh(r.Context(), pr, body); err != nil {
		if e := objectos.AsError(err); e.Details["retryAfter"] != nil {
			w.Header().Set("Retry-After", fmt.Sprint(e.Details["retryAfter"]))
		}
		p.st.WriteError(w, r, err)
		return
	}
	delete(body, "password")
	m, err := p.Mint(objectos.WithPrincipal(r.Context(), pr), body)
	if err != nil {
		p.st.WriteError(w, r, err)
		return
	}
	w.Header().Set("Location", p.st.BasePath()+"/data/"+Object+"/"+m.ID)
	w.Header().Set("Cache-Control", "no-store")
	objectos.WriteJSON(w, http.StatusCreated, m)
}

// fresh checks that the caller signed in recently, or confirms the password
// the body carries.
func (p *Plugin) fresh(ctx context.Context, pr *objectos.Principal, body map[string]any) error {
	pw, sent := body["password"]
	if !sent {
		if p.opts.FreshSession < 0 || !pr.AuthTime.IsZero() && p.st.Now().Sub(pr.AuthTime) <= p.opts.FreshSession {
			return nil
		}
		return objectos.Errorf(objectos.CodeSessionNotFresh,
			"Minting an API key needs a sign-in within the last %s: sign in again, or send your current password as password.",
			p.opts.FreshSession).With("maxAge", int(p.opts.FreshSession.Seconds()))
	}
	s, ok := pw.(string)
	if !ok || s == "" {
		return fieldErr("password", objectos.FieldInvalidType, "password must be your current password")
	}
	return p.st.ConfirmPassword(ctx, pr.UserID, s)
}

func readBody(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return nil, objectos.NewError(objectos.CodeUnsupportedMediaType, "The request body must be JSON (Content-Type: application/json).")
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxMintBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, objectos.NewError(objectos.CodePayloadTooLarge, "The request body is too large.")
		}
		return nil, objectos.NewError(objectos.CodeInvalidJSON, "The request body could not be read.")
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		return nil, objectos.NewError(objectos.CodeInvalidJSON, "The request body must be a JSON object.")
	}
	return body, nil
}

func fieldErr(field, code, msg string) error {
	e := &objectos.Error{Code: objectos.CodeValidationFailed, Message: msg,
		Fields: []objectos.FieldError{{Field: field, Code: code, Message: msg}}}
	return e.With("object", Object)
}

// Mint creates a key for the caller (or, for an administrator, for the user
// named by user_id) and returns it with the raw key, which is never stored.
// The body is {name, expires_at?, user_id?}; expires_at is an ISO 8601
// timestamp or epoch seconds or milliseconds, in the future, within
// Options.MaxExpiry. Mint does not check how fresh the caller's session is
// (POST /keys does): Go code decides for itself.
func (p *Plugin) Mint(ctx context.Context, body map[string]any) (*Minted, error) {
	pr := objectos.PrincipalFrom(ctx)
	if pr == nil {
		return nil, objectos.AuthenticationRequired()
	}
	for k := range body {
		switch k {
		case "name", "expires_at", "user_id":
		default:
			return nil, fieldErr(objectos.Clip(k), objectos.FieldUnknown, fmt.Sprintf("Unknown field '%s'; send {name, expires_at?, user_id?}.", objectos.Clip(k)))
		}
	}
	name, _ := body["name"].(string)
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return nil, fieldErr("name", objectos.FieldRequired, "name is required")
	case utf8.RuneCountInString(name) > MaxNameLength || strings.IndexByte(name, 0) >= 0:
		return nil, fieldErr("name", objectos.FieldMaxLength, fmt.Sprintf("name must be at most %d characters", MaxNameLength))
	}
	now := p.st.Now().UTC()
	var expires *string
	if v, ok := body["expires_at"]; ok && v != nil {
		t, ok := parseExpiry(v)
		if !ok {
			return nil, fieldErr("expires_at", objectos.FieldInvalidDate, "expires_at must be an ISO 8601 timestamp or epoch seconds or milliseconds")
		}
		if !t.After(now) {
			return nil, fieldErr("expires_at", objectos.FieldMinValue, "expires_at must be in the future")
		}
		if p.opts.MaxExpiry > 0 && t.After(now.Add(p.opts.MaxExpiry)) {
			return nil, fieldErr("expires_at", objectos.FieldMaxValue,
				fmt.Sprintf("expires_at must be at most %s ahead (%s)", p.opts.MaxExpiry, objectos.FormatDatetime(now.Add(p.opts.MaxExpiry))))
		}
		s := objectos.FormatDatetime(t)
		expires = &s
	} else if p.opts.DefaultExpiry > 0 {
		s := objectos.FormatDatetime(now.Add(p.opts.DefaultExpiry))
		expires = &s
	}
	owner := pr.UserID
	if v, ok := body["user_id"]; ok && v != nil {
		uid, _ := v.(string)
		if !pr.IsAdmin() {
			return nil, objectos.NewError(objectos.CodePermissionDenied, "Only administrators can mint keys for another user.")
		}
		if uid == "" {
			return nil, fieldErr("user_id", objectos.FieldInvalidType, "user_id must be a user id")
		}
		owner = uid
	}
	u, err := p.st.Get(objectos.AsSystem(ctx), objectos.UserObject, owner, objectos.GetOptions{})
	if objectos.IsCode(err, objectos.CodeRecordNotFound) {
		return nil, fieldErr("user_id", objectos.FieldReferenceNotFound, "user_id does not reference an existing user")
	}
	if err != nil {
		return nil, err
	}
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	rec := snapshot.Of(u.Record)
	for k, v := range (objectos.Record{"name": name, "prefix": key[:StoredPrefix], "key_hash": hashKey(key), "user_id": owner, "revoked": false}) {
		rec[k] = v
	}
	if expires != nil {
		rec["expires_at"] = *expires
	}
	// As the system (the fields are readonly to callers), with the caller
	// recorded as created_by.
	res, err := p.st.Create(objectos.WithPrincipal(objectos.AsSystem(ctx), pr), Object, rec)
	if err != nil {
		var e *objectos.Error
		if errors.As(err, &e) && len(e.Fields) > 0 && e.Fields[0].Field == "user_id" {
			return nil, fieldErr("user_id", objectos.FieldReferenceNotFound, "user_id does not reference an existing user")
		}
		return nil, err
	}
	return &Minted{ID: res.ID, Name: name, Prefix: key[:StoredPrefix], Key: key, ExpiresAt: expires}, nil
}

func parseExpiry(v any) (time.Time, bool) {
	switch x := v.(type) {
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return time.Time{}, false
		}
		return t.UTC().Truncate(time.Millisecond), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || x <= 0 {
			return time.Time{}, false
		}
		if x < 1e11 { // seconds
			return time.Unix(int64(x), 0).UTC(), true
		}
		return time.UnixMilli(int64(x)).UTC(), true
	}
	return time.Time{}, false
}

// OpenAPI describes POST /keys and the x-api-key credential for the
// deployment's OpenAPI document (see rest.OpenAPIDescriber).
func (p *Plugin) OpenAPI() map[string]any {
	type obj = map[string]any
	str := obj{"type": "string"}
	wrapped := func(desc string) obj {
		return obj{"description": desc, "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Error"}}}}
	}
	minted := obj{"type": "object", "required": []string{"id", "name", "prefix", "key"}, "properties": obj{
		"id": str, "name": str, "prefix": str,
		"key":        obj{"type": "string", "description": "the raw key, shown this once: store it now"},
		"expires_at": obj{"type": []any{"string", "null"}, "format": "date-time"},
	}}
	return map[string]any{
		"paths": obj{"/keys": obj{"post": obj{
			"operationId": "mintKey", "tags": []string{"keys"},
			"summary":  "Mint an API key for yourself (administrators: for user_id); needs a session, not a key",
			"security": []any{obj{"sessionCookie": []string{}}, obj{"bearerAuth": []string{}}},
			"parameters": []any{obj{"name": objectos.IdempotencyHeader, "in": "header",
				"description": "Makes a retry safe: a retry with the key gets the same key back (Idempotent-Replayed: true) instead of a second one.",
				"schema":      obj{"type": "string", "minLength": 1, "maxLength": objectos.MaxIdempotencyKeyLength}}},
			"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": obj{
				"type": "object", "additionalProperties": false, "required": []string{"name"}, "properties": obj{
					"name":       obj{"type": "string", "minLength": 1, "description": fmt.Sprintf("at most %d characters", MaxNameLength)},
					"expires_at": obj{"description": "an ISO 8601 timestamp, or epoch seconds or milliseconds, in the future"},
					"user_id":    obj{"type": "string", "description": "administrators only: mint for this user"},
					"password":   obj{"type": "string", "description": "your current password: needed when you signed in longer ago than the plugin's FreshSession (15 minutes by default)"},
				}}}}},
			"responses": obj{
				"201": obj{"description": "The key, with the raw key this once.",
					"headers": obj{"Location": obj{"schema": str}},
					"content": obj{"application/json": obj{"schema": minted}}},
				"400": wrapped("Invalid input (VALIDATION_FAILED, INVALID_JSON, INVALID_IDEMPOTENCY_KEY)."),
				"401": wrapped("Not signed in (UNAUTHENTICATED, INVALID_TOKEN, SESSION_EXPIRED)."),
				"403": wrapped("Refused: PERMISSION_DENIED (keys are minted with a session; only administrators name user_id), " +
					"SESSION_NOT_FRESH (sign in again or send password), ACCOUNT_LOCKED (too many wrong passwords; Retry-After)."),
				"404":     wrapped("user_id names no user."),
				"405":     wrapped("Only POST."),
				"409":     wrapped("A request with this Idempotency-Key is still running (IDEMPOTENCY_IN_PROGRESS; Retry-After)."),
				"422":     wrapped("The Idempotency-Key was used for another request (IDEMPOTENCY_KEY_REUSED)."),
				"413":     wrapped("The body is too large."),
				"415":     wrapped("The body is not JSON."),
				"429":     wrapped("The rate limit is spent."),
				"503":     wrapped("Too many passwords are being checked at once (SERVICE_UNAVAILABLE; Retry-After)."),
				"default": wrapped("A server failure."),
			},
		}}},
		"components": obj{"securitySchemes": obj{
			"apiKeyHeader": obj{"type": "apiKey", "in": "header", "name": "x-api-key",
				"description": "An API key (os_pk_live_…); it also works as Authorization: Bearer or Authorization: ApiKey."},
		}},
		"tags": []any{obj{"name": "keys", "description": "API keys for integrations"}},
	}
}
