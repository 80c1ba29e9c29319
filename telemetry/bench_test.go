package telemetry_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/store"
	"github.com/objectos-go/objectos/telemetry"
)

// BenchmarkRequest is the cost of the plugin on GET /data/account/{id}
// (in-memory SQLite, no access line): off, metrics only, and metrics with
// every span sampled (and dropped, so no exporter is measured).
func BenchmarkRequest(b *testing.B) {
	for _, c := range []struct {
		name string
		tel  bool
		tp   trace.TracerProvider
		mp   metric.MeterProvider
	}{
		{name: "off"},
		{name: "metrics", tel: true, mp: sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))},
		{name: "traces+metrics", tel: true, tp: sdktrace.NewTracerProvider(),
			mp: sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			st, err := store.Memory(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			plugins := []objectos.Plugin{rest.New(rest.Options{}), objectos.AuthFunc(func(*http.Request) (*objectos.Principal, error) {
				return &objectos.Principal{UserID: "ada", Method: objectos.AuthCustom}, nil
			})}
			if c.tel {
				tel, err := telemetry.New(telemetry.Options{TracerProvider: c.tp, MeterProvider: c.mp, Store: st})
				if err != nil {
					b.Fatal(err)
				}
				plugins = append(plugins, tel)
			}
			stack, err := objectos.New(ctx, objectos.Options{Artifact: artifact(), Store: st, Plugins: plugins,
				RateLimits: objectos.RateLimits{Disabled: true}, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			defer stack.Close()
			res, err := stack.Create(objectos.AsSystem(ctx), "account", objectos.Record{"name": "Acme"})
			if err != nil {
				b.Fatal(err)
			}
			url := "/api/v1/data/account/" + res.ID
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				stack.ServeHTTP(w, httptest.NewRequest(http.MethodGet, url, nil))
				if w.Code != http.StatusOK {
					b.Fatal(w.Code, w.Body.String())
				}
			}
		})
	}
}
