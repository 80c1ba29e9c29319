package security_test

import (
	"context"
	"fmt"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/security"
	"github.com/objectos-go/objectos/store"
)

func ExampleNew() {
	ctx := context.Background()
	artifact, _ := objectos.ParseArtifact([]byte(`
objects:
  - name: deal
    sharingModel: private          # users read and write their own deals
    fields:
      name: {type: text}
      margin: {type: percent}
permissionSets:
  - name: sales
    objects:
      deal: {allowRead: true, allowCreate: true, allowEdit: true}
    fields:
      deal.margin: {readable: false, editable: false}
`))
	st, _ := store.Memory(ctx)
	defer st.Close()
	stack, err := objectos.New(ctx, objectos.Options{Artifact: artifact, Store: st,
		Plugins: []objectos.Plugin{security.New()}})
	if err != nil {
		panic(err)
	}
	defer stack.Close()

	nobody := objectos.WithPrincipal(ctx, &objectos.Principal{UserID: "u0"})
	_, err = stack.List(nobody, "deal", objectos.Query{})
	fmt.Println(objectos.AsError(err).Code) // no set grants it: fail closed

	sam := objectos.WithPrincipal(ctx, &objectos.Principal{UserID: "sam", PermissionSets: []string{"sales"}})
	sue := objectos.WithPrincipal(ctx, &objectos.Principal{UserID: "sue", PermissionSets: []string{"sales"}})
	_, err = stack.Create(sam, "deal", objectos.Record{"name": "Big one", "margin": 12})
	fmt.Println(objectos.AsError(err).Code) // margin is not writable through sales
	res, _ := stack.Create(sam, "deal", objectos.Record{"name": "Big one"})
	_, err = stack.Get(sue, "deal", res.ID, objectos.GetOptions{})
	fmt.Println(objectos.AsError(err).Code) // another user's private record does not exist for her
	got, _ := stack.Get(sam, "deal", res.ID, objectos.GetOptions{})
	_, hasMargin := got.Record["margin"]
	fmt.Println(got.Record["name"], hasMargin)
	// Output:
	// PERMISSION_DENIED
	// FIELD_NOT_ACCESSIBLE
	// RECORD_NOT_FOUND
	// Big one false
}
