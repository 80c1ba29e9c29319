package rest

import (
	"fmt"
	"net/http"

	"github.com/objectos-go/objectos"
)

// The parts of the OpenAPI document the rest plugin serves: the common
// envelopes and parameters, the data routes of each object, actions, the
// batch route, metadata, discovery and the health probes.

const (
	schemaDataError     = "DataError"
	schemaError         = "Error"
	schemaBatch         = "BatchResult"
	schemaBatchOpts     = "BatchOptions"
	schemaQuery         = "QueryDocument"
	schemaAggregateRows = "AggregateRows"
	schemaDropped       = "DroppedFields"
)

// nullable makes a schema also accept null (OpenAPI 3.1: a type list).
func nullable(s jsonObj) jsonObj {
	switch t := s["type"].(type) {
	case string:
		s["type"] = []any{t, "null"}
		if enum, ok := s["enum"].([]any); ok {
			s["enum"] = append(enum, nil)
		}
		return s
	case nil:
		if _, isRef := s["$ref"]; isRef {
			return jsonObj{"anyOf": []any{s, jsonObj{"type": "null"}}}
		}
		if alts, ok := s["anyOf"].([]any); ok {
			s["anyOf"] = append(alts, jsonObj{"type": "null"})
			return s
		}
		return s // any JSON value, null included
	}
	return s
}

func str(description string) jsonObj {
	s := jsonObj{"type": "string"}
	if description != "" {
		s["description"] = description
	}
	return s
}

func arrayOf(items any) jsonObj { return jsonObj{"type": "array", "items": items} }

func object(props jsonObj, required ...string) jsonObj {
	s := jsonObj{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func jsonContent(schema any) jsonObj {
	return jsonObj{"application/json": jsonObj{"schema": schema}}
}

func respond(description string, schema any) jsonObj {
	r := jsonObj{"description": description}
	if schema != nil {
		r["content"] = jsonContent(schema)
	}
	return r
}

func respRef(name string) jsonObj  { return jsonObj{"$ref": "#/components/responses/" + name} }
func paramRef(name string) jsonObj { return jsonObj{"$ref": "#/components/parameters/" + name} }

// common adds the envelopes, list parameters and shared responses.
func (d *oas) common() {
	d.schemas[schemaDataError] = jsonObj{
		"type": "object", "description": "The error envelope of the data routes (/data, /batch): a message, a stable code, and extras such as field, fields, object, allowed, currentVersion.",
		"properties": jsonObj{
			"error": str("a message safe to show"), "code": str("a stable error code, such as VALIDATION_FAILED"),
			"fields": arrayOf(object(jsonObj{"field": str(""), "code": str("a field error code, such as required or max_length"),
				"message": str(""), "constraint": jsonObj{}}, "field", "code", "message")),
		},
		"required": []string{"error", "code"}, "additionalProperties": true,
	}
	d.schemas[schemaError] = object(jsonObj{
		"success": jsonObj{"type": "boolean", "const": false},
		"error": object(jsonObj{
			"code": str("a stable error code"), "message": str("a message safe to show"),
			"httpStatus": jsonObj{"type": "integer"}, "details": jsonObj{"type": "object"},
		}, "code", "message", "httpStatus"),
	}, "success", "error")
	d.schemas[schemaDropped] = arrayOf(object(jsonObj{
		"object": str(""), "fields": arrayOf(str("")), "reason": jsonObj{"type": "string", "enum": []any{"readonly", "primary_key"}},
	}, "object", "fields", "reason"))
	d.schemas[schemaBatchOpts] = jsonObj{"type": "object", "additionalProperties": false, "properties": jsonObj{
		"atomic":          jsonObj{"type": "boolean", "description": "one transaction: the first failure rolls back every write"},
		"continueOnError": jsonObj{"type": "boolean", "description": "go on after a failed record (default false)"},
		"returnRecords":   jsonObj{"type": "boolean", "description": "false leaves data out of the results"},
	}}
	d.schemas[schemaBatch] = object(jsonObj{
		"success": jsonObj{"type": "boolean"}, "operation": str(""),
		"total": jsonObj{"type": "integer"}, "succeeded": jsonObj{"type": "integer"}, "failed": jsonObj{"type": "integer"},
		"results": arrayOf(object(jsonObj{
			"id": str(""), "success": jsonObj{"type": "boolean"}, "index": jsonObj{"type": "integer"},
			"errors": arrayOf(object(jsonObj{"code": str(""), "message": str(""), "httpStatus": jsonObj{"type": "integer"},
				"details": jsonObj{"type": "object"}}, "code", "message")),
			"data":          jsonObj{"type": "object"},
			"droppedFields": schemaRef(schemaDropped),
		}, "success", "index")),
	}, "success", "operation", "total", "succeeded", "failed", "results")
	stringOrList := jsonObj{"anyOf": []any{str(""), arrayOf(str(""))}}
	d.schemas[schemaQuery] = jsonObj{
		"type": "object", "additionalProperties": false,
		"description": "A query document (upstream's QueryAST); each key accepts the aliases listed. With aggregations (or groupBy, having) it groups and aggregates: it then takes where, orderBy (over the aliases), limit and offset besides, and answers the groups.",
		"properties": jsonObj{
			"object":       str("the object of the path, when given"),
			"where":        jsonObj{"description": "an ObjectQL filter, object or array form (aliases filter, filters)"},
			"filter":       jsonObj{"description": "alias of where"},
			"filters":      jsonObj{"description": "alias of where"},
			"fields":       stringOrList,
			"select":       stringOrList,
			"orderBy":      jsonObj{"description": `a sort: "-created_at", "name asc, amount desc", or [{field, order}] (alias sort)`},
			"sort":         jsonObj{"description": "alias of orderBy"},
			"limit":        jsonObj{"type": "integer", "minimum": 0, "description": "page size (alias top)"},
			"top":          jsonObj{"type": "integer", "minimum": 0},
			"offset":       jsonObj{"type": "integer", "minimum": 0, "description": "rows to skip (alias skip)"},
			"skip":         jsonObj{"type": "integer", "minimum": 0},
			"expand":       jsonObj{"description": "reference fields to expand: a list of paths, or an object of nested queries {field: {fields, where, expand}} (alias populate)"},
			"populate":     jsonObj{"description": "alias of expand"},
			"search":       jsonObj{"anyOf": []any{str(""), object(jsonObj{"query": str(""), "fields": stringOrList})}},
			"searchFields": stringOrList,
			"count":        countSchema,
			"cursor":       str("nextCursor of a previous page"),
			"aggregations": arrayOf(jsonObj{"type": "object", "additionalProperties": false, "required": []string{"function"},
				"properties": jsonObj{
					"function": jsonObj{"type": "string", "enum": []any{"count", "sum", "avg", "min", "max", "count_distinct"}},
					"field":    str("the field (none: count counts records)"),
					"alias":    str("the name in the result rows (default: function_field)"),
					"filter":   jsonObj{"description": "aggregate only the records matching this ObjectQL filter"},
				}}),
			"groupBy": arrayOf(jsonObj{"anyOf": []any{str("a field"), jsonObj{"type": "object", "additionalProperties": false,
				"required": []string{"field"}, "properties": jsonObj{
					"field":           str(""),
					"dateGranularity": jsonObj{"type": "string", "enum": []any{"day", "week", "month", "quarter", "year"}},
					"alias":           str(""),
				}}}}),
			"having": jsonObj{"description": "an ObjectQL filter on the aliases of the group keys and aggregations"},
		},
	}
	d.schemas[schemaAggregateRows] = object(jsonObj{
		"object": str(""), "hasMore": jsonObj{"type": "boolean"},
		"records": arrayOf(jsonObj{"type": "object", "description": "a group: its keys and aggregates by alias"}),
	}, "object", "records", "hasMore")

	d.params["limit"] = jsonObj{"name": "limit", "in": "query", "description": fmt.Sprintf(
		"Page size (aliases top, $top); default 50; larger values are clamped to %d; 0 returns only the count.", d.maxPage),
		"schema": jsonObj{"type": "integer", "minimum": 0, "default": 50}}
	d.params["offset"] = jsonObj{"name": "offset", "in": "query", "description": "Rows to skip (aliases skip, $skip).",
		"schema": jsonObj{"type": "integer", "minimum": 0}}
	d.params["cursor"] = jsonObj{"name": "cursor", "in": "query", "description": "The nextCursor of a previous page; not combinable with offset.",
		"schema": str("")}
	d.params["filter"] = jsonObj{"name": "filter", "in": "query",
		"description": `An ObjectQL filter as JSON (aliases filters, $filter, where): {"industry":"finance","annual_revenue":{"$gte":1000000}} or ["and",["name","starts_with","A"],…].`,
		"schema":      str("")}
	d.params["sort"] = jsonObj{"name": "sort", "in": "query", "description": `Sort keys (aliases $orderby, orderBy): "-created_at" or "name asc, amount desc"; id breaks ties.`,
		"schema": str("")}
	d.params["fields"] = jsonObj{"name": "fields", "in": "query", "description": "Comma-separated fields to return (aliases select, $select); id is always returned.",
		"schema": str("")}
	d.params["expand"] = jsonObj{"name": "expand", "in": "query", "description": "Comma-separated reference fields to replace by the referenced record, dotted for nesting (aliases populate, $expand); depth 3 at most.",
		"schema": str("")}
	d.params["search"] = jsonObj{"name": "search", "in": "query", "description": "Case-insensitive text search over the searchable fields (alias $search).",
		"schema": str("")}
	d.params["searchFields"] = jsonObj{"name": "searchFields", "in": "query", "description": "Comma-separated searchable fields to search in.",
		"schema": str("")}
	d.params["count"] = jsonObj{"name": "count", "in": "query", "description": "false skips the total (then hasMore says whether a full page came back); " +
		"estimate lets a large total be the database's estimate (PostgreSQL's planner; totalEstimated: true), a small one stays exact.",
		"schema": jsonObj{"type": "string", "pattern": "^(true|false|estimate)$"}}
	d.params["id"] = jsonObj{"name": "id", "in": "path", "required": true, "description": "The record id.", "schema": str("")}
	d.params["ifMatch"] = jsonObj{"name": "If-Match", "in": "header", "description": "The ETag of a read: the write happens only if the record is unchanged (else 409 CONCURRENT_UPDATE).",
		"schema": str("")}
	d.params["idempotencyKey"] = jsonObj{"name": "Idempotency-Key", "in": "header",
		"description": "A key of the caller's choosing (a UUID; at most 255 printable ASCII bytes) that makes a retry safe: the first " +
			"successful answer is kept for the key (24 hours by default) and a retry gets it again, with Idempotent-Replayed: true, " +
			"instead of writing twice. The same key with another method, path or body is 422 IDEMPOTENCY_KEY_REUSED; a retry while " +
			"the first request runs is 409 IDEMPOTENCY_IN_PROGRESS (Retry-After). A failed request is not kept: its retry runs again.",
		"schema": jsonObj{"type": "string", "minLength": 1, "maxLength": objectos.MaxIdempotencyKeyLength}}
	d.params["ifNoneMatch"] = jsonObj{"name": "If-None-Match", "in": "header", "description": "An ETag of a previous read: 304 when unchanged.",
		"schema": str("")}

	d.headers["ETag"] = jsonObj{"description": "The version of the record or document.", "schema": str("")}
	d.headers["RateLimit-Limit"] = jsonObj{"description": "The budget of the route's rate-limit bucket.", "schema": jsonObj{"type": "integer"}}
	d.headers["RateLimit-Remaining"] = jsonObj{"description": "What is left of the budget.", "schema": jsonObj{"type": "integer"}}
	d.headers["RateLimit-Reset"] = jsonObj{"description": "Seconds until the budget is full again.", "schema": jsonObj{"type": "integer"}}
	d.headers["Retry-After"] = jsonObj{"description": "Seconds to wait before trying again.", "schema": jsonObj{"type": "integer"}}

	limited := jsonObj{"Retry-After": jsonObj{"$ref": "#/components/headers/Retry-After"},
		"RateLimit-Limit":     jsonObj{"$ref": "#/components/headers/RateLimit-Limit"},
		"RateLimit-Remaining": jsonObj{"$ref": "#/components/headers/RateLimit-Remaining"},
		"RateLimit-Reset":     jsonObj{"$ref": "#/components/headers/RateLimit-Reset"}}
	for _, env := range []struct{ prefix, schema string }{{"Data", schemaDataError}, {"", schemaError}} {
		for _, r := range []struct {
			name, description string
		}{
			{"BadRequest", "The request is invalid (VALIDATION_FAILED, INVALID_FIELD, INVALID_FILTER, INVALID_SORT, INVALID_QUERY, INVALID_CURSOR, INVALID_JSON, BATCH_TOO_LARGE, INVALID_IDEMPOTENCY_KEY)."},
			{"Unauthorized", "No valid credentials (UNAUTHENTICATED, INVALID_TOKEN, SESSION_EXPIRED)."},
			{"Forbidden", "Not permitted (PERMISSION_DENIED, RECORD_NOT_ACCESSIBLE, FIELD_NOT_ACCESSIBLE)."},
			{"NotFound", "Not found (OBJECT_NOT_FOUND, OBJECT_API_DISABLED, RECORD_NOT_FOUND, ACTION_NOT_FOUND, NOT_FOUND)."},
			{"Conflict", "A conflict (CONCURRENT_UPDATE, UNIQUE_VIOLATION, DELETE_RESTRICTED, IDEMPOTENCY_IN_PROGRESS)."},
			{"KeyReused", "The Idempotency-Key was used for another request (IDEMPOTENCY_KEY_REUSED)."},
			{"TooLarge", "The body is over the size limit (PAYLOAD_TOO_LARGE)."},
			{"UnsupportedMediaType", "The body is not JSON (UNSUPPORTED_MEDIA_TYPE)."},
			{"TooManyRequests", "The rate limit is spent (RATE_LIMIT_EXCEEDED)."},
			{"ServerError", "A server failure (INTERNAL_ERROR, SERVICE_UNAVAILABLE); the message says only what failed."},
		} {
			resp := respond(r.description, schemaRef(env.schema))
			if r.name == "TooManyRequests" {
				resp["headers"] = limited
			}
			d.responses[env.prefix+r.name] = resp
		}
	}
}

// errorResponses are the error answers of an operation, in the data
// envelope (data) or the wrapped one.
func errorResponses(data, body, write bool) jsonObj {
	prefix := ""
	if data {
		prefix = "Data"
	}
	out := jsonObj{
		"400": respRef(prefix + "BadRequest"), "401": respRef(prefix + "Unauthorized"),
		"403": respRef(prefix + "Forbidden"), "404": respRef(prefix + "NotFound"),
		"405": respond("The method is not allowed here (OBJECT_API_METHOD_NOT_ALLOWED, METHOD_NOT_ALLOWED).", schemaRef(map[bool]string{true: schemaDataError, false: schemaError}[data])),
		"429": respRef(prefix + "TooManyRequests"), "default": respRef(prefix + "ServerError"),
	}
	if write {
		out["409"] = respRef(prefix + "Conflict")
		out["422"] = respRef(prefix + "KeyReused")
	}
	if body {
		out["413"] = respRef(prefix + "TooLarge")
		out["415"] = respRef(prefix + "UnsupportedMediaType")
	}
	return out
}

func withResponses(errs jsonObj, ok map[string]jsonObj) jsonObj {
	for k, v := range ok {
		errs[k] = v
	}
	return errs
}

// system describes discovery, the health probes and the document itself.
func (d *oas) system(st *objectos.Stack, opts Options) {
	d.tag("system", "Discovery, health and this document")
	public := []any{}
	health := object(jsonObj{"success": jsonObj{"type": "boolean", "const": true}, "data": object(jsonObj{
		"status": str(""), "timestamp": jsonObj{"type": "string", "format": "date-time"}, "version": str(""), "uptime": jsonObj{"type": "number"},
	}, "status", "timestamp", "version", "uptime")}, "success", "data")
	d.op("/health", http.MethodGet, jsonObj{"operationId": "health", "summary": "Liveness", "tags": []string{"system"}, "security": public,
		"responses": jsonObj{"200": respond("The process is alive.", health)}})
	ready := object(jsonObj{"success": jsonObj{"type": "boolean", "const": true}, "data": object(jsonObj{
		"status": str(""), "state": str(""),
	}, "status")}, "success", "data")
	d.op("/ready", http.MethodGet, jsonObj{"operationId": "ready", "summary": "Readiness: the database answers", "tags": []string{"system"},
		"security": public, "responses": jsonObj{"200": respond("Ready.", ready), "503": respRef("ServerError")}})
	discovery := object(jsonObj{
		"version": str(""), "apiName": str(""),
		"routes":       jsonObj{"type": "object", "additionalProperties": str("")},
		"services":     jsonObj{"type": "object", "additionalProperties": object(jsonObj{"enabled": jsonObj{"type": "boolean"}, "status": str(""), "route": str("")})},
		"capabilities": jsonObj{"type": "object", "additionalProperties": object(jsonObj{"enabled": jsonObj{"type": "boolean"}, "description": str("")})},
	}, "version", "apiName", "routes")
	for _, p := range []string{"/", "/discovery"} {
		id := "discovery"
		if p == "/" {
			id = "discoveryRoot"
		}
		d.op(p, http.MethodGet, jsonObj{"operationId": id, "summary": "Discovery: the routes and capabilities of this deployment",
			"tags": []string{"system"}, "security": public, "responses": jsonObj{"200": respond("The discovery document.", discovery),
				"429": respRef("TooManyRequests")}})
	}
	docOp := func(id, summary string, format string) jsonObj {
		params := []any{
			jsonObj{"name": "version", "in": "query", "schema": jsonObj{"type": "string", "enum": []any{"3.1", "3.0"}}, "description": "3.0 renders the document as OpenAPI 3.0.3."},
		}
		if format == "json" {
			params = append(params, jsonObj{"name": "format", "in": "query", "schema": jsonObj{"type": "string", "enum": []any{"json", "yaml"}}})
		}
		op := jsonObj{"operationId": id, "summary": summary, "tags": []string{"system"}, "parameters": params,
			"responses": withResponses(errorResponses(false, false, false), map[string]jsonObj{
				"200": {"description": "The document.", "headers": jsonObj{"ETag": jsonObj{"$ref": "#/components/headers/ETag"}},
					"content": jsonObj{"application/json": jsonObj{"schema": jsonObj{"type": "object"}}, "application/yaml": jsonObj{"schema": str("")}}},
				"304": {"description": "Not modified."},
			})}
		if opts.PublicOpenAPI {
			op["security"] = public
		}
		return op
	}
	d.op("/openapi.json", http.MethodGet, docOp("openapi", "This OpenAPI document", "json"))
	d.op("/openapi.yaml", http.MethodGet, docOp("openapiYaml", "This OpenAPI document in YAML", "yaml"))
	if opts.Docs {
		d.op("/docs", http.MethodGet, jsonObj{"operationId": "docs", "summary": "The interactive reference of this document",
			"tags": []string{"system"}, "security": public, "responses": jsonObj{"200": jsonObj{"description": "An HTML page.",
				"content": jsonObj{"text/html": jsonObj{"schema": str("")}}}, "429": respRef("TooManyRequests")}})
		d.op("/docs/assets/{version}/{file}", http.MethodGet, jsonObj{"operationId": "docsAsset",
			"summary": "A script, stylesheet or licence of the reference page (immutable: the path changes with the content)",
			"tags":    []string{"system"}, "security": public,
			"parameters": []any{jsonObj{"name": "version", "in": "path", "required": true, "schema": str("")},
				jsonObj{"name": "file", "in": "path", "required": true, "schema": str("")}},
			"responses": jsonObj{"200": jsonObj{"description": "The file.", "content": jsonObj{
				"text/javascript": jsonObj{"schema": str("")}, "text/css": jsonObj{"schema": str("")},
				"text/plain": jsonObj{"schema": str("")}}},
				"404": respRef("NotFound"), "429": respRef("TooManyRequests")}})
	}
}

// countSchema is the count parameter: true, false or "estimate".
var countSchema = jsonObj{"anyOf": []any{jsonObj{"type": "boolean"}, jsonObj{"type": "string", "enum": []any{"estimate"}}}}
