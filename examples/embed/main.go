// Command embed is objectos inside an application's own Go server: an
// artifact built in Go, the four standard plugins, the stack mounted under
// the application's router (net/http's ServeMux, or chi), a graceful
// shutdown and Close. README's "Embedding" section is this file.
//
//	OS_ADMIN_EMAIL=admin@example.com OS_ADMIN_PASSWORD=change-me-now go run ./examples/embed
//	go run ./examples/embed -router chi -db 'postgres://user@localhost/app'
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/apikey"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/security"
	"github.com/objectos-go/objectos/store"
)

// artifact is the application's data model, built in Go (ParseArtifact and
// LoadArtifact read the same from JSON or YAML).
var artifact = &objectos.Artifact{
	Name: "tasks",
	Objects: []*objectos.Object{{
		Name: "task", Label: "Task", PluralLabel: "Tasks", NameField: "title",
		// private: each user reads and writes their own tasks
		SharingModel: objectos.SharingPrivate,
		Fields: []*objectos.Field{
			{Name: "title", Type: objectos.TypeText, Required: true, MaxLength: 200, Searchable: true},
			{Name: "status", Type: objectos.TypeSelect, DefaultValue: "open", Options: []objectos.Option{
				{Value: "open", Label: "Open"}, {Value: "done", Label: "Done"}}},
			{Name: "due", Type: objectos.TypeDate},
		},
	}},
	PermissionSets: []*objectos.PermissionSet{{
		// isDefault: every signed-in user holds it
		Name: "task_user", Label: "Task user", IsDefault: true,
		Objects: map[string]objectos.ObjectPermission{
			"task": {AllowRead: true, AllowCreate: true, AllowEdit: true, AllowDelete: true},
		},
	}},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("embed", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8081", "listen address")
	db := fs.String("db", ":memory:", "an SQLite file, :memory:, or a postgres:// URL")
	router := fs.String("router", "mux", "the application's router: mux (net/http) or chi")
	if err := fs.Parse(args); err != nil {
		return err
	}

	// The store: the caller owns it and closes it after the stack.
	st, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()

	// The stack. Plugins may come in any order; the routes are the same.
	// auth (users, sessions, sign-in) provides sys_user, which apikey's
	// keys belong to; security enforces the permission sets on every call
	// (New refuses users without it). Authenticators are asked in the
	// order given: a request's API key, else its session.
	stack, err := objectos.New(ctx, objectos.Options{
		Artifact: artifact,
		Store:    st,
		Plugins: []objectos.Plugin{
			rest.New(rest.Options{}),
			apikey.New(apikey.Options{}),
			auth.New(auth.Options{}.WithEnv(getenv)), // OS_ADMIN_EMAIL, OS_ADMIN_PASSWORD, …
			security.New(),
		},
		Secret: []byte(getenv("OS_AUTH_SECRET")), // signs list cursors: the same on every replica
	})
	if err != nil {
		return err // an invalid artifact, a missing plugin, a schema change it will not apply
	}
	defer stack.Close() // stops the plugins' schedules (session purge, …)

	// The application's own routes, and objectos under /api/v1. Mount the
	// stack as it is: it serves its BasePath (/api/v1) and needs the whole
	// path (not http.StripPrefix).
	var handler http.Handler
	switch *router {
	case "mux":
		mux := http.NewServeMux()
		mux.HandleFunc("GET /{$}", home)
		mux.Handle("/api/v1/", stack)
		mux.Handle("/.well-known/objectstack", rest.WellKnownHandler(stack))
		handler = mux
	case "chi":
		r := chi.NewRouter()
		r.Get("/", home)
		r.Mount("/api/v1", stack) // chi routes on its own copy of the path: the stack sees the whole one
		r.Handle("/.well-known/objectstack", rest.WellKnownHandler(stack))
		handler = r
	default:
		return fmt.Errorf("-router %q: want mux or chi", *router)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "embed example on http://%s (objectos under /api/v1, router %s)\n", ln.Addr(), *router)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Graceful shutdown: the stack answers new requests 503 (Retry-After)
	// and waits for those in flight, then the server stops accepting.
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := stack.Shutdown(sctx); err != nil {
		return err
	}
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func home(w http.ResponseWriter, _ *http.Request) {
	fmt.Fprintln(w, "the application's own page; its API is under /api/v1")
}
