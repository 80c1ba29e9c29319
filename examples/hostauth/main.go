// Command hostauth shows objectos inside an existing Go server: the host keeps
// its own routes and its own identity system (here a toy header check,
// standing in for whatever the application already has), and mounts the
// stack under /api/v1 on its mux.
//
//	go run ./examples/hostauth
//	curl -H 'X-User: alice' -H 'Content-Type: application/json' \
//	  -d '{"title":"Buy milk"}' http://127.0.0.1:8081/api/v1/data/todo
//	curl -H 'X-User: alice' http://127.0.0.1:8081/api/v1/data/todo
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/security"
	"github.com/objectos-go/objectos/store"
)

// The artifact, built in Go.
var artifact = &objectos.Artifact{
	Name: "todos",
	Objects: []*objectos.Object{{
		Name:  "todo",
		Label: "To-do",
		Fields: []*objectos.Field{
			{Name: "title", Type: objectos.TypeText, Required: true, MaxLength: 200, Searchable: true},
			{Name: "done", Type: objectos.TypeBoolean, DefaultValue: false},
			{Name: "due", Type: objectos.TypeDate},
		},
	}},
	// Everyone may manage their own to-dos (private sharing: own records).
	PermissionSets: []*objectos.PermissionSet{{
		Name: "todo_user", IsDefault: true,
		Objects: map[string]objectos.ObjectPermission{
			"todo": {AllowRead: true, AllowCreate: true, AllowEdit: true, AllowDelete: true},
		},
	}},
}

// hostAuth adapts the host's identity system. Never trust a bare header in
// production: this stands in for your session middleware.
var hostAuth = objectos.AuthFunc(func(r *http.Request) (*objectos.Principal, error) {
	user := r.Header.Get("X-User")
	if user == "" {
		return nil, objectos.ErrNoCredentials
	}
	return &objectos.Principal{UserID: user, Method: objectos.AuthCustom}, nil
})

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	db := flag.String("db", ":memory:", "an SQLite file, :memory:, or a postgres:// URL")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	st, err := store.Open(ctx, *db)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	stack, err := objectos.New(ctx, objectos.Options{
		Artifact: artifact,
		Store:    st,
		Plugins:  []objectos.Plugin{rest.New(rest.Options{}), hostAuth, security.New()},
	})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "the host application's own page")
	})
	mux.Handle("/api/v1/", stack)

	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	fmt.Printf("hostauth example on http://%s (objectos under /api/v1)\n", *addr)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
