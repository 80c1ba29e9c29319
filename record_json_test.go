package objectos_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
)

// TestRecordJSONMatchesEncodingJSON: the fast record encoder writes what
// encoding/json would.
func TestRecordJSONMatchesEncodingJSON(t *testing.T) {
	rec := objectos.Record{
		"s": "a\"b\\c\n\t\x01<>&\u2028 é \xff", "n": 1234.5, "small": 1e-7, "big": 1e21, "neg": -0.0, "int": 3.0,
		"b": true, "null": nil, "arr": []string{"x", "y"}, "empty": []string{},
		"json": map[string]any{"k": []any{1.0, "v", nil}}, "nested": objectos.Record{"id": "x", "z": false},
	}
	got, err := json.Marshal(rec)
	require.NoError(t, err)
	plain := map[string]any{}
	for k, v := range rec {
		if r, ok := v.(objectos.Record); ok {
			v = map[string]any(r)
		}
		plain[k] = v
	}
	want, err := json.Marshal(plain)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
	var back map[string]any
	require.NoError(t, json.Unmarshal(got, &back))
	assert.Equal(t, "a\"b\\c\n\t\x01<>&\u2028 é \ufffd", back["s"])
	assert.Contains(t, string(got), `"small":1e-7`)
}
