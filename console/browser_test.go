package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// twoFactorConsole is a console on a Stack whose clock the test moves (the
// TOTP codes are computed for its time), with authPerMinute requests of
// the auth rate limit (per address, and the test and the browser share
// one). Its administrator is admin@example.com.
type twoFactorConsole struct {
	clock *testenv.Clock
	api   string // the API's address, http://127.0.0.1:…/api/v1
	root  string // the console's
}

func newTwoFactorConsole(t *testing.T, opts auth.Options, authPerMinute int) *twoFactorConsole {
	t.Helper()
	a, err := objectos.ParseArtifact([]byte(artifact))
	require.NoError(t, err)
	clock := testenv.NewClock()
	opts.AdminEmail, opts.AdminPassword = "admin@example.com", "change-me-now"
	st, err := objectos.New(context.Background(), objectos.Options{
		Artifact: a, Store: testenv.Open(t, testenv.SQLite), Clock: clock.Now,
		RateLimits: objectos.RateLimits{Auth: objectos.Rate{Limit: authPerMinute, Period: time.Minute}},
		Plugins: []objectos.Plugin{rest.New(rest.Options{}), apikey.New(apikey.Options{}), security.New(),
			console.New(console.Options{}), auth.New(opts)},
	})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(st)
	t.Cleanup(srv.Close)
	return &twoFactorConsole{clock: clock, api: srv.URL + "/api/v1", root: srv.URL + "/api/v1/console/"}
}

// post sends body to the API, with a bearer token unless it is "", and
// returns the status and the answer.
func (c *twoFactorConsole) post(t *testing.T, path, token string, body any) (int, map[string]any) {
	t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, c.api+path, bytes.NewReader(raw))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var answer map[string]any
	_ = json.NewDecoder(res.Body).Decode(&answer)
	return res.StatusCode, answer
}

// get asks the API for path, with a bearer token unless it is "", and
// returns the status and the answer (nil for null).
func (c *twoFactorConsole) get(t *testing.T, path, token string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.api+path, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var answer map[string]any
	_ = json.NewDecoder(res.Body).Decode(&answer)
	return res.StatusCode, answer
}

// signIn signs in through the API and returns the session's token and the
// user's id.
func (c *twoFactorConsole) signIn(t *testing.T, email, password string) (token, userID string) {
	t.Helper()
	status, answer := c.post(t, "/auth/sign-in/email", "", map[string]any{"email": email, "password": password})
	require.Equal(t, http.StatusOK, status, answer)
	return answer["token"].(string), answer["user"].(map[string]any)["id"].(string)
}

// turnOnTwoFactor turns two-factor on for the user through the API, as a
// user would (enable with the password, then a code of the new secret),
// and returns the secret and the backup codes. The clock then moves on a
// step, so that the next code is a new one.
func (c *twoFactorConsole) turnOnTwoFactor(t *testing.T, email, password string) (secret string, backup []string) {
	t.Helper()
	status, answer := c.post(t, "/auth/sign-in/email", "", map[string]any{"email": email, "password": password})
	require.Equal(t, http.StatusOK, status, answer)
	token := answer["token"].(string)
	status, answer = c.post(t, "/auth/two-factor/enable", token, map[string]any{"password": password})
	require.Equal(t, http.StatusOK, status, answer)
	u, err := url.Parse(answer["totpURI"].(string))
	require.NoError(t, err)
	secret = u.Query().Get("secret")
	for _, b := range answer["backupCodes"].([]any) {
		backup = append(backup, b.(string))
	}
	status, answer = c.post(t, "/auth/two-factor/verify-totp", token, map[string]any{"code": testenv.TOTPCode(t, secret, c.clock.Now())})
	require.Equal(t, http.StatusOK, status, answer)
	c.clock.Advance(30 * time.Second)
	return secret, backup
}

// A browser on the console, with what the tests below do with it.
type consolePage struct {
	t   *testing.T
	ctx context.Context
}

func (p consolePage) heading(text string) {
	p.t.Helper()
	poll(p.t, p.ctx, `document.querySelector("h1") && document.querySelector("h1").textContent === `+jsString(text))
}

func (p consolePage) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	require.NoError(p.t, chromedp.Do(p.ctx, actions...))
}

func (p consolePage) eval(js string) string {
	p.t.Helper()
	return evalString(p.t, p.ctx, js)
}

// signInWithPassword fills in the password step of the sign-in page.
func (p consolePage) signInWithPassword(email, password string) {
	p.t.Helper()
	p.heading("Sign in")
	p.eval(`document.querySelector("input[name=email]").value = ""`)
	p.do(chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password+kb.Enter))
}

// submitCode types code into the code field of the form that sel names
// and waits for the answer: the form's error, or another page. It returns
// the error ("" for none).
func (p consolePage) submitCode(sel, code string) string {
	p.t.Helper()
	p.do(chromedp.SendKeys(chromedp.CSS(sel+` input[name=code]`), code+kb.Enter))
	form := `document.querySelector(` + jsString(sel) + `)`
	poll(p.t, p.ctx, `!`+form+` || (!`+form+`.querySelector("button[type=submit]").disabled && `+form+`.querySelector("[role=alert]") !== null)`)
	return p.eval(`(` + form + ` && ` + form + `.querySelector("[role=alert]")) ? ` + form + `.querySelector("[role=alert]").textContent : ""`)
}

// labelOf returns the text of the label of the control sel names.
func (p consolePage) labelOf(sel string) string {
	p.t.Helper()
	return strings.TrimSpace(p.eval(`document.querySelector("label[for='" + document.querySelector(` + jsString(sel) + `).id + "']").textContent`))
}

// fieldError returns the error shown on the field of form named name,
// "" for none.
func (p consolePage) fieldError(form, name string) string {
	p.t.Helper()
	e := `document.querySelector(` + jsString(form+` .field[data-field="`+name+`"] .field-error`) + `)`
	return p.eval(e + `.hidden ? "" : ` + e + `.textContent`)
}

// signedInAs waits for the page of a signed-in user.
func (p consolePage) signedInAs(email string) {
	p.t.Helper()
	poll(p.t, p.ctx, `!document.getElementById("who").hidden && document.getElementById("signed-in-as").textContent.includes(`+jsString(email)+`)`)
}

func (p consolePage) signOut() {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.CSS("#sign-out")))
	p.heading("Sign in")
}

// screenshot saves the page in the test's artifacts (go test -artifacts
// keeps them).
func (p consolePage) screenshot(name string) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	require.NoError(p.t, err)
	require.NoError(p.t, os.WriteFile(filepath.Join(p.t.ArtifactDir(), name), png, 0o644))
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// consoleErrors are the errors the page reported, less the failed
// requests the test made on purpose (the browser logs each answer of
// status).
func consoleErrors(errs *browsertest.Errors, status ...int) []string {
	var others []string
	for _, e := range errs.All() {
		expected := false
		for _, s := range status {
			expected = expected || strings.Contains(e, fmt.Sprintf("status of %d", s))
		}
		if !expected {
			others = append(others, e)
		}
	}
	return others
}

// A user with two-factor on signs in to the console with their password,
// then a code of their authenticator app: a wrong one is refused with the
// API's error and can be tried again, a right one signs them in. A backup
// code does too, after a wrong one. When their session ends in the middle
// of a write, the dialog that signs them in again asks for a code as well,
// and the write goes through.
func TestConsoleTwoFactorSignIn(t *testing.T) {
	browser := browsertest.New(t)
	c := newTwoFactorConsole(t, auth.Options{SignUp: objectos.Ptr(true)}, 1000)
	status, answer := c.post(t, "/auth/sign-up/email", "", map[string]any{"name": "Ada", "email": "ada@example.com", "password": "correct horse"})
	require.Equal(t, http.StatusOK, status, answer)
	secret, backup := c.turnOnTwoFactor(t, "ada@example.com", "correct horse")

	ctx, cancel := context.WithTimeout(browser, 90*time.Second)
	defer cancel()
	errs := browsertest.CollectErrors(t, ctx)
	p := consolePage{t, ctx}
	p.do(chromedp.EmulateViewport(1280, 900), chromedp.Navigate(c.root))

	// the password alone leads to the code step, and to no session
	p.signInWithPassword("ada@example.com", "correct horse")
	p.heading("Two-factor sign-in")
	assert.Equal(t, "totp", p.eval(`document.querySelector("form.second-factor").dataset.factor`))
	assert.Equal(t, "Authentication code *", p.eval(`document.querySelector("label[for='" + document.querySelector("input[name=code]").id + "']").textContent`))
	assert.Equal(t, "one-time-code", p.eval(`document.querySelector("input[name=code]").autocomplete`))
	assert.Equal(t, "input[name=code]", p.eval(`document.activeElement.matches("input[name=code]") ? "input[name=code]" : document.activeElement.outerHTML`), "the code field has the focus")
	assert.Equal(t, "true", p.eval(`String(document.getElementById("who").hidden)`))
	// a code that is not 6 digits is not sent (it would count towards the lockout)
	assert.Equal(t, "", p.eval(`document.querySelector("input[name=code]").value = "12345"; ""`))
	p.do(chromedp.Click(chromedp.CSS(`form.second-factor button[type=submit]`)))
	assert.Equal(t, "The code is 6 digits.", p.eval(`document.querySelector("form.second-factor .field-error").textContent`))
	p.eval(`document.querySelector("input[name=code]").value = ""`)
	// a wrong code: the API's error, and another try
	msg := p.submitCode("form.second-factor", testenv.WrongTOTPCode(t, secret, c.clock.Now()))
	assert.Equal(t, "Invalid code (INVALID_CODE)", msg)
	assert.Equal(t, "Two-factor sign-in", p.eval(`document.querySelector("h1").textContent`))
	assert.Equal(t, "", p.eval(`document.querySelector("input[name=code]").value`), "the wrong code is cleared")
	p.screenshot("two-factor-code.png")
	assert.Equal(t, "", p.submitCode("form.second-factor", testenv.TOTPCode(t, secret, c.clock.Now())))
	p.signedInAs("ada@example.com")
	p.heading("Data")
	assert.Equal(t, "/api/v1/console/data", p.eval(`location.pathname`))
	p.signOut()

	// a backup code, after a wrong one
	p.signInWithPassword("ada@example.com", "correct horse")
	p.heading("Two-factor sign-in")
	p.do(chromedp.Click(chromedp.CSS(`#other-factor`)))
	poll(t, ctx, `document.querySelector("form.second-factor").dataset.factor === "backup-code"`)
	assert.Equal(t, "Backup code *", p.eval(`document.querySelector("label[for='" + document.querySelector("input[name=code]").id + "']").textContent`))
	assert.Equal(t, "Invalid backup code (INVALID_BACKUP_CODE)", p.submitCode("form.second-factor", "aaaaa-aaaaa"))
	assert.Equal(t, "", p.submitCode("form.second-factor", backup[0]))
	p.signedInAs("ada@example.com")
	p.heading("Data")

	// the session ends while a key is being created: the dialog asks for
	// the password, then a code, and the key is created
	p.do(chromedp.Navigate(c.root + "keys"))
	p.heading("Your API keys")
	c.clock.Advance(auth.DefaultSessionTTL + time.Hour)
	p.do(chromedp.SendKeys(chromedp.CSS(`form.mint input[name=name]`), "laptop"),
		chromedp.Click(chromedp.CSS(`form.mint button[type=submit]`)))
	poll(t, ctx, `document.getElementById("dialog").open && document.getElementById("dialog-title").textContent === "Your session has ended"`)
	p.do(chromedp.SendKeys(chromedp.CSS(`#dialog input[name=password]`), "correct horse"+kb.Enter))
	poll(t, ctx, `document.querySelector("#dialog input[name=code]") !== null`)
	p.do(chromedp.SendKeys(chromedp.CSS(`#dialog input[name=code]`), testenv.TOTPCode(t, secret, c.clock.Now())+kb.Enter))
	poll(t, ctx, `document.getElementById("new-key-secret") !== null`)
	assert.True(t, strings.HasPrefix(p.eval(`document.getElementById("new-key-secret").textContent`), "os_"))

	// a trusted browser: the next sign-in asks for the password only
	p.do(chromedp.Navigate(c.root + "data"))
	p.heading("Data")
	p.signOut()
	p.signInWithPassword("ada@example.com", "correct horse")
	p.heading("Two-factor sign-in")
	assert.Equal(t, "Trust this browser for 30 days", strings.TrimSpace(p.eval(`document.querySelector("label[for='" + document.querySelector("input[name=trustDevice]").id + "']").textContent`)))
	p.do(chromedp.Click(chromedp.CSS(`input[name=trustDevice]`)))
	c.clock.Advance(30 * time.Second)
	assert.Equal(t, "", p.submitCode("form.second-factor", testenv.TOTPCode(t, secret, c.clock.Now())))
	p.signedInAs("ada@example.com")
	p.signOut()
	p.signInWithPassword("ada@example.com", "correct horse")
	p.signedInAs("ada@example.com")
	p.heading("Data")

	assert.Empty(t, consoleErrors(errs, 401), "console errors or CSP violations")
}

// The code step when the sign-in cannot go on: a pending sign-in that
// waited too long goes back to the password, with the email kept and a
// message; after too many wrong codes the account is locked, and the
// console says so and for how long; so it does when the auth rate limit
// is spent.
func TestConsoleTwoFactorSignInRefused(t *testing.T) {
	browser := browsertest.New(t)
	c := newTwoFactorConsole(t, auth.Options{}, 12)
	secret, _ := c.turnOnTwoFactor(t, "admin@example.com", "change-me-now")

	ctx, cancel := context.WithTimeout(browser, 90*time.Second)
	defer cancel()
	errs := browsertest.CollectErrors(t, ctx)
	p := consolePage{t, ctx}
	p.do(chromedp.EmulateViewport(1280, 900), chromedp.Navigate(c.root+"keys"))

	// the pending sign-in lasts 10 minutes
	p.signInWithPassword("admin@example.com", "change-me-now")
	p.heading("Two-factor sign-in")
	c.clock.Advance(auth.TwoFactorPendingTTL + time.Second)
	p.do(chromedp.SendKeys(chromedp.CSS(`input[name=code]`), testenv.TOTPCode(t, secret, c.clock.Now())+kb.Enter))
	p.heading("Sign in")
	assert.Equal(t, "The sign-in waited too long for its code. Sign in with your password again. (INVALID_TWO_FACTOR_COOKIE)",
		p.eval(`document.querySelector("main [role=alert]").textContent`))
	assert.Equal(t, "admin@example.com", p.eval(`document.querySelector("input[name=email]").value`))
	assert.Equal(t, "", p.eval(`document.querySelector("input[name=password]").value`))
	assert.Contains(t, p.eval(`location.search`), "next=keys", "still on the way to where the user was going")

	// start over: back to the password
	p.signInWithPassword("admin@example.com", "change-me-now")
	p.heading("Two-factor sign-in")
	p.do(chromedp.Click(chromedp.CSS(`#start-over`)))
	p.heading("Sign in")

	// wrong codes count towards the lockout of the account
	p.signInWithPassword("admin@example.com", "change-me-now")
	p.heading("Two-factor sign-in")
	for i := range auth.DefaultLockoutThreshold {
		assert.Equal(t, "Invalid code (INVALID_CODE)", p.submitCode("form.second-factor", testenv.WrongTOTPCode(t, secret, c.clock.Now())), "attempt %d", i)
	}
	msg := p.submitCode("form.second-factor", testenv.TOTPCode(t, secret, c.clock.Now()))
	assert.Equal(t, "Too many failed sign-in attempts; try again later (ACCOUNT_LOCKED). Try again in 15 minutes.", msg)
	assert.Equal(t, "Two-factor sign-in", p.eval(`document.querySelector("h1").textContent`))
	p.screenshot("two-factor-locked.png")

	// the auth rate limit (12 a minute, and the clock stands still)
	for i := 0; !strings.Contains(msg, "RATE_LIMIT_EXCEEDED"); i++ {
		require.Less(t, i, 12, "no 429 yet: %s", msg)
		msg = p.submitCode("form.second-factor", testenv.TOTPCode(t, secret, c.clock.Now()))
	}
	assert.Regexp(t, `(?i)try again in [0-9]+ seconds?`, msg)
	assert.Equal(t, 1, strings.Count(strings.ToLower(msg), "try again in"), "said once: %s", msg)

	assert.Empty(t, consoleErrors(errs, 401, 403, 429), "console errors or CSP violations")
}

// With RequireTwoFactorForAdmins, an administrator without two-factor is
// sent from any page to the one that turns it on, with a message saying
// why; there the password shows a new secret and backup codes, a wrong
// code is refused, a right one turns it on and leads on to where they
// were going. The next sign-in asks for a code, and a backup code shown
// on the page works.
func TestConsoleTurnOnTwoFactor(t *testing.T) {
	browser := browsertest.New(t)
	c := newTwoFactorConsole(t, auth.Options{RequireTwoFactorForAdmins: true}, 1000)

	ctx, cancel := context.WithTimeout(browser, 90*time.Second)
	defer cancel()
	errs := browsertest.CollectErrors(t, ctx)
	p := consolePage{t, ctx}
	p.do(chromedp.EmulateViewport(1280, 900), chromedp.Navigate(c.root+"data/shop_item"))

	p.signInWithPassword("admin@example.com", "change-me-now")
	p.heading("Two-factor sign-in")
	p.signedInAs("admin@example.com")
	assert.Contains(t, p.eval(`document.getElementById("two-factor-required").textContent`), "Administrators must turn on two-factor sign-in here.")
	assert.Contains(t, p.eval(`location.search`), "next=data%2Fshop_item")

	// the password, wrong then right
	p.do(chromedp.SendKeys(chromedp.CSS(`#two-factor-enable input[name=password]`), "wrong-password"+kb.Enter))
	poll(t, ctx, `document.querySelector("#two-factor-enable [role=alert]") !== null`)
	assert.Contains(t, p.eval(`document.querySelector("#two-factor-enable [role=alert]").textContent`), "INVALID_PASSWORD")
	p.eval(`document.querySelector("#two-factor-enable input[name=password]").value = ""`)
	p.do(chromedp.SendKeys(chromedp.CSS(`#two-factor-enable input[name=password]`), "change-me-now"+kb.Enter))
	poll(t, ctx, `document.getElementById("two-factor-setup") !== null`)
	secret := p.eval(`document.getElementById("totp-secret").textContent`)
	require.NotEmpty(t, secret)
	assert.True(t, strings.HasPrefix(p.eval(`document.getElementById("totp-uri").getAttribute("href")`), "otpauth://totp/"))
	var backup []string
	require.NoError(t, json.Unmarshal([]byte(p.eval(`JSON.stringify([...document.querySelectorAll("#backup-codes code")].map((c) => c.textContent))`)), &backup))
	assert.Len(t, backup, 10)
	p.screenshot("two-factor-setup.png")

	// a code, wrong then right
	assert.Equal(t, "Invalid code (INVALID_CODE)", p.submitCode("#two-factor-confirm", testenv.WrongTOTPCode(t, secret, c.clock.Now())))
	assert.Equal(t, "", p.submitCode("#two-factor-confirm", testenv.TOTPCode(t, secret, c.clock.Now())))
	p.heading("Item")
	assert.Equal(t, "/api/v1/console/data/shop_item", p.eval(`location.pathname`))
	p.do(chromedp.Navigate(c.root + "two-factor"))
	p.heading("Two-factor sign-in")
	poll(t, ctx, `document.getElementById("two-factor-on") !== null`)

	// from now on the password alone is not enough
	p.signOut()
	p.signInWithPassword("admin@example.com", "change-me-now")
	p.heading("Two-factor sign-in")
	p.do(chromedp.Click(chromedp.CSS(`#other-factor`)))
	assert.Equal(t, "", p.submitCode("form.second-factor", backup[9]))
	p.signedInAs("admin@example.com")
	p.heading("Data")

	assert.Empty(t, consoleErrors(errs, 400, 401, 403), "console errors or CSP violations")
}

// An administrator creates users in the console: the form says on its
// fields what is wrong (a password too short, before anything is sent; an
// email taken, as the API says, with the API's code), a user created opens
// their page with the permission sets given, and they sign in with the
// password. The checkbox makes an administrator.
func TestConsoleCreateUser(t *testing.T) {
	browser := browsertest.New(t)
	c := newTwoFactorConsole(t, auth.Options{}, 1000)

	ctx, cancel := context.WithTimeout(browser, 90*time.Second)
	defer cancel()
	errs := browsertest.CollectErrors(t, ctx)
	p := consolePage{t, ctx}
	p.do(chromedp.EmulateViewport(1280, 900), chromedp.Navigate(c.root+"users"))
	p.signInWithPassword("admin@example.com", "change-me-now")
	p.heading("Users")
	p.do(chromedp.Click(chromedp.CSS(`#new-user`)))
	p.heading("New user")
	const form = "#new-user-form"
	assert.Equal(t, "Name", p.labelOf(form+" input[name=name]"))
	assert.Equal(t, "Email *", p.labelOf(form+" input[name=email]"))
	assert.Equal(t, "Password *", p.labelOf(form+" input[name=password]"))
	assert.Equal(t, "Administrator", p.labelOf(form+" input[name=role]"))
	assert.Contains(t, p.eval(`document.querySelector("#new-user-form input[value=shop_clerk]").closest("label").textContent`), "Clerk")
	assert.Contains(t, p.eval(`document.querySelector("#new-user-form input[name=password]").closest(".field").textContent`), "8 to 128 characters.")

	// a password too short is refused on its field
	p.do(chromedp.SendKeys(chromedp.CSS(form+` input[name=name]`), "Dan"),
		chromedp.SendKeys(chromedp.CSS(form+` input[name=email]`), "dan@example.com"),
		chromedp.SendKeys(chromedp.CSS(form+` input[name=password]`), "short"),
		chromedp.Click(chromedp.CSS(form+` input[value=shop_clerk]`)),
		chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))
	assert.Equal(t, "The password needs at least 8 characters.", p.fieldError(form, "password"))
	assert.Equal(t, "true", p.eval(`document.querySelector("#new-user-form input[name=password]").getAttribute("aria-invalid")`))
	assert.Equal(t, "password", p.eval(`document.activeElement.name`), "the field in error has the focus")

	// created: their page, with the permission set
	p.eval(`document.querySelector("#new-user-form input[name=password]").value = ""`)
	p.do(chromedp.SendKeys(chromedp.CSS(form+` input[name=password]`), "dan's password"+kb.Enter))
	p.heading("Dan")
	id := strings.TrimPrefix(p.eval(`location.pathname`), "/api/v1/console/users/")
	require.NotEmpty(t, id)
	assert.Equal(t, "true", p.eval(`String(document.querySelector("section input[value=shop_clerk]").checked)`))
	assert.Contains(t, p.eval(`document.querySelector(".facts").innerText`), "dan@example.com")
	_, danID := c.signIn(t, "dan@example.com", "dan's password")
	assert.Equal(t, id, danID, "Dan signs in with the password the administrator gave")

	// the same email again: the API's error, on the email field
	p.do(chromedp.Navigate(c.root + "users/new"))
	p.heading("New user")
	p.do(chromedp.SendKeys(chromedp.CSS(form+` input[name=name]`), "Eve"),
		chromedp.SendKeys(chromedp.CSS(form+` input[name=email]`), "DAN@example.com"),
		chromedp.SendKeys(chromedp.CSS(form+` input[name=password]`), "eve's password"+kb.Enter))
	poll(t, ctx, `document.querySelector("#new-user-form [role=alert]") !== null`)
	assert.Equal(t, "The user was not created: User already exists. Use another email. (USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL)",
		p.eval(`document.querySelector("#new-user-form [role=alert]").textContent`))
	assert.Equal(t, "A user with this email already exists.", p.fieldError(form, "email"))
	assert.Equal(t, "true", p.eval(`document.querySelector("#new-user-form input[name=email]").getAttribute("aria-invalid")`))
	assert.Equal(t, "New user", p.eval(`document.querySelector("h1").textContent`))
	p.screenshot("new-user-taken.png")

	// another email, and an administrator
	p.eval(`document.querySelector("#new-user-form input[name=email]").value = ""`)
	p.do(chromedp.SendKeys(chromedp.CSS(form+` input[name=email]`), "eve@example.com"),
		chromedp.Click(chromedp.CSS(form+` input[name=role]`)),
		chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))
	p.heading("Eve")
	assert.Contains(t, p.eval(`document.querySelector(".facts").innerText`), "admin")
	status, answer := c.post(t, "/auth/sign-in/email", "", map[string]any{"email": "eve@example.com", "password": "eve's password"})
	require.Equal(t, http.StatusOK, status, answer)
	assert.Equal(t, "admin", answer["user"].(map[string]any)["role"])

	assert.Empty(t, consoleErrors(errs, 400), "console errors or CSP violations")
}

// An administrator sets another user's password in the console: the
// dialog says that it signs them out everywhere and asks for the password
// twice; once it is set, the user's session is refused and so is their old
// password, and the new one signs them in. Setting one's own password
// signs the console out, and the new one signs in again.
func TestConsoleSetUserPassword(t *testing.T) {
	browser := browsertest.New(t)
	c := newTwoFactorConsole(t, auth.Options{}, 1000)
	adminToken, adminID := c.signIn(t, "admin@example.com", "change-me-now")
	status, answer := c.post(t, "/auth/admin/create-user", adminToken,
		map[string]any{"email": "carol@example.com", "password": "carol's password", "name": "Carol"})
	require.Equal(t, http.StatusOK, status, answer)
	carolToken, carolID := c.signIn(t, "carol@example.com", "carol's password")
	status, answer = c.get(t, "/auth/get-session", carolToken)
	require.Equal(t, http.StatusOK, status)
	require.NotNil(t, answer, "Carol's session works")

	ctx, cancel := context.WithTimeout(browser, 90*time.Second)
	defer cancel()
	errs := browsertest.CollectErrors(t, ctx)
	p := consolePage{t, ctx}
	p.do(chromedp.EmulateViewport(1280, 900), chromedp.Navigate(c.root+"users/"+carolID))
	p.signInWithPassword("admin@example.com", "change-me-now")
	p.heading("Carol")
	poll(t, ctx, `document.querySelectorAll("#sessions-title ~ div tbody tr").length === 1`)

	p.do(chromedp.Click(chromedp.CSS(`#set-password`)))
	poll(t, ctx, `document.getElementById("dialog").open && document.getElementById("dialog-title").textContent === "Set the password of Carol"`)
	assert.Contains(t, p.eval(`document.getElementById("set-password-note").textContent`), "This signs Carol out everywhere.")
	assert.Equal(t, "New password *", p.labelOf(`#dialog input[name=newPassword]`))
	assert.Equal(t, "Confirm the new password *", p.labelOf(`#dialog input[name=confirmPassword]`))
	assert.Contains(t, p.eval(`document.querySelector("#dialog input[name=newPassword]").getAttribute("aria-describedby")`), "set-password-note")
	// the two differ: said on the confirmation, and nothing is sent
	p.do(chromedp.SendKeys(chromedp.CSS(`#dialog input[name=newPassword]`), "carol's new password"),
		chromedp.SendKeys(chromedp.CSS(`#dialog input[name=confirmPassword]`), "carol's new passwort"+kb.Enter))
	assert.Equal(t, "The two passwords differ.", p.fieldError("#set-password-form", "confirmPassword"))
	assert.Equal(t, "true", p.eval(`String(document.getElementById("dialog").open)`))
	p.screenshot("set-password.png")
	p.eval(`document.querySelector("#dialog input[name=confirmPassword]").value = ""`)
	p.do(chromedp.SendKeys(chromedp.CSS(`#dialog input[name=confirmPassword]`), "carol's new password"+kb.Enter))
	poll(t, ctx, `!document.getElementById("dialog").open && document.body.innerText.includes("No live session.")`)
	assert.Contains(t, p.eval(`document.getElementById("toast").textContent`), "signed out everywhere")
	assert.NotContains(t, p.eval(`document.documentElement.outerHTML`), "carol's new password", "the password is not kept in the page")

	status, answer = c.get(t, "/auth/get-session", carolToken)
	assert.Equal(t, http.StatusOK, status)
	assert.Nil(t, answer, "Carol's session is revoked")
	status, _ = c.post(t, "/auth/sign-in/email", "", map[string]any{"email": "carol@example.com", "password": "carol's password"})
	assert.Equal(t, http.StatusUnauthorized, status, "the old password is refused")
	_, id := c.signIn(t, "carol@example.com", "carol's new password")
	assert.Equal(t, carolID, id)

	// one's own: the console is signed out, and the new password signs in
	p.do(chromedp.Navigate(c.root + "users/" + adminID))
	p.heading("admin")
	p.do(chromedp.Click(chromedp.CSS(`#set-password`)))
	poll(t, ctx, `document.getElementById("dialog").open && document.getElementById("dialog-title").textContent === "Set your password"`)
	assert.Contains(t, p.eval(`document.getElementById("set-password-note").textContent`), "this browser too")
	p.do(chromedp.SendKeys(chromedp.CSS(`#dialog input[name=newPassword]`), "admin's new password"),
		chromedp.SendKeys(chromedp.CSS(`#dialog input[name=confirmPassword]`), "admin's new password"+kb.Enter))
	p.heading("Sign in")
	assert.Equal(t, "true", p.eval(`String(document.getElementById("who").hidden)`))
	status, answer = c.get(t, "/auth/get-session", adminToken)
	assert.Equal(t, http.StatusOK, status)
	assert.Nil(t, answer, "every session of the administrator is revoked")
	p.signInWithPassword("admin@example.com", "admin's new password")
	p.heading("admin")
	assert.Equal(t, "/api/v1/console/users/"+adminID, p.eval(`location.pathname`), "back on their page")

	assert.Empty(t, consoleErrors(errs), "console errors or CSP violations")
}
