package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

var _ objectos.Store = (*store.Store)(nil)

func refArtifact() *objectos.Artifact {
	return &objectos.Artifact{Objects: []*objectos.Object{
		{Name: "parent", Fields: []*objectos.Field{{Name: "name", Type: objectos.TypeText}}},
		{Name: "child", Fields: []*objectos.Field{{Name: "parent", Type: objectos.TypeLookup, Reference: "parent"}}},
	}}
}

func TestMemoryStoresArePrivate(t *testing.T) {
	ctx := context.Background()
	a, err := store.Memory(ctx)
	require.NoError(t, err)
	defer a.Close()
	b, err := store.Memory(ctx)
	require.NoError(t, err)
	defer b.Close()
	sa, err := objectos.New(ctx, objectos.Options{Artifact: refArtifact(), Store: a})
	require.NoError(t, err)
	sb, err := objectos.New(ctx, objectos.Options{Artifact: refArtifact(), Store: b})
	require.NoError(t, err)
	sys := objectos.AsSystem(ctx)
	_, err = sa.Create(sys, "parent", objectos.Record{"name": "only in a"})
	require.NoError(t, err)
	n, err := sb.Count(sys, "parent", objectos.Query{})
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Equal(t, "sqlite", a.Dialect())
}

// TestDriverErrorsAreTranslated goes around the engine (which checks
// references itself) to hit the database's own constraints.
func TestDriverErrorsAreTranslated(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s, err := objectos.New(ctx, objectos.Options{Artifact: refArtifact(), Store: st})
		require.NoError(t, err)
		child := s.Object("child")
		err = st.Insert(ctx, child, objectos.Record{"id": "c1", "parent": "nope"})
		require.True(t, objectos.IsCode(err, objectos.CodeValidationFailed), "%v", err)
		e := objectos.AsError(err)
		if st.Dialect() == "pg" {
			require.Len(t, e.Fields, 1)
			assert.Equal(t, "parent", e.Fields[0].Field)
			assert.Equal(t, objectos.FieldReferenceNotFound, e.Fields[0].Code)
		}
		parent := s.Object("parent")
		require.NoError(t, st.Insert(ctx, parent, objectos.Record{"id": "p1"}))
		err = st.Insert(ctx, parent, objectos.Record{"id": "p1"})
		e = objectos.AsError(err)
		assert.Equal(t, objectos.CodeUniqueViolation, e.Code)
		assert.Equal(t, "id", e.Details["field"])

		require.NoError(t, st.Close())
		err = st.Ping(ctx)
		assert.True(t, objectos.IsCode(err, objectos.CodeServiceUnavailable), "%v", err)
	})
}

func TestOpenDispatchesOnTheDSN(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir()+"/x.db")
	require.NoError(t, err)
	assert.Equal(t, "sqlite", st.Dialect())
	st.Close()
	_, err = store.Open(ctx, "postgres://nobody:s3cret@127.0.0.1:1/none?connect_timeout=1")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret")
	if dsn := testenv.PostgresDSN(t); dsn != "" {
		st, err := store.Open(ctx, dsn)
		require.NoError(t, err)
		assert.Equal(t, "pg", st.Dialect())
		st.Close()
	}
}

// TestTooManyValuesForTheDatabase goes around the engine (which caps the
// values of a query at Options.MaxQueryValues) to bind more than the
// database takes in one statement: INVALID_FILTER, not the driver's error.
func TestTooManyValuesForTheDatabase(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s, err := objectos.New(ctx, objectos.Options{Artifact: refArtifact(), Store: st})
		require.NoError(t, err)
		parent := s.Object("parent")
		var ors []*objectos.Filter
		for i := range 70 {
			vals := make([]any, 1000)
			for j := range vals {
				vals[j] = fmt.Sprintf("p%d_%d", i, j)
			}
			ors = append(ors, objectos.Where("id", objectos.OpIn, vals))
		}
		_, err = st.Find(ctx, parent, &objectos.Select{Where: objectos.Or(ors...)})
		require.True(t, objectos.IsCode(err, objectos.CodeInvalidFilter), "%v", err)
		_, err = st.Count(ctx, parent, objectos.Or(ors...))
		require.True(t, objectos.IsCode(err, objectos.CodeInvalidFilter), "%v", err)
		_, err = st.Delete(ctx, parent, objectos.Or(ors...))
		require.True(t, objectos.IsCode(err, objectos.CodeInvalidFilter), "%v", err)
	})
}
