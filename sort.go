package objectos

import (
	"fmt"
	"slices"
	"strings"

	"github.com/objectos-go/objectos/internal/suggest"
)

// SortKey is one key of a sort.
type SortKey struct {
	Field string `json:"field"`
	Desc  bool   `json:"desc,omitempty"`
}

func sortErr(format string, args ...any) *Error { return quotedf(CodeInvalidSort, format, args...) }

// ParseSort parses a sort string: comma-separated keys, each "field",
// "-field", "field asc" or "field desc". Errors are INVALID_SORT.
func ParseSort(s string) ([]SortKey, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []SortKey
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		item := strings.TrimSpace(part)
		if item == "" {
			return nil, sortErr("empty sort key in %q", s)
		}
		var k SortKey
		words := strings.Fields(item)
		switch len(words) {
		case 1:
			k.Field = words[0]
			if strings.HasPrefix(k.Field, "-") {
				k.Field, k.Desc = k.Field[1:], true
			} else if strings.HasPrefix(k.Field, "+") {
				k.Field = k.Field[1:]
			}
		case 2:
			k.Field = words[0]
			switch strings.ToLower(words[1]) {
			case "asc":
			case "desc":
				k.Desc = true
			default:
				return nil, sortErr("%q: the direction must be asc or desc", item)
			}
		default:
			return nil, sortErr("%q: write a key as field, -field, field asc or field desc", item)
		}
		if strings.Contains(k.Field, ":") {
			name, _, _ := strings.Cut(k.Field, ":")
			return nil, sortErr("%q: write %q or %q", item, name+" desc", "-"+name)
		}
		if strings.Contains(k.Field, ".") {
			return nil, sortErr("%q: dotted paths are not supported; sort on this object's own fields", k.Field)
		}
		if !validName(k.Field) {
			return nil, sortErr("%q is not a field name", k.Field)
		}
		if seen[k.Field] {
			return nil, sortErr("%q appears twice in the sort", k.Field)
		}
		seen[k.Field] = true
		out = append(out, k)
	}
	return out, nil
}

// ParseSortValue parses the JSON forms of a sort: a string as for
// [ParseSort], an array of strings ("-created_at") or of {field, order}
// objects, or an object {"field": "asc"|"desc"}.
func ParseSortValue(v any) ([]SortKey, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return ParseSort(x)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			switch y := e.(type) {
			case string:
				parts = append(parts, y)
			case map[string]any:
				field, _ := y["field"].(string)
				order, _ := y["order"].(string)
				for k := range y {
					if k != "field" && k != "order" {
						if k == "direction" {
							return nil, sortErr("use \"order\", not \"direction\", in a sort key")
						}
						return nil, sortErr("unknown key %q in a sort key; use {field, order}", k)
					}
				}
				if field == "" {
					return nil, sortErr("a sort key needs a field")
				}
				if order == "" {
					order = "asc"
				}
				parts = append(parts, field+" "+order)
			default:
				return nil, sortErr("a sort key must be a string or {field, order}")
			}
		}
		return ParseSort(strings.Join(parts, ","))
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		if len(keys) > 1 {
			return nil, sortErr("an object sort has one key only (object keys have no order); use an array")
		}
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			d, ok := x[k].(string)
			if !ok {
				return nil, sortErr("%q: the direction must be asc or desc", k)
			}
			parts = append(parts, k+" "+d)
		}
		return ParseSort(strings.Join(parts, ","))
	}
	return nil, sortErr("sort must be a string, an array or an object")
}

// bindSort checks the keys against the object.
func bindSort(o *Object, keys []SortKey) ([]SortKey, error) {
	for _, k := range keys {
		f := o.Field(k.Field)
		if f == nil || f.Internal {
			var names []string
			for _, x := range o.Fields {
				if !x.Internal {
					names = append(names, x.Name)
				}
			}
			msg := fmt.Sprintf("unknown field %q", clip(k.Field))
			if s := suggest.Closest(k.Field, names); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			return nil, NewError(CodeInvalidSort, msg)
		}
		if f.Type == TypeFormula && f.Computed() == nil {
			return nil, sortErr("%q is a formula computed after the read and cannot be sorted", k.Field).With("field", k.Field)
		}
		if f.Kind() == KindSecret {
			return nil, sortErr("%q is a secret field and cannot be sorted: its values are encrypted", k.Field)
		}
		if !f.IsSortable() {
			return nil, sortErr("%q is a %s field and cannot be sorted", k.Field, f.Type)
		}
	}
	return keys, nil
}

func withTieBreaker(keys []SortKey) []SortKey {
	out := make([]SortKey, 0, len(keys)+1)
	desc := false
	for _, k := range keys {
		if k.Field == FieldID {
			return append(out, k)
		}
		out = append(out, k)
		desc = k.Desc
	}
	return append(out, SortKey{Field: FieldID, Desc: desc})
}

func withSortFields(fields []string, keys []SortKey) []string {
	out := fields
	for _, k := range keys {
		if !slices.Contains(out, k.Field) {
			if len(out) == len(fields) {
				out = append([]string(nil), fields...)
			}
			out = append(out, k.Field)
		}
	}
	return out
}
