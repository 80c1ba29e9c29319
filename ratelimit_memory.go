package objectos

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// DefaultMemoryLimiterKeys bounds the keys a MemoryLimiter keeps unless
// MemoryLimiterOptions.MaxKeys says otherwise.
const DefaultMemoryLimiterKeys = 100_000

// MemoryLimiterOptions configures NewMemoryLimiter.
type MemoryLimiterOptions struct {
	// MaxKeys bounds the (bucket, key) pairs kept. Default
	// DefaultMemoryLimiterKeys. About 100 bytes each.
	MaxKeys int
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
}

// MemoryLimiter is a RateLimiter that keeps its budgets in the memory of
// one process: the generic cell rate algorithm (GCRA, a token bucket kept
// as one timestamp per key), in shards with a lock each, so concurrent
// requests rarely wait on one another. Its memory is bounded: a key whose
// budget is full again is forgotten (it is then the same as a key never
// seen), and when a shard is full a new key evicts one of a few sampled
// keys, preferring the one closest to a full budget, so a flood of
// distinct keys cannot grow it. Create it with NewMemoryLimiter.
type MemoryLimiter struct {
	seed    maphash.Seed
	shards  []limiterShard
	perShrd int
	clock   func() time.Time
	epoch   time.Time
}

type limiterKey struct{ bucket, key string }

type limiterShard struct {
	mu  sync.Mutex
	tat map[limiterKey]int64 // theoretical arrival time, ns since epoch
	_   [48]byte             // keep shards on their own cache lines
}

const limiterShards = 64

var _ RateLimiter = (*MemoryLimiter)(nil)

// NewMemoryLimiter returns an in-memory RateLimiter.
func NewMemoryLimiter(opts MemoryLimiterOptions) *MemoryLimiter {
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = DefaultMemoryLimiterKeys
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	m := &MemoryLimiter{
		seed:    maphash.MakeSeed(),
		shards:  make([]limiterShard, limiterShards),
		perShrd: max(1, opts.MaxKeys/limiterShards),
		clock:   opts.Clock,
	}
	m.epoch = m.clock()
	for i := range m.shards {
		m.shards[i].tat = map[limiterKey]int64{}
	}
	return m
}

// Len returns the number of keys kept.
func (m *MemoryLimiter) Len() int {
	n := 0
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		n += len(sh.tat)
		sh.mu.Unlock()
	}
	return n
}

// Allow implements RateLimiter. It never fails.
func (m *MemoryLimiter) Allow(_ context.Context, b RateBucket, key string, cost int) (RateDecision, error) {
	if b.Limit <= 0 || b.Period <= 0 {
		return RateDecision{Allowed: true, Limit: b.Limit}, nil
	}
	now := int64(m.clock().Sub(m.epoch))
	k := limiterKey{b.Name, key}
	sh := &m.shards[maphash.Comparable(m.seed, k)%limiterShards]
	sh.mu.Lock()
	tat, seen := sh.tat[k]
	d, newTAT := b.GCRA(cost, now, tat)
	if d.Allowed {
		if !seen && len(sh.tat) >= m.perShrd {
			sh.evict(now)
		}
		sh.tat[k] = newTAT
	}
	sh.mu.Unlock()
	return d, nil
}

// evict makes room for one key: among a few keys (map order is random) it
// drops those whose budget is full again, or else the one nearest to full.
func (sh *limiterShard) evict(now int64) {
	const sample = 8
	var victim limiterKey
	best, n, dropped := int64(0), 0, false
	for k, tat := range sh.tat {
		if tat <= now {
			delete(sh.tat, k)
			dropped = true
		} else if n == 0 || tat < best {
			victim, best = k, tat
		}
		if n++; n >= sample {
			break
		}
	}
	if !dropped {
		delete(sh.tat, victim)
	}
}

// Interval is how long one unit of the budget takes to come back:
// Period/Limit (at least a nanosecond). It is zero for a rate without a
// limit.
func (r Rate) Interval() time.Duration {
	if r.Limit <= 0 || r.Period <= 0 {
		return 0
	}
	return max(r.Period/time.Duration(r.Limit), 1)
}

// GCRA is one step of the generic cell rate algorithm, for RateLimiter
// implementations: tat is the key's theoretical arrival time (0 or any time
// in the past for a full budget) and now the current time, both in
// nanoseconds on one clock. It returns the decision for a request of cost
// units and the key's new tat (tat itself when denied). A limiter that runs
// the step elsewhere (in SQL, say) can rebuild the decision from its
// outcome: GCRA(cost, now, newTAT - cost*Interval) when it was allowed,
// GCRA(cost, now, tat) when not.
func (r Rate) GCRA(cost int, now, tat int64) (RateDecision, int64) {
	period := int64(r.Period)
	interval := int64(r.Interval())
	cost = max(cost, 1)
	inc := interval * int64(cost)
	base := max(tat, now)
	next := base + inc
	d := RateDecision{Limit: r.Limit}
	if cost > r.Limit || next-period > now {
		// denied: the budget comes back one interval at a time
		d.RetryAfter = time.Duration(next - period - now)
		if cost > r.Limit {
			d.RetryAfter = r.Period
		}
		d.Remaining = int((period - (base - now)) / interval)
		d.Reset = time.Duration(base - now)
		return d, tat
	}
	d.Allowed = true
	d.Remaining = int((period - (next - now)) / interval)
	d.Reset = time.Duration(next - now)
	return d, next
}
