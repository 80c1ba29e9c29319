package telemetry_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/store"
	"github.com/objectos-go/objectos/telemetry"
)

// A Stack traced and measured: the spans of one request, as a tree, and
// the metric names. An application passes its own providers, with the
// exporters it uses (OTLP, Prometheus, …), in place of these in-memory
// ones.
func Example() {
	ctx := context.Background()
	st, err := store.Memory(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	tel, err := telemetry.New(telemetry.Options{
		TracerProvider: tp,
		MeterProvider:  mp,
		Propagator:     propagation.TraceContext{},
		Store:          st,
	})
	if err != nil {
		log.Fatal(err)
	}
	artifact, err := objectos.ParseArtifact([]byte(`
objects:
  - name: task
    fields:
      title: {type: text, required: true}
`))
	if err != nil {
		log.Fatal(err)
	}
	stack, err := objectos.New(ctx, objectos.Options{
		Artifact: artifact,
		Store:    st,
		Plugins: []objectos.Plugin{rest.New(rest.Options{}), tel,
			objectos.AuthFunc(func(*http.Request) (*objectos.Principal, error) {
				return &objectos.Principal{UserID: "ada", Method: objectos.AuthCustom}, nil
			})},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer stack.Close()

	req := httptest.NewRequest(http.MethodPost, "/api/v1/data/task", strings.NewReader(`{"title":"Write the report"}`))
	req.Header.Set("Content-Type", "application/json")
	stack.ServeHTTP(httptest.NewRecorder(), req)

	printTree(spans.Ended())
	var m metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &m); err != nil {
		log.Fatal(err)
	}
	for _, sm := range m.ScopeMetrics {
		for _, x := range sm.Metrics {
			fmt.Printf("%s (%s)\n", x.Name, x.Unit)
		}
	}
	// Output:
	// POST /api/v1/data/{object} [server] http.route=/api/v1/data/{object} http.response.status_code=201
	//   INSERT task [client] db.collection.name=task db.query.text=INSERT INTO "task" ("id", "title", "owner_id", "created_at", "created_by", "updated_at", "updated_by") VALUES (?, ?, ?, ?, ?, ?, ?)
	// http.server.request.duration (s)
	// db.client.operation.duration (s)
	// db.client.connection.count ({connection})
	// db.client.connection.max ({connection})
	// db.client.connection.waits ({wait})
	// db.client.connection.wait_duration (s)
}

// printTree prints the spans as a tree, children in the order they
// started, with a few of their attributes.
func printTree(spans []sdktrace.ReadOnlySpan) {
	slices.SortFunc(spans, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		for _, s := range spans {
			if s.Parent().SpanID().String() != parent && !(parent == "" && !s.Parent().IsValid()) {
				continue
			}
			fmt.Printf("%s%s [%s]", strings.Repeat("  ", depth), s.Name(), s.SpanKind())
			for _, key := range []string{"http.route", "http.response.status_code", "db.collection.name", "db.query.text"} {
				for _, a := range s.Attributes() {
					if string(a.Key) == key {
						fmt.Printf(" %s=%s", a.Key, a.Value.Emit())
					}
				}
			}
			fmt.Println()
			walk(s.SpanContext().SpanID().String(), depth+1)
		}
	}
	walk("", 0)
}
