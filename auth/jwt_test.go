package auth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/openapitest"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

// jwtOf asks GET /auth/token for a JWT with the bearer session token.
func (e *env) jwtOf(session string) string {
	e.t.Helper()
	r := e.Bearer(session).Get("/api/v1/auth/token")
	require.Equal(e.t, 200, r.StatusCode, r.String())
	tok, _ := r.Value("token").(string)
	require.NotEmpty(e.t, tok)
	return tok
}

// jwks fetches GET /auth/jwks as go-jose reads it.
func (e *env) jwks() (jose.JSONWebKeySet, *objectostest.Response) {
	e.t.Helper()
	r := e.Client().Get("/api/v1/auth/jwks")
	require.Equal(e.t, 200, r.StatusCode, r.String())
	var set jose.JSONWebKeySet
	require.NoError(e.t, json.Unmarshal(r.Body, &set))
	return set, r
}

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}

// headerKid is the kid of a token's header.
func headerKid(t *testing.T, token string) string {
	t.Helper()
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.EdDSA})
	require.NoError(t, err)
	require.Len(t, tok.Headers, 1)
	return tok.Headers[0].KeyID
}

// storedKey reads a signing key's seed from sys_jwks, as only Go code with
// a system context can, to forge tokens the plugin must refuse.
func storedKey(t *testing.T, e *env) (kid string, priv ed25519.PrivateKey) {
	t.Helper()
	res, err := e.Stack.List(objectos.AsSystem(context.Background()), auth.ObjJWKS, objectos.Query{Limit: 1})
	require.NoError(t, err)
	require.Len(t, res.Records, 1)
	seed, err := base64.RawURLEncoding.DecodeString(res.Records[0]["private_key"].(string))
	require.NoError(t, err)
	return res.Records[0]["kid"].(string), ed25519.NewKeyFromSeed(seed)
}

func seg(v any) string { return base64.RawURLEncoding.EncodeToString([]byte(mustJSON(v))) }

// TestJWTIssueAndVerify: a session gets a JWT that an independent library
// verifies against /auth/jwks, with the user's claims, and that works as a
// bearer credential on a data route until it expires.
func TestJWTIssueAndVerify(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{BaseURL: "https://api.example.com"}, roomyAuthRate)
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		session := e.signedIn("ada@example.com", "correct horse")
		token := e.jwtOf(session)

		set, r := e.jwks()
		assert.Equal(t, "public, max-age=300", r.Header.Get("Cache-Control"))
		require.Len(t, set.Keys, 1)
		raw := r.Map()["keys"].([]any)[0].(map[string]any)
		assert.Equal(t, "OKP", raw["kty"])
		assert.Equal(t, "Ed25519", raw["crv"])
		assert.Equal(t, "EdDSA", raw["alg"])
		assert.Equal(t, "sig", raw["use"])
		assert.NotContains(t, r.String(), `"d"`, "no private part")

		parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.EdDSA})
		require.NoError(t, err)
		assert.Equal(t, "JWT", parsed.Headers[0].ExtraHeaders["typ"])
		keys := set.Key(parsed.Headers[0].KeyID)
		require.Len(t, keys, 1)
		var std jwt.Claims
		var custom struct {
			Email string   `json:"email"`
			Role  string   `json:"role"`
			Sets  []string `json:"sets"`
		}
		require.NoError(t, parsed.Claims(keys[0].Key, &std, &custom))
		now := e.Clock.Now()
		require.NoError(t, std.Validate(jwt.Expected{Issuer: "https://api.example.com",
			AnyAudience: jwt.Audience{"https://api.example.com"}, Time: now}))
		ada := e.Bearer(session).Get("/api/v1/auth/get-session").Value("user.id")
		assert.Equal(t, ada, std.Subject)
		assert.Equal(t, "ada@example.com", custom.Email)
		assert.Equal(t, "admin", custom.Role, "the first user is an admin")
		assert.Equal(t, now.Unix(), std.IssuedAt.Time().Unix())
		assert.Equal(t, now.Add(15*time.Minute).Unix(), std.Expiry.Time().Unix())

		// The JWT is a bearer credential on data routes.
		created := e.Bearer(token).Post("/api/v1/data/note", map[string]any{"title": "by jwt"})
		require.Equal(t, 201, created.StatusCode, created.String())
		assert.Equal(t, ada, created.Value("record.created_by"), created.String())
		// It is not a session: it gets no token and no session.
		assert.Equal(t, 401, e.Bearer(token).Get("/api/v1/auth/token").StatusCode)
		assert.Nil(t, e.Bearer(token).Get("/api/v1/auth/get-session").JSON())

		// Within the leeway it still works; past it, it does not.
		e.Clock.Advance(15*time.Minute + 20*time.Second)
		assert.Equal(t, 200, e.Bearer(token).Get("/api/v1/data/note").StatusCode)
		e.Clock.Advance(15 * time.Second)
		r = e.Bearer(token).Get("/api/v1/data/note")
		assert.Equal(t, 401, r.StatusCode)
		assert.Equal(t, "INVALID_TOKEN", r.Value("code"), r.String())

		// Signing out does not end a JWT before its expiry (documented).
		token = e.jwtOf(session)
		require.Equal(t, 200, e.Bearer(session).Post("/api/v1/auth/sign-out", map[string]any{}).StatusCode)
		assert.Equal(t, 200, e.Bearer(token).Get("/api/v1/data/note").StatusCode)
		assert.Equal(t, 401, e.Bearer(session).Get("/api/v1/auth/token").StatusCode)
	})
}

// TestJWTRefused: forged, tampered, unsigned and misdirected tokens are
// refused with 401 INVALID_TOKEN.
func TestJWTRefused(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{}, roomyAuthRate)
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		token := e.jwtOf(e.signedIn("ada@example.com", "correct horse"))
		require.Equal(t, 200, e.Bearer(token).Get("/api/v1/data/note").StatusCode)
		kid, priv := storedKey(t, e)
		parts := strings.Split(token, ".")
		now := e.Clock.Now()
		claims := func(mod func(map[string]any)) map[string]any {
			c := map[string]any{"sub": "someone", "role": "admin", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
				"iss": "objectos", "aud": "objectos"}
			if mod != nil {
				mod(c)
			}
			return c
		}
		signed := func(header, body any) string {
			in := seg(header) + "." + seg(body)
			return in + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(priv, []byte(in)))
		}
		ed := map[string]any{"alg": "EdDSA", "kid": kid}
		hs := func() string {
			in := seg(map[string]any{"alg": "HS256", "kid": kid}) + "." + seg(claims(nil))
			m := hmac.New(sha256.New, priv.Public().(ed25519.PublicKey))
			m.Write([]byte(in))
			return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
		}()
		require.Equal(t, 200, e.Bearer(signed(ed, claims(nil))).Get("/api/v1/data/note").StatusCode,
			"the forging helper makes tokens the plugin accepts")
		for name, tok := range map[string]string{
			"tampered claims":  parts[0] + "." + seg(claims(nil)) + "." + parts[2],
			"tampered sig":     parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 64)),
			"alg none":         seg(map[string]any{"alg": "none", "kid": kid}) + "." + seg(claims(nil)) + ".",
			"alg HS256":        hs,
			"unknown kid":      signed(map[string]any{"alg": "EdDSA", "kid": "nope"}, claims(nil)),
			"wrong audience":   signed(ed, claims(func(c map[string]any) { c["aud"] = "elsewhere" })),
			"wrong issuer":     signed(ed, claims(func(c map[string]any) { c["iss"] = "https://evil.example" })),
			"expired":          signed(ed, claims(func(c map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() })),
			"issued in future": signed(ed, claims(func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() })),
			"no exp":           signed(ed, claims(func(c map[string]any) { delete(c, "exp") })),
			"garbage":          "a.b.c",
		} {
			t.Run(name, func(t *testing.T) {
				r := e.Bearer(tok).Get("/api/v1/data/note")
				assert.Equal(t, 401, r.StatusCode, r.String())
				assert.Equal(t, "INVALID_TOKEN", r.Value("code"), r.String())
			})
		}
		// An audience array holding ours is accepted.
		assert.Equal(t, 200, e.Bearer(signed(ed, claims(func(c map[string]any) { c["aud"] = []string{"x", "objectos"} }))).
			Get("/api/v1/data/note").StatusCode)
		// The keys are closed to the data API.
		assert.Equal(t, 404, e.Bearer(token).Get("/api/v1/data/"+auth.ObjJWKS).StatusCode)
		// Without a session there is no token.
		r := e.Client().Get("/api/v1/auth/token")
		assert.Equal(t, 401, r.StatusCode)
		assert.Equal(t, "UNAUTHORIZED", r.Value("code"))
	})
}

// secondStack is another Stack with its own auth plugin on e's database
// and clock, as a replica.
func secondStack(t *testing.T, e *env, opts auth.Options) *objectostest.Env {
	t.Helper()
	opts.Hasher = e.hasher
	return objectostest.New(t, noteArtifact(), objectostest.Options{
		Store: e.Store, Clock: e.Clock,
		Plugins: []objectos.Plugin{auth.New(opts)},
		Without: []string{"apikey", "security"},
		Configure: func(o *objectos.Options) {
			o.Security = objectos.AllowAll{}
			o.RateLimits = objectos.RateLimits{Disabled: true}
		},
		Handler: func(s *objectos.Stack) http.Handler { return openapitest.Handler(t, s) },
	})
}

// TestJWTRotation: after RotateEvery a new key signs; both are published
// and the old one's tokens stay valid until they expire, on a second Stack
// of the same database too; then the old key is dropped.
func TestJWTRotation(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		opts := auth.Options{JWT: auth.JWT{RotateEvery: time.Hour}}
		e := newEnv(t, st, opts, roomyAuthRate)
		other := secondStack(t, e, opts)
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		session := e.signedIn("ada@example.com", "correct horse")

		first := e.jwtOf(session)
		assert.Equal(t, 200, other.Bearer(first).Get("/api/v1/data/note").StatusCode, "a replica accepts the token")
		set, _ := e.jwks()
		require.Len(t, set.Keys, 1, "two Stacks on one database share the key")

		e.Clock.Advance(59 * time.Minute)
		old := e.jwtOf(session)
		assert.Equal(t, headerKid(t, first), headerKid(t, old), "the key signs for an hour")
		e.Clock.Advance(2 * time.Minute)
		fresh := e.jwtOf(session)
		assert.NotEqual(t, headerKid(t, old), headerKid(t, fresh), "then a new key signs")
		set, _ = e.jwks()
		assert.ElementsMatch(t, []string{headerKid(t, old), headerKid(t, fresh)}, kids(set))
		for _, c := range []*objectostest.Env{e.Env, other} {
			assert.Equal(t, 200, c.Bearer(old).Get("/api/v1/data/note").StatusCode)
			assert.Equal(t, 200, c.Bearer(fresh).Get("/api/v1/data/note").StatusCode, "the replica learns the new key")
		}
		// The other Stack signs with the new key too.
		assert.Equal(t, headerKid(t, fresh), headerKid(t, other.Bearer(session).Get("/api/v1/auth/token").Value("token").(string)))

		// Once every token of the old key has expired, it is dropped.
		e.Clock.Advance(14*time.Minute + 40*time.Second)
		assert.Equal(t, 200, e.Bearer(fresh).Get("/api/v1/data/note").StatusCode)
		set, _ = e.jwks()
		assert.Equal(t, []string{headerKid(t, fresh)}, kids(set))
		assert.Equal(t, 401, e.Bearer(old).Get("/api/v1/data/note").StatusCode)
	})
}

// TestJWTUnknownKey: a token signed by a key the Stack has not cached
// makes it read sys_jwks again, at most once per 10 seconds, so that
// made-up kids cannot cost a query each.
func TestJWTUnknownKey(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{}, roomyAuthRate)
		other := secondStack(t, e, auth.Options{}) // read sys_jwks at start
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		require.Equal(t, 200, other.Bearer(e.jwtOf(e.signedIn("ada@example.com", "correct horse"))).Get("/api/v1/data/note").StatusCode)

		// A replica adds a key to the database.
		pub, priv, err := ed25519.GenerateKey(nil)
		require.NoError(t, err)
		_, err = e.Stack.Create(objectos.AsSystem(context.Background()), auth.ObjJWKS, objectos.Record{
			"kid": "replica-key", "public_key": base64.RawURLEncoding.EncodeToString(pub),
			"private_key": base64.RawURLEncoding.EncodeToString(priv.Seed()), "created": objectos.FormatDatetime(e.Clock.Now())})
		require.NoError(t, err)
		now := e.Clock.Now()
		in := seg(map[string]any{"alg": "EdDSA", "kid": "replica-key"}) + "." + seg(map[string]any{"sub": "someone",
			"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "iss": "objectos", "aud": "objectos"})
		tok := in + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(priv, []byte(in)))

		assert.Equal(t, 401, other.Bearer(tok).Get("/api/v1/data/note").StatusCode, "the keys were read less than 10 s ago")
		e.Clock.Advance(10 * time.Second)
		assert.Equal(t, 200, other.Bearer(tok).Get("/api/v1/data/note").StatusCode, "now they are read again")
		set, _ := e.jwks()
		assert.Contains(t, kids(set), "replica-key", "two keys made at once are both published")
	})
}

// TestJWTOnGetSession: get-session carries a fresh JWT in set-auth-jwt, as
// better-auth's jwt plugin does, which works as a bearer credential;
// without a session there is none.
func TestJWTOnGetSession(t *testing.T) {
	e := newEnv(t, testenv.Open(t, testenv.SQLite), auth.Options{}, roomyAuthRate)
	require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
	session := e.signedIn("ada@example.com", "correct horse")
	r := e.Bearer(session).Get("/api/v1/auth/get-session")
	require.Equal(t, 200, r.StatusCode)
	tok := r.Header.Get("set-auth-jwt")
	require.NotEmpty(t, tok)
	assert.Equal(t, 3, len(strings.Split(tok, ".")))
	assert.Equal(t, 200, e.Bearer(tok).Get("/api/v1/data/note").StatusCode)
	assert.Empty(t, e.Client().Get("/api/v1/auth/get-session").Header.Get("set-auth-jwt"))
	assert.Contains(t, objectos.DefaultCORSExposedHeaders, "set-auth-jwt", "a page on another origin may read it")
}
