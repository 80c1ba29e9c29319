package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

type hookKey struct{}

// hooked is what a recordingHook saw of one statement.
type hooked struct {
	query, template string
	args            []any
	err             error
	// sameCtx: AfterQuery got the context BeforeQuery returned.
	sameCtx bool
	db      *bun.DB
}

// recordingHook records the statements it observes.
type recordingHook struct {
	mu   sync.Mutex
	seen []hooked
	n    int
}

func (h *recordingHook) BeforeQuery(ctx context.Context, ev *bun.QueryEvent) context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n++
	return context.WithValue(ctx, hookKey{}, ev)
}

func (h *recordingHook) AfterQuery(ctx context.Context, ev *bun.QueryEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen = append(h.seen, hooked{query: ev.Query, template: ev.QueryTemplate, args: ev.QueryArgs, err: ev.Err,
		sameCtx: ctx.Value(hookKey{}) == ev, db: ev.DB})
}

// take returns the statements seen since the last call.
func (h *recordingHook) take() []hooked {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.seen
	h.seen = nil
	return out
}

func queries(hs []hooked) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.query)
	}
	return out
}

// TestQueryHook: a hook added with AddQueryHook sees the data statements,
// the transactions' BEGIN, COMMIT and ROLLBACK and the savepoints, with
// their SQL and placeholders and never a bound value; AfterQuery gets the
// context BeforeQuery returned.
func TestQueryHook(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s, err := objectos.New(ctx, objectos.Options{Artifact: refArtifact(), Store: st})
		require.NoError(t, err)
		h := &recordingHook{}
		st.AddQueryHook(h)
		sys := objectos.AsSystem(ctx)
		const secret = "Sekrit-Value-7Hq2Lp9Zx"
		placeholder := "?"
		if st.Dialect() == "pg" {
			placeholder = "$1"
		}

		var created *objectos.Result
		err = s.Transact(sys, func(ctx context.Context) error {
			created, err = s.Create(ctx, "parent", objectos.Record{"name": secret})
			return err
		})
		require.NoError(t, err)
		seen := h.take()
		qs := queries(seen)
		require.Len(t, qs, 3, "%q", qs)
		assert.Equal(t, "BEGIN", qs[0])
		assert.True(t, strings.HasPrefix(qs[1], `INSERT INTO "parent"`), "%q", qs)
		assert.Contains(t, qs[1], placeholder)
		assert.Equal(t, "COMMIT", qs[2])

		_, err = s.List(sys, "parent", objectos.Query{Filter: objectos.Where("name", objectos.OpEq, secret)})
		require.NoError(t, err)
		list := h.take()
		require.NotEmpty(t, list)
		assert.Contains(t, list[0].query, `FROM "parent" WHERE`)
		assert.Contains(t, list[0].query, placeholder)
		seen = append(seen, list...)

		// A failed transaction rolls back; a failed statement reports its error.
		err = s.Transact(sys, func(ctx context.Context) error {
			_, err := s.Create(ctx, "parent", objectos.Record{"id": created.ID, "name": secret})
			return err
		})
		require.Error(t, err)
		failed := h.take()
		qs = queries(failed)
		assert.Equal(t, "ROLLBACK", qs[len(qs)-1], "%q", qs)
		var insertErr error
		for _, f := range failed {
			if strings.HasPrefix(f.query, "INSERT") {
				insertErr = f.err
			}
		}
		assert.Error(t, insertErr, "the refused INSERT reports its error to the hook")
		seen = append(seen, failed...)

		// The application's transaction: each write runs in a savepoint.
		tx, err := st.DB().BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = s.Create(st.WithTx(sys, tx), "parent", objectos.Record{"name": secret})
		require.NoError(t, err)
		require.NoError(t, tx.Rollback())
		inTx := h.take()
		qs = queries(inTx)
		require.Len(t, qs, 3, "%q", qs)
		assert.Equal(t, "SAVEPOINT os_sp_1", qs[0])
		assert.Equal(t, "RELEASE SAVEPOINT os_sp_1", qs[2])
		seen = append(seen, inTx...)

		require.NoError(t, st.Ping(ctx))
		assert.Equal(t, []string{"SELECT 1"}, queries(h.take()))

		if st.Dialect() == "pg" { // the shared rate limiter, on the request path
			l, err := store.NewRateLimiter(ctx, st, store.RateLimiterOptions{})
			require.NoError(t, err)
			h.take() // whatever creating its table ran
			_, err = l.Allow(ctx, objectos.RateBucket{Name: "write", Rate: objectos.Rate{Limit: 60, Period: time.Minute}}, "user:"+secret, 1)
			require.NoError(t, err)
			limited := h.take()
			require.Len(t, limited, 1)
			assert.True(t, strings.HasPrefix(limited[0].query, "INSERT INTO objectos_rate_limits"), limited[0].query)
			seen = append(seen, limited...)
		}

		for _, q := range seen {
			assert.Equal(t, q.query, q.template)
			assert.Nil(t, q.args, "no hook sees a bound value")
			assert.NotContains(t, q.query, secret)
			assert.True(t, q.sameCtx, "AfterQuery gets BeforeQuery's context: %s", q.query)
			assert.Same(t, st.DB(), q.db)
		}
		h.mu.Lock()
		assert.Equal(t, h.n, len(seen)+1, "every BeforeQuery has its AfterQuery")
		h.mu.Unlock()
	})
}
