package objectos_test

import (
	"context"
	"errors"
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

func ExampleNew() {
	ctx := context.Background()
	artifact := &objectos.Artifact{Objects: []*objectos.Object{{
		Name:   "note",
		Fields: []*objectos.Field{{Name: "body", Type: objectos.TypeTextarea, Required: true}},
	}}}
	st, _ := store.Memory(ctx) // the in-memory SQLite store, for tests
	defer st.Close()
	stack, err := objectos.New(ctx, objectos.Options{Artifact: artifact, Store: st, BasePath: "/notes/api"})
	if err != nil {
		panic(err)
	}
	defer stack.Close()
	fmt.Println(stack.BasePath(), stack.Object("note").Field("created_at").Type)
	// Output: /notes/api datetime
}

func ExampleParseArtifact() {
	_, err := objectos.ParseArtifact([]byte(`
name: crm
objects:
  - name: crm_deal
    fields:
      amount: {type: currency, min: 0}
      stage: {type: selcet, options: [{value: open}]}
      owner: {type: lookup, reference: crm_user}
`))
	// every problem at once, each with its path
	for _, p := range err.(*objectos.ArtifactError).Problems {
		fmt.Println(p.Path+":", p.Message)
	}
	// Output:
	// objects.crm_deal.fields.stage.type: unknown field type "selcet"; did you mean "select"?
	// objects.crm_deal.fields.owner.reference: references undeclared object "crm_user"
}

// Errors carry a stable code and map to one HTTP status each; every surface
// (REST, MCP, Go) reports the same.
func ExampleAsError() {
	for _, code := range []objectos.Code{objectos.CodeValidationFailed, objectos.CodeUnauthenticated,
		objectos.CodePermissionDenied, objectos.CodeRecordNotFound, objectos.CodeUniqueViolation,
		objectos.CodeConcurrentUpdate, objectos.CodeRateLimitExceeded, objectos.CodeServiceUnavailable} {
		e := objectos.AsError(objectos.NewError(code, "…"))
		fmt.Println(e.HTTPStatus(), e.Code)
	}
	// a failure that is not an *Error is a 500 that says nothing of its cause
	e := objectos.AsError(errors.New("dial tcp 10.0.0.5:5432: connection refused"))
	fmt.Println(e.HTTPStatus(), e.Code, e.Message)
	// Output:
	// 400 VALIDATION_FAILED
	// 401 UNAUTHENTICATED
	// 403 PERMISSION_DENIED
	// 404 RECORD_NOT_FOUND
	// 409 UNIQUE_VIOLATION
	// 409 CONCURRENT_UPDATE
	// 429 RATE_LIMIT_EXCEEDED
	// 503 SERVICE_UNAVAILABLE
	// 500 INTERNAL_ERROR An internal error occurred.
}
