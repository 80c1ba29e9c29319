package mcp

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/objectos-go/objectos"
)

// DefaultName is the server name reported to clients unless Options.Name
// says otherwise.
const DefaultName = "objectos"

// DefaultMaxBodyBytes is the request-body limit unless Options.MaxBodyBytes
// says otherwise.
const DefaultMaxBodyBytes = 1 << 20

// Options configures the MCP plugin. The zero value is usable: it serves
// nothing until Enabled is set.
type Options struct {
	// Enabled serves the MCP endpoint at {base}/mcp. Default false:
	// {base}/mcp is 404 NOT_FOUND, and discovery lists the service as
	// unavailable.
	Enabled bool
	// Name is the server name reported to clients (serverInfo.name).
	// Default "objectos".
	Name string
	// SystemObjects names the system objects (sys_*) agents may see and
	// use, such as "sys_user". Default none: system objects are hidden from
	// every tool and resource, and naming one is OBJECT_NOT_FOUND.
	SystemObjects []string
	// MaxBodyBytes caps request bodies; a larger one is 413
	// PAYLOAD_TOO_LARGE. Default 1 MiB.
	MaxBodyBytes int64
}

// WithEnv returns o with Enabled turned on when OS_MCP_SERVER_ENABLED is
// true, 1 or yes (any case), and Name taken from OS_MCP_SERVER_NAME when o
// has none. The environment cannot turn off a server o enables.
func (o Options) WithEnv(getenv func(string) string) Options {
	switch strings.ToLower(strings.TrimSpace(getenv("OS_MCP_SERVER_ENABLED"))) {
	case "true", "1", "yes":
		o.Enabled = true
	}
	if o.Name == "" {
		o.Name = strings.TrimSpace(getenv("OS_MCP_SERVER_NAME"))
	}
	return o
}

// Plugin serves MCP. Create it with New; one Plugin serves one Stack.
type Plugin struct {
	opts Options
}

var (
	_ objectos.Plugin          = (*Plugin)(nil)
	_ objectos.RouteProvider   = (*Plugin)(nil)
	_ objectos.ServiceReporter = (*Plugin)(nil)
)

// notEnabled is what a switched-off server answers, as upstream's.
const notEnabled = "MCP server is not enabled for this environment."

// ServiceStatus implements objectos.ServiceReporter: discovery lists the
// server as unavailable while it is switched off.
func (p *Plugin) ServiceStatus() objectos.ServiceStatus {
	return objectos.ServiceStatus{Name: "mcp", Enabled: p.opts.Enabled, Message: notEnabled}
}

// New returns the MCP plugin.
func New(opts Options) *Plugin {
	if opts.Name == "" {
		opts.Name = DefaultName
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return &Plugin{opts: opts}
}

// Name implements objectos.Plugin.
func (p *Plugin) Name() string { return "mcp" }

// Routes implements objectos.RouteProvider: {base}/mcp for every method.
// The route is in the read bucket of the rate limits, like any request;
// each tool call then pays for its own operation (see server.begin). When
// the server is switched off, the route answers 404 NOT_FOUND saying so.
func (p *Plugin) Routes(r *objectos.Router) {
	if !p.opts.Enabled {
		r.HandleFunc("", "/mcp", func(w http.ResponseWriter, req *http.Request) {
			r.Stack().WriteError(w, req, objectos.NewError(objectos.CodeNotFound, notEnabled))
		})
		return
	}
	s := newServer(r.Stack(), p.opts)
	r.Handle("", "/mcp", newEndpoint(r.Stack(), s.srv, p.opts.MaxBodyBytes), objectos.RateLimitBucket(objectos.BucketRead))
}

// server holds the MCP server of one Stack and what its tools and resources
// need.
type server struct {
	st     *objectos.Stack
	srv    *sdkmcp.Server
	system map[string]bool // the system objects agents may use
}

const instructions = `This server is the data API of an objectos application. Start with list_objects, ` +
	`then describe_object for an object's fields, before querying or writing its records. Filters (where) are ` +
	`ObjectQL: {"industry": "finance", "amount": {"$gte": 1000}}, with $and, $or, $not and the operators ` +
	`$eq $ne $gt $gte $lt $lte $in $nin $between $contains $startsWith $endsWith $icontains $null. ` +
	`Every call runs with the caller's permissions; an error result carries a stable code, such as ` +
	`OBJECT_NOT_FOUND, RECORD_NOT_FOUND, PERMISSION_DENIED or VALIDATION_FAILED (with fields).`

func newServer(st *objectos.Stack, opts Options) *server {
	s := &server{st: st, system: map[string]bool{}}
	for _, n := range opts.SystemObjects {
		s.system[n] = true
	}
	s.srv = sdkmcp.NewServer(&sdkmcp.Implementation{Name: opts.Name, Version: objectos.Version}, &sdkmcp.ServerOptions{
		Instructions: instructions,
		Logger:       sdkLogger(st),
		// No logging capability (the SDK's default), and no list-changed
		// notifications: a stateless server has no stream to send them on.
		Capabilities: &sdkmcp.ServerCapabilities{Tools: &sdkmcp.ToolCapabilities{}, Resources: &sdkmcp.ResourceCapabilities{}},
		// Lists and reads depend on who asks: a cache may reuse them only
		// for the same credentials.
		SetCacheable: func(_ context.Context, _ sdkmcp.Request, c *sdkmcp.Cacheable) { c.CacheScope = "private" },
	})
	for _, t := range s.tools() {
		t.add(s)
	}
	s.addResources()
	return s
}

// tools are the tools of the server (clients list them by name).
func (s *server) tools() []registrar {
	return []registrar{
		s.listObjects(),
		s.describeObject(),
		s.queryRecords(),
		s.aggregateRecords(),
		s.getRecord(),
		s.createRecord(),
		s.updateRecord(),
		s.deleteRecord(),
		s.listActions(),
		s.runAction(),
	}
}

// begin starts a tool call on an object: it takes the operation from the
// caller's budget (RATE_LIMIT_EXCEEDED when it is spent) and resolves the
// object as exposed to agents (see exposed). A method of "" checks no API
// method.
func (s *server) begin(ctx context.Context, name string, m objectos.APIMethod, access objectos.Access) (*objectos.Object, error) {
	if err := s.st.Charge(ctx, access, name); err != nil {
		return nil, err
	}
	return s.exposed(name, m)
}

// exposed resolves an object an agent names: it must exist, be exposed
// through the API with the method in its apiMethods, and be no system
// object unless Options.SystemObjects lists it. An object agents may not
// see is OBJECT_NOT_FOUND, as the engine says of objects the caller may not
// read.
func (s *server) exposed(name string, m objectos.APIMethod) (*objectos.Object, error) {
	o := s.st.Object(name)
	if o == nil || !s.visible(o) {
		return nil, objectos.Errorf(objectos.CodeObjectNotFound, "Object '%s' not found.", clip(name)).With("object", clip(name))
	}
	if m != "" && !o.AllowsMethod(m) {
		allowed := o.AllowedMethods()
		if allowed == nil {
			allowed = []objectos.APIMethod{}
		}
		return nil, objectos.Errorf(objectos.CodeObjectAPIMethodNotAllowed, "API operation '%s' is not allowed on object '%s'.", m, name).
			With("object", name).With("allowed", allowed)
	}
	return o, nil
}

// visible reports whether agents may see the object at all (the caller's
// permissions aside): exposed through the API, and no hidden system object.
func (s *server) visible(o *objectos.Object) bool {
	return o.APIEnabled() && (!o.System || s.system[o.Name])
}

// clip bounds text of the caller that an answer repeats.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// sdkLogger is the Stack's logger for the SDK, less its information lines:
// a stateless server connects and disconnects a session for every request,
// and says so three times each.
func sdkLogger(st *objectos.Stack) *slog.Logger {
	return slog.New(warnings{st.Logger().Handler()})
}

// warnings passes on records of level warning and above.
type warnings struct{ slog.Handler }

func (h warnings) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h warnings) WithAttrs(as []slog.Attr) slog.Handler { return warnings{h.Handler.WithAttrs(as)} }

func (h warnings) WithGroup(name string) slog.Handler { return warnings{h.Handler.WithGroup(name)} }
