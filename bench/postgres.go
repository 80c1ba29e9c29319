package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// withSearchPath is dsn (a postgres:// URL) with its search_path set.
func withSearchPath(dsn, schema string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("-pg must be a postgres:// URL")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// runPostgres measures objectos and the hand-written server on one fresh
// schema, workload by workload, and drops the schema at the end.
func (h *harness) runPostgres(ctx context.Context) (err error) {
	conn, err := pgx.Connect(ctx, h.pgURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&h.machine.postgres); err != nil {
		return err
	}
	h.machine.postgres, _, _ = strings.Cut(h.machine.postgres, " ")

	schema := fmt.Sprintf("objectos_bench_%d_%s", os.Getpid(), randomHex(3))
	ident := pgx.Identifier{schema}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
		return err
	}
	defer func() {
		// Also after Ctrl-C: the run's context is done by then.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, derr := conn.Exec(dctx, "DROP SCHEMA "+ident+" CASCADE"); derr != nil {
			err = errors.Join(err, fmt.Errorf("drop schema %s: %w", schema, derr))
		}
	}()
	if _, err := conn.Exec(ctx, "SET search_path TO "+ident); err != nil {
		return err
	}
	dsn, err := withSearchPath(h.pgURL, schema)
	if err != nil {
		return err
	}
	fmt.Fprintf(h.out, "postgres: schema %s\n", schema)

	addr, err := freeAddr()
	if err != nil {
		return err
	}
	email, password := "bench-admin@example.com", randomHex(16)
	crm, err := startServer(ctx, "crm-postgres", h.crm, addr, h.dir, []string{"-addr", addr, "-db", dsn}, adminEnv(dsn, email, password))
	if err != nil {
		return err
	}
	defer crm.stop()
	key, owner, err := mintKey(ctx, crm.base, email, password)
	if err != nil {
		return err
	}

	rows, err := conn.Query(ctx, `SELECT column_name, is_nullable = 'NO' FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = 'crm_account' ORDER BY ordinal_position`, schema)
	if err != nil {
		return err
	}
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (column, error) {
		var c column
		return c, r.Scan(&c.name, &c.notNull)
	})
	if err != nil {
		return err
	}
	seed, err := seedSQL(postgresDialect, cols, h.industries)
	if err != nil {
		return err
	}
	start := time.Now()
	if _, err := conn.Exec(ctx, seed, owner, h.rows); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	hwKey := "hw_" + randomHex(32)
	sum := sha256.Sum256([]byte(hwKey))
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{sql: `CREATE TABLE hw_api_key (key_hash text PRIMARY KEY, user_id text NOT NULL, revoked boolean NOT NULL DEFAULT false, expires_at timestamptz)`},
		{sql: `INSERT INTO hw_api_key (key_hash, user_id, expires_at) VALUES ($1, $2, now() + interval '1 day')`,
			args: []any{hex.EncodeToString(sum[:]), owner}},
		// Fresh rows are not yet all-visible: without the VACUUM the first
		// autovacuum would change the plans' cost in the middle of a run.
		{sql: `VACUUM (ANALYZE) crm_account, hw_api_key, sys_api_key`},
	} {
		if _, err := conn.Exec(ctx, q.sql, q.args...); err != nil {
			return err
		}
	}
	fmt.Fprintf(h.out, "postgres: seeded %s accounts in %s\n", thousands(h.rows), time.Since(start).Round(time.Millisecond))

	hwAddr, err := freeAddr()
	if err != nil {
		return err
	}
	hw, err := startServer(ctx, "handwritten", h.handwritten, hwAddr, h.dir, []string{"-addr", hwAddr, "-db", dsn}, nil)
	if err != nil {
		return err
	}
	defer hw.stop()

	ids, err := sampleIDs(ctx, conn)
	if err != nil {
		return err
	}
	targets := []target{
		{name: "objectos", base: crm.base, key: key, pid: crm.pid()},
		{name: "hand-written", base: hw.base, key: hwKey, pid: hw.pid()},
	}
	var want int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM crm_account WHERE industry = 'finance'`).Scan(&want); err != nil {
		return err
	}
	for _, t := range targets {
		if got, err := listTotal(ctx, t); err != nil || got != want {
			return fmt.Errorf("%s: the list's total is %d (%v), want %d", t.name, got, err, want)
		}
	}
	if h.explain {
		if err := h.explainList(ctx, conn); err != nil {
			return err
		}
	}

	wls, err := pickWorkloads(workloads(ids), h.workloads)
	if err != nil {
		return err
	}
	for i, wl := range wls {
		if h.results[i].objectos, err = h.measure(ctx, "postgres", targets[0], wl); err != nil {
			return err
		}
		if h.results[i].handwritten, err = h.measure(ctx, "postgres", targets[1], wl); err != nil {
			return err
		}
	}
	return nil
}

// sampleIDs is up to 10,000 ids of seeded accounts, for the GETs.
func sampleIDs(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	rows, err := conn.Query(ctx, `SELECT id FROM crm_account ORDER BY random() LIMIT 10000`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// explainList prints the plans of the statements objectos sends for the
// list workload (as its statement log shows them, with the values inline).
func (h *harness) explainList(ctx context.Context, conn *pgx.Conn) error {
	for _, q := range []string{
		`SELECT "id", "name", "industry", "annual_revenue", "website", "phone", "parent", "owner_id", "created_at", "created_by", "updated_at", "updated_by" FROM "crm_account" WHERE "industry" = 'finance' ORDER BY "created_at" DESC NULLS LAST, "id" DESC NULLS LAST LIMIT 51`,
		`SELECT count(*) FROM "crm_account" WHERE "industry" = 'finance'`,
	} {
		rows, err := conn.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q)
		if err != nil {
			return err
		}
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		fmt.Fprintf(h.out, "\nEXPLAIN ANALYZE %s\n  %s\n", q, strings.Join(plan, "\n  "))
	}
	fmt.Fprintln(h.out)
	return nil
}
