package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

// reopenable returns a function that opens the same database again, so a
// test can restart a stack on it.
func reopenable(t *testing.T, k testenv.Kind) func() *store.Store {
	ctx := context.Background()
	if k == testenv.SQLite {
		path := filepath.Join(t.TempDir(), "app.db")
		return func() *store.Store {
			st, err := store.OpenSQLite(ctx, path)
			require.NoError(t, err)
			return st
		}
	}
	dsn := testenv.Schema(t)
	return func() *store.Store {
		st, err := store.OpenPostgres(ctx, dsn)
		require.NoError(t, err)
		return st
	}
}

func start(t *testing.T, st *store.Store, a *objectos.Artifact) (*objectos.Stack, error) {
	return objectos.New(context.Background(), objectos.Options{Artifact: a, Store: st, SecretKeys: testSecretKeys})
}

// testSecretKeys encrypt the secret fields of the artifacts of these tests.
var testSecretKeys = []objectos.SecretKey{{ID: "test", Key: make([]byte, 32)}}

func v1() *objectos.Artifact {
	return &objectos.Artifact{Objects: []*objectos.Object{{
		Name: "account",
		Fields: []*objectos.Field{
			{Name: "name", Type: objectos.TypeText, Required: true},
			{Name: "amount", Type: objectos.TypeNumber},
		},
	}}}
}

func TestSchemaSync(t *testing.T) {
	for _, k := range testenv.Kinds(t) {
		t.Run(string(k), func(t *testing.T) {
			open := reopenable(t, k)
			ctx := objectos.AsSystem(context.Background())

			st := open()
			s, err := start(t, st, v1())
			require.NoError(t, err)
			r, err := s.Create(ctx, "account", objectos.Record{"name": "Acme", "amount": 5.0})
			require.NoError(t, err)
			require.NoError(t, st.Close())

			// Restart with a new object, a new optional field, a new
			// required field with a default and a new unique index.
			a := v1()
			a.Objects[0].Fields = append(a.Objects[0].Fields,
				&objectos.Field{Name: "website", Type: objectos.TypeURL},
				&objectos.Field{Name: "tier", Type: objectos.TypeText, Required: true, DefaultValue: "basic"},
				&objectos.Field{Name: "code", Type: objectos.TypeText, Unique: true},
			)
			a.Objects = append(a.Objects, &objectos.Object{Name: "contact", Fields: []*objectos.Field{
				{Name: "account", Type: objectos.TypeLookup, Reference: "account"},
			}})
			st = open()
			s, err = start(t, st, a)
			require.NoError(t, err)
			got, err := s.Get(ctx, "account", r.ID, objectos.GetOptions{})
			require.NoError(t, err)
			assert.Equal(t, "Acme", got.Record["name"])
			assert.Equal(t, 5.0, got.Record["amount"])
			assert.Nil(t, got.Record["website"])
			_, err = s.Create(ctx, "contact", objectos.Record{"account": r.ID})
			require.NoError(t, err)
			_, err = s.Create(ctx, "account", objectos.Record{"name": "B", "code": "X"})
			require.NoError(t, err)
			_, err = s.Create(ctx, "account", objectos.Record{"name": "C", "code": "X"})
			assert.True(t, objectos.IsCode(err, objectos.CodeUniqueViolation), "%v", err)

			// Starting again with the same artifact is a no-op.
			require.NoError(t, st.Close())
			st = open()
			s, err = start(t, st, a)
			require.NoError(t, err)

			// A new required field without a default on a table with rows.
			bad := v1()
			bad.Objects[0].Fields = append(bad.Objects[0].Fields, &objectos.Field{Name: "region", Type: objectos.TypeText, Required: true})
			_, err = start(t, st, bad)
			var se *store.SchemaError
			require.True(t, errors.As(err, &se), "%v", err)
			assert.Equal(t, "account", se.Object)
			assert.Equal(t, "region", se.Field)
			assert.Contains(t, err.Error(), "objectos: schema: account.region: a new required field without a default")
			assert.Contains(t, err.Error(), "give the field a defaultValue")

			// A type change.
			bad = v1()
			bad.Objects[0].Fields[1].Type = objectos.TypeText
			_, err = start(t, st, bad)
			require.True(t, errors.As(err, &se), "%v", err)
			assert.Equal(t, "amount", se.Field)
			assert.Contains(t, err.Error(), "the column holds number values and the field is now declared as text")
			assert.Contains(t, err.Error(), "convert the column with a migration plan")

			// A unique index over duplicate values.
			bad = v1()
			_, err = s.Create(ctx, "account", objectos.Record{"name": "Acme"})
			require.NoError(t, err)
			bad.Objects[0].Fields[0].Unique = true
			_, err = start(t, st, bad)
			require.True(t, errors.As(err, &se), "%v", err)
			assert.Contains(t, err.Error(), "duplicate values")

			// A refused change leaves the schema and the data as they were.
			s, err = start(t, st, a)
			require.NoError(t, err)
			n, err := s.Count(ctx, "account", objectos.Query{})
			require.NoError(t, err)
			assert.EqualValues(t, 3, n)
			require.NoError(t, st.Close())
		})
	}
}

func TestSchemaSyncOnEmptyTableAcceptsRequiredField(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		_, err := start(t, st, v1())
		require.NoError(t, err)
		a := v1()
		a.Objects[0].Fields = append(a.Objects[0].Fields, &objectos.Field{Name: "region", Type: objectos.TypeText, Required: true})
		_, err = start(t, st, a)
		require.NoError(t, err)
	})
}
