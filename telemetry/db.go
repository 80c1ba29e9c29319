package telemetry

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/dbconv"
	"go.opentelemetry.io/otel/trace"
)

// maxQueryText bounds db.query.text: a filter's long $in list makes
// statements of tens of kilobytes.
const maxQueryText = 8 << 10

// queryHook makes a client span and a db.client.operation.duration
// measurement of each statement of a store. It sees what
// store.Store.AddQueryHook hands a hook: the SQL with its placeholders,
// never a bound value. A failure is recorded by its SQLSTATE or SQLite
// code, never by its message, which may quote a value.
type queryHook struct {
	tracer   trace.Tracer
	duration dbconv.ClientOperationDuration
	system   dbconv.SystemNameAttr
}

var _ bun.QueryHook = (*queryHook)(nil)

func newQueryHook(tracer trace.Tracer, meter metric.Meter, dialect string) (*queryHook, error) {
	h := &queryHook{tracer: tracer, system: dbconv.SystemNameSQLite}
	if dialect == "pg" {
		h.system = dbconv.SystemNamePostgreSQL
	}
	var err error
	// The buckets the semantic conventions advise for database operations.
	h.duration, err = dbconv.NewClientOperationDuration(meter,
		metric.WithExplicitBucketBoundaries(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10))
	return h, err
}

// statementKey holds a statement's span in the context the store runs it
// with, for AfterQuery: the context's current span could be another
// hook's by then.
type statementKey struct{}

// clientSpan starts a statement's span; made once, as each option costs an
// allocation.
var clientSpan = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient)}

type statementSpan struct {
	span      trace.Span
	operation string
	table     string
}

// BeforeQuery starts the statement's span, named "OPERATION table"
// ("SELECT crm_account", "COMMIT"). The attributes are made only for a
// span that is recorded (sampled).
func (h *queryHook) BeforeQuery(ctx context.Context, ev *bun.QueryEvent) context.Context {
	st := &statementSpan{}
	st.operation, st.table = summarize(ev.QueryTemplate)
	name := st.operation
	if st.table != "" {
		name += " " + st.table
	}
	ctx, st.span = h.tracer.Start(ctx, name, clientSpan...)
	if st.span.IsRecording() {
		text := ev.QueryTemplate
		if len(text) > maxQueryText {
			text = text[:maxQueryText]
		}
		attrs := make([]attribute.KeyValue, 0, 4)
		attrs = append(attrs, semconv.DBSystemNameKey.String(string(h.system)), semconv.DBOperationName(st.operation))
		if st.table != "" {
			attrs = append(attrs, semconv.DBCollectionName(st.table))
		}
		st.span.SetAttributes(append(attrs, semconv.DBQueryText(text))...)
	}
	return context.WithValue(ctx, statementKey{}, st)
}

// AfterQuery ends the span, failed when the statement failed, and
// records the statement's duration.
func (h *queryHook) AfterQuery(ctx context.Context, ev *bun.QueryEvent) {
	st, ok := ctx.Value(statementKey{}).(*statementSpan)
	if !ok {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 4)
	attrs = append(attrs, semconv.DBOperationName(st.operation))
	if st.table != "" {
		attrs = append(attrs, semconv.DBCollectionName(st.table))
	}
	if code, typ := errorType(ev.Err); typ != "" {
		errAttrs := []attribute.KeyValue{semconv.ErrorTypeKey.String(typ)}
		if code != "" {
			errAttrs = append(errAttrs, semconv.DBResponseStatusCode(code))
		}
		attrs = append(attrs, errAttrs...)
		if st.span.IsRecording() {
			st.span.SetAttributes(errAttrs...)
			st.span.SetStatus(codes.Error, typ)
		}
	}
	st.span.End()
	h.duration.Record(ctx, time.Since(ev.StartTime).Seconds(), h.system, attrs...)
}

// errorType is how a statement failed: the database's code (SQLSTATE, or
// SQLite's result code) and the error.type, both "" when it did not. No
// message is read.
func errorType(err error) (code, typ string) {
	if err == nil || errors.Is(err, sql.ErrNoRows) || errors.Is(err, sql.ErrTxDone) {
		// no row is an answer; a transaction its timeout rolled back
		// already failed the statement that was running
		return "", ""
	}
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		return pg.SQLState(), pg.SQLState()
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		c := strconv.Itoa(lite.Code())
		return c, c
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "", "timeout"
	case errors.Is(err, context.Canceled):
		return "", "canceled"
	}
	return "", semconv.ErrorType(err).Value.AsString()
}

// summarize returns the statement's operation (its first word, such as
// SELECT or COMMIT) and the first table it names at its top level (after
// FROM, INTO or UPDATE; "" for none), as the semantic conventions ask of
// a name parsed from the query text.
func summarize(q string) (operation, table string) {
	q = strings.TrimLeft(q, " \t\r\n")
	end := 0
	for end < len(q) && isWord(q[end]) {
		end++
	}
	operation = strings.ToUpper(q[:end])
	if operation == "UPDATE" {
		return operation, identifier(q[end:])
	}
	depth := 0
	for i := end; i < len(q); i++ {
		switch c := q[i]; {
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '\'' || c == '"':
			i = skipQuoted(q, i)
		case depth == 0 && isWord(c) && !isWord(q[i-1]):
			j := i
			for j < len(q) && isWord(q[j]) {
				j++
			}
			switch strings.ToUpper(q[i:j]) {
			case "FROM", "INTO", "UPDATE":
				return operation, identifier(q[j:])
			}
			i = j - 1
		}
	}
	return operation, ""
}

// identifier reads the (possibly quoted, possibly schema-qualified)
// identifier at the start of s, after spaces, unquoted.
func identifier(s string) string {
	s = strings.TrimLeft(s, " \t\r\n")
	var b strings.Builder
	for len(s) > 0 {
		if s[0] == '"' {
			end := skipQuoted(s, 0)
			if end >= len(s) {
				return ""
			}
			b.WriteString(strings.ReplaceAll(s[1:end], `""`, `"`))
			s = s[end+1:]
		} else {
			end := 0
			for end < len(s) && isWord(s[end]) {
				end++
			}
			if end == 0 {
				break
			}
			b.WriteString(s[:end])
			s = s[end:]
		}
		if len(s) == 0 || s[0] != '.' {
			break
		}
		b.WriteByte('.')
		s = s[1:]
	}
	return b.String()
}

// skipQuoted returns the index of the quote that closes the one at i (a
// doubled quote is part of the text), or len(q).
func skipQuoted(q string, i int) int {
	quote := q[i]
	for j := i + 1; j < len(q); j++ {
		if q[j] == quote {
			if j+1 < len(q) && q[j+1] == quote {
				j++
				continue
			}
			return j
		}
	}
	return len(q)
}

func isWord(c byte) bool {
	return c == '_' || c == '$' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
