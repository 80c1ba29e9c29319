package objectos

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Record is one record as it travels through objectos: field names to wire
// values (string, float64, bool, nil, []string, and any JSON for json
// fields). Datetimes are ISO strings in UTC with milliseconds.
type Record map[string]any

// The canonical Go value of each kind, as the engine hands it to a Store and
// a Store returns it:
//
//	KindText, KindChoice, KindReference, KindAutonumber, KindPassword: string
//	KindSecret: string, the plaintext on the way in (a Record given to
//	  Create or Update), the sealed form "v1:<key id>:<base64>" (see
//	  SecretKey) between the engine and a Store
//	KindNumber: float64
//	KindBool: bool
//	KindDate: string "2006-01-02"
//	KindDatetime: time.Time in UTC, truncated to milliseconds
//	KindTime: string "15:04:05" or "15:04:05.000" (milliseconds only when non-zero)
//	KindMulti: []string
//	KindJSON: json.RawMessage (compact)
//
// NULL is nil.

// MaskedValue replaces password and secret values on read. Written back
// as the value of a password or secret field, it leaves the stored value
// as it is, so that a client may send back the record it read.
const MaskedValue = "••••••••"

// DatetimeLayout is the wire layout of datetime values.
const DatetimeLayout = "2006-01-02T15:04:05.000Z"

// DateLayout is the wire layout of date values.
const DateLayout = "2006-01-02"

var (
	idRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`)
	phoneRE = regexp.MustCompile(`^\+?[0-9 ().\-]{3,32}$`)
	timeRE  = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9])(?:\.([0-9]{1,9}))?)?$`)
	dateRE  = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// ValidID reports whether s can be a record id: 1 to 128 letters, digits and
// _ . : - (starting with a letter or digit).
func ValidID(s string) bool { return idRE.MatchString(s) }

func fieldErr(f *Field, code, format string, args ...any) *FieldError {
	return &FieldError{Field: f.Name, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Normalize checks a value against the field as a write does — its type
// and format, options, lengths and ranges — and returns the canonical form
// (see [Record]), or what is wrong as a *FieldError. It takes wire values
// (a datetime as "2024-03-15T14:30:00.000Z", a number as float64 or
// json.Number) and canonical Go values; nil is nil.
func (f *Field) Normalize(v any) (any, *FieldError) { return normalizeValue(f, v) }

// normalizeValue checks a wire value (or a Go value from a Go caller) against
// the field and returns its canonical form.
func normalizeValue(f *Field, v any) (any, *FieldError) {
	if v == nil {
		return nil, nil
	}
	switch f.Kind() {
	case KindText, KindPassword:
		s, ok := v.(string)
		if !ok {
			return nil, fieldErr(f, FieldInvalidType, "%s must be a string", f.Name)
		}
		return checkText(f, s)
	case KindSecret:
		s, ok := v.(string)
		if !ok {
			return nil, fieldErr(f, FieldInvalidType, "%s must be a string", f.Name)
		}
		if s == "" {
			return nil, nil // no secret: cleared, like null
		}
		return checkText(f, s)
	case KindNumber:
		n, ok := toFloat(v)
		if !ok {
			return nil, fieldErr(f, FieldInvalidNumber, "%s must be a number", f.Name)
		}
		return checkNumber(f, n)
	case KindBool:
		b, ok := v.(bool)
		if !ok {
			return nil, fieldErr(f, FieldInvalidBoolean, "%s must be true or false", f.Name)
		}
		return b, nil
	case KindDate:
		switch x := v.(type) {
		case string:
			if d, ok := parseDate(x); ok {
				return d, nil
			}
		case time.Time:
			if x.Year() >= 1 && x.Year() <= 9999 {
				return x.Format(DateLayout), nil
			}
		}
		return nil, fieldErr(f, FieldInvalidDate, "%s must be a date written YYYY-MM-DD", f.Name)
	case KindDatetime:
		switch x := v.(type) {
		case string:
			if t, ok := parseDatetime(x); ok {
				return t, nil
			}
		case time.Time:
			if x.UTC().Year() >= 1 && x.UTC().Year() <= 9999 {
				return x.UTC().Truncate(time.Millisecond), nil
			}
		}
		return nil, fieldErr(f, FieldInvalidDate, "%s must be an ISO 8601 timestamp such as 2024-03-15T14:30:00.000Z", f.Name)
	case KindTime:
		if s, ok := v.(string); ok {
			if t, ok := parseTime(s); ok {
				return t, nil
			}
		}
		return nil, fieldErr(f, FieldInvalidTime, "%s must be a time written HH:MM:SS", f.Name)
	case KindChoice:
		s, ok := v.(string)
		if !ok {
			return nil, fieldErr(f, FieldInvalidType, "%s must be a string", f.Name)
		}
		if !f.HasOption(s) {
			return nil, optionErr(f, s)
		}
		return s, nil
	case KindMulti:
		return normalizeMulti(f, v)
	case KindReference:
		s, ok := v.(string)
		if !ok {
			return nil, fieldErr(f, FieldInvalidType, "%s must be a record id (a string)", f.Name)
		}
		if !ValidID(s) {
			return nil, fieldErr(f, FieldReferenceNotFound, "%s does not reference an existing record", f.Name)
		}
		return s, nil
	case KindJSON:
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fieldErr(f, FieldInvalidJSON, "%s must be a JSON value", f.Name)
		}
		if string(raw) == "null" {
			return nil, nil
		}
		if strings.Contains(string(raw), `\u0000`) {
			return nil, fieldErr(f, FieldInvalidValue, "%s must not contain NUL characters", f.Name)
		}
		return json.RawMessage(raw), nil
	case KindAutonumber:
		s, ok := v.(string)
		if !ok {
			return nil, fieldErr(f, FieldInvalidType, "%s must be a string", f.Name)
		}
		return s, nil
	}
	return nil, fieldErr(f, FieldInvalidType, "%s has an unsupported type", f.Name)
}

func optionErr(f *Field, s string) *FieldError {
	values := make([]string, len(f.Options))
	for i, o := range f.Options {
		values[i] = o.Value
	}
	fe := fieldErr(f, FieldInvalidOption, "%s must be one of %s", f.Name, strings.Join(values, ", "))
	fe.Constraint = values
	return fe
}

func checkText(f *Field, s string) (any, *FieldError) {
	if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
		return nil, fieldErr(f, FieldInvalidValue, "%s must be valid UTF-8 text without NUL characters", f.Name)
	}
	n := utf8.RuneCountInString(s)
	if f.MaxLength > 0 && n > f.MaxLength {
		fe := fieldErr(f, FieldMaxLength, "%s must be at most %d characters", f.Name, f.MaxLength)
		fe.Constraint = f.MaxLength
		return nil, fe
	}
	if f.MinLength > 0 && n < f.MinLength {
		fe := fieldErr(f, FieldMinLength, "%s must be at least %d characters", f.Name, f.MinLength)
		fe.Constraint = f.MinLength
		return nil, fe
	}
	switch f.Type {
	case TypeEmail:
		if !validEmail(s) {
			return nil, fieldErr(f, FieldInvalidEmail, "%s must be an email address", f.Name)
		}
	case TypeURL:
		if !validURL(s) {
			return nil, fieldErr(f, FieldInvalidURL, "%s must be an absolute http or https URL", f.Name)
		}
	case TypePhone:
		digits := 0
		for _, r := range s {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if !phoneRE.MatchString(s) || digits < 3 {
			return nil, fieldErr(f, FieldInvalidPhone, "%s must be a phone number", f.Name)
		}
	}
	return s, nil
}

func validEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " <>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".") && !strings.HasSuffix(s, ".")
}

func validURL(s string) bool {
	if len(s) > 2048 || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func toFloat(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int32:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint:
		f = float64(x)
	case uint32:
		f = float64(x)
	case uint64:
		f = float64(x)
	case json.Number:
		var err error
		if f, err = x.Float64(); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func checkNumber(f *Field, n float64) (any, *FieldError) {
	if f.Scale != nil && decimals(n) > *f.Scale {
		fe := fieldErr(f, FieldMaxScale, "%s must have at most %d decimal places", f.Name, *f.Scale)
		fe.Constraint = *f.Scale
		return nil, fe
	}
	if f.Precision > 0 {
		scale := 0
		if f.Scale != nil {
			scale = *f.Scale
		}
		limit := math.Pow(10, float64(f.Precision-scale))
		if math.Abs(n) >= limit {
			fe := fieldErr(f, FieldMaxValue, "%s must have at most %d digits before the decimal point", f.Name, f.Precision-scale)
			fe.Constraint = f.Precision
			return nil, fe
		}
	}
	if f.Min != nil && n < *f.Min {
		fe := fieldErr(f, FieldMinValue, "%s must be at least %s", f.Name, formatNumber(*f.Min))
		fe.Constraint = *f.Min
		return nil, fe
	}
	if f.Max != nil && n > *f.Max {
		fe := fieldErr(f, FieldMaxValue, "%s must be at most %s", f.Name, formatNumber(*f.Max))
		fe.Constraint = *f.Max
		return nil, fe
	}
	return n, nil
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func decimals(f float64) int {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

func normalizeMulti(f *Field, v any) (any, *FieldError) {
	var items []string
	switch x := v.(type) {
	case []string:
		items = x
	case []any:
		items = make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fieldErr(f, FieldInvalidType, "%s must be an array of strings", f.Name)
			}
			items = append(items, s)
		}
	default:
		return nil, fieldErr(f, FieldInvalidType, "%s must be an array of strings", f.Name)
	}
	out := make([]string, 0, len(items))
	seen := make(map[string]bool, len(items))
	for _, s := range items {
		if s == "" || strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
			return nil, fieldErr(f, FieldInvalidValue, "%s must contain non-empty strings", f.Name)
		}
		if len(f.Options) > 0 && !f.HasOption(s) {
			return nil, optionErr(f, s)
		}
		if seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	if f.MaxLength > 0 && len(out) > f.MaxLength {
		return nil, fieldErr(f, FieldMaxItems, "%s must have at most %d items", f.Name, f.MaxLength)
	}
	return out, nil
}

// parseDate accepts YYYY-MM-DD for years 0001 to 9999 (PostgreSQL has no
// year 0).
func parseDate(s string) (string, bool) {
	if !dateRE.MatchString(s) || strings.HasPrefix(s, "0000") {
		return "", false
	}
	if _, err := time.Parse(DateLayout, s); err != nil {
		return "", false
	}
	return s, true
}

func parseDatetime(s string) (time.Time, bool) {
	if len(s) < 20 || len(s) > 40 || s[4] != '-' || (s[10] != 'T' && s[10] != 't') {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	t = t.UTC()
	if t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, false
	}
	return t.Truncate(time.Millisecond), true
}

// parseTime canonicalises a wall-clock time: HH:MM[:SS[.fff]] becomes
// HH:MM:SS, with .fff only when the milliseconds are non-zero.
func parseTime(s string) (string, bool) {
	m := timeRE.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	sec := m[3]
	if sec == "" {
		sec = "00"
	}
	out := m[1] + ":" + m[2] + ":" + sec
	if frac := m[4]; frac != "" {
		frac = (frac + "00")[:3]
		if frac != "000" {
			out += "." + frac
		}
	}
	return out, true
}

// FormatDatetime formats an instant as a wire datetime.
func FormatDatetime(t time.Time) string { return t.UTC().Format(DatetimeLayout) }

// toWire converts a canonical value to its wire form.
func toWire(f *Field, v any) any {
	if v == nil {
		return nil
	}
	switch f.Kind() {
	case KindDatetime:
		if t, ok := v.(time.Time); ok {
			return FormatDatetime(t)
		}
	case KindPassword, KindSecret:
		return MaskedValue
	case KindJSON:
		if raw, ok := v.(json.RawMessage); ok {
			var out any
			if err := json.Unmarshal(raw, &out); err == nil {
				return out
			}
			return nil
		}
	case KindMulti:
		if s, ok := v.([]string); ok && s == nil {
			return []string{}
		}
	}
	return v
}

// Default tokens.
const (
	DefaultNow         = "NOW()"
	DefaultCurrentUser = "current_user"
)

// normalizeDefault returns the canonical default of the field for a create
// by userID at now, or nil when the field has none.
func normalizeDefault(f *Field, userID string, now time.Time) (any, *FieldError) {
	v := f.DefaultValue
	if v == nil {
		for _, o := range f.Options {
			if o.Default && f.Kind() == KindChoice {
				return o.Value, nil
			}
		}
		return nil, nil
	}
	if s, ok := v.(string); ok {
		switch {
		case strings.EqualFold(s, DefaultNow):
			switch f.Kind() {
			case KindDate:
				return now.UTC().Format(DateLayout), nil
			case KindDatetime:
				return now.UTC().Truncate(time.Millisecond), nil
			case KindTime:
				t, _ := parseTime(now.UTC().Format("15:04:05.000"))
				return t, nil
			}
			return nil, fieldErr(f, FieldInvalidValue, "NOW() is a default for date, datetime and time fields only")
		case s == DefaultCurrentUser:
			if f.Kind() == KindReference && f.Target() == UserObject {
				if userID == "" {
					return nil, nil
				}
				return userID, nil
			}
			return nil, fieldErr(f, FieldInvalidValue, "current_user is a default for user fields only")
		}
	}
	if f.Kind() == KindMulti && len(f.Options) > 0 {
		if arr, ok := v.([]any); ok {
			for _, e := range arr {
				if s, ok := e.(string); ok && !f.HasOption(s) {
					return nil, fieldErr(f, FieldInvalidOption, "default %q is not one of the options", s)
				}
			}
		}
	}
	c, fe := normalizeValue(f, v)
	if fe != nil {
		fe.Message = "default value: " + fe.Message
	}
	return c, fe
}
