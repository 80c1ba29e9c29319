// Package telemetry traces and measures a Stack with OpenTelemetry: a
// server span and an http.server.request.duration measurement per request,
// a client span and a db.client.operation.duration measurement per
// statement of the store (children of the request's span), and the store's
// connection pool. It is opt-in: a Stack without its plugin, and a store
// without its hook, pay nothing for it, and the objectos package itself
// does not import OpenTelemetry.
//
// The application owns the providers and their exporters (OTLP, Prometheus,
// …) and hands them in:
//
//	tel, err := telemetry.New(telemetry.Options{
//		TracerProvider: tp,                        // an sdk/trace TracerProvider
//		MeterProvider:  mp,                        // an sdk/metric MeterProvider
//		Propagator:     propagation.TraceContext{}, // join the caller's trace (traceparent)
//		Store:          st,                        // spans per statement, pool metrics
//	})
//	stack, err := objectos.New(ctx, objectos.Options{..., Plugins: append(plugins, tel)})
//
// A request's span is named by its method and route ("POST
// /api/v1/data/{object}") and carries http.request.method, url.scheme,
// http.route, http.response.status_code, error.type for a 5xx (which also
// marks it failed), objectos.request_id, and, when they apply,
// objectos.object and objectos.auth_method. A statement's span is named
// "OPERATION table" ("INSERT crm_account", "COMMIT") and carries
// db.system.name, db.operation.name, db.collection.name, db.query.text (the
// SQL with its placeholders) and, when it failed, error.type and
// db.response.status_code (the SQLSTATE or SQLite code).
//
// Nothing a request or a record carries is recorded: not the path, the
// query string, a header, a cookie or a body, and not a bound value or an
// error message of the database (which may quote one). The user id is left
// out too; the request id ties a span to the access line, which has it.
//
// The package imports bun (as the store package does) for the one type of
// its statement hook, bun.QueryHook, which store.Store.AddQueryHook takes.
package telemetry
