package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// maxRequests bounds one run whatever its duration.
const maxRequests = 20_000_000

// A target is a server under load: where its API is and the key it takes.
type target struct {
	name string
	base string // http://host:port/api/v1
	key  string
	pid  int
}

// A workload is one kind of request; request builds the n-th one.
type workload struct {
	name   string // the flag's name for it
	title  string // the table's
	status int    // the answer every request must get
	// request returns the method, the path under the API's base and the
	// body (nil for none) of the n-th request.
	request func(n uint64) (method, path string, body []byte)
}

// An outcome is what one workload did against one target.
type outcome struct {
	requests int
	errors   int
	firstErr string
	elapsed  time.Duration
	lat      []time.Duration // sorted
}

func (r outcome) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

// percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// newClient is a keep-alive HTTP/1.1 client holding at most conns
// connections to one server.
func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxConnsPerHost:     conns,
		MaxIdleConnsPerHost: conns,
		MaxIdleConns:        conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}}
}

// drive sends wl's requests to t from conns workers, each waiting for its
// answer before the next, until d has passed (a request in flight then
// finishes) or ctx is done.
func drive(ctx context.Context, client *http.Client, t target, wl workload, conns int, d time.Duration) outcome {
	var (
		seq  atomic.Uint64
		wg   sync.WaitGroup
		mu   sync.Mutex
		out  outcome
		lats = make([][]time.Duration, conns)
	)
	start := time.Now()
	deadline := start.Add(d)
	for w := range conns {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 1<<14)
			var errs int
			var firstErr string
			for time.Now().Before(deadline) && ctx.Err() == nil {
				n := seq.Add(1)
				if n > maxRequests {
					break
				}
				took, err := do(ctx, client, t, wl, n)
				if err != nil {
					if ctx.Err() != nil {
						break
					}
					if errs++; firstErr == "" {
						firstErr = err.Error()
					}
					continue
				}
				lat = append(lat, took)
			}
			lats[w] = lat
			mu.Lock()
			out.errors += errs
			if out.firstErr == "" {
				out.firstErr = firstErr
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	out.elapsed = time.Since(start)
	out.lat = slices.Concat(lats...)
	slices.Sort(out.lat)
	out.requests = len(out.lat)
	return out
}

// do sends one request and reads its whole answer.
func do(ctx context.Context, client *http.Client, t target, wl workload, n uint64) (time.Duration, error) {
	method, path, body := wl.request(n)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+t.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	var head [200]byte
	m, _ := io.ReadFull(resp.Body, head[:])
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != wl.status {
		return 0, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(head[:m]))
	}
	return took, nil
}
