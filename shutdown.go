package objectos

import (
	"context"
	"time"
)

// drainRetryAfter is the Retry-After, in seconds, of the answers of a
// draining Stack: by then a load balancer has taken the replica out.
const drainRetryAfter = "5"

// Shutdown drains the Stack: from its call on, every new request is
// answered 503 SERVICE_UNAVAILABLE with Retry-After in the wrapped error
// envelope (details.state "draining"), except the probes: /health stays
// 200, since the process is alive and must not be restarted, and /ready
// answers 503 with state "draining", so load balancers stop sending
// traffic. Requests already in flight run to their normal answer. Shutdown
// waits for them, then closes the plugins as Close does (stopping their
// schedules and purges), and returns nil.
//
// When ctx ends first, Shutdown returns ctx's error and leaves the
// plugins open for the requests still running; call Close once they are
// done (or give up on them). A drained Stack stays drained. Drain the
// Stack first, then shut the http.Server down (examples/crm does): the
// Stack answers what still arrives on open connections with a 503 a client
// can retry elsewhere, and the server's own wait then finds no request of
// the Stack left.
func (s *Stack) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	// As http.Server.Shutdown does: poll, starting fast and backing off.
	wait := time.Millisecond
	t := time.NewTimer(wait)
	defer t.Stop()
	for s.inflight.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 100*time.Millisecond)
		t.Reset(wait)
	}
	return s.Close()
}

// Draining reports whether Shutdown was called.
func (s *Stack) Draining() bool { return s.draining.Load() }
