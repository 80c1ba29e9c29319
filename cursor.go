package objectos

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// A cursor is base64url(payload) "." base64url(HMAC-SHA256(payload))[:16
// bytes]. The payload holds a digest of the query it belongs to (object,
// filter, search, sort, caller) and the sort-key values of the last row of
// the page. It is tamper-evident, not secret: it only repeats values the
// caller has already seen.

const maxCursorLen = 4096

type cursorPayload struct {
	Digest string `json:"d"`
	Values []any  `json:"v"`
}

func (s *Stack) cursorMAC(payload []byte) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("objectos-cursor\x00"))
	m.Write(payload)
	return m.Sum(nil)[:16]
}

func digestHash(d string) string {
	sum := sha256.Sum256([]byte(d))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

func (s *Stack) encodeCursor(o *Object, plan *queryPlan, last Record) string {
	vals := make([]any, len(plan.sort))
	for i, k := range plan.sort {
		v := last[k.Field]
		if t, ok := v.(time.Time); ok {
			v = FormatDatetime(t)
		}
		vals[i] = v
	}
	payload, _ := json.Marshal(cursorPayload{Digest: digestHash(plan.digest), Values: vals})
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(s.cursorMAC(payload))
}

func cursorErr(msg string) *Error {
	return NewError(CodeInvalidCursor, msg).With("param", "cursor")
}

func (s *Stack) decodeCursor(o *Object, cursor string, plan *queryPlan) ([]any, error) {
	if len(cursor) > maxCursorLen {
		return nil, cursorErr("The cursor is not valid.")
	}
	p64, m64, ok := strings.Cut(cursor, ".")
	if !ok {
		return nil, cursorErr("The cursor is not valid.")
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p64)
	mac, err2 := base64.RawURLEncoding.DecodeString(m64)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.cursorMAC(payload)) {
		return nil, cursorErr("The cursor is not valid.")
	}
	var c cursorPayload
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, cursorErr("The cursor is not valid.")
	}
	if c.Digest != digestHash(plan.digest) || len(c.Values) != len(plan.sort) {
		return nil, cursorErr("The cursor belongs to another query; send the same filter, sort and search as the page it came from.")
	}
	out := make([]any, len(c.Values))
	for i, k := range plan.sort {
		v := c.Values[i]
		if v == nil {
			continue
		}
		f := o.Field(k.Field)
		switch f.Kind() {
		case KindDatetime:
			str, _ := v.(string)
			t, ok := parseDatetime(str)
			if !ok {
				return nil, cursorErr("The cursor is not valid.")
			}
			out[i] = t
		case KindNumber:
			n, ok := v.(float64)
			if !ok {
				return nil, cursorErr("The cursor is not valid.")
			}
			out[i] = n
		case KindBool:
			b, ok := v.(bool)
			if !ok {
				return nil, cursorErr("The cursor is not valid.")
			}
			out[i] = b
		default:
			str, ok := v.(string)
			if !ok {
				return nil, cursorErr("The cursor is not valid.")
			}
			out[i] = str
		}
	}
	return out, nil
}
