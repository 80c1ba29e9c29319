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

// logAccess writes the access line of a request the Stack served: r is the
// request as it arrived, routed (nil when it never reached the routes) the
// one the routes saw, which carries the registered pattern and the object.
// Only the method, the pattern, the object's name — never the path, the
// query or a header — and what the Stack itself decided are logged, so no
// credential a request carries can reach the line.
func (s *Stack) logAccess(ctx context.Context, st *requestState, r, routed *http.Request) {
	aw := &st.w
	status := aw.status
	if status == 0 {
		status = http.StatusOK // a handler that wrote nothing answered 200
	}
	attrs := make([]slog.Attr, 0, 9)
	attrs = append(attrs,
		slog.String("method", r.Method),
		slog.String("route", ""),
		slog.Int("status", status),
		slog.Duration("duration", time.Since(aw.start)),
		slog.Int64("bytes", aw.bytes),
		slog.String("request_id", st.id),
	)
	if routed != nil && routed.Pattern != "" {
		attrs[1] = slog.String("route", s.base+routed.Pattern)
		if name := routed.PathValue("object"); name != "" && s.objects[name] != nil {
			attrs = append(attrs, slog.String("object", name))
		}
	}
	p := st.seen
	if st.authDone && st.principal != nil {
		p = st.principal
	}
	if p != nil {
		attrs = append(attrs, slog.String("principal_id", p.UserID), slog.String("auth_method", string(p.Method)))
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "objectos: request", attrs...)
}
