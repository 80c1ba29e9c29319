package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos/internal/browsertest"
)

// appPage is a single-page app served from its own origin that talks to the
// API on another: it signs in with fetch(credentials: "include"), reads the
// set-auth-token header, and lists and creates records with the session
// cookie and with the bearer token.
const appPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>CRM app</title></head><body>
<script>
async function run(api, email, password) {
  const out = {};
  try {
    const r = await fetch(api + "/auth/sign-in/email", {
      method: "POST", credentials: "include",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({email, password}),
    });
    out.signIn = r.status;
    out.token = r.headers.get("set-auth-token");
    out.requestId = r.headers.get("X-Request-Id");
    out.rateLimit = r.headers.get("RateLimit-Limit");
    const created = await fetch(api + "/data/crm_account", {
      method: "POST", credentials: "include",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({name: "Browser Co", industry: "technology"}),
    });
    out.create = created.status;
    out.location = created.headers.get("Location");
    const list = await fetch(api + "/data/crm_account", {credentials: "include"});
    out.list = list.status;
    out.total = (await list.json()).total;
    const bearer = await fetch(api + "/data/crm_account?fields=name", {headers: {"Authorization": "Bearer " + out.token}});
    out.bearer = bearer.status;
    out.names = (await bearer.json()).records.map(r => r.name);
  } catch (e) {
    out.error = String(e);
  }
  return out;
}
</script></body></html>`

type pageResult struct {
	SignIn    int      `json:"signIn"`
	Token     string   `json:"token"`
	RequestID string   `json:"requestId"`
	RateLimit string   `json:"rateLimit"`
	Create    int      `json:"create"`
	Location  string   `json:"location"`
	List      int      `json:"list"`
	Total     int      `json:"total"`
	Bearer    int      `json:"bearer"`
	Names     []string `json:"names"`
	Error     string   `json:"error"`
}

// pageServer serves appPage on host (127.0.0.1 or localhost) at a port of
// its own, and returns its origin.
func pageServer(t *testing.T, host string) string {
	t.Helper()
	ln, err := net.Listen("tcp", host+":0")
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, appPage)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return "http://" + host + ":" + port
}

func runPage(t *testing.T, ctx context.Context, origin, api string) pageResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(origin+"/")))
	call := fmt.Sprintf("run(%q, %q, %q)", api, "admin@example.com", "change-me-now")
	res, err := chromedp.Run(ctx, chromedp.Evaluate[pageResult](call, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	return res
}

// TestCORSInABrowser runs the CRM with OS_CORS_ORIGINS naming one page
// origin, and drives a real browser: the page on that origin signs in
// across origins, reads set-auth-token and uses the API; the same page on a
// foreign origin is stopped by the browser.
func TestCORSInABrowser(t *testing.T) {
	ctx := browsertest.New(t)
	app := pageServer(t, "127.0.0.1")     // cross-origin, same-site: the session cookie flows
	foreign := pageServer(t, "localhost") // another site, not allowed
	c := startCRM(t, crmDatabases(t)["sqlite"], map[string]string{
		"OS_ADMIN_EMAIL": "admin@example.com", "OS_ADMIN_PASSWORD": "change-me-now",
		"OS_CORS_ORIGINS": app + ", https://*.example.com",
	})

	res := runPage(t, ctx, app, c.base)
	require.Empty(t, res.Error)
	assert.Equal(t, 200, res.SignIn)
	assert.NotEmpty(t, res.Token, "set-auth-token is exposed to the page")
	assert.NotEmpty(t, res.RequestID)
	assert.Equal(t, "10", res.RateLimit, "the rate-limit headers are exposed")
	assert.Equal(t, 201, res.Create, "a cookie-authenticated write from the allowed origin")
	assert.True(t, strings.HasPrefix(res.Location, "/api/v1/data/crm_account/"), res.Location)
	assert.Equal(t, 200, res.List)
	assert.Equal(t, 1, res.Total)
	assert.Equal(t, 200, res.Bearer)
	assert.Equal(t, []string{"Browser Co"}, res.Names)

	res = runPage(t, ctx, foreign, c.base)
	assert.Contains(t, res.Error, "Failed to fetch", "the browser refuses a foreign origin")
	assert.Zero(t, res.SignIn)
	assert.Empty(t, res.Token)

	// the foreign page's requests never reached the data: still one account
	admin := c.client()
	code, _ := admin.do("POST", "/auth/sign-in/email", `{"email":"admin@example.com","password":"change-me-now"}`)
	require.Equal(t, 200, code)
	code, list := admin.do("GET", "/data/crm_account", "")
	require.Equal(t, 200, code)
	assert.EqualValues(t, 1, list["total"])
}

// TestDocsPageOnTheCRM loads the CRM's API reference page in a real
// browser, with a key minted through the API: the page renders the CRM's
// own document (every object's operations) with no console error or CSP
// violation, and its "Try it out" reaches the data.
func TestDocsPageOnTheCRM(t *testing.T) {
	browser := browsertest.New(t)
	c := startCRM(t, crmDatabases(t)["sqlite"], map[string]string{
		"OS_ADMIN_EMAIL": "admin@example.com", "OS_ADMIN_PASSWORD": "change-me-now"})
	admin := c.client()
	code, _ := admin.do("POST", "/auth/sign-in/email", `{"email":"admin@example.com","password":"change-me-now"}`)
	require.Equal(t, 200, code)
	code, minted := admin.do("POST", "/keys", `{"name":"docs reader"}`)
	require.Equal(t, 201, code, "%v", minted)
	code, _ = admin.do("POST", "/data/crm_account", `{"name":"Docs Co","industry":"retail"}`)
	require.Equal(t, 201, code)

	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()
	errs := browsertest.CollectErrors(t, ctx)
	const listOp = "#operations-crm_account-list_crm_account"
	require.NoError(t, chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(c.base+"/docs"),
		chromedp.WaitVisible(chromedp.CSS("#docs-key-input")),
		chromedp.SetValue(chromedp.CSS("#docs-key-input"), minted["key"].(string)),
		chromedp.Click(chromedp.CSS("#docs-key-submit")),
		chromedp.WaitVisible(chromedp.CSS(listOp)),
	))
	// Swagger UI renders a large document's operations as they scroll into
	// view: scroll through the page, collecting the operations shown
	seen := map[string]bool{}
	for range 200 {
		ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`[...document.querySelectorAll("#swagger-ui .opblock")].map(e => e.id)`))
		require.NoError(t, err)
		for _, id := range ids {
			seen["#"+id] = true
		}
		bottom, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
			`window.scrollBy(0, window.innerHeight / 2); window.innerHeight + window.scrollY >= document.body.scrollHeight - 2`))
		require.NoError(t, err)
		if bottom && seen["#operations-auth-signInEmail"] {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	assert.Greater(t, len(seen), 100, "every route of the deployment")
	for _, op := range []string{listOp, "#operations-crm_opportunity-action_crm_opportunity_close_won_record",
		"#operations-metadata-metaItem", "#operations-keys-mintKey", "#operations-auth-signInEmail", "#operations-sys_audit_log-list_sys_audit_log"} {
		assert.True(t, seen[op], op)
	}
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.scrollTo(0, 0); true`))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(listOp))))
	status, body, err := browsertest.TryOut(ctx, listOp)
	require.NoError(t, err)
	assert.Equal(t, "200", status)
	assert.Contains(t, body, "Docs Co")

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	require.NoError(t, err)
	file := filepath.Join(t.ArtifactDir(), "crm-docs.png")
	require.NoError(t, os.WriteFile(file, shot, 0o644))
	t.Log("screenshot:", file)

	// the anonymous first load of the document is the only error: the
	// browser logs every failed fetch
	var others []string
	for _, e := range errs.All() {
		if !strings.Contains(e, "status of 401") {
			others = append(others, e)
		}
	}
	assert.Empty(t, others, "console errors or CSP violations")
}
