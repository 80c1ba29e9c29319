package audit_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/audit"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
)

// app has a deal object and the permission sets of two non-administrators.
const app = `
name: crm
objects:
  - name: deal
    fields:
      title: {type: text}
permissionSets:
  - name: sales
    objects:
      deal: {allowRead: true, allowCreate: true, allowEdit: true, allowDelete: true, viewAllRecords: true, modifyAllRecords: true}
  - name: analyst
    objects:
      deal: {allowRead: true, viewAllRecords: true}
`

// stores runs fn on SQLite and, when OBJECTOS_TEST_POSTGRES holds a DSN,
// on PostgreSQL.
func stores(t *testing.T, fn func(t *testing.T, opts objectostest.Options)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, objectostest.Options{})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := testenv.PostgresDSN(t) // fails instead when CI requires PostgreSQL
		if dsn == "" {
			t.Skip(testenv.EnvPostgres + " not set")
		}
		t.Parallel()
		fn(t, objectostest.Options{Postgres: dsn})
	})
}

// entries are the audit log's rows, oldest first, read as the system.
func entries(t *testing.T, env *objectostest.Env) []objectos.Record {
	t.Helper()
	res, err := env.Stack.List(objectos.AsSystem(context.Background()), audit.Object,
		objectos.Query{Limit: 1000, Sort: []objectos.SortKey{{Field: objectos.FieldCreatedAt}}})
	require.NoError(t, err)
	return res.Records
}

// find returns the entries of an event about a target user.
func find(rows []objectos.Record, event, target string) []objectos.Record {
	var out []objectos.Record
	for _, r := range rows {
		if r["event"] == event && (target == "" || r["target_user_id"] == target) {
			out = append(out, r)
		}
	}
	return out
}

const agent = "audit-test-agent/1.0"

func TestEvents(t *testing.T) {
	stores(t, func(t *testing.T, opts objectostest.Options) {
		opts.Plugins = []objectos.Plugin{
			auth.New(auth.Options{Hasher: objectostest.FastHasher(), LockoutThreshold: 3}),
			audit.New(audit.Options{}),
		}
		env := objectostest.New(t, objectostest.Artifact(t, []byte(app)), opts)
		base := env.Stack.BasePath()
		admin := env.Admin(t, "Root Admin")
		sales := env.User(t, "Sam Sales", "sales")
		analyst := env.User(t, "Ann Analyst", "analyst")
		lou := env.User(t, "Lou Locked", "sales")
		secrets := []string{admin.Password, sales.Password, analyst.Password, lou.Password,
			admin.Token, sales.Token, analyst.Token, lou.Token}

		// sign-in failures, then the lockout (threshold 3), then a
		// refusal while locked
		anon := env.Client().With("User-Agent", agent)
		for i, pw := range []string{"wrong-password-1", "wrong-password-2", "wrong-password-3", lou.Password} {
			secrets = append(secrets, pw)
			want := http.StatusUnauthorized
			if i == 3 {
				want = http.StatusForbidden
			}
			anon.Post(base+"/auth/sign-in/email", map[string]any{"email": lou.Email, "password": pw}).Status(t, want)
		}
		// a sign-in that succeeds, with the agent
		sr := anon.Post(base+"/auth/sign-in/email", map[string]any{"email": sales.Email, "password": sales.Password}).
			Status(t, http.StatusOK)
		sales2 := env.Bearer(sr.Value("token").(string))
		secrets = append(secrets, sales2.Token)

		// sign-out, own and administrators' revocations
		sales3 := sales.SignIn(t)
		secrets = append(secrets, sales3.Token)
		sales3.Post(base+"/auth/sign-out", nil).Status(t, http.StatusOK)
		sales.Post(base+"/auth/revoke-other-sessions", nil).Status(t, http.StatusOK)
		admin.Post(base+"/auth/admin/revoke-user-sessions", map[string]any{"userId": analyst.ID}).Status(t, http.StatusOK)
		analyst = &objectostest.User{Client: analyst.SignIn(t), ID: analyst.ID}
		secrets = append(secrets, analyst.Token)

		// password change
		newPassword := "a-brand-new-password-9"
		secrets = append(secrets, newPassword)
		sales.Post(base+"/auth/change-password", map[string]any{"currentPassword": sales.Password, "newPassword": newPassword}).
			Status(t, http.StatusOK)

		// keys: minted by their user and by an administrator for another,
		// revoked by the administrator
		salesKey := sales.APIKey(t)
		secrets = append(secrets, salesKey.Key)
		mr := admin.Post(base+"/keys", map[string]any{"name": "for-lou", "user_id": lou.ID}).Status(t, http.StatusCreated)
		louKey, louKeyID := mr.Value("key").(string), mr.Value("id").(string)
		secrets = append(secrets, louKey)
		admin.Post(base+"/actions/sys_api_key/revoke_api_key/"+louKeyID, nil).Status(t, http.StatusOK)

		// permission sets, ban, unban
		admin.Patch(base+"/data/sys_user/"+lou.ID, map[string]any{"permission_sets": []string{"analyst"}}).Status(t, http.StatusOK)
		admin.Post(base+"/auth/admin/ban-user", map[string]any{"userId": lou.ID, "banReason": "spam"}).Status(t, http.StatusOK)
		admin.Post(base+"/auth/admin/unban-user", map[string]any{"userId": lou.ID}).Status(t, http.StatusOK)

		rows := entries(t, env)
		one := func(event, target string, check func(r objectos.Record)) {
			t.Helper()
			got := find(rows, event, target)
			if assert.NotEmpty(t, got, "no %s entry about %s", event, target) && check != nil {
				check(got[len(got)-1])
			}
		}
		one(audit.SignInFailed, lou.ID, func(r objectos.Record) {
			assert.Equal(t, agent, r["user_agent"])
			assert.NotEmpty(t, r["ip_address"])
			assert.Nil(t, r["actor_id"])
			assert.Equal(t, "ACCOUNT_LOCKED", r["code"])
		})
		failed := find(rows, audit.SignInFailed, lou.ID)
		require.Len(t, failed, 4)
		assert.Equal(t, "INVALID_EMAIL_OR_PASSWORD", failed[0]["code"])
		one(audit.Lockout, lou.ID, func(r objectos.Record) {
			assert.Equal(t, agent, r["user_agent"])
			assert.EqualValues(t, 3, r["details"].(map[string]any)["failures"])
		})
		assert.Len(t, find(rows, audit.Lockout, lou.ID), 1)
		one(audit.SignIn, sales.ID, func(r objectos.Record) {
			assert.Equal(t, sales.ID, r["actor_id"])
			assert.Equal(t, "sys_session", r["object"])
			assert.NotEmpty(t, r["record_id"])
		})
		assert.NotEmpty(t, findWith(find(rows, audit.SignIn, ""), "user_agent", agent))
		one(audit.SignOut, sales.ID, func(r objectos.Record) {
			assert.Equal(t, sales.ID, r["actor_id"])
			assert.Equal(t, "sign_out", r["code"])
		})
		assert.NotEmpty(t, findWith(find(rows, audit.SessionRevoked, sales.ID), "actor_id", sales.ID), "own revocation")
		one(audit.SessionRevoked, analyst.ID, func(r objectos.Record) {
			assert.Equal(t, admin.ID, r["actor_id"])
			assert.Equal(t, "revoked_by_admin", r["code"])
		})
		one(audit.PasswordChanged, sales.ID, func(r objectos.Record) {
			assert.Equal(t, sales.ID, r["actor_id"])
			assert.Equal(t, "changed", r["code"])
		})
		minted := find(rows, audit.APIKeyMinted, "")
		require.Len(t, minted, 2)
		assert.Equal(t, sales.ID, minted[0]["actor_id"])
		assert.Equal(t, sales.ID, minted[0]["target_user_id"])
		assert.Equal(t, admin.ID, minted[1]["actor_id"], "minted by")
		assert.Equal(t, lou.ID, minted[1]["target_user_id"], "minted for")
		assert.Equal(t, louKeyID, minted[1]["record_id"])
		one(audit.APIKeyRevoked, lou.ID, func(r objectos.Record) {
			assert.Equal(t, admin.ID, r["actor_id"])
			assert.Equal(t, louKeyID, r["record_id"])
		})
		one(audit.PermissionsChanged, lou.ID, func(r objectos.Record) {
			assert.Equal(t, admin.ID, r["actor_id"])
			assert.Contains(t, toJSON(t, r["details"]), "analyst")
		})
		one(audit.UserBanned, lou.ID, func(r objectos.Record) {
			assert.Equal(t, admin.ID, r["actor_id"])
			assert.Equal(t, "spam", r["details"].(map[string]any)["reason"])
		})
		one(audit.UserUnbanned, lou.ID, func(r objectos.Record) { assert.Equal(t, admin.ID, r["actor_id"]) })
		assert.NotEmpty(t, findWith(find(rows, audit.SessionRevoked, lou.ID), "code", "banned"))

		// no secret anywhere in the table
		all := toJSON(t, rows)
		for _, s := range secrets {
			require.NotEmpty(t, s)
			assert.NotContains(t, all, s)
		}
		for _, r := range rows {
			for _, v := range r {
				if s, ok := v.(string); ok {
					assert.NotContains(t, s, "$argon2", "a password hash")
				}
			}
		}

		// who may read it: administrators only (sales and analyst, and
		// an API key of sales, are refused)
		path := base + "/data/" + audit.Object
		for _, c := range []*objectostest.Client{sales.Client, analyst.Client, salesKey} {
			for _, p := range []string{path, path + "/" + rows[0]["id"].(string)} {
				c.Get(p).Status(t, http.StatusForbidden).Code(t, "PERMISSION_DENIED")
			}
		}
		env.Client().Get(path).Status(t, http.StatusUnauthorized)
		admin.Get(path+"/"+rows[0]["id"].(string)).Status(t, http.StatusOK)

		// nobody writes it through /data, administrators included
		id := rows[0]["id"].(string)
		for _, c := range []*objectostest.Client{admin.Client, sales.Client} {
			for _, r := range []*objectostest.Response{
				c.Post(path, map[string]any{"event": "forged"}),
				c.Post(path, []map[string]any{{"event": "forged"}}),
				c.Patch(path+"/"+id, map[string]any{"event": "forged"}),
				c.Delete(path + "/" + id),
			} {
				r.Status(t, http.StatusMethodNotAllowed).Code(t, "OBJECT_API_METHOD_NOT_ALLOWED")
			}
		}
		after := entries(t, env)
		assert.Empty(t, find(after, "forged", ""))
		assert.NotEmpty(t, findWith(after, "id", id), "the entry is still there")

		// administrators filter and sort it like any object
		q := url.Values{"filter": {`{"event":"sign_in_failed"}`}, "sort": {"-created_at"}}
		lr := admin.Get(path+"?"+q.Encode()).Status(t, http.StatusOK).Equal(t, "total", 4)
		for _, r := range lr.Records() {
			assert.Equal(t, audit.SignInFailed, r["event"])
		}
		q = url.Values{"filter": {`{"target_user_id":"` + lou.ID + `","event":"lockout"}`}}
		admin.Get(path+"?"+q.Encode()).Status(t, http.StatusOK).Equal(t, "total", 1)
	})
}

func findWith(rows []objectos.Record, field string, want any) []objectos.Record {
	var out []objectos.Record
	for _, r := range rows {
		if r[field] == want {
			out = append(out, r)
		}
	}
	return out
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// An entry is written in the transaction of its event: when the event
// rolls back, so does the entry.
func TestRecordJoinsTheTransaction(t *testing.T) {
	stores(t, func(t *testing.T, opts objectostest.Options) {
		opts.Plugins = []objectos.Plugin{audit.New(audit.Options{})}
		env := objectostest.New(t, objectostest.Artifact(t, []byte(app)), opts)
		ctx := objectos.AsSystem(context.Background())
		err := env.Stack.Transact(ctx, func(ctx context.Context) error {
			require.NoError(t, audit.Record(ctx, env.Stack, audit.Event{Name: "rolled_back"}))
			return objectos.NewError(objectos.CodeValidationFailed, "undo")
		})
		require.Error(t, err)
		require.NoError(t, audit.Record(ctx, env.Stack, audit.Event{Name: "kept", Details: map[string]any{"n": 1}}))
		rows := entries(t, env)
		require.Len(t, rows, 1)
		assert.Equal(t, "kept", rows[0]["event"])
	})
}

// Without the audit plugin, Record does nothing.
func TestRecordWithoutThePlugin(t *testing.T) {
	env := objectostest.New(t, objectostest.Artifact(t, []byte(app)), objectostest.Options{})
	require.NoError(t, audit.Record(context.Background(), env.Stack, audit.Event{Name: "nowhere"}))
	env.Admin(t, "Root Admin") // the auth and apikey plugins record without it
}

func TestPurge(t *testing.T) {
	stores(t, func(t *testing.T, opts objectostest.Options) {
		p := audit.New(audit.Options{Retention: 24 * time.Hour, PurgeInterval: -1, PurgeBatch: 2})
		opts.Plugins = []objectos.Plugin{p}
		env := objectostest.New(t, objectostest.Artifact(t, []byte(app)), opts)
		ctx := objectos.AsSystem(context.Background())
		for i := 0; i < 3; i++ {
			require.NoError(t, audit.Record(ctx, env.Stack, audit.Event{Name: "old"}))
		}
		env.Clock.Advance(25 * time.Hour)
		require.NoError(t, audit.Record(ctx, env.Stack, audit.Event{Name: "new"}))
		for _, want := range []int{2, 1, 0} {
			n, err := p.Purge(context.Background())
			require.NoError(t, err)
			assert.Equal(t, want, n)
		}
		rows := entries(t, env)
		require.Len(t, rows, 1)
		assert.Equal(t, "new", rows[0]["event"])
		assert.False(t, strings.Contains(toJSON(t, rows), "old"))
	})
}

// actionApp declares a script action on deal that the sales set may run.
const actionApp = `
name: crm
objects:
  - name: deal
    fields:
      title: {type: text}
    actions:
      - name: close
        type: script
        params:
          - {name: note, type: text}
permissionSets:
  - name: sales
    objects:
      deal: {allowRead: true, allowCreate: true, allowEdit: true, viewAllRecords: true}
`

// An action run is recorded in the action's transaction, with the action
// and the names of its parameters, never their values; a run that fails
// leaves no entry.
func TestActionRuns(t *testing.T) {
	stores(t, func(t *testing.T, opts objectostest.Options) {
		opts.Plugins = []objectos.Plugin{audit.New(audit.Options{})}
		opts.ActionHandlers = map[string]objectos.ActionHandler{
			"deal.close": func(ctx context.Context, call *objectos.ActionCall) (any, error) {
				if call.Params["note"] == "fail" {
					return nil, objectos.NewError(objectos.CodeValidationFailed, "no")
				}
				_, err := call.Stack.Update(ctx, "deal", call.RecordID, objectos.Record{"title": "closed"}, objectos.WriteOptions{})
				return nil, err
			},
		}
		env := objectostest.New(t, objectostest.Artifact(t, []byte(actionApp)), opts)
		base := env.Stack.BasePath()
		sales := env.User(t, "Sam Sales", "sales")
		id := sales.Post(base+"/data/deal", map[string]any{"title": "big"}).Status(t, http.StatusCreated).ID()
		secret := "a-note-that-stays-out-of-the-log"
		sales.Post(base+"/actions/deal/close/"+id, map[string]any{"params": map[string]any{"note": secret}}).Status(t, http.StatusOK)
		sales.Post(base+"/actions/deal/close/"+id, map[string]any{"params": map[string]any{"note": "fail"}}).Status(t, http.StatusBadRequest)

		rows := entries(t, env)
		runs := find(rows, audit.ActionRun, "")
		require.Len(t, runs, 1)
		r := runs[0]
		assert.Equal(t, sales.ID, r["actor_id"])
		assert.Equal(t, "deal", r["object"])
		assert.Equal(t, id, r["record_id"])
		assert.Equal(t, "close", r["code"])
		assert.Equal(t, []any{"note"}, r["details"].(map[string]any)["params"])
		assert.NotContains(t, toJSON(t, rows), secret)
	})
}
