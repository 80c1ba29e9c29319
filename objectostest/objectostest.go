package objectostest

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/alexedwards/argon2id"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/apikey"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/pgschema"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/security"
	"github.com/objectos-go/objectos/store"
)

// DefaultURL is the origin requests are made to unless Options.URL says
// otherwise. Nothing listens there: requests are served in process.
const DefaultURL = "http://objectos.test"

// Options configures an Env. The zero value is a Stack with the standard
// plugins on a private in-memory SQLite store, a Clock at its start, and
// rate limits off.
type Options struct {
	// Store is the store the Stack runs on; the caller closes it. Default:
	// a private in-memory SQLite store (store.Memory), closed when the
	// test ends.
	Store objectos.Store
	// Postgres, when set (and Store is not), runs the Stack on PostgreSQL:
	// a postgres:// DSN whose database gets a schema of its own for the
	// test, dropped when the test ends (the DSN's user needs CREATE on the
	// database).
	Postgres string
	// Plugins change the standard plugins: rest, auth (with FastHasher),
	// apikey and security, in that order. A plugin named like a standard
	// one ("rest", "auth", "apikey", "security") takes its place, so
	// auth.New(auth.Options{SignUp: …}) configures sign-in; any other is
	// added after them.
	Plugins []objectos.Plugin
	// Without leaves out the standard plugins of these names, unless
	// Plugins replaces them: Without: []string{"apikey"} is a Stack without
	// API keys. An unknown name fails the test.
	Without []string
	// ActionHandlers run the artifact's script actions, keyed
	// "object.action" (see objectos.Options.ActionHandlers).
	ActionHandlers map[string]objectos.ActionHandler
	// Hooks are the application's write hooks.
	Hooks []objectos.Hook
	// Clock is the Stack's clock, which its plugins and its rate limiter
	// read too. Default NewClock(): it stands still until advanced.
	Clock *Clock
	// Configure, when set, changes the Stack's options last, after
	// objectostest has filled them in: a BasePath, CORS, a Logger, or
	// RateLimits (off by default here, since a clock that stands still
	// never refills a bucket; objectos.RateLimits{} turns the defaults
	// back on).
	Configure func(*objectos.Options)
	// Handler, when set, returns the handler requests are served by, in
	// place of the Stack itself: the application's mux with the Stack
	// mounted on it, or middleware around it.
	Handler func(*objectos.Stack) http.Handler
	// URL is the scheme and host requests are made to. Default DefaultURL;
	// an https:// URL makes requests arrive over TLS (so session cookies
	// are Secure).
	URL string
}

// Env is a Stack under test: the Stack, its store and clock, the handler
// that serves its requests in process, and the users and clients that call
// it. Its methods are safe for concurrent use.
type Env struct {
	// Stack is the application: call its Go API with a User's Context, or
	// objectos.AsSystem to seed data.
	Stack *objectos.Stack
	// Store is the store the Stack runs on.
	Store objectos.Store
	// Clock is the Stack's clock.
	Clock *Clock
	// Handler serves the requests of the Env's clients (Options.Handler,
	// or the Stack); a test may replace it before making requests.
	Handler http.Handler
	// URL is the scheme and host of requests (Options.URL).
	URL string
}

// standard are the names of the standard plugins, in their order.
var standard = []string{"rest", "auth", "apikey", "security"}

func standardPlugin(name string) objectos.Plugin {
	switch name {
	case "rest":
		return rest.New(rest.Options{})
	case "auth":
		return auth.New(auth.Options{Hasher: FastHasher()})
	case "apikey":
		return apikey.New(apikey.Options{})
	default:
		return security.New()
	}
}

// New starts a Stack for artifact as opts say, stopped (and its store
// closed, when New opened it) when the test ends. Anything that keeps the
// Stack from starting (an invalid artifact, a plugin missing its
// dependency, an unreachable PostgreSQL) fails t at once.
func New(t testing.TB, artifact *objectos.Artifact, opts Options) *Env {
	t.Helper()
	ctx := context.Background()
	st := opts.Store
	switch {
	case st != nil && opts.Postgres != "":
		t.Fatalf("objectostest: Options.Store and Options.Postgres are both set; choose one")
	case st == nil && opts.Postgres != "":
		dsn, drop, err := pgschema.Create(ctx, opts.Postgres)
		if err != nil {
			t.Fatalf("objectostest: %v", err)
		}
		t.Cleanup(drop)
		ps, err := store.OpenPostgres(ctx, dsn)
		if err != nil {
			t.Fatalf("objectostest: %v", err)
		}
		t.Cleanup(func() { ps.Close() })
		st = ps
	case st == nil:
		ms, err := store.Memory(ctx)
		if err != nil {
			t.Fatalf("objectostest: %v", err)
		}
		t.Cleanup(func() { ms.Close() })
		st = ms
	}
	clock := opts.Clock
	if clock == nil {
		clock = NewClock()
	}
	so := objectos.Options{
		Artifact:       artifact,
		Store:          st,
		Plugins:        plugins(t, opts),
		Hooks:          opts.Hooks,
		ActionHandlers: opts.ActionHandlers,
		Clock:          clock.Now,
		RateLimits:     objectos.RateLimits{Disabled: true},
	}
	if opts.Configure != nil {
		opts.Configure(&so)
	}
	s, err := objectos.New(ctx, so)
	if err != nil {
		t.Fatalf("objectostest: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	e := &Env{Stack: s, Store: st, Clock: clock, Handler: s, URL: opts.URL}
	if opts.Handler != nil {
		e.Handler = opts.Handler(s)
	}
	if e.URL == "" {
		e.URL = DefaultURL
	}
	return e
}

// plugins is the standard set as opts change it.
func plugins(t testing.TB, opts Options) []objectos.Plugin {
	t.Helper()
	for _, name := range opts.Without {
		if !slices.Contains(standard, name) {
			t.Fatalf("objectostest: Options.Without: %q is not a standard plugin (%v)", name, standard)
		}
	}
	slots := make([]objectos.Plugin, len(standard))
	var extra []objectos.Plugin
	for _, p := range opts.Plugins {
		if i := slices.Index(standard, p.Name()); i >= 0 {
			slots[i] = p
		} else {
			extra = append(extra, p)
		}
	}
	var out []objectos.Plugin
	for i, name := range standard {
		switch {
		case slots[i] != nil:
			out = append(out, slots[i])
		case !slices.Contains(opts.Without, name):
			out = append(out, standardPlugin(name))
		}
	}
	return append(out, extra...)
}

// Artifact parses a YAML or JSON artifact (see objectos.ParseArtifact),
// failing t with every problem it has.
func Artifact(t testing.TB, src []byte) *objectos.Artifact {
	t.Helper()
	a, err := objectos.ParseArtifact(src)
	if err != nil {
		t.Fatalf("objectostest: %v", err)
	}
	return a
}

// fastParams are argon2id parameters too weak for anything but tests.
var fastParams = argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

type fastHasher struct{}

func (fastHasher) Hash(pw string) (string, error) { return argon2id.CreateHash(pw, &fastParams) }
func (fastHasher) Verify(pw, hash string) (bool, error) {
	return argon2id.ComparePasswordAndHash(pw, hash)
}

// FastHasher is argon2id with parameters far too weak for production (64
// KiB, one pass), so that tests that create and sign in many users stay
// fast. The standard auth plugin of an Env uses it; give it to an auth
// plugin of your own with auth.Options{Hasher: objectostest.FastHasher()}.
func FastHasher() auth.Hasher { return fastHasher{} }

// Auth returns the Stack's auth plugin, or nil when it has none.
func (e *Env) Auth() *auth.Plugin { return pluginOf[*auth.Plugin](e) }

// APIKeys returns the Stack's API key plugin, or nil when it has none.
func (e *Env) APIKeys() *apikey.Plugin { return pluginOf[*apikey.Plugin](e) }

func pluginOf[P objectos.Plugin](e *Env) P {
	for _, p := range e.Stack.Plugins() {
		if x, ok := p.(P); ok {
			return x
		}
	}
	var zero P
	return zero
}
