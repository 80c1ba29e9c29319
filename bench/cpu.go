package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// clockTick is USER_HZ, the unit of /proc's CPU times: 100 on every Linux
// architecture Go runs on.
const clockTick = 10 * time.Millisecond

// pfKthread is the flag of kernel threads in /proc/<pid>/stat.
const pfKthread = 0x00200000

// proc is one process's line of /proc/<pid>/stat.
type proc struct {
	comm   string
	cpu    time.Duration // utime + stime, its threads included
	kernel bool          // a kernel thread
}

// parseStat reads a /proc/<pid>/stat line.
func parseStat(b []byte) (proc, error) {
	// comm is in parentheses and may hold spaces and parentheses itself:
	// the fields resume after the last ')'.
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return proc{}, errors.New("no command name")
	}
	p := proc{comm: string(b[open+1 : end])}
	// After comm: state (field 3), …, flags (9), …, utime (14), stime (15).
	f := bytes.Fields(b[end+1:])
	if len(f) < 13 {
		return proc{}, fmt.Errorf("%d fields after the command name, want 13 or more", len(f))
	}
	flags, err := strconv.ParseUint(string(f[6]), 10, 64)
	if err != nil {
		return proc{}, fmt.Errorf("bad flags %q", f[6])
	}
	p.kernel = flags&pfKthread != 0
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil {
			return proc{}, fmt.Errorf("bad CPU time %q", s)
		}
		ticks += n
	}
	p.cpu = time.Duration(ticks) * clockTick
	return p, nil
}

// processes reads every process's CPU so far, by pid. Processes that
// vanish while it reads are skipped.
func processes() map[int]proc {
	out := map[int]proc{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		p, err := parseStat(b)
		if err != nil {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		out[pid] = p
	}
	return out
}

// parseMachineStat reads the first line of /proc/stat: the CPU time the
// whole machine spent in processes (user, nice and system). Interrupts and
// softirqs, where the kernel moves loopback packets, are left out: they
// belong to the load itself but to no process.
func parseMachineStat(b []byte) (time.Duration, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 4 || string(f[0]) != "cpu" {
		return 0, errors.New("no cpu line")
	}
	var ticks int64
	for _, s := range f[1:4] {
		n, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bad CPU time %q", s)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// cpuSample is the CPU used so far by every process and by the machine.
type cpuSample struct {
	busy  time.Duration
	procs map[int]proc
}

func sampleCPU() (cpuSample, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuSample{}, err
	}
	busy, err := parseMachineStat(b)
	if err != nil {
		return cpuSample{}, fmt.Errorf("/proc/stat: %w", err)
	}
	return cpuSample{busy: busy, procs: processes()}, nil
}

// cpuUse is the CPU spent between two samples.
type cpuUse struct {
	server, postgres, client time.Duration
	// kernel is what kernel threads used: block I/O and network work the
	// load causes, and the kernel's own background work.
	kernel time.Duration
	// other is what the rest of the machine used (other processes, and
	// any process that ended in between): noise when it is large.
	other time.Duration
	// top names the other processes that used the most, for the warning.
	top []string
}

// cpuBetween attributes the CPU spent between two samples: the server's
// process, every process named postgres (the postmaster, its background
// processes and every backend), the harness's own process (the load
// generator), kernel threads, and the rest.
func cpuBetween(before, after cpuSample, serverPID, selfPID int) cpuUse {
	var u cpuUse
	type spent struct {
		comm string
		cpu  time.Duration
	}
	var others []spent
	for pid, p := range after.procs {
		// A process that started in between counts whole; one that ended
		// in between only in other (pools keep their connections open).
		prev, ok := before.procs[pid]
		if ok && prev.comm != p.comm {
			prev = proc{} // the pid was reused
		}
		d := max(0, p.cpu-prev.cpu)
		switch {
		case d == 0:
		case pid == serverPID:
			u.server += d
		case pid == selfPID:
			u.client += d
		case p.comm == "postgres":
			u.postgres += d
		case p.kernel:
			u.kernel += d
		default:
			others = append(others, spent{p.comm, d})
		}
	}
	u.other = max(0, after.busy-before.busy-u.server-u.postgres-u.client-u.kernel)
	slices.SortFunc(others, func(a, b spent) int { return cmp.Compare(b.cpu, a.cpu) })
	for _, o := range others[:min(3, len(others))] {
		u.top = append(u.top, fmt.Sprintf("%s %s", o.comm, o.cpu.Round(10*time.Millisecond)))
	}
	return u
}
