package auth_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

// ghUser is a user of the in-test GitHub.
type ghUser struct {
	ID     int64
	Login  string
	Name   string // "" is null, as GitHub sends it
	Public string // the public email of /user; "" is null
	Emails []ghEmail
}

type ghEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// testGitHub is an OAuth 2.0 authorization server modelled on GitHub's:
// /login/oauth/authorize approves at once for the user the test names,
// /login/oauth/access_token answers form-encoded (and, for a bad code, 200
// with an error, as GitHub does) and checks the client secret and PKCE,
// /user and /user/emails read the bearer token.
type testGitHub struct {
	srv       *httptest.Server
	mu        sync.Mutex
	users     map[string]*ghUser
	next      string
	codes     map[string]ghGrant
	tokens    map[string]string // access token → login
	userFails bool
}

type ghGrant struct {
	login, challenge, redirect string
}

const ghClientID, ghClientSecret = "gh-client", "gh-secret"

func newTestGitHub(t *testing.T) *testGitHub {
	g := &testGitHub{codes: map[string]ghGrant{}, tokens: map[string]string{}, users: map[string]*ghUser{
		"octo":     {ID: 583231, Login: "octo", Name: "The Octocat", Public: "octo@public.example", Emails: []ghEmail{{"octo@public.example", false, true}, {"octo@example.com", true, true}}},
		"nameless": {ID: 9, Login: "nameless", Emails: []ghEmail{{"nameless@example.com", true, true}}},
		"ada":      {ID: 77, Login: "ada-gh", Name: "Ada", Emails: []ghEmail{{"ada@example.com", true, true}}},
		"squat":    {ID: 78, Login: "squat", Public: "ada@example.com", Emails: []ghEmail{{"ada@example.com", true, false}}},
	}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != ghClientID || q.Get("code_challenge_method") != "S256" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		g.mu.Lock()
		code := "code-" + q.Get("state")[:8]
		g.codes[code] = ghGrant{login: g.next, challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
		g.mu.Unlock()
		target, _ := url.Parse(q.Get("redirect_uri"))
		tq := target.Query()
		tq.Set("code", code)
		tq.Set("state", q.Get("state"))
		target.RawQuery = tq.Encode()
		http.Redirect(w, r, target.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		g.mu.Lock()
		grant, found := g.codes[r.PostForm.Get("code")]
		delete(g.codes, r.PostForm.Get("code"))
		g.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		switch {
		case id != ghClientID || secret != ghClientSecret:
			w.Write([]byte("error=incorrect_client_credentials"))
		case !found || grant.redirect != r.PostForm.Get("redirect_uri"):
			w.Write([]byte("error=bad_verification_code&error_description=The+code+passed+is+incorrect+or+expired."))
		case base64.RawURLEncoding.EncodeToString(sum[:]) != grant.challenge:
			w.Write([]byte("error=invalid_grant&error_description=code_verifier+mismatch"))
		default:
			tok := "gho_" + strings.Repeat("x", 8) + grant.login
			g.mu.Lock()
			g.tokens[tok] = grant.login
			g.mu.Unlock()
			w.Write([]byte("access_token=" + tok + "&scope=read%3Auser%2Cuser%3Aemail&token_type=bearer"))
		}
	})
	user := func(r *http.Request) *ghUser {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.users[g.tokens[tok]]
	}
	mux.HandleFunc("GET /user", func(w http.ResponseWriter, r *http.Request) {
		u := user(r)
		g.mu.Lock()
		fails := g.userFails
		g.mu.Unlock()
		if u == nil || fails {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		doc := map[string]any{"id": u.ID, "login": u.Login, "name": nil, "email": nil,
			"avatar_url": "https://avatars.example/u/" + u.Login}
		if u.Name != "" {
			doc["name"] = u.Name
		}
		if u.Public != "" {
			doc["email"] = u.Public
		}
		json.NewEncoder(w).Encode(doc)
	})
	mux.HandleFunc("GET /user/emails", func(w http.ResponseWriter, r *http.Request) {
		u := user(r)
		if u == nil {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(u.Emails)
	})
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}

func (g *testGitHub) signInAs(login string) {
	g.mu.Lock()
	g.next = login
	g.mu.Unlock()
}

// provider is auth.GitHub pointed at the in-test GitHub.
func (g *testGitHub) provider() auth.Provider {
	pr := auth.GitHub(ghClientID, ghClientSecret)
	pr.AuthURL = g.srv.URL + "/login/oauth/authorize"
	pr.TokenURL = g.srv.URL + "/login/oauth/access_token"
	pr.UserInfoURL = g.srv.URL + "/user"
	pr.EmailsURL = g.srv.URL + "/user/emails"
	return pr
}

// redirectTarget follows an authorization page that redirects at once
// (the in-test GitHub's and Entra's) to where it sends the browser.
func redirectTarget(t *testing.T, authURL string) *url.URL {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authURL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return loc
}

// TestGitHubSignIn: sign-up and sign-in through a plain OAuth 2.0
// provider modelled on GitHub: the verified primary address of
// /user/emails is the user's (not the public one of /user), a null name
// is the login, an existing user is linked by a verified address only.
func TestGitHubSignIn(t *testing.T) {
	g := newTestGitHub(t)
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{Providers: []auth.Provider{g.provider()}, TrustedOrigins: []string{"https://app.example"}}, roomyAuthRate)
		cfg := e.Client().Get("/api/v1/auth/config").Map()
		assert.Equal(t, []any{map[string]any{"id": "github", "name": "GitHub", "enabled": true, "type": "social"}}, cfg["socialProviders"])

		authURL, state := startSocial(t, e, `{"provider":"github","callbackURL":"https://app.example/home","newUserCallbackURL":"/welcome"}`)
		q := mustParse(t, authURL).Query()
		assert.Equal(t, "read:user user:email", q.Get("scope"))
		assert.Equal(t, "http://objectos.test/api/v1/auth/callback/github", q.Get("redirect_uri"))
		assert.Empty(t, q.Get("nonce"), "no ID token, no nonce")
		g.signInAs("octo")
		r := finish(e, redirectTarget(t, authURL), state)
		require.Equal(t, http.StatusFound, r.StatusCode, r.String())
		assert.Equal(t, "/welcome", r.Header.Get("Location"))
		s := e.Bearer(sessionCookie(r).Value).Get("/api/v1/auth/get-session").Map()
		user := s["user"].(map[string]any)
		assert.Equal(t, "octo@example.com", user["email"], "the verified primary address, not the public one")
		assert.Equal(t, true, user["emailVerified"])
		assert.Equal(t, "The Octocat", user["name"])
		assert.Equal(t, "https://avatars.example/u/octo", user["image"])
		accounts, err := e.Stack.List(objectos.AsSystem(t.Context()), auth.ObjAccount, objectos.Query{Filter: objectos.Eq("user_id", user["id"])})
		require.NoError(t, err)
		require.Len(t, accounts.Records, 1)
		assert.Equal(t, "583231", accounts.Records[0]["account_id"], "GitHub's numeric id, as a string")
		assert.Equal(t, "github", accounts.Records[0]["provider_id"])

		// again: the same user, by the linked account
		authURL, state = startSocial(t, e, `{"provider":"github","callbackURL":"https://app.example/home"}`)
		r = finish(e, redirectTarget(t, authURL), state)
		require.Equal(t, "https://app.example/home", r.Header.Get("Location"))
		again := e.Bearer(sessionCookie(r).Value).Get("/api/v1/auth/get-session").Map()
		assert.Equal(t, user["id"], again["user"].(map[string]any)["id"])

		// a null name is the login (sign-up is closed: the provider may not
		// create users, so this one is refused first)
		authURL, state = startSocial(t, e, `{"provider":"github","callbackURL":"/done"}`)
		g.signInAs("nameless")
		r = finish(e, redirectTarget(t, authURL), state)
		assert.Equal(t, "/done?error=signup_disabled", r.Header.Get("Location"))

		// an existing password user: GitHub's unverified copy of the
		// address is refused, the verified one is linked
		require.NoError(t, createPasswordUser(e, "ada@example.com"))
		authURL, state = startSocial(t, e, `{"provider":"github","callbackURL":"/done","errorCallbackURL":"/oops"}`)
		g.signInAs("squat")
		r = finish(e, redirectTarget(t, authURL), state)
		assert.Equal(t, "/oops?error=account_not_linked", r.Header.Get("Location"))
		assert.Nil(t, sessionCookie(r))
		authURL, state = startSocial(t, e, `{"provider":"github","callbackURL":"/done"}`)
		g.signInAs("ada")
		r = finish(e, redirectTarget(t, authURL), state)
		require.Equal(t, "/done", r.Header.Get("Location"))
		ada := e.Bearer(sessionCookie(r).Value).Get("/api/v1/auth/get-session").Map()
		assert.Equal(t, "ada@example.com", ada["user"].(map[string]any)["email"])
	})
}

// TestGitHubSignUpNameless: a user whose GitHub name is null is named by
// the login.
func TestGitHubSignUpNameless(t *testing.T) {
	g := newTestGitHub(t)
	e := newEnv(t, testenv.Open(t, testenv.SQLite), auth.Options{Providers: []auth.Provider{g.provider()}}, roomyAuthRate)
	authURL, state := startSocial(t, e, `{"provider":"github","callbackURL":"/done"}`)
	g.signInAs("nameless")
	r := finish(e, redirectTarget(t, authURL), state)
	require.Equal(t, "/done", r.Header.Get("Location"), r.String())
	s := e.Bearer(sessionCookie(r).Value).Get("/api/v1/auth/get-session").Map()
	assert.Equal(t, "nameless", s["user"].(map[string]any)["name"])
}

// TestGitHubRefusals: a tampered PKCE challenge, a forged state, a
// provider error and a failing userinfo endpoint end without a session.
func TestGitHubRefusals(t *testing.T) {
	g := newTestGitHub(t)
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{Providers: []auth.Provider{g.provider()}}, roomyAuthRate)
		g.signInAs("octo")

		authURL, state := startSocial(t, e, `{"provider":"github","callbackURL":"/home"}`)
		u := mustParse(t, authURL)
		q := u.Query()
		q.Set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
		u.RawQuery = q.Encode()
		r := finish(e, redirectTarget(t, u.String()), state)
		assert.Equal(t, "/home?error=oauth_code_verification_failed", r.Header.Get("Location"))
		assert.Nil(t, sessionCookie(r))

		authURL, state = startSocial(t, e, `{"provider":"github","callbackURL":"/home"}`)
		cb := redirectTarget(t, authURL)
		forged := *cb
		fq := forged.Query()
		fq.Set("state", "forged")
		forged.RawQuery = fq.Encode()
		r = finish(e, &forged, state)
		assert.Equal(t, 400, r.StatusCode)
		assert.Equal(t, "INVALID_STATE", r.Value("code"))
		r = finish(e, cb, state)
		require.Equal(t, http.StatusFound, r.StatusCode)
		require.NotNil(t, sessionCookie(r), "the real state still works")
		r = finish(e, cb, state)
		assert.Equal(t, 400, r.StatusCode, "once")

		_, state = startSocial(t, e, `{"provider":"github","callbackURL":"/home"}`)
		r = finish(e, mustParse(t, "http://objectos.test/api/v1/auth/callback/github?error=access_denied&state="+url.QueryEscape(state.Value)), state)
		assert.Equal(t, "/home?error=provider_access_denied", r.Header.Get("Location"))

		g.mu.Lock()
		g.userFails = true
		g.mu.Unlock()
		defer func() { g.mu.Lock(); g.userFails = false; g.mu.Unlock() }()
		authURL, state = startSocial(t, e, `{"provider":"github","callbackURL":"/home"}`)
		r = finish(e, redirectTarget(t, authURL), state)
		assert.Equal(t, "/home?error=failed_to_get_user_info", r.Header.Get("Location"))
		assert.Nil(t, sessionCookie(r))
	})
}

func TestProvidersFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	prs, err := auth.ProvidersFromEnv(env(map[string]string{
		"OS_AUTH_PROVIDERS":        "github, google,microsoft,gitlab,acme-sso",
		"OS_AUTH_GITHUB_CLIENT_ID": "gh", "OS_AUTH_GITHUB_CLIENT_SECRET": "ghs",
		"OS_AUTH_GOOGLE_CLIENT_ID": "go", "OS_AUTH_GOOGLE_CLIENT_SECRET": "gos",
		"OS_AUTH_MICROSOFT_CLIENT_ID": "ms", "OS_AUTH_MICROSOFT_CLIENT_SECRET": "mss", "OS_AUTH_MICROSOFT_TENANT": "9188040d-6c67-4c5b-b112-36a304b66dad",
		"OS_AUTH_GITLAB_CLIENT_ID": "gl", "OS_AUTH_GITLAB_CLIENT_SECRET": "gls", "OS_AUTH_GITLAB_URL": "https://git.example/",
		"OS_AUTH_ACME_SSO_CLIENT_ID": "acme", "OS_AUTH_OIDC_ACME_SSO_ISSUER": "https://sso.acme.example", "OS_AUTH_ACME_SSO_NAME": "Acme SSO",
		"OS_AUTH_ACME_SSO_ALLOW_SIGNUP": "true",
	}))
	require.NoError(t, err)
	require.Len(t, prs, 5)
	assert.Equal(t, "https://github.com/login/oauth/authorize", prs[0].AuthURL)
	assert.Equal(t, "ghs", prs[0].ClientSecret)
	assert.Equal(t, "https://accounts.google.com", prs[1].Issuer)
	assert.Equal(t, "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", prs[2].Issuer)
	assert.Equal(t, "https://git.example", prs[3].Issuer)
	assert.Equal(t, auth.Provider{ID: "acme-sso", Name: "Acme SSO", Issuer: "https://sso.acme.example", ClientID: "acme", AllowSignUp: true}, prs[4])

	for vars, msg := range map[string]string{
		"OS_AUTH_PROVIDERS=github":                            "needs OS_AUTH_GITHUB_CLIENT_ID",
		"OS_AUTH_PROVIDERS=google,OS_AUTH_GOOGLE_CLIENT_ID=x": "needs OS_AUTH_GOOGLE_CLIENT_SECRET",
		"OS_AUTH_PROVIDERS=microsoft,OS_AUTH_MICROSOFT_CLIENT_ID=x,OS_AUTH_MICROSOFT_CLIENT_SECRET=y,OS_AUTH_MICROSOFT_TENANT=contoso.com": "a GUID",
		"OS_AUTH_PROVIDERS=credential,OS_AUTH_CREDENTIAL_CLIENT_ID=x,OS_AUTH_OIDC_CREDENTIAL_ISSUER=https://x.example":                     "names the password accounts",
		"OS_AUTH_PROVIDERS=okta,OS_AUTH_OKTA_CLIENT_ID=x,OS_AUTH_OIDC_OKTA_ISSUER=http://okta.example":                                     "not an https URL",
		"OS_AUTH_PROVIDERS=okta,OS_AUTH_OKTA_CLIENT_ID=x":                                                                                  "set OS_AUTH_OIDC_OKTA_ISSUER",
		"OS_AUTH_PROVIDERS=github,github": "twice",
	} {
		m := map[string]string{}
		parts := strings.Split(vars, ",OS_")
		for i, p := range parts {
			if i > 0 {
				p = "OS_" + p
			}
			k, v, _ := strings.Cut(p, "=")
			m[k] = v
		}
		m["OS_AUTH_GITHUB_CLIENT_ID"] = map[bool]string{true: "", false: "gh"}[msg == "needs OS_AUTH_GITHUB_CLIENT_ID"]
		m["OS_AUTH_GITHUB_CLIENT_SECRET"] = "ghs"
		_, err := auth.ProvidersFromEnv(env(m))
		assert.ErrorContains(t, err, msg, vars)
	}
	none, err := auth.ProvidersFromEnv(env(map[string]string{}))
	require.NoError(t, err)
	assert.Empty(t, none)
}
