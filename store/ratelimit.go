package store

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/objectos-go/objectos"
)

// RateLimiterOptions configures NewRateLimiter.
type RateLimiterOptions struct {
	// Clock returns the current time. Default time.Now. Replicas should
	// keep their clocks in sync (NTP); a skew of a few milliseconds does
	// not matter for budgets over seconds or minutes.
	Clock func() time.Time
}

// RateLimiter is an objectos.RateLimiter whose budgets live in the
// PostgreSQL database, so every replica behind a load balancer draws from
// the same budgets: N replicas enforce one limit, not N. Each check is one
// statement: the generic cell rate algorithm (one timestamp per key) as an
// upsert with RETURNING on an UNLOGGED table (objectos_rate_limits), which
// is cheap to write and is emptied by a crash, which only forgets budgets.
// Keys whose budget is full again are deleted in small batches now and
// then. Create it with NewRateLimiter.
type RateLimiter struct {
	s       *Store
	clock   func() time.Time
	calls   atomic.Uint64
	purging atomic.Bool
}

var _ objectos.RateLimiter = (*RateLimiter)(nil)

const rateLimitTable = "objectos_rate_limits"

// NewRateLimiter creates the rate-limit table when it is missing and
// returns a limiter on it. The store must be PostgreSQL; on SQLite, which
// one process owns, use objectos.NewMemoryLimiter.
func NewRateLimiter(ctx context.Context, s *Store, opts RateLimiterOptions) (*RateLimiter, error) {
	if !s.d.pg {
		return nil, errors.New("objectos: store: the shared rate limiter needs PostgreSQL; on SQLite use objectos.NewMemoryLimiter")
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	// Two replicas starting together would race on CREATE TABLE IF NOT
	// EXISTS (it is not atomic in PostgreSQL); the advisory lock serializes
	// them.
	tx, err := s.db.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, s.translate(err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	for _, q := range []string{
		"SELECT pg_advisory_xact_lock(7307830917420316511)",
		"CREATE UNLOGGED TABLE IF NOT EXISTS " + rateLimitTable + ` (
	bucket text NOT NULL,
	key text NOT NULL,
	tat bigint NOT NULL,
	allowed boolean NOT NULL,
	PRIMARY KEY (bucket, key)
) WITH (fillfactor = 70)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, s.translate(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, s.translate(err)
	}
	return &RateLimiter{s: s, clock: opts.Clock}, nil
}

// allowSQL is one GCRA step: $3 is now, $4 the cost in time, $5 the
// period (all nanoseconds). Every SET expression sees the old row, so
// allowed and tat are decided on the same state; a denied request keeps
// the old tat.
const allowSQL = `INSERT INTO ` + rateLimitTable + ` AS r (bucket, key, tat, allowed)
VALUES ($1, $2, $3::bigint + $4::bigint, true)
ON CONFLICT (bucket, key) DO UPDATE SET
	allowed = greatest(r.tat, $3::bigint) + $4::bigint - $5::bigint <= $3::bigint,
	tat = CASE WHEN greatest(r.tat, $3::bigint) + $4::bigint - $5::bigint <= $3::bigint
		THEN greatest(r.tat, $3::bigint) + $4::bigint ELSE r.tat END
RETURNING tat, allowed`

// purgeEvery is how many checks pass between purges of full budgets.
const purgeEvery = 1024

// Allow implements objectos.RateLimiter.
func (l *RateLimiter) Allow(ctx context.Context, b objectos.RateBucket, key string, cost int) (objectos.RateDecision, error) {
	if b.Limit <= 0 || b.Period <= 0 {
		return objectos.RateDecision{Allowed: true, Limit: b.Limit}, nil
	}
	cost = max(cost, 1)
	now := l.clock().UnixNano()
	if cost > b.Limit {
		d, _ := b.GCRA(cost, now, 0) // never allowed; no need to ask the database
		return d, nil
	}
	inc := int64(b.Interval()) * int64(cost)
	var tat int64
	var allowed bool
	qctx, ob := l.s.before(ctx, allowSQL)
	err := l.s.db.DB.QueryRowContext(qctx, allowSQL, b.Name, key, now, inc, int64(b.Period)).Scan(&tat, &allowed)
	ob.after(qctx, nil, err)
	if err != nil {
		return objectos.RateDecision{}, l.s.translate(err)
	}
	if allowed {
		tat -= inc // the state before this request, from which GCRA decides alike
	}
	d, _ := b.GCRA(cost, now, tat)
	if l.calls.Add(1)%purgeEvery == 0 {
		l.purge(now)
	}
	return d, nil
}

// purge deletes up to 1,000 keys whose budget is full again (such a key
// is the same as one never seen), in the background; one purge at a time.
func (l *RateLimiter) purge(now int64) {
	if !l.purging.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer l.purging.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// tat is checked again on the deleted rows themselves: a row that a
		// concurrent check moved forward is kept
		_, _ = l.s.db.DB.ExecContext(ctx, `DELETE FROM `+rateLimitTable+` WHERE tat <= $1 AND (bucket, key) IN
	(SELECT bucket, key FROM `+rateLimitTable+` WHERE tat <= $1 LIMIT 1000)`, now)
	}()
}

// Len returns the number of keys the table holds (for tests and
// monitoring).
func (l *RateLimiter) Len(ctx context.Context) (int, error) {
	var n int
	if err := l.s.db.DB.QueryRowContext(ctx, "SELECT count(*) FROM "+rateLimitTable).Scan(&n); err != nil {
		return 0, l.s.translate(err)
	}
	return n, nil
}
