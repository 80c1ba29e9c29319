package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos/internal/browsertest"
)

// tab drives the console in a real browser for one test.
type tab struct {
	t    *testing.T
	ctx  context.Context
	errs *browsertest.Errors
	seen int    // errors already checked
	root string // the console's address
}

func newTab(t *testing.T, c *crm) *tab {
	t.Helper()
	ctx := browsertest.New(t)
	root := strings.TrimSuffix(c.base, "/api/v1") + "/api/v1/console/"
	// the copy button writes the clipboard; the test reads it back
	origin := strings.TrimSuffix(c.base, "/api/v1")
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
			Setting:    browser.PermissionSettingGranted, Origin: origin,
		})
		require.NoError(t, err)
	}
	return &tab{t: t, ctx: ctx, errs: browsertest.CollectErrors(t, ctx), root: root}
}

func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, actions...))
}

func eval[T any](b *tab, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	require.NoError(b.t, err, js)
	return v
}

// until waits for a JavaScript condition to hold.
func (b *tab) until(js string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		body, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
		b.t.Fatalf("waiting for %s: %v\npage: %s", js, err, body)
	}
}

// heading waits for the page whose h1 is title.
func (b *tab) heading(title string) {
	b.t.Helper()
	b.until(fmt.Sprintf(`document.querySelector("h1") && document.querySelector("h1").textContent === %q`, title))
}

func (b *tab) text(sel string) string {
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%q) || {}).innerText || ""`, sel))
}

func (b *tab) open(path string) { b.do(chromedp.Navigate(b.root + path)) }

// pick chooses, in the picker whose input is sel, the option containing text.
func (b *tab) pick(sel, search, text string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), search))
	opt := fmt.Sprintf(`[...document.querySelectorAll('[role=option]')].find(o => o.offsetParent && o.textContent.includes(%q))`, text)
	b.until(opt + ` !== undefined`)
	id := eval[string](b, opt+`.id`)
	b.do(chromedp.Click(chromedp.CSS("#" + id)))
	b.until(fmt.Sprintf(`[...document.querySelectorAll('.chip')].some(c => c.textContent.includes(%q))`, text))
}

func (b *tab) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // 100: PNG
	require.NoError(b.t, err)
	file := filepath.Join(b.t.ArtifactDir(), name+".png")
	require.NoError(b.t, os.WriteFile(file, png, 0o644))
	b.t.Log("screenshot:", file)
}

func (b *tab) signIn(email, password string) {
	b.t.Helper()
	b.open("")
	b.heading("Sign in")
	// typed, and sent with the Enter key
	b.do(chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password+kb.Enter))
	b.until(fmt.Sprintf(`(document.querySelector("#signed-in-as") || {}).textContent?.includes(%q)`, email))
}

func (b *tab) signOut() {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS("#sign-out")))
	b.heading("Sign in")
}

// noErrors fails on anything the page reported as an error but the
// responses listed as expected (the browser logs every 4xx it fetches).
func (b *tab) noErrors(expected ...string) {
	b.t.Helper()
	var others []string
	all := b.errs.All()
	fresh := all[b.seen:]
	b.seen = len(all)
	for _, e := range fresh {
		ok := false
		for _, x := range expected {
			ok = ok || strings.Contains(e, x)
		}
		if !ok {
			others = append(others, e)
		}
	}
	assert.Empty(b.t, others, "console errors or CSP violations")
}

func apiStatus(t *testing.T, base, key string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/data/crm_account", nil)
	require.NoError(t, err)
	req.Header.Set("x-api-key", key)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	return res.StatusCode
}

// TestConsoleInABrowser drives the console of the CRM in headless Chromium
// as an administrator, a sales user and an analyst.
func TestConsoleInABrowser(t *testing.T) {
	c := startCRM(t, crmDatabases(t)["sqlite"], map[string]string{
		"OS_ADMIN_EMAIL": "admin@example.com", "OS_ADMIN_PASSWORD": "change-me-now", "OS_AUTH_SIGNUP_ENABLED": "true"})
	assert.Contains(t, c.out.String(), "console: "+strings.TrimSuffix(c.base, "/api/v1")+"/api/v1/console/")
	admin := c.client()
	code, _ := admin.do("POST", "/auth/sign-in/email", `{"email":"admin@example.com","password":"change-me-now"}`)
	require.Equal(t, 200, code)
	users := map[string]*client{}
	ids := map[string]string{}
	for _, u := range []string{"sam", "ann"} {
		users[u] = c.client()
		code, body := users[u].do("POST", "/auth/sign-up/email", `{"name":"`+u+`","email":"`+u+`@example.com","password":"password-`+u+`"}`)
		require.Equal(t, 200, code, "%v", body)
		ids[u] = body["user"].(map[string]any)["id"].(string)
	}
	code, body := admin.do("PATCH", "/data/sys_user/"+ids["sam"], `{"permission_sets":["crm_sales_user"]}`)
	require.Equal(t, 200, code, "%v", body)
	code, body = users["sam"].do("POST", "/data/crm_account", `{"name":"Sam Co","industry":"retail","annual_revenue":500}`)
	require.Equal(t, 201, code, "%v", body)
	code, body = admin.do("POST", "/data/crm_account", `{"name":"Admin Co","industry":"finance","annual_revenue":900}`)
	require.Equal(t, 201, code, "%v", body)
	code, body = admin.do("POST", "/keys", `{"name":"admin own key"}`)
	require.Equal(t, 201, code, "%v", body)

	b := newTab(t, c)
	b.do(chromedp.EmulateViewport(1280, 900))

	t.Run("administrator", func(t *testing.T) {
		b.t = t
		// anonymous: every address leads to the sign-in page
		b.open("keys")
		b.heading("Sign in")
		b.signIn("admin@example.com", "change-me-now")
		assert.Contains(t, b.text("#nav"), "Users")

		// mint a key for sam, expiring in 30 days
		b.do(chromedp.Click(chromedp.CSS(`#nav a[href$="/keys"]`)))
		b.heading("Your API keys")
		b.do(chromedp.SetValue(chromedp.CSS(`form.mint input[name=name]`), "sam integration"))
		b.pick(`form.mint input[name=user_id]`, "sam", "sam@example.com")
		b.do(chromedp.SetValue(chromedp.CSS(`form.mint select[name=expiry]`), "30"),
			chromedp.Click(chromedp.CSS(`form.mint button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS("#new-key-secret")))
		assert.Contains(t, b.text("dialog"), "You will not see it again")
		assert.Contains(t, b.text("dialog"), "for sam <sam@example.com>")
		shown := b.text("#new-key-secret")
		require.True(t, strings.HasPrefix(shown, "os_pk_live_"), shown)
		b.do(chromedp.Click(chromedp.CSS("#copy-key")))
		b.until(`document.querySelector("dialog [role=status]").textContent.includes("Copied")`)
		copied := eval[string](b, `navigator.clipboard.readText()`)
		assert.Equal(t, shown, copied, "the copy button puts the secret on the clipboard")
		b.shot("admin-new-key")
		b.do(chromedp.Click(chromedp.CSS(`dialog .buttons button`)))
		b.until(`!document.querySelector("dialog").open`)
		assert.NotContains(t, eval[string](b, `document.documentElement.outerHTML`), copied, "the secret is shown once, and not kept in the page")

		assert.Equal(t, 200, apiStatus(t, c.base, copied), "the key works as sam")
		// the key is sam's: it reads sam's records
		code, body := admin.do("GET", "/data/sys_api_key?filter="+`{"name":"sam%20integration"}`, "")
		require.Equal(t, 200, code, "%v", body)
		recs := body["records"].([]any)
		require.Len(t, recs, 1)
		key := recs[0].(map[string]any)
		assert.Equal(t, ids["sam"], key["user_id"])
		assert.NotNil(t, key["expires_at"])

		// everyone's keys, filtered by user; revoke sam's from here
		b.open("keys?scope=all")
		b.heading("API keys of everyone")
		b.pick(`form.filters input[name=user]`, "sam", "sam@example.com")
		b.do(chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)))
		b.until(`document.querySelectorAll("tbody tr").length === 1 && document.querySelector("tbody").innerText.includes("sam integration")`)
		assert.NotContains(t, b.text("tbody"), "admin own key", "filtered by user")
		b.shot("admin-keys")
		b.do(chromedp.Click(chromedp.CSS(`button[aria-label="Revoke sam integration"]`)))
		b.until(`document.querySelector("dialog").open`)
		assert.Contains(t, b.text("dialog"), "cannot be undone")
		b.do(chromedp.Click(chromedp.CSS(`dialog button.danger`)))
		b.until(`document.querySelector("tbody") && document.querySelector("tbody").innerText.includes("revoked")`)
		assert.Equal(t, 401, apiStatus(t, c.base, copied), "revoked in the console, refused by the API")

		// users: search ann, give her the analyst set
		b.do(chromedp.Click(chromedp.CSS(`#nav a[href$="/users"]`)))
		b.heading("Users")
		b.do(chromedp.SendKeys(chromedp.CSS(`input[name=search]`), "ann"), chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)))
		b.until(`document.querySelectorAll("tbody tr").length === 1`)
		b.do(chromedp.Click(chromedp.CSS(`tbody a`)))
		b.heading("ann")
		b.do(chromedp.Click(chromedp.CSS(`input[value=crm_analyst]`)), chromedp.Click(chromedp.CSS(`section form button[type=submit]`)))
		b.until(`document.body.innerText.includes("Saved.")`)
		code, body = admin.do("GET", "/data/sys_user/"+ids["ann"], "")
		require.Equal(t, 200, code)
		assert.Equal(t, []any{"crm_analyst"}, body["record"].(map[string]any)["permission_sets"])
		// ann's live session (from her sign-up) is listed; revoke it
		b.until(`document.querySelectorAll("#sessions-title ~ div tbody tr").length === 1`)
		b.shot("admin-user")
		b.do(chromedp.Click(chromedp.CSS(`#sessions-title ~ div tbody button`)))
		b.until(`document.querySelector("dialog").open`)
		b.do(chromedp.Click(chromedp.CSS(`dialog button.danger`)))
		b.until(`document.body.innerText.includes("No live session.")`)
		code, _ = users["ann"].do("GET", "/data/crm_account", "")
		assert.Equal(t, 401, code, "the revoked session is refused")

		// ban and unban sam
		b.open("users/" + ids["sam"])
		b.heading("sam")
		b.do(chromedp.SetValue(chromedp.CSS(`input[name=banReason]`), "testing"), chromedp.Click(chromedp.CSS(`form:has(#ban-title) button.danger`)))
		b.until(`document.querySelector("dialog").open`)
		b.do(chromedp.Click(chromedp.CSS(`dialog button.danger`)))
		b.until(`document.body.innerText.includes("Reason: testing")`)
		code, body = c.client().do("POST", "/auth/sign-in/email", `{"email":"sam@example.com","password":"password-sam"}`)
		assert.Equal(t, 403, code, "%v", body)
		b.do(chromedp.Click(chromedp.CSS(`#ban-title ~ .buttons button`)))
		b.until(`document.querySelector("form:has(#ban-title) button.danger") !== null`)
		code, body = c.client().do("POST", "/auth/sign-in/email", `{"email":"sam@example.com","password":"password-sam"}`)
		assert.Equal(t, 200, code, "unbanned: %v", body)

		// the administrator sees the analyst-hidden column
		b.open("data/crm_account")
		b.heading("Accounts")
		b.until(`document.querySelector("thead") !== null`)
		assert.Contains(t, b.text("thead"), "Annual Revenue")
		b.noErrors()
		b.signOut()
	})

	t.Run("sales user", func(t *testing.T) {
		b.t = t
		b.signIn("sam@example.com", "password-sam")
		assert.NotContains(t, b.text("#nav"), "Users", "no link to the users page")
		b.open("users")
		b.heading("You do not have access to this page")
		assert.Equal(t, "403", eval[string](b, `document.querySelector("main").dataset.status`))

		// own keys only: the revoked one the administrator minted for sam
		b.open("keys")
		b.heading("Your API keys")
		b.until(`document.querySelector("tbody") !== null`)
		assert.Contains(t, b.text("tbody"), "sam integration")
		assert.NotContains(t, b.text("tbody"), "admin own key")
		assert.Nil(t, eval[any](b, `document.querySelector("form.mint input[name=user_id]")`), "no user picker for a user")
		b.do(chromedp.SetValue(chromedp.CSS(`form.mint input[name=name]`), "sam own"),
			chromedp.Click(chromedp.CSS(`form.mint button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS("#new-key-secret")))
		own := b.text("#new-key-secret")
		b.do(chromedp.Click(chromedp.CSS(`dialog .buttons button`)))
		assert.Equal(t, 200, apiStatus(t, c.base, own))

		// own records only
		b.open("data/crm_account")
		b.heading("Accounts")
		b.until(`document.querySelector("tbody") !== null`)
		assert.Contains(t, b.text("tbody"), "Sam Co")
		assert.NotContains(t, b.text("tbody"), "Admin Co")

		// a new opportunity: the API's validation error lands on the field
		b.open("data/crm_opportunity")
		b.heading("Opportunities")
		b.do(chromedp.Click(chromedp.CSS(`.toolbar a.button`)))
		b.heading("New Opportunity")
		b.do(chromedp.SetValue(chromedp.CSS(`form.record-form input[name=name]`), "Big deal"),
			chromedp.SetValue(chromedp.CSS(`form.record-form input[name=amount]`), "1200"),
			chromedp.Click(chromedp.CSS(`form.record-form button[type=submit]`)))
		b.until(`!document.querySelector('.field[data-field="account"] .field-error').hidden`)
		assert.Contains(t, b.text(`.field[data-field="account"] .field-error`), "required")
		assert.Equal(t, "true", eval[string](b, `document.querySelector('input[name="account"]').getAttribute("aria-invalid")`))
		assert.Contains(t, b.text(`form.record-form [role=alert]`), "VALIDATION_FAILED")
		b.shot("sales-validation")
		// the lookup picker, with the keyboard only
		b.do(chromedp.SendKeys(chromedp.CSS(`form.record-form input[name=account]`), "Sam"))
		b.until(`[...document.querySelectorAll('[role=option]')].some(o => o.offsetParent && o.textContent === "Sam Co")`)
		b.do(chromedp.SendKeys(chromedp.CSS(`form.record-form input[name=account]`), kb.ArrowDown))
		b.until(`document.querySelector('[role=option][aria-selected=true]') !== null`)
		b.do(chromedp.SendKeys(chromedp.CSS(`form.record-form input[name=account]`), kb.Enter))
		b.until(`document.querySelector(".chip") && document.querySelector(".chip").textContent === "Sam Co"`)
		b.do(chromedp.Click(chromedp.CSS(`form.record-form button[type=submit]`)))
		b.heading("Big deal")
		assert.Contains(t, b.text(`dd[data-field="stage"]`), "Prospecting")
		assert.Contains(t, b.text(`dd[data-field="account"]`), "Sam Co")

		// its action, with its parameter
		b.do(chromedp.Click(chromedp.CSS(`button[data-action=close_won]`)))
		b.until(`document.querySelector("dialog").open`)
		b.do(chromedp.SendKeys(chromedp.CSS(`dialog input[name=note]`), "signed today"), chromedp.Click(chromedp.CSS(`dialog button[type=submit]`)))
		b.until(`document.querySelector('dd[data-field="stage"]').innerText.includes("Closed Won")`)
		assert.Contains(t, b.text("#toast"), "The opportunity is won.")
		b.shot("sales-record")

		// a phone-width screen: nothing wider than the screen
		b.do(chromedp.EmulateViewport(390, 844))
		b.open("data/crm_opportunity")
		b.heading("Opportunities")
		b.until(`document.querySelector("tbody") !== null`)
		assert.LessOrEqual(t, eval[int](b, `document.documentElement.scrollWidth`), 390)
		b.shot("sales-phone")
		b.do(chromedp.EmulateViewport(1280, 900))
		// the create the API refused, and nothing else
		b.noErrors("the server responded with a status of 400 (Bad Request) [network] (" + c.base + "/data/crm_opportunity)")
		b.signOut()
	})

	t.Run("analyst", func(t *testing.T) {
		b.t = t
		b.signIn("ann@example.com", "password-ann")
		b.open("data/crm_account")
		b.heading("Accounts")
		b.until(`document.querySelector("tbody") !== null`)
		head := b.text("thead")
		assert.Contains(t, head, "Account Name")
		assert.NotContains(t, head, "Annual Revenue", "a field the analyst cannot read has no column")
		assert.Contains(t, b.text("tbody"), "Admin Co", "analysts see every account")
		assert.NotContains(t, b.text("form.filters"), "Annual Revenue", "nor a filter")

		// filters from the field types, and sorting by a column
		b.do(chromedp.Click(chromedp.CSS(`details.filter-box summary`)),
			chromedp.SetValue(chromedp.CSS(`select[name="f.industry"]`), "finance"),
			chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)))
		b.until(`location.search.includes("f.industry=finance") && document.querySelectorAll("tbody tr").length === 1`)
		assert.Contains(t, b.text("tbody"), "Admin Co")
		b.shot("analyst-accounts")
		b.do(chromedp.Click(chromedp.CSS(`button.sort[data-sort=name]`)))
		b.until(`document.querySelector('th[aria-sort=ascending] button[data-sort=name]') !== null`)
		assert.Contains(t, eval[string](b, `location.search`), "sort=name")
		b.do(chromedp.Click(chromedp.CSS(`button.sort[data-sort=name]`)))
		b.until(`document.querySelector('th[aria-sort=descending] button[data-sort=name]') !== null`)

		// the record page: read only for an analyst, without the hidden field
		b.do(chromedp.Click(chromedp.CSS(`tbody a`)))
		b.heading("Admin Co")
		assert.NotContains(t, b.text("main"), "Annual Revenue")
		assert.Nil(t, eval[any](b, `[...document.querySelectorAll(".toolbar a, .toolbar button")].map(e => e.textContent).find(t => t === "Edit" || t === "Delete") || null`))
		b.noErrors()
	})
}
