package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/apikey"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/console"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/security"
)

const artifact = `
name: shop
objects:
  - name: shop_item
    label: Item
    fields:
      name: {type: text, required: true}
      due: {type: datetime, label: Due}
      flag: {type: boolean, label: Flag}
      labels: {type: tags, label: Labels}
permissionSets:
  - name: shop_clerk
    label: Clerk
    objects:
      shop_item: {allowRead: true, allowCreate: true}
`

func newStack(t *testing.T, base string, cons *console.Plugin) *objectos.Stack {
	t.Helper()
	a, err := objectos.ParseArtifact([]byte(artifact))
	require.NoError(t, err)
	st, err := objectos.New(context.Background(), objectos.Options{
		Artifact: a, Store: testenv.Open(t, testenv.SQLite), BasePath: base,
		Plugins: []objectos.Plugin{rest.New(rest.Options{}), auth.New(auth.Options{}), apikey.New(apikey.Options{}), security.New(), cons},
	})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Result(), string(body)
}

var assetRE = regexp.MustCompile(`(?:src|href)="([^"]+/assets/[^"]+)"`)

// Every address below the console is its one page, with a strict CSP and
// no inline script or style; the page names its assets under the base path
// and the API's base path for the scripts.
func TestShell(t *testing.T) {
	for _, tc := range []struct{ base, path, root string }{
		{"", "", "/api/v1/console/"},
		{"/crm/api", "/admin", "/crm/api/admin/"},
	} {
		t.Run(tc.root, func(t *testing.T) {
			cons := console.New(console.Options{Path: tc.path, Title: `Shop <console>`})
			st := newStack(t, tc.base, cons)
			assert.Equal(t, tc.root, cons.URL())
			for _, p := range []string{"", "keys", "data/shop_item/123/edit", "users?search=x", "users/new"} {
				res, body := get(t, st, tc.root+p)
				require.Equal(t, http.StatusOK, res.StatusCode, p)
				assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
				csp := res.Header.Get("Content-Security-Policy")
				assert.Contains(t, csp, "script-src 'self';")
				assert.Contains(t, csp, "style-src 'self';")
				assert.Contains(t, csp, "frame-ancestors 'none'")
				assert.NotContains(t, csp, "unsafe")
				assert.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))
				assert.Equal(t, "no-cache", res.Header.Get("Cache-Control"))
				assert.Contains(t, body, `<meta name="objectos-api" content="`+st.BasePath()+`">`)
				assert.Contains(t, body, `<meta name="objectos-console" content="`+tc.root+`">`)
				assert.Contains(t, body, "<title>Shop &lt;console&gt;</title>", "the title is escaped")
				assert.NotRegexp(t, `<script>|<script [^>]*>[^<]|<style| style=| on[a-z]+=`, body, "nothing inline")
			}
			// /console without its slash is sent to the page
			res, _ := get(t, st, strings.TrimSuffix(tc.root, "/"))
			assert.Equal(t, http.StatusMovedPermanently, res.StatusCode)
			assert.Equal(t, tc.root, res.Header.Get("Location"))

			_, body := get(t, st, tc.root)
			assets := assetRE.FindAllStringSubmatch(body, -1)
			require.Len(t, assets, 2, "the stylesheet and the app")
			for _, m := range assets {
				res, body := get(t, st, m[1])
				require.Equal(t, http.StatusOK, res.StatusCode, m[1])
				assert.Equal(t, "public, max-age=31536000, immutable", res.Header.Get("Cache-Control"))
				assert.NotEmpty(t, body)
				if strings.HasSuffix(m[1], ".js") {
					assert.Equal(t, "text/javascript; charset=utf-8", res.Header.Get("Content-Type"))
				}
			}
			// the modules the app imports are siblings of it
			dir := assets[1][1][:strings.LastIndex(assets[1][1], "/")+1]
			for _, f := range []string{"api.js", "ui.js", "keys.js", "users.js", "data.js", "table.js", "picker.js", "twofactor.js"} {
				res, _ := get(t, st, dir+f)
				assert.Equal(t, http.StatusOK, res.StatusCode, f)
			}
			// another build's name for a file this build has: the file, for
			// no cache to keep (replicas of two builds during a deploy)
			res, body = get(t, st, tc.root+"assets/000000000000/app.js")
			assert.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, "no-cache", res.Header.Get("Cache-Control"))
			assert.Contains(t, body, "import")
			// no such file: 404 in the API's envelope
			for _, p := range []string{tc.root + "assets/000000000000/nope.js", dir + "nope.js", dir + "../index.html", dir + "index.html"} {
				res, body := get(t, st, p)
				assert.Equal(t, http.StatusNotFound, res.StatusCode, p)
				assert.NotContains(t, body, "<html", p)
			}
		})
	}
}

// The console is a client of the public API: without the plugins whose
// routes it calls, New says which are missing.
func TestNeedsThePublicAPI(t *testing.T) {
	a, err := objectos.ParseArtifact([]byte(artifact))
	require.NoError(t, err)
	_, err = objectos.New(context.Background(), objectos.Options{
		Artifact: a, Store: testenv.Open(t, testenv.SQLite),
		Plugins: []objectos.Plugin{rest.New(rest.Options{}), console.New(console.Options{})},
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "console")
	assert.Contains(t, err.Error(), "auth")
	assert.Contains(t, err.Error(), "apikey")

	_, err = objectos.New(context.Background(), objectos.Options{
		Artifact: a, Store: testenv.Open(t, testenv.SQLite),
		Plugins: []objectos.Plugin{rest.New(rest.Options{}), auth.New(auth.Options{}), apikey.New(apikey.Options{}), security.New(),
			console.New(console.Options{Path: "/{x}"})},
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Options.Path")
}

// Without the plugin there is no console.
func TestOffUnlessAdded(t *testing.T) {
	a, err := objectos.ParseArtifact([]byte(artifact))
	require.NoError(t, err)
	st, err := objectos.New(context.Background(), objectos.Options{
		Artifact: a, Store: testenv.Open(t, testenv.SQLite),
		Plugins: []objectos.Plugin{rest.New(rest.Options{}), auth.New(auth.Options{}), apikey.New(apikey.Options{}), security.New()},
	})
	require.NoError(t, err)
	defer st.Close()
	res, _ := get(t, st, "/api/v1/console/")
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
}
