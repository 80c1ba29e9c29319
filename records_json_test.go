package objectos_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
)

// TestAppendRecordsJSON: the list encoder writes what encoding/json writes
// for the same records, whatever their keys (shared, differing, many,
// needing escapes) and values.
func TestAppendRecordsJSON(t *testing.T) {
	wide := objectos.Record{}
	for i := range 60 {
		wide[fmt.Sprintf("f%02d", i)] = float64(i)
	}
	for _, rs := range [][]objectos.Record{
		nil,
		{},
		{{"a": 1.0, "b": "x"}, {"a": 2.0, "b": "y"}, {"b": "z", "a": 3.0}},
		{{"a": 1.0}, {"a": 1.0, "c": true}, {"c": false}, nil, {"d\"\n<": "é\u2028"}},
		{wide, {"a": nil}, wide},
		{{"t": time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC), "l": []string{"x", "y"}, "n": objectos.Record{"k": "v"}, "m": map[string]any{"z": 1}}},
	} {
		got, err := objectos.AppendRecordsJSON(nil, rs)
		require.NoError(t, err)
		if rs == nil {
			rs = []objectos.Record{}
		}
		want, err := marshalNoEscape(rs)
		require.NoError(t, err)
		assert.JSONEq(t, string(want), string(got))
		assert.Equal(t, string(want), string(got), "byte for byte")
	}
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
