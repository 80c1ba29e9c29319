package rest

import (
	"compress/gzip"
	"crypto/sha256"
	_ "embed" // the reference page's assets
	"encoding/binary"
	"encoding/hex"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/objectos-go/objectos"
)

// The reference page at {base}/docs is Swagger UI, vendored from npm by
// swaggerui/update.sh and embedded, so it works offline and loads nothing
// from another origin. The bundle and its stylesheet are stored
// gzip-compressed (about 480 KB instead of 1.9 MB in the binary).
var (
	//go:embed swaggerui/VERSION
	swaggerUIVersion string
	//go:embed swaggerui/swagger-ui-bundle.js.gz
	swaggerUIBundleGz string
	//go:embed swaggerui/swagger-ui.css.gz
	swaggerUICSSGz string
	//go:embed swaggerui/LICENSE
	swaggerUILicense string
	//go:embed swaggerui/NOTICE
	swaggerUINotice string
	//go:embed swaggerui/swagger-ui-bundle.js.LICENSE.txt
	swaggerUIBundleLicenses string
	//go:embed swaggerui/init.js
	docsInitJS string
	//go:embed swaggerui/docs.css
	docsCSS string
)

// docsCSP is the reference page's Content-Security-Policy. Scripts and
// stylesheets come from this origin only: the page has no inline script,
// handler or style (init.js and docs.css are files), and Swagger UI needs
// none either (it sets styles through the DOM, which CSP does not restrict,
// and strips style attributes from Markdown). Its stylesheet draws icons as
// data: images. The page fetches the document and "Try it out" calls the
// API on this origin only (connect-src 'self'); nothing may frame the page,
// change its base URL or submit a form (init.js reads the key form, it never
// submits it).
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// docsCacheControl lets browsers and proxies keep an asset for a year: its
// path changes with its content (the Swagger UI version, or a hash of the
// page's own files).
const docsCacheControl = "public, max-age=31536000, immutable"

// docsRoutes serves the API reference page (Options.Docs): the page at
// GET /docs, which holds no data and needs no credentials (init.js loads
// the document from /openapi.json with the reader's session or a pasted
// key), and its assets under GET /docs/assets/{version}/.
func (h *handler) docsRoutes(r *objectos.Router) {
	// public and static: budgets per address, with no session lookup for
	// each of the page's six requests
	r = r.With(objectos.RateLimitPerAddress())
	sum := sha256.Sum256([]byte(docsInitJS + "\x00" + docsCSS))
	vendored := "docs/assets/" + strings.TrimSpace(swaggerUIVersion) + "/"
	own := "docs/assets/" + hex.EncodeToString(sum[:6]) + "/"
	for _, a := range []*docsAsset{
		newDocsAsset(vendored+"swagger-ui-bundle.js", "text/javascript; charset=utf-8", swaggerUIBundleGz, true),
		newDocsAsset(vendored+"swagger-ui.css", "text/css; charset=utf-8", swaggerUICSSGz, true),
		newDocsAsset(vendored+"LICENSE", "text/plain; charset=utf-8", swaggerUILicense, false),
		newDocsAsset(vendored+"NOTICE", "text/plain; charset=utf-8", swaggerUINotice, false),
		// the bundle's first line points here for the licences of what it bundles
		newDocsAsset(vendored+"swagger-ui-bundle.js.LICENSE.txt", "text/plain; charset=utf-8", swaggerUIBundleLicenses, false),
		newDocsAsset(own+"init.js", "text/javascript; charset=utf-8", docsInitJS, false),
		newDocsAsset(own+"docs.css", "text/css; charset=utf-8", docsCSS, false),
	} {
		r.Handle(http.MethodGet, "/"+a.path, a)
	}
	page := docsPage(h.opts.APIName, vendored, own)
	r.HandleFunc(http.MethodGet, "/docs", func(w http.ResponseWriter, r *http.Request) {
		objectos.SetHTMLHeaders(w, docsCSP)
		// the page is tiny and names the assets of this build: revalidate
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		_, _ = io.WriteString(w, page)
	})
}

// docsPage renders the page. Its URLs are relative to {base}/docs, so it
// works wherever the stack is mounted: openapi.json (in init.js) and the
// assets are its siblings under {base}.
func docsPage(apiName, vendored, own string) string {
	title := html.EscapeString(apiName) + " reference"
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>` + title + `</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="` + vendored + `swagger-ui.css">
<link rel="stylesheet" href="` + own + `docs.css">
<script src="` + vendored + `swagger-ui-bundle.js" defer></script>
<script src="` + own + `init.js" defer></script>
</head>
<body>
<div class="docs-intro">
<noscript><p>This page needs JavaScript. The API document is at <a href="openapi.json">openapi.json</a>.</p></noscript>
<p id="docs-status" role="status">Loading the API document…</p>
<form id="docs-key" hidden>
<label for="docs-key-input">The API document needs credentials: sign in to this API in this browser and reload, or paste an API key (sent as the x-api-key header, kept in this page only).</label>
<input id="docs-key-input" name="key" type="password" autocomplete="off" spellcheck="false" required>
<button id="docs-key-submit" type="submit">Load</button>
<p id="docs-key-error" role="alert" hidden></p>
</form>
</div>
<div id="swagger-ui"></div>
<footer class="docs-intro"><p>Rendered by Swagger UI ` + html.EscapeString(strings.TrimSpace(swaggerUIVersion)) +
		` (<a href="` + vendored + `LICENSE">Apache-2.0 licence</a>).</p></footer>
</body>
</html>
`
}

// docsAsset is one embedded file of the reference page, served under a path
// that changes with its content.
type docsAsset struct {
	path        string // relative to {base}, such as "docs/assets/5.35.0/swagger-ui.css"
	contentType string
	body        string // gzip when gzipped
	gzipped     bool
	size        string // Content-Length of the decompressed body
}

func newDocsAsset(path, contentType, body string, gzipped bool) *docsAsset {
	a := &docsAsset{path: path, contentType: contentType, body: body, gzipped: gzipped}
	if gzipped && len(body) >= 4 {
		// a gzip member ends with the length of its input (mod 2^32)
		a.size = strconv.FormatUint(uint64(binary.LittleEndian.Uint32([]byte(body[len(body)-4:]))), 10)
	}
	return a
}

// ServeHTTP answers with the asset, gzip-encoded when the request's
// Accept-Encoding allows it and decompressed on the fly otherwise.
func (a *docsAsset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", docsCacheControl)
	body := a.body
	if a.gzipped {
		h.Set("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			h.Set("Content-Encoding", "gzip")
		} else {
			h.Set("Content-Length", a.size)
			if r.Method == http.MethodHead {
				return
			}
			zr, err := gzip.NewReader(strings.NewReader(body))
			if err == nil {
				_, err = io.Copy(w, zr)
			}
			if err != nil { // the client's connection, or (never) a broken embed
				panic(http.ErrAbortHandler)
			}
			return
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = io.WriteString(w, body)
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: gzip
// (or its alias x-gzip) is named with a weight above 0, or is not named and
// "*" has a weight above 0 (RFC 9110 §12.5.3).
func acceptsGzip(values []string) bool {
	star := false
	for _, v := range values {
		for _, coding := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(coding, ";")
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				if k, val, ok := strings.Cut(p, "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					var err error
					if q, err = strconv.ParseFloat(strings.TrimSpace(val), 64); err != nil {
						q = 0
					}
				}
			}
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "gzip", "x-gzip":
				return q > 0
			case "*":
				star = q > 0
			}
		}
	}
	return star
}
