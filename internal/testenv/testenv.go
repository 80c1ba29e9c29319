// Package testenv gives tests their own database: a private in-memory
// SQLite store always, and a PostgreSQL store in a schema of its own when
// OBJECTOS_TEST_POSTGRES holds a DSN.
package testenv

import (
	"context"
	"os"
	"testing"

	"github.com/objectos-go/objectos/internal/pgschema"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

// EnvPostgres names the environment variable holding the PostgreSQL DSN.
const EnvPostgres = "OBJECTOS_TEST_POSTGRES"

// EnvRequirePostgres, when "1", turns a missing PostgreSQL DSN into a test
// failure instead of a skip. CI sets it.
const EnvRequirePostgres = "OBJECTOS_REQUIRE_POSTGRES"

// Kind names a store kind in subtest names.
type Kind string

// Store kinds.
const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// Kinds returns the store kinds available to this run: SQLite always,
// PostgreSQL when configured.
func Kinds(t testing.TB) []Kind {
	t.Helper()
	if PostgresDSN(t) == "" {
		return []Kind{SQLite}
	}
	return []Kind{SQLite, Postgres}
}

// PostgresDSN returns the configured DSN, or "" (failing the test when
// PostgreSQL is required).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" && os.Getenv(EnvRequirePostgres) == "1" {
		t.Fatalf("%s is required (%s=1) but not set", EnvPostgres, EnvRequirePostgres)
	}
	return dsn
}

// Each runs fn as a subtest once per available store kind, each with a
// fresh, private store.
func Each(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Helper()
	for _, k := range Kinds(t) {
		t.Run(string(k), func(t *testing.T) {
			fn(t, Open(t, k))
		})
	}
}

// Open returns a fresh store of the kind, closed (and, on PostgreSQL, its
// schema dropped) when the test ends.
func Open(t testing.TB, k Kind) *store.Store {
	t.Helper()
	if k == SQLite {
		st, err := store.Memory(context.Background())
		if err != nil {
			t.Fatalf("memory store: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	dsn := PostgresDSN(t)
	if dsn == "" {
		t.Skipf("%s not set", EnvPostgres)
	}
	return OpenIn(t, dsn)
}

// Schema creates a PostgreSQL schema of its own for the test and returns a
// DSN whose search_path points at it. The schema is dropped at cleanup.
func Schema(t testing.TB) string {
	t.Helper()
	dsn := PostgresDSN(t)
	if dsn == "" {
		t.Skipf("%s not set", EnvPostgres)
	}
	return SchemaIn(t, dsn)
}

// SchemaIn is Schema in the database of dsn.
func SchemaIn(t testing.TB, dsn string) string {
	t.Helper()
	schemaDSN, drop, err := pgschema.Create(context.Background(), dsn)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	t.Cleanup(drop)
	return schemaDSN
}

// OpenIn returns a fresh PostgreSQL store in a schema of its own in the
// database of dsn, closed and dropped when the test ends.
func OpenIn(t testing.TB, dsn string) *store.Store {
	t.Helper()
	st, err := store.OpenPostgres(context.Background(), SchemaIn(t, dsn))
	if err != nil {
		t.Fatalf("postgres store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Clock is objectostest's settable clock: pass its Now as the Clock of a
// Stack, a limiter or a plugin, and move it with Advance.
type Clock = objectostest.Clock

// NewClock returns a clock at 2026-07-28 12:00 UTC.
func NewClock() *Clock { return objectostest.NewClock() }
