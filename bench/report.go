package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// A measurement is one workload against one server: throughput, latency
// and CPU per request.
type measurement struct {
	requests int
	rps      float64
	p50, p99 time.Duration
	// CPU per request: the server process, PostgreSQL's processes, the
	// load generator, kernel threads, and the rest of the machine (noise).
	server, postgres, client, kernel, other time.Duration
	// noise is the share of the machine's CPU that other processes used.
	noise float64
}

// noisy reports whether other processes used more than a tenth of the
// machine: enough to move the numbers.
func (m *measurement) noisy() bool { return m.noise > 0.1 }

// rate writes req/s, marked † when the run was noisy.
func (m *measurement) rate() string {
	if m.noisy() {
		return thousands(int(m.rps)) + " †"
	}
	return thousands(int(m.rps))
}

func newMeasurement(r outcome, u cpuUse) measurement {
	m := measurement{requests: r.requests, rps: r.rate(), p50: percentile(r.lat, 50), p99: percentile(r.lat, 99)}
	n := time.Duration(max(r.requests, 1))
	m.server, m.postgres, m.client, m.kernel, m.other = u.server/n, u.postgres/n, u.client/n, u.kernel/n, u.other/n
	return m
}

// A result is one workload's measurements; nil where not run.
type result struct {
	w                             workload
	objectos, handwritten, sqlite *measurement
}

// machine describes where the run happened, for the table's heading.
type machine struct {
	date, cpu, goVersion, postgres string
	nproc                          int
}

func thisMachine() machine {
	m := machine{date: time.Now().Format("2006-01-02"), nproc: runtime.NumCPU(), goVersion: runtime.Version(), cpu: "unknown CPU"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.cpu = cpuModel(string(b))
	}
	return m
}

// cpuModel is the first "model name" in /proc/cpuinfo.
func cpuModel(cpuinfo string) string {
	for _, line := range strings.Split(cpuinfo, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// thousands writes n with comma separators: 12345 → 12,345.
func thousands(n int) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// ms writes a latency in milliseconds with two or three significant digits.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// us writes a CPU time in microseconds.
func us(d time.Duration) string {
	return thousands(int(d.Round(time.Microsecond)/time.Microsecond)) + " µs"
}

// ratio is a / b with two decimals.
func ratio(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// writeMarkdown prints the results as tables ready for the README.
func writeMarkdown(w io.Writer, m machine, c config, results []result) {
	fmt.Fprintf(w, "Load run (`go run ./bench`) on %s: %d × %s (nproc %d), %s", m.date, m.nproc, m.cpu, m.nproc, m.goVersion)
	if m.postgres != "" {
		fmt.Fprintf(w, ", PostgreSQL %s", m.postgres)
	}
	fmt.Fprintf(w, "; %s accounts, %d keep-alive connections, %s per workload after %s of warm-up, an API key on every request; "+
		"the load generator shares the cores. CPU is per request, from /proc (user + system).\n\n",
		thousands(c.rows), c.conns, c.duration, c.warmup)

	var pg, lite, noisy bool
	for _, r := range results {
		pg = pg || r.objectos != nil
		lite = lite || r.sqlite != nil
		for _, m := range []*measurement{r.objectos, r.handwritten, r.sqlite} {
			noisy = noisy || m != nil && m.noisy()
		}
	}
	if pg {
		fmt.Fprintln(w, "| PostgreSQL | objectos req/s | p50 / p99 ms | hand-written req/s | p50 / p99 ms | objectos ÷ hand-written | server CPU objectos / hand-written | PostgreSQL CPU objectos / hand-written |")
		fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|")
		for _, r := range results {
			o, h := r.objectos, r.handwritten
			if o == nil || h == nil {
				continue
			}
			fmt.Fprintf(w, "| %s | %s | %s / %s | %s | %s / %s | %s | %s / %s | %s / %s |\n", r.w.title,
				o.rate(), ms(o.p50), ms(o.p99), h.rate(), ms(h.p50), ms(h.p99),
				ratio(o.rps, h.rps), us(o.server), us(h.server), us(o.postgres), us(h.postgres))
		}
		fmt.Fprintln(w)
	}
	if lite {
		fmt.Fprintln(w, "| SQLite (file, WAL) | objectos req/s | p50 / p99 ms | server CPU |")
		fmt.Fprintln(w, "|---|--:|--:|--:|")
		for _, r := range results {
			if s := r.sqlite; s != nil {
				fmt.Fprintf(w, "| %s | %s | %s / %s | %s |\n", r.w.title, s.rate(), ms(s.p50), ms(s.p99), us(s.server))
			}
		}
		fmt.Fprintln(w)
	}
	if noisy {
		fmt.Fprintln(w, "† other processes used more than a tenth of the machine during that run: run again on a quiet machine.")
		fmt.Fprintln(w)
	}
}
