package objectos_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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

func TestParseRate(t *testing.T) {
	for in, want := range map[string]objectos.Rate{
		"600/m":     {Limit: 600, Period: time.Minute},
		"60/min":    {Limit: 60, Period: time.Minute},
		" 10 / s ":  {Limit: 10, Period: time.Second},
		"5000/h":    {Limit: 5000, Period: time.Hour},
		"100/30s":   {Limit: 100, Period: 30 * time.Second},
		"1000/1d":   {Limit: 1000, Period: 24 * time.Hour},
		"7/Minute":  {Limit: 7, Period: time.Minute},
		"off":       objectos.Unlimited,
		"Unlimited": objectos.Unlimited,
	} {
		got, err := objectos.ParseRate(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "600", "0/m", "-5/m", "x/m", "10/fortnight", "10/0s", "10/", "/m", "10/-1s",
		"1/200000d", "1/2562048h", "1/9999999999999h", "1/367d", "2000000/1s"} {
		_, err := objectos.ParseRate(in)
		assert.Error(t, err, in)
	}
	assert.Equal(t, "600/m", objectos.Rate{Limit: 600, Period: time.Minute}.String())
	assert.Equal(t, "100/30s", objectos.Rate{Limit: 100, Period: 30 * time.Second}.String())
	assert.Equal(t, "off", objectos.Unlimited.String())
}

func TestMemoryLimiterBudgetAndRefill(t *testing.T) {
	c := newClock()
	l := objectos.NewMemoryLimiter(objectos.MemoryLimiterOptions{Clock: c.Now})
	ctx := context.Background()
	b := objectos.RateBucket{Name: "write", Rate: objectos.Rate{Limit: 60, Period: time.Minute}}

	for i := range 60 {
		d, err := l.Allow(ctx, b, "user:a", 1)
		require.NoError(t, err)
		require.True(t, d.Allowed, "request %d of the budget", i+1)
		assert.Equal(t, 60, d.Limit)
		assert.Equal(t, 59-i, d.Remaining)
		assert.Equal(t, time.Duration(i+1)*time.Second, d.Reset, "the budget is full again after the spent seconds")
	}
	d, _ := l.Allow(ctx, b, "user:a", 1)
	assert.False(t, d.Allowed, "the 61st request in the same instant")
	assert.Equal(t, 0, d.Remaining)
	assert.Equal(t, time.Second, d.RetryAfter, "one unit comes back per second")
	assert.Equal(t, time.Minute, d.Reset)

	// another key, and the same key in another bucket, have budgets of their own
	d, _ = l.Allow(ctx, b, "user:b", 1)
	assert.True(t, d.Allowed)
	d, _ = l.Allow(ctx, objectos.RateBucket{Name: "read", Rate: b.Rate}, "user:a", 1)
	assert.True(t, d.Allowed)

	c.Advance(999 * time.Millisecond)
	d, _ = l.Allow(ctx, b, "user:a", 1)
	assert.False(t, d.Allowed, "not yet")
	assert.Equal(t, time.Millisecond, d.RetryAfter)
	c.Advance(time.Millisecond)
	d, _ = l.Allow(ctx, b, "user:a", 1)
	assert.True(t, d.Allowed, "one unit came back")
	assert.Equal(t, 0, d.Remaining)
	d, _ = l.Allow(ctx, b, "user:a", 1)
	assert.False(t, d.Allowed)

	c.Advance(10 * time.Second)
	for range 10 {
		d, _ = l.Allow(ctx, b, "user:a", 1)
		require.True(t, d.Allowed)
	}
	d, _ = l.Allow(ctx, b, "user:a", 1)
	assert.False(t, d.Allowed, "ten seconds refill ten units, no more")

	c.Advance(time.Hour)
	d, _ = l.Allow(ctx, b, "user:a", 5)
	assert.True(t, d.Allowed, "a cost of 5")
	assert.Equal(t, 55, d.Remaining, "an idle hour refills the budget, not beyond it")
	d, _ = l.Allow(ctx, b, "user:a", 61)
	assert.False(t, d.Allowed, "a cost above the budget is never allowed")
}

func TestMemoryLimiterStaysBounded(t *testing.T) {
	c := newClock()
	l := objectos.NewMemoryLimiter(objectos.MemoryLimiterOptions{Clock: c.Now})
	ctx := context.Background()
	b := objectos.RateBucket{Name: "read", Rate: objectos.Rate{Limit: 600, Period: time.Minute}}
	for i := range 1_000_000 {
		_, _ = l.Allow(ctx, b, "ip:"+strconv.Itoa(i), 1)
		if i%1000 == 0 {
			c.Advance(time.Millisecond)
		}
	}
	assert.LessOrEqual(t, l.Len(), objectos.DefaultMemoryLimiterKeys, "a flood of distinct keys")
	assert.Greater(t, l.Len(), objectos.DefaultMemoryLimiterKeys/2, "it keeps what it may")

	// a key that has spent its budget survives a flood of one-off keys:
	// eviction drops the budgets closest to full
	small := objectos.NewMemoryLimiter(objectos.MemoryLimiterOptions{Clock: c.Now, MaxKeys: 64 * 4})
	hot := objectos.RateBucket{Name: "auth", Rate: objectos.Rate{Limit: 3, Period: time.Minute}}
	for range 3 {
		_, _ = small.Allow(ctx, hot, "ip:attacker", 1)
	}
	for i := range 20_000 {
		_, _ = small.Allow(ctx, hot, "ip:"+strconv.Itoa(i), 1)
	}
	assert.LessOrEqual(t, small.Len(), 64*4)
	d, _ := small.Allow(ctx, hot, "ip:attacker", 1)
	assert.False(t, d.Allowed, "the flood did not reset the spent budget")
}

func TestMemoryLimiterConcurrent(t *testing.T) {
	l := objectos.NewMemoryLimiter(objectos.MemoryLimiterOptions{})
	b := objectos.RateBucket{Name: "write", Rate: objectos.Rate{Limit: 500, Period: time.Hour}}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				key := "user:shared"
				if i%2 == 1 {
					key = fmt.Sprintf("user:%d-%d", g, i)
				}
				d, err := l.Allow(context.Background(), b, key, 1)
				if err == nil && d.Allowed && key == "user:shared" {
					allowed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 500, allowed.Load(), "800 concurrent requests of one key: exactly the budget is allowed")
}

// limitedServer is a Stack with the REST plugin and X-Test-User
// authentication, whose rate limits the test sets.
func limitedServer(t *testing.T, st objectos.Store, limits objectos.RateLimits, mod ...func(*objectos.Options)) *objectos.Stack {
	t.Helper()
	auth := objectos.AuthFunc(func(r *http.Request) (*objectos.Principal, error) {
		switch u := r.Header.Get("X-Test-User"); u {
		case "":
			return nil, objectos.ErrNoCredentials
		case "!bad":
			return nil, objectos.NewError(objectos.CodeInvalidToken, "The token is not valid.")
		default:
			return &objectos.Principal{UserID: u, Method: objectos.AuthCustom}, nil
		}
	})
	return newStack(t, st, crmArtifact(), append([]func(*objectos.Options){func(o *objectos.Options) {
		o.Plugins = []objectos.Plugin{rest.New(rest.Options{}), auth}
		o.RateLimits = limits
	}}, mod...)...)
}

type call struct {
	method, path, user, ip string
	hdr                    map[string]string
}

func (c call) do(t *testing.T, h http.Handler) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(c.method, c.path, nil)
	if c.method == http.MethodPost {
		req = httptest.NewRequest(c.method, c.path, strings.NewReader(`{"name":"Acme"}`))
		req.Header.Set("Content-Type", "application/json")
	}
	if c.user != "" {
		req.Header.Set("X-Test-User", c.user)
	}
	if c.ip != "" {
		req.RemoteAddr = c.ip + ":4711"
	}
	for k, v := range c.hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRateLimitsOverHTTP(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		c := newClock()
		h := limitedServer(t, st, objectos.RateLimits{
			Limiter: objectos.NewMemoryLimiter(objectos.MemoryLimiterOptions{Clock: c.Now}),
			Read:    objectos.Rate{Limit: 3, Period: time.Minute},
			Write:   objectos.Rate{Limit: 2, Period: time.Minute},
		})
		list := call{method: "GET", path: "/api/v1/data/account", user: "u1", ip: "198.51.100.1"}
		for i := range 3 {
			rec := list.do(t, h)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.Equal(t, "3", rec.Header().Get("RateLimit-Limit"))
			assert.Equal(t, strconv.Itoa(2-i), rec.Header().Get("RateLimit-Remaining"))
			assert.Equal(t, strconv.Itoa((i+1)*20), rec.Header().Get("RateLimit-Reset"))
		}
		rec := list.do(t, h)
		require.Equal(t, http.StatusTooManyRequests, rec.Code)
		assert.Equal(t, "20", rec.Header().Get("Retry-After"))
		assert.Equal(t, "0", rec.Header().Get("RateLimit-Remaining"))
		assert.Equal(t, "60", rec.Header().Get("RateLimit-Reset"))
		body := decode(t, rec.Body)
		assert.Equal(t, "RATE_LIMIT_EXCEEDED", body["code"], "the data routes' flat envelope")
		assert.Contains(t, body["error"], "Too many requests")

		// another principal from the same address has a budget of its own;
		// the same principal from another address does not
		assert.Equal(t, http.StatusOK, call{method: "GET", path: list.path, user: "u2", ip: "198.51.100.1"}.do(t, h).Code)
		assert.Equal(t, http.StatusTooManyRequests, call{method: "GET", path: list.path, user: "u1", ip: "203.0.113.9"}.do(t, h).Code)

		// writes have their own bucket
		create := call{method: "POST", path: "/api/v1/data/account", user: "u1", ip: "198.51.100.1"}
		assert.Equal(t, http.StatusCreated, create.do(t, h).Code)
		rec = create.do(t, h)
		assert.Equal(t, http.StatusCreated, rec.Code)
		assert.Equal(t, "2", rec.Header().Get("RateLimit-Limit"))
		assert.Equal(t, http.StatusTooManyRequests, create.do(t, h).Code)
		res, err := h.List(system(), "account", objectos.Query{})
		require.NoError(t, err)
		assert.EqualValues(t, 2, res.Total, "the denied create wrote nothing")

		// anonymous callers are limited per client address: the 401s
		// count, and the budget is the address's, not a principal's
		anon := call{method: "GET", path: list.path, ip: "192.0.2.50"}
		for range 3 {
			rec := anon.do(t, h)
			require.Equal(t, http.StatusUnauthorized, rec.Code)
			require.NotEmpty(t, rec.Header().Get("RateLimit-Limit"), "a limited route's every answer carries the headers")
		}
		assert.Equal(t, http.StatusTooManyRequests, anon.do(t, h).Code)
		assert.Equal(t, http.StatusTooManyRequests, call{method: "GET", path: list.path, user: "!bad", ip: "192.0.2.50"}.do(t, h).Code,
			"bad credentials are anonymous: the address's budget")
		// IPv6 clients are limited per /64
		for i := range 3 {
			require.Equal(t, http.StatusUnauthorized, call{method: "GET", path: list.path, ip: fmt.Sprintf("[2001:db8:1:2::%d]", i+1)}.do(t, h).Code)
		}
		assert.Equal(t, http.StatusTooManyRequests, call{method: "GET", path: list.path, ip: "[2001:db8:1:2:ffff::1]"}.do(t, h).Code)
		assert.Equal(t, http.StatusUnauthorized, call{method: "GET", path: list.path, ip: "[2001:db8:1:3::1]"}.do(t, h).Code)

		// health probes are never limited; discovery is a read
		for range 10 {
			rec := call{method: "GET", path: "/api/v1/health", ip: "192.0.2.50"}.do(t, h)
			require.Equal(t, http.StatusOK, rec.Code)
			require.Empty(t, rec.Header().Get("RateLimit-Limit"))
		}
		rec = call{method: "GET", path: "/api/v1/discovery", ip: "192.0.2.50"}.do(t, h)
		assert.Equal(t, http.StatusTooManyRequests, rec.Code)
		assert.Equal(t, false, decode(t, rec.Body)["success"], "other routes answer in the wrapped envelope")

		// the budget comes back with time
		c.Advance(20 * time.Second)
		assert.Equal(t, http.StatusOK, list.do(t, h).Code)
		assert.Equal(t, http.StatusTooManyRequests, list.do(t, h).Code)
	})
}

func TestRateLimitsPerObjectAndOff(t *testing.T) {
	st := testenv.Open(t, testenv.SQLite)
	h := limitedServer(t, st, objectos.RateLimits{
		Read: objectos.Rate{Limit: 2, Period: time.Minute},
		Objects: map[string]objectos.ObjectRates{
			"contact": {Read: objectos.Rate{Limit: 1, Period: time.Minute}},
			"deal":    {Read: objectos.Unlimited},
		},
	})
	get := func(object string) int {
		return call{method: "GET", path: "/api/v1/data/" + object, user: "u1"}.do(t, h).Code
	}
	assert.Equal(t, http.StatusOK, get("contact"))
	assert.Equal(t, http.StatusTooManyRequests, get("contact"), "the object's own budget of 1")
	assert.Equal(t, http.StatusOK, get("account"), "the common budget is untouched")
	assert.Equal(t, http.StatusOK, get("account"))
	assert.Equal(t, http.StatusTooManyRequests, get("account"))
	for range 5 {
		assert.Equal(t, http.StatusOK, get("deal"), "an unlimited object")
	}
	// a query document is a read of its object's bucket
	query := call{method: "POST", path: "/api/v1/data/contact/query", user: "u2"}
	rec := query.do(t, h)
	assert.Equal(t, "1", rec.Header().Get("RateLimit-Limit"), "the contact's own read budget")
	assert.Equal(t, http.StatusTooManyRequests, query.do(t, h).Code)

	// the cross-object batch pays the write budgets of the objects it touches
	w := limitedServer(t, testenv.Open(t, testenv.SQLite), objectos.RateLimits{
		Objects: map[string]objectos.ObjectRates{"account": {Write: objectos.Rate{Limit: 1, Period: time.Minute}}},
	})
	batch := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/api/v1/batch", strings.NewReader(
			`{"operations":[{"object":"account","data":{"name":"A"}},{"object":"account","data":{"name":"B"}},{"object":"contact","data":{"last_name":"C"}}]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Test-User", "u1")
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, req)
		return rec
	}
	require.Equal(t, http.StatusOK, batch().Code)
	rec = batch()
	assert.Equal(t, http.StatusTooManyRequests, rec.Code, "the account's own budget of one")
	assert.Equal(t, "RATE_LIMIT_EXCEEDED", decode(t, rec.Body)["code"])
	res, err := w.List(system(), "account", objectos.Query{})
	require.NoError(t, err)
	assert.EqualValues(t, 2, res.Total, "the refused batch wrote nothing")

	off := limitedServer(t, testenv.Open(t, testenv.SQLite), objectos.RateLimits{Disabled: true})
	for range 100 {
		rec := call{method: "GET", path: "/api/v1/data/account", user: "u1"}.do(t, off)
		require.Equal(t, http.StatusOK, rec.Code)
		require.Empty(t, rec.Header().Get("RateLimit-Limit"))
	}

	_, err = objectos.New(context.Background(), objectos.Options{Artifact: crmArtifact(), Store: testenv.Open(t, testenv.SQLite),
		RateLimits: objectos.RateLimits{Objects: map[string]objectos.ObjectRates{"acount": {}}}})
	assert.ErrorContains(t, err, `unknown object "acount"`)
}

// failingLimiter is a limiter whose store is down.
type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, objectos.RateBucket, string, int) (objectos.RateDecision, error) {
	return objectos.RateDecision{}, errors.New("dial tcp 10.0.0.7:5432: connection refused")
}

func TestRateLimiterFailureIs503(t *testing.T) {
	h := limitedServer(t, testenv.Open(t, testenv.SQLite), objectos.RateLimits{Limiter: failingLimiter{}})
	rec := call{method: "GET", path: "/api/v1/data/account", user: "u1"}.do(t, h)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Equal(t, "1", rec.Header().Get("Retry-After"))
	assert.Equal(t, "SERVICE_UNAVAILABLE", decode(t, rec.Body)["code"])
	assert.NotContains(t, rec.Body.String(), "10.0.0.7", "no host in the answer")
}

func TestRateLimitsBehindProxies(t *testing.T) {
	h := limitedServer(t, testenv.Open(t, testenv.SQLite), objectos.RateLimits{Read: objectos.Rate{Limit: 1, Period: time.Minute}},
		func(o *objectos.Options) { o.TrustedProxies = []string{"10.0.0.0/8"} })
	anon := func(peer, xff string) int {
		return call{method: "GET", path: "/api/v1/discovery", ip: peer, hdr: map[string]string{"X-Forwarded-For": xff}}.do(t, h).Code
	}
	// behind the trusted proxy, each forwarded client has its own budget
	assert.Equal(t, http.StatusOK, anon("10.1.1.1", "198.51.100.7"))
	assert.Equal(t, http.StatusOK, anon("10.1.1.1", "198.51.100.8"))
	assert.Equal(t, http.StatusTooManyRequests, anon("10.1.1.2", "198.51.100.7"), "the same client through another proxy")
	// a spoofed left-most entry does not change who the client is
	assert.Equal(t, http.StatusTooManyRequests, anon("10.1.1.1", "1.2.3.4, 198.51.100.7"))
	// an untrusted peer's header is ignored: the peer is the client
	assert.Equal(t, http.StatusOK, anon("203.0.113.5", "198.51.100.99"))
	assert.Equal(t, http.StatusTooManyRequests, anon("203.0.113.5", "198.51.100.100"))

	_, err := objectos.New(context.Background(), objectos.Options{Artifact: crmArtifact(), Store: testenv.Open(t, testenv.SQLite),
		TrustedProxies: []string{"10.0.0.0/33"}})
	assert.ErrorContains(t, err, "TrustedProxies")
	_, err = objectos.New(context.Background(), objectos.Options{Artifact: crmArtifact(), Store: testenv.Open(t, testenv.SQLite),
		RateLimits: objectos.RateLimits{Read: objectos.Rate{Limit: 1_000_000_000, Period: time.Second}}})
	assert.ErrorContains(t, err, "finer than one request per")
}

// BenchmarkKernelRateLimit is the kernel alone (a route that answers a
// constant) without and with the default in-memory limiter: the limiter's
// own cost per request, apart from any database work.
func BenchmarkKernelRateLimit(b *testing.B) {
	for _, tc := range []struct {
		name   string
		limits objectos.RateLimits
	}{
		{"off", objectos.RateLimits{Disabled: true}},
		{"memory", objectos.RateLimits{Read: objectos.Rate{Limit: 1 << 30, Period: objectos.MaxRatePeriod}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := newStack(b, testenv.Open(b, testenv.SQLite), crmArtifact(), func(o *objectos.Options) {
				o.Plugins = []objectos.Plugin{&echoPlugin{}, objectos.AuthFunc(func(r *http.Request) (*objectos.Principal, error) {
					return &objectos.Principal{UserID: "0194f6a2-7c1e-7d3a-9a4b-1c2d3e4f5a6b"}, nil
				})}
				o.RateLimits = tc.limits
			})
			req := httptest.NewRequest("GET", "/api/v1/echo/x", nil)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}

type publicPage struct{}

func (publicPage) Name() string { return "page" }
func (publicPage) Routes(r *objectos.Router) {
	r.HandleFunc("GET", "/page", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) },
		objectos.RateLimitPerAddress())
}

// TestRateLimitPerAddress: a public route keyed by address does not
// authenticate its callers to pick their budget.
func TestRateLimitPerAddress(t *testing.T) {
	var lookups atomic.Int64
	s := newStack(t, testenv.Open(t, testenv.SQLite), crmArtifact(), func(o *objectos.Options) {
		o.Plugins = []objectos.Plugin{publicPage{}, objectos.AuthFunc(func(r *http.Request) (*objectos.Principal, error) {
			lookups.Add(1)
			return &objectos.Principal{UserID: r.Header.Get("X-Test-User")}, nil
		})}
		o.RateLimits.Read = objectos.Rate{Limit: 2, Period: time.Minute}
	})
	for i, user := range []string{"u1", "u2", "u3"} {
		rec := call{method: "GET", path: "/api/v1/page", user: user, ip: "198.51.100.9"}.do(t, s)
		if i < 2 {
			assert.Equal(t, http.StatusOK, rec.Code)
		} else {
			assert.Equal(t, http.StatusTooManyRequests, rec.Code, "one budget per address, whoever the caller")
		}
	}
	assert.Zero(t, lookups.Load(), "no authentication for the budget")
}

// multiOp is a route that carries several operations in one request, as
// MCP does: it charges each to the caller's budgets.
type multiOp struct{ st **objectos.Stack }

func (multiOp) Name() string { return "multi" }
func (m multiOp) Routes(r *objectos.Router) {
	r.HandleFunc("POST", "/ops", func(w http.ResponseWriter, r *http.Request) {
		var codes []string
		for _, op := range []objectos.Access{objectos.AccessRead, objectos.AccessUpdate, objectos.AccessUpdate, objectos.AccessCreate} {
			code := "ok"
			if err := (*m.st).Charge(r.Context(), op, "account"); err != nil {
				code = string(objectos.AsError(err).Code)
			}
			codes = append(codes, code)
		}
		objectos.WriteJSON(w, http.StatusOK, codes)
	}, objectos.RateLimitBucket(objectos.BucketRead))
}

func TestChargeOperations(t *testing.T) {
	var st *objectos.Stack
	st = newStack(t, testenv.Open(t, testenv.SQLite), crmArtifact(), func(o *objectos.Options) {
		o.Plugins = []objectos.Plugin{multiOp{&st}, objectos.AuthFunc(func(r *http.Request) (*objectos.Principal, error) {
			return &objectos.Principal{UserID: "u1"}, nil
		})}
		o.RateLimits.Write = objectos.Rate{Limit: 2, Period: time.Minute}
		o.RateLimits.Objects = map[string]objectos.ObjectRates{"contact": {Write: objectos.Rate{Limit: 1, Period: time.Minute}}}
	})
	rec := call{method: "POST", path: "/api/v1/ops"}.do(t, st)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `["ok","ok","ok","RATE_LIMIT_EXCEEDED"]`, rec.Body.String(), "the request itself was a read; two writes fit the budget of two")
	// Charge outside a request of the Stack charges nothing
	assert.NoError(t, st.Charge(context.Background(), objectos.AccessUpdate, "account"))
}
