package telemetry

import (
	"context"
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/httpconv"
	"go.opentelemetry.io/otel/trace"

	"github.com/objectos-go/objectos"
)

// The request's span's own attributes, beside the semantic conventions'.
const (
	attrObject     = attribute.Key("objectos.object")
	attrAuthMethod = attribute.Key("objectos.auth_method")
	attrRequestID  = attribute.Key("objectos.request_id")
)

// spanKey holds the request's span in its context, for RequestDone: the
// context's current span could be another observer's.
type spanKey struct{}

// serverSpan starts a request's span; made once, as each option costs an
// allocation.
var serverSpan = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}

// RequestStarted implements objectos.RequestObserver: it starts the
// request's server span, a child of the caller's when the propagator finds
// one in the headers, and returns the context that carries it. The span is
// named by its method until the request is done, when its route is known;
// its attributes are set then, and only when it is recorded (sampled).
func (p *Plugin) RequestStarted(r *http.Request) context.Context {
	ctx := p.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := p.tracer.Start(ctx, spanName(requestMethod(r.Method), ""), serverSpan...)
	return context.WithValue(ctx, spanKey{}, span)
}

// RequestDone implements objectos.RequestObserver: it names the span
// "METHOD route" ("GET /api/v1/data/{object}/{id}"), gives it the status,
// the route, the object and how the caller authenticated, marks it failed
// for a 5xx, ends it, and records http.server.request.duration. Nothing of
// the path, the query, the headers or the body is recorded.
func (p *Plugin) RequestDone(r *http.Request, rec objectos.RequestRecord) {
	ctx := r.Context()
	method := requestMethod(rec.Method)
	attrs := make([]attribute.KeyValue, 0, 4)
	attrs = append(attrs, semconv.HTTPResponseStatusCode(rec.Status))
	if rec.Route != "" {
		attrs = append(attrs, semconv.HTTPRoute(rec.Route))
	}
	if rec.Status >= 500 {
		attrs = append(attrs, semconv.ErrorTypeKey.String(strconv.Itoa(rec.Status)))
	}
	if span, ok := ctx.Value(spanKey{}).(trace.Span); ok {
		if span.IsRecording() {
			span.SetName(spanName(method, rec.Route))
			own := append(attrs[:len(attrs):len(attrs)], semconv.HTTPRequestMethodKey.String(string(method)),
				semconv.URLScheme(scheme(r)), attrRequestID.String(rec.RequestID))
			if rec.Object != "" {
				own = append(own, attrObject.String(rec.Object))
			}
			if rec.AuthMethod != "" {
				own = append(own, attrAuthMethod.String(string(rec.AuthMethod)))
			}
			span.SetAttributes(own...)
			if rec.Status >= 500 {
				span.SetStatus(codes.Error, "")
			}
		}
		span.End()
	}
	p.duration.Record(ctx, rec.Duration.Seconds(), method, scheme(r), attrs...)
}

// spanName is "METHOD route", or the method alone without a route; an
// unknown method is HTTP, as the semantic conventions name it.
func spanName(method httpconv.RequestMethodAttr, route string) string {
	name := string(method)
	if method == httpconv.RequestMethodOther {
		name = "HTTP"
	}
	if route != "" {
		name += " " + route
	}
	return name
}

// requestMethod is the method as the semantic conventions name it: one of
// the known methods, or _OTHER, so that no caller can invent series.
func requestMethod(m string) httpconv.RequestMethodAttr {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return httpconv.RequestMethodAttr(m)
	}
	return httpconv.RequestMethodOther
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}
