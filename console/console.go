// Package console serves the objectos Console: a web app for the people who
// run a deployment, at {base}/console/ by default. Every signed-in user
// manages their own API keys and browses the data their permissions let
// them see; administrators also mint and revoke keys for anyone and manage
// users (permission sets, bans, sessions).
//
// The console is a client of the public API only — /auth, /keys, /data,
// /actions and /meta, with the browser's session cookie (HttpOnly, set by
// the auth plugin) — so it can do nothing its user could not do with curl.
// Its pages and scripts are embedded in the binary (no CDN, no build step),
// and served under a strict Content-Security-Policy: no inline script or
// style, no other origin.
//
// The console is off unless its plugin is added:
//
//	objectos.New(ctx, objectos.Options{
//		Plugins: []objectos.Plugin{rest.New(rest.Options{}), auth.New(authOpts),
//			apikey.New(apikey.Options{}), security.New(), console.New(console.Options{})},
//	})
//
// It needs the rest, auth and apikey plugins (New refuses it without them).
package console

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/objectos-go/objectos"
)

// DefaultPath is where the console is served, under the Stack's base path.
const DefaultPath = "/console"

// Options configure the console.
type Options struct {
	// Path is where the console is served, relative to the Stack's base
	// path: "/console" (DefaultPath) when empty.
	Path string
	// Title names the console in its header and the browser's tab:
	// "objectos console" when empty.
	Title string
}

// Plugin serves the console. Add it to Options.Plugins to enable it.
type Plugin struct {
	opts   Options
	assets map[string]asset // by file name
	dir    string           // "assets/<hash of every file>"
	url    string           // the console's address below the host, with its trailing slash
}

var (
	_ objectos.Plugin        = (*Plugin)(nil)
	_ objectos.RouteProvider = (*Plugin)(nil)
	_ objectos.Initializer   = (*Plugin)(nil)
)

//go:embed web
var web embed.FS

// New returns the console plugin.
func New(opts Options) *Plugin {
	if opts.Path == "" {
		opts.Path = DefaultPath
	}
	opts.Path = "/" + strings.Trim(opts.Path, "/")
	if opts.Title == "" {
		opts.Title = "objectos console"
	}
	return &Plugin{opts: opts}
}

// Name implements objectos.Plugin.
func (p *Plugin) Name() string { return "console" }

// Init implements objectos.Initializer: the console needs the routes of
// the rest, auth and apikey plugins, and a path of its own.
func (p *Plugin) Init(_ context.Context, s *objectos.Stack) error {
	if !p.validPath() {
		return errors.New("console: Options.Path must name a path below the base path, such as /console")
	}
	var missing []string
	for _, need := range []struct{ prefix, plugin string }{
		{"/data/", "rest"}, {"/meta", "rest (metadata)"}, {"/auth/", "auth"}, {"/keys", "apikey"},
	} {
		if !s.HasRoute(need.prefix) {
			missing = append(missing, need.plugin)
		}
	}
	if len(missing) > 0 {
		return errors.New("console: it is a client of the public API and needs the " + strings.Join(missing, ", ") +
			" plugin(s) in Options.Plugins")
	}
	return nil
}

func (p *Plugin) validPath() bool {
	return p.opts.Path != "/" && !strings.ContainsAny(p.opts.Path, "{}?#% \t")
}

// URL returns the console's address below the host ("/api/v1/console/"),
// once the Stack is built: for start-up lines.
func (p *Plugin) URL() string { return p.url }

// asset is one embedded file.
type asset struct {
	body        []byte
	contentType string
}

// load reads the embedded files and names their directory after a hash of
// them all, so that a new build never meets an old file in a cache.
func (p *Plugin) load() error {
	p.assets = map[string]asset{}
	var names []string
	err := fs.WalkDir(web, "web", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, name)
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	h := sha256.New()
	for _, name := range names {
		body, err := web.ReadFile(name)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(name, "web/")
		if rel == "index.html" {
			continue
		}
		ct := mime.TypeByExtension(path.Ext(rel))
		switch path.Ext(rel) {
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".txt", "":
			ct = "text/plain; charset=utf-8"
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		p.assets[rel] = asset{body: body, contentType: ct}
		h.Write([]byte(rel + "\x00"))
		h.Write(body)
		h.Write([]byte{0})
	}
	p.dir = "assets/" + hex.EncodeToString(h.Sum(nil)[:6])
	return nil
}

// csp is the console's Content-Security-Policy: scripts and stylesheets of
// this origin only (the page has no inline script, handler or style; the
// scripts never write a style attribute), requests to this origin only,
// images from here or data: URLs, no frames, forms or base URL changes.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// Routes implements objectos.RouteProvider.
func (p *Plugin) Routes(r *objectos.Router) {
	st := r.Stack()
	if err := p.load(); err != nil {
		panic("console: embedded files: " + err.Error()) // a broken build, never a user's doing
	}
	if !p.validPath() {
		return // Init says why
	}
	root := st.BasePath() + p.opts.Path + "/"
	p.url = root
	shell := p.shell(st.BasePath(), root)
	// public and static: budgets per address, with no session lookup
	r = r.With(objectos.RateLimitPerAddress())
	r.HandleFunc(http.MethodGet, p.opts.Path, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, root, http.StatusMovedPermanently)
	})
	// every path below the console is the same page: the app routes in
	// the browser, so that an address can be bookmarked, shared or typed
	r.HandleFunc(http.MethodGet, p.opts.Path+"/{path...}", func(w http.ResponseWriter, r *http.Request) {
		objectos.SetHTMLHeaders(w, csp)
		h := w.Header()
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Length", strconv.Itoa(len(shell)))
		_, _ = w.Write(shell)
	})
	r.HandleFunc(http.MethodGet, p.opts.Path+"/assets/{version}/{file...}", func(w http.ResponseWriter, r *http.Request) {
		a, ok := p.assets[r.PathValue("file")]
		if !ok {
			st.WriteError(w, r, objectos.NewError(objectos.CodeNotFound, "No such file in this console build."))
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		if "assets/"+r.PathValue("version") == p.dir {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			// a page of another build (a replica not yet updated, during a
			// rolling deploy) gets this build's file, which no cache keeps
			h.Set("Cache-Control", "no-cache")
		}
		h.Set("Content-Length", strconv.Itoa(len(a.body)))
		_, _ = w.Write(a.body)
	})
}

// shell renders the one page of the console: it names the API's base path
// and the console's own for the scripts, and the assets of this build.
func (p *Plugin) shell(base, root string) []byte {
	page, err := web.ReadFile("web/index.html")
	if err != nil {
		panic("console: embedded index.html: " + err.Error())
	}
	assets := root + p.dir + "/"
	return []byte(strings.NewReplacer(
		"{{title}}", html.EscapeString(p.opts.Title),
		"{{api}}", html.EscapeString(base),
		"{{root}}", html.EscapeString(root),
		"{{assets}}", html.EscapeString(assets),
	).Replace(string(page)))
}
