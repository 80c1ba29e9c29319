package auth

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/objectos-go/objectos"
)

// Defaults of JWT.
const (
	DefaultJWTTTL         = 15 * time.Minute
	DefaultJWTRotateEvery = 30 * 24 * time.Hour
	DefaultJWTIssuer      = "objectos"
)

// jwtLeeway is the clock skew tolerated on exp and iat.
const jwtLeeway = 30 * time.Second

// jwksRefreshEvery bounds how often a token signed by an unknown key makes
// the plugin read the keys again: forged kids cannot turn into a database
// query per request.
const jwksRefreshEvery = 10 * time.Second

// JWT configures the short-lived JWTs of GET /auth/token, which the Stack
// accepts as Authorization: Bearer without a database round trip.
// Revocation is bounded by TTL: a token stays valid until it expires, even
// after its session is signed out or its user banned.
type JWT struct {
	// TTL is a token's lifetime. Default 15 minutes.
	TTL time.Duration
	// Issuer is the iss claim issued and required. Default: BaseURL when
	// set, else "objectos".
	Issuer string
	// Audience is the aud claim issued and required. Default: the issuer.
	Audience string
	// RotateEvery is how long a signing key signs; a new one signs after
	// that, and the old one stays published until the last token it signed
	// has expired. Default 30 days.
	RotateEvery time.Duration
}

func (j JWT) withDefaults(baseURL string) JWT {
	if j.TTL <= 0 {
		j.TTL = DefaultJWTTTL
	}
	if j.RotateEvery <= 0 {
		j.RotateEvery = DefaultJWTRotateEvery
	}
	if j.Issuer == "" {
		j.Issuer = baseURL
	}
	if j.Issuer == "" {
		j.Issuer = DefaultJWTIssuer
	}
	if j.Audience == "" {
		j.Audience = j.Issuer
	}
	return j
}

// jwtKey is one Ed25519 key of sys_jwks.
type jwtKey struct {
	kid     string
	pub     ed25519.PublicKey
	priv    ed25519.PrivateKey // nil when the row's seed is unreadable
	sealed  bool               // the row's seed is sealed (Stack.SealValue)
	created time.Time
}

// jwtKeys caches sys_jwks in memory, so that verifying a token reads no
// database.
type jwtKeys struct {
	mu      sync.Mutex
	keys    map[string]*jwtKey
	loaded  time.Time // the Stack clock's time of the last read
	refresh sync.Mutex
}

// jwtClaims are the claims of the tokens the plugin issues.
type jwtClaims struct {
	Sub   string   `json:"sub"`
	Email string   `json:"email,omitempty"`
	Name  string   `json:"name,omitempty"`
	Role  string   `json:"role,omitempty"`
	Sets  []string `json:"sets,omitempty"`
	Iat   int64    `json:"iat"`
	Exp   int64    `json:"exp"`
	Iss   string   `json:"iss"`
	Aud   audience `json:"aud"`
}

// audience is the aud claim: one string, or an array of them.
type audience []string

func (a audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

func (a *audience) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		return json.Unmarshal(b, (*[]string)(a))
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*a = audience{s}
	return nil
}

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ,omitempty"`
}

func invalidJWT(msg string) error {
	return objectos.NewError(objectos.CodeInvalidToken, msg)
}

var b64 = base64.RawURLEncoding

// refreshKeys reads sys_jwks into the cache, deleting the keys whose
// tokens have all expired (RotateEvery + TTL after their creation).
func (p *Plugin) refreshKeys(ctx context.Context) error {
	p.jwt.refresh.Lock()
	defer p.jwt.refresh.Unlock()
	sys := objectos.AsSystem(ctx)
	res, err := p.st.List(sys, ObjJWKS, objectos.Query{Limit: p.st.MaxPageSize(), SkipCount: true})
	if err != nil {
		return err
	}
	now := p.now()
	keys := map[string]*jwtKey{}
	for _, row := range res.Records {
		k, ok := p.keyOf(row)
		if !ok {
			continue
		}
		if !now.Before(k.created.Add(p.opts.JWT.RotateEvery + p.opts.JWT.TTL + jwtLeeway)) {
			if err := p.st.Delete(sys, ObjJWKS, row["id"].(string), objectos.WriteOptions{}); err != nil &&
				!objectos.IsCode(err, objectos.CodeRecordNotFound) {
				return err
			}
			continue
		}
		keys[k.kid] = k
	}
	p.jwt.mu.Lock()
	p.jwt.keys, p.jwt.loaded = keys, now
	p.jwt.mu.Unlock()
	return nil
}

// keyOf reads a row of sys_jwks: its private key is sealed with the
// Stack's SecretKeys when it has some (bound to the kid), and a key whose
// seed cannot be read still verifies.
func (p *Plugin) keyOf(row objectos.Record) (*jwtKey, bool) {
	kid, _ := row["kid"].(string)
	pubS, _ := row["public_key"].(string)
	pub, err := b64.DecodeString(pubS)
	if kid == "" || err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, false
	}
	k := &jwtKey{kid: kid, pub: pub, created: parseTime(row["created"])}
	seedS, _ := row["private_key"].(string)
	k.sealed = objectos.IsSealed(seedS)
	seedS, err = p.st.OpenValue(ObjJWKS, "private_key", kid, seedS)
	if err != nil {
		p.st.Logger().Warn("auth: a JWT signing key cannot be decrypted; it only verifies", "kid", kid, "err", err)
	}
	if seed, err := b64.DecodeString(seedS); err == nil && len(seed) == ed25519.SeedSize {
		k.priv = ed25519.NewKeyFromSeed(seed)
	}
	return k, true
}

// sealedKeys reports whether a cached key is sealed.
func (p *Plugin) sealedKeys() bool {
	p.jwt.mu.Lock()
	defer p.jwt.mu.Unlock()
	for _, k := range p.jwt.keys {
		if k.sealed {
			return true
		}
	}
	return false
}

// currentSigner is the newest cached key that still signs, or nil. Two
// replicas that created a key at once both publish theirs; each signs
// with the newest it knows, and verifiers accept both.
func (p *Plugin) currentSigner() *jwtKey {
	p.jwt.mu.Lock()
	defer p.jwt.mu.Unlock()
	now := p.now()
	var best *jwtKey
	for _, k := range p.jwt.keys {
		if k.priv == nil || !now.Before(k.created.Add(p.opts.JWT.RotateEvery)) || k.created.After(now.Add(jwtLeeway)) {
			continue
		}
		if best == nil || k.created.After(best.created) || k.created.Equal(best.created) && k.kid > best.kid {
			best = k
		}
	}
	return best
}

// signingKey returns the key that signs now: the cached one, else the
// newest in sys_jwks, else a new one.
func (p *Plugin) signingKey(ctx context.Context) (*jwtKey, error) {
	if k := p.currentSigner(); k != nil {
		return k, nil
	}
	if err := p.refreshKeys(ctx); err != nil {
		return nil, err
	}
	if k := p.currentSigner(); k != nil {
		return k, nil
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("auth: ed25519 key: %w", err)
	}
	kid := newToken()[:22]
	seed, sealed, err := p.st.SealValue(ObjJWKS, "private_key", kid, b64.EncodeToString(priv.Seed()))
	if err != nil {
		return nil, err
	}
	if !sealed && p.sealedKeys() {
		// a Stack without the keyring would store a key the others sign
		// with, unsealed: the keys at rest would be in the clear again
		return nil, fmt.Errorf("auth: the JWT signing keys in %s are sealed with objectos.Options.SecretKeys, which this Stack has none of: "+
			"give it the keys of the others", ObjJWKS)
	}
	_, err = p.st.Create(objectos.AsSystem(ctx), ObjJWKS, objectos.Record{
		"kid": kid, "public_key": b64.EncodeToString(pub), "private_key": seed, "created": objectos.FormatDatetime(p.now()),
	})
	if err != nil {
		return nil, err
	}
	if err := p.refreshKeys(ctx); err != nil {
		return nil, err
	}
	if k := p.currentSigner(); k != nil {
		return k, nil
	}
	return nil, fmt.Errorf("auth: the new signing key is not in %s", ObjJWKS)
}

// verifyKey finds the key of a kid, reading sys_jwks again when it is
// unknown and the last read is older than jwksRefreshEvery.
func (p *Plugin) verifyKey(ctx context.Context, kid string) (*jwtKey, error) {
	p.jwt.mu.Lock()
	k, stale := p.jwt.keys[kid], p.now().Sub(p.jwt.loaded) >= jwksRefreshEvery
	p.jwt.mu.Unlock()
	if k != nil || !stale {
		return k, nil
	}
	if err := p.refreshKeys(ctx); err != nil {
		return nil, err
	}
	p.jwt.mu.Lock()
	defer p.jwt.mu.Unlock()
	return p.jwt.keys[kid], nil
}

// signJWT issues a token for the session's user.
func (p *Plugin) signJWT(ctx context.Context, s *session) (string, error) {
	k, err := p.signingKey(ctx)
	if err != nil {
		return "", err
	}
	pr := s.principal(objectos.AuthSession)
	now := p.now()
	c := jwtClaims{Sub: s.userID, Email: pr.Email, Name: pr.Name, Role: pr.Role, Sets: pr.PermissionSets,
		Iat: now.Unix(), Exp: now.Add(p.opts.JWT.TTL).Unix(), Iss: p.opts.JWT.Issuer, Aud: audience{p.opts.JWT.Audience}}
	h, err := json.Marshal(jwtHeader{Alg: "EdDSA", Kid: k.kid, Typ: "JWT"})
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	signed := b64.EncodeToString(h) + "." + b64.EncodeToString(body)
	return signed + "." + b64.EncodeToString(ed25519.Sign(k.priv, []byte(signed))), nil
}

// looksLikeJWT tells a JWT (three dot-separated parts) from a session
// token, which has no dot.
func looksLikeJWT(token string) bool { return strings.Count(token, ".") == 2 }

// maxJWTLength bounds the tokens parsed.
const maxJWTLength = 8 << 10

// verifyJWT checks a token: EdDSA only, a known key, a valid signature,
// not expired (with jwtLeeway), the issuer and audience of Options.JWT. It
// reads the database only when the key is unknown (see verifyKey).
func (p *Plugin) verifyJWT(ctx context.Context, token string) (*objectos.Principal, error) {
	if len(token) > maxJWTLength {
		return nil, invalidJWT("The token is not valid.")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, invalidJWT("The token is not valid.")
	}
	hb, err1 := b64.DecodeString(parts[0])
	cb, err2 := b64.DecodeString(parts[1])
	sig, err3 := b64.DecodeString(parts[2])
	var h jwtHeader
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &h) != nil {
		return nil, invalidJWT("The token is not valid.")
	}
	if h.Alg != "EdDSA" {
		return nil, invalidJWT("The token's algorithm is not accepted.")
	}
	k, err := p.verifyKey(ctx, h.Kid)
	if err != nil {
		return nil, err
	}
	if k == nil || !ed25519.Verify(k.pub, []byte(parts[0]+"."+parts[1]), sig) {
		return nil, invalidJWT("The token's signature is not valid.")
	}
	var c jwtClaims
	if err := json.Unmarshal(cb, &c); err != nil || c.Sub == "" || c.Exp == 0 {
		return nil, invalidJWT("The token is not valid.")
	}
	now := p.now()
	if !now.Before(time.Unix(c.Exp, 0).Add(jwtLeeway)) {
		return nil, invalidJWT("The token has expired.")
	}
	if time.Unix(c.Iat, 0).After(now.Add(jwtLeeway)) {
		return nil, invalidJWT("The token is not valid yet.")
	}
	if c.Iss != p.opts.JWT.Issuer || !containsString(c.Aud, p.opts.JWT.Audience) {
		return nil, invalidJWT("The token is for another issuer or audience.")
	}
	return &objectos.Principal{UserID: c.Sub, Email: c.Email, Name: c.Name, Role: c.Role, PermissionSets: c.Sets,
		Method: objectos.AuthJWT, Credential: &c}, nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// jwk is a public key as RFC 8037 describes it.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// token answers GET /auth/token: a JWT for the caller's session (a cookie
// or a bearer session token; not an API key, not a JWT).
func (p *Plugin) token(w http.ResponseWriter, r *http.Request) {
	s, err := p.currentSession(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if s == nil {
		p.fail(w, r, errUnauthorized)
		return
	}
	if p.needsTwoFactor(s, s.principal(objectos.AuthSession)) {
		p.fail(w, r, errTwoFactorRequiredAuth)
		return
	}
	t, err := p.signJWT(r.Context(), s)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]string{"token": t})
}

// jwks answers GET /auth/jwks: the public keys of the tokens that may
// still be valid, newest first. Anyone may read it, and caches may keep it
// a few minutes: a new key is published before its first token reaches a
// verifier that holds an older copy only when that verifier refetches on
// an unknown kid.
func (p *Plugin) jwks(w http.ResponseWriter, r *http.Request) {
	if err := p.refreshKeys(r.Context()); err != nil {
		p.fail(w, r, err)
		return
	}
	p.jwt.mu.Lock()
	list := make([]*jwtKey, 0, len(p.jwt.keys))
	for _, k := range p.jwt.keys {
		list = append(list, k)
	}
	p.jwt.mu.Unlock()
	sort.Slice(list, func(i, j int) bool {
		if !list[i].created.Equal(list[j].created) {
			return list[i].created.After(list[j].created)
		}
		return list[i].kid < list[j].kid
	})
	keys := make([]jwk, len(list))
	for i, k := range list {
		keys[i] = jwk{Kty: "OKP", Crv: "Ed25519", X: b64.EncodeToString(k.pub), Kid: k.kid, Alg: "EdDSA", Use: "sig"}
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Del("Referrer-Policy")
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"keys": keys})
}
