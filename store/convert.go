package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/objectos-go/objectos"
)

// conversion turns the values of a column of one field type into values of
// another, where the column cannot stay as it is (see sameStorage). Values
// are converted in Go, from and to their canonical form (see
// objectos.Record), so both stores give the same results.
type conversion struct {
	// effect says what the conversion does to values, in plain words.
	effect string
	// impossible says why no value converts; "" when values do.
	impossible string
	// reference is the object whose record every converted value must be
	// the id of (a conversion to lookup or master_detail).
	reference string
	// fn converts one canonical value. lossy marks a value that lost part
	// of itself as the effect says (the time of day of an instant that
	// becomes a date); err a value that does not convert.
	fn func(v any) (out any, lossy bool, err error)
}

func textual(c class) bool { return c == classText || c == classPassword || c == classReference }

// conversionFor returns how values of type from become values of the field.
func conversionFor(from objectos.FieldType, to *objectos.Field) conversion {
	cf, ct := classOf(from), classOf(to.Type)
	c := conversion{}
	none := func(why string) conversion {
		c.impossible = why
		return c
	}
	fromText := textual(cf)
	switch {
	case cf == classSecret || ct == classSecret:
		return none("secret values are encrypted by the engine, and a migration plan neither encrypts nor decrypts them (yet)")
	case textual(ct):
		if ct == classReference && !fromText {
			return none(fmt.Sprintf("a %s value cannot be the id of a record", from))
		}
		c.fn = func(v any) (any, bool, error) { return textOf(v), false, nil }
		c.effect = map[class]string{
			classText: "values are kept as they are", classPassword: "values are kept as they are",
			classReference: "values are kept as they are",
			classNumber:    `every number becomes its decimal text, such as "1234.5"`,
			classBool:      `true and false become the texts "true" and "false"`,
			classDate:      `every date becomes its text, such as "2024-03-15"`,
			classDatetime:  `every instant becomes its UTC text, such as "2024-03-15T14:30:00.000Z"`,
			classTime:      `every time becomes its text, such as "14:30:00"`,
			classMulti:     `every list becomes its JSON text, such as ["a","b"]`,
			classJSON:      "every JSON value becomes its text",
		}[cf]
		if cf == classPassword && ct != classPassword {
			c.effect += "; the values, masked until now, become readable"
		}
		if cf == classReference && ct != classReference {
			c.effect += "; the column's foreign key goes"
		}
		if ct == classReference {
			c.reference = to.Target()
			c.effect += fmt.Sprintf("; every value must be the id of a %s record", c.reference)
		}
	case ct == classNumber:
		switch {
		case fromText:
			c.effect = `every text must be a number, such as "12.5"; empty texts become null`
			c.fn = func(v any) (any, bool, error) {
				s := strings.TrimSpace(v.(string))
				if s == "" {
					return nil, false, nil
				}
				n, err := strconv.ParseFloat(s, 64)
				if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
					return nil, false, errors.New("is not a number")
				}
				return n, false, nil
			}
		case cf == classBool:
			c.effect = "true becomes 1 and false 0"
			c.fn = func(v any) (any, bool, error) {
				if v.(bool) {
					return 1.0, false, nil
				}
				return 0.0, false, nil
			}
		case cf == classJSON:
			c.effect = "every JSON value must be a number"
			c.fn = fromJSON(objectos.TypeNumber, "is not a JSON number")
		default:
			return none(fmt.Sprintf("a %s has no numeric value", from))
		}
	case ct == classBool:
		switch {
		case fromText:
			c.effect = "every text must be true or false (or 1 or 0, in any case); empty texts become null"
			c.fn = func(v any) (any, bool, error) {
				switch strings.ToLower(strings.TrimSpace(v.(string))) {
				case "":
					return nil, false, nil
				case "true", "1":
					return true, false, nil
				case "false", "0":
					return false, false, nil
				}
				return nil, false, errors.New("is not true or false")
			}
		case cf == classNumber:
			c.effect = "1 becomes true and 0 false; no other number converts"
			c.fn = func(v any) (any, bool, error) {
				switch v.(float64) {
				case 1:
					return true, false, nil
				case 0:
					return false, false, nil
				}
				return nil, false, errors.New("is neither 0 nor 1")
			}
		case cf == classJSON:
			c.effect = "every JSON value must be true or false"
			c.fn = fromJSON(objectos.TypeBoolean, "is not true or false")
		default:
			return none(fmt.Sprintf("a %s is not true or false", from))
		}
	case ct == classDate:
		switch {
		case fromText:
			c.effect = "every text must be a date written YYYY-MM-DD; empty texts become null"
			c.fn = fromString(objectos.TypeDate, "is not a date written YYYY-MM-DD")
		case cf == classDatetime:
			c.effect = "every instant becomes its day in UTC, without its time of day"
			c.fn = func(v any) (any, bool, error) {
				t := v.(time.Time).UTC()
				day := t.Format(objectos.DateLayout)
				midnight := t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
				return day, !midnight, nil
			}
		case cf == classJSON:
			c.effect = `every JSON value must be a date, such as "2024-03-15"`
			c.fn = fromJSON(objectos.TypeDate, "is not a date written YYYY-MM-DD")
		default:
			return none(fmt.Sprintf("a %s is not a date", from))
		}
	case ct == classDatetime:
		switch {
		case fromText:
			c.effect = "every text must be an instant, such as 2024-03-15T14:30:00Z (kept in UTC), or a date (midnight UTC); empty texts become null"
			c.fn = func(v any) (any, bool, error) {
				s := strings.TrimSpace(v.(string))
				if s == "" {
					return nil, false, nil
				}
				if d, fe := (&objectos.Field{Name: "value", Type: objectos.TypeDate}).Normalize(s); fe == nil {
					t, _ := time.Parse(objectos.DateLayout, d.(string))
					return t, false, nil
				}
				return fromString(objectos.TypeDatetime, "is not an instant such as 2024-03-15T14:30:00Z")(s)
			}
		case cf == classDate:
			c.effect = "every value becomes midnight UTC of its day"
			c.fn = func(v any) (any, bool, error) {
				t, err := time.Parse(objectos.DateLayout, v.(string))
				if err != nil {
					return nil, false, errors.New("is not a date")
				}
				return t, false, nil
			}
		case cf == classJSON:
			c.effect = `every JSON value must be an instant, such as "2024-03-15T14:30:00Z"`
			c.fn = fromJSON(objectos.TypeDatetime, "is not an instant such as 2024-03-15T14:30:00Z")
		default:
			return none(fmt.Sprintf("a %s is not an instant", from))
		}
	case ct == classTime:
		switch {
		case fromText:
			c.effect = "every text must be a time written HH:MM[:SS[.fff]]; empty texts become null"
			c.fn = fromString(objectos.TypeTime, "is not a time written HH:MM:SS")
		case cf == classJSON:
			c.effect = `every JSON value must be a time, such as "14:30:00"`
			c.fn = fromJSON(objectos.TypeTime, "is not a time written HH:MM:SS")
		default:
			return none(fmt.Sprintf("a %s is not a time of day", from))
		}
	case ct == classMulti:
		switch {
		case fromText:
			c.effect = `every text becomes a list of that one text, or the list it holds in JSON (such as ["a","b"]); empty texts become empty lists`
			c.fn = func(v any) (any, bool, error) {
				s := v.(string)
				if strings.TrimSpace(s) == "" {
					return []string{}, false, nil
				}
				var list []string
				if strings.HasPrefix(strings.TrimSpace(s), "[") && json.Unmarshal([]byte(s), &list) == nil && list != nil {
					return list, false, nil
				}
				return []string{s}, false, nil
			}
		case cf == classJSON:
			c.effect = "every JSON value must be a list of strings"
			c.fn = func(v any) (any, bool, error) {
				var list []string
				if err := json.Unmarshal(v.(json.RawMessage), &list); err != nil {
					return nil, false, errors.New("is not a list of strings")
				}
				if list == nil { // JSON null
					return nil, false, nil
				}
				return list, false, nil
			}
		default:
			return none(fmt.Sprintf("a %s is not a list", from))
		}
	case ct == classJSON:
		c.fn = func(v any) (any, bool, error) {
			if s, ok := v.(string); ok && textual(cf) {
				if t := strings.TrimSpace(s); (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Valid([]byte(t)) {
					return compactJSON([]byte(t)), false, nil
				}
			}
			raw, err := json.Marshal(wireValue(v))
			return json.RawMessage(raw), false, err
		}
		c.effect = map[class]string{
			classNumber:   "every number becomes a JSON number",
			classBool:     "true and false become JSON true and false",
			classDate:     `every date becomes a JSON string, such as "2024-03-15"`,
			classDatetime: `every instant becomes a JSON string, such as "2024-03-15T14:30:00.000Z"`,
			classTime:     `every time becomes a JSON string, such as "14:30:00"`,
		}[cf]
		if fromText {
			c.effect = "a text holding a JSON object or array becomes that value; any other text becomes a JSON string"
		}
	default:
		return none(fmt.Sprintf("objectos has no conversion from %s to %s", from, to.Type))
	}
	return c
}

// fromString parses a text as a wire value of the type; empty texts
// become null.
func fromString(t objectos.FieldType, problem string) func(any) (any, bool, error) {
	f := &objectos.Field{Name: "value", Type: t}
	return func(v any) (any, bool, error) {
		s := strings.TrimSpace(v.(string))
		if s == "" {
			return nil, false, nil
		}
		out, fe := f.Normalize(s)
		if fe != nil {
			return nil, false, errors.New(problem)
		}
		return out, false, nil
	}
}

// fromJSON reads a JSON document as a wire value of the type; JSON null
// becomes null.
func fromJSON(t objectos.FieldType, problem string) func(any) (any, bool, error) {
	f := &objectos.Field{Name: "value", Type: t}
	return func(v any) (any, bool, error) {
		var w any
		if err := json.Unmarshal(v.(json.RawMessage), &w); err != nil {
			return nil, false, errors.New(problem)
		}
		if w == nil {
			return nil, false, nil
		}
		out, fe := f.Normalize(w)
		if fe != nil {
			return nil, false, errors.New(problem)
		}
		return out, false, nil
	}
}

// textOf is the text of a canonical value: what a text field holding it
// shows.
func textOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return objectos.FormatDatetime(x)
	case []string:
		raw, _ := json.Marshal(x)
		return string(raw)
	case json.RawMessage:
		return string(compactJSON(x))
	}
	return fmt.Sprint(v)
}

// wireValue is the JSON value of a canonical value.
func wireValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return objectos.FormatDatetime(x)
	case json.RawMessage:
		return compactJSON(x)
	}
	return v
}

func compactJSON(raw []byte) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return json.RawMessage(raw)
	}
	return json.RawMessage(b.Bytes())
}

// pgText is a canonical value written as PostgreSQL reads it for the
// column type of the kind: converted values reach PostgreSQL as text[] and
// are cast there.
func pgText(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return textOf(v)
}
