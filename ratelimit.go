package objectos

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Rate is a request budget: Limit requests per Period, refilled evenly over
// the period, so a client may spend the whole budget at once and then one
// more every Period/Limit. A zero Limit means the bucket's default; a
// negative Limit means no limit.
type Rate struct {
	Limit  int
	Period time.Duration
}

// Unlimited is a Rate that never limits.
var Unlimited = Rate{Limit: -1}

// Default rates of the buckets (SPEC §10).
var (
	DefaultAuthRate  = Rate{Limit: 10, Period: time.Minute}
	DefaultReadRate  = Rate{Limit: 600, Period: time.Minute}
	DefaultWriteRate = Rate{Limit: 60, Period: time.Minute}
)

// ParseRate reads a rate such as "600/m", "60/min", "10/s", "5000/h",
// "100/30s" or "1000/1d"; "off" (or "unlimited") is Unlimited.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "off" || s == "unlimited" {
		return Unlimited, nil
	}
	n, per, ok := strings.Cut(s, "/")
	limit, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || limit <= 0 {
		return Rate{}, fmt.Errorf("objectos: rate %q: want requests/period, such as 600/m, or off", s)
	}
	per = strings.TrimSpace(per)
	units := map[string]time.Duration{"s": time.Second, "sec": time.Second, "second": time.Second,
		"m": time.Minute, "min": time.Minute, "minute": time.Minute, "h": time.Hour, "hour": time.Hour,
		"d": 24 * time.Hour, "day": 24 * time.Hour}
	r := Rate{Limit: limit}
	if d, ok := units[per]; ok {
		r.Period = d
	} else if i := strings.IndexFunc(per, func(r rune) bool { return r < '0' || r > '9' }); i > 0 {
		k, err := strconv.Atoi(per[:i])
		d, ok := units[per[i:]]
		if err != nil || !ok || k <= 0 || int64(k) > int64(MaxRatePeriod/d) {
			return Rate{}, fmt.Errorf("objectos: rate %q: the period must be from 1s to 366d, such as 100/30s", s)
		}
		r.Period = time.Duration(k) * d
	} else {
		return Rate{}, fmt.Errorf("objectos: rate %q: unknown period %q (use s, m, h or d, such as 600/m)", s, per)
	}
	if err := r.check(); err != nil {
		return Rate{}, fmt.Errorf("objectos: %w", err)
	}
	return r, nil
}

// Bounds of a Rate: periods up to MaxRatePeriod, and at most one unit of
// budget per MinRateInterval (finer budgets cannot be kept apart).
const (
	MaxRatePeriod   = 366 * 24 * time.Hour
	MinRateInterval = time.Microsecond
)

// check reports a rate outside the bounds (an unlimited or default rate is
// fine).
func (r Rate) check() error {
	if r.Limit <= 0 {
		return nil
	}
	if r.Period <= 0 || r.Period > MaxRatePeriod {
		return fmt.Errorf("rate %s: the period must be more than 0 and at most %s", r, MaxRatePeriod)
	}
	if r.Period/time.Duration(r.Limit) < MinRateInterval {
		return fmt.Errorf("rate %d per %s is finer than one request per %s", r.Limit, r.Period, MinRateInterval)
	}
	return nil
}

// String renders the rate as ParseRate reads it.
func (r Rate) String() string {
	switch {
	case r.Limit < 0:
		return "off"
	case r.Limit == 0:
		return "default"
	}
	for _, u := range []struct {
		d time.Duration
		s string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if r.Period == u.d {
			return fmt.Sprintf("%d/%s", r.Limit, u.s)
		}
		if r.Period%u.d == 0 {
			return fmt.Sprintf("%d/%d%s", r.Limit, r.Period/u.d, u.s)
		}
	}
	return fmt.Sprintf("%d/%s", r.Limit, r.Period)
}

// RateBucket is a named budget: the requests of one key in one bucket draw
// from one budget of Rate. The buckets of the Stack are "auth", "read" and
// "write", and "read:<object>" / "write:<object>" for objects with a rate of
// their own.
type RateBucket struct {
	Name string
	Rate
}

// Bucket names of the Stack's routes.
const (
	// BucketAuth is sign-in, sign-up, social sign-in and password changes,
	// keyed by client IP.
	BucketAuth = "auth"
	// BucketRead is GET and HEAD, keyed by principal (client IP when
	// anonymous).
	BucketRead = "read"
	// BucketWrite is every other method, keyed like BucketRead.
	BucketWrite = "write"
)

// RateDecision is a RateLimiter's answer.
type RateDecision struct {
	// Allowed says whether the request may proceed.
	Allowed bool
	// Limit is the bucket's budget (Rate.Limit).
	Limit int
	// Remaining is what is left of the budget after this request.
	Remaining int
	// Reset is how long until the whole budget is available again.
	Reset time.Duration
	// RetryAfter is, for a denied request, how long until the same request
	// would be allowed.
	RetryAfter time.Duration
}

// RateLimiter keeps the budgets of rate limits. Allow takes cost from the
// budget of key in bucket and says whether that was possible; a denied
// request takes nothing. An error (its store is unreachable) denies the
// request with 503 SERVICE_UNAVAILABLE. Implementations must be safe for
// concurrent use. The Stack's default is NewMemoryLimiter; the store
// package has one on PostgreSQL that several replicas share.
type RateLimiter interface {
	Allow(ctx context.Context, bucket RateBucket, key string, cost int) (RateDecision, error)
}

// RateLimits configures the Stack's rate limits. The zero value applies the
// default rates with a private in-memory limiter.
//
// Every route is in one bucket: the auth plugin's sign-in, sign-up, social
// sign-in and password change are in "auth" (per client IP); every other
// GET or HEAD is in "read" and every other method in "write", per principal
// (per client IP when anonymous). /health and /ready are not limited, nor
// CORS preflights. A limited route's responses carry RateLimit-Limit,
// RateLimit-Remaining and RateLimit-Reset (seconds until the budget is
// full); a denied request is 429 RATE_LIMIT_EXCEEDED with Retry-After.
type RateLimits struct {
	// Disabled turns rate limiting off.
	Disabled bool
	// Limiter keeps the budgets. Default: a NewMemoryLimiter on the Stack's
	// clock, private to the Stack. Replicas behind one load balancer share a limit
	// only through a shared limiter, such as the store package's PostgreSQL one.
	Limiter RateLimiter
	// Auth is the budget of each client IP on the auth routes. Default
	// DefaultAuthRate (10/min).
	Auth Rate
	// Read is the budget of each principal (or anonymous client IP) for
	// reads. Default DefaultReadRate (600/min).
	Read Rate
	// Write is the budget of each principal (or anonymous client IP) for
	// writes. Default DefaultWriteRate (60/min).
	Write Rate
	// Objects gives objects budgets of their own, apart from Read and Write,
	// for the routes that name them (/data/{object}/…, /actions/{object}/…).
	// A zero Rate there means the object shares the common bucket.
	Objects map[string]ObjectRates
}

// ObjectRates are the read and write budgets of one object.
type ObjectRates struct {
	Read, Write Rate
}

// limits is a validated RateLimits.
type limits struct {
	limiter           RateLimiter
	auth, read, write RateBucket
	objects           map[string]objectBuckets
}

type objectBuckets struct{ read, write *RateBucket }

func withDefault(r, def Rate) Rate {
	if r.Limit == 0 {
		return def
	}
	if r.Limit > 0 && r.Period <= 0 {
		r.Period = time.Minute
	}
	return r
}

func newLimits(c RateLimits, objects map[string]*Object, clock func() time.Time) (*limits, error) {
	if c.Disabled {
		return nil, nil
	}
	l := &limits{
		limiter: c.Limiter,
		auth:    RateBucket{Name: BucketAuth, Rate: withDefault(c.Auth, DefaultAuthRate)},
		read:    RateBucket{Name: BucketRead, Rate: withDefault(c.Read, DefaultReadRate)},
		write:   RateBucket{Name: BucketWrite, Rate: withDefault(c.Write, DefaultWriteRate)},
		objects: map[string]objectBuckets{},
	}
	for _, b := range []*RateBucket{&l.auth, &l.read, &l.write} {
		if err := b.check(); err != nil {
			return nil, fmt.Errorf("objectos: RateLimits: %s: %w", b.Name, err)
		}
	}
	for name, or := range c.Objects {
		if objects[name] == nil {
			return nil, fmt.Errorf("objectos: RateLimits.Objects: unknown object %q", name)
		}
		var ob objectBuckets
		if or.Read.Limit != 0 {
			ob.read = &RateBucket{Name: BucketRead + ":" + name, Rate: withDefault(or.Read, DefaultReadRate)}
		}
		if or.Write.Limit != 0 {
			ob.write = &RateBucket{Name: BucketWrite + ":" + name, Rate: withDefault(or.Write, DefaultWriteRate)}
		}
		for _, b := range []*RateBucket{ob.read, ob.write} {
			if b != nil {
				if err := b.check(); err != nil {
					return nil, fmt.Errorf("objectos: RateLimits.Objects[%q]: %w", name, err)
				}
			}
		}
		l.objects[name] = ob
	}
	if l.limiter == nil {
		l.limiter = NewMemoryLimiter(MemoryLimiterOptions{Clock: clock})
	}
	return l, nil
}

// bucket picks the bucket of a request on a route whose bucket is name
// ("" = by method).
func (l *limits) bucket(name string, r *http.Request) *RateBucket {
	if name == BucketAuth {
		return &l.auth
	}
	write := name == BucketWrite || name == "" && r.Method != http.MethodGet && r.Method != http.MethodHead
	if ob := l.objectBucket(r.PathValue("object"), write); ob != nil {
		return ob
	}
	if write {
		return &l.write
	}
	return &l.read
}

// objectBucket is the object's own read or write bucket, or nil.
func (l *limits) objectBucket(object string, write bool) *RateBucket {
	ob, ok := l.objects[object]
	switch {
	case !ok:
		return nil
	case write:
		return ob.write
	}
	return ob.read
}

// limit wraps a route's handler with its rate limit: it identifies the
// caller (client IP, and the principal for per-principal buckets, kept for
// the handler in the request's state), takes one unit from the budget, sets
// the RateLimit-* headers, and answers 429 when the budget is spent.
func (s *Stack) limit(rt route, h http.Handler) http.Handler {
	if s.limits == nil || rt.opts.bucket == bucketNone {
		return h
	}
	fail := rt.opts.fail
	if fail == nil {
		fail = s.WriteError
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := s.limits.bucket(rt.opts.bucket, r)
		if b.Limit < 0 {
			h.ServeHTTP(w, r)
			return
		}
		st := stateOf(r.Context())
		if st == nil { // a handler reached without Stack.ServeHTTP
			r = r.WithContext(context.WithValue(r.Context(), requestIDKey, &requestState{}))
			st = stateOf(r.Context())
		}
		if err := s.charge(w, r, st, b, b.Name != BucketAuth && !rt.opts.byAddress); err != nil {
			fail(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// charge takes one unit from the caller's budget in b and sets the
// RateLimit-* headers; a spent budget is RATE_LIMIT_EXCEEDED (with
// Retry-After set), a failing limiter SERVICE_UNAVAILABLE. byPrincipal
// keys the budget by the authenticated principal (authenticating once per
// request, for the handler too), else by the client address.
func (s *Stack) charge(w http.ResponseWriter, r *http.Request, st *requestState, b *RateBucket, byPrincipal bool) error {
	if !st.ipDone {
		st.ip, st.ipDone = s.clientIP(r), true
	}
	if byPrincipal && !st.authDone {
		st.principal, st.authErr = s.authenticate(r)
		st.authDone = true
	}
	d, err := s.take(r.Context(), st, b, byPrincipal)
	if err != nil {
		w.Header().Set("Retry-After", "1")
		return err
	}
	setRateHeaders(w.Header(), d)
	if !d.Allowed {
		w.Header().Set("Retry-After", strconv.FormatInt(retryAfter(d), 10))
		return rateLimited(d)
	}
	return nil
}

// take takes one unit from the budget in b of the request's caller: its
// principal when byPrincipal and it has one, else its address.
func (s *Stack) take(ctx context.Context, st *requestState, b *RateBucket, byPrincipal bool) (RateDecision, error) {
	key := ""
	if byPrincipal && st.principal != nil && st.principal.UserID != "" {
		key = "user:" + st.principal.UserID
	}
	if key == "" {
		key = ipKey(st.ip)
	}
	d, err := s.limits.limiter.Allow(ctx, *b, key, 1)
	if err != nil {
		return d, NewError(CodeServiceUnavailable, "The rate limiter is unavailable; try again shortly.").
			WithCause(fmt.Errorf("rate limiter: %w", err))
	}
	return d, nil
}

func retryAfter(d RateDecision) int64 { return max(ceilSeconds(d.RetryAfter), 1) }

func rateLimited(d RateDecision) error {
	retry := retryAfter(d)
	return Errorf(CodeRateLimitExceeded, "Too many requests; try again in %d seconds.", retry).With("retryAfter", retry)
}

// Charge takes one operation from the caller's read or write budget — the
// object's own when RateLimits.Objects gives it one, else the common one —
// for surfaces that carry several operations in one HTTP request (the tool
// calls of MCP): RATE_LIMIT_EXCEEDED when it is spent. ctx must be the
// context of a request on a rate-limited route of the Stack (its caller was
// identified there); anywhere else, and without rate limits, it charges
// nothing.
func (s *Stack) Charge(ctx context.Context, access Access, object string) error {
	st := stateOf(ctx)
	if s.limits == nil || st == nil || !st.ipDone {
		return nil
	}
	write := access != AccessRead
	b := s.limits.objectBucket(object, write)
	if b == nil {
		b = &s.limits.read
		if write {
			b = &s.limits.write
		}
	}
	if b.Limit < 0 {
		return nil
	}
	d, err := s.take(ctx, st, b, true)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return rateLimited(d)
	}
	return nil
}

// ChargeObjects takes one request from the own budget (RateLimits.Objects)
// of each object named, for routes whose objects are in the body rather
// than the path (POST /batch); the route's bucket was charged already, so
// objects without a budget of their own cost nothing here. It returns
// RATE_LIMIT_EXCEEDED (with the RateLimit-* headers and Retry-After set on
// w) when one is spent, for the route to answer in its envelope.
func (s *Stack) ChargeObjects(w http.ResponseWriter, r *http.Request, access Access, objects ...string) error {
	if s.limits == nil {
		return nil
	}
	st := stateOf(r.Context())
	if st == nil {
		st = &requestState{}
	}
	seen := map[string]bool{}
	for _, o := range objects {
		if seen[o] {
			continue
		}
		seen[o] = true
		b := s.limits.objectBucket(o, access != AccessRead)
		if b == nil || b.Limit < 0 {
			continue
		}
		if err := s.charge(w, r, st, b, true); err != nil {
			return err
		}
	}
	return nil
}

// setRateHeaders sets RateLimit-Limit, -Remaining and -Reset with two
// allocations: the three numbers are formatted into one string that the
// three values slice, and one array backs the three header slices (each
// capped, so an Add elsewhere copies instead of overwriting a neighbour).
func setRateHeaders(h http.Header, d RateDecision) {
	var buf [64]byte
	b := strconv.AppendInt(buf[:0], int64(d.Limit), 10)
	i := len(b)
	b = strconv.AppendInt(b, int64(max(d.Remaining, 0)), 10)
	j := len(b)
	b = strconv.AppendInt(b, ceilSeconds(d.Reset), 10)
	all := string(b)
	vals := &[3]string{all[:i], all[i:j], all[j:]}
	h["Ratelimit-Limit"] = vals[0:1:1] // the canonical forms of the names
	h["Ratelimit-Remaining"] = vals[1:2:2]
	h["Ratelimit-Reset"] = vals[2:3:3]
}

func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
