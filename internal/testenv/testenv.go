// Package testenv gives tests their own database: a private in-memory
// SQLite store always, and a PostgreSQL store in a schema of its own when
// OBJECTOS_TEST_POSTGRES holds a DSN.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for schema set-up

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

var (
	adminMu sync.Mutex
	admins  = map[string]*sql.DB{}
)

// adminFor returns a shared connection to the database of dsn.
func adminFor(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	adminMu.Lock()
	defer adminMu.Unlock()
	if db, ok := admins[dsn]; ok {
		return db
	}
	db, err := sql.Open("pgx", dsn)
	if err == nil {
		err = db.Ping()
	}
	if err != nil {
		t.Fatalf("PostgreSQL at %s is configured but unreachable: %v", EnvPostgres, err)
	}
	admins[dsn] = db
	return db
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
	admin := adminFor(t, dsn)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "ot_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE")
	})
	u, err := url.Parse(dsn)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		t.Fatalf("%s must be a postgres:// URL", EnvPostgres)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
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

// Clock is a settable clock for tests, safe for concurrent use. Pass its
// Now as the Clock of a Stack, a limiter or a plugin, and move it with
// Advance.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at 2026-07-28 12:00 UTC.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
