// Package pgschema gives a test a PostgreSQL schema of its own: created with
// a random name in the database of a DSN, reached through a DSN whose
// search_path points at it, and dropped afterwards. internal/testenv and
// objectostest both place their PostgreSQL stores this way.
package pgschema

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

var (
	mu     sync.Mutex
	admins = map[string]*sql.DB{} // one pool per database, shared by every test of the process
)

// admin returns the shared connection pool to the database of dsn.
func admin(ctx context.Context, dsn string) (*sql.DB, error) {
	mu.Lock()
	defer mu.Unlock()
	if db, ok := admins[dsn]; ok {
		return db, nil
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	db.SetMaxIdleConns(2)
	admins[dsn] = db
	return db, nil
}

// Create makes a schema with a random name in the database of dsn (a
// postgres:// URL) and returns a DSN whose search_path points at it, and a
// func that drops the schema with everything in it. Close the stores on the
// schema before dropping it.
func Create(ctx context.Context, dsn string) (string, func(), error) {
	u, err := url.Parse(dsn)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		return "", nil, errors.New("pgschema: the DSN must be a postgres:// URL")
	}
	db, err := admin(ctx, dsn)
	if err != nil {
		return "", nil, fmt.Errorf("pgschema: PostgreSQL is unreachable: %w", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "ot_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("pgschema: create schema: %w", err)
	}
	drop := func() { _, _ = db.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE") }
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}
