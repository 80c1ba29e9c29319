package objectostest

import (
	"sync"
	"time"
)

// Clock is a settable clock, safe for concurrent use. An Env's Stack and
// plugins read it (session and key expiry, last use, lockouts, rate limit
// buckets, created_at and updated_at), and it stands still until the test
// moves it, so times in answers are known in advance.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at 2026-07-28 12:00:00 UTC.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC)} }

// Now returns the clock's time. Pass it where a clock function is taken
// (objectos.Options.Clock, store.RateLimiterOptions.Clock).
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
