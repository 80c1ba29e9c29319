package main

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The harness generates load only when run; these test its pure helpers.

func TestPercentile(t *testing.T) {
	t.Parallel()
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", []time.Duration{7}, 99, 7},
		{"median of 100", hundred, 50, 50 * time.Millisecond},
		{"p99 of 100", hundred, 99, 99 * time.Millisecond},
		{"max", hundred, 100, 100 * time.Millisecond},
		{"p99 of 3 is the largest", []time.Duration{1, 2, 3}, 99, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, percentile(tc.sorted, tc.p))
		})
	}
}

func TestParseStat(t *testing.T) {
	t.Parallel()
	p, err := parseStat([]byte("4242 (postgres) S 1 4242 4242 0 -1 4194560 3000 0 0 0 150 25 0 0 20 0 1 0 100 222020 100 18446744073709551615"))
	require.NoError(t, err)
	assert.Equal(t, proc{comm: "postgres", cpu: 1750 * time.Millisecond}, p)

	// A command name may hold spaces and parentheses.
	p, err = parseStat([]byte("7 (a b) c)) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0"))
	require.NoError(t, err)
	assert.Equal(t, proc{comm: "a b) c)", cpu: 70 * time.Millisecond}, p)

	p, err = parseStat([]byte("78 (kdamond.0) S 2 0 0 0 -1 2129984 0 0 0 0 5 30 0 0 20 0 1 0 600 0 0"))
	require.NoError(t, err)
	assert.Equal(t, proc{comm: "kdamond.0", cpu: 350 * time.Millisecond, kernel: true}, p)

	for _, bad := range []string{"", "1 postgres S", "1 (x) S 1 2", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 x 4 0", "1 (x) S 1 1 1 0 -1 f 0 0 0 0 3 4 0"} {
		_, err := parseStat([]byte(bad))
		assert.Error(t, err, bad)
	}
}

func TestParseMachineStat(t *testing.T) {
	t.Parallel()
	busy, err := parseMachineStat([]byte("cpu  100 20 30 400 50 60 70 0 0 0\ncpu0 1 2 3 4\n"))
	require.NoError(t, err)
	assert.Equal(t, 150*clockTick, busy) // user + nice + system
	_, err = parseMachineStat([]byte("intr 1 2 3\n"))
	assert.Error(t, err)
}

func TestCPUBetween(t *testing.T) {
	t.Parallel()
	const server, self = 10, 11
	before := cpuSample{busy: 10 * time.Second, procs: map[int]proc{
		server: {comm: "crm", cpu: time.Second},
		self:   {comm: "bench", cpu: time.Second},
		1:      {comm: "postgres", cpu: time.Second},
		2:      {comm: "postgres", cpu: 2 * time.Second}, // ends in between
		20:     {comm: "kworker/0:1H", cpu: time.Second, kernel: true},
		30:     {comm: "go", cpu: 5 * time.Second}, // its pid is reused
	}}
	after := cpuSample{busy: 20 * time.Second, procs: map[int]proc{
		server: {comm: "crm", cpu: 3 * time.Second},
		self:   {comm: "bench", cpu: 2 * time.Second},
		1:      {comm: "postgres", cpu: 2 * time.Second},
		3:      {comm: "postgres", cpu: 500 * time.Millisecond}, // starts in between
		20:     {comm: "kworker/0:1H", cpu: 1200 * time.Millisecond, kernel: true},
		30:     {comm: "compile", cpu: 300 * time.Millisecond},
		31:     {comm: "rest.test", cpu: 2 * time.Second},
	}}
	u := cpuBetween(before, after, server, self)
	assert.Equal(t, cpuUse{server: 2 * time.Second, postgres: 1500 * time.Millisecond, client: time.Second,
		kernel: 200 * time.Millisecond, other: 5300 * time.Millisecond, top: []string{"rest.test 2s", "compile 300ms"}}, u)
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4200: "-4,200"} {
		assert.Equal(t, want, thousands(n))
	}
	assert.Equal(t, "0.85", ms(850*time.Microsecond))
	assert.Equal(t, "12.3", ms(12300*time.Microsecond))
	assert.Equal(t, "243", ms(243*time.Millisecond))
	assert.Equal(t, "85 µs", us(85*time.Microsecond))
	assert.Equal(t, "0.50", ratio(1, 2))
	assert.Equal(t, "—", ratio(1, 0))
	assert.Equal(t, "AMD EPYC 7B13", cpuModel("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n"))
}

func TestPickWorkloads(t *testing.T) {
	t.Parallel()
	all := workloads([]string{"a"})
	got, err := pickWorkloads(all, "create, get")
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "get", got[0].name) // their own order, not the flag's
	assert.Equal(t, "create", got[1].name)
	_, err = pickWorkloads(all, "get,delete")
	assert.ErrorContains(t, err, `"delete"`)
	_, err = pickWorkloads(all, ",")
	assert.Error(t, err)
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	c, err := parseFlags(nil, func(string) string { return "" })
	require.NoError(t, err)
	assert.Equal(t, config{duration: 10 * time.Second, warmup: 2 * time.Second, conns: 32, rows: 100_000, store: "all",
		pgURL: "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", workloads: "get,list,list-nocount,create"}, c)
	for _, bad := range [][]string{{"-store", "mysql"}, {"-conns", "0"}, {"-duration", "0s"}, {"extra"}} {
		_, err := parseFlags(bad, func(string) string { return "" })
		assert.Error(t, err, bad)
	}
}

func TestWithSearchPath(t *testing.T) {
	t.Parallel()
	got, err := withSearchPath("postgres://u@h:5432/db?sslmode=disable", "bench_1")
	require.NoError(t, err)
	assert.Equal(t, "postgres://u@h:5432/db?search_path=bench_1&sslmode=disable", got)
	_, err = withSearchPath("host=h dbname=db", "bench_1")
	assert.Error(t, err)
}

func TestSeedSQLColumns(t *testing.T) {
	t.Parallel()
	_, err := seedSQL(postgresDialect, []column{{"id", true}, {"region", true}}, []string{"a"})
	assert.ErrorContains(t, err, "crm_account.region is NOT NULL")
	q, err := seedSQL(postgresDialect, []column{{"id", true}, {"region", false}, {"industry", false}}, []string{"a", "o'b"})
	require.NoError(t, err)
	assert.Equal(t, `INSERT INTO crm_account ("id", "industry") SELECT gen_random_uuid()::text, CASE g % 2 WHEN 0 THEN 'a' WHEN 1 THEN 'o''b' END FROM generate_series(1::bigint, $2::bigint) AS s(g)`, q)
}

// TestSeedSQLOnSQLite runs the SQLite seeding on the table objectos makes.
func TestSeedSQLOnSQLite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := sql.Open("sqlite", ":memory:")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	_, err = db.ExecContext(ctx, `CREATE TABLE "crm_account" ("id" TEXT PRIMARY KEY NOT NULL, "name" TEXT, "industry" TEXT,
		"annual_revenue" REAL, "website" TEXT, "phone" TEXT, "parent" TEXT, "owner_id" TEXT, "created_at" TEXT,
		"created_by" TEXT, "updated_at" TEXT, "updated_by" TEXT)`)
	require.NoError(t, err)
	cols := []column{{"id", true}, {"name", false}, {"industry", false}, {"annual_revenue", false}, {"website", false},
		{"phone", false}, {"parent", false}, {"owner_id", false}, {"created_at", false}, {"created_by", false},
		{"updated_at", false}, {"updated_by", false}}
	q, err := seedSQL(sqliteDialect, cols, []string{"technology", "finance", "retail"})
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, q, "u1", 300)
	require.NoError(t, err)

	var rows, ids, stamps, finance, owned int
	var minAt, maxAt, id, phone string
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT id), count(DISTINCT created_at), sum(industry = 'finance'),
		sum(owner_id = 'u1' AND created_by = 'u1' AND updated_at = created_at), min(created_at), max(created_at), min(id), min(phone)
		FROM crm_account`).Scan(&rows, &ids, &stamps, &finance, &owned, &minAt, &maxAt, &id, &phone))
	assert.Equal(t, 300, rows)
	assert.Equal(t, 300, ids)
	assert.Equal(t, 300, stamps)
	assert.Equal(t, 100, finance)
	assert.Equal(t, 300, owned)
	stamp := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	assert.Regexp(t, stamp, minAt)
	assert.Regexp(t, stamp, maxAt)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, id)
	assert.Regexp(t, `^\+1 555 \d{4}$`, phone)
	first, _ := time.Parse(time.RFC3339, minAt)
	last, _ := time.Parse(time.RFC3339, maxAt)
	assert.Greater(t, last.Sub(first), 300*24*time.Hour, "spread over a year")
}

func TestWriteMarkdown(t *testing.T) {
	t.Parallel()
	ws := workloads([]string{"a"})
	quiet := &measurement{rps: 4298.7, p50: 6500 * time.Microsecond, p99: 21900 * time.Microsecond, server: 207 * time.Microsecond, postgres: 152 * time.Microsecond}
	hand := &measurement{rps: 6062, p50: 4630 * time.Microsecond, p99: 16 * time.Millisecond, server: 122 * time.Microsecond, postgres: 122 * time.Microsecond}
	noisy := &measurement{rps: 14, p50: 1875 * time.Millisecond, p99: 5417 * time.Millisecond, server: 76815 * time.Microsecond, noise: 0.4}
	var b strings.Builder
	writeMarkdown(&b, machine{date: "2026-12-01", cpu: "AMD EPYC", goVersion: "go1.26.8", postgres: "15.20", nproc: 2},
		config{rows: 100_000, conns: 32, duration: 10 * time.Second, warmup: 2 * time.Second},
		[]result{{w: ws[0], objectos: quiet, handwritten: hand, sqlite: noisy}, {w: ws[3]}})
	out := b.String()
	assert.Contains(t, out, "on 2026-12-01: 2 × AMD EPYC (nproc 2), go1.26.8, PostgreSQL 15.20; 100,000 accounts, 32 keep-alive connections")
	assert.Contains(t, out, "| GET one account by id | 4,298 | 6.50 / 21.9 | 6,062 | 4.63 / 16.0 | 0.71 | 207 µs / 122 µs | 152 µs / 122 µs |\n")
	assert.Contains(t, out, "| GET one account by id | 14 † | 1875 / 5417 | 76,815 µs |\n")
	assert.Contains(t, out, "† other processes used more than a tenth")
	assert.NotContains(t, out, "create an account", "workloads not run have no row")
}
