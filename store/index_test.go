package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/security"
	"github.com/objectos-go/objectos/store"
)

// recording is a store that keeps the last select the engine sent.
type recording struct {
	*store.Store
	mu   sync.Mutex
	last *objectos.Select
}

func (r *recording) Find(ctx context.Context, o *objectos.Object, sel *objectos.Select) ([]objectos.Record, error) {
	r.mu.Lock()
	r.last = sel
	r.mu.Unlock()
	return r.Store.Find(ctx, o, sel)
}

func indexArtifact() *objectos.Artifact {
	return &objectos.Artifact{Name: "ix", Objects: []*objectos.Object{{
		Name: "account", SharingModel: objectos.SharingPrivate,
		Fields: []*objectos.Field{
			{Name: "name", Type: objectos.TypeText},
			{Name: "industry", Type: objectos.TypeSelect, Options: []objectos.Option{{Value: "finance"}, {Value: "tech"}, {Value: "retail"}}},
		},
		Indexes: []objectos.Index{{Fields: []string{"industry", "created_at"}}},
	}}, PermissionSets: []*objectos.PermissionSet{{Name: "member", IsDefault: true,
		Objects: map[string]objectos.ObjectPermission{"account": {AllowRead: true}}}}}
}

// owner: alice owns one account in fifty, bob the rest.
func owner(i int) string {
	if i%50 == 0 {
		return "alice"
	}
	return "bob"
}

// seed inserts n accounts of two owners over a year, with the industries
// in turn.
func seed(t *testing.T, st *store.Store, o *objectos.Object, n int) {
	ctx := context.Background()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	inds := []string{"finance", "tech", "retail"}
	for b := 0; b < n; b += 1000 {
		rows := make([]objectos.Record, 0, 1000)
		for i := b; i < min(b+1000, n); i++ {
			at := start.Add(time.Duration(i) * 5 * time.Minute)
			rows = append(rows, objectos.Record{"id": fmt.Sprintf("acc-%07d", i), "name": fmt.Sprintf("Account %d", i),
				"industry": inds[i%3], "owner_id": owner(i), "created_at": at, "updated_at": at})
		}
		require.NoError(t, st.InsertMany(ctx, o, rows))
	}
}

// TestListsReadOnlyThePage: a filtered, sorted, limited list over 100,000
// rows reads its page from an index in the order asked, in either
// direction, and reads no more than limit+1 rows of the table (no sort of
// every match), on both stores: the declared (industry, created_at), the
// default created_at, and owner_id with created_at for a private object.
func TestListsReadOnlyThePage(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rec := &recording{Store: st}
		s, err := objectos.New(ctx, objectos.Options{Artifact: indexArtifact(), Store: rec, Plugins: []objectos.Plugin{security.New()}})
		require.NoError(t, err)
		o := s.Object("account")
		seed(t, st, o, 100_000)
		require.NoError(t, st.Analyze(ctx)) // as autovacuum would, on a table that size
		alice := objectos.WithPrincipal(ctx, &objectos.Principal{UserID: "alice", Method: objectos.AuthCustom})
		for _, tc := range []struct {
			name  string
			ctx   context.Context
			query objectos.Query
			index string
		}{
			{"filter and sort, newest first", objectos.AsSystem(ctx), objectos.Query{Filter: objectos.Eq("industry", "finance"),
				Sort: []objectos.SortKey{{Field: "created_at", Desc: true}}, Limit: 50, SkipCount: true}, "ixo_account_industry_created_at_id"},
			{"filter and sort, oldest first", objectos.AsSystem(ctx), objectos.Query{Filter: objectos.Eq("industry", "tech"),
				Sort: []objectos.SortKey{{Field: "created_at"}}, Limit: 50, SkipCount: true}, "ixo_account_industry_created_at_id"},
			{"sort only", objectos.AsSystem(ctx), objectos.Query{Sort: []objectos.SortKey{{Field: "created_at", Desc: true}},
				Limit: 50, SkipCount: true}, "ixo_account_created_at_id"},
			{"own records, newest first", alice, objectos.Query{Sort: []objectos.SortKey{{Field: "created_at", Desc: true}},
				Limit: 50, SkipCount: true}, "ixo_account_owner_id_created_at_id"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, err := s.List(tc.ctx, "account", tc.query)
				require.NoError(t, err)
				require.Len(t, res.Records, 50)
				checkPlan(t, st, o, rec, tc.index)
				// and the next page, after the cursor, deep in the table
				q := tc.query
				q.Offset = 900
				res, err = s.List(tc.ctx, "account", q)
				require.NoError(t, err)
				q.Offset, q.Cursor = 0, res.NextCursor
				res, err = s.List(tc.ctx, "account", q)
				require.NoError(t, err)
				require.Len(t, res.Records, 50)
				checkPlan(t, st, o, rec, tc.index)
			})
		}
	})
}

// checkPlan explains the last select the engine sent and checks that it
// reads its page from the index, no more than limit+1 rows, with no sort.
func checkPlan(t *testing.T, st *store.Store, o *objectos.Object, rec *recording, index string) {
	t.Helper()
	rec.mu.Lock()
	sel := rec.last
	rec.mu.Unlock()
	plan, err := st.Explain(context.Background(), o, sel, true)
	require.NoError(t, err)
	if st.Dialect() == "sqlite" {
		assert.Contains(t, plan, index, plan)
		assert.NotContains(t, plan, "TEMP B-TREE", "no sort of the matches: %s", plan)
		return
	}
	var doc []struct{ Plan pgNode }
	require.NoError(t, json.Unmarshal([]byte(plan), &doc), plan)
	var scans []pgNode
	doc[0].Plan.walk(func(n pgNode) {
		assert.NotEqual(t, "Sort", n.Type, "no sort of the matches: %s", plan)
		assert.NotEqual(t, "Incremental Sort", n.Type, plan)
		if n.Relation == "account" {
			scans = append(scans, n)
		}
	})
	require.Len(t, scans, 1, plan)
	assert.Equal(t, index, scans[0].Index, plan)
	assert.LessOrEqual(t, scans[0].ActualRows+scans[0].RemovedByFilter, float64(sel.Limit), "rows read: %s", plan)
}

// pgNode is a node of PostgreSQL's JSON plan.
type pgNode struct {
	Type            string   `json:"Node Type"`
	Relation        string   `json:"Relation Name"`
	Index           string   `json:"Index Name"`
	ActualRows      float64  `json:"Actual Rows"`
	RemovedByFilter float64  `json:"Rows Removed by Filter"`
	Plans           []pgNode `json:"Plans"`
}

func (n pgNode) walk(fn func(pgNode)) {
	fn(n)
	for _, c := range n.Plans {
		c.walk(fn)
	}
}

// TestSyncReplacesOldShapeIndexes: a database whose indexes have the
// earlier shape (single columns in PostgreSQL's default NULLS LAST, no id)
// gets the ordered ones on the next start, built without blocking writes on
// PostgreSQL, and loses the old ones; the log says so.
func TestSyncReplacesOldShapeIndexes(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s, err := objectos.New(ctx, objectos.Options{Artifact: indexArtifact(), Store: st, Plugins: []objectos.Plugin{security.New()}})
		require.NoError(t, err)
		seed(t, st, s.Object("account"), 2000)
		// what the earlier sync left
		for _, q := range []string{
			`DROP INDEX "ixo_account_industry_created_at_id"`, `DROP INDEX "ixo_account_owner_id_created_at_id"`,
			`CREATE INDEX "ix_account_industry_created_at" ON "account" ("industry", "created_at")`,
			`CREATE INDEX "ix_account_owner_id" ON "account" ("owner_id")`,
		} {
			require.NoError(t, st.Exec(ctx, q), q)
		}
		var logs testenv.Buffer
		_, err = objectos.New(ctx, objectos.Options{Artifact: indexArtifact(), Store: st, Plugins: []objectos.Plugin{security.New()},
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		require.NoError(t, err)
		ix, err := st.Indexes(ctx)
		require.NoError(t, err)
		for _, name := range []string{"ixo_account_industry_created_at_id", "ixo_account_owner_id_created_at_id", "ixo_account_created_at_id"} {
			assert.True(t, ix[name], name)
		}
		for _, name := range []string{"ix_account_industry_created_at", "ix_account_owner_id"} {
			assert.False(t, ix[name], "%s is dropped", name)
		}
		assert.Contains(t, logs.String(), "old=ix_account_industry_created_at new=ixo_account_industry_created_at_id")
		assert.Contains(t, logs.String(), "old=ix_account_owner_id new=ixo_account_owner_id_created_at_id")

		// An index an interrupted concurrent build left invalid is built
		// again (PostgreSQL).
		if st.Dialect() == "pg" {
			require.NoError(t, st.Exec(ctx, `UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'ixo_account_created_at_id'::regclass`))
			ix, err = st.Indexes(ctx)
			require.NoError(t, err)
			require.False(t, ix["ixo_account_created_at_id"])
			_, err = objectos.New(ctx, objectos.Options{Artifact: indexArtifact(), Store: st, Plugins: []objectos.Plugin{security.New()}})
			require.NoError(t, err)
			ix, err = st.Indexes(ctx)
			require.NoError(t, err)
			assert.True(t, ix["ixo_account_created_at_id"])
		}
	})
}
