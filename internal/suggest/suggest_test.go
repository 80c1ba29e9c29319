package suggest_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/objectos-go/objectos/internal/suggest"
)

func TestClosest(t *testing.T) {
	names := []string{"limit", "offset", "filter", "sort", "fields", "name", "annual_revenue"}
	for in, want := range map[string]string{
		"limt": "limit", "Limit": "limit", "fitler": "filter", "ofset": "offset", "anual_revenue": "annual_revenue",
		"nmae": "name", "srot": "sort", "xyz": "", "": "", "nam": "name", "completely_else": "",
	} {
		assert.Equal(t, want, suggest.Closest(in, names), in)
	}
	assert.Equal(t, 1, suggest.Distance("ab", "ba", 2), "a transposition")
	assert.Equal(t, 3, suggest.Distance("abc", "xyz", 2), "cut off at max+1")
}

// TestClosestOfHugeNames: a name no hint could fit costs nothing — the
// "did you mean" of a 1 MiB unknown field in a request allocates nothing
// and compares nothing.
func TestClosestOfHugeNames(t *testing.T) {
	huge := strings.Repeat("a", 1<<20)
	names := []string{"annual_revenue", "name", "industry"}
	assert.Equal(t, "", suggest.Closest(huge, names))
	assert.Zero(t, testing.AllocsPerRun(3, func() { suggest.Closest(huge, names) }))
	long := strings.Repeat("n", suggest.MaxName)
	assert.Equal(t, 3, suggest.Distance(strings.Repeat("x", 1000), "abc", 2), "the lengths alone cut it off")
	assert.Equal(t, "", suggest.Closest(long, names))
}
