package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"

	"github.com/uptrace/bun"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/store"
)

// Order is a table of the application's own.
type Order struct {
	bun.BaseModel `bun:"table:shop_order"`
	ID            int64   `bun:"id,pk,autoincrement"`
	CustomerID    string  `bun:"customer_id,notnull"`
	Amount        float64 `bun:"amount,notnull"`
}

// The application's database holds objectos' records and its own tables;
// an objectos record and an application row are written in one
// transaction, committed together or rolled back together.
func ExampleFromDB() {
	ctx := context.Background()

	// The application's database (its pool, its DSN). SQLite needs foreign
	// keys on; an in-memory database lives on one connection.
	db, err := sql.Open("sqlite", "file:shop?mode=memory&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close() // the application's: the store does not close it
	db.SetMaxOpenConns(1)

	st, err := store.FromDB(ctx, db, "sqlite")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close() // runs before db.Close
	if _, err := st.DB().NewCreateTable().Model((*Order)(nil)).Exec(ctx); err != nil {
		log.Fatal(err)
	}
	stack, err := objectos.New(ctx, objectos.Options{
		Artifact: &objectos.Artifact{Objects: []*objectos.Object{{
			Name:   "customer",
			Fields: []*objectos.Field{{Name: "name", Type: objectos.TypeText, Required: true}},
		}}},
		Store: st,
	})
	if err != nil {
		log.Fatal(err)
	}
	uctx := objectos.WithPrincipal(ctx, &objectos.Principal{UserID: "u1"})

	// In Stack.Transact: the record goes through the engine (permissions,
	// validation, hooks), the order through the same transaction.
	placeOrder := func(ctx context.Context, name string, amount float64) error {
		return stack.Transact(ctx, func(ctx context.Context) error {
			c, err := stack.Create(ctx, "customer", objectos.Record{"name": name})
			if err != nil {
				return err
			}
			if amount <= 0 {
				return errors.New("an order needs an amount") // rolls back the customer
			}
			tx, _ := store.TxFrom(ctx)
			_, err = tx.NewInsert().Model(&Order{CustomerID: c.ID, Amount: amount}).Exec(ctx)
			return err
		})
	}
	fmt.Println(placeOrder(uctx, "Acme", 120))
	fmt.Println(placeOrder(uctx, "Globex", 0))

	// The application's transaction, which the Stack joins.
	tx, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	c, err := stack.Create(st.WithTx(uctx, tx), "customer", objectos.Record{"name": "Initech"})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := tx.NewInsert().Model(&Order{CustomerID: c.ID, Amount: 80}).Exec(ctx); err != nil {
		log.Fatal(err)
	}
	if err := tx.Rollback(); err != nil { // the customer goes with the order
		log.Fatal(err)
	}

	customers, err := stack.Count(objectos.AsSystem(ctx), "customer", objectos.Query{})
	if err != nil {
		log.Fatal(err)
	}
	orders, err := st.DB().NewSelect().Model((*Order)(nil)).Count(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(customers, "customer,", orders, "order")
	// Output:
	// <nil>
	// an order needs an amount
	// 1 customer, 1 order
}
