package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/objectos-go/objectos/store"
	"github.com/objectos-go/objectos/telemetry"
)

// metrics is the Prometheus endpoint of OS_METRICS_ADDR: the telemetry
// plugin's instruments (requests by route and status, statements, the
// connection pool) and the Go runtime's and the process's, at /metrics on
// a listener of its own, so that it is not reachable where the API is.
// Traces are left to an application that embeds objectos: it gives
// telemetry.Options a TracerProvider with the exporter it uses.
type metrics struct {
	tel *telemetry.Plugin
	mp  *sdkmetric.MeterProvider
	reg *prometheus.Registry
	srv *http.Server
	ln  net.Listener
}

// newMetrics makes the plugin that measures the Stack and st, exported to
// a registry of its own (not Prometheus' global one).
func newMetrics(st *store.Store) (*metrics, error) {
	reg := prometheus.NewRegistry()
	if err := errors.Join(reg.Register(collectors.NewGoCollector()),
		reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))); err != nil {
		return nil, err
	}
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	tel, err := telemetry.New(telemetry.Options{MeterProvider: mp, Store: st})
	if err != nil {
		return nil, err
	}
	return &metrics{tel: tel, mp: mp, reg: reg}, nil
}

// listen opens the endpoint's listener on addr.
func (m *metrics) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	m.ln = ln
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	return nil
}

// serve serves the endpoint until shutdown.
func (m *metrics) serve() error { return m.srv.Serve(m.ln) }

// shutdown stops the endpoint and the meter provider.
func (m *metrics) shutdown(ctx context.Context) error {
	return errors.Join(m.srv.Shutdown(ctx), m.mp.Shutdown(ctx))
}
