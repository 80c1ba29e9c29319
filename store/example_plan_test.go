package store_test

import (
	"context"
	"fmt"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/store"
)

// A date field becomes a datetime: New refuses the change, a plan makes it.
func ExampleStore_Plan() {
	ctx := context.Background()
	st, _ := store.Memory(ctx)
	defer st.Close()
	artifact := func(due objectos.FieldType) *objectos.Artifact {
		return &objectos.Artifact{Objects: []*objectos.Object{{Name: "deal", Fields: []*objectos.Field{{Name: "due", Type: due}}}}}
	}
	s, _ := objectos.New(ctx, objectos.Options{Artifact: artifact(objectos.TypeDate), Store: st})
	r, _ := s.Create(objectos.AsSystem(ctx), "deal", objectos.Record{"due": "2024-03-15"})

	_, err := objectos.New(ctx, objectos.Options{Artifact: artifact(objectos.TypeDatetime), Store: st})
	fmt.Println(err != nil)

	objects, _ := objectos.ResolveObjects(artifact(objectos.TypeDatetime), nil)
	plan, _ := st.Plan(ctx, objects)
	for _, c := range plan.Changes {
		fmt.Println(c.Effect)
	}
	if err := plan.Apply(ctx); err != nil {
		fmt.Println(err)
	}

	s, _ = objectos.New(ctx, objectos.Options{Artifact: artifact(objectos.TypeDatetime), Store: st})
	got, _ := s.Get(objectos.AsSystem(ctx), "deal", r.ID, objectos.GetOptions{})
	fmt.Println(got.Record["due"])
	// Output:
	// true
	// converts deal.due from date to datetime: every value becomes midnight UTC of its day (1 value)
	// 2024-03-15T00:00:00.000Z
}
