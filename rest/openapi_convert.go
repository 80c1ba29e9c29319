package rest

// downgrade30 renders a 3.1 document as OpenAPI 3.0.3, for generators that
// read 3.0 only: type lists with "null" become nullable (and leave null out
// of their enums), const becomes a one-value enum, and the 3.1-only
// top-level keys go. The document is built
// without the 3.1 features that have no 3.0 form (numeric exclusive bounds,
// prefixItems, siblings of $ref), so nothing else needs rewriting.
func downgrade30(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = downgrade30(e)
		}
		if _, ok := out["openapi"]; ok {
			out["openapi"] = "3.0.3"
			delete(out, "jsonSchemaDialect")
			delete(out, "webhooks")
		}
		if types, ok := out["type"].([]any); ok {
			var rest []any
			null := false
			for _, t := range types {
				if t == "null" {
					null = true
				} else {
					rest = append(rest, t)
				}
			}
			if len(rest) == 1 {
				out["type"] = rest[0]
			} else {
				delete(out, "type")
			}
			if null {
				out["nullable"] = true
				// 3.0 generators read an enum's null as one more value
				// ("<nil>"); nullable says it already
				if enum, ok := out["enum"].([]any); ok {
					var vals []any
					for _, v := range enum {
						if v != nil {
							vals = append(vals, v)
						}
					}
					out["enum"] = vals
				}
			}
		}
		if alts, ok := out["anyOf"].([]any); ok {
			var rest []any
			for _, a := range alts {
				if m, ok := a.(map[string]any); ok && len(m) == 1 && m["type"] == "null" {
					out["nullable"] = true
					continue
				}
				rest = append(rest, a)
			}
			out["anyOf"] = rest
		}
		if c, ok := out["const"]; ok {
			out["enum"] = []any{c}
			delete(out, "const")
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = downgrade30(e)
		}
		return out
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = downgrade30(e)
		}
		return out
	}
	return v
}
