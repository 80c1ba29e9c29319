// Package store is the bun-backed objectos.Store for PostgreSQL and SQLite.
//
// bun supplies the connection, the dialect and the schema statements; the
// data statements are compiled by this package from objectos' bound filters
// into SQL with numbered or positional placeholders and run through the same
// connection, so every value reaches the database as a bound parameter and
// identifiers only ever come from the artifact.
//
//	st, err := store.Open(ctx, "postgres://user@localhost/app")  // PostgreSQL
//	st, err := store.Open(ctx, "./objectos.db")                   // SQLite file (WAL)
//	st, err := store.Memory(ctx)                                  // private in-memory SQLite
//	st, err := store.FromDB(ctx, db, "postgres")                  // the application's *sql.DB
//
// objectos.New syncs the schema (see Store.Sync): it adds what is missing
// and renames the fields declared with renamedFrom, and refuses a type
// change that is not stored alike. Such changes, and dropping the columns
// no field declares any more, go through a migration plan:
//
//	objects, err := objectos.ResolveObjects(artifact, plugins)
//	plan, err := st.Plan(ctx, objects)
//	fmt.Print(plan)        // what each change does to the values
//	err = plan.Apply(ctx)  // one transaction
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	bundialect "github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" database/sql driver

	"github.com/objectos-go/objectos"
)

// Store is a PostgreSQL or SQLite database holding the records of a stack.
type Store struct {
	db *bun.DB
	d  *dialect
	// owned: Close closes db (a store from Open, not from FromDB).
	owned bool
	// constraint and index names to the fields they cover, for error
	// translation; filled by Sync.
	mu    sync.RWMutex
	names map[string]constraintInfo
	// SQLite prepares every statement anew unless asked to keep it; the
	// cache keeps prepared statements by SQL text (pgx caches its own).
	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt
	log    *slog.Logger // schema sync's messages; see SetLogger
	// txTimeout bounds each transaction of Transact, its COMMIT included;
	// 0 for none.
	txTimeout time.Duration
	// hooks observe the store's statements (AddQueryHook); nil for none.
	hooks  atomic.Pointer[[]bun.QueryHook]
	hookMu sync.Mutex // serializes AddQueryHook
}

// SetLogger sets the logger of schema sync's messages (indexes built or
// replaced). objectos.New sets the Stack's. Default slog.Default().
func (s *Store) SetLogger(l *slog.Logger) { s.log = l }

func (s *Store) logger() *slog.Logger {
	if s.log == nil {
		return slog.Default()
	}
	return s.log
}

type constraintInfo struct {
	object string
	fields []string
}

var _ objectos.Store = (*Store)(nil)

// Open opens a store from a DSN with the default Options: postgres:// or
// postgresql:// URLs open PostgreSQL; anything else is an SQLite file path
// (or a file: URI). The store owns its connections: Close closes them.
func Open(ctx context.Context, dsn string) (*Store, error) {
	return OpenWith(ctx, dsn, Options{})
}

// OpenWith is Open with pool and timeout settings.
func OpenWith(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn, opts)
	}
	return openSQLite(ctx, dsn, opts)
}

// Options tune the connections of a store opened from a DSN (OpenWith).
// The zero value keeps the defaults; a negative number or duration turns the
// limit off.
type Options struct {
	// MaxOpenConns caps the open connections (sql.DB.SetMaxOpenConns).
	// Default 25 on PostgreSQL, 8 on an SQLite file.
	MaxOpenConns int
	// MaxIdleConns caps the idle connections kept for reuse. Default: as
	// many as MaxOpenConns allows (25 or 8 when that is unlimited);
	// negative keeps none.
	MaxIdleConns int
	// ConnMaxLifetime closes connections that old. Default none.
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime closes connections idle that long. Default 5 minutes
	// on PostgreSQL, none on SQLite.
	ConnMaxIdleTime time.Duration
	// StatementTimeout bounds every PostgreSQL statement unless the DSN
	// sets statement_timeout itself, which then wins. Default
	// DefaultStatementTimeout.
	StatementTimeout time.Duration
	// TransactionTimeout bounds each transaction the engine runs (a write,
	// a batch, an action, Stack.Transact), its COMMIT included: past it the
	// transaction is rolled back, or its COMMIT abandoned (whose outcome is
	// then unknown), and the request fails with SERVICE_UNAVAILABLE.
	// Default DefaultTransactionTimeout.
	TransactionTimeout time.Duration
	// BusyTimeout is how long an SQLite statement waits for another
	// connection's lock before failing with SERVICE_UNAVAILABLE. Default
	// 10 seconds.
	BusyTimeout time.Duration
}

// pool applies the options to db over the dialect's defaults.
func (o Options) pool(db *sql.DB, maxOpen int, maxIdleTime time.Duration) {
	open := orDefault(o.MaxOpenConns, maxOpen)
	db.SetMaxOpenConns(open)
	idle := maxOpen
	if open > 0 {
		idle = open
	}
	db.SetMaxIdleConns(orDefault(o.MaxIdleConns, idle))
	db.SetConnMaxLifetime(orDefault(o.ConnMaxLifetime, 0))
	db.SetConnMaxIdleTime(orDefault(o.ConnMaxIdleTime, maxIdleTime))
}

// orDefault is v, or def when v is zero; a negative v is 0 (database/sql's "no
// limit", or no idle connections).
func orDefault[T int | time.Duration](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// millis is d in whole milliseconds, rounded up so that a positive
// duration never becomes 0 (which both databases read as no limit or no
// wait).
func millis(d time.Duration) string {
	return strconv.FormatInt(int64((d+time.Millisecond-1)/time.Millisecond), 10)
}

// DefaultStatementTimeout bounds every PostgreSQL statement unless the DSN
// sets statement_timeout itself (0 there turns the bound off), or
// Options.StatementTimeout says otherwise. A statement cut off is 503
// SERVICE_UNAVAILABLE; schema sync is not bounded.
const DefaultStatementTimeout = "30s"

// DefaultTransactionTimeout bounds each transaction of a store unless
// Options.TransactionTimeout says otherwise (see Store.Transact). A store
// from FromDB or FromBun has it too.
const DefaultTransactionTimeout = time.Minute

// OpenPostgres opens a PostgreSQL store with the pgx driver and the default
// Options. The DSN may set search_path to place the tables in a schema, and
// any other run-time parameter, such as statement_timeout (default
// DefaultStatementTimeout).
func OpenPostgres(ctx context.Context, dsn string) (*Store, error) {
	return openPostgres(ctx, dsn, Options{})
}

func openPostgres(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("objectos: store: invalid PostgreSQL DSN: %w", redact(err))
	}
	if _, ok := cfg.RuntimeParams["statement_timeout"]; !ok {
		timeout := DefaultStatementTimeout
		if opts.StatementTimeout != 0 {
			timeout = millis(max(opts.StatementTimeout, 0)) + "ms"
		}
		cfg.RuntimeParams["statement_timeout"] = timeout
	}
	sqldb := stdlib.OpenDB(*cfg)
	opts.pool(sqldb, 25, 5*time.Minute)
	s := newStore(bun.NewDB(sqldb, pgdialect.New()), pgDialect)
	s.txTimeout = orDefault(opts.TransactionTimeout, DefaultTransactionTimeout)
	if err := s.Ping(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("objectos: store: cannot reach PostgreSQL at %s: %w", cfg.Host, err)
	}
	return s, nil
}

// OpenSQLite opens (creating it if needed) an SQLite database file in WAL
// mode with foreign keys on and immediate write transactions, with the
// default Options.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	return openSQLite(ctx, path, Options{})
}

// openSQLite opens an SQLite file; an empty path or ":memory:" is Memory,
// whose one connection no option changes.
func openSQLite(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" || path == ":memory:" {
		return Memory(ctx)
	}
	dsn := path
	if !strings.HasPrefix(dsn, "file:") {
		dsn = "file:" + (&url.URL{Path: path}).EscapedPath()
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	busy := orDefault(opts.BusyTimeout, 10*time.Second)
	dsn += sep + "_pragma=foreign_keys(1)&_pragma=busy_timeout(" + millis(busy) + ")" +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate&_time_format=sqlite"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("objectos: store: %w", err)
	}
	opts.pool(sqldb, 8, 0)
	s := newStore(bun.NewDB(sqldb, sqlitedialect.New()), sqliteDialect)
	s.txTimeout = orDefault(opts.TransactionTimeout, DefaultTransactionTimeout)
	if err := s.Ping(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("objectos: store: cannot open SQLite database %s: %w", path, err)
	}
	return s, nil
}

// Memory opens a private in-memory SQLite store: every call gets its own
// database, which lives until Close. It is meant for tests.
func Memory(ctx context.Context) (*Store, error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	dsn := "file:objectos-" + hex.EncodeToString(b[:]) +
		"?mode=memory&_pragma=foreign_keys(1)&_txlock=immediate"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("objectos: store: %w", err)
	}
	// One connection holds the in-memory database; it must never be closed
	// while the store is open.
	sqldb.SetMaxOpenConns(1)
	sqldb.SetMaxIdleConns(1)
	sqldb.SetConnMaxLifetime(0)
	sqldb.SetConnMaxIdleTime(0)
	s := newStore(bun.NewDB(sqldb, sqlitedialect.New()), sqliteDialect)
	if err := s.Ping(ctx); err != nil {
		sqldb.Close()
		return nil, err
	}
	return s, nil
}

// FromDB makes a store of the application's own database, so that objectos'
// tables live beside the application's and both can be written in one
// transaction (see WithTx and TxFrom). dialect is "postgres" (or "pg") or
// "sqlite". The database must use the drivers the store understands the
// errors of: pgx's database/sql driver (github.com/jackc/pgx/v5/stdlib) for
// PostgreSQL, modernc.org/sqlite for SQLite (a wrapper that returns their
// errors unchanged, such as an instrumenting driver, is fine).
//
// The application owns db: the store leaves its pool settings and run-time
// parameters alone (set statement_timeout on the application's connections
// if wanted; Options do not apply) and its Close does not close db; close db
// after the store. An SQLite database needs foreign keys on in every
// connection (_pragma=foreign_keys(1) in the DSN; FromDB refuses a connection
// without them), and should use immediate write transactions
// (_txlock=immediate) and a busy timeout as OpenSQLite does; an in-memory
// one needs db.SetMaxOpenConns(1), since each connection would otherwise
// see a database of its own. FromDB pings the database and returns
// SERVICE_UNAVAILABLE when it does not answer.
func FromDB(ctx context.Context, db *sql.DB, dialect string) (*Store, error) {
	switch dialect {
	case "postgres", "postgresql", "pg":
		return FromBun(ctx, bun.NewDB(db, pgdialect.New()))
	case "sqlite":
		return FromBun(ctx, bun.NewDB(db, sqlitedialect.New()))
	}
	return nil, fmt.Errorf("objectos: store: unknown dialect %q; want \"postgres\" or \"sqlite\"", dialect)
}

// FromBun is FromDB for an application that already has a bun database
// (pgdialect or sqlitedialect). The application owns db, as with FromDB:
// the store's Close does not close it.
func FromBun(ctx context.Context, db *bun.DB) (*Store, error) {
	var d *dialect
	switch db.Dialect().Name() {
	case bundialect.PG:
		d = pgDialect
	case bundialect.SQLite:
		d = sqliteDialect
	default:
		return nil, fmt.Errorf("objectos: store: unsupported bun dialect %s; want PostgreSQL or SQLite", db.Dialect().Name())
	}
	s := newStore(db, d)
	s.owned = false
	if err := s.Ping(ctx); err != nil {
		return nil, fmt.Errorf("objectos: store: the database does not answer: %w", err)
	}
	if !d.pg {
		var on bool
		if err := db.DB.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&on); err != nil {
			return nil, fmt.Errorf("objectos: store: %w", s.translate(err))
		}
		if !on {
			return nil, errors.New("objectos: store: the SQLite database has foreign keys off; open it with _pragma=foreign_keys(1) in the DSN, so that every connection has them on")
		}
	}
	return s, nil
}

// newStore is a store on db; it owns db unless the application gave it
// (FromBun).
func newStore(db *bun.DB, d *dialect) *Store {
	return &Store{db: db, d: d, owned: true, names: map[string]constraintInfo{}, txTimeout: DefaultTransactionTimeout}
}

// DB returns the database the store runs on, for the application's own
// tables and transactions (see WithTx). Closing it is the job of whoever
// owns it: the store's for a store from Open, the application's for the
// database it passed to FromDB or FromBun.
func (s *Store) DB() *bun.DB { return s.db }

// Dialect returns "pg" or "sqlite".
func (s *Store) Dialect() string { return s.d.name }

// Close releases the store's prepared statements and, for a store from
// Open (not FromDB or FromBun), closes the database.
func (s *Store) Close() error {
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = nil
	s.stmtMu.Unlock()
	if !s.owned {
		return nil
	}
	return s.db.Close()
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.DB.PingContext(ctx); err != nil {
		return s.translate(err)
	}
	var one int
	qctx, ob := s.before(ctx, "SELECT 1")
	err := s.db.DB.QueryRowContext(qctx, "SELECT 1").Scan(&one)
	ob.after(qctx, nil, err)
	if err != nil {
		return s.translate(err)
	}
	return nil
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// conn runs data statements on the database or in a transaction.
type conn struct {
	s          *Store
	q          querier
	tx         *sql.Tx
	btx        bun.Tx // tx, for the application's statements (TxFrom)
	savepoints int    // names the transaction's savepoints
}

var _ objectos.Savepointer = (*conn)(nil)

// Savepoint implements objectos.Savepointer with SQL savepoints, which both
// dialects have: fn's failure rolls back to the savepoint.
func (c *conn) Savepoint(ctx context.Context, fn func() error) error {
	if c.tx == nil {
		return fn()
	}
	c.savepoints++
	name := fmt.Sprintf("os_sp_%d", c.savepoints)
	if _, err := c.txExec(ctx, "SAVEPOINT "+name); err != nil {
		return c.s.translate(err)
	}
	if err := fn(); err != nil {
		if _, rerr := c.txExec(ctx, "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			return c.s.translate(rerr)
		}
		_, _ = c.txExec(ctx, "RELEASE SAVEPOINT "+name)
		return err
	}
	if _, err := c.txExec(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return c.s.translate(err)
	}
	return nil
}

// txExec runs a statement without values on the transaction, under the
// query hooks.
func (c *conn) txExec(ctx context.Context, query string) (sql.Result, error) {
	ctx, ob := c.s.before(ctx, query)
	res, err := c.tx.ExecContext(ctx, query)
	ob.after(ctx, res, err)
	return res, err
}

func (s *Store) conn() *conn { return &conn{s: s, q: s.db.DB} }

const maxCachedStmts = 512

// stmt returns a cached prepared statement for SQLite, or nil. Inside a
// transaction it only reuses cached statements: preparing a new one on the
// database would need a second connection, which the single-connection
// in-memory store does not have.
func (c *conn) stmt(ctx context.Context, query string) *sql.Stmt {
	if c.s.d.pg {
		return nil
	}
	s := c.s
	s.stmtMu.Lock()
	st, ok := s.stmts[query]
	s.stmtMu.Unlock()
	if ok {
		return st
	}
	if c.tx != nil || c.q != s.db.DB {
		return nil
	}
	// Prepare without holding the lock: it may wait for a connection that a
	// transaction holds, and that transaction may need the cache.
	st, err := s.db.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil // the plain call reports the error
	}
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if prev, ok := s.stmts[query]; ok {
		st.Close()
		return prev
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	if len(s.stmts) >= maxCachedStmts {
		for k, old := range s.stmts {
			old.Close()
			delete(s.stmts, k)
			break
		}
	}
	s.stmts[query] = st
	return st
}

// errStmtClosed is what database/sql says when a cached statement was
// evicted (and closed) while in use; the call is then retried unprepared.
const errStmtClosed = "sql: statement is closed"

// tooManyArgs refuses a statement that binds more values than the database
// takes; the engine caps a query's values well below (Options.MaxQueryValues),
// so only a caller around the engine meets it.
func (c *conn) tooManyArgs(args []any) error {
	if len(args) > c.s.d.maxArgs {
		return objectos.Errorf(objectos.CodeInvalidFilter, "The statement binds %d values; the database takes at most %d.", len(args), c.s.d.maxArgs)
	}
	return nil
}

// query runs a statement that returns rows, under the query hooks.
func (c *conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := c.tooManyArgs(args); err != nil {
		return nil, err
	}
	ctx, ob := c.s.before(ctx, query)
	rows, err := c.queryStmt(ctx, query, args)
	ob.after(ctx, nil, err)
	return rows, err
}

func (c *conn) queryStmt(ctx context.Context, query string, args []any) (*sql.Rows, error) {
	if st := c.stmt(ctx, query); st != nil {
		if c.tx != nil {
			st = c.tx.StmtContext(ctx, st)
		}
		rows, err := st.QueryContext(ctx, args...)
		if err == nil || err.Error() != errStmtClosed {
			return rows, err
		}
	}
	return c.q.QueryContext(ctx, query, args...)
}

// exec runs a statement that returns no rows, under the query hooks.
func (c *conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := c.tooManyArgs(args); err != nil {
		return nil, err
	}
	ctx, ob := c.s.before(ctx, query)
	res, err := c.execStmt(ctx, query, args)
	ob.after(ctx, res, err)
	return res, err
}

func (c *conn) execStmt(ctx context.Context, query string, args []any) (sql.Result, error) {
	if st := c.stmt(ctx, query); st != nil {
		if c.tx != nil {
			st = c.tx.StmtContext(ctx, st)
		}
		res, err := st.ExecContext(ctx, args...)
		if err == nil || err.Error() != errStmtClosed {
			return res, err
		}
	}
	return c.q.ExecContext(ctx, query, args...)
}

// Transact runs fn in one transaction, bounded by the store's transaction
// timeout (Options.TransactionTimeout): past it the transaction is rolled
// back, or its COMMIT abandoned, and Transact returns SERVICE_UNAVAILABLE.
//
// A COMMIT whose connection fails (the database went away, the timeout
// struck) may or may not have been applied: Transact then returns
// SERVICE_UNAVAILABLE with a message that says so, never success.
func (s *Store) Transact(ctx context.Context, fn func(tx objectos.Tx) error) (err error) {
	if s.txTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.txTimeout)
		defer cancel()
	}
	bctx, ob := s.before(ctx, "BEGIN")
	tx, err := s.db.BeginTx(bctx, nil)
	ob.after(bctx, nil, err)
	if err != nil {
		return s.translate(err)
	}
	done := false
	defer func() {
		if !done {
			rctx, ob := s.before(ctx, "ROLLBACK")
			ob.after(rctx, nil, tx.Rollback())
		}
	}()
	if err := fn(&conn{s: s, q: tx.Tx, tx: tx.Tx, btx: tx}); err != nil {
		if ctx.Err() != nil && !objectos.IsCode(err, objectos.CodeServiceUnavailable) {
			// the timeout rolled the transaction back under fn (sql: transaction
			// has already been committed or rolled back)
			return objectos.NewError(objectos.CodeServiceUnavailable, "The transaction took too long and was rolled back; try again.").WithCause(err)
		}
		return s.translate(err)
	}
	done = true
	cctx, ob := s.before(ctx, "COMMIT")
	err = tx.Commit()
	ob.after(cctx, nil, err)
	if err != nil {
		return s.commitFailed(err)
	}
	return nil
}

// Find implements objectos.Tx.
func (s *Store) Find(ctx context.Context, o *objectos.Object, sel *objectos.Select) ([]objectos.Record, error) {
	return s.conn().Find(ctx, o, sel)
}

// Count implements objectos.Tx.
func (s *Store) Count(ctx context.Context, o *objectos.Object, where *objectos.Filter) (int64, error) {
	return s.conn().Count(ctx, o, where)
}

// Estimate implements objectos.Estimator (see conn.Estimate).
func (s *Store) Estimate(ctx context.Context, o *objectos.Object, where *objectos.Filter) (int64, error) {
	return s.conn().Estimate(ctx, o, where)
}

// Insert implements objectos.Tx.
func (s *Store) Insert(ctx context.Context, o *objectos.Object, values objectos.Record) error {
	return s.conn().Insert(ctx, o, values)
}

// Update implements objectos.Tx.
func (s *Store) Update(ctx context.Context, o *objectos.Object, where *objectos.Filter, values objectos.Record) (int64, error) {
	return s.conn().Update(ctx, o, where, values)
}

// Delete implements objectos.Tx.
func (s *Store) Delete(ctx context.Context, o *objectos.Object, where *objectos.Filter) (int64, error) {
	return s.conn().Delete(ctx, o, where)
}

// NextSequence implements objectos.Tx.
func (s *Store) NextSequence(ctx context.Context, name string) (int64, error) {
	return s.conn().NextSequence(ctx, name)
}

// redact removes a password from a DSN parse error.
func redact(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "://"); i >= 0 {
		if j := strings.Index(msg[i:], "@"); j >= 0 {
			return fmt.Errorf("%s", msg[:i+3]+"…"+msg[i+j:])
		}
	}
	return err
}
