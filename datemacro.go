package objectos

import (
	"strconv"
	"strings"
	"time"
)

// resolveMacro resolves a placeholder comparand ({today}, ${now},
// {7_days_ago}, {current_user_id}); other strings are returned unchanged.
func (b *filterBinder) resolveMacro(fld *Field, op Op, s string) (any, error) {
	name, ok := macroName(s)
	if !ok {
		return s, nil
	}
	switch name {
	case "current_user_id", "user_id":
		if b.opts.UserID == "" {
			return nil, filterErr("%s %s: {%s} needs a signed-in user", fld.Name, op, name)
		}
		return b.opts.UserID, nil
	}
	v, ok := ResolveDateMacro(name, b.opts.Now)
	if !ok {
		return nil, filterErr("%s %s: unknown placeholder {%s}", fld.Name, op, name)
	}
	return v, nil
}

func macroName(s string) (string, bool) {
	s = strings.TrimPrefix(s, "$")
	if len(s) < 3 || s[0] != '{' || s[len(s)-1] != '}' {
		return "", false
	}
	name := s[1 : len(s)-1]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return "", false
		}
	}
	return name, true
}

// ResolveDateMacro resolves a date macro name (without braces) at now, in
// UTC. Instants ("now", "N_minutes_ago", "N_hours_from_now") resolve to a
// time.Time; everything else to a "YYYY-MM-DD" day.
func ResolveDateMacro(name string, now time.Time) (any, bool) {
	now = now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	day := func(t time.Time) string { return t.Format(DateLayout) }
	switch name {
	case "now":
		return now.Truncate(time.Millisecond), true
	case "today":
		return day(today), true
	case "yesterday":
		return day(today.AddDate(0, 0, -1)), true
	case "tomorrow":
		return day(today.AddDate(0, 0, 1)), true
	}
	if m := macroPeriodRE(name); m != nil {
		return day(m(today)), true
	}
	// N_unit_(ago|from_now)
	parts := strings.SplitN(name, "_", 2)
	if len(parts) != 2 {
		return nil, false
	}
	n, err := strconv.Atoi(parts[0])
	if err != nil || n < 0 || n > 100000 {
		return nil, false
	}
	rest := parts[1]
	sign := -1
	switch {
	case strings.HasSuffix(rest, "_ago"):
		rest = strings.TrimSuffix(rest, "_ago")
	case strings.HasSuffix(rest, "_from_now"):
		rest = strings.TrimSuffix(rest, "_from_now")
		sign = 1
	default:
		return nil, false
	}
	rest = strings.TrimSuffix(rest, "s")
	k := sign * n
	switch rest {
	case "minute":
		return now.Add(time.Duration(k) * time.Minute).Truncate(time.Millisecond), true
	case "hour":
		return now.Add(time.Duration(k) * time.Hour).Truncate(time.Millisecond), true
	case "day":
		return day(today.AddDate(0, 0, k)), true
	case "week":
		return day(today.AddDate(0, 0, 7*k)), true
	case "month":
		return day(addMonthsClamped(today, k)), true
	case "year":
		return day(addMonthsClamped(today, 12*k)), true
	}
	return nil, false
}

func addMonthsClamped(t time.Time, months int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).AddDate(0, months, 0)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), 0, 0, 0, 0, time.UTC)
}

// macroPeriodRE resolves {current|last|next}_{week|month|quarter|year}_{start|end}
// and the aliases week_start, month_end, ….
func macroPeriodRE(name string) func(time.Time) time.Time {
	parts := strings.Split(name, "_")
	var rel, unit, edge string
	switch len(parts) {
	case 2:
		rel, unit, edge = "current", parts[0], parts[1]
	case 3:
		rel, unit, edge = parts[0], parts[1], parts[2]
	default:
		return nil
	}
	shift := map[string]int{"current": 0, "last": -1, "next": 1}
	s, ok := shift[rel]
	if !ok || (edge != "start" && edge != "end") {
		return nil
	}
	var start func(time.Time) time.Time
	var next func(time.Time, int) time.Time
	switch unit {
	case "week":
		start = func(t time.Time) time.Time {
			wd := (int(t.Weekday()) + 6) % 7 // Monday = 0
			return t.AddDate(0, 0, -wd)
		}
		next = func(t time.Time, n int) time.Time { return t.AddDate(0, 0, 7*n) }
	case "month":
		start = func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC) }
		next = func(t time.Time, n int) time.Time { return t.AddDate(0, n, 0) }
	case "quarter":
		start = func(t time.Time) time.Time {
			q := (int(t.Month()) - 1) / 3
			return time.Date(t.Year(), time.Month(q*3+1), 1, 0, 0, 0, 0, time.UTC)
		}
		next = func(t time.Time, n int) time.Time { return t.AddDate(0, 3*n, 0) }
	case "year":
		start = func(t time.Time) time.Time { return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC) }
		next = func(t time.Time, n int) time.Time { return t.AddDate(n, 0, 0) }
	default:
		return nil
	}
	return func(today time.Time) time.Time {
		st := next(start(today), s)
		if edge == "start" {
			return st
		}
		return next(st, 1).AddDate(0, 0, -1)
	}
}
