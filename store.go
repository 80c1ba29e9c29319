package objectos

import "context"

// Store persists the records of objects. The shipped implementation is the
// bun-backed store of the store package (PostgreSQL and SQLite). A Store
// receives only bound filters (see [BindFilter]) and canonical values (see
// [Record]); it compiles them to SQL with every value bound as a parameter.
//
// Implementations translate their driver's errors into *Error codes:
// UNIQUE_VIOLATION (with a "field" detail) for a unique index,
// VALIDATION_FAILED with field code reference_not_found for a foreign key,
// SERVICE_UNAVAILABLE for a lost or refused connection.
type Store interface {
	Tx
	// Sync brings the schema in line with the objects: it creates missing
	// tables, columns and indexes, renames the columns of fields declared
	// with RenamedFrom, never drops or rewrites anything, and returns an
	// error naming the object, the field and the remedy for a change it
	// cannot apply safely.
	Sync(ctx context.Context, objects []*Object) error
	// Transact runs fn in one transaction, committed when fn returns nil
	// and rolled back otherwise.
	Transact(ctx context.Context, fn func(tx Tx) error) error
	// Ping checks that the database is reachable.
	Ping(ctx context.Context) error
	// Close releases the store's connections.
	Close() error
}

// Tx is the data access of a Store, inside or outside a transaction.
type Tx interface {
	// Find returns the records matching the select, with canonical values
	// for the fields asked for (every stored field when Fields is empty).
	Find(ctx context.Context, o *Object, s *Select) ([]Record, error)
	// Count returns the number of records matching where (nil: all).
	Count(ctx context.Context, o *Object, where *Filter) (int64, error)
	// Insert stores one record; values hold canonical values and always an id.
	Insert(ctx context.Context, o *Object, values Record) error
	// Update sets values on the records matching where and returns how many
	// were changed.
	Update(ctx context.Context, o *Object, where *Filter, values Record) (int64, error)
	// Delete removes the records matching where and returns how many.
	Delete(ctx context.Context, o *Object, where *Filter) (int64, error)
	// NextSequence increments the named counter and returns its new value
	// (starting at 1). It joins the transaction, so a rollback returns the
	// number.
	NextSequence(ctx context.Context, name string) (int64, error)
}

// WithTx returns a context whose data calls join tx, a transaction of the
// Stack's store that the application began and alone commits or rolls back:
// reads, Stack.Create, CreateMany, Update, Delete, RunAction and
// Stack.Transact made with it run in tx instead of opening their own. When
// tx is a Savepointer each of those writes runs in a savepoint, so that one
// that fails changes nothing and the transaction goes on (Stack.Transact's
// function is one such write: its error undoes what it did). A store offers
// this with its own transaction type; the store package's is
// (*store.Store).WithTx.
func WithTx(ctx context.Context, tx Tx) context.Context {
	return context.WithValue(context.WithValue(ctx, txKey, tx), savepointKey, true)
}

// TxFrom returns the transaction that data calls made with ctx join: in
// Stack.Transact's function, a write hook, an action handler, or a context
// from WithTx. ok is false outside a transaction.
func TxFrom(ctx context.Context) (tx Tx, ok bool) {
	tx, ok = ctx.Value(txKey).(Tx)
	return tx, ok
}

// Estimator is implemented by a Tx that can estimate how many records match
// without counting them (PostgreSQL's planner does). Estimate returns -1
// when it has no estimate.
type Estimator interface {
	Estimate(ctx context.Context, o *Object, where *Filter) (int64, error)
}

// EstimateAbove is the estimate above which a list asked for an estimated
// total (Query.EstimateCount) reports the estimate; below it the exact
// count is cheap, and given.
const EstimateAbove = 100_000

// count is a list's total: exact, or the estimate when asked for one, the
// store can give it and it is above EstimateAbove.
func count(ctx context.Context, tx Tx, o *Object, where *Filter, estimate bool) (int64, bool, error) {
	if e, ok := tx.(Estimator); ok && estimate {
		n, err := e.Estimate(ctx, o, where)
		if err != nil {
			return 0, false, err
		}
		if n > EstimateAbove {
			return n, true, nil
		}
		// small, or no estimate: the exact count
	}
	n, err := tx.Count(ctx, o, where)
	return n, false, err
}

// Savepointer is implemented by a Tx that can undo part of a transaction:
// Savepoint runs fn and, when it fails, rolls back what fn did while the rest
// of the transaction lives on. Outside a transaction it just runs fn. The
// store package implements it on both dialects.
type Savepointer interface {
	Savepoint(ctx context.Context, fn func() error) error
}

// BatchInserter is implemented by a Tx that stores many records of one
// object in few statements. Each record holds canonical values and an id; a
// field a record leaves out is stored as NULL. The engine uses it for
// Stack.CreateMany when the Tx offers it, and Insert otherwise.
type BatchInserter interface {
	InsertMany(ctx context.Context, o *Object, rows []Record) error
}

// Select is a read of one object's records.
type Select struct {
	// Where is a bound filter; nil matches every record.
	Where *Filter
	// Fields are the fields to read; empty means every stored field.
	Fields []string
	// Sort is the complete order; the store adds nothing. NULL sorts as the
	// smallest value (first ascending, last descending).
	Sort []SortKey
	// After continues a keyset walk: the sort-key values of the last row
	// already seen, one per Sort key.
	After []any
	// Limit caps the rows returned; 0 means no cap.
	Limit int
	// Offset skips rows.
	Offset int
	// Lock locks the selected rows until the transaction ends, where the
	// database supports it.
	Lock bool
}
