package objectos

import (
	"context"
	"net/http"
	"time"
)

// RequestObserver is implemented by plugins that follow every request the
// Stack serves, to trace it or measure it (the telemetry package's plugin
// does both). Both methods run on the request's goroutine.
//
// A Stack without one pays nothing for the capability.
type RequestObserver interface {
	// RequestStarted is called as the Stack receives r, before it is
	// routed, drained or answered. It returns the context the request
	// continues with: r's own, or one derived from it (carrying a span,
	// say, so that what the handlers and the store do under it becomes
	// its children).
	RequestStarted(r *http.Request) context.Context
	// RequestDone is called once the handler has returned (or panicked),
	// with r as the Stack received it, carrying the context the observers
	// returned, and what the access line records of it.
	RequestDone(r *http.Request, rec RequestRecord)
}

// RequestRecord is what the Stack records of a request it served: the
// access line's attributes (see Options.NoAccessLog). Like the line, it
// holds no path, query, header, cookie or body, so no credential a request
// carries reaches it.
type RequestRecord struct {
	// Method is the request's method.
	Method string
	// Route is the registered pattern with the base path
	// ("/api/v1/data/{object}/{id}"); "" when no route was reached (a path
	// outside the base path, a draining Stack).
	Route string
	// Status is the status sent; 200 when the handler wrote nothing.
	Status int
	// Start is when the Stack received the request; Duration runs from it
	// to the handler returning.
	Start    time.Time
	Duration time.Duration
	// Bytes counts the bytes of the response body.
	Bytes int64
	// RequestID is the X-Request-Id of the response.
	RequestID string
	// Object is the route's {object} when it names an object of the
	// Stack, else "".
	Object string
	// PrincipalID and AuthMethod are the authenticated caller's user id
	// and how they authenticated; "" when the request was not
	// authenticated.
	PrincipalID string
	AuthMethod  AuthMethod
}

// requestObservers are the plugins that implement RequestObserver, in
// order.
func requestObservers(plugins []Plugin) []RequestObserver {
	var out []RequestObserver
	for _, p := range plugins {
		if o, ok := p.(RequestObserver); ok {
			out = append(out, o)
		}
	}
	return out
}

// startRequest tells the observers of r and returns r with the context they
// returned.
func (s *Stack) startRequest(r *http.Request) *http.Request {
	for _, o := range s.observers {
		if ctx := o.RequestStarted(r); ctx != nil && ctx != r.Context() {
			r = r.WithContext(ctx)
		}
	}
	return r
}

// endRequest writes the access line (when logged) and tells the observers,
// last first, what the request did. r is the request as it arrived (with
// the observers' context), routed the one the routes saw (nil when it never
// reached them).
func (s *Stack) endRequest(st *requestState, r, routed *http.Request, logged bool) {
	rec := s.requestRecord(st, r, routed)
	if logged {
		s.logAccess(r.Context(), &rec)
	}
	for i := len(s.observers) - 1; i >= 0; i-- {
		s.observers[i].RequestDone(r, rec)
	}
}

// requestRecord is what the Stack records of a request: see RequestRecord.
// Only the method, the pattern, the object's name and what the Stack
// itself decided are read, never the path, the query or a header.
func (s *Stack) requestRecord(st *requestState, r, routed *http.Request) RequestRecord {
	aw := &st.w
	rec := RequestRecord{
		Method:    r.Method,
		Status:    aw.status,
		Start:     aw.start,
		Duration:  time.Since(aw.start),
		Bytes:     aw.bytes,
		RequestID: st.id,
	}
	if rec.Status == 0 {
		rec.Status = http.StatusOK // a handler that wrote nothing answered 200
	}
	if routed != nil && routed.Pattern != "" {
		rec.Route = s.base + routed.Pattern
		if name := routed.PathValue("object"); name != "" && s.objects[name] != nil {
			rec.Object = name
		}
	}
	p := st.seen
	if st.authDone && st.principal != nil {
		p = st.principal
	}
	if p != nil {
		rec.PrincipalID, rec.AuthMethod = p.UserID, p.Method
	}
	return rec
}
