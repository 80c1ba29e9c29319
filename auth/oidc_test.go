package auth_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/apikey"
	"github.com/objectos-go/objectos/audit"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

// users of the in-test OpenID provider.
type opUsers struct {
	mu    sync.Mutex
	users map[string]*storage.User
}

func (u *opUsers) GetUserByID(id string) *storage.User {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.users[id]
}

func (u *opUsers) GetUserByUsername(name string) *storage.User {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, x := range u.users {
		if x.Username == name {
			return x
		}
	}
	return nil
}

func (u *opUsers) ExampleClientID() string { return "service" }

// testOP is a real OpenID provider (zitadel's OP with its example storage)
// served by httptest. Its login page signs in whichever user the test names.
type testOP struct {
	srv     *httptest.Server
	storage *storage.Storage
	mu      sync.Mutex
	next    string // username the login page signs in
}

const (
	opClientID     = "objectos-test"
	opClientSecret = "s3cret"
	redirectURI    = "http://objectos.test/api/v1/auth/callback/idp"
)

func newTestOP(t *testing.T) *testOP {
	t.Helper()
	users := &opUsers{users: map[string]*storage.User{
		"u-verified":   {ID: "u-verified", Username: "verified", Password: "pw", FirstName: "Vera", LastName: "Fied", Email: "vera@example.com", EmailVerified: true, PreferredLanguage: language.English},
		"u-unverified": {ID: "u-unverified", Username: "unverified", Password: "pw", FirstName: "Una", LastName: "Ver", Email: "ada@example.com", EmailVerified: false, PreferredLanguage: language.English},
		"u-linked":     {ID: "u-linked", Username: "linked", Password: "pw", FirstName: "Ada", LastName: "L", Email: "ada@example.com", EmailVerified: true, PreferredLanguage: language.English},
	}}
	o := &testOP{}
	o.storage = storage.NewStorageWithClients(users, map[string]*storage.Client{
		opClientID: storage.WebClient(opClientID, opClientSecret, redirectURI),
	})
	mux := http.NewServeMux()
	o.srv = httptest.NewServer(mux)
	t.Cleanup(o.srv.Close)
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:      sha256.Sum256([]byte("test")),
		CodeMethodS256: true,
	}, o.storage, op.StaticIssuer(o.srv.URL), op.WithAllowInsecure())
	require.NoError(t, err)
	mux.HandleFunc("/login/username", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("authRequestID")
		o.mu.Lock()
		user := o.next
		o.mu.Unlock()
		if err := o.storage.CheckUsernamePassword(user, "pw", id); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		http.Redirect(w, r, o.srv.URL+"/authorize/callback?id="+url.QueryEscape(id), http.StatusFound)
	})
	mux.Handle("/", provider.HttpHandler())
	return o
}

func (o *testOP) signInAs(username string) {
	o.mu.Lock()
	o.next = username
	o.mu.Unlock()
}

// browserTo follows the provider's redirects, as a browser would, until one
// leaves the provider; it returns that URL (our callback).
func (o *testOP) browserTo(t *testing.T, authURL string) *url.URL {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	next := authURL
	for i := 0; i < 10; i++ {
		resp, err := client.Get(next)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusFound, resp.StatusCode, "at %s", next)
		loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		if !strings.HasPrefix(loc.String(), o.srv.URL) {
			return loc
		}
		next = loc.String()
	}
	t.Fatal("too many redirects")
	return nil
}

func oidcEnv(t *testing.T, st *store.Store, o *testOP, allowSignUp bool) *env {
	return newEnv(t, st, auth.Options{
		TrustedOrigins: []string{"https://app.example"},
		Providers: []auth.Provider{{ID: "idp", Name: "Test IdP", Issuer: o.srv.URL,
			ClientID: opClientID, ClientSecret: opClientSecret, AllowSignUp: allowSignUp}},
	}, roomyAuthRate, func(so *objectos.Options) { so.Plugins = append(so.Plugins, audit.New(audit.Options{})) })
}

// startSocial posts sign-in/social and returns the authorize URL and the
// state cookie.
func startSocial(t *testing.T, e *env, body string) (string, *http.Cookie) {
	t.Helper()
	r := e.Client().Post("/api/v1/auth/sign-in/social", body)
	r.Status(t, 200)
	assert.Equal(t, true, r.Value("redirect"))
	u := r.Value("url").(string)
	assert.Equal(t, u, r.Header.Get("Location"))
	var state *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == "objectos.oauth_state" {
			state = c
		}
	}
	require.NotNil(t, state)
	assert.True(t, state.HttpOnly)
	return u, state
}

func finish(e *env, cb *url.URL, state *http.Cookie) *objectostest.Response {
	var cookies []*http.Cookie
	if state != nil {
		cookies = append(cookies, state)
	}
	return e.do(call{method: "GET", path: cb.RequestURI(), cookies: cookies})
}

func TestOIDCSignIn(t *testing.T) {
	o := newTestOP(t)
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := oidcEnv(t, st, o, true)
		cfg := e.Client().Get("/api/v1/auth/config").Map()
		assert.Equal(t, []any{map[string]any{"id": "idp", "name": "Test IdP", "enabled": true, "type": "oidc"}}, cfg["socialProviders"])

		// A new user signs up through the provider.
		authURL, state := startSocial(t, e, `{"provider":"idp","callbackURL":"https://app.example/home","newUserCallbackURL":"/welcome"}`)
		q := mustParse(t, authURL).Query()
		assert.Equal(t, "S256", q.Get("code_challenge_method"), "PKCE")
		assert.NotEmpty(t, q.Get("nonce"))
		assert.Equal(t, redirectURI, q.Get("redirect_uri"))
		o.signInAs("verified")
		cb := o.browserTo(t, authURL)
		assert.Equal(t, "/api/v1/auth/callback/idp", cb.Path)
		r := finish(e, cb, state)
		require.Equal(t, http.StatusFound, r.StatusCode, r.String())
		assert.Equal(t, "/welcome", r.Header.Get("Location"), "a new user goes to newUserCallbackURL")
		sc := sessionCookie(r)
		require.NotNil(t, sc)
		s := e.Bearer(sc.Value).Get("/api/v1/auth/get-session").Map()
		user := s["user"].(map[string]any)
		assert.Equal(t, "vera@example.com", user["email"])
		assert.Equal(t, "Vera Fied", user["name"])
		assert.Equal(t, true, user["emailVerified"])
		assert.Equal(t, "admin", user["role"], "the very first user is the owner")

		// The same identity signs in again: same user, callbackURL.
		authURL, state = startSocial(t, e, `{"provider":"idp","callbackURL":"https://app.example/home","newUserCallbackURL":"/welcome"}`)
		r = finish(e, o.browserTo(t, authURL), state)
		require.Equal(t, http.StatusFound, r.StatusCode)
		assert.Equal(t, "https://app.example/home", r.Header.Get("Location"))
		again := e.Bearer(sessionCookie(r).Value).Get("/api/v1/auth/get-session").Map()
		assert.Equal(t, user["id"], again["user"].(map[string]any)["id"])
		signIns, err := e.Stack.List(objectos.AsSystem(context.Background()), audit.Object,
			objectos.Query{Filter: objectos.And(objectos.Eq("event", audit.SignIn), objectos.Eq("target_user_id", user["id"]))})
		require.NoError(t, err)
		require.Len(t, signIns.Records, 2, "both sign-ins through the provider are in the audit log")
		assert.Equal(t, user["id"], signIns.Records[0]["actor_id"])
		assert.Equal(t, "idp", signIns.Records[0]["details"].(map[string]any)["provider"])

		// A password user is linked by a verified email, never by an
		// unverified one.
		require.NoError(t, createPasswordUser(e, "ada@example.com"))
		authURL, state = startSocial(t, e, `{"provider":"idp","callbackURL":"/done","errorCallbackURL":"/oops"}`)
		o.signInAs("unverified")
		r = finish(e, o.browserTo(t, authURL), state)
		assert.Equal(t, "/oops?error=account_not_linked", r.Header.Get("Location"))
		assert.Nil(t, sessionCookie(r))

		authURL, state = startSocial(t, e, `{"provider":"idp","callbackURL":"/done"}`)
		o.signInAs("linked")
		r = finish(e, o.browserTo(t, authURL), state)
		require.Equal(t, "/done", r.Header.Get("Location"))
		linked := e.Bearer(sessionCookie(r).Value).Get("/api/v1/auth/get-session").Map()
		assert.Equal(t, "ada@example.com", linked["user"].(map[string]any)["email"])
		assert.Equal(t, true, linked["user"].(map[string]any)["emailVerified"])
		assert.Equal(t, 401, e.signIn("ada@example.com", "ada password").StatusCode,
			"the address was never verified: the password of whoever registered it is gone")
	})
}

// TestOIDCClaimsAnUnverifiedAccount: someone registers the victim's address
// with a password (sign-up is open), mints a key and keeps a session; the
// victim signs in through the provider, which has verified the address:
// the account becomes the victim's, and the squatter's password, session
// and key stop working. An account whose address was verified keeps its
// credentials when it is linked.
func TestOIDCClaimsAnUnverifiedAccount(t *testing.T) {
	o := newTestOP(t)
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{SignUp: objectos.Ptr(true),
			Providers: []auth.Provider{{ID: "idp", Issuer: o.srv.URL, ClientID: opClientID, ClientSecret: opClientSecret}}},
			roomyAuthRate, func(so *objectos.Options) { so.Plugins = append(so.Plugins, apikey.New(apikey.Options{})) })
		require.Equal(t, 200, e.signUp("Owner", "owner@example.com", "owner password").StatusCode)
		squat := e.signUp("Squatter", "ada@example.com", "squatter password")
		require.Equal(t, 200, squat.StatusCode)
		session := squat.Value("token").(string)
		minted := e.Bearer(session).Post("/api/v1/keys", `{"name":"backdoor"}`)
		minted.Status(t, 201)
		key := minted.Value("key").(string)
		works := func(h map[string]string) int {
			return e.do(call{method: "GET", path: "/api/v1/data/note", header: h}).StatusCode
		}
		require.Equal(t, 200, works(bearer(session)))
		require.Equal(t, 200, works(map[string]string{"x-api-key": key}))

		authURL, state := startSocial(t, e, `{"provider":"idp","callbackURL":"/done"}`)
		o.signInAs("linked") // the provider verified ada@example.com
		r := finish(e, o.browserTo(t, authURL), state)
		require.Equal(t, "/done", r.Header.Get("Location"))
		victim := e.Bearer(sessionCookie(r).Value).Get("/api/v1/auth/get-session").Map()
		assert.Equal(t, squat.Value("user.id"), victim["user"].(map[string]any)["id"], "the same account")
		assert.Equal(t, true, victim["user"].(map[string]any)["emailVerified"])

		assert.Equal(t, 401, e.signIn("ada@example.com", "squatter password").StatusCode, "the squatter's password is gone")
		assert.Equal(t, 401, works(bearer(session)), "the squatter's session is revoked")
		assert.Equal(t, 401, works(map[string]string{"x-api-key": key}), "the squatter's key is revoked")
		assert.Equal(t, 200, works(bearer(sessionCookie(r).Value)), "the owner of the address is in")
		// signing up with the address again changes nothing
		assert.Equal(t, 422, e.signUp("Squatter", "ada@example.com", "another password").StatusCode)

		// the other order: an account with a verified address keeps what it
		// has when the provider links it
		require.NoError(t, e.auth.SetPassword(e.t.Context(), victim["user"].(map[string]any)["id"].(string), "ada's own password"))
		mine := e.signIn("ada@example.com", "ada's own password")
		require.Equal(t, 200, mine.StatusCode)
		authURL, state = startSocial(t, e, `{"provider":"idp","callbackURL":"/done"}`)
		require.Equal(t, "/done", finish(e, o.browserTo(t, authURL), state).Header.Get("Location"))
		assert.Equal(t, 200, works(bearer(mine.Value("token").(string))), "a verified account keeps its sessions")
		assert.Equal(t, 200, e.signIn("ada@example.com", "ada's own password").StatusCode, "and its password")
	})
}

func createPasswordUser(e *env, email string) error {
	r := e.signUp("Ada", email, "ada password")
	if r.StatusCode == 403 {
		// sign-up is closed after the first user: provision through Go
		_, err := e.Stack.Create(objectos.AsSystem(e.t.Context()), "sys_user", objectos.Record{"name": "Ada", "email": email})
		if err != nil {
			return err
		}
		u, err := e.Stack.List(objectos.AsSystem(e.t.Context()), "sys_user", objectos.Query{Filter: objectos.Eq("email", email)})
		if err != nil {
			return err
		}
		return e.auth.SetPassword(e.t.Context(), u.Records[0]["id"].(string), "ada password")
	}
	return nil
}

func mustParse(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

func TestOIDCRefusals(t *testing.T) {
	o := newTestOP(t)
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := oidcEnv(t, st, o, false)
		o.signInAs("verified")

		t.Run("untrusted callback URL", func(t *testing.T) {
			for _, cb := range []string{"https://evil.example/steal", "//evil.example/x", "javascript:alert(1)",
				// what browsers turn into //evil.example/: tabs and newlines
				// are dropped, a backslash is a slash
				"/\t/evil.example/", "/\n/evil.example/", "/\r\n/evil.example", "/\\evil.example", "\\/evil.example",
				"/\u0000/evil.example", " //evil.example", "/\u007f/evil.example", "/x/../\\evil.example",
				"https://app.example\\@evil.example/", "https://user@app.example/", "HTTPS://EVIL.example", "data:text/html,x",
				"http://objectos.test:8080/", "ftp://objectos.test/", "done", "?next=1"} {
				r := e.Client().Post("/api/v1/auth/sign-in/social", mustJSON(map[string]any{"provider": "idp", "callbackURL": cb}))
				assert.Equal(t, 403, r.StatusCode, cb)
				assert.Equal(t, "INVALID_CALLBACK_URL", r.Value("code"))
			}
			r := e.Client().Post("/api/v1/auth/sign-in/social", `{"provider":"idp","callbackURL":"/ok","errorCallbackURL":"https://evil.example"}`)
			assert.Equal(t, 403, r.StatusCode)
			// same-site paths and the server's own and trusted origins pass
			for _, cb := range []string{"/", "/home?tab=1#top", "http://objectos.test/x", "HTTPS://APP.EXAMPLE/home", "/a%2F%2Fb"} {
				r := e.Client().Post("/api/v1/auth/sign-in/social", mustJSON(map[string]any{"provider": "idp", "callbackURL": cb}))
				assert.Equal(t, 200, r.StatusCode, "%s: %s", cb, r.String())
			}
		})

		t.Run("unknown provider", func(t *testing.T) {
			r := e.Client().Post("/api/v1/auth/sign-in/social", `{"provider":"nope","callbackURL":"/"}`)
			assert.Equal(t, 404, r.StatusCode)
			assert.Equal(t, "PROVIDER_NOT_FOUND", r.Value("code"))
			assert.Equal(t, 404, e.Client().Get("/api/v1/auth/callback/nope?state=x&code=y").StatusCode)
		})

		t.Run("forged state", func(t *testing.T) {
			authURL, state := startSocial(t, e, `{"provider":"idp","callbackURL":"/home"}`)
			cb := o.browserTo(t, authURL)
			forged := *cb
			q := forged.Query()
			q.Set("state", "forged-state-value")
			forged.RawQuery = q.Encode()
			for name, c := range map[string]*http.Cookie{
				"forged state, real cookie":   state,
				"forged state, forged cookie": {Name: "objectos.oauth_state", Value: "forged-state-value"},
			} {
				r := finish(e, &forged, c)
				assert.Equal(t, 400, r.StatusCode, name)
				assert.Equal(t, "INVALID_STATE", r.Value("code"), name)
				assert.Nil(t, sessionCookie(r))
			}
			r := finish(e, cb, nil)
			assert.Equal(t, 400, r.StatusCode, "the state cookie is required: a login started in another browser is refused")
			// the real state still works once, and only once
			r = finish(e, cb, state)
			assert.Equal(t, http.StatusFound, r.StatusCode)
			require.NotNil(t, sessionCookie(r))
			r = finish(e, cb, state)
			assert.Equal(t, 400, r.StatusCode, "a state is single-use")
		})

		t.Run("wrong nonce", func(t *testing.T) {
			authURL, state := startSocial(t, e, `{"provider":"idp","callbackURL":"/home"}`)
			u := mustParse(t, authURL)
			q := u.Query()
			q.Set("nonce", "a-nonce-the-server-never-issued")
			u.RawQuery = q.Encode()
			r := finish(e, o.browserTo(t, u.String()), state)
			assert.Equal(t, http.StatusFound, r.StatusCode)
			assert.Equal(t, "/home?error=invalid_nonce", r.Header.Get("Location"))
			assert.Nil(t, sessionCookie(r))
		})

		t.Run("tampered PKCE challenge", func(t *testing.T) {
			authURL, state := startSocial(t, e, `{"provider":"idp","callbackURL":"/home"}`)
			u := mustParse(t, authURL)
			q := u.Query()
			q.Set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
			u.RawQuery = q.Encode()
			r := finish(e, o.browserTo(t, u.String()), state)
			assert.Equal(t, "/home?error=oauth_code_verification_failed", r.Header.Get("Location"))
			assert.Nil(t, sessionCookie(r))
		})

		t.Run("provider error", func(t *testing.T) {
			_, state := startSocial(t, e, `{"provider":"idp","callbackURL":"/home"}`)
			cb := mustParse(t, "http://objectos.test/api/v1/auth/callback/idp?error=access_denied&state="+url.QueryEscape(state.Value))
			r := finish(e, cb, state)
			assert.Equal(t, "/home?error=provider_access_denied", r.Header.Get("Location"))
		})

		t.Run("sign-up closed", func(t *testing.T) {
			// the forged-state subtest's sign-in made the first user; now
			// sign-up is closed and the provider does not allow it
			has := e.Client().Get("/api/v1/auth/bootstrap-status").Map()
			require.Equal(t, true, has["hasOwner"])
			o.signInAs("linked")
			authURL, state := startSocial(t, e, `{"provider":"idp","callbackURL":"/home"}`)
			r := finish(e, o.browserTo(t, authURL), state)
			assert.Equal(t, "/home?error=signup_disabled", r.Header.Get("Location"))
			assert.Nil(t, sessionCookie(r))
		})
	})
}
