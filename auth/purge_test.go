package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

// TestPurge: expired sessions, OAuth sign-in state and stale failed
// sign-in counts are deleted, a bounded number per run; live ones stay.
func TestPurge(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, auth.Options{PurgeBatch: 3}, roomyAuthRate)
		ctx := objectos.AsSystem(context.Background())
		require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
		for range 4 {
			e.signedIn("ada@example.com", "correct horse")
		}
		e.signIn("ghost@example.com", "nope") // a failed sign-in count
		_, err := e.Stack.Create(ctx, auth.ObjVerification, objectos.Record{"identifier": "oauth:x", "value": map[string]any{},
			"expires_at": objectos.FormatDatetime(e.Clock.Now().Add(10 * time.Minute))})
		require.NoError(t, err)
		count := func(object string) int64 {
			n, err := e.Stack.Count(ctx, object, objectos.Query{})
			require.NoError(t, err)
			return n
		}
		require.EqualValues(t, 5, count(auth.ObjSession))

		// Nothing has expired yet.
		n, err := e.auth.Purge(context.Background())
		require.NoError(t, err)
		assert.Zero(t, n)

		// A week and a day later the sessions (7 days), the state (10
		// minutes) and the count (15 minutes) are stale; a new session is
		// not.
		e.Clock.Advance(8 * 24 * time.Hour)
		fresh := e.signedIn("ada@example.com", "correct horse")
		n, err = e.auth.Purge(context.Background())
		require.NoError(t, err)
		assert.Equal(t, 3+1+1, n, "at most PurgeBatch of each kind per run")
		assert.EqualValues(t, 3, count(auth.ObjSession), "two stale sessions left for the next run, and the fresh one")
		assert.Zero(t, count(auth.ObjVerification))
		assert.Zero(t, count(auth.ObjLoginAttempt))
		n, err = e.auth.Purge(context.Background())
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		assert.EqualValues(t, 1, count(auth.ObjSession))
		r := e.Bearer(fresh).Get("/api/v1/auth/get-session")
		require.Equal(t, 200, r.StatusCode)
		assert.NotNil(t, r.Value("session"))
	})
}

// TestPurgeSchedule: the schedule purges on its own, and Close stops it.
func TestPurgeSchedule(t *testing.T) {
	st := testenv.Open(t, testenv.SQLite)
	e := newEnv(t, st, auth.Options{PurgeInterval: 10 * time.Millisecond}, roomyAuthRate)
	ctx := objectos.AsSystem(context.Background())
	require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
	e.Clock.Advance(8 * 24 * time.Hour)
	require.Eventually(t, func() bool {
		n, err := e.Stack.Count(ctx, auth.ObjSession, objectos.Query{})
		return err == nil && n == 0
	}, 5*time.Second, 10*time.Millisecond, "the expired session is purged on schedule")
	require.NoError(t, e.Stack.Close())
	require.NoError(t, e.auth.Close(), "closing twice is harmless")

}
