// Package jsonkind names the kind of a value decoded from JSON, for the
// error messages that say what was sent instead of what was expected
// ("must be a string, not an array").
package jsonkind

import (
	"encoding/json"
	"fmt"
)

// Of names the kind of v, a value decoded from JSON into plain Go values:
// "null", "a plain object" (map[string]any), "an array" ([]any), "a
// string", "a boolean" or "a number" (float64, json.Number, int or int64).
// Any other value is named by its Go type.
func Of(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "a plain object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, json.Number, int, int64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}
