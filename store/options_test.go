package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

// TestPoolOptions: OpenWith applies the pool settings, zero values keep
// Open's defaults, and Open is OpenWith with no options.
func TestPoolOptions(t *testing.T) {
	ctx := context.Background()
	open := func(t *testing.T, dsn string, opts store.Options) *store.Store {
		t.Helper()
		st, err := store.OpenWith(ctx, dsn, opts)
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		return st
	}
	maxOpen := func(st *store.Store) int { return st.DB().Stats().MaxOpenConnections }

	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		assert.Equal(t, 8, maxOpen(open(t, dir+"/default.db", store.Options{})), "default")
		st, err := store.Open(ctx, dir+"/open.db")
		require.NoError(t, err)
		defer st.Close()
		assert.Equal(t, 8, maxOpen(st), "Open keeps the default")
		st = open(t, dir+"/three.db", store.Options{MaxOpenConns: 3, ConnMaxLifetime: time.Hour, ConnMaxIdleTime: time.Minute})
		assert.Equal(t, 3, maxOpen(st))
		assert.Equal(t, 0, maxOpen(open(t, dir+"/unlimited.db", store.Options{MaxOpenConns: -1})), "negative: no limit")

		busy := func(st *store.Store) int {
			t.Helper()
			var ms int
			require.NoError(t, st.DB().QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&ms))
			return ms
		}
		assert.Equal(t, 10000, busy(open(t, dir+"/busy-default.db", store.Options{})))
		assert.Equal(t, 2500, busy(open(t, dir+"/busy.db", store.Options{BusyTimeout: 2500 * time.Millisecond})))
		assert.Equal(t, 0, busy(open(t, dir+"/busy-off.db", store.Options{BusyTimeout: -1})))
		assert.Equal(t, 1, busy(open(t, dir+"/busy-short.db", store.Options{BusyTimeout: time.Microsecond})))

		mem, err := store.OpenWith(ctx, ":memory:", store.Options{MaxOpenConns: 10})
		require.NoError(t, err)
		defer mem.Close()
		assert.Equal(t, 1, maxOpen(mem), "an in-memory database keeps its one connection")
	})

	t.Run("postgres", func(t *testing.T) {
		if testenv.PostgresDSN(t) == "" {
			t.Skipf("%s not set", testenv.EnvPostgres)
		}
		dsn := testenv.Schema(t)
		assert.Equal(t, 25, maxOpen(open(t, dsn, store.Options{})), "default")
		assert.Equal(t, 4, maxOpen(open(t, dsn, store.Options{MaxOpenConns: 4, MaxIdleConns: 2})))

		timeout := func(st *store.Store) string {
			t.Helper()
			var v string
			require.NoError(t, st.DB().QueryRowContext(ctx, "SHOW statement_timeout").Scan(&v))
			return v
		}
		assert.Equal(t, store.DefaultStatementTimeout, timeout(open(t, dsn, store.Options{})))
		assert.Equal(t, "2500ms", timeout(open(t, dsn, store.Options{StatementTimeout: 2500 * time.Millisecond})))
		assert.Equal(t, "0", timeout(open(t, dsn, store.Options{StatementTimeout: -1})), "negative: no limit")
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		assert.Equal(t, "5s", timeout(open(t, dsn+sep+"statement_timeout=5s", store.Options{StatementTimeout: time.Second})),
			"the DSN's own statement_timeout wins")
	})
}
