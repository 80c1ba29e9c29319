package telemetry

import (
	"io"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/semconv/v1.43.0/httpconv"
	"go.opentelemetry.io/otel/trace"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/store"
)

// ScopeName is the instrumentation scope of the spans and instruments.
const ScopeName = "github.com/objectos-go/objectos/telemetry"

// DefaultPoolName names the store's connection pool in the pool metrics
// unless Options.PoolName says otherwise.
const DefaultPoolName = "objectos"

// Options configures a Plugin. The zero value traces and measures the
// requests with OpenTelemetry's global providers and propagator (no-ops
// until the application sets them), and no store.
type Options struct {
	// TracerProvider makes the spans. Default otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
	// MeterProvider makes the instruments. Default otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
	// Propagator reads the caller's trace context (traceparent) from the
	// request's headers, so the request's span joins the caller's trace.
	// Default otel.GetTextMapPropagator(), which reads nothing until the
	// application sets one; propagation.TraceContext{} reads W3C
	// traceparent. On a public API every client can pick its trace id and
	// whether it is sampled; a propagator that reads nothing
	// (propagation.NewCompositeTextMapPropagator()) starts a new trace for
	// each request instead.
	Propagator propagation.TextMapPropagator
	// Store, when set, is the store whose statements become spans (the
	// children of the request's span) and db.client.operation.duration
	// measurements (see store.Store.AddQueryHook), and whose connection
	// pool is measured. New adds its query hook to the store: give each
	// store to one Plugin. Default none.
	Store *store.Store
	// PoolName is the db.client.connection.pool.name of the pool metrics.
	// Default DefaultPoolName.
	PoolName string
}

// Plugin traces and measures the requests of a Stack, as an
// objectos.RequestObserver, and the statements and connection pool of a
// store (Options.Store). Add it to objectos.Options.Plugins. A Plugin is
// safe for concurrent use.
type Plugin struct {
	tracer   trace.Tracer
	prop     propagation.TextMapPropagator
	duration httpconv.ServerRequestDuration

	mu   sync.Mutex
	pool metric.Registration // nil without a store, or once closed
}

var (
	_ objectos.Plugin          = (*Plugin)(nil)
	_ objectos.RequestObserver = (*Plugin)(nil)
	_ io.Closer                = (*Plugin)(nil)
)

// New returns a Plugin as opts say. With opts.Store set it adds its query
// hook to the store and registers the pool metrics. It fails when an
// instrument cannot be made.
func New(opts Options) (*Plugin, error) {
	tp := opts.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	mp := opts.MeterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	p := &Plugin{
		tracer: tp.Tracer(ScopeName, trace.WithInstrumentationVersion(objectos.Version)),
		prop:   opts.Propagator,
	}
	if p.prop == nil {
		p.prop = otel.GetTextMapPropagator()
	}
	meter := mp.Meter(ScopeName, metric.WithInstrumentationVersion(objectos.Version))
	var err error
	if p.duration, err = httpconv.NewServerRequestDuration(meter); err != nil {
		return nil, err
	}
	if opts.Store == nil {
		return p, nil
	}
	pool := opts.PoolName
	if pool == "" {
		pool = DefaultPoolName
	}
	hook, err := newQueryHook(p.tracer, meter, opts.Store.Dialect())
	if err != nil {
		return nil, err
	}
	if p.pool, err = observePool(meter, opts.Store.DB().DB, pool); err != nil {
		return nil, err
	}
	opts.Store.AddQueryHook(hook)
	return p, nil
}

// Name implements objectos.Plugin.
func (*Plugin) Name() string { return "telemetry" }

// Close stops measuring the store's connection pool; the Stack calls it
// as it closes. The store's statements still make spans (a store has no
// way to remove a hook), until it is closed in turn.
func (p *Plugin) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pool == nil {
		return nil
	}
	err := p.pool.Unregister()
	p.pool = nil
	return err
}
