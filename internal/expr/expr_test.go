package expr_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos/internal/expr"
)

var testFields = []expr.Field{
	{Name: "name", Type: expr.String},
	{Name: "amount", Type: expr.Double},
	{Name: "stage", Type: expr.String},
	{Name: "active", Type: expr.Bool},
	{Name: "close_date", Type: expr.Timestamp},
	{Name: "created_at", Type: expr.Timestamp},
	{Name: "tags", Type: expr.StringList},
	{Name: "meta", Type: expr.Dyn},
	{Name: "now", Type: expr.String}, // shadowed by the variable: record.now only
}

func newEnv(t *testing.T) *expr.Env {
	t.Helper()
	env, err := expr.NewEnv(testFields)
	require.NoError(t, err)
	return env
}

var writeTime = time.Date(2026, 7, 28, 15, 30, 0, 0, time.UTC)

// record builds the record an expression sees from stored values: every
// field present, converted with expr.Value.
func record(values map[string]any) map[string]any {
	out := map[string]any{}
	for _, f := range testFields {
		out[f.Name] = expr.Value(f.Type, values[f.Name])
	}
	return out
}

func TestEval(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	full := map[string]any{
		"name": "  Acme  ", "amount": 1500.0, "stage": "proposal", "active": true,
		"close_date": "2026-07-27", "created_at": writeTime,
		"tags": []string{"a", "b"}, "meta": map[string]any{"k": "v", "n": 2.0}, "now": "shadow",
	}
	empty := map[string]any{}
	prev := map[string]any{"stage": "prospecting", "amount": 10.0}
	tests := []struct {
		src    string
		values map[string]any
		prev   map[string]any
		want   bool
	}{
		// fields through record and bare names, nulls
		{"record.amount > 1000.0", full, nil, true},
		{"amount > 1000.0", full, nil, true},
		{"record.amount != null && record.amount > 40.0", empty, nil, false},
		{"record.amount == null", empty, nil, true},
		{"record.stage == 'proposal' && active", full, nil, true},
		{"record.stage in ['proposal', 'negotiation']", full, nil, true},
		{"record.now == 'shadow'", full, nil, true},
		{"'a' in record.tags && size(tags) == 2", full, nil, true},
		{"size(record.tags) == 0", empty, nil, true},
		{"record.meta.k == 'v' && record.meta.n == 2.0", full, nil, true},
		// previous: null on insert, the stored record on update
		{"previous == null", full, nil, true},
		{"previous != null && previous.stage == 'prospecting' && record.stage == 'proposal'", full, prev, true},
		{"previous.amount < record.amount", full, prev, true},
		// dates: a date is midnight UTC, now the time of the write
		{"record.close_date < today()", full, nil, true},
		{"record.close_date == date('2026-07-27')", full, nil, true},
		{"date(record.created_at) == today()", full, nil, true},
		{"record.created_at == now && now() == now", full, nil, true},
		{"daysBetween(record.close_date, today()) == 1", full, nil, true},
		{"addDays(record.close_date, 1) == today() && daysAgo(1) == record.close_date", full, nil, true},
		{"daysFromNow(30) == addDays(today(), 30) && addMonths(date('2026-01-31'), 1) == date('2026-03-03')", full, nil, true},
		{"datetime('2026-07-28T15:30:00Z') == now", full, nil, true},
		{"record.close_date.getFullYear() == 2026 && record.close_date.getMonth() == 6 && record.close_date.getDayOfMonth() == 26", full, nil, true},
		// null and string helpers
		{"isBlank(record.name)", map[string]any{"name": "   "}, nil, true},
		{"isBlank(record.name)", full, nil, false},
		{"isBlank(record.amount) && isBlank(record.tags) && isEmpty(record.stage)", empty, nil, true},
		{"isEmpty(record.name)", map[string]any{"name": " "}, nil, false},
		{"coalesce(record.amount, 0.0) == 0.0", empty, nil, true},
		{"coalesce(record.amount, 0.0) == 1500.0", full, nil, true},
		{"trim(record.name) == 'Acme' && upper(trim(name)) == 'ACME' && lower(trim(name)) == 'acme'", full, nil, true},
		{"trim(record.name) == null", empty, nil, true},
		{"contains(record.name, 'cm') && startsWith(trim(record.name), 'Ac') && endsWith(trim(record.name), 'me')", full, nil, true},
		{"contains(record.name, 'x') || startsWith(record.name, 'x')", empty, nil, false},
		{"record.name.contains('cm') && record.name.trim().lowerAscii() == 'acme'", full, nil, true},
		{"record.stage.matches('^pro') && matches(record.stage, 'sal$')", full, nil, true},
		{"len(record.name) == 8 && len(record.tags) == 2 && len(record.meta) == 2", full, nil, true},
		{"len(record.name) == 0", empty, nil, true},
		{"len('héllo') == 5", empty, nil, true},
		// numbers
		{"abs(-2.5) == 2.5 && abs(-3) == 3 && round(2.5) == 3.0 && floor(2.7) == 2.0 && ceil(2.1) == 3.0", empty, nil, true},
		{"min(1.0, 2.0) == 1.0 && max(1, 2) == 2", empty, nil, true},
		{"record.amount / 3.0 > 499.0", full, nil, true},
		// integer literals compare with number fields, as upstream writes them
		{"record.amount > 40 && record.amount < 2000 && 1500 <= amount && record.amount >= 1500", full, nil, true},
		{"size(record.tags) >= 2.0 && record.amount <= 1500", full, nil, true},
		// current_user
		{"current_user.id == 'u1' && current_user.role == 'admin' && 'sales' in current_user.permission_sets", full, nil, true},
		{"current_user.email.endsWith('@example.com')", full, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			p, err := env.CompileBool(tc.src)
			require.NoError(t, err)
			vars := &expr.Vars{Record: record(tc.values), Now: writeTime,
				User: expr.User{ID: "u1", Email: "a@example.com", Role: "admin", PermissionSets: []string{"sales"}}}
			if tc.prev != nil {
				vars.Previous = record(tc.prev)
			}
			got, err := p.Eval(context.Background(), vars)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestEvalErrors(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	tests := []struct {
		src    string
		values map[string]any
	}{
		{"record.amount > 40.0", map[string]any{}},  // null where a number is needed
		{"previous.stage == 'x'", map[string]any{}}, // no previous on insert
		{"date(record.stage) < today()", map[string]any{"stage": "soon"}},
		{"record.meta.missing == 1", map[string]any{"meta": map[string]any{}}},
		{"record.meta", map[string]any{"meta": "text"}}, // not a boolean at run time
		{"record.meta", map[string]any{}},               // null is not a boolean
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			p, err := env.CompileBool(tc.src)
			require.NoError(t, err)
			_, err = p.Eval(context.Background(), &expr.Vars{Record: record(tc.values), Now: writeTime})
			require.Error(t, err)
			assert.False(t, errors.Is(err, expr.ErrCostLimit))
		})
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	tests := []struct{ src, want string }{
		{"amout > 1.0", "undeclared reference to 'amout' (did you mean 'amount'?)"},
		{"record.amout > 1.0", "undefined field 'amout' (did you mean 'amount'?)"},
		{"current_user.rol == 'admin'", "undefined field 'rol' (did you mean 'role'?)"},
		{"record.amount > 'x'", "found no matching overload for '_>_' applied to '(double, string)'"},
		{"record.amount == 1500", "found no matching overload for '_==_' applied to '(double, int)'"},
		{"record.name * 2 > 1.0", "found no matching overload for '_*_' applied to '(string, int)'"},
		{"record.amount + 1.0", "must be true or false, not a double"},
		{"record", "must be true or false, not a record"},
		{"record.name ==", "Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}"},
		{"  ", "is empty"},
		{"today(1) == now", "undeclared reference to 'today'"},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			_, err := env.CompileBool(tc.src)
			var ce *expr.CompileError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.want, ce.Error())
		})
	}
}

func TestReads(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	p, err := env.CompileBool("record.amount > 1.0 && stage == 'x' && previous.active == true && now > record.created_at && record.now == ''")
	require.NoError(t, err)
	assert.Equal(t, []string{"active", "amount", "created_at", "now", "stage"}, p.Reads)
}

// An expression that would run for long fails with ErrCostLimit instead,
// and quickly.
func TestCostLimit(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	src := `[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c,
		[1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e, [1,2,3,4,5,6,7,8,9,10].all(f,
		[1,2,3,4,5,6,7,8,9,10].all(g, a + b + c + d + e + f + g > 0)))))))`
	p, err := env.CompileBool(src)
	require.NoError(t, err)
	_, err = p.Eval(context.Background(), &expr.Vars{Record: record(nil), Now: writeTime})
	require.ErrorIs(t, err, expr.ErrCostLimit)

	// a long string repeated through a comprehension
	p, err = env.CompileBool(`[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c,
		!record.name.contains('needle'))))`)
	require.NoError(t, err)
	long := make([]byte, 1<<20)
	for i := range long {
		long[i] = 'x'
	}
	_, err = p.Eval(context.Background(), &expr.Vars{Record: record(map[string]any{"name": string(long)}), Now: writeTime})
	require.ErrorIs(t, err, expr.ErrCostLimit)
}

func TestCancelled(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	p, err := env.CompileBool(`[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, true))`)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = p.Eval(ctx, &expr.Vars{Record: record(nil), Now: writeTime})
	require.Error(t, err)
}

// TestLookupPaths: account.owner_id reads a field of the record account
// points to, where account stays a string; the paths are reported, and a
// wrong one is explained.
func TestLookupPaths(t *testing.T) {
	env, err := expr.NewEnv([]expr.Field{{Name: "amount", Type: expr.Double},
		{Name: "account", Type: expr.String, Lookup: []expr.Field{{Name: "owner_id", Type: expr.String}, {Name: "budget", Type: expr.Double}}}})
	require.NoError(t, err)
	vars := &expr.Vars{Record: map[string]any{"amount": 5.0, "account": "a1", "account.owner_id": "u1", "account.budget": 4.0},
		User: expr.User{ID: "u1"}}
	for src, want := range map[string]bool{
		`account.owner_id == current_user.id`:      true,
		`record.account.budget < amount`:           true,
		`account == "a1" && size(account) == 2`:    true,
		`account.budget * 2 > record.amount + 5.0`: false,
	} {
		prg, err := env.CompileBool(src)
		require.NoError(t, err, src)
		got, err := prg.Eval(context.Background(), vars)
		require.NoError(t, err, src)
		assert.Equal(t, want, got, src)
		assert.Contains(t, prg.Reads, "account", src)
	}
	prg, err := env.CompileBool(`record.account.budget < amount || account.owner_id == ""`)
	require.NoError(t, err)
	assert.Equal(t, []string{"account.budget", "account.owner_id"}, prg.Lookups)
	assert.Equal(t, []string{"account", "amount"}, prg.Reads)

	for src, msg := range map[string]string{
		`account.ownr_id == ""`:           "account is a lookup whose record has no field 'ownr_id' (did you mean 'owner_id'?)",
		`previous.account.owner_id == ""`: "not on previous",
		`amount.x == 1`:                   "does not support field selection",
	} {
		_, err := env.CompileBool(src)
		require.ErrorContains(t, err, msg, src)
	}
}
