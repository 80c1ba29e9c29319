package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/apikey"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/console"
	"github.com/objectos-go/objectos/internal/browsertest"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/security"
)

// fakeIssuer serves an OpenID discovery document whose authorization
// endpoint is a page of its own: far enough for the browser to be sent
// there by the sign-in button.
func fakeIssuer(t *testing.T) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{
				"issuer": srv.URL, "authorization_endpoint": srv.URL + "/authorize", "token_endpoint": srv.URL + "/token",
				"jwks_uri": srv.URL + "/jwks", "userinfo_endpoint": srv.URL + "/userinfo",
				"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
				"id_token_signing_alg_values_supported": []string{"RS256"},
			})
		case "/authorize":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><title>Acme sign-in</title><h1>Acme sign-in</h1>`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// The console under another base path and path of its own, in a real
// browser: a deep link leads through the sign-in page and back, the
// configured OAuth provider is a button that sends the browser to it, and
// the data pages call the API under its base path.
func TestConsoleUnderABasePath(t *testing.T) {
	browser := browsertest.New(t)
	issuer := fakeIssuer(t)
	a, err := objectos.ParseArtifact([]byte(artifact))
	require.NoError(t, err)
	cons := console.New(console.Options{Path: "/admin", Title: "Shop admin"})
	st, err := objectos.New(context.Background(), objectos.Options{
		Artifact: a, Store: testenv.Open(t, testenv.SQLite), BasePath: "/shop/api",
		Plugins: []objectos.Plugin{rest.New(rest.Options{}), apikey.New(apikey.Options{}), security.New(), cons,
			auth.New(auth.Options{AdminEmail: "admin@example.com", AdminPassword: "change-me-now",
				Providers: []auth.Provider{{ID: "acme", Name: "Acme SSO", Issuer: issuer.URL, ClientID: "console"}}})},
	})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	mux := http.NewServeMux()
	mux.Handle("/shop/api/", st)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	root := srv.URL + "/shop/api/admin/"

	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()
	errs := browsertest.CollectErrors(t, ctx)

	// a deep link, anonymous: the sign-in page, with the provider's button
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(root+"data/shop_item?sort=name")))
	poll(t, ctx, `document.querySelector("h1") && document.querySelector("h1").textContent === "Sign in"`)
	assert.Contains(t, evalString(t, ctx, `location.search`), "next=data%2Fshop_item%3Fsort%3Dname")
	assert.Equal(t, "Sign in · Shop admin", evalString(t, ctx, `document.title`))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "admin@example.com"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "wrong-password"+kb.Enter)))
	poll(t, ctx, `document.querySelector("[role=alert]") !== null`)
	assert.Contains(t, evalString(t, ctx, `document.querySelector("[role=alert]").textContent`), "The email or the password is wrong.")
	// and back where the link pointed, once signed in
	assert.Equal(t, "", evalString(t, ctx, `document.querySelector("input[name=password]").value = ""`))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "change-me-now"+kb.Enter)))
	poll(t, ctx, `document.querySelector("h1").textContent === "Item"`)
	assert.Equal(t, "/shop/api/admin/data/shop_item", evalString(t, ctx, `location.pathname`))

	// create through the form: the API under /shop/api
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.toolbar a.button`))))
	poll(t, ctx, `document.querySelector("h1").textContent === "New Item"`)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "Widget"),
		chromedp.Click(chromedp.CSS(`form.record-form button[type=submit]`))))
	poll(t, ctx, `document.querySelector("h1").textContent === "Widget"`)

	// an edit sends what the user changed, and nothing else: a datetime
	// keeps its milliseconds, an empty boolean stays empty, a tag keeps its
	// comma
	sys := objectos.AsSystem(context.Background())
	made, err := st.Create(sys, "shop_item", objectos.Record{"name": "Gadget", "due": "2024-03-15T14:30:45.123Z",
		"labels": []any{"red, blue", "green"}})
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(root+"data/shop_item/"+made.ID+"/edit")))
	poll(t, ctx, `document.querySelector("h1") && document.querySelector("h1").textContent === "Edit Gadget"`)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`form.record-form input[name=name]`), " 2"),
		chromedp.Click(chromedp.CSS(`form.record-form button[type=submit]`))))
	poll(t, ctx, `document.querySelector("h1").textContent === "Gadget 2"`)
	got, err := st.Get(sys, "shop_item", made.ID, objectos.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "2024-03-15T14:30:45.123Z", got.Record["due"])
	assert.Nil(t, got.Record["flag"])
	assert.Equal(t, []string{"red, blue", "green"}, got.Record["labels"])
	// an unknown address in the console, and an unknown record
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(root+"nowhere")))
	poll(t, ctx, `document.querySelector("h1") && document.querySelector("h1").textContent === "Not found"`)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(root+"data/shop_item/no-such-id")))
	poll(t, ctx, `document.querySelector("h1") && document.querySelector("h1").textContent === "Not found"`)
	assert.Contains(t, evalString(t, ctx, `document.querySelector("main").innerText`), "RECORD_NOT_FOUND")

	// sign out, then the provider's button sends the browser to it
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#sign-out"))))
	poll(t, ctx, `document.querySelector("h1") && document.querySelector("h1").textContent === "Sign in"`)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`main .card button.secondary`))))
	poll(t, ctx, `document.title === "Acme sign-in"`)
	at := evalString(t, ctx, `location.href`)
	assert.True(t, strings.HasPrefix(at, issuer.URL+"/authorize?"), at)
	assert.Contains(t, at, "client_id=console")
	assert.Contains(t, at, "code_challenge=")
	assert.Contains(t, at, "state=")

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(t.ArtifactDir(), "provider.png"), png, 0o644))
	var others []string
	for _, e := range errs.All() {
		// the wrong password and the unknown record, as the browser logs them
		if !strings.Contains(e, "status of 401") && !strings.Contains(e, "status of 404") {
			others = append(others, e)
		}
	}
	assert.Empty(t, others, "console errors or CSP violations")
}

// poll waits for a condition, across navigations (which end a
// chromedp.Poll).
func poll(t *testing.T, ctx context.Context, js string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("waiting for %s: %v\npage: %s", js, err, page)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func evalString(t *testing.T, ctx context.Context, js string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	require.NoError(t, err, js)
	return v
}
