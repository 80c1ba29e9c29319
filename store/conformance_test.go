package store_test

import (
	"testing"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/storetest"
)

// TestConformance runs the Store conformance suite on every configured
// store: SQLite in memory always, PostgreSQL when OBJECTOS_TEST_POSTGRES is
// set (each call of open gets its own schema).
func TestConformance(t *testing.T) {
	for _, k := range testenv.Kinds(t) {
		t.Run(string(k), func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) objectos.Store { return testenv.Open(t, k) })
		})
	}
}
