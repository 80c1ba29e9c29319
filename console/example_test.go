package console_test

import (
	"context"
	"fmt"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/apikey"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/console"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/security"
	"github.com/objectos-go/objectos/store"
)

func ExampleNew() {
	ctx := context.Background()
	artifact, _ := objectos.ParseArtifact([]byte(`{"objects": [{"name": "task", "fields": {"title": {"type": "text"}}}]}`))
	st, _ := store.Memory(ctx)
	defer st.Close()
	cons := console.New(console.Options{Title: "Tasks console"})
	stack, err := objectos.New(ctx, objectos.Options{Artifact: artifact, Store: st, Plugins: []objectos.Plugin{
		// the console is a client of these plugins' routes
		rest.New(rest.Options{}), auth.New(auth.Options{}), apikey.New(apikey.Options{}), security.New(), cons,
	}})
	if err != nil {
		panic(err)
	}
	defer stack.Close()
	fmt.Println("open", cons.URL(), "in a browser and sign in")
	// Output: open /api/v1/console/ in a browser and sign in
}
