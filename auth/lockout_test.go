package auth_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

// TestLockoutUnderParallelAttempts: a burst of wrong passwords in parallel
// gets no more tries than the threshold allows; the rest are locked out,
// and so is what follows.
func TestLockoutUnderParallelAttempts(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{}, roomyRates)
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		var unauthorized, locked atomic.Int64
		var wg sync.WaitGroup
		for range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch r := e.signIn("ada@example.com", "wrong password"); r.StatusCode {
				case 401:
					unauthorized.Add(1)
				case 403:
					locked.Add(1)
					assert.Equal(t, "ACCOUNT_LOCKED", r.Value("code"))
				default:
					t.Errorf("unexpected %d %s", r.StatusCode, r.String())
				}
			}()
		}
		wg.Wait()
		assert.EqualValues(t, auth.DefaultLockoutThreshold, unauthorized.Load(), "exactly the threshold of tries")
		assert.EqualValues(t, 40-auth.DefaultLockoutThreshold, locked.Load())
		for range 3 {
			assert.Equal(t, 403, e.signIn("ada@example.com", "wrong password").StatusCode)
		}
		assert.Equal(t, 403, e.signIn("ada@example.com", "correct horse").StatusCode, "locked for the right password too")
	})
}

// gateHasher blocks the verification of the right password until released,
// so a test can lock the account while that sign-in is being checked.
type gateHasher struct {
	right   string
	entered chan struct{}
	release chan struct{}
}

func (h *gateHasher) Hash(pw string) (string, error) { return argon2id.CreateHash(pw, fastParams) }
func (h *gateHasher) Verify(pw, hash string) (bool, error) {
	if pw == h.right {
		h.entered <- struct{}{}
		<-h.release
	}
	return argon2id.ComparePasswordAndHash(pw, hash)
}

// TestLockoutWhileVerifying: the right password does not get in when the
// account was locked while it was being checked.
func TestLockoutWhileVerifying(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		h := &gateHasher{right: "correct horse", entered: make(chan struct{}), release: make(chan struct{})}
		e := newEnv(t, st, auth.Options{Hasher: h}, roomyRates)
		// sign-up hashes, and verifies nothing, so it does not stop at the gate
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		done := make(chan *objectostest.Response)
		go func() { done <- e.signIn("ada@example.com", "correct horse") }()
		<-h.entered // counted, now verifying
		for range auth.DefaultLockoutThreshold {
			e.signIn("ada@example.com", "wrong password")
		}
		close(h.release)
		r := <-done
		assert.Equal(t, 403, r.StatusCode, "locked while it was checked: %s", r.String())
		assert.Equal(t, "ACCOUNT_LOCKED", r.Value("code"))
	})
}

// slowHasher takes its time and records how many checks ran at once.
type slowHasher struct {
	running, peak atomic.Int64
}

func (h *slowHasher) Hash(pw string) (string, error) { return argon2id.CreateHash(pw, fastParams) }
func (h *slowHasher) Verify(pw, hash string) (bool, error) {
	n := h.running.Add(1)
	defer h.running.Add(-1)
	for p := h.peak.Load(); n > p && !h.peak.CompareAndSwap(p, n); p = h.peak.Load() {
	}
	time.Sleep(150 * time.Millisecond)
	return argon2id.ComparePasswordAndHash(pw, hash)
}

// TestHashingIsBounded: password checks run at most HashConcurrency at
// once; a sign-in that finds no free slot in time is 503 with Retry-After,
// not queued without bound.
func TestHashingIsBounded(t *testing.T) {
	h := &slowHasher{}
	e := newEnv(t, testenv.Open(t, testenv.SQLite), auth.Options{Hasher: h, HashConcurrency: 2, HashWait: 20 * time.Millisecond}, roomyRates)
	require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
	var ok, busy atomic.Int64
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.signIn(fmt.Sprintf("user%d@example.com", i), "wrong password")
			switch r.StatusCode {
			case 401:
				ok.Add(1)
			case 503:
				busy.Add(1)
				assert.Equal(t, "1", r.Header.Get("Retry-After"))
				assert.Equal(t, "SERVICE_UNAVAILABLE", r.Value("code"))
			default:
				t.Errorf("unexpected %d %s", r.StatusCode, r.String())
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, h.peak.Load(), int64(2), "never more than two checks at once")
	assert.Positive(t, busy.Load(), "the rest were turned away")
	assert.Positive(t, ok.Load())
	assert.Equal(t, 200, e.signIn("ada@example.com", "correct horse").StatusCode, "and sign-in works again")
}

// TestBusyIsNotAFailure: a sign-in turned away for want of a free hashing
// slot (503) checked no password, so it does not count towards the lockout:
// a burst of right passwords under load does not lock the account.
func TestBusyIsNotAFailure(t *testing.T) {
	h := &slowHasher{}
	e := newEnv(t, testenv.Open(t, testenv.SQLite), auth.Options{Hasher: h, HashConcurrency: 1, HashWait: time.Millisecond}, roomyRates)
	require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
	var busy atomic.Int64
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if e.signIn("ada@example.com", "correct horse").StatusCode == 503 {
				busy.Add(1)
			}
		}()
	}
	wg.Wait()
	require.GreaterOrEqual(t, busy.Load(), int64(auth.DefaultLockoutThreshold), "most were turned away")
	assert.Equal(t, 200, e.signIn("ada@example.com", "correct horse").StatusCode, "and none of them counted as a failure")
}
