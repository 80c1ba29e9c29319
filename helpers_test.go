package objectos_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

func newClock() *testenv.Clock { return testenv.NewClock() }

func newStack(t testing.TB, st objectos.Store, a *objectos.Artifact, mod ...func(*objectos.Options)) *objectos.Stack {
	t.Helper()
	opts := objectos.Options{Artifact: a, Store: st}
	for _, m := range mod {
		m(&opts)
	}
	s, err := objectos.New(context.Background(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func as(uid string) context.Context {
	return objectos.WithPrincipal(context.Background(), &objectos.Principal{UserID: uid, Method: objectos.AuthCustom})
}

func system() context.Context { return objectos.AsSystem(context.Background()) }

// requireCode asserts that err is an *objectos.Error with the code.
func requireCode(t testing.TB, err error, code objectos.Code) *objectos.Error {
	t.Helper()
	require.Error(t, err)
	e := objectos.AsError(err)
	require.Equal(t, code, e.Code, "message: %s; cause: %v", e.Message, e.Unwrap())
	return e
}

func fieldCodes(e *objectos.Error) map[string]string {
	out := map[string]string{}
	for _, f := range e.Fields {
		out[f.Field] = f.Code
	}
	return out
}

// crmArtifact is a small CRM used across the engine tests.
func crmArtifact() *objectos.Artifact {
	return &objectos.Artifact{
		Name:    "crm",
		Version: "1.2.3",
		Objects: []*objectos.Object{
			{
				Name: "account", Label: "Account",
				Fields: []*objectos.Field{
					{Name: "name", Type: objectos.TypeText, Required: true, MaxLength: 50, Searchable: true},
					{Name: "industry", Type: objectos.TypeSelect, Options: []objectos.Option{
						{Value: "tech"}, {Value: "finance"}, {Value: "retail", Default: true}}},
					{Name: "revenue", Type: objectos.TypeCurrency, Scale: objectos.Ptr(2), Min: objectos.Ptr(0.0)},
					{Name: "website", Type: objectos.TypeURL},
					{Name: "code", Type: objectos.TypeText, Unique: true},
					{Name: "rating", Type: objectos.TypeRating, DefaultValue: 3.0, Max: objectos.Ptr(5.0)},
					{Name: "status", Type: objectos.TypeText, Readonly: true, DefaultValue: "new"},
					{Name: "number", Type: objectos.TypeAutonumber, AutonumberFormat: "ACC-{0000}"},
					{Name: "parent", Type: objectos.TypeLookup, Reference: "account"},
				},
			},
			{
				Name: "contact",
				Fields: []*objectos.Field{
					{Name: "last_name", Type: objectos.TypeText, Required: true},
					{Name: "email", Type: objectos.TypeEmail},
					{Name: "account", Type: objectos.TypeLookup, Reference: "account", DeleteBehavior: objectos.DeleteSetNull},
				},
			},
			{
				Name: "deal",
				Fields: []*objectos.Field{
					{Name: "name", Type: objectos.TypeText, Required: true},
					{Name: "account", Type: objectos.TypeLookup, Reference: "account", Required: true, DeleteBehavior: objectos.DeleteRestrict},
				},
			},
			{
				Name: "note",
				Fields: []*objectos.Field{
					{Name: "body", Type: objectos.TypeTextarea},
					{Name: "account", Type: objectos.TypeMasterDetail, Reference: "account"},
				},
			},
			{
				Name: "note_tag",
				Fields: []*objectos.Field{
					{Name: "label", Type: objectos.TypeText},
					{Name: "note", Type: objectos.TypeLookup, Reference: "note", DeleteBehavior: objectos.DeleteCascade},
					{Name: "pinned_deal", Type: objectos.TypeLookup, Reference: "deal", DeleteBehavior: objectos.DeleteRestrict},
				},
			},
		},
	}
}

func mustCreate(t testing.TB, s *objectos.Stack, ctx context.Context, object string, rec objectos.Record) *objectos.Result {
	t.Helper()
	r, err := s.Create(ctx, object, rec)
	require.NoError(t, err)
	return r
}

func openStoreFile(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), path)
	require.NoError(t, err)
	return st
}

func fmtSscanf(s string, n *int) (int, error) { return fmt.Sscanf(s, "ACC-%d", n) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
