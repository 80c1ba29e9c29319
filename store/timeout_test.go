package store

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/objectos-go/objectos"
)

// The PostgreSQL statement timeout: on by default, overridable in the DSN,
// and a statement it stops is 503 SERVICE_UNAVAILABLE without driver text.
func TestPostgresStatementTimeout(t *testing.T) {
	dsn := os.Getenv("OBJECTOS_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("OBJECTOS_REQUIRE_POSTGRES") == "1" {
			t.Fatal("OBJECTOS_TEST_POSTGRES is not set")
		}
		t.Skip("OBJECTOS_TEST_POSTGRES is not set")
	}
	ctx := context.Background()
	show := func(s *Store) string {
		t.Helper()
		rows, err := s.conn().query(ctx, "SHOW statement_timeout")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var v string
		for rows.Next() {
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
		}
		return v
	}
	s, err := OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := show(s); got != DefaultStatementTimeout {
		t.Fatalf("default statement_timeout = %q, want %q", got, DefaultStatementTimeout)
	}

	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	short, err := OpenPostgres(ctx, dsn+sep+"statement_timeout=50")
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	if got := show(short); got != "50ms" {
		t.Fatalf("statement_timeout from the DSN = %q", got)
	}
	rows, err := short.conn().query(ctx, "SELECT pg_sleep(2)")
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	e := objectos.AsError(short.translate(err))
	if e.Code != objectos.CodeServiceUnavailable || e.HTTPStatus() != 503 {
		t.Fatalf("a statement over the timeout: %v (%s)", e, e.Code)
	}
	if strings.Contains(e.Message, "statement timeout") || strings.Contains(e.Message, "57014") {
		t.Fatalf("driver text in the message: %q", e.Message)
	}
}
