// Package rest is the HTTP surface of objectos: the generated data API under
// {base}/data in the ObjectStack wire format, metadata, the deployment's
// OpenAPI document, discovery and an API reference page.
//
//	stack, err := objectos.New(ctx, objectos.Options{
//		Artifact: artifact,
//		Store:    st,
//		Plugins:  []objectos.Plugin{rest.New(rest.Options{}), myAuth},
//	})
//	mux.Handle("/api/v1/", stack)
//
// Routes (relative to the stack's base path, /api/v1 by default):
//
//	GET    /                        discovery (also /discovery)
//	GET    /data/{object}           list, with the query parameters of SPEC §4.1
//	POST   /data/{object}           create; 201 with Location
//	POST   /data/{object}/query     list, with a query document as the body
//	GET    /data/{object}/{id}      read; ETag
//	PATCH  /data/{object}/{id}      partial update; If-Match
//	DELETE /data/{object}/{id}      delete; If-Match
//	POST   /data/{object}/createMany  create a JSON array of records, all or nothing
//	POST   /data/{object}/updateMany  {records: [{id, data}], options}
//	POST   /data/{object}/deleteMany  {ids, options}
//	POST   /data/{object}/batch     {operation, records, options}
//	POST   /batch                   {operations: [{object, action, id?, data?}]}, atomic
//	POST   /actions/{object}/{action}[/{recordId}]  run a declared action
//	GET    /meta, /meta/{type}, /meta/{type}/{name}  metadata (Options.Meta)
//	GET    /openapi.json, /openapi.yaml  the deployment's OpenAPI document
//	GET    /docs                    the API reference page (Options.Docs)
//
// Every data route requires an authenticated caller (401 UNAUTHENTICATED),
// and every read and write goes through the stack's engine, which enforces
// permissions, record and field access and validation. Errors use the flat
// data envelope {"error": message, "code": CODE, ...} and never carry SQL,
// driver text or internal names.
package rest

import (
	"context"
	"net/http"

	"github.com/objectos-go/objectos"
)

// DefaultMaxBodyBytes is the request-body limit unless Options says otherwise.
const DefaultMaxBodyBytes = 1 << 20

// Options configures the REST plugin. The zero value is usable.
type Options struct {
	// MaxBodyBytes caps request bodies; a larger body is 413
	// PAYLOAD_TOO_LARGE. Default 1 MiB.
	MaxBodyBytes int64
	// APIName is the apiName reported by discovery. Default "ObjectStack API".
	APIName string
	// MaxBatchSize caps the records (or operations) of one bulk request;
	// more is 400 BATCH_TOO_LARGE. Default 200.
	MaxBatchSize int
	// Meta serves the metadata API under {base}/meta. Nil or true: on;
	// false: off (404).
	Meta *bool
	// PublicOpenAPI serves the OpenAPI document ({base}/openapi.json) to
	// anyone. Default: to authenticated callers only (it is the same for
	// every caller, but it describes every object of the deployment).
	PublicOpenAPI bool
	// Docs serves an interactive API reference of the deployment's OpenAPI
	// document at {base}/docs (its assets are embedded: no CDN). Default
	// off.
	Docs bool
}

// Plugin serves the data API and discovery. Create it with New; one Plugin
// value serves one Stack.
type Plugin struct {
	opts Options
	h    *handler // set by Routes
}

var (
	_ objectos.Plugin        = (*Plugin)(nil)
	_ objectos.RouteProvider = (*Plugin)(nil)
)

// New returns the REST plugin.
func New(opts Options) *Plugin {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxBatchSize <= 0 {
		opts.MaxBatchSize = DefaultMaxBatchSize
	}
	if opts.APIName == "" {
		opts.APIName = "ObjectStack API"
	}
	return &Plugin{opts: opts}
}

// Name implements objectos.Plugin.
func (p *Plugin) Name() string { return "rest" }

// Routes implements objectos.RouteProvider.
func (p *Plugin) Routes(r *objectos.Router) {
	h := &handler{st: r.Stack(), opts: p.opts}
	p.h = h
	r.HandleFunc(http.MethodGet, "/{$}", h.discovery)
	r.HandleFunc(http.MethodGet, "/discovery", h.discovery)
	// writes honour Idempotency-Key (POST and PATCH; a query is a read)
	idem := objectos.Idempotent(p.opts.MaxBodyBytes)
	r.HandleFunc(http.MethodPost, "/actions/{object}/{action}", h.action, idem)
	r.HandleFunc(http.MethodPost, "/actions/{object}/{action}/{recordId}", h.action, idem)
	// the data routes answer in the flat envelope, the Stack's own errors
	// (rate limits) included
	data := r.With(objectos.ErrorWriter(h.fail))
	writes := data.With(idem)
	writes.HandleFunc("", "/data/{object}", h.dispatch(collectionMethods, map[string]func(context.Context, http.ResponseWriter, *http.Request) error{
		http.MethodGet: h.list, http.MethodPost: h.create}))
	// a query is a read, whatever its method
	data.HandleFunc(http.MethodPost, "/data/{object}/query", h.dispatch(queryMethods, map[string]func(context.Context, http.ResponseWriter, *http.Request) error{
		http.MethodPost: h.queryDoc}), objectos.RateLimitBucket(objectos.BucketRead))
	data.HandleFunc("", "/data/{object}/query", h.dispatchNamed("query", h.queryDoc))
	h.bulkRoutes(writes)
	writes.HandleFunc("", "/data/{object}/{id}", h.dispatch(itemMethods, map[string]func(context.Context, http.ResponseWriter, *http.Request) error{
		http.MethodGet: h.get, http.MethodPatch: h.update, http.MethodDelete: h.delete}))
	data.HandleFunc("", "/data", h.noRoute)
	data.HandleFunc("", "/data/", h.noRoute)
	if p.opts.Meta == nil || *p.opts.Meta {
		h.metaRoutes(r)
	}
	h.openAPIRoutes(r)
	if p.opts.Docs {
		h.docsRoutes(r)
	}
}

// handler serves the routes of one stack.
type handler struct {
	st   *objectos.Stack
	opts Options
	docs openAPIDocs
}
