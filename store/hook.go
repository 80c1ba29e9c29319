package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/uptrace/bun"
)

// AddQueryHook has h observe the statements the store runs for a Stack: the
// data statements it compiles (reads, counts, estimates, aggregations,
// inserts, updates, deletes, sequences), the BEGIN, COMMIT and ROLLBACK of
// its transactions, their savepoints, the readiness ping and the shared
// rate limiter's statement. Schema sync, migration plans and the
// application's own statements on DB() are not among them (bun's own hooks
// on the database see those).
//
// The store runs its SQL on database/sql directly, with every value bound
// as a parameter, so bun's hooks on the database do not see it; hence this.
// The event's Query and QueryTemplate are the SQL with its placeholders
// ($1 or ?), and QueryArgs is nil: no bound value — a password hash, a
// token, a record's data — reaches a hook. Err is the driver's error, whose
// message may quote what the database refused; a hook that must hold no
// data leaves it out. IQuery and Model are nil. AfterQuery of a statement
// that returns rows is called once the rows are ready, before they are
// read, as bun does.
//
// A hook that implements Init(*bun.DB), as bun's hooks may, is initialized
// with DB(). AddQueryHook is safe to call while the store is in use; the
// statements that start after it returns are observed. Without a hook the
// store pays nothing for them.
func (s *Store) AddQueryHook(h bun.QueryHook) {
	if i, ok := h.(interface{ Init(*bun.DB) }); ok {
		i.Init(s.db)
	}
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	var hooks []bun.QueryHook
	if p := s.hooks.Load(); p != nil {
		hooks = append(hooks, *p...)
	}
	hooks = append(hooks, h)
	s.hooks.Store(&hooks)
}

// statement is one statement under the store's query hooks; the zero value
// (no hooks) does nothing.
type statement struct {
	ev    *bun.QueryEvent
	hooks []bun.QueryHook
}

// before tells the query hooks that query starts, returning the context
// they returned for the statement to run with.
func (s *Store) before(ctx context.Context, query string) (context.Context, statement) {
	p := s.hooks.Load()
	if p == nil {
		return ctx, statement{}
	}
	st := statement{ev: &bun.QueryEvent{DB: s.db, Query: query, QueryTemplate: query, StartTime: time.Now()}, hooks: *p}
	for _, h := range st.hooks {
		ctx = h.BeforeQuery(ctx, st.ev)
	}
	return ctx, st
}

// after tells the query hooks, last first, how the statement ended.
func (st statement) after(ctx context.Context, res sql.Result, err error) {
	if st.ev == nil {
		return
	}
	st.ev.Result, st.ev.Err = res, err
	for i := len(st.hooks) - 1; i >= 0; i-- {
		st.hooks[i].AfterQuery(ctx, st.ev)
	}
}
