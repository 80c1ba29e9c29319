package store_test

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/storetest"
)

// TestConformance runs the Store conformance suite on every configured
// store: SQLite in memory always, PostgreSQL when OBJECTOS_TEST_POSTGRES is
// set (each call of open gets its own schema).
func TestConformance(t *testing.T) {
	for _, k := range testenv.Kinds(t) {
		t.Run(string(k), func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) objectos.Store { return testenv.Open(t, k) })
		})
	}
}

// TestConformanceUnderAnICULocale runs the suite in a database whose default
// collation is ICU en-US, where text sorts differently from its bytes
// ("a" < "B"): the store's own column collation keeps the results those of
// SQLite. Skipped when the server cannot create such a database.
func TestConformanceUnderAnICULocale(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	if dsn == "" {
		t.Skipf("%s not set", testenv.EnvPostgres)
	}
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	admin, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "ot_icu_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name + " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"); err != nil {
		t.Skipf("the server cannot create an ICU database: %v", err)
	}
	t.Cleanup(func() {
		if db, err := sql.Open("pgx", dsn); err == nil {
			_, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			db.Close()
		}
	})
	u.Path = "/" + name
	icu := u.String()
	storetest.Run(t, func(t *testing.T) objectos.Store { return testenv.OpenIn(t, icu) })
}
