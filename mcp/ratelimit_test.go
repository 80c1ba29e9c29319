package mcp_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
)

// budgets is a RateLimiter whose buckets hold what the test leaves in
// them; a bucket the test has not set is unlimited.
type budgets struct {
	mu   sync.Mutex
	left map[string]int
}

func (b *budgets) Allow(_ context.Context, bucket objectos.RateBucket, _ string, cost int) (objectos.RateDecision, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := objectos.RateDecision{Allowed: true, Limit: bucket.Limit, Remaining: bucket.Limit}
	n, limited := b.left[bucket.Name]
	switch {
	case !limited:
	case n < cost:
		d = objectos.RateDecision{Limit: bucket.Limit, Reset: time.Minute, RetryAfter: time.Minute}
	default:
		b.left[bucket.Name] = n - cost
		d.Remaining = n - cost
	}
	return d, nil
}

func (b *budgets) set(bucket string, n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.left = map[string]int{bucket: n}
}

func (b *budgets) reset() { b.set("", 0) }

// TestRateLimits: every tool call pays for its operation — a read from the
// read budget, a write from the write budget, an object's own budget when
// it has one — and a spent budget is a tool error, after the HTTP request
// itself was let through.
func TestRateLimits(t *testing.T) {
	lim := &budgets{}
	e := newEnv(t, testenv.Open(t, testenv.SQLite), nil, func(o *objectos.Options) {
		o.RateLimits.Limiter = lim
		o.RateLimits.Objects = map[string]objectos.ObjectRates{"crm_region": {Read: objectos.Rate{Limit: 5, Period: time.Hour}}}
	})
	admin := e.signUp("admin")
	a := e.mustConnect(admin.key)
	acc := a.must("create_record", map[string]any{"objectName": "crm_account", "data": map[string]any{"name": "Acme"}})
	opp := a.must("create_record", map[string]any{"objectName": "crm_opportunity", "data": map[string]any{"name": "Deal", "account": acc["id"]}})

	reads := map[string]map[string]any{
		"list_objects":      {},
		"describe_object":   {"objectName": "crm_account"},
		"query_records":     {"objectName": "crm_account"},
		"aggregate_records": {"objectName": "crm_account", "aggregations": []any{map[string]any{"function": "count", "alias": "n"}}},
		"get_record":        {"objectName": "crm_account", "recordId": acc["id"]},
		"list_actions":      {},
	}
	writes := map[string]map[string]any{
		"create_record": {"objectName": "crm_account", "data": map[string]any{"name": "Beta"}},
		"update_record": {"objectName": "crm_account", "recordId": acc["id"], "data": map[string]any{"name": "Acme 2"}},
		"run_action":    {"actionName": "close_won", "recordId": opp["id"]},
		"delete_record": {"objectName": "crm_opportunity", "recordId": opp["id"]},
	}
	for name := range a.tools {
		_, r := reads[name]
		_, w := writes[name]
		assert.True(t, r || w, "the rate-limit test covers %s", name)
	}

	for name, args := range reads {
		// the request takes the last read; the call finds none left
		lim.set(objectos.BucketRead, 1)
		res := a.fails("RATE_LIMIT_EXCEEDED", name, args)
		assert.EqualValues(t, 60, res.err["details"].(map[string]any)["retryAfter"])
		lim.reset()
		a.must(name, args)
	}
	for _, name := range []string{"create_record", "update_record", "run_action", "delete_record"} {
		args := writes[name]
		lim.set(objectos.BucketWrite, 0)
		a.fails("RATE_LIMIT_EXCEEDED", name, args)
		// a write costs nothing from the read budget but the request
		lim.set(objectos.BucketRead, 1)
		a.must(name, args)
	}
	lim.reset()

	// An object with a budget of its own pays from that one.
	lim.set(objectos.BucketRead+":crm_region", 0)
	a.fails("RATE_LIMIT_EXCEEDED", "query_records", map[string]any{"objectName": "crm_region"})
	a.fails("RATE_LIMIT_EXCEEDED", "aggregate_records", map[string]any{"objectName": "crm_region", "aggregations": []any{map[string]any{"function": "count"}}})
	a.must("query_records", map[string]any{"objectName": "crm_account"})
	lim.reset()

	// With the budget spent before the request, the request itself is 429.
	lim.set(objectos.BucketRead, 0)
	r := e.post("POST", toolsList, map[string]string{"x-api-key": admin.key})
	assert.Equal(t, 429, r.code)
	assert.Equal(t, "RATE_LIMIT_EXCEEDED", r.errCode(t))
	assert.NotEmpty(t, r.header.Get("Retry-After"))
}

// TestRateLimitsInMemory spends an object's read budget with the default
// limiter: the request goes through, the tool call is refused.
func TestRateLimitsInMemory(t *testing.T) {
	e := newEnv(t, testenv.Open(t, testenv.SQLite), nil, func(o *objectos.Options) {
		o.RateLimits.Objects = map[string]objectos.ObjectRates{"crm_account": {Read: objectos.Rate{Limit: 2, Period: time.Hour}}}
	})
	a := e.mustConnect(e.signUp("admin").key)
	a.must("query_records", map[string]any{"objectName": "crm_account"})
	a.must("describe_object", map[string]any{"objectName": "crm_account"})
	res := a.fails("RATE_LIMIT_EXCEEDED", "query_records", map[string]any{"objectName": "crm_account"})
	require.NotNil(t, res.err["details"])
	a.must("query_records", map[string]any{"objectName": "crm_opportunity"})
}
