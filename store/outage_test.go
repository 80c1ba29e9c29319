package store

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
)

// A connection lost mid-statement is SERVICE_UNAVAILABLE, not an internal
// error; a COMMIT on a lost connection says its outcome is unknown, while
// a COMMIT the database refused keeps its code.
func TestConnectionLossErrors(t *testing.T) {
	s, err := Memory(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	for _, cause := range []error{io.ErrUnexpectedEOF, io.EOF, fmt.Errorf("read: %w", io.ErrUnexpectedEOF)} {
		e := objectos.AsError(s.translate(cause))
		assert.Equal(t, objectos.CodeServiceUnavailable, e.Code, "%v", cause)
		assert.NotContains(t, e.Message, "EOF")

		e = objectos.AsError(s.commitFailed(cause))
		assert.Equal(t, objectos.CodeServiceUnavailable, e.Code)
		assert.Equal(t, "unknown", e.Details["outcome"])
		assert.Contains(t, e.Message, "may or may not have been applied")
	}
	e := objectos.AsError(s.commitFailed(&pgconn.PgError{Code: "40001"}))
	assert.Equal(t, objectos.CodeConcurrentUpdate, e.Code, "a refused COMMIT is a definite failure")
	assert.Nil(t, e.Details["outcome"])
}

// A transaction over Options.TransactionTimeout is rolled back and
// answers SERVICE_UNAVAILABLE, not an internal error.
func TestTransactionTimeout(t *testing.T) {
	ctx := context.Background()
	s, err := Memory(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	assert.Equal(t, DefaultTransactionTimeout, s.txTimeout)
	s.txTimeout = 50 * time.Millisecond
	err = s.Transact(ctx, func(tx objectos.Tx) error {
		c := tx.(*conn)
		if _, err := c.exec(ctx, "CREATE TABLE t (x int)"); err != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
		_, err := c.exec(ctx, "INSERT INTO t VALUES (1)")
		return err
	})
	e := objectos.AsError(err)
	assert.Equal(t, objectos.CodeServiceUnavailable, e.Code, "%v", err)
	_, err = s.conn().exec(ctx, "SELECT count(*) FROM t")
	assert.ErrorContains(t, err, "no such table", "the timed-out transaction was rolled back")
}
