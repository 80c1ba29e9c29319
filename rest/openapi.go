package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/objectos-go/objectos"
)

// The deployment's OpenAPI document (SPEC §8): generated from the running
// Stack — its objects with their fields and exposed methods, their actions,
// and the routes of every plugin that describes itself — and served at
// {base}/openapi.json (?format=yaml, or {base}/openapi.yaml) in OpenAPI 3.1,
// or in a 3.0.3 rendering of the same document with ?version=3.0 for
// generators that do not read 3.1 yet. The document is the same for every
// caller (it describes the deployment, not what one caller may see), is
// built once, byte-identical for the same artifact, and carries an ETag.

// OpenAPIDescriber is implemented by plugins that serve routes of their own
// (the auth and apikey plugins do): the rest plugin merges what they
// describe into the deployment's document. OpenAPI returns a fragment of
// an OpenAPI 3.1 document with "paths" (relative to the base path, such as
// "/auth/sign-in/email"), "components" ("schemas", "securitySchemes",
// "responses", "parameters", "headers") and "tags"; names must not clash
// with other plugins'. It is called once per Stack.
type OpenAPIDescriber interface {
	OpenAPI() map[string]any
}

// OpenAPI versions the document is rendered in.
const (
	openAPI31 = "3.1"
	openAPI30 = "3.0"
)

// openAPIDocs caches the rendered documents of one Stack.
type openAPIDocs struct {
	mu    sync.Mutex
	built map[string][]byte // by version + format
}

func (h *handler) openAPIRoutes(r *objectos.Router) {
	r.HandleFunc(http.MethodGet, "/openapi.json", func(w http.ResponseWriter, r *http.Request) { h.serveOpenAPI(w, r, "") })
	r.HandleFunc(http.MethodGet, "/openapi.yaml", func(w http.ResponseWriter, r *http.Request) { h.serveOpenAPI(w, r, "yaml") })
}

func (h *handler) serveOpenAPI(w http.ResponseWriter, r *http.Request, format string) {
	if !h.opts.PublicOpenAPI {
		if _, ok := h.st.RequirePrincipal(w, r); !ok {
			return
		}
	}
	q := r.URL.Query()
	for k := range q {
		if k != "format" && k != "version" {
			h.st.WriteError(w, r, objectos.Errorf(objectos.CodeInvalidQuery, "Unknown parameter '%s'; the document takes format (json, yaml) and version (3.1, 3.0).", clip(k, 64)).
				With("param", clip(k, 64)))
			return
		}
	}
	if f := q.Get("format"); f != "" {
		format = f
	}
	version := q.Get("version")
	switch version {
	case "", "3.1", "3.1.0", "3.1.1":
		version = openAPI31
	case "3", "3.0", "3.0.3":
		version = openAPI30
	default:
		h.st.WriteError(w, r, objectos.Errorf(objectos.CodeInvalidQuery, "Unknown version '%s'; use 3.1 (the default) or 3.0.", clip(version, 32)).With("param", "version"))
		return
	}
	contentType := "application/json; charset=utf-8"
	switch format {
	case "", "json":
		format = "json"
	case "yaml", "yml":
		format, contentType = "yaml", "application/yaml; charset=utf-8"
	default:
		h.st.WriteError(w, r, objectos.Errorf(objectos.CodeInvalidQuery, "Unknown format '%s'; use json or yaml.", clip(format, 32)).With("param", "format"))
		return
	}
	body, err := h.openAPIDocument(version, format)
	if err != nil {
		h.st.WriteError(w, r, err)
		return
	}
	writeTagged(w, r, contentType, body)
}

// openAPIDocument renders (once) the document in a version and format.
func (h *handler) openAPIDocument(version, format string) ([]byte, error) {
	h.docs.mu.Lock()
	defer h.docs.mu.Unlock()
	key := version + "/" + format
	if b, ok := h.docs.built[key]; ok {
		return b, nil
	}
	doc, err := h.buildOpenAPI()
	if err != nil {
		return nil, err
	}
	if version == openAPI30 {
		doc = downgrade30(doc).(map[string]any)
	}
	var out []byte
	if format == "yaml" {
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("rest: openapi yaml: %w", err)
		}
		out = buf.Bytes()
	} else {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("rest: openapi json: %w", err)
		}
		out = buf.Bytes()
	}
	if h.docs.built == nil {
		h.docs.built = map[string][]byte{}
	}
	h.docs.built[key] = out
	return out, nil
}

// OpenAPIDocument returns the OpenAPI document of a Stack that has the rest
// plugin, as served at {base}/openapi.json: version "3.1" (or "") or "3.0".
func OpenAPIDocument(st *objectos.Stack, version string) ([]byte, error) {
	for _, p := range st.Plugins() {
		if rp, ok := p.(*Plugin); ok && rp.h != nil {
			if version == "" {
				version = openAPI31
			}
			if version != openAPI31 && version != openAPI30 {
				return nil, fmt.Errorf("rest: OpenAPI version %q: use 3.1 or 3.0", version)
			}
			return rp.h.openAPIDocument(version, "json")
		}
	}
	return nil, errors.New("rest: the stack has no rest plugin")
}

// jsonObj is a JSON object of the document under construction.
type jsonObj = map[string]any

func schemaRef(name string) jsonObj { return jsonObj{"$ref": "#/components/schemas/" + name} }

// oas collects the document.
type oas struct {
	paths      map[string]jsonObj
	schemas    jsonObj
	params     jsonObj
	responses  jsonObj
	headers    jsonObj
	schemes    jsonObj
	tags       []jsonObj
	tagSeen    map[string]bool
	base       string
	maxPage    int
	maxBatch   int
	bodyLimit  int64
	objectSeen map[string]bool // objects with a component schema
}

func (d *oas) op(path, method string, op jsonObj) {
	if rs, _ := op["responses"].(jsonObj); rs["422"] != nil && (method == http.MethodPost || method == http.MethodPatch) {
		// a write: it honours Idempotency-Key
		params, _ := op["parameters"].([]any)
		op["parameters"] = append(params, paramRef("idempotencyKey"))
	}
	if d.paths[path] == nil {
		d.paths[path] = jsonObj{}
	}
	d.paths[path][strings.ToLower(method)] = op
}

func (d *oas) tag(name, description string) {
	if d.tagSeen[name] {
		return
	}
	d.tagSeen[name] = true
	t := jsonObj{"name": name}
	if description != "" {
		t["description"] = description
	}
	d.tags = append(d.tags, t)
}

// buildOpenAPI generates the 3.1 document.
func (h *handler) buildOpenAPI() (jsonObj, error) {
	st := h.st
	d := &oas{
		paths: map[string]jsonObj{}, schemas: jsonObj{}, params: jsonObj{}, responses: jsonObj{}, headers: jsonObj{},
		schemes: jsonObj{}, tagSeen: map[string]bool{}, base: st.BasePath(), maxBatch: h.opts.MaxBatchSize, maxPage: st.MaxPageSize(),
		bodyLimit: h.opts.MaxBodyBytes, objectSeen: map[string]bool{},
	}
	d.schemes["bearerAuth"] = jsonObj{"type": "http", "scheme": "bearer",
		"description": "A session token (from sign-in: the token in the body, or the set-auth-token header) or an API key (os_pk_live_…)."}
	d.common()
	d.system(st, h.opts)
	objects := st.Objects()
	for _, o := range objects {
		d.objectSeen[o.Name] = o.APIEnabled() // lookups to them expand to their schema
	}
	for _, o := range objects {
		if o.APIEnabled() {
			d.objectSchemas(st, o)
		}
	}
	for _, o := range objects {
		if o.APIEnabled() {
			d.objectPaths(o)
			d.actionPaths(o)
		}
	}
	if st.HasRoute("/batch") {
		d.crossBatch()
	}
	if st.HasRoute("/meta") {
		d.meta()
	}
	for _, p := range st.Plugins() {
		od, ok := p.(OpenAPIDescriber)
		if !ok {
			continue
		}
		if err := d.merge(p.Name(), od.OpenAPI()); err != nil {
			return nil, err
		}
	}
	var security []any
	for _, name := range []string{"bearerAuth", "apiKeyHeader", "sessionCookie"} {
		if d.schemes[name] != nil {
			security = append(security, jsonObj{name: []string{}})
		}
	}
	a := st.Artifact()
	title := a.Label
	if title == "" {
		title = a.Name
	}
	if title == "" {
		title = h.opts.APIName
	} else {
		title += " API"
	}
	version := a.Version
	if version == "" {
		version = objectos.Version
	}
	info := jsonObj{"title": title, "version": version,
		"description": "The data API of this objectos deployment, generated from its artifact. " +
			"Data routes answer errors as {error, code}; the other routes as {success: false, error: {code, message, httpStatus}}; " +
			"the auth routes as {code, message}."}
	if a.Description != "" {
		info["description"] = a.Description
	}
	paths := jsonObj{}
	for p, item := range d.paths {
		paths[p] = item
	}
	doc := jsonObj{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
		"info":              info,
		"servers":           []jsonObj{{"url": d.base, "description": "this deployment (relative to the document)"}},
		"security":          security,
		"tags":              d.tags,
		"paths":             paths,
		"components": jsonObj{
			"schemas": d.schemas, "parameters": d.params, "responses": d.responses, "headers": d.headers,
			"securitySchemes": d.schemes,
		},
	}
	return doc, nil
}

// merge adds a plugin's fragment; a name another part already uses is an
// error, so no description is silently replaced.
func (d *oas) merge(plugin string, frag map[string]any) error {
	for k, v := range frag {
		switch k {
		case "paths":
			paths, _ := v.(map[string]any)
			for _, p := range slices.Sorted(maps.Keys(paths)) {
				item, _ := paths[p].(map[string]any)
				for m, op := range item {
					if d.paths[p] != nil && d.paths[p][m] != nil {
						return fmt.Errorf("rest: openapi: plugin %s describes %s %s, which is described already", plugin, m, p)
					}
					opObj, _ := op.(map[string]any)
					d.op(p, m, opObj)
				}
			}
		case "components":
			comps, _ := v.(map[string]any)
			for kind, entries := range comps {
				var into jsonObj
				switch kind {
				case "schemas":
					into = d.schemas
				case "securitySchemes":
					into = d.schemes
				case "responses":
					into = d.responses
				case "parameters":
					into = d.params
				case "headers":
					into = d.headers
				default:
					return fmt.Errorf("rest: openapi: plugin %s: components.%s is not merged", plugin, kind)
				}
				m, _ := entries.(map[string]any)
				for name, e := range m {
					if _, dup := into[name]; dup {
						return fmt.Errorf("rest: openapi: plugin %s: components.%s.%s is defined already", plugin, kind, name)
					}
					into[name] = e
				}
			}
		case "tags":
			var tags []map[string]any
			switch x := v.(type) {
			case []map[string]any:
				tags = x
			case []any:
				for _, t := range x {
					if m, ok := t.(map[string]any); ok {
						tags = append(tags, m)
					}
				}
			}
			for _, t := range tags {
				name, _ := t["name"].(string)
				desc, _ := t["description"].(string)
				d.tag(name, desc)
			}
		default:
			return fmt.Errorf("rest: openapi: plugin %s: %q is not merged (paths, components, tags)", plugin, k)
		}
	}
	return nil
}
