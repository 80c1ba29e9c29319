package objectos

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// MarshalJSON encodes the record as a JSON object with sorted keys. It is
// what encoding/json would write, without its per-key reflection: records
// are the bulk of every list response.
func (r Record) MarshalJSON() ([]byte, error) {
	return appendRecord(make([]byte, 0, 32+48*len(r)), r)
}

func appendRecord(b []byte, r Record) ([]byte, error) {
	if r == nil {
		return append(b, "null"...), nil
	}
	var arr [40]string // most records have fewer fields: no allocation
	keys := arr[:0]
	for k := range r {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		if b, err = appendJSONValue(b, r[k]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// AppendRecordsJSON appends the records as a JSON array, each as
// AppendRecordJSON writes it. Records of one list share their keys, so the
// keys are sorted and encoded once and reused while they fit.
func AppendRecordsJSON(b []byte, rs []Record) ([]byte, error) {
	b = append(b, '[')
	var arr [40]string
	keys := arr[:0]
	var enc []byte   // `"key":` of every key, one after another
	var ends [40]int // where each key's ends in enc
	var err error
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		if r == nil {
			b = append(b, "null"...)
			continue
		}
		if len(r) != len(keys) || !hasKeys(r, keys) {
			keys = keys[:0]
			for k := range r {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if len(keys) > len(ends) { // an unusually wide record: on its own
				if b, err = appendRecord(b, r); err != nil {
					return nil, err
				}
				keys = keys[:0]
				continue
			}
			enc = enc[:0]
			for j, k := range keys {
				enc = append(appendJSONString(enc, k), ':')
				ends[j] = len(enc)
			}
		}
		b = append(b, '{')
		start := 0
		for j, k := range keys {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, enc[start:ends[j]]...)
			start = ends[j]
			if b, err = appendJSONValue(b, r[k]); err != nil {
				return nil, err
			}
		}
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

func hasKeys(r Record, keys []string) bool {
	for _, k := range keys {
		if _, ok := r[k]; !ok {
			return false
		}
	}
	return true
}

func appendJSONValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendJSONString(b, x), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, &json.UnsupportedValueError{Str: strconv.FormatFloat(x, 'g', -1, 64)}
		}
		return appendJSONFloat(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		return append(b, ']'), nil
	case Record:
		return appendRecord(b, x)
	case time.Time:
		return appendJSONString(b, FormatDatetime(x)), nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, raw...), nil
}

// appendJSONFloat formats like encoding/json.
func appendJSONFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does without HTML escaping:
// control characters, quotes and backslashes escaped, invalid UTF-8 replaced
// by U+FFFD, and U+2028/U+2029 escaped for JavaScript.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
