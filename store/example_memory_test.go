package store_test

import (
	"context"
	"fmt"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/store"
)

// Memory is SQLite in memory: the store of unit tests, gone when closed.
func ExampleMemory() {
	ctx := context.Background()
	st, err := store.Memory(ctx)
	if err != nil {
		panic(err)
	}
	defer st.Close()
	artifact, _ := objectos.ParseArtifact([]byte(`{"objects": [{"name": "task", "fields": {"title": {"type": "text"}}}]}`))
	stack, err := objectos.New(ctx, objectos.Options{Artifact: artifact, Store: st})
	if err != nil {
		panic(err)
	}
	defer stack.Close()
	_, err = stack.Create(objectos.AsSystem(ctx), "task", objectos.Record{"title": "Test me"})
	fmt.Println(st.Dialect(), err)
	// Output: sqlite <nil>
}
