package rest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/browsertest"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/rest"
)

// The reference page's credentials in these tests: a session cookie and an
// API key, as the auth and apikey plugins would accept them.
const (
	docsSessionCookie = "docs_session"
	docsSession       = "docs-test-session"
	docsKey           = "docs-test-key"
)

// docsAuth accepts the session cookie docsSession or the x-api-key docsKey;
// another session or key is a bad credential. As in the CRM's chain (auth,
// then apikey), a session cookie is judged first: a stale one shadows a key.
var docsAuth = objectos.AuthFunc(func(r *http.Request) (*objectos.Principal, error) {
	if c, err := r.Cookie(docsSessionCookie); err == nil {
		if c.Value != docsSession {
			return nil, objectos.NewError(objectos.CodeInvalidToken, "The session is not valid.")
		}
		return &objectos.Principal{UserID: "docs-reader", Method: objectos.AuthSession}, nil
	}
	if k := r.Header.Get("x-api-key"); k != "" {
		if k != docsKey {
			return nil, objectos.NewError(objectos.CodeInvalidToken, "The API key is not valid.")
		}
		return &objectos.Principal{UserID: "docs-reader", Method: objectos.AuthAPIKey}, nil
	}
	return nil, objectos.ErrNoCredentials
})

// standIn serves standInDoc to callers docsAuth accepts, at
// {base}/openapi.json beside the stack (docsServer). It stands in for the
// rest plugin's generated document, written on another branch; being served
// by the host's mux rather than by a plugin, it keeps its place (a more
// specific pattern) when the stack serves its own.
func standIn(st *objectos.Stack) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := st.RequirePrincipal(w, r); !ok {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, standInDoc)
	}
}

// standInDoc describes the list and create of crm_account. Its key scheme
// has a name of its own: the page finds it by header, not by name.
const standInDoc = `{
  "openapi": "3.1.0",
  "info": {"title": "Docs test API", "version": "1.0.0"},
  "servers": [{"url": "/api/v1"}],
  "tags": [{"name": "crm_account", "description": "The **accounts** of the CRM"}],
  "security": [{"docsTestKey": []}, {"docsTestSession": []}],
  "paths": {
    "/data/crm_account": {
      "get": {
        "operationId": "crm_account_list", "tags": ["crm_account"], "summary": "List accounts",
        "responses": {
          "200": {"description": "A page of accounts", "content": {"application/json": {"schema": {"type": "object"}}}},
          "401": {"description": "Authentication is required"}
        }
      },
      "post": {
        "operationId": "crm_account_create", "tags": ["crm_account"], "summary": "Create an account",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/crm_account"}}}},
        "responses": {
          "201": {"description": "The created account", "content": {"application/json": {"schema": {"type": "object"}}}},
          "401": {"description": "Authentication is required"}
        }
      }
    }
  },
  "components": {
    "schemas": {
      "crm_account": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "maxLength": 200}}}
    },
    "securitySchemes": {
      "docsTestSession": {"type": "apiKey", "in": "cookie", "name": "docs_session"},
      "docsTestKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    }
  }
}`

func docsArtifact() *objectos.Artifact {
	return &objectos.Artifact{Name: "docstest", Objects: []*objectos.Object{{
		Name:   "crm_account",
		Fields: []*objectos.Field{{Name: "name", Type: objectos.TypeText, Required: true, MaxLength: 200}},
	}}}
}

// docsServer serves a stack with the reference page on or off, mounted as a
// host mounts it, with the stand-in document beside it. The page and its
// assets are not operations of the API document, so nothing checks them
// against it.
func docsServer(t *testing.T, docs bool) *server {
	t.Helper()
	s := newServer(t, testenv.Open(t, testenv.SQLite), docsArtifact(), func(o *objectos.Options) {
		o.Plugins = []objectos.Plugin{rest.New(rest.Options{Docs: docs}), docsAuth}
	})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", s.Stack)
	mux.Handle("GET /api/v1/openapi.json", standIn(s.Stack))
	s.Handler = mux
	return s
}

const wantDocsCSP = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// swaggerUIVersion is the vendored version, the folder of its assets.
func swaggerUIVersion(t *testing.T) string {
	t.Helper()
	v, err := os.ReadFile("swaggerui/VERSION")
	require.NoError(t, err)
	return strings.TrimSpace(string(v))
}

// vendored returns a file of rest/swaggerui as the page serves it:
// decompressed when it is stored gzipped.
func vendored(t *testing.T, name string) (stored, plain []byte) {
	t.Helper()
	stored, err := os.ReadFile(filepath.Join("swaggerui", name))
	require.NoError(t, err)
	if !strings.HasSuffix(name, ".gz") {
		return stored, stored
	}
	zr, err := gzip.NewReader(bytes.NewReader(stored))
	require.NoError(t, err)
	plain, err = io.ReadAll(zr)
	require.NoError(t, err)
	return stored, plain
}

var assetRE = regexp.MustCompile(`(?:src|href)="(docs/assets/[^"]+)"`)

func TestDocsPage(t *testing.T) {
	t.Parallel()
	s := docsServer(t, true)
	r := s.as("").Get("/api/v1/docs") // no credentials
	r.Status(t, 200)
	h := r.Header
	assert.Equal(t, "text/html; charset=utf-8", h.Get("Content-Type"))
	assert.Equal(t, wantDocsCSP, h.Get("Content-Security-Policy"))
	assert.Equal(t, []string{wantDocsCSP}, h.Values("Content-Security-Policy"), "the page's CSP replaces the Stack's")
	assert.Equal(t, "DENY", h.Get("X-Frame-Options"))
	assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"))
	assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	assert.Equal(t, "no-cache", h.Get("Cache-Control"))
	assert.Equal(t, strconv.Itoa(len(r.Body)), h.Get("Content-Length"))
	assert.NotEmpty(t, h.Get("RateLimit-Limit"), "a read like any other")

	body := r.String()
	assert.Contains(t, body, "<title>ObjectStack API reference</title>")
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
		assert.Regexp(t, `^<script src="docs/assets/[^"]+" defer>$`, tag, "no inline script")
	}
	assert.Equal(t, 2, strings.Count(body, "<script"))
	assert.NotContains(t, body, "</script>\n<script>")
	assert.NotRegexp(t, `(?i)\son[a-z]+=`, body, "no inline event handlers")
	assert.NotContains(t, body, "style=", "no inline styles")
	assert.NotContains(t, body, "//", "no absolute or protocol-relative URLs: nothing from another origin")

	// the page names the assets of this build, relative to {base}/docs
	v := swaggerUIVersion(t)
	var links []string
	for _, m := range assetRE.FindAllStringSubmatch(body, -1) {
		links = append(links, m[1])
	}
	require.Len(t, links, 5, body)
	own := regexp.MustCompile(`docs/assets/([0-9a-f]{12})/init\.js`).FindStringSubmatch(body)
	require.NotNil(t, own, body)
	assert.ElementsMatch(t, []string{
		"docs/assets/" + v + "/swagger-ui.css", "docs/assets/" + v + "/swagger-ui-bundle.js",
		"docs/assets/" + own[1] + "/docs.css", "docs/assets/" + own[1] + "/init.js",
		"docs/assets/" + v + "/LICENSE",
	}, links)
	for _, l := range links {
		assert.Equal(t, 200, s.as("").Get("/api/v1/"+l).StatusCode, l)
	}
}

func TestDocsAssets(t *testing.T) {
	t.Parallel()
	s := docsServer(t, true)
	page := s.as("").Get("/api/v1/docs").String()
	own := regexp.MustCompile(`docs/assets/([0-9a-f]{12})/init\.js`).FindStringSubmatch(page)
	require.NotNil(t, own)
	v := swaggerUIVersion(t)
	for _, tc := range []struct {
		path, file, contentType string
	}{
		{v + "/swagger-ui-bundle.js", "swagger-ui-bundle.js.gz", "text/javascript; charset=utf-8"},
		{v + "/swagger-ui.css", "swagger-ui.css.gz", "text/css; charset=utf-8"},
		{v + "/LICENSE", "LICENSE", "text/plain; charset=utf-8"},
		{v + "/NOTICE", "NOTICE", "text/plain; charset=utf-8"},
		{v + "/swagger-ui-bundle.js.LICENSE.txt", "swagger-ui-bundle.js.LICENSE.txt", "text/plain; charset=utf-8"},
		{own[1] + "/init.js", "init.js", "text/javascript; charset=utf-8"},
		{own[1] + "/docs.css", "docs.css", "text/css; charset=utf-8"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			stored, plain := vendored(t, tc.file)
			gzipped := strings.HasSuffix(tc.file, ".gz")
			url := "/api/v1/docs/assets/" + tc.path
			for _, ae := range []struct {
				accept   string
				wantGzip bool
			}{
				{"", false},
				{"gzip, deflate, br, zstd", true}, // Chromium's
				{"br;q=1.0, gzip;q=0.8, *;q=0.1", true},
				{"x-gzip", true},
				{"*", true},
				{"GZIP;Q=0.5", true},
				{"identity", false},
				{"br, deflate", false},
				{"gzip;q=0", false},
				{"gzip;q=0.000, *", false},
				{"*;q=0", false},
				{"gzip;q=oops", false},
			} {
				r := s.do(req{method: "GET", url: url, header: map[string]string{"Accept-Encoding": ae.accept}})
				require.Equal(t, 200, r.StatusCode, "%s %q", url, ae.accept)
				h := r.Header
				assert.Equal(t, tc.contentType, h.Get("Content-Type"))
				assert.Equal(t, "public, max-age=31536000, immutable", h.Get("Cache-Control"))
				assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
				assert.Empty(t, h.Get("Set-Cookie"))
				if !gzipped {
					assert.Empty(t, h.Get("Content-Encoding"))
					assert.Empty(t, h.Get("Vary"))
					assert.Equal(t, stored, r.Body, "served as embedded")
					continue
				}
				assert.Equal(t, "Accept-Encoding", h.Get("Vary"), "%q", ae.accept)
				if ae.wantGzip {
					assert.Equal(t, "gzip", h.Get("Content-Encoding"), "%q", ae.accept)
					assert.Equal(t, stored, r.Body, "the embedded gzip, as it is (%q)", ae.accept)
				} else {
					assert.Empty(t, h.Get("Content-Encoding"), "%q", ae.accept)
					assert.Equal(t, plain, r.Body, "decompressed on the fly (%q)", ae.accept)
				}
				assert.Equal(t, strconv.Itoa(len(r.Body)), h.Get("Content-Length"))
			}
			head := s.do(req{method: "HEAD", url: url})
			assert.Equal(t, 200, head.StatusCode)
			assert.Equal(t, strconv.Itoa(len(plain)), head.Header.Get("Content-Length"))
		})
	}

	t.Run("unknown", func(t *testing.T) {
		for _, path := range []string{
			"/api/v1/docs/", "/api/v1/docs/assets/" + v + "/swagger-ui.js", "/api/v1/docs/assets/5.0.0/swagger-ui.css",
			"/api/v1/docs/assets/000000000000/init.js", "/api/v1/docs/assets/" + v + "/update.sh",
		} {
			assert.Equal(t, 404, s.as("").Get(path).StatusCode, path)
		}
		r := s.do(req{method: "POST", url: "/api/v1/docs", body: "{}"})
		assert.Equal(t, 405, r.StatusCode)
	})
}

func TestDocsOff(t *testing.T) {
	t.Parallel()
	s := docsServer(t, false)
	for _, path := range []string{"/api/v1/docs", "/api/v1/docs/assets/" + swaggerUIVersion(t) + "/swagger-ui-bundle.js"} {
		r := s.as("").Get(path)
		assert.Equal(t, 404, r.StatusCode, path)
		assert.Equal(t, "default-src 'none'; frame-ancestors 'none'", r.Header.Get("Content-Security-Policy"))
	}
}

// TestDocsInABrowser loads the reference page in headless Chromium: first
// without credentials (the key form), with a wrong key and then the right
// one, and then with a session cookie; each time Swagger UI renders the
// document and "Try it out" reaches the API with the same credentials.
// Nothing on the page may log an error or break the CSP.
func TestDocsInABrowser(t *testing.T) {
	browser := browsertest.New(t)
	s := docsServer(t, true)
	created := s.do(req{method: "POST", url: "/api/v1/data/crm_account", body: `{"name":"Acme Docs"}`,
		header: map[string]string{"x-api-key": docsKey}})
	created.Status(t, 201)
	srv := httptest.NewServer(s.Handler)
	t.Cleanup(srv.Close)
	pageURL := srv.URL + "/api/v1/docs"
	docURL := srv.URL + "/api/v1/openapi.json"

	// tab opens a page of its own in the browser, with a deadline, and
	// collects its errors.
	tab := func(t *testing.T) (context.Context, *browsertest.Errors) {
		ctx, cancel := chromedp.NewContext(browser)
		t.Cleanup(cancel)
		require.NoError(t, chromedp.Do(ctx), "open a tab")
		errs := browsertest.CollectErrors(t, ctx)
		ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
		t.Cleanup(cancelTimeout)
		return ctx, errs
	}
	text := func(t *testing.T, ctx context.Context, sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		require.NoError(t, err, sel)
		return v
	}
	const listOp = "#operations-crm_account-crm_account_list"
	// tryList runs "Try it out" on the list operation and returns the
	// status and the body it shows.
	tryList := func(t *testing.T, ctx context.Context) (string, string) {
		t.Helper()
		status, body, err := browsertest.TryOut(ctx, listOp)
		require.NoError(t, err)
		return status, body
	}
	// screenshot writes the whole page as a PNG to the test's artifacts
	// (go test -artifacts keeps them)
	screenshot := func(t *testing.T, ctx context.Context, name string) {
		t.Helper()
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		file := filepath.Join(t.ArtifactDir(), name)
		require.NoError(t, os.WriteFile(file, shot, 0o644))
		t.Log("screenshot:", file)
	}
	// setSession gives the browser a session cookie, as signing in would.
	setSession := func(t *testing.T, ctx context.Context, value string) {
		t.Helper()
		_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
			Name: docsSessionCookie, Value: value, URL: srv.URL, Path: "/api/v1",
			HTTPOnly: objectos.Ptr(true), SameSite: network.CookieSameSiteLax,
		})
		require.NoError(t, err)
	}
	rendered := func(t *testing.T, ctx context.Context) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(listOp))))
		assert.Contains(t, text(t, ctx, "#swagger-ui .opblock-tag"), "crm_account")
		assert.Contains(t, text(t, ctx, listOp), "/data/crm_account")
		assert.Contains(t, text(t, ctx, listOp), "List accounts")
		assert.Contains(t, text(t, ctx, "#operations-crm_account-crm_account_create"), "Create an account")
		hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("docs-key").hidden`))
		require.NoError(t, err)
		assert.True(t, hidden, "the key form is gone")
	}

	t.Run("pasted key", func(t *testing.T) {
		ctx, errs := tab(t)
		// a session that has expired: the key must still work
		setSession(t, ctx, "expired-session")
		require.NoError(t, chromedp.Do(ctx,
			chromedp.EmulateViewport(1280, 900),
			chromedp.Navigate(pageURL),
			chromedp.WaitVisible(chromedp.CSS("#docs-key-input")),
		))
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#swagger-ui .opblock").length`))
		require.NoError(t, err)
		assert.Zero(t, n, "nothing rendered without credentials")

		require.NoError(t, chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS("#docs-key-input"), "wrong-key"),
			chromedp.Click(chromedp.CSS("#docs-key-submit")),
			chromedp.WaitVisible(chromedp.CSS("#docs-key-error")),
		))
		assert.Equal(t, "The API did not accept this key.", text(t, ctx, "#docs-key-error"))
		screenshot(t, ctx, "docs-key-form.png")

		require.NoError(t, chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS("#docs-key-input"), docsKey),
			chromedp.Click(chromedp.CSS("#docs-key-submit")),
		))
		rendered(t, ctx)
		// the key is authorized for "Try it out" under the document's own
		// scheme name
		require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(".auth-wrapper .authorize.locked"))))
		status, body := tryList(t, ctx)
		assert.Equal(t, "200", status)
		assert.Contains(t, body, "Acme Docs")
		curl := text(t, ctx, listOp+" .curl-command")
		assert.Contains(t, curl, "X-API-Key: "+docsKey)

		// the rest of the UI renders under the CSP too: the authorization
		// dialog, a request body editor, a model
		const createOp = "#operations-crm_account-crm_account_create"
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(".auth-wrapper .authorize")),
			chromedp.WaitVisible(chromedp.CSS(".modal-ux")),
		))
		dialog := text(t, ctx, ".modal-ux")
		assert.Contains(t, dialog, "docsTestKey")
		assert.Contains(t, dialog, "Authorized")
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(".modal-ux .btn-done")),
			chromedp.WaitNotPresent(chromedp.CSS(".modal-ux")),
			chromedp.Click(chromedp.CSS(createOp+" .opblock-summary-control")),
			chromedp.WaitVisible(chromedp.CSS(createOp+" .try-out__btn")),
			chromedp.Click(chromedp.CSS(createOp+" .try-out__btn")),
			chromedp.WaitVisible(chromedp.CSS(createOp+" textarea.body-param__text")),
			chromedp.Click(chromedp.CSS("section.models .json-schema-2020-12-expand-deep-button")),
			chromedp.WaitVisible(chromedp.CSS("section.models .json-schema-2020-12-body:not(.json-schema-2020-12-body--collapsed)")),
		))
		assert.Contains(t, text(t, ctx, "section.models"), "≤ 200 characters")

		screenshot(t, ctx, "docs.png")

		// the two 401s of the document (anonymous, then the wrong key) are
		// the only errors: the browser logs every failed fetch
		var rest []string
		unauthorized := 0
		for _, e := range errs.All() {
			if strings.Contains(e, "status of 401") && strings.HasSuffix(e, "("+docURL+")") {
				unauthorized++
				continue
			}
			rest = append(rest, e)
		}
		assert.Empty(t, rest, "console errors or CSP violations")
		assert.Equal(t, 2, unauthorized, errs.All())

		// and the CSP holds, and its violations are seen: an image from
		// another origin and a <style> element are refused
		_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`
			const img = new Image(); img.src = "https://example.invalid/x.png"; document.body.append(img);
			const style = document.createElement("style"); style.textContent = "body { color: red }"; document.head.append(style);
			true`))
		require.NoError(t, err)
		for _, want := range []string{"example.invalid", "Applying inline style violates"} {
			require.Eventually(t, func() bool {
				return slices.ContainsFunc(errs.All(), func(e string) bool {
					return strings.Contains(e, "Content Security Policy") && strings.Contains(e, want)
				})
			}, 10*time.Second, 50*time.Millisecond, "the violation %q is reported: %v", want, errs.All())
		}
		color, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).color`))
		require.NoError(t, err)
		assert.NotEqual(t, "rgb(255, 0, 0)", color, "the <style> element is not applied")
	})

	t.Run("session cookie", func(t *testing.T) {
		ctx, errs := tab(t)
		setSession(t, ctx, docsSession)
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(pageURL)))
		rendered(t, ctx)
		status, body := tryList(t, ctx)
		assert.Equal(t, "200", status, "Try it out sends the session cookie")
		assert.Contains(t, body, "Acme Docs")
		assert.NotContains(t, text(t, ctx, listOp+" .curl-command"), "X-API-Key")
		assert.Empty(t, errs.All(), "console errors or CSP violations")
	})
}
