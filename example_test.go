package objectos_test

import (
	"context"
	"fmt"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/store"
)

func Example() {
	ctx := context.Background()
	artifact, err := objectos.ParseArtifact([]byte(`{
	  "objects": [{
	    "name": "crm_account",
	    "fields": {
	      "name":     {"type": "text", "required": true},
	      "industry": {"type": "select", "options": [{"value": "finance"}, {"value": "retail"}]}
	    }
	  }]
	}`))
	if err != nil {
		panic(err)
	}
	st, err := store.Memory(ctx)
	if err != nil {
		panic(err)
	}
	defer st.Close()
	stack, err := objectos.New(ctx, objectos.Options{Artifact: artifact, Store: st})
	if err != nil {
		panic(err)
	}

	// Every call runs as someone: here a principal from your own auth.
	ctx = objectos.WithPrincipal(ctx, &objectos.Principal{UserID: "u1"})
	for _, name := range []string{"Acme", "Globex"} {
		if _, err := stack.Create(ctx, "crm_account", objectos.Record{"name": name, "industry": "finance"}); err != nil {
			panic(err)
		}
	}
	filter, _ := objectos.ParseFilter([]byte(`["name", "starts_with", "G"]`))
	page, err := stack.List(ctx, "crm_account", objectos.Query{Filter: filter, Fields: []string{"name", "industry"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(page.Total, page.Records[0]["name"], page.Records[0]["industry"])

	_, err = stack.Create(ctx, "crm_account", objectos.Record{"industry": "mining"})
	e := objectos.AsError(err)
	fmt.Println(e.Code, e.HTTPStatus(), e.Fields[0].Field, e.Fields[0].Code, e.Fields[1].Field, e.Fields[1].Code)
	// Output:
	// 1 Globex finance
	// VALIDATION_FAILED 400 industry invalid_option name required
}
