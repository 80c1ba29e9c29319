package objectos

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// accessWriter records what a response sent for the access line: its
// status and the bytes of its body. It lives inside the request's
// requestState, so recording costs no allocation of its own.
type accessWriter struct {
	http.ResponseWriter
	start  time.Time
	status int
	bytes  int64
}

func (w *accessWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 { // 1xx answers come before the real one
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *accessWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush passes a streaming handler's flush on (MCP's server-sent events).
func (w *accessWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's own writer.
func (w *accessWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logAccess writes the access line of a request the Stack served (see
// requestRecord, which reads nothing a credential could be in).
func (s *Stack) logAccess(ctx context.Context, rec *RequestRecord) {
	attrs := make([]slog.Attr, 0, 9)
	attrs = append(attrs,
		slog.String("method", rec.Method),
		slog.String("route", rec.Route),
		slog.Int("status", rec.Status),
		slog.Duration("duration", rec.Duration),
		slog.Int64("bytes", rec.Bytes),
		slog.String("request_id", rec.RequestID),
	)
	if rec.Object != "" {
		attrs = append(attrs, slog.String("object", rec.Object))
	}
	if rec.PrincipalID != "" || rec.AuthMethod != "" {
		attrs = append(attrs, slog.String("principal_id", rec.PrincipalID), slog.String("auth_method", string(rec.AuthMethod)))
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "objectos: request", attrs...)
}
