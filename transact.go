package objectos

import "context"

// reader returns the transaction of the context, or the store.
func (s *Stack) reader(ctx context.Context) Tx {
	if tx, ok := ctx.Value(txKey).(Tx); ok {
		return tx
	}
	return s.store
}

// transact runs fn in the context's transaction, or in a new one.
func (s *Stack) transact(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error {
	if tx, ok := ctx.Value(txKey).(Tx); ok {
		if sp, ok := tx.(Savepointer); ok && ctx.Value(savepointKey) != nil {
			// A data call of user code (an action handler): its failure undoes
			// only itself, so the handler may handle the error and go on, on
			// every store alike.
			return sp.Savepoint(ctx, func() error { return fn(context.WithValue(ctx, savepointKey, nil), tx) })
		}
		return fn(ctx, tx)
	}
	return s.store.Transact(ctx, func(tx Tx) error {
		return fn(context.WithValue(ctx, txKey, tx), tx)
	})
}

// untransacted runs fn on the store itself, outside any transaction.
func (s *Stack) untransacted(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error {
	return fn(ctx, s.store)
}

// Transact runs fn in one database transaction: every data call made with
// the context fn receives joins it, and fn's error rolls all of them back.
// Inside another transaction it joins that one; inside one the application
// began (see WithTx) it runs in a savepoint, so fn's error undoes only what
// fn did and the application's transaction goes on.
func (s *Stack) Transact(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.transact(ctx, func(ctx context.Context, _ Tx) error { return fn(ctx) })
}
