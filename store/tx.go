package store

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/objectos-go/objectos"
)

// WithTx returns a context in which the Stack's data calls (reads, Create,
// CreateMany, Update, Delete, RunAction, Stack.Transact) join tx, a
// transaction the application began on the store's database (DB().BeginTx,
// or its own bun.DB over the *sql.DB it gave FromDB), instead of opening
// their own. The transaction stays the application's: the engine never
// commits or rolls it back. Each of those writes runs in a savepoint, so a
// failed one changes nothing and leaves tx usable (PostgreSQL refuses every
// later statement of a transaction whose statement failed); the
// application decides whether to go on, commit or roll back.
//
// WithTx panics when tx is not a transaction of the store's database: the
// store's statements would run beside it, not in it.
func (s *Store) WithTx(ctx context.Context, tx bun.Tx) context.Context {
	if tx.Tx == nil {
		panic("objectos: store: WithTx: not a transaction")
	}
	if tx.NewRaw("").DB().DB != s.db.DB {
		panic("objectos: store: WithTx: the transaction is not of the store's database")
	}
	return objectos.WithTx(ctx, &conn{s: s, q: tx.Tx, tx: tx.Tx, btx: tx})
}

// TxFrom returns the transaction of a store of this package that data calls
// made with ctx join, as a bun transaction for the application's own
// statements, which then commit or roll back with the objectos records: in
// Stack.Transact's function, a write hook, an action handler, or a context
// from WithTx. Its Tx field is the *sql.Tx, for code written against
// database/sql. ok is false outside a transaction.
func TxFrom(ctx context.Context) (tx bun.Tx, ok bool) {
	t, _ := objectos.TxFrom(ctx)
	if c, ok := t.(*conn); ok && c.tx != nil {
		return c.btx, true
	}
	return bun.Tx{}, false
}
