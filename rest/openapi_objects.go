package rest

import (
	"fmt"
	"net/http"

	"github.com/objectos-go/objectos"
)

// The data routes of each object, and its schemas:
//
//	<object>         a record as the API returns it (readOnly system fields;
//	                 fields the caller cannot read are left out, so only id
//	                 is required)
//	<object>.create  the body of a create: required fields, no unknown keys
//	<object>.update  the body of an update: any subset, required fields not null
//	<object>.list    the list envelope

// fieldValue is the schema of a field's wire value, without null. Read
// schemas allow an expanded reference (the referenced record).
func (d *oas) fieldValue(f *objectos.Field, read bool) jsonObj {
	s := jsonObj{}
	switch f.Kind() {
	case objectos.KindText, objectos.KindPassword, objectos.KindSecret:
		s["type"] = "string"
		switch f.Type {
		case objectos.TypeEmail:
			s["format"] = "email"
		case objectos.TypeURL:
			s["format"] = "uri"
		}
		if !read && f.Kind() == objectos.KindText {
			if f.MaxLength > 0 {
				s["maxLength"] = f.MaxLength
			}
			if f.MinLength > 0 {
				s["minLength"] = f.MinLength
			}
		}
		switch f.Kind() {
		case objectos.KindPassword:
			s["description"] = `masked as "••••••••" on read`
		case objectos.KindSecret:
			s["description"] = `encrypted at rest; masked as "••••••••" on read (null when unset); ` +
				`writing "••••••••" back leaves it unchanged, "" or null clears it; never filterable or sortable`
		}
	case objectos.KindAutonumber:
		s["type"] = "string"
		s["description"] = "issued by the server"
	case objectos.KindNumber:
		s["type"], s["format"] = "number", "double"
		if !read {
			if f.Min != nil {
				s["minimum"] = *f.Min
			}
			if f.Max != nil {
				s["maximum"] = *f.Max
			}
		}
	case objectos.KindBool:
		s["type"] = "boolean"
	case objectos.KindDate:
		s["type"], s["format"] = "string", "date"
	case objectos.KindDatetime:
		s["type"], s["format"] = "string", "date-time"
	case objectos.KindTime:
		s["type"] = "string"
		s["description"] = "a wall-clock time, HH:MM:SS"
	case objectos.KindChoice:
		s["type"] = "string"
		s["enum"] = optionValues(f.Options)
	case objectos.KindMulti:
		items := jsonObj{"type": "string"}
		if len(f.Options) > 0 {
			items["enum"] = optionValues(f.Options)
		}
		s["type"], s["items"] = "array", items
		if !read && f.MaxLength > 0 {
			s["maxItems"] = f.MaxLength
		}
	case objectos.KindReference:
		id := jsonObj{"type": "string", "description": "the id of a " + f.Target() + " record"}
		if !read {
			return id
		}
		if d.objectSeen[f.Target()] {
			return jsonObj{"anyOf": []any{id, schemaRef(f.Target())}, "description": "the id of a " + f.Target() +
				" record, or the record itself when expanded"}
		}
		return jsonObj{"anyOf": []any{id, jsonObj{"type": "object"}}}
	case objectos.KindJSON:
		// any JSON value
	}
	if f.Description != "" && s["description"] == nil {
		s["description"] = f.Description
	}
	return s
}

func optionValues(opts []objectos.Option) []any {
	out := make([]any, len(opts))
	for i, o := range opts {
		out[i] = o.Value
	}
	return out
}

// objectSchemas adds <object>, <object>.create, <object>.update and
// <object>.list.
func (d *oas) objectSchemas(st *objectos.Stack, o *objectos.Object) {
	d.objectSeen[o.Name] = true
	d.tag(o.Name, labelOf(o.PluralLabel, labelOf(o.Label, o.Name)))
	read := jsonObj{}
	create := jsonObj{}
	update := jsonObj{}
	var required []string
	for _, f := range o.Fields {
		if f.Internal {
			continue
		}
		rs := d.fieldValue(f, true)
		if f.System && f.Name != objectos.FieldOwner || f.Type == objectos.TypeFormula {
			rs["readOnly"] = true
		}
		if f.Type == objectos.TypeFormula {
			rs["description"] = "computed on read: " + string(f.Expression)
		}
		if !f.Required && !neverNull[f.Name] {
			rs = nullable(rs)
		}
		read[f.Name] = rs
		switch {
		case f.Name == objectos.FieldID:
			create[f.Name] = jsonObj{"type": "string", "pattern": `^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`,
				"description": "a record id of your choice; the server issues a time-ordered UUIDv7 otherwise"}
			update[f.Name] = jsonObj{"description": "ignored: the id is the path's"}
		case f.System && f.Name != objectos.FieldOwner, f.Readonly, f.Kind() == objectos.KindAutonumber, f.Type == objectos.TypeFormula:
			ignored := jsonObj{"description": "read-only: dropped from writes and reported in droppedFields"}
			create[f.Name], update[f.Name] = ignored, ignored
		default:
			ws := d.fieldValue(f, false)
			if f.Required {
				create[f.Name] = ws
				if f.DefaultValue == nil {
					required = append(required, f.Name)
				}
				update[f.Name] = d.fieldValue(f, false)
			} else {
				create[f.Name] = nullable(ws)
				update[f.Name] = nullable(d.fieldValue(f, false))
			}
		}
	}
	d.schemas[o.Name] = jsonObj{"type": "object", "title": labelOf(o.Label, o.Name), "properties": read,
		"required": []string{objectos.FieldID}, "additionalProperties": false}
	cs := jsonObj{"type": "object", "properties": create, "additionalProperties": false,
		"description": "Unknown fields are 400 INVALID_FIELD; read-only and system fields are dropped."}
	if len(required) > 0 {
		cs["required"] = required
	}
	d.schemas[o.Name+".create"] = cs
	update["expectedVersion"] = jsonObj{"type": "string", "description": "the ETag of a read, as If-Match"}
	d.schemas[o.Name+".update"] = jsonObj{"type": "object", "properties": update, "additionalProperties": false,
		"description": "A partial update: only the fields sent change."}
	d.schemas[o.Name+".list"] = object(jsonObj{
		"object": jsonObj{"type": "string", "const": o.Name}, "records": arrayOf(schemaRef(o.Name)),
		"total":          jsonObj{"type": "integer", "description": "every matching record (absent with count=false)"},
		"totalEstimated": jsonObj{"type": "boolean", "description": "total is the database's estimate (count=estimate)"},
		"hasMore":        jsonObj{"type": "boolean"}, "nextCursor": str("continues after this page"),
	}, "object", "records", "hasMore")
}

// neverNull are the system fields every record has a value for.
var neverNull = map[string]bool{objectos.FieldID: true, objectos.FieldCreatedAt: true, objectos.FieldUpdatedAt: true}

// recordBody is {object, id, record, droppedFields?}.
func recordSchema(o *objectos.Object) jsonObj {
	return object(jsonObj{"object": jsonObj{"type": "string", "const": o.Name}, "id": str(""), "record": schemaRef(o.Name),
		"droppedFields": schemaRef(schemaDropped)}, "object", "id", "record")
}

// reservedParams are the spellings of the list parameters: a field of that
// name cannot be an implicit equality filter.
func reservedParam(name string) bool {
	_, ok := spellings[name]
	return ok
}

func (d *oas) objectPaths(o *objectos.Object) {
	name, label := o.Name, labelOf(o.Label, o.Name)
	plural := labelOf(o.PluralLabel, label)
	tags := []string{name}
	collection := "/data/" + name
	item := collection + "/{id}"
	etagHeader := jsonObj{"ETag": jsonObj{"$ref": "#/components/headers/ETag"}}

	if o.AllowsMethod(objectos.MethodList) {
		params := []any{paramRef("limit"), paramRef("offset"), paramRef("cursor"), paramRef("filter"), paramRef("sort"),
			paramRef("fields"), paramRef("expand"), paramRef("search"), paramRef("searchFields"), paramRef("count")}
		for _, f := range o.Fields {
			if f.Internal || reservedParam(f.Name) {
				continue
			}
			params = append(params, jsonObj{"name": f.Name, "in": "query", "schema": str(""),
				"description": "Equality filter on " + f.Name + ": the value is read as the field's type; null matches an empty field."})
		}
		d.op(collection, http.MethodGet, jsonObj{"operationId": "list_" + name, "summary": "List " + plural, "tags": tags,
			"parameters": params,
			"responses": withResponses(errorResponses(true, false, false), map[string]jsonObj{
				"200": respond("A page of records.", schemaRef(name+".list"))})})
	}
	if o.AllowsMethod(objectos.MethodList) || o.AllowsMethod(objectos.MethodAggregate) {
		var answers []any
		summary := "Query " + plural + " with a query document"
		if o.AllowsMethod(objectos.MethodList) {
			answers = append(answers, schemaRef(name+".list"))
		}
		if o.AllowsMethod(objectos.MethodAggregate) {
			answers = append(answers, schemaRef(schemaAggregateRows))
			summary += ", or group and aggregate them"
		}
		d.op(collection+"/query", http.MethodPost, jsonObj{"operationId": "query_" + name, "summary": summary,
			"tags": tags, "requestBody": jsonObj{"required": true, "content": jsonContent(schemaRef(schemaQuery))},
			"responses": withResponses(errorResponses(true, true, false), map[string]jsonObj{
				"200": respond("A page of records, or of groups for an aggregate query.", jsonObj{"anyOf": answers})})})
	}
	if o.AllowsMethod(objectos.MethodCreate) {
		d.op(collection, http.MethodPost, jsonObj{"operationId": "create_" + name, "summary": "Create a " + label, "tags": tags,
			"requestBody": jsonObj{"required": true, "content": jsonContent(schemaRef(name + ".create"))},
			"responses": withResponses(errorResponses(true, true, true), map[string]jsonObj{
				"201": {"description": "Created.", "content": jsonContent(recordSchema(o)),
					"headers": jsonObj{"ETag": etagHeader["ETag"], "Location": jsonObj{"description": "the record's URL", "schema": str("")}}}})})
	}
	if o.AllowsMethod(objectos.MethodGet) {
		d.op(item, http.MethodGet, jsonObj{"operationId": "get_" + name, "summary": "Read a " + label, "tags": tags,
			"parameters": []any{paramRef("id"), paramRef("fields"), paramRef("expand"), paramRef("ifNoneMatch")},
			"responses": withResponses(errorResponses(true, false, false), map[string]jsonObj{
				"200": {"description": "The record.", "content": jsonContent(recordSchema(o)), "headers": etagHeader},
				"304": {"description": "Not modified since the ETag given in If-None-Match.", "headers": etagHeader}})})
	}
	if o.AllowsMethod(objectos.MethodUpdate) {
		d.op(item, http.MethodPatch, jsonObj{"operationId": "update_" + name, "summary": "Update a " + label, "tags": tags,
			"parameters":  []any{paramRef("id"), paramRef("ifMatch")},
			"requestBody": jsonObj{"required": true, "content": jsonContent(schemaRef(name + ".update"))},
			"responses": withResponses(errorResponses(true, true, true), map[string]jsonObj{
				"200": {"description": "The updated record.", "content": jsonContent(recordSchema(o)), "headers": etagHeader}})})
	}
	if o.AllowsMethod(objectos.MethodDelete) {
		d.op(item, http.MethodDelete, jsonObj{"operationId": "delete_" + name, "summary": "Delete a " + label, "tags": tags,
			"parameters": []any{paramRef("id"), paramRef("ifMatch"),
				jsonObj{"name": "expectedVersion", "in": "query", "schema": str(""), "description": "as If-Match"}},
			"responses": withResponses(errorResponses(true, false, true), map[string]jsonObj{
				"200": respond("Deleted, with the records that pointed at it handled by their deleteBehavior.", object(jsonObj{
					"object": jsonObj{"type": "string", "const": name}, "id": str(""),
					"success": jsonObj{"type": "boolean", "const": true}, "deleted": jsonObj{"type": "boolean"},
				}, "object", "id", "success"))})})
	}
	d.namedRecordRoutes(o)
	if !o.AllowsMethod(objectos.MethodBulk) {
		return
	}
	batchOK := map[string]jsonObj{"200": respond("The outcome of each record.", schemaRef(schemaBatch))}
	bulkBody := func(s any) jsonObj { return jsonObj{"required": true, "content": jsonContent(s)} }
	limit := fmt.Sprintf(" At most %d records.", d.maxBatch)
	if o.AllowsMethod(objectos.MethodCreate) {
		d.op(collection+"/createMany", http.MethodPost, jsonObj{"operationId": "createMany_" + name,
			"summary": "Create " + plural + " in one transaction: all or nothing." + limit, "tags": tags,
			"requestBody": bulkBody(jsonObj{"type": "array", "items": schemaRef(name + ".create"), "maxItems": d.maxBatch}),
			"responses": withResponses(errorResponses(true, true, true), map[string]jsonObj{
				"201": respond("Every record, created.", object(jsonObj{"object": jsonObj{"type": "string", "const": name},
					"records": arrayOf(schemaRef(name)), "count": jsonObj{"type": "integer"},
					"droppedFields": schemaRef(schemaDropped)}, "object", "records", "count"))})})
	}
	idList := arrayOf(str(""))
	idList["maxItems"] = d.maxBatch
	if o.AllowsMethod(objectos.MethodUpdate) {
		// each record is checked by the engine on its own: a bad one fails
		// in the results, not the request
		records := arrayOf(jsonObj{"type": "object", "required": []string{"id", "data"},
			"properties": jsonObj{"id": str(""), "data": jsonObj{"type": "object", "description": "fields as in " + name + ".update"}}})
		records["maxItems"] = d.maxBatch
		d.op(collection+"/updateMany", http.MethodPost, jsonObj{"operationId": "updateMany_" + name,
			"summary": "Update " + plural + " by id." + limit, "tags": tags,
			"requestBody": bulkBody(jsonObj{"type": "object", "additionalProperties": false, "required": []string{"records"},
				"properties": jsonObj{"records": records, "options": schemaRef(schemaBatchOpts)}}),
			"responses": withResponses(errorResponses(true, true, true), batchOK)})
	}
	if o.AllowsMethod(objectos.MethodDelete) {
		d.op(collection+"/deleteMany", http.MethodPost, jsonObj{"operationId": "deleteMany_" + name,
			"summary": "Delete " + plural + " by id." + limit, "tags": tags,
			"requestBody": bulkBody(jsonObj{"type": "object", "additionalProperties": false, "required": []string{"ids"},
				"properties": jsonObj{"ids": idList, "options": schemaRef(schemaBatchOpts)}}),
			"responses": withResponses(errorResponses(true, true, true), batchOK)})
	}
	records := arrayOf(jsonObj{"type": "object", "properties": jsonObj{"id": str(""), "data": jsonObj{"type": "object"}}})
	records["maxItems"] = d.maxBatch
	d.op(collection+"/batch", http.MethodPost, jsonObj{"operationId": "batch_" + name,
		"summary": "Create, update, upsert or delete " + plural + "." + limit, "tags": tags,
		"requestBody": bulkBody(jsonObj{"type": "object", "additionalProperties": false, "required": []string{"operation", "records"},
			"properties": jsonObj{
				"operation": jsonObj{"type": "string", "enum": []any{"create", "update", "upsert", "delete"}},
				"records":   records, "options": schemaRef(schemaBatchOpts)}}),
		"responses": withResponses(errorResponses(true, true, true), batchOK)})
}

// crossBatch is POST /batch: operations on several objects, atomically.
func (d *oas) crossBatch() {
	d.tag("batch", "Writes across objects in one transaction")
	ops := arrayOf(jsonObj{"type": "object", "additionalProperties": false, "required": []string{"object"}, "properties": jsonObj{
		"object": str("the object's name"),
		"action": jsonObj{"type": "string", "enum": []any{"create", "update", "delete"}, "default": "create"},
		"id":     str("the record, for update and delete"),
		"data":   jsonObj{"type": "object", "description": `the record's fields; {"$ref": n} is the id created by operation n`},
	}})
	ops["maxItems"] = d.maxBatch
	d.op("/batch", http.MethodPost, jsonObj{"operationId": "batch", "summary": "Write across objects in one transaction: all or nothing",
		"tags": []string{"batch"},
		"requestBody": jsonObj{"required": true, "content": jsonContent(jsonObj{"type": "object", "additionalProperties": false,
			"required": []string{"operations"}, "properties": jsonObj{"operations": ops, "atomic": jsonObj{"type": "boolean", "const": true}}})},
		"responses": withResponses(errorResponses(true, true, true), map[string]jsonObj{
			"200": respond("One result per operation: the record, or {object, id, success} for a delete.",
				object(jsonObj{"results": arrayOf(jsonObj{"type": "object"})}, "results"))})})
}

// actionPaths are POST /actions/{object}/{action}[/{recordId}].
func (d *oas) actionPaths(o *objectos.Object) {
	for _, a := range o.Actions {
		params := jsonObj{}
		var required []string
		for _, p := range a.Params {
			f := &objectos.Field{Name: p.Name, Type: p.Type, Options: p.Options, Reference: p.Reference, Description: p.HelpText}
			s := d.fieldValue(f, false)
			if !p.Required {
				s = nullable(s)
			} else {
				required = append(required, p.Name)
			}
			params[p.Name] = s
		}
		ps := jsonObj{"type": "object", "properties": params, "additionalProperties": false}
		if len(required) > 0 {
			ps["required"] = required
		}
		props := jsonObj{"recordId": str("the record to run on (or in the path)"), "params": ps}
		body := jsonObj{"type": "object", "additionalProperties": false, "properties": props}
		if len(required) > 0 {
			body["required"] = []string{"params"}
		}
		summary := labelOf(a.Label, a.Name)
		if a.Description != "" {
			summary += ": " + a.Description
		}
		ok := map[string]jsonObj{"200": respond("The action's result.", object(jsonObj{
			"success": jsonObj{"type": "boolean", "const": true}, "data": jsonObj{"description": "what the action returns"}}, "success"))}
		base := "/actions/" + o.Name + "/" + a.Name
		d.op(base, http.MethodPost, jsonObj{"operationId": "action_" + o.Name + "_" + a.Name, "summary": summary,
			"tags": []string{o.Name}, "requestBody": jsonObj{"content": jsonContent(body)},
			"responses": withResponses(errorResponses(false, true, true), ok)})
		d.op(base+"/{recordId}", http.MethodPost, jsonObj{"operationId": "action_" + o.Name + "_" + a.Name + "_record",
			"summary": summary + " (on a record)", "tags": []string{o.Name},
			"parameters":  []any{jsonObj{"name": "recordId", "in": "path", "required": true, "schema": str("")}},
			"requestBody": jsonObj{"content": jsonContent(body)},
			"responses":   withResponses(errorResponses(false, true, true), ok)})
	}
}

// meta describes the metadata routes.
func (d *oas) meta() {
	d.tag("metadata", "Objects, views, actions and permission sets, as the caller may see them")
	ok := func(description string, data jsonObj) map[string]jsonObj {
		return map[string]jsonObj{
			"200": {"description": description, "headers": jsonObj{"ETag": jsonObj{"$ref": "#/components/headers/ETag"}},
				"content": jsonContent(object(jsonObj{"success": jsonObj{"type": "boolean", "const": true}, "data": data}, "success", "data"))},
			"304": {"description": "Not modified."},
		}
	}
	types := object(jsonObj{"types": arrayOf(str("")), "entries": arrayOf(jsonObj{"type": "object"})}, "types")
	for _, p := range []string{"/meta", "/meta/types"} {
		id := "metaTypes"
		if p == "/meta" {
			id = "meta"
		}
		d.op(p, http.MethodGet, jsonObj{"operationId": id, "summary": "The metadata types", "tags": []string{"metadata"},
			"parameters": []any{paramRef("ifNoneMatch")},
			"responses":  withResponses(errorResponses(false, false, false), ok("The types.", types))})
	}
	typeParam := jsonObj{"name": "type", "in": "path", "required": true, "schema": str(""),
		"description": "object, view, action or permission (plurals too); permission sets are for administrators"}
	d.op("/meta/{type}", http.MethodGet, jsonObj{"operationId": "metaItems", "summary": "The items of a metadata type",
		"tags": []string{"metadata"}, "parameters": []any{typeParam, paramRef("ifNoneMatch")},
		"responses": withResponses(errorResponses(false, false, false), ok("The items.",
			object(jsonObj{"type": str(""), "items": arrayOf(jsonObj{"type": "object"})}, "type", "items")))})
	d.op("/meta/{type}/{name}", http.MethodGet, jsonObj{"operationId": "metaItem", "summary": "One metadata item",
		"tags": []string{"metadata"}, "parameters": []any{typeParam,
			jsonObj{"name": "name", "in": "path", "required": true, "schema": str(""), "description": "the item's name (object.action for actions)"},
			paramRef("ifNoneMatch")},
		"responses": withResponses(errorResponses(false, false, false), ok("The item; an object's fields are a map keyed by name.",
			object(jsonObj{"type": str(""), "name": str(""), "item": jsonObj{"type": "object"}}, "type", "name", "item")))})
}

// namedRoutes are the routes whose last segment is a name; GET, PATCH and
// DELETE there reach the record with that id, as /data/{object}/{id} would.
var namedRoutes = []string{"query", "createMany", "updateMany", "deleteMany", "batch"}

// namedRecordRoutes copies the record operations onto the named paths, so
// the document says what the server does with GET /data/{object}/batch.
func (d *oas) namedRecordRoutes(o *objectos.Object) {
	item := d.paths["/data/"+o.Name+"/{id}"]
	for _, n := range namedRoutes {
		for method, op := range item {
			src, _ := op.(jsonObj)
			c := jsonObj{}
			for k, v := range src {
				c[k] = v
			}
			c["operationId"] = fmt.Sprintf("%v_%s_named_%s", src["operationId"], "record", n)
			c["summary"] = fmt.Sprintf("%v (the record whose id is %q)", src["summary"], n)
			var params []any
			for _, p := range src["parameters"].([]any) {
				if m, ok := p.(jsonObj); ok && m["$ref"] == "#/components/parameters/id" {
					continue
				}
				params = append(params, p)
			}
			c["parameters"] = params
			d.op("/data/"+o.Name+"/"+n, method, c)
		}
	}
}
