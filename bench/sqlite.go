package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" database/sql driver
)

// runSQLite measures objectos on a fresh SQLite file (there is no
// hand-written counterpart on SQLite).
func (h *harness) runSQLite(ctx context.Context) error {
	path := filepath.Join(h.dir, "crm.db")
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	email, password := "bench-admin@example.com", randomHex(16)
	crm, err := startServer(ctx, "crm-sqlite", h.crm, addr, h.dir, []string{"-addr", addr, "-db", path}, adminEnv(path, email, password))
	if err != nil {
		return err
	}
	defer crm.stop()
	key, owner, err := mintKey(ctx, crm.base, email, password)
	if err != nil {
		return err
	}

	// The server has the file open too: wait for its locks rather than fail.
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT name, "notnull" FROM pragma_table_info('crm_account') ORDER BY cid`)
	if err != nil {
		return err
	}
	var cols []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.notNull); err != nil {
			rows.Close()
			return err
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	seed, err := seedSQL(sqliteDialect, cols, h.industries)
	if err != nil {
		return err
	}
	start := time.Now()
	if _, err := db.ExecContext(ctx, seed, owner, h.rows); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	for _, q := range []string{`ANALYZE`, `PRAGMA wal_checkpoint(TRUNCATE)`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	fmt.Fprintf(h.out, "sqlite: seeded %s accounts in %s\n", thousands(h.rows), time.Since(start).Round(time.Millisecond))

	var ids []string
	rows, err = db.QueryContext(ctx, `SELECT id FROM crm_account ORDER BY random() LIMIT 10000`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var want int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM crm_account WHERE industry = 'finance'`).Scan(&want); err != nil {
		return err
	}
	t := target{name: "objectos", base: crm.base, key: key, pid: crm.pid()}
	if got, err := listTotal(ctx, t); err != nil || got != want {
		return fmt.Errorf("objectos: the list's total is %d (%v), want %d", got, err, want)
	}

	wls, err := pickWorkloads(workloads(ids), h.workloads)
	if err != nil {
		return err
	}
	for i, wl := range wls {
		if h.results[i].sqlite, err = h.measure(ctx, "sqlite", t, wl); err != nil {
			return err
		}
	}
	return nil
}
