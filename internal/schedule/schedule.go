// Package schedule runs a plugin's background job (a purge) at an interval
// until the plugin closes.
package schedule

import (
	"context"
	"sync"
	"time"
)

// Schedule is a job running at an interval. The zero value, and a nil
// *Schedule, is one that never started: Stop does nothing.
type Schedule struct {
	stop chan struct{}
	once sync.Once
	done sync.WaitGroup
}

// Every starts running job every interval, each run with a context that
// ends after one interval; fail hears each run's error.
func Every(interval time.Duration, job func(ctx context.Context) error, fail func(ctx context.Context, err error)) *Schedule {
	s := &Schedule{stop: make(chan struct{})}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), interval)
				if err := job(ctx); err != nil {
					fail(ctx, err)
				}
				cancel()
			}
		}
	}()
	return s
}

// Stop ends the schedule and waits for a run in progress. It may be called
// more than once.
func (s *Schedule) Stop() {
	if s == nil || s.stop == nil {
		return
	}
	s.once.Do(func() { close(s.stop) })
	s.done.Wait()
}
