package rest

import (
	"net/http"
	"strings"

	"github.com/objectos-go/objectos"
)

// Discovery is the discovery document served at the base path, at
// {base}/discovery and by WellKnownHandler.
type Discovery struct {
	Version      string                `json:"version"`
	APIName      string                `json:"apiName"`
	Routes       map[string]string     `json:"routes"`
	Services     map[string]Service    `json:"services"`
	Capabilities map[string]Capability `json:"capabilities"`
}

// Service describes one mounted service.
type Service struct {
	Enabled bool   `json:"enabled"`
	Status  string `json:"status"`
	Route   string `json:"route,omitempty"`
	Message string `json:"message,omitempty"`
}

// Capability is one capability flag, in upstream's hierarchical form.
type Capability struct {
	Enabled     bool   `json:"enabled"`
	Description string `json:"description,omitempty"`
}

// routeKeys are the discovery route names and the route prefixes that
// reveal them.
var routeKeys = []struct{ key, prefix string }{
	{"data", "/data/"},
	{"metadata", "/meta"},
	{"meta", "/meta"},
	{"actions", "/actions/"},
	{"auth", "/auth/"},
	{"keys", "/keys"},
	{"mcp", "/mcp"},
	{"openapi", "/openapi.json"},
}

func discoveryDoc(st *objectos.Stack, apiName string) *Discovery {
	base := st.BasePath()
	version := "v1"
	if i := strings.LastIndexByte(base, '/'); i >= 0 && strings.HasPrefix(base[i+1:], "v") {
		version = base[i+1:]
	}
	d := &Discovery{
		Version:  version,
		APIName:  apiName,
		Routes:   map[string]string{},
		Services: map[string]Service{},
		Capabilities: map[string]Capability{
			"search":             {Enabled: true, Description: "case-insensitive search over searchable fields"},
			"cursorPagination":   {Enabled: true, Description: "opaque keyset cursors (nextCursor)"},
			"transactionalBatch": {Enabled: true, Description: "atomic batches: POST /batch and options.atomic on the bulk routes"},
			"export":             {Enabled: false},
			"automation":         {Enabled: false},
		},
	}
	off := map[string]bool{}
	for _, p := range st.Plugins() {
		if sr, ok := p.(objectos.ServiceReporter); ok {
			if ss := sr.ServiceStatus(); !ss.Enabled {
				off[ss.Name] = true
				d.Services[ss.Name] = Service{Status: "unavailable", Message: ss.Message}
			}
		}
	}
	for _, rk := range routeKeys {
		if off[rk.key] || !st.HasRoute(rk.prefix) {
			continue
		}
		route := base + strings.TrimSuffix(rk.prefix, "/")
		d.Routes[rk.key] = route
		d.Services[rk.key] = Service{Enabled: true, Status: "available", Route: route}
	}
	return d
}

func (h *handler) discovery(w http.ResponseWriter, r *http.Request) {
	objectos.WriteJSON(w, http.StatusOK, discoveryDoc(h.st, h.opts.APIName))
}

// WellKnownHandler serves the discovery document for hosts that mount it at
// /.well-known/objectstack on their own mux:
//
//	mux.Handle("/.well-known/objectstack", rest.WellKnownHandler(stack))
func WellKnownHandler(st *objectos.Stack) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = objectos.SetRequestID(w, r)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			st.WriteError(w, r, objectos.Errorf(objectos.CodeMethodNotAllowed, "Method %s is not allowed here; use GET.", r.Method))
			return
		}
		apiName := "ObjectStack API"
		for _, p := range st.Plugins() {
			if rp, ok := p.(*Plugin); ok {
				apiName = rp.opts.APIName
			}
		}
		objectos.WriteJSON(w, http.StatusOK, discoveryDoc(st, apiName))
	})
}
