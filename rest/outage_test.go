package rest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/store"
)

// outageArtifact: accounts, and notes that go with their account (a
// master-detail field cascades the delete); the action twice creates two
// accounts of one group.
func outageArtifact() *objectos.Artifact {
	return &objectos.Artifact{Name: "outage", Objects: []*objectos.Object{
		{Name: "account", Fields: []*objectos.Field{
			{Name: "name", Type: objectos.TypeText, Required: true},
			{Name: "grp", Type: objectos.TypeText},
		}, Actions: []*objectos.Action{{Name: "twice", Type: objectos.ActionScript,
			Params: []*objectos.ActionParam{{Name: "tag", Type: objectos.TypeText, Required: true}}}}},
		{Name: "note", Fields: []*objectos.Field{
			{Name: "body", Type: objectos.TypeText},
			{Name: "account", Type: objectos.TypeMasterDetail, Reference: "account"},
		}},
	}}
}

// outageWriter is what one writer was told: the ids of its acknowledged
// creates, the groups of its acknowledged createMany requests, and those
// of the requests answered 503 (which may or may not have been applied).
type outageWriter struct {
	created     []string
	groups      []string
	maybeGroups []string
	pairs       []string // groups of acknowledged actions, two accounts each
	maybePairs  []string
	parents     []string // accounts with two notes each, set up before the run
	deleted     []string // of parents, acknowledged deletes
}

// TestDatabaseOutage cuts PostgreSQL's connections for about three seconds
// under concurrent writes and reads: every request answers its success or
// 503 SERVICE_UNAVAILABLE with Retry-After and no driver text, /ready
// follows the database, the pool recovers, nothing leaks, every
// acknowledged write is stored and no failed one is half-applied.
func TestDatabaseOutage(t *testing.T) {
	dsn := testenv.Schema(t) // skips without PostgreSQL
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	px := testenv.NewProxy(t, u.Host)
	u.Host = px.Addr()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	ctx := context.Background()
	st, err := store.OpenPostgres(ctx, u.String())
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	opts := objectos.Options{Artifact: outageArtifact(), Store: st,
		Plugins: []objectos.Plugin{rest.New(rest.Options{}), testAuth},
		Logger:  slog.New(slog.DiscardHandler), // a few hundred failures are expected
		ActionHandlers: map[string]objectos.ActionHandler{"account.twice": func(ctx context.Context, call *objectos.ActionCall) (any, error) {
			for _, name := range []string{"x", "y"} {
				if _, err := call.Stack.Create(ctx, "account", objectos.Record{"name": name, "grp": call.Params["tag"]}); err != nil {
					return nil, err
				}
			}
			return "ok", nil
		}}}
	roomyRates(&opts)
	s, err := objectos.New(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })

	call := func(method, path string, body any) (int, http.Header, []byte) {
		var rd *strings.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = strings.NewReader(string(b))
		} else {
			rd = strings.NewReader("")
		}
		req := httptest.NewRequest(method, "/api/v1"+path, rd)
		req.Header.Set("X-Test-User", "u")
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code, rec.Header(), rec.Body.Bytes()
	}
	var (
		badMu sync.Mutex
		bad   []string
	)
	// check accepts want or 503 with Retry-After and no driver text; it
	// reports whether the answer was the success.
	check := func(what string, status int, hdr http.Header, body []byte, want int) bool {
		if status == want {
			return true
		}
		fail := func(why string) {
			badMu.Lock()
			defer badMu.Unlock()
			if len(bad) < 20 {
				bad = append(bad, fmt.Sprintf("%s: %d %s: %s", what, status, why, body))
			}
		}
		if status != http.StatusServiceUnavailable {
			fail("want its success or 503")
			return false
		}
		if hdr.Get("Retry-After") == "" {
			fail("no Retry-After")
		}
		// the data routes' flat envelope, or the Stack's {success, error}
		var e struct {
			Code  string
			Error json.RawMessage
		}
		_ = json.Unmarshal(body, &e)
		if e.Code == "" {
			var inner struct{ Code string }
			_ = json.Unmarshal(e.Error, &inner)
			e.Code = inner.Code
		}
		if e.Code != string(objectos.CodeServiceUnavailable) {
			fail("not SERVICE_UNAVAILABLE")
		}
		for _, leak := range []string{"127.0.0.1", "dial", "EOF", "conn", "pgx", "SQLSTATE", "broken pipe", "reset by peer"} {
			if strings.Contains(string(body), leak) {
				fail("driver text " + leak)
			}
		}
		return false
	}

	const writers, readers = 16, 4
	ws := make([]*outageWriter, writers)
	for i := range ws {
		ws[i] = &outageWriter{}
		for k := range 8 {
			status, _, body := call("POST", "/data/account", map[string]any{"name": fmt.Sprintf("p%d-%d", i, k)})
			require.Equal(t, 201, status, "%s", body)
			var rec struct{ ID string }
			require.NoError(t, json.Unmarshal(body, &rec))
			for n := range 2 {
				status, _, body := call("POST", "/data/note", map[string]any{"body": fmt.Sprint(n), "account": rec.ID})
				require.Equal(t, 201, status, "%s", body)
			}
			ws[i].parents = append(ws[i].parents, rec.ID)
		}
	}
	status, _, _ := call("GET", "/ready", nil)
	require.Equal(t, 200, status)
	db := st.DB().DB
	// the proxy's goroutines are the test's, not the stack's
	ours := func() int { return runtime.NumGoroutine() - px.Goroutines() }
	goroutines := ours()

	var stop atomic.Bool
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Go(func() {
			for n := 0; !stop.Load(); n++ {
				switch n % 3 {
				case 0:
					status, hdr, body := call("POST", "/data/account", map[string]any{"name": fmt.Sprintf("c%d-%d", i, n)})
					if check("create", status, hdr, body, 201) {
						var rec struct{ ID string }
						if json.Unmarshal(body, &rec) == nil {
							w.created = append(w.created, rec.ID)
						}
					}
				case 1:
					grp := fmt.Sprintf("g%d-%d", i, n)
					recs := []map[string]any{{"name": "a", "grp": grp}, {"name": "b", "grp": grp}, {"name": "c", "grp": grp}}
					status, hdr, body := call("POST", "/data/account/createMany", recs)
					if check("createMany", status, hdr, body, 201) {
						w.groups = append(w.groups, grp)
					} else {
						w.maybeGroups = append(w.maybeGroups, grp)
					}
				case 2:
					if n%9 == 5 {
						tag := fmt.Sprintf("t%d-%d", i, n)
						status, hdr, body := call("POST", "/actions/account/twice", map[string]any{"params": map[string]any{"tag": tag}})
						if check("action", status, hdr, body, 200) {
							w.pairs = append(w.pairs, tag)
						} else {
							w.maybePairs = append(w.maybePairs, tag)
						}
					}
					if k := n / 9; n%9 == 2 && k < len(w.parents) {
						id := w.parents[k]
						status, hdr, body := call("DELETE", "/data/account/"+id, nil)
						if check("delete", status, hdr, body, 200) {
							w.deleted = append(w.deleted, id)
						}
					}
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	for range readers {
		wg.Go(func() {
			for !stop.Load() {
				status, hdr, body := call("GET", "/data/account?top=5", nil)
				check("list", status, hdr, body, 200)
				time.Sleep(5 * time.Millisecond)
			}
		})
	}

	time.Sleep(time.Second)
	px.Cut()
	time.Sleep(500 * time.Millisecond)
	status, hdr, body := call("GET", "/ready", nil)
	check("ready during the outage", status, hdr, body, 503)
	assert.Equal(t, 503, status, "ready during the outage")
	time.Sleep(2500 * time.Millisecond)
	px.Restore()
	restored := time.Now()
	for {
		status, _, _ := call("GET", "/ready", nil)
		if status == 200 {
			break
		}
		if time.Since(restored) > 2*time.Second {
			t.Fatal("ready is not 200 within 2 s after the database is back")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second)
	stop.Store(true)
	wg.Wait()
	for _, b := range bad {
		t.Error(b)
	}

	status, _, body = call("POST", "/data/account", map[string]any{"name": "after"})
	require.Equal(t, 201, status, "the pool recovers: %s", body)

	// every acknowledged write is there; no failed one is half-applied
	names := map[string]string{} // id → grp
	groups := map[string]int{}
	rows, err := db.QueryContext(ctx, "SELECT id, coalesce(grp, '') FROM account")
	require.NoError(t, err)
	for rows.Next() {
		var id, grp string
		require.NoError(t, rows.Scan(&id, &grp))
		names[id] = grp
		if grp != "" {
			groups[grp]++
		}
	}
	require.NoError(t, rows.Err())
	rows.Close()
	notes := map[string]int{}
	rows, err = db.QueryContext(ctx, "SELECT account FROM note")
	require.NoError(t, err)
	for rows.Next() {
		var acc string
		require.NoError(t, rows.Scan(&acc))
		notes[acc]++
	}
	require.NoError(t, rows.Err())
	rows.Close()

	var acked, ackedGroups, ackedDeletes, maybe int
	for _, w := range ws {
		for _, id := range w.created {
			_, ok := names[id]
			assert.True(t, ok, "acknowledged create %s is missing", id)
			acked++
		}
		for _, g := range w.groups {
			assert.Equal(t, 3, groups[g], "acknowledged createMany %s", g)
			ackedGroups++
		}
		for _, g := range w.maybeGroups {
			assert.Contains(t, []int{0, 3}, groups[g], "createMany %s answered 503 is all or nothing", g)
			if groups[g] == 3 {
				maybe++
			}
		}
		for _, g := range w.pairs {
			assert.Equal(t, 2, groups[g], "acknowledged action %s", g)
		}
		for _, g := range w.maybePairs {
			assert.Contains(t, []int{0, 2}, groups[g], "action %s answered 503 is all or nothing", g)
		}
		deleted := map[string]bool{}
		for _, id := range w.deleted {
			deleted[id] = true
			ackedDeletes++
		}
		for _, id := range w.parents {
			_, there := names[id]
			switch {
			case deleted[id]:
				assert.False(t, there, "acknowledged delete %s", id)
				assert.Zero(t, notes[id], "the notes of deleted account %s", id)
			case there:
				assert.Equal(t, 2, notes[id], "the notes of account %s", id)
			default:
				assert.Zero(t, notes[id], "the notes of account %s, deleted by a 503", id)
			}
		}
	}
	t.Logf("acknowledged: %d creates, %d createMany, %d deletes; %d createMany answered 503 were applied", acked, ackedGroups, ackedDeletes, maybe)
	assert.Positive(t, acked)

	// nothing leaks: the goroutines and the pool settle back
	assert.Eventually(t, func() bool { return ours() <= goroutines+5 }, 5*time.Second, 50*time.Millisecond,
		"goroutines: %d before, %d after", goroutines, ours())
	stats := db.Stats()
	assert.Zero(t, stats.InUse, "connections in use after the run")
	assert.LessOrEqual(t, stats.OpenConnections, 25)
}
