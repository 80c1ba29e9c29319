package jsonkind_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/objectos-go/objectos/internal/jsonkind"
)

func TestOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v    any
		want string
	}{
		{nil, "null"},
		{map[string]any{"a": 1.0}, "a plain object"},
		{[]any{1.0}, "an array"},
		{"x", "a string"},
		{true, "a boolean"},
		{1.5, "a number"},
		{json.Number("1"), "a number"},
		{int64(1), "a number"},
		{struct{}{}, "struct {}"},
	} {
		assert.Equal(t, tc.want, jsonkind.Of(tc.v), "%#v", tc.v)
	}
}
