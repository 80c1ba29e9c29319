package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// clockTick is USER_HZ, the unit of /proc's CPU times: 100 on every Linux
// architecture Go runs on.
const clockTick = 10 * time.Millisecond

// parseStat reads a /proc/<pid>/stat line: the command name and the CPU
// the process has used (utime + stime, its threads included).
func parseStat(b []byte) (comm string, cpu time.Duration, err error) {
	// comm is in parentheses and may hold spaces and parentheses itself:
	// the fields resume after the last ')'.
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return "", 0, errors.New("no command name")
	}
	comm = string(b[open+1 : end])
	// After comm: state (field 3), …, utime (14), stime (15).
	f := bytes.Fields(b[end+1:])
	if len(f) < 13 {
		return "", 0, fmt.Errorf("%d fields after the command name, want 13 or more", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil {
			return "", 0, fmt.Errorf("bad CPU time %q", s)
		}
		ticks += n
	}
	return comm, time.Duration(ticks) * clockTick, nil
}

// processCPU is the CPU used so far by the process pid.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	_, cpu, err := parseStat(b)
	return cpu, err
}

// postgresCPU is the CPU used so far by every process named postgres (the
// postmaster, its background processes and every backend), by pid.
// Processes that vanish while it reads are skipped.
func postgresCPU() map[int]time.Duration {
	out := map[int]time.Duration{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		comm, cpu, err := parseStat(b)
		if err != nil || comm != "postgres" {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		out[pid] = cpu
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

// cpuSample is the CPU used so far by the server under load, by
// PostgreSQL, by the harness itself and by all the machine's processes.
type cpuSample struct {
	server, self, busy time.Duration
	postgres           map[int]time.Duration
}

func sampleCPU(serverPID int) (cpuSample, error) {
	var s cpuSample
	var err error
	if s.server, err = processCPU(serverPID); err != nil {
		return s, fmt.Errorf("the server's CPU: %w", err)
	}
	if s.self, err = processCPU(os.Getpid()); err != nil {
		return s, fmt.Errorf("the harness's CPU: %w", err)
	}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s, err
	}
	if s.busy, err = parseMachineStat(b); err != nil {
		return s, fmt.Errorf("/proc/stat: %w", err)
	}
	s.postgres = postgresCPU()
	return s, nil
}

// cpuUse is the CPU spent between two samples.
type cpuUse struct {
	server, postgres, client time.Duration
	// other is what the rest of the machine used: noise when it is large.
	other time.Duration
}

func cpuBetween(before, after cpuSample) cpuUse {
	u := cpuUse{server: after.server - before.server, client: after.self - before.self}
	for pid, t := range after.postgres {
		// A backend that started in between counts whole; one that ended
		// in between is lost (pools keep theirs open).
		u.postgres += t - before.postgres[pid]
	}
	u.other = max(0, after.busy-before.busy-u.server-u.postgres-u.client)
	return u
}
