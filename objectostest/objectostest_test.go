package objectostest_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/store"
)

const notesYAML = `
name: notes
objects:
  - name: note
    fields:
      title: {type: text, required: true, maxLength: 20}
      tags: {type: tags}
    actions:
      - name: shout
        type: script
  - name: board
    sharingModel: public_read
    fields:
      name: {type: text}
permissionSets:
  - name: writer
    objects:
      note: {allowRead: true, allowCreate: true, allowEdit: true, allowDelete: true}
      board: {allowRead: true, allowCreate: true}
  - name: reader
    objects:
      board: {allowRead: true}
`

// shout is the script action: it upper-cases the note's title.
func shout(ctx context.Context, call *objectos.ActionCall) (any, error) {
	rec, err := call.Stack.Get(ctx, "note", call.RecordID, objectos.GetOptions{})
	if err != nil {
		return nil, err
	}
	res, err := call.Stack.Update(ctx, "note", call.RecordID,
		objectos.Record{"title": strings.ToUpper(rec.Record["title"].(string))}, objectos.WriteOptions{})
	if err != nil {
		return nil, err
	}
	return res.Record, nil
}

func newEnv(t *testing.T, st *store.Store, opts objectostest.Options) *objectostest.Env {
	t.Helper()
	opts.Store = st
	if opts.ActionHandlers == nil {
		opts.ActionHandlers = map[string]objectos.ActionHandler{"note.shout": shout}
	}
	return objectostest.New(t, objectostest.Artifact(t, []byte(notesYAML)), opts)
}

func TestUsersAndClients(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		env := newEnv(t, st, objectostest.Options{})
		alice := env.User(t, "Alice Liddell", "writer")
		bob := env.User(t, "bob", "writer")
		admin := env.Admin(t, "root")
		assert.Equal(t, "alice.liddell@example.com", alice.Email)
		assert.NotEmpty(t, alice.Token)

		// The embedded client: alice's bearer session.
		created := alice.Post("/api/v1/data/note", map[string]any{"title": "first", "tags": []string{"a"}}).
			Status(t, 201).Code(t, "").
			Equal(t, "record.title", "first").
			Equal(t, "record.tags", []string{"a"}).
			Equal(t, "record.owner_id", alice.ID).
			Equal(t, "record.created_at", "2026-07-28T12:00:00.000Z")
		id := created.ID()
		require.NotEmpty(t, id)
		assert.Equal(t, id, created.Record()["id"])

		// Private notes: bob sees none of alice's, the admin all.
		bob.Get("/api/v1/data/note").Status(t, 200).Equal(t, "total", 0).Len(t, "records", 0)
		admin.Get("/api/v1/data/note").Status(t, 200).Equal(t, "total", 1)
		assert.Equal(t, []string{id}, alice.Get("/api/v1/data/note").IDs())
		bob.Get("/api/v1/data/note/"+id).Status(t, 404).Code(t, "RECORD_NOT_FOUND")

		// Every kind of client is alice.
		for _, tc := range []struct {
			name string
			c    *objectostest.Client
		}{{"bearer", alice.SignIn(t)}, {"browser", alice.Browser(t)}, {"key", alice.APIKey(t)}} {
			name, c := tc.name, tc.c
			t.Run(name, func(t *testing.T) {
				c.Get("/api/v1/data/note").Status(t, 200).Equal(t, "records.0.id", id)
				c.Patch("/api/v1/data/note/"+id, `{"title":"via `+name+`"}`).Status(t, 200).
					Equal(t, "record.updated_by", alice.ID)
			})
		}

		// A permission set decides: reader cannot write.
		reader := env.User(t, "rita", "reader")
		reader.Post("/api/v1/data/board", map[string]any{"name": "x"}).Status(t, 403).Code(t, "PERMISSION_DENIED")
		// The Go API as a user.
		_, err := env.Stack.Create(reader.Context(), "board", objectos.Record{"name": "x"})
		assert.True(t, objectos.IsCode(err, objectos.CodePermissionDenied), "%v", err)
		b, err := env.Stack.Create(alice.Context(), "board", objectos.Record{"name": "x"})
		require.NoError(t, err)
		reader.Get("/api/v1/data/board/"+b.ID).Status(t, 200)

		// An unknown permission set is refused when the user is made.
		rec := run(t, func(t testing.TB) { env.User(t, "eve", "no_such_set") })
		rec.wantFatal(t, `user "eve"`, "no_such_set")

		// Anonymous.
		env.Client().Get("/api/v1/data/note").Status(t, 401).Code(t, "UNAUTHENTICATED")

		// An action, through the kit's ActionHandlers.
		alice.Post("/api/v1/actions/note/shout/"+id, `{}`).Status(t, 200).Equal(t, "data.title", "VIA KEY")
	})
}

func TestBrowser(t *testing.T) {
	env := newEnv(t, testenv.Open(t, testenv.SQLite), objectostest.Options{})
	alice := env.User(t, "alice", "writer")
	b := alice.Browser(t)
	require.NotEmpty(t, b.Token)
	assert.NotEqual(t, alice.Token, b.Token, "a session of its own")

	// Its cookie is sent, and its unsafe requests carry the Origin of the
	// Env, which the auth plugin's cookie check accepts.
	b.Post("/api/v1/data/note", map[string]any{"title": "by cookie"}).Status(t, 201)
	// A page on another origin is refused; one without Origin (a
	// server-side client holding the cookie) is not.
	b.With("Origin", "http://evil.example").Post("/api/v1/data/note", map[string]any{"title": "x"}).
		Status(t, 403).Code(t, "PERMISSION_DENIED")
	b.With("Origin", "").Post("/api/v1/data/note", map[string]any{"title": "no origin"}).Status(t, 201)
	env.Client().With("Cookie", "better-auth.session_token="+b.Token).Get("/api/v1/data/note").
		Status(t, 200).Equal(t, "total", 2)

	// Signing out clears the cookie: the browser is anonymous again.
	out := b.Post("/api/v1/auth/sign-out", map[string]any{}).Status(t, 200)
	require.NotNil(t, out.Cookie("better-auth.session_token"))
	b.Get("/api/v1/data/note").Status(t, 401)
	alice.Get("/api/v1/data/note").Status(t, 200) // her other session lives on

	// An anonymous browser signs in like a page would.
	anon := env.Browser()
	anon.Post("/api/v1/auth/sign-in/email", map[string]any{"email": alice.Email, "password": alice.Password}).Status(t, 200)
	anon.Get("/api/v1/data/note").Status(t, 200).Equal(t, "total", 2)
}

func TestHTTPS(t *testing.T) {
	env := newEnv(t, testenv.Open(t, testenv.SQLite), objectostest.Options{URL: "https://app.example"})
	alice := env.User(t, "alice", "writer")
	r := env.Client().Post("/api/v1/auth/sign-in/email", map[string]any{"email": alice.Email, "password": alice.Password}).Status(t, 200)
	c := r.Cookie("__Secure-better-auth.session_token")
	require.NotNil(t, c, "over TLS the cookie is Secure and prefixed")
	assert.True(t, c.Secure)
	alice.Browser(t).Post("/api/v1/data/note", map[string]any{"title": "secure"}).Status(t, 201)
}

func TestKeysAndClock(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		clock := objectostest.NewClock()
		env := newEnv(t, st, objectostest.Options{Clock: clock})
		assert.Same(t, clock, env.Clock)
		alice := env.User(t, "alice", "writer")
		key := alice.APIKey(t)
		require.True(t, strings.HasPrefix(key.Key, "os_pk_live_"))
		require.NotEmpty(t, key.KeyID)
		key.Get("/api/v1/data/note").Status(t, 200)

		// The key is an object like any other.
		alice.Get("/api/v1/data/sys_api_key/"+key.KeyID).Status(t, 200).Equal(t, "record.name", "objectostest")
		// Revoked, it stops working.
		alice.Post("/api/v1/actions/sys_api_key/revoke_api_key/"+key.KeyID, nil).Status(t, 200)
		key.Get("/api/v1/data/note").Status(t, 401).Code(t, "INVALID_TOKEN")

		// The clock is the Stack's: records and sessions follow it.
		clock.Advance(90 * time.Minute)
		alice.Post("/api/v1/data/note", map[string]any{"title": "later"}).Status(t, 201).
			Equal(t, "record.created_at", "2026-07-28T13:30:00.000Z")
		clock.Advance(8 * 24 * time.Hour) // past the session's 7 days
		alice.Get("/api/v1/data/note").Status(t, 401)
		alice.SignIn(t).Get("/api/v1/data/note").Status(t, 200)
		clock.Set(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
		assert.Equal(t, 2030, env.Stack.Now().Year())
	})
}

func TestOptions(t *testing.T) {
	artifact := objectostest.Artifact(t, []byte(notesYAML))
	handlers := map[string]objectos.ActionHandler{"note.shout": shout}

	t.Run("without apikey", func(t *testing.T) {
		env := objectostest.New(t, artifact, objectostest.Options{ActionHandlers: handlers, Without: []string{"apikey"}})
		assert.Nil(t, env.APIKeys())
		alice := env.User(t, "alice", "writer")
		run(t, func(t testing.TB) { alice.APIKey(t) }).wantFatal(t, "apikey plugin")
		alice.Post("/api/v1/keys", map[string]any{"name": "k"}).Status(t, 404)
	})
	t.Run("replacing a standard plugin", func(t *testing.T) {
		env := objectostest.New(t, artifact, objectostest.Options{ActionHandlers: handlers,
			Plugins: []objectos.Plugin{rest.New(rest.Options{Meta: objectos.Ptr(false)})}})
		alice := env.User(t, "alice", "writer")
		alice.Get("/api/v1/meta/object").Status(t, 404)
		alice.Get("/api/v1/data/note").Status(t, 200)
		var names []string
		for _, p := range env.Stack.Plugins() {
			names = append(names, p.Name())
		}
		assert.Equal(t, []string{"rest", "auth", "apikey", "security"}, names, "in its place")
	})
	t.Run("an authenticator of the application's own", func(t *testing.T) {
		byHeader := objectos.AuthFunc(func(r *http.Request) (*objectos.Principal, error) {
			if u := r.Header.Get("X-User"); u != "" {
				return &objectos.Principal{UserID: u, PermissionSets: []string{"writer"}}, nil
			}
			return nil, objectos.ErrNoCredentials
		})
		env := objectostest.New(t, artifact, objectostest.Options{ActionHandlers: handlers,
			Without: []string{"auth", "apikey"}, Plugins: []objectos.Plugin{byHeader}})
		assert.Nil(t, env.Auth())
		env.Client().With("X-User", "u1").Post("/api/v1/data/note", map[string]any{"title": "mine"}).
			Status(t, 201).Equal(t, "record.owner_id", "u1")
		env.Client().With("X-User", "u2").Get("/api/v1/data/note").Equal(t, "total", 0)
		run(t, func(t testing.TB) { env.User(t, "alice") }).wantFatal(t, "auth plugin")
	})
	t.Run("unknown Without", func(t *testing.T) {
		run(t, func(t testing.TB) {
			objectostest.New(t, artifact, objectostest.Options{Without: []string{"rest", "mcp"}})
		}).
			wantFatal(t, `"mcp" is not a standard plugin`)
	})
	t.Run("Configure and Handler", func(t *testing.T) {
		var seen []string
		var mu sync.Mutex
		env := objectostest.New(t, artifact, objectostest.Options{ActionHandlers: handlers,
			Configure: func(o *objectos.Options) { o.BasePath = "/api" },
			Handler: func(s *objectos.Stack) http.Handler {
				mux := http.NewServeMux()
				mux.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					mu.Lock()
					seen = append(seen, r.Method+" "+r.RequestURI)
					mu.Unlock()
					s.ServeHTTP(w, r)
				}))
				return mux
			}})
		alice := env.User(t, "alice", "writer") // signs in under the base path
		alice.Get("/api/data/note?limit=1").Status(t, 200)
		assert.Contains(t, seen, "GET /api/data/note?limit=1")
		assert.Contains(t, seen, "POST /api/auth/sign-in/email")
	})
	t.Run("rate limits are off unless configured", func(t *testing.T) {
		env := objectostest.New(t, artifact, objectostest.Options{ActionHandlers: handlers})
		alice := env.User(t, "alice", "writer")
		for range 70 { // more than the default 60 writes a minute
			alice.Post("/api/v1/data/board", map[string]any{"name": "b"}).Status(t, 201)
		}
		limited := objectostest.New(t, artifact, objectostest.Options{ActionHandlers: handlers,
			Configure: func(o *objectos.Options) { o.RateLimits = objectos.RateLimits{} }})
		bob := limited.User(t, "bob", "writer")
		r := bob.Get("/api/v1/data/note").Status(t, 200)
		assert.Equal(t, "600", r.Header.Get("RateLimit-Limit"))
	})
	t.Run("an invalid artifact", func(t *testing.T) {
		run(t, func(t testing.TB) {
			objectostest.Artifact(t, []byte("objects: [{name: x, fields: {a: {tpye: text}}}]"))
		}).
			wantFatal(t, "tpye")
		bad := &objectos.Artifact{Objects: []*objectos.Object{{Name: "note", Actions: []*objectos.Action{{Name: "go", Type: objectos.ActionScript}}}}}
		run(t, func(t testing.TB) { objectostest.New(t, bad, objectostest.Options{}) }).wantFatal(t, "note.go")
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := testenv.PostgresDSN(t)
		if dsn == "" {
			t.Skip(testenv.EnvPostgres + " not set")
		}
		env := objectostest.New(t, artifact, objectostest.Options{ActionHandlers: handlers, Postgres: dsn})
		assert.Equal(t, "pg", env.Store.(*store.Store).Dialect())
		env.User(t, "alice", "writer").Post("/api/v1/data/note", map[string]any{"title": "on pg"}).Status(t, 201)
		run(t, func(t testing.TB) {
			objectostest.New(t, artifact, objectostest.Options{Postgres: dsn, Store: env.Store})
		}).wantFatal(t, "both set")
	})
}

func TestHTTPClient(t *testing.T) {
	env := newEnv(t, testenv.Open(t, testenv.SQLite), objectostest.Options{})
	alice := env.User(t, "alice", "writer")
	hc := alice.HTTPClient()
	res, err := hc.Post(env.URL+"/api/v1/data/note", "application/json", strings.NewReader(`{"title":"plain"}`))
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, 201, res.StatusCode)
	assert.NotEmpty(t, res.Header.Get("Location"))

	// A request the test builds itself, with a relative URL.
	req, err := http.NewRequest("GET", "/api/v1/data/note", nil)
	require.NoError(t, err)
	alice.Send(req).Status(t, 200).Equal(t, "total", 1)
}

func TestResponseAssertions(t *testing.T) {
	env := newEnv(t, testenv.Open(t, testenv.SQLite), objectostest.Options{})
	alice := env.User(t, "alice", "writer")
	ok := alice.Post("/api/v1/data/note", map[string]any{"title": "t", "tags": []string{"x", "y"}})
	bad := alice.Post("/api/v1/data/note", map[string]any{"title": strings.Repeat("x", 21)})

	// Passing assertions report nothing.
	rec := run(t, func(t testing.TB) {
		ok.Status(t, 201).Code(t, "").Equal(t, "record.tags", []any{"x", "y"}).Equal(t, "record.tags.1", "y").
			Absent(t, "record.nope").Absent(t, "record.tags.2").Len(t, "record.tags", 2).Len(t, "", 3)
		bad.Status(t, 400).Code(t, "VALIDATION_FAILED").Equal(t, "fields.0.field", "title")
	})
	assert.Empty(t, rec.msgs)
	assert.False(t, rec.fatal)

	// A wrong status stops the test, with the body in the message.
	rec = run(t, func(t testing.TB) { bad.Status(t, 201); t.Errorf("not reached") })
	rec.wantFatal(t, "POST /api/v1/data/note answered 400, want 201", "VALIDATION_FAILED")
	assert.Len(t, rec.msgs, 1)

	// The others report and go on.
	rec = run(t, func(t testing.TB) {
		bad.Code(t, "UNIQUE_VIOLATION").Equal(t, "code", "X").Equal(t, "no.such.path", 1).Absent(t, "code").Len(t, "fields", 5)
	})
	assert.False(t, rec.fatal)
	require.Len(t, rec.msgs, 5)
	assert.Contains(t, rec.msgs[0], `error code "VALIDATION_FAILED", want "UNIQUE_VIOLATION"`)
	assert.Contains(t, rec.msgs[1], `code is "VALIDATION_FAILED", want "X"`)
	assert.Contains(t, rec.msgs[2], "the body has no no.such.path")
	assert.Contains(t, rec.msgs[3], "want it absent")
	assert.Contains(t, rec.msgs[4], "fields has 1 elements, want 5")

	// Reading values.
	assert.Equal(t, "VALIDATION_FAILED", bad.ErrorCode())
	assert.Equal(t, "", ok.ErrorCode())
	v, found := ok.Lookup("record.tags.0")
	assert.True(t, found)
	assert.Equal(t, "x", v)
	assert.Nil(t, ok.Value("record.tags.9"))
	assert.Equal(t, ok.String(), string(ok.Body))
	var into struct {
		ID     string
		Record struct{ Title string }
	}
	ok.Decode(t, &into)
	assert.Equal(t, "t", into.Record.Title)
	assert.Equal(t, ok.ID(), into.ID)
	run(t, func(t testing.TB) { ok.Decode(t, new(int)) }).wantFatal(t, "does not decode into *int")

	// The wrapped envelope and the auth routes' envelope have codes too.
	meta := alice.Get("/api/v1/meta/object/nope")
	assert.Equal(t, "OBJECT_NOT_FOUND", meta.ErrorCode())
	assert.Equal(t, meta.Value("error.code"), meta.ErrorCode())
	assert.Equal(t, "INVALID_EMAIL_OR_PASSWORD", env.Client().Post("/api/v1/auth/sign-in/email",
		map[string]any{"email": alice.Email, "password": "wrong-password"}).ErrorCode())
	// A body that is not JSON.
	r := &objectostest.Response{StatusCode: 200, Body: []byte("<html>")}
	assert.Nil(t, r.JSON())
	assert.Nil(t, r.Map())
	assert.Nil(t, r.Records())
}

func TestBodies(t *testing.T) {
	var got []string
	env := newEnv(t, testenv.Open(t, testenv.SQLite), objectostest.Options{
		Handler: func(s *objectos.Stack) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b := new(strings.Builder)
				if r.Body != nil {
					_, _ = fmt.Fprint(b, r.ContentLength)
				}
				got = append(got, r.Method+" "+r.Header.Get("Content-Type")+" "+b.String())
				s.ServeHTTP(w, r)
			})
		}})
	c := env.Client()
	c.Post("/x", nil)
	c.Post("/x", "")
	c.Post("/x", `{"a":1}`)
	c.Post("/x", []byte(`[]`))
	c.Post("/x", map[string]int{"a": 1})
	c.With("Content-Type", "text/plain").Post("/x", "hi")
	c.With("Content-Type", "").Post("/x", "hi")
	assert.Equal(t, []string{"POST  0", "POST  0", "POST application/json 7", "POST application/json 2",
		"POST application/json 7", "POST text/plain 2", "POST  2"}, got)
	assert.Panics(t, func() { c.Post("/x", func() {}) })
}

// recorder stands in for a test, to see what the kit reports.
type recorder struct {
	testing.TB
	mu    sync.Mutex
	msgs  []string
	fatal bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.mu.Lock()
	r.fatal = true
	r.mu.Unlock()
	runtime.Goexit()
}

// run runs fn with a recorder, in a goroutine of its own so that Fatalf
// can stop it.
func run(t *testing.T, fn func(t testing.TB)) *recorder {
	rec := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(rec)
	}()
	<-done
	return rec
}

func (r *recorder) wantFatal(t *testing.T, parts ...string) {
	t.Helper()
	require.True(t, r.fatal, "the test was stopped: %v", r.msgs)
	for _, p := range parts {
		assert.Contains(t, strings.Join(r.msgs, "\n"), p)
	}
}
