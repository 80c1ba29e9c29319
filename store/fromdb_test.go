package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
	"github.com/objectos-go/objectos/storetest"
)

// appDB opens a database as an application would, with the driver the
// store uses for the kind: a private in-memory SQLite database on one
// connection, or a PostgreSQL schema of its own. The test closes it.
func appDB(t *testing.T, k testenv.Kind) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if k == testenv.SQLite {
		var b [8]byte
		_, _ = rand.Read(b[:])
		db, err = sql.Open("sqlite", "file:app-"+hex.EncodeToString(b[:])+"?mode=memory&_pragma=foreign_keys(1)&_txlock=immediate")
		require.NoError(t, err)
		db.SetMaxOpenConns(1) // one connection holds an in-memory database
	} else {
		db, err = sql.Open("pgx", testenv.Schema(t))
		require.NoError(t, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func dialectOf(k testenv.Kind) string {
	if k == testenv.SQLite {
		return "sqlite"
	}
	return "postgres"
}

// fromDB is a store on the application's *sql.DB, closed when the test ends
// (before the database, which the test owns).
func fromDB(t *testing.T, k testenv.Kind) *store.Store {
	t.Helper()
	st, err := store.FromDB(context.Background(), appDB(t, k), dialectOf(k))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// fromBun is a store on the application's *bun.DB.
func fromBun(t *testing.T, k testenv.Kind) *store.Store {
	t.Helper()
	db := appDB(t, k)
	var bdb *bun.DB
	if k == testenv.SQLite {
		bdb = bun.NewDB(db, sqlitedialect.New())
	} else {
		bdb = bun.NewDB(db, pgdialect.New())
	}
	st, err := store.FromBun(context.Background(), bdb)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// TestConformanceOfTheApplicationsDatabase runs the Store conformance
// suite on stores made from the application's *sql.DB and *bun.DB.
func TestConformanceOfTheApplicationsDatabase(t *testing.T) {
	for _, k := range testenv.Kinds(t) {
		t.Run("FromDB/"+string(k), func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) objectos.Store { return fromDB(t, k) })
		})
		t.Run("FromBun/"+string(k), func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) objectos.Store { return fromBun(t, k) })
		})
	}
}

// TestFromDBLeavesTheDatabaseOpen: the application owns its database, so
// closing the store leaves it usable.
func TestFromDBLeavesTheDatabaseOpen(t *testing.T) {
	ctx := context.Background()
	for _, k := range testenv.Kinds(t) {
		t.Run(string(k), func(t *testing.T) {
			db := appDB(t, k)
			st, err := store.FromDB(ctx, db, dialectOf(k))
			require.NoError(t, err)
			assert.Same(t, db, st.DB().DB, "the store runs on the application's *sql.DB")
			_, err = objectos.New(ctx, objectos.Options{Artifact: refArtifact(), Store: st})
			require.NoError(t, err)
			require.NoError(t, st.Close())
			require.NoError(t, db.PingContext(ctx), "the database outlives the store")
			var n int
			require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM parent").Scan(&n))

			bdb := bun.NewDB(db, st.DB().Dialect())
			st, err = store.FromBun(ctx, bdb)
			require.NoError(t, err)
			assert.Same(t, bdb, st.DB())
			require.NoError(t, st.Close())
			require.NoError(t, db.PingContext(ctx))
		})
	}
}

func TestFromDBRefusesWhatItCannotRunOn(t *testing.T) {
	ctx := context.Background()
	db := appDB(t, testenv.SQLite)
	_, err := store.FromDB(ctx, db, "mysql")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"mysql"`)

	// Foreign keys are per connection in SQLite, and off unless the DSN
	// turns them on; the store relies on them.
	nofk, err := sql.Open("sqlite", "file:nofk?mode=memory")
	require.NoError(t, err)
	defer nofk.Close()
	_, err = store.FromDB(ctx, nofk, "sqlite")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "_pragma=foreign_keys(1)")

	closed := appDB(t, testenv.SQLite)
	require.NoError(t, closed.Close())
	_, err = store.FromDB(ctx, closed, "sqlite")
	require.Error(t, err)
	assert.True(t, objectos.IsCode(err, objectos.CodeServiceUnavailable), "%v", err)
}
