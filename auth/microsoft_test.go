package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
)

// testEntra is an OpenID provider shaped like Microsoft Entra ID's common
// endpoint: its discovery names the issuer {base}/{tenantid}/v2.0, and
// each ID token's issuer is its own tenant's. The claims of the next
// token are the test's.
type testEntra struct {
	srv    *httptest.Server
	key    *ecdsa.PrivateKey
	mu     sync.Mutex
	claims map[string]any
	nonces map[string]string // code → nonce
}

func newTestEntra(t *testing.T) *testEntra {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	m := &testEntra{key: key, nonces: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /common/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		base := m.srv.URL
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                base + "/{tenantid}/v2.0",
			"authorization_endpoint":                base + "/common/oauth2/v2.0/authorize",
			"token_endpoint":                        base + "/common/oauth2/v2.0/token",
			"jwks_uri":                              base + "/common/discovery/v2.0/keys",
			"id_token_signing_alg_values_supported": []string{"ES256"},
		})
	})
	mux.HandleFunc("GET /common/discovery/v2.0/keys", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /common/oauth2/v2.0/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		code := "code-" + q.Get("state")[:8]
		m.mu.Lock()
		m.nonces[code] = q.Get("nonce")
		m.mu.Unlock()
		target, _ := url.Parse(q.Get("redirect_uri"))
		target.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, target.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /common/oauth2/v2.0/token", func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		m.mu.Lock()
		nonce := m.nonces[r.PostForm.Get("code")]
		claims := map[string]any{}
		for k, v := range m.claims {
			claims[k] = v
		}
		m.mu.Unlock()
		now := time.Now()
		claims["aud"], claims["nonce"], claims["iat"], claims["exp"] = ghClientID, nonce, now.Unix(), now.Add(time.Hour).Unix()
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1").WithType("JWT"))
		require.NoError(t, err)
		idt, err := jwt.Signed(signer).Claims(claims).Serialize()
		require.NoError(t, err)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "id_token": idt})
	})
	m.srv = httptest.NewServer(mux)
	t.Cleanup(m.srv.Close)
	return m
}

func (m *testEntra) next(claims map[string]any) {
	m.mu.Lock()
	m.claims = claims
	m.mu.Unlock()
}

// TestMicrosoftMultiTenant: auth.Microsoft with the common tenant accepts
// an ID token whose issuer is its own tenant's, refuses one whose issuer
// is another tenant's (or has no tid), and counts an email as verified
// only with xms_edov.
func TestMicrosoftMultiTenant(t *testing.T) {
	m := newTestEntra(t)
	pr := auth.Microsoft("common", ghClientID, ghClientSecret)
	require.Equal(t, "https://login.microsoftonline.com/common/v2.0", pr.Issuer)
	pr.Issuer = m.srv.URL + "/common/v2.0"
	e := newEnv(t, testenv.Open(t, testenv.SQLite), auth.Options{Providers: []auth.Provider{pr}, SignUp: objectos.Ptr(true)}, roomyAuthRate)
	browse := func(claims map[string]any) string {
		t.Helper()
		m.next(claims)
		authURL, state := startSocial(t, e, `{"provider":"microsoft","callbackURL":"/done"}`)
		r := finish(e, redirectTarget(t, authURL), state)
		require.Equal(t, http.StatusFound, r.StatusCode, r.String())
		if sessionCookie(r) == nil {
			return r.Header.Get("Location")
		}
		s := e.Bearer(sessionCookie(r).Value).Get("/api/v1/auth/get-session").Map()
		u := s["user"].(map[string]any)
		return u["email"].(string) + map[bool]string{true: " verified", false: " unverified"}[u["emailVerified"] == true]
	}
	tenant := "9188040d-6c67-4c5b-b112-36a304b66dad"
	assert.Equal(t, "first@contoso.example unverified", browse(map[string]any{"iss": m.srv.URL + "/" + tenant + "/v2.0", "tid": tenant,
		"sub": "s1", "email": "first@contoso.example", "name": "First"}), "no xms_edov: the address is not verified")
	assert.Equal(t, "second@contoso.example verified", browse(map[string]any{"iss": m.srv.URL + "/" + tenant + "/v2.0", "tid": tenant,
		"sub": "s2", "email": "second@contoso.example", "xms_edov": true}))
	assert.Equal(t, "/done?error=invalid_id_token", browse(map[string]any{"iss": m.srv.URL + "/another-tenant/v2.0", "tid": tenant,
		"sub": "s3", "email": "third@contoso.example"}), "the issuer of another tenant")
	assert.Equal(t, "/done?error=invalid_id_token", browse(map[string]any{"iss": m.srv.URL + "/" + tenant + "/v2.0",
		"sub": "s4", "email": "fourth@contoso.example"}), "no tid")
	assert.Equal(t, "/done?error=invalid_id_token", browse(map[string]any{"iss": m.srv.URL + "/{tenantid}/v2.0", "tid": "{tenantid}",
		"sub": "s5", "email": "fifth@contoso.example"}), "the template itself")
}

// TestClaimDropsOtherLinks: someone signs up through a provider with an
// address they do not own (unverified: a tenant of their own sets any
// mail); when the owner proves the address, the account becomes theirs,
// and the squatter's link to it goes, as the password of a squatter does.
func TestClaimDropsOtherLinks(t *testing.T) {
	m := newTestEntra(t)
	pr := auth.Microsoft("common", ghClientID, ghClientSecret)
	pr.Issuer, pr.AllowSignUp = m.srv.URL+"/common/v2.0", true
	e := newEnv(t, testenv.Open(t, testenv.SQLite), auth.Options{Providers: []auth.Provider{pr}}, roomyAuthRate)
	signIn := func(claims map[string]any) (string, string) {
		t.Helper()
		m.next(claims)
		authURL, state := startSocial(t, e, `{"provider":"microsoft","callbackURL":"/done"}`)
		r := finish(e, redirectTarget(t, authURL), state)
		if sessionCookie(r) == nil {
			return "", r.Header.Get("Location")
		}
		s := e.Bearer(sessionCookie(r).Value).Get("/api/v1/auth/get-session").Map()
		return s["user"].(map[string]any)["id"].(string), ""
	}
	evil := "11111111-1111-1111-1111-111111111111"
	corp := "22222222-2222-2222-2222-222222222222"
	squatter, _ := signIn(map[string]any{"iss": m.srv.URL + "/" + evil + "/v2.0", "tid": evil, "sub": "evil", "email": "victim@corp.example"})
	require.NotEmpty(t, squatter, "the squatter signs up, unverified")
	owner, _ := signIn(map[string]any{"iss": m.srv.URL + "/" + corp + "/v2.0", "tid": corp, "sub": "victim", "email": "victim@corp.example", "xms_edov": true})
	require.Equal(t, squatter, owner, "the owner claims the account")
	again, refused := signIn(map[string]any{"iss": m.srv.URL + "/" + evil + "/v2.0", "tid": evil, "sub": "evil", "email": "victim@corp.example"})
	assert.Empty(t, again, "the squatter's link is gone")
	assert.Equal(t, "/done?error=account_not_linked", refused)
}
