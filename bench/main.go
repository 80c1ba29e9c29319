// Command bench is the load harness: it measures examples/crm on
// PostgreSQL against a hand-written net/http + pgx server doing the same
// work (bench/handwritten), and examples/crm on SQLite, and prints a
// markdown table for the README.
//
//	go run ./bench                        # both stores, the defaults below
//	go run ./bench -store postgres -duration 5s -conns 16 -rows 20000
//
// It builds both servers, gives each run a fresh PostgreSQL schema and a
// fresh SQLite file, seeds crm_account with -rows accounts by SQL, mints an
// API key through objectos's own API, and drives each workload in turn
// from -conns keep-alive connections for -duration after -warmup. The
// servers, the schema and the temporary files are removed at the end, on
// an error and on Ctrl-C. See bench/README.md for what is measured.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/objectos-go/objectos"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			err = errors.New("interrupted; cleaned up")
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// config is the command line.
type config struct {
	duration, warmup time.Duration
	conns, rows      int
	store            string // all, postgres or sqlite
	pgURL            string
	workloads        string
	explain          bool
}

func parseFlags(args []string, getenv func(string) string) (config, error) {
	var c config
	pg := getenv("OBJECTOS_TEST_POSTGRES")
	if pg == "" {
		pg = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long each workload is measured, per server")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "load before each measurement, not counted")
	fs.IntVar(&c.conns, "conns", 32, "concurrent keep-alive connections (each waits for its answer)")
	fs.IntVar(&c.rows, "rows", 100_000, "crm_account rows seeded")
	fs.StringVar(&c.store, "store", "all", "all, postgres or sqlite")
	fs.StringVar(&c.pgURL, "pg", pg, "a postgres:// URL of a database the run may create a schema in (env OBJECTOS_TEST_POSTGRES)")
	fs.StringVar(&c.workloads, "workloads", "get,list,list-nocount,create", "the workloads to run, comma-separated")
	fs.BoolVar(&c.explain, "explain", false, "print EXPLAIN ANALYZE of the list workload's queries on PostgreSQL")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	case c.duration <= 0 || c.warmup < 0:
		return c, errors.New("-duration must be positive and -warmup not negative")
	case c.conns < 1 || c.conns > 1024:
		return c, errors.New("-conns must be between 1 and 1024")
	case c.rows < 1:
		return c, errors.New("-rows must be positive")
	case c.store != "all" && c.store != "postgres" && c.store != "sqlite":
		return c, fmt.Errorf("-store %q: want all, postgres or sqlite", c.store)
	}
	return c, nil
}

// harness is one run: its settings, the built servers and the results.
type harness struct {
	config
	out              io.Writer
	dir              string // temporary: binaries, logs, the SQLite file
	crm, handwritten string
	industries       []string
	machine          machine
	results          []result // one per workload, in order
}

func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	c, err := parseFlags(args, getenv)
	if err != nil {
		return err
	}
	h := &harness{config: c, out: out, machine: thisMachine()}
	picked, err := pickWorkloads(workloads(nil), c.workloads)
	if err != nil {
		return err
	}
	for _, w := range picked {
		h.results = append(h.results, result{w: w})
	}

	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	if strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		return errors.New("run it from inside the objectos module: go run ./bench")
	}
	artifact, err := objectos.LoadArtifact(filepath.Join(root, "examples", "crm", "crm.yaml"))
	if err != nil {
		return err
	}
	account := artifact.Object("crm_account")
	if account == nil || account.Field("industry") == nil {
		return errors.New("examples/crm/crm.yaml has no crm_account.industry")
	}
	for _, o := range account.Field("industry").Options {
		h.industries = append(h.industries, o.Value)
	}

	if h.dir, err = os.MkdirTemp("", "objectos-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(h.dir)
	fmt.Fprintln(out, "building examples/crm and bench/handwritten")
	if h.crm, h.handwritten, err = build(ctx, root, h.dir); err != nil {
		return err
	}
	if c.store != "sqlite" {
		if err := h.runPostgres(ctx); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
	}
	if c.store != "postgres" {
		if err := h.runSQLite(ctx); err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
	}
	fmt.Fprintln(out)
	writeMarkdown(out, h.machine, c, h.results)
	return nil
}

// adminEnv is the environment examples/crm runs with: a bootstrap admin,
// no rate limits (the load would trip them), and its database.
func adminEnv(db, email, password string) []string {
	return []string{"OS_DATABASE_URL=" + db, "OS_ADMIN_EMAIL=" + email, "OS_ADMIN_PASSWORD=" + password, "OS_RATE_LIMIT=off",
		"OS_MCP_SERVER_ENABLED=false"}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// measure warms t up with wl, then drives it for the configured duration,
// reading the CPU of the server, PostgreSQL and the harness around it.
// Any failed request fails the measurement.
func (h *harness) measure(ctx context.Context, store string, t target, wl workload) (*measurement, error) {
	label := store + " " + t.name
	client := newClient(h.conns)
	defer client.CloseIdleConnections()
	if h.warmup > 0 {
		r := drive(ctx, client, t, wl, h.conns, h.warmup)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if r.errors > 0 {
			return nil, fmt.Errorf("%s %s, warm-up: %d requests failed; the first: %s", label, wl.name, r.errors, r.firstErr)
		}
	}
	before, err := sampleCPU()
	if err != nil {
		return nil, err
	}
	r := drive(ctx, client, t, wl, h.conns, h.duration)
	after, err := sampleCPU()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.errors > 0 {
		return nil, fmt.Errorf("%s %s: %d of %d requests failed; the first: %s", label, wl.name, r.errors, r.errors+r.requests, r.firstErr)
	}
	u := cpuBetween(before, after, t.pid, os.Getpid())
	m := newMeasurement(r, u)
	capacity := r.elapsed * time.Duration(h.machine.nproc)
	m.noise = float64(u.other) / float64(capacity)
	pg := ""
	if store == "postgres" {
		pg = ", postgres " + us(m.postgres)
	}
	fmt.Fprintf(h.out, "%-21s %-12s %7s req/s  p50 %5s ms  p99 %5s ms  CPU/req: server %s%s, load generator %s, kernel threads %s, other %s  (%s requests)\n",
		label, wl.name, thousands(int(m.rps)), ms(m.p50), ms(m.p99), us(m.server), pg, us(m.client), us(m.kernel), us(m.other), thousands(m.requests))
	if m.noisy() {
		fmt.Fprintf(h.out, "  warning: other processes used %.0f%% of the machine during this run (%s); its numbers are noisy\n",
			100*m.noise, strings.Join(u.top, ", "))
	}
	return &m, nil
}
