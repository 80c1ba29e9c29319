package storetest_test

import (
	"testing"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/store"
	"github.com/objectos-go/objectos/storetest"
)

// Run is the conformance suite of a Store: the 153 upstream filter vectors,
// sorting and paging, every field type, write semantics. A Store of your own
// passes it in a test of its package:
func ExampleRun() {
	_ = func(t *testing.T) { // func TestConformance(t *testing.T) {
		storetest.Run(t, func(t *testing.T) objectos.Store {
			st, err := store.Memory(t.Context()) // your store, empty, for one test
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		})
	}
}
