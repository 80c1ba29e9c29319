package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

// appOrder is a table of the application's own, beside objectos' tables.
type appOrder struct {
	bun.BaseModel `bun:"table:app_order"`
	ID            string `bun:"id,pk"`
	AccountID     string `bun:"account_id,notnull"`
}

// appAudit is written by a write hook, in the write's transaction.
type appAudit struct {
	bun.BaseModel `bun:"table:app_audit"`
	ID            string `bun:"id,pk"`
}

// noDelete grants everything on every object but deleting.
type noDelete struct{}

func (noDelete) Authorize(_ context.Context, _ *objectos.Principal, _ *objectos.Object, a objectos.Access) (*objectos.Grant, error) {
	if a == objectos.AccessDelete {
		return nil, nil
	}
	return &objectos.Grant{Transfer: true}, nil
}

// eachOwnStore runs fn on a store from Open (testenv) and one made from the
// application's database (FromDB), on every configured store kind.
func eachOwnStore(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	for _, k := range testenv.Kinds(t) {
		t.Run("Open/"+string(k), func(t *testing.T) { fn(t, testenv.Open(t, k)) })
		t.Run("FromDB/"+string(k), func(t *testing.T) { fn(t, fromDB(t, k)) })
	}
}

// appStack builds a Stack on st with an account object whose afterCreate
// hook audits into the application's table through the write's
// transaction, a script action that handles a failed create and goes on,
// and the application's tables.
func appStack(t *testing.T, st *store.Store) *objectos.Stack {
	t.Helper()
	ctx := context.Background()
	audit := func(ctx context.Context, h *objectos.HookContext) error {
		tx, ok := store.TxFrom(ctx)
		if !ok {
			return errors.New("the hook has no transaction")
		}
		_, err := tx.NewInsert().Model(&appAudit{ID: h.ID}).Exec(ctx)
		return err
	}
	s, err := objectos.New(ctx, objectos.Options{
		Artifact: &objectos.Artifact{Objects: []*objectos.Object{{
			Name: "account",
			Fields: []*objectos.Field{
				{Name: "name", Type: objectos.TypeText, Required: true, Unique: true},
			},
			Actions: []*objectos.Action{{Name: "twice", Type: objectos.ActionScript}},
		}}},
		Store:    st,
		Security: noDelete{},
		Hooks:    []objectos.Hook{{Object: "account", Events: []objectos.HookEvent{objectos.AfterCreate}, Func: audit}},
		ActionHandlers: map[string]objectos.ActionHandler{
			// creates "Twice" twice: the second fails and is handled.
			"account.twice": func(ctx context.Context, call *objectos.ActionCall) (any, error) {
				if _, err := call.Stack.Create(ctx, "account", objectos.Record{"name": "Twice"}); err != nil {
					return nil, err
				}
				_, err := call.Stack.Create(ctx, "account", objectos.Record{"name": "Twice"})
				if !objectos.IsCode(err, objectos.CodeUniqueViolation) {
					return nil, errors.New("the duplicate create did not fail")
				}
				_, err = call.Stack.Create(ctx, "account", objectos.Record{"name": "After twice"})
				return nil, err
			},
		},
	})
	require.NoError(t, err)
	for _, model := range []any{(*appOrder)(nil), (*appAudit)(nil)} {
		_, err := st.DB().NewCreateTable().Model(model).Exec(ctx)
		require.NoError(t, err)
	}
	return s
}

// accountNames returns the names of the stored accounts, sorted.
func accountNames(t *testing.T, s *objectos.Stack) []string {
	t.Helper()
	res, err := s.List(objectos.AsSystem(context.Background()), "account", objectos.Query{Sort: []objectos.SortKey{{Field: "name"}}})
	require.NoError(t, err)
	names := []string{}
	for _, r := range res.Records {
		names = append(names, r["name"].(string))
	}
	return names
}

// rows counts the rows of an application table.
func rows(t *testing.T, st *store.Store, model any) int {
	t.Helper()
	n, err := st.DB().NewSelect().Model(model).Count(context.Background())
	require.NoError(t, err)
	return int(n)
}

func asUser() context.Context {
	return objectos.WithPrincipal(context.Background(), &objectos.Principal{UserID: "u1"})
}

// TestApplicationRowsInStackTransact: inside Stack.Transact the application
// writes its own table in the transaction of the objectos records (created
// through the Stack, so hooks and permissions apply): committed together,
// rolled back together.
func TestApplicationRowsInStackTransact(t *testing.T) {
	eachOwnStore(t, func(t *testing.T, st *store.Store) {
		s := appStack(t, st)
		ctx := asUser()
		order := func(ctx context.Context, id, account string) error {
			tx, ok := store.TxFrom(ctx)
			if !ok {
				return errors.New("Stack.Transact's context has no transaction")
			}
			_, err := tx.NewInsert().Model(&appOrder{ID: id, AccountID: account}).Exec(ctx)
			return err
		}

		_, ok := store.TxFrom(ctx)
		assert.False(t, ok, "no transaction outside one")

		require.NoError(t, s.Transact(ctx, func(ctx context.Context) error {
			res, err := s.Create(ctx, "account", objectos.Record{"name": "Acme"})
			if err != nil {
				return err
			}
			return order(ctx, "o1", res.ID)
		}))
		assert.Equal(t, []string{"Acme"}, accountNames(t, s))
		assert.Equal(t, 1, rows(t, st, (*appOrder)(nil)), "committed with the record")
		assert.Equal(t, 1, rows(t, st, (*appAudit)(nil)), "the hook's row too")

		boom := errors.New("boom")
		err := s.Transact(ctx, func(ctx context.Context) error {
			res, err := s.Create(ctx, "account", objectos.Record{"name": "Globex"})
			if err != nil {
				return err
			}
			if err := order(ctx, "o2", res.ID); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		assert.Equal(t, []string{"Acme"}, accountNames(t, s), "the record rolled back")
		assert.Equal(t, 1, rows(t, st, (*appOrder)(nil)), "the application's row rolled back with it")
		assert.Equal(t, 1, rows(t, st, (*appAudit)(nil)), "and the hook's")

		// Permissions apply inside: the denied delete fails the function.
		err = s.Transact(ctx, func(ctx context.Context) error {
			res, err := s.Create(ctx, "account", objectos.Record{"name": "Initech"})
			if err != nil {
				return err
			}
			if err := order(ctx, "o3", res.ID); err != nil {
				return err
			}
			return s.Delete(ctx, "account", res.ID, objectos.WriteOptions{})
		})
		require.True(t, objectos.IsCode(err, objectos.CodePermissionDenied), "%v", err)
		assert.Equal(t, []string{"Acme"}, accountNames(t, s))
		assert.Equal(t, 1, rows(t, st, (*appOrder)(nil)))
	})
}

// TestStackJoinsTheApplicationsTransaction: the application begins the
// transaction, the Stack's calls join it, and the application commits or
// rolls back everything; a failed call inside undoes only itself.
func TestStackJoinsTheApplicationsTransaction(t *testing.T) {
	eachOwnStore(t, func(t *testing.T, st *store.Store) {
		s := appStack(t, st)
		run := func(fn func(ctx context.Context, tx bun.Tx) error, commit bool) {
			t.Helper()
			tx, err := st.DB().BeginTx(context.Background(), nil)
			require.NoError(t, err)
			defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
			ctx := st.WithTx(asUser(), tx)
			got, ok := store.TxFrom(ctx)
			require.True(t, ok)
			require.Same(t, tx.Tx, got.Tx, "TxFrom gives back the application's transaction")
			require.NoError(t, fn(ctx, tx))
			if commit {
				require.NoError(t, tx.Commit())
			} else {
				require.NoError(t, tx.Rollback())
			}
		}
		createWithOrder := func(ctx context.Context, tx bun.Tx, name, orderID string) error {
			res, err := s.Create(ctx, "account", objectos.Record{"name": name})
			if err != nil {
				return err
			}
			_, err = tx.NewInsert().Model(&appOrder{ID: orderID, AccountID: res.ID}).Exec(ctx)
			return err
		}

		run(func(ctx context.Context, tx bun.Tx) error {
			if err := createWithOrder(ctx, tx, "Rolled back", "o1"); err != nil {
				return err
			}
			// Stack.Transact joins it too.
			return s.Transact(ctx, func(ctx context.Context) error { return createWithOrder(ctx, tx, "Also rolled back", "o2") })
		}, false)
		assert.Equal(t, []string{}, accountNames(t, s), "the application's rollback undoes the records")
		assert.Zero(t, rows(t, st, (*appOrder)(nil)), "and its rows")
		assert.Zero(t, rows(t, st, (*appAudit)(nil)), "and the hooks' rows")

		boom := errors.New("boom")
		run(func(ctx context.Context, tx bun.Tx) error {
			if err := createWithOrder(ctx, tx, "Acme", "o1"); err != nil {
				return err
			}
			// A failed call leaves the transaction as it was, and usable
			// (PostgreSQL refuses every later statement of a transaction
			// whose statement failed, unless a savepoint undoes it).
			_, err := s.Create(ctx, "account", objectos.Record{"name": "Acme"})
			if !objectos.IsCode(err, objectos.CodeUniqueViolation) {
				return errors.New("the duplicate create did not fail")
			}
			if _, err := s.CreateMany(ctx, "account", []objectos.Record{{"name": "Batch"}, {"name": "Acme"}}); !objectos.IsCode(err, objectos.CodeUniqueViolation) {
				return errors.New("the batch with a duplicate did not fail")
			}
			res, err := s.Create(ctx, "account", objectos.Record{"name": "Kept"})
			if err != nil {
				return err
			}
			if err := s.Delete(ctx, "account", res.ID, objectos.WriteOptions{}); !objectos.IsCode(err, objectos.CodePermissionDenied) {
				return errors.New("the delete was not denied")
			}
			// Stack.Transact inside the application's transaction: its
			// function's error undoes only what it did.
			err = s.Transact(ctx, func(ctx context.Context) error {
				if err := createWithOrder(ctx, tx, "Undone", "o2"); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				return errors.New("Stack.Transact did not return its function's error")
			}
			// An action handler's failed call undoes only itself.
			if _, err := s.RunAction(ctx, "account", "twice", "", nil); err != nil {
				return err
			}
			_, err = tx.NewInsert().Model(&appOrder{ID: "o3", AccountID: res.ID}).Exec(ctx)
			return err
		}, true)
		assert.Equal(t, []string{"Acme", "After twice", "Kept", "Twice"}, accountNames(t, s), "committed by the application")
		var ids []string
		require.NoError(t, st.DB().NewSelect().Model((*appOrder)(nil)).Column("id").Order("id").Scan(context.Background(), &ids))
		assert.Equal(t, []string{"o1", "o3"}, ids)
		assert.Equal(t, 4, rows(t, st, (*appAudit)(nil)), "one audit row per account kept")
	})
}

// TestWithTxRefusesAnotherDatabase: a transaction of another database
// cannot be joined (the store's statements would run outside it).
func TestWithTxRefusesAnotherDatabase(t *testing.T) {
	st := fromDB(t, testenv.SQLite)
	other := fromDB(t, testenv.SQLite)
	tx, err := other.DB().BeginTx(context.Background(), nil)
	require.NoError(t, err)
	defer tx.Rollback() //nolint:errcheck // rolled back at the end
	assert.Panics(t, func() { st.WithTx(context.Background(), tx) })
	assert.Panics(t, func() { st.WithTx(context.Background(), bun.Tx{}) })
	assert.NotPanics(t, func() { other.WithTx(context.Background(), tx) })
}
