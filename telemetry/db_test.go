package telemetry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
)

// TestSummarize: the operation and the first top-level table of the
// statements the store sends, and of a few it does not.
func TestSummarize(t *testing.T) {
	for _, c := range []struct{ query, op, table string }{
		{`SELECT "id", "name" FROM "crm_account" WHERE "name" = $1 ORDER BY "id" LIMIT $2`, "SELECT", "crm_account"},
		{`SELECT COUNT(*) FROM "crm_account" WHERE "id" = ?`, "SELECT", "crm_account"},
		{`SELECT (SELECT "name" FROM "other" o WHERE o.id = t.ref) AS n FROM "main" AS t`, "SELECT", "main"},
		{`SELECT "from" FROM "select" WHERE "x" = 'FROM nowhere'`, "SELECT", "select"},
		{`SELECT 'it''s' AS "a""b" FROM s."t x"`, "SELECT", "s.t x"},
		{`INSERT INTO "crm_account" ("id", "name") VALUES ($1, $2)`, "INSERT", "crm_account"},
		{`INSERT INTO objectos_rate_limits AS r (bucket, key) VALUES ($1, $2) ON CONFLICT (bucket, key) DO UPDATE SET x = 1`, "INSERT", "objectos_rate_limits"},
		{`UPDATE "crm_account" SET "name" = $1 FROM "other" WHERE "id" = $2`, "UPDATE", "crm_account"},
		{`DELETE FROM "crm_account" WHERE "id" IN ($1, $2)`, "DELETE", "crm_account"},
		{`EXPLAIN (FORMAT JSON) SELECT 1 FROM "crm_account" WHERE "x" = $1`, "EXPLAIN", "crm_account"},
		{"  \n select 1 from t", "SELECT", "t"},
		{`SELECT 1`, "SELECT", ""},
		{`BEGIN`, "BEGIN", ""},
		{`ROLLBACK TO SAVEPOINT os_sp_1`, "ROLLBACK", ""},
		{`RELEASE SAVEPOINT os_sp_2`, "RELEASE", ""},
		{``, "", ""},
		{`SELECT * FROM "unterminated`, "SELECT", ""},
	} {
		op, table := summarize(c.query)
		assert.Equal(t, c.op, op, c.query)
		assert.Equal(t, c.table, table, c.query)
	}
}

// sqliteError is what modernc.org/sqlite's error offers: a result code.
type sqliteError struct{}

func (sqliteError) Error() string {
	return "constraint failed: UNIQUE constraint failed: t.secret-value"
}
func (sqliteError) Code() int { return 2067 }

// TestErrorType: a failure is known by its code or its kind, never by its
// message; no row, and a transaction already ended, are no failure.
func TestErrorType(t *testing.T) {
	for _, c := range []struct {
		err       error
		code, typ string
	}{
		{nil, "", ""},
		{sql.ErrNoRows, "", ""},
		{fmt.Errorf("scan: %w", sql.ErrNoRows), "", ""},
		{sql.ErrTxDone, "", ""},
		{&pgconn.PgError{Code: "23505", Message: "duplicate key", Detail: "Key (email)=(secret) already exists."}, "23505", "23505"},
		{fmt.Errorf("insert: %w", sqliteError{}), "2067", "2067"},
		{context.DeadlineExceeded, "", "timeout"},
		{fmt.Errorf("query: %w", context.Canceled), "", "canceled"},
		{errors.New("connection reset by secret"), "", "*errors.errorString"},
	} {
		code, typ := errorType(c.err)
		assert.Equal(t, c.code, code, "%v", c.err)
		assert.Equal(t, c.typ, typ, "%v", c.err)
	}
}
