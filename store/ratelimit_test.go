package store_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/store"
)

func openPG(t *testing.T, dsn string) *store.Store {
	t.Helper()
	st, err := store.OpenPostgres(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

func TestPostgresRateLimiter(t *testing.T) {
	dsn := testenv.Schema(t)
	ctx := context.Background()
	c := testenv.NewClock()
	l, err := store.NewRateLimiter(ctx, openPG(t, dsn), store.RateLimiterOptions{Clock: c.Now})
	require.NoError(t, err)
	b := objectos.RateBucket{Name: "write", Rate: objectos.Rate{Limit: 60, Period: time.Minute}}

	for i := range 60 {
		d, err := l.Allow(ctx, b, "user:a", 1)
		require.NoError(t, err)
		require.True(t, d.Allowed, "request %d", i+1)
		assert.Equal(t, 59-i, d.Remaining)
		assert.Equal(t, time.Duration(i+1)*time.Second, d.Reset)
	}
	d, err := l.Allow(ctx, b, "user:a", 1)
	require.NoError(t, err)
	assert.False(t, d.Allowed)
	assert.Equal(t, time.Second, d.RetryAfter)
	assert.Equal(t, 0, d.Remaining)
	assert.Equal(t, time.Minute, d.Reset)
	d, _ = l.Allow(ctx, b, "user:a", 1)
	assert.False(t, d.Allowed, "a denied request took nothing, and still is denied")
	assert.Equal(t, time.Second, d.RetryAfter)

	d, _ = l.Allow(ctx, objectos.RateBucket{Name: "read", Rate: b.Rate}, "user:a", 1)
	assert.True(t, d.Allowed, "another bucket")
	c.Advance(time.Second)
	d, _ = l.Allow(ctx, b, "user:a", 1)
	assert.True(t, d.Allowed, "one unit came back")
	d, _ = l.Allow(ctx, b, "user:a", 1)
	assert.False(t, d.Allowed)
	c.Advance(time.Hour)
	d, _ = l.Allow(ctx, b, "user:a", 10)
	assert.True(t, d.Allowed)
	assert.Equal(t, 50, d.Remaining, "an idle hour refills the budget, not beyond it")
	d, _ = l.Allow(ctx, b, "user:a", 61)
	assert.False(t, d.Allowed, "a cost above the budget")

	// a second limiter on the same database (another replica, which also
	// runs the table's creation again) shares the budgets
	other, err := store.NewRateLimiter(ctx, openPG(t, dsn), store.RateLimiterOptions{Clock: c.Now})
	require.NoError(t, err)
	d, _ = other.Allow(ctx, b, "user:a", 1)
	assert.True(t, d.Allowed)
	assert.Equal(t, 49, d.Remaining)

	n, err := l.Len(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
}

func TestPostgresRateLimiterConcurrent(t *testing.T) {
	dsn := testenv.Schema(t)
	ctx := context.Background()
	replicas := make([]*store.RateLimiter, 2)
	for i := range replicas {
		l, err := store.NewRateLimiter(ctx, openPG(t, dsn), store.RateLimiterOptions{})
		require.NoError(t, err)
		replicas[i] = l
	}
	b := objectos.RateBucket{Name: "write", Rate: objectos.Rate{Limit: 100, Period: time.Hour}}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				d, err := replicas[g%2].Allow(ctx, b, "user:shared", 1)
				if !assert.NoError(t, err) {
					return
				}
				if d.Allowed {
					allowed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 100, allowed.Load(), "200 concurrent requests through two replicas: exactly the budget")
}

func TestPostgresRateLimiterPurgesFullBudgets(t *testing.T) {
	dsn := testenv.Schema(t)
	ctx := context.Background()
	c := testenv.NewClock()
	l, err := store.NewRateLimiter(ctx, openPG(t, dsn), store.RateLimiterOptions{Clock: c.Now})
	require.NoError(t, err)
	b := objectos.RateBucket{Name: "read", Rate: objectos.Rate{Limit: 10, Period: time.Second}}
	for i := range 1023 {
		_, err := l.Allow(ctx, b, "ip:"+string(rune('a'+i%26))+time.Duration(i).String(), 1)
		require.NoError(t, err)
	}
	c.Advance(time.Minute) // every budget is full again
	_, err = l.Allow(ctx, b, "ip:trigger", 1)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		n, err := l.Len(ctx)
		return err == nil && n <= 24 // 1,024 keys, at most 1,000 purged per run (plus the live one)
	}, 10*time.Second, 20*time.Millisecond)
}

func TestRateLimiterNeedsPostgres(t *testing.T) {
	st := testenv.Open(t, testenv.SQLite)
	_, err := store.NewRateLimiter(context.Background(), st, store.RateLimiterOptions{})
	assert.ErrorContains(t, err, "needs PostgreSQL")
}

// Two Stacks on one PostgreSQL database, as two replicas behind a load
// balancer: with the shared limiter, a principal's budget is one budget,
// whichever replica answers.
func TestTwoStacksShareOneBudget(t *testing.T) {
	dsn := testenv.Schema(t)
	ctx := context.Background()
	artifact := &objectos.Artifact{Name: "t", Objects: []*objectos.Object{{Name: "thing",
		Fields: []*objectos.Field{{Name: "label", Type: objectos.TypeText}}}}}
	auth := objectos.AuthFunc(func(r *http.Request) (*objectos.Principal, error) {
		return &objectos.Principal{UserID: r.Header.Get("X-Test-User"), Method: objectos.AuthCustom}, nil
	})
	var stacks []*objectos.Stack
	for range 2 {
		st := openPG(t, dsn)
		l, err := store.NewRateLimiter(ctx, st, store.RateLimiterOptions{})
		require.NoError(t, err)
		s, err := objectos.New(ctx, objectos.Options{Artifact: artifact, Store: st,
			Plugins:    []objectos.Plugin{rest.New(rest.Options{}), auth},
			RateLimits: objectos.RateLimits{Limiter: l, Read: objectos.Rate{Limit: 5, Period: time.Hour}}})
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		stacks = append(stacks, s)
	}
	get := func(s *objectos.Stack, user string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/api/v1/data/thing", nil)
		req.Header.Set("X-Test-User", user)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	for i := range 5 {
		rec := get(stacks[i%2], "u1")
		require.Equal(t, http.StatusOK, rec.Code, "request %d", i+1)
	}
	for _, s := range stacks {
		rec := get(s, "u1")
		assert.Equal(t, http.StatusTooManyRequests, rec.Code, "the budget is spent on both replicas")
		assert.Equal(t, "0", rec.Header().Get("RateLimit-Remaining"))
		assert.NotEmpty(t, rec.Header().Get("Retry-After"))
	}
	assert.Equal(t, http.StatusOK, get(stacks[1], "u2").Code, "another principal")
}

// BenchmarkRateLimiter is one check of the PostgreSQL limiter (one upsert)
// next to a ping (two round trips) on the same connection pool.
func BenchmarkRateLimiter(b *testing.B) {
	st := testenv.Open(b, testenv.Postgres)
	l, err := store.NewRateLimiter(context.Background(), st, store.RateLimiterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	bk := objectos.RateBucket{Name: "read", Rate: objectos.Rate{Limit: 1 << 30, Period: objectos.MaxRatePeriod}}
	b.Run("allow", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := l.Allow(context.Background(), bk, "user:x", 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ping", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := st.Ping(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
