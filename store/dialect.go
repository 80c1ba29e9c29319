package store

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/objectos-go/objectos"
)

// dialect holds what differs between PostgreSQL and SQLite in the data
// statements this package writes.
type dialect struct {
	name string
	pg   bool
	// maxArgs is the most values one statement may bind: PostgreSQL's
	// protocol counts them in 16 bits, SQLite's SQLITE_MAX_VARIABLE_NUMBER
	// is 32,766.
	maxArgs int
}

var (
	pgDialect     = &dialect{name: "pg", pg: true, maxArgs: 65535}
	sqliteDialect = &dialect{name: "sqlite", maxArgs: 32766}
)

// columnType is the SQL type of a field's column.
func (d *dialect) columnType(f *objectos.Field) string {
	switch f.Kind() {
	case objectos.KindNumber:
		if d.pg {
			return "numeric"
		}
		return "REAL"
	case objectos.KindBool:
		if d.pg {
			return "boolean"
		}
		return "INTEGER"
	case objectos.KindDate:
		if d.pg {
			return "date"
		}
		return "TEXT"
	case objectos.KindDatetime:
		if d.pg {
			return "timestamptz"
		}
		return "TEXT"
	case objectos.KindTime:
		if d.pg {
			return "time"
		}
		return "TEXT"
	case objectos.KindMulti, objectos.KindJSON:
		if d.pg {
			return "jsonb"
		}
		return "TEXT"
	}
	if d.pg {
		return "text"
	}
	return "TEXT"
}

// collation is the collation clause of a new column. PostgreSQL text
// columns are created with the "C" collation, so that comparisons, sorts
// (and the indexes behind them) order text by its bytes whatever the
// database's locale — exactly as SQLite does — and a query gives the same
// records, in the same order, on both stores.
func (d *dialect) collation(f *objectos.Field) string {
	if !d.pg {
		return ""
	}
	switch f.Kind() {
	case objectos.KindNumber, objectos.KindBool, objectos.KindDate, objectos.KindDatetime, objectos.KindTime,
		objectos.KindMulti, objectos.KindJSON:
		return ""
	}
	return ` COLLATE "C"`
}

// sameType reports whether an existing column's type (as the catalog
// reports it) is the type objectos would create for the field.
func (d *dialect) sameType(existing string, f *objectos.Field) bool {
	existing = strings.ToLower(strings.TrimSpace(existing))
	want := strings.ToLower(d.columnType(f))
	if !d.pg {
		return existing == want
	}
	aliases := map[string]string{
		"timestamp with time zone": "timestamptz",
		"time without time zone":   "time",
		"character varying":        "text",
	}
	if a, ok := aliases[existing]; ok {
		existing = a
	}
	return existing == want
}

// encode converts a canonical value to the driver argument for the field.
func (d *dialect) encode(f *objectos.Field, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch f.Kind() {
	case objectos.KindBool:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("store: %s: want bool, got %T", f.Name, v)
		}
		if d.pg {
			return b, nil
		}
		if b {
			return int64(1), nil
		}
		return int64(0), nil
	case objectos.KindDatetime:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("store: %s: want time.Time, got %T", f.Name, v)
		}
		if d.pg {
			return t.UTC(), nil
		}
		return objectos.FormatDatetime(t), nil
	case objectos.KindMulti:
		items, ok := v.([]string)
		if !ok {
			return nil, fmt.Errorf("store: %s: want []string, got %T", f.Name, v)
		}
		if items == nil {
			items = []string{}
		}
		raw, _ := json.Marshal(items)
		if d.pg {
			return raw, nil
		}
		return string(raw), nil
	case objectos.KindJSON:
		raw, ok := v.(json.RawMessage)
		if !ok {
			var err error
			if raw, err = json.Marshal(v); err != nil {
				return nil, err
			}
		}
		if d.pg {
			return []byte(raw), nil
		}
		return string(raw), nil
	case objectos.KindNumber:
		n, ok := v.(float64)
		if !ok {
			return nil, fmt.Errorf("store: %s: want float64, got %T", f.Name, v)
		}
		return n, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("store: %s: want string, got %T", f.Name, v)
	}
	return s, nil
}

// decode converts a value read from the driver to the canonical value.
func (d *dialect) decode(f *objectos.Field, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	switch f.Kind() {
	case objectos.KindNumber:
		switch x := v.(type) {
		case float64:
			return v, nil // as boxed: no new allocation
		case int64:
			return float64(x), nil
		case string:
			n, err := strconv.ParseFloat(x, 64)
			if err != nil {
				// PostgreSQL numeric beyond float64 syntax (e.g. NaN) —
				// go through big.Float for exotic spellings.
				bf, _, err2 := big.ParseFloat(x, 10, 64, big.ToNearestEven)
				if err2 != nil {
					return nil, fmt.Errorf("store: %s: bad number %q", f.Name, x)
				}
				n, _ = bf.Float64()
			}
			return n, nil
		}
	case objectos.KindBool:
		switch x := v.(type) {
		case bool:
			return v, nil
		case int64:
			return x != 0, nil
		}
	case objectos.KindDate:
		switch x := v.(type) {
		case time.Time:
			return x.Format(objectos.DateLayout), nil
		case string:
			if len(x) >= 10 {
				return x[:10], nil
			}
		}
	case objectos.KindDatetime:
		switch x := v.(type) {
		case time.Time:
			return x.UTC().Truncate(time.Millisecond), nil
		case string:
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05"} {
				if t, err := time.Parse(layout, x); err == nil {
					return t.UTC().Truncate(time.Millisecond), nil
				}
			}
		}
	case objectos.KindTime:
		switch x := v.(type) {
		case string:
			if t, ok := canonicalTime(x); ok {
				return t, nil
			}
		case time.Time:
			t, _ := canonicalTime(x.Format("15:04:05.000"))
			return t, nil
		}
	case objectos.KindMulti:
		if s, ok := v.(string); ok {
			var out []string
			if err := json.Unmarshal([]byte(s), &out); err != nil {
				return nil, fmt.Errorf("store: %s: bad array", f.Name)
			}
			if out == nil {
				out = []string{}
			}
			return out, nil
		}
	case objectos.KindJSON:
		if s, ok := v.(string); ok {
			return json.RawMessage(s), nil
		}
	default:
		if _, ok := v.(string); ok {
			return v, nil
		}
	}
	return nil, fmt.Errorf("store: %s: unexpected %T from the database", f.Name, v)
}

// canonicalTime writes a wall-clock time as HH:MM:SS with .fff only when the
// milliseconds are non-zero (PostgreSQL returns "14:30:00.5").
func canonicalTime(s string) (string, bool) {
	if len(s) < 8 || s[2] != ':' || s[5] != ':' {
		return "", false
	}
	out := s[:8]
	if len(s) > 9 && s[8] == '.' {
		frac := (s[9:] + "000")[:3]
		if frac != "000" {
			out += "." + frac
		}
	}
	return out, true
}
