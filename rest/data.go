package rest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/objectos-go/objectos"
)

// The HTTP methods each data route serves, for Allow headers.
const (
	collectionMethods = "GET, POST"
	itemMethods       = "GET, PATCH, DELETE"
	queryMethods      = "POST"
)

func methodNotAllowed(r *http.Request, allow string) error {
	return objectos.Errorf(objectos.CodeMethodNotAllowed, "Method %s is not allowed here; use %s.", r.Method, allow).
		With("allow", allow)
}

// routeAllow lists the HTTP methods of a route that the object's apiMethods
// permit.
func routeAllow(o *objectos.Object, route string) string {
	var out []string
	add := func(m objectos.APIMethod, verb string) {
		if o.AllowsMethod(m) {
			out = append(out, verb)
		}
	}
	switch route {
	case collectionMethods:
		add(objectos.MethodList, "GET")
		add(objectos.MethodCreate, "POST")
	case itemMethods:
		add(objectos.MethodGet, "GET")
		add(objectos.MethodUpdate, "PATCH")
		add(objectos.MethodDelete, "DELETE")
	case queryMethods:
		if o.AllowsMethod(objectos.MethodList) || o.AllowsMethod(objectos.MethodAggregate) {
			out = append(out, "POST")
		}
	case bulkRoute:
		if o.AllowsMethod(objectos.MethodBulk) {
			out = append(out, "POST")
		}
	}
	return strings.Join(out, ", ")
}

// exposed resolves the route's object and checks that the data API exposes
// the operation on it.
func (h *handler) exposed(name string, m objectos.APIMethod, route string) (*objectos.Object, error) {
	o := h.st.Object(name)
	if o == nil {
		return nil, objectos.Errorf(objectos.CodeObjectNotFound, "Object '%s' not found.", name).With("object", name)
	}
	if !o.APIEnabled() {
		return nil, objectos.Errorf(objectos.CodeObjectAPIDisabled, "Object '%s' is not exposed via the API.", name).
			With("object", name)
	}
	if !o.AllowsMethod(m) {
		allowed := o.AllowedMethods()
		if allowed == nil {
			allowed = []objectos.APIMethod{}
		}
		return nil, objectos.Errorf(objectos.CodeObjectAPIMethodNotAllowed, "API operation '%s' is not allowed on object '%s'.", m, name).
			With("object", name).With("allowed", allowed).With("allow", routeAllow(o, route))
	}
	return o, nil
}

// dispatch serves one data route: it authenticates the caller, then runs
// the handler of the request's method (405 with Allow for the others).
func (h *handler) dispatch(allow string, byMethod map[string]func(context.Context, http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, ok := h.authenticate(w, r)
		if !ok {
			return
		}
		err := methodNotAllowed(r, allow)
		fn := byMethod[r.Method]
		if fn == nil && r.Method == http.MethodHead {
			fn = byMethod[http.MethodGet]
		}
		if fn != nil {
			err = fn(ctx, w, r)
		}
		if err != nil {
			h.fail(w, r, err)
		}
	}
}

func (h *handler) noRoute(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.authenticate(w, r); !ok {
		return
	}
	h.fail(w, r, objectos.Errorf(objectos.CodeNotFound, "No data route for %s %s; use %s/data/{object}[/{id}].",
		r.Method, r.URL.Path, h.st.BasePath()))
}

// listBody is the list envelope {object, records, total, hasMore, nextCursor?}.
type listBody struct {
	Object  string            `json:"object"`
	Records []objectos.Record `json:"records"`
	Total   *int64            `json:"total,omitempty"`
	// TotalEstimated: Total is the database's estimate (count=estimate).
	TotalEstimated bool   `json:"totalEstimated,omitempty"`
	HasMore        bool   `json:"hasMore"`
	NextCursor     string `json:"nextCursor,omitempty"`
}

// appendJSON encodes the envelope as encoding/json would (the same member
// order), with the records appended into the one buffer.
func (l *listBody) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"object":`...)
	b = objectos.AppendJSONString(b, l.Object)
	b = append(b, `,"records":`...)
	b, err := objectos.AppendRecordsJSON(b, l.Records)
	if err != nil {
		return nil, err
	}
	if l.Total != nil {
		b = append(b, `,"total":`...)
		b = strconv.AppendInt(b, *l.Total, 10)
	}
	if l.TotalEstimated {
		b = append(b, `,"totalEstimated":true`...)
	}
	b = append(b, `,"hasMore":`...)
	b = strconv.AppendBool(b, l.HasMore)
	if l.NextCursor != "" {
		b = append(b, `,"nextCursor":`...)
		b = objectos.AppendJSONString(b, l.NextCursor)
	}
	return append(b, '}'), nil
}

func (h *handler) list(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("object")
	o, err := h.exposed(name, objectos.MethodList, collectionMethods)
	if err != nil {
		return err
	}
	req, err := parseListParams(o, r.URL.RawQuery)
	if err != nil {
		return err
	}
	return h.respondList(ctx, w, name, req)
}

func (h *handler) queryDoc(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("object")
	o := h.st.Object(name)
	if o == nil || !o.APIEnabled() {
		_, err := h.exposed(name, objectos.MethodList, queryMethods)
		return err
	}
	doc, err := h.readObject(w, r)
	if err != nil {
		return err
	}
	if isAggregate(doc) {
		return h.aggregate(ctx, w, o, doc)
	}
	if _, err := h.exposed(name, objectos.MethodList, queryMethods); err != nil {
		return err
	}
	req, err := parseQueryDoc(o, doc)
	if err != nil {
		return err
	}
	return h.respondList(ctx, w, name, req)
}

func (h *handler) respondList(ctx context.Context, w http.ResponseWriter, name string, req *listRequest) error {
	body := listBody{Object: name, Records: []objectos.Record{}}
	if req.countOnly {
		if req.q.Cursor != "" {
			return objectos.NewError(objectos.CodeInvalidCursor, "cursor cannot be combined with limit=0.").With("param", "cursor")
		}
		n, err := h.st.Count(ctx, name, req.q)
		if err != nil {
			return err
		}
		body.HasMore = n > int64(req.q.Offset)
		if !req.q.SkipCount {
			body.Total = &n
		}
		objectos.WriteJSON(w, http.StatusOK, body)
		return nil
	}
	res, err := h.st.List(ctx, name, req.q)
	if err != nil {
		return err
	}
	if res.Records != nil {
		body.Records = res.Records
	}
	body.HasMore = res.HasMore
	body.NextCursor = res.NextCursor
	if res.Total >= 0 {
		body.Total = &res.Total
		body.TotalEstimated = res.TotalEstimated
	}
	b, err := body.appendJSON(make([]byte, 0, 256+len(body.Records)*256))
	if err != nil {
		return err
	}
	objectos.WriteRawJSON(w, http.StatusOK, b)
	return nil
}

// recordBody is {object, id, record, droppedFields?}.
type recordBody struct {
	Object        string            `json:"object"`
	ID            string            `json:"id"`
	Record        objectos.Record   `json:"record"`
	DroppedFields []droppedFieldSet `json:"droppedFields,omitempty"`
}

// droppedFieldSet reports caller-supplied fields removed from a write, as
// upstream's DroppedFieldsEvent.
type droppedFieldSet struct {
	Object string   `json:"object"`
	Fields []string `json:"fields"`
	Reason string   `json:"reason"`
}

func dropped(object string, fields []string) []droppedFieldSet {
	var readonly []string
	var out []droppedFieldSet
	for _, f := range fields {
		if f == objectos.FieldID {
			out = append(out, droppedFieldSet{Object: object, Fields: []string{f}, Reason: "primary_key"})
			continue
		}
		readonly = append(readonly, f)
	}
	if len(readonly) > 0 {
		out = append([]droppedFieldSet{{Object: object, Fields: readonly, Reason: "readonly"}}, out...)
	}
	return out
}

func (h *handler) writeRecord(w http.ResponseWriter, status int, name string, res *objectos.Result) {
	if res.Version != "" {
		w.Header().Set("ETag", etag(res.Version))
	}
	if len(res.Dropped) > 0 {
		w.Header().Set("X-ObjectStack-Dropped-Fields", strings.Join(res.Dropped, ","))
	}
	body := recordBody{Object: name, ID: res.ID, Record: res.Record, DroppedFields: dropped(name, res.Dropped)}
	if body.DroppedFields != nil {
		objectos.WriteJSON(w, status, body)
		return
	}
	// the common case, encoded into one buffer (see listBody.appendJSON)
	b := append(make([]byte, 0, 512), `{"object":`...)
	b = objectos.AppendJSONString(b, body.Object)
	b = append(b, `,"id":`...)
	b = objectos.AppendJSONString(b, body.ID)
	b = append(b, `,"record":`...)
	b, err := objectos.AppendRecordJSON(b, body.Record)
	if err != nil {
		objectos.WriteJSON(w, status, body) // and let encoding/json say what is wrong
		return
	}
	objectos.WriteRawJSON(w, status, append(b, '}'))
}

func (h *handler) create(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("object")
	if _, err := h.exposed(name, objectos.MethodCreate, collectionMethods); err != nil {
		return err
	}
	if r.URL.RawQuery != "" {
		return queryErr("", "Query parameters are not accepted when creating a record.")
	}
	body, err := h.readObject(w, r)
	if err != nil {
		return err
	}
	res, err := h.st.Create(ctx, name, objectos.Record(body))
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("%s/data/%s/%s", h.st.BasePath(), name, url.PathEscape(res.ID)))
	h.writeRecord(w, http.StatusCreated, name, res)
	return nil
}

func (h *handler) get(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	name, id := r.PathValue("object"), r.PathValue("id")
	if _, err := h.exposed(name, objectos.MethodGet, itemMethods); err != nil {
		return err
	}
	opts, err := parseGetParams(r.URL.RawQuery)
	if err != nil {
		return err
	}
	res, err := h.st.Get(ctx, name, id, opts)
	if err != nil {
		return err
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && res.Version != "" && matchesETag(inm, res.Version) {
		w.Header().Set("ETag", etag(res.Version))
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.writeRecord(w, http.StatusOK, name, res)
	return nil
}

func matchesETag(header, version string) bool {
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if part == "*" || strings.Trim(part, `"`) == version {
			return true
		}
	}
	return false
}

func (h *handler) update(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	name, id := r.PathValue("object"), r.PathValue("id")
	if _, err := h.exposed(name, objectos.MethodUpdate, itemMethods); err != nil {
		return err
	}
	if r.URL.RawQuery != "" {
		return queryErr("", "Query parameters are not accepted when updating a record.")
	}
	body, err := h.readObject(w, r)
	if err != nil {
		return err
	}
	opts := objectos.WriteOptions{IfMatch: r.Header.Get("If-Match")}
	if v, ok := body["expectedVersion"]; ok {
		s, ok := v.(string)
		if !ok {
			return objectos.NewError(objectos.CodeValidationFailed, "expectedVersion must be a string.").
				With("field", "expectedVersion")
		}
		opts.IfMatch = s
		delete(body, "expectedVersion")
	}
	res, err := h.st.Update(ctx, name, id, objectos.Record(body), opts)
	if err != nil {
		return err
	}
	h.writeRecord(w, http.StatusOK, name, res)
	return nil
}

// deleteBody is {object, id, success: true}; deleted mirrors success for
// clients typed on upstream's DeleteDataResult.
type deleteBody struct {
	Object  string `json:"object"`
	ID      string `json:"id"`
	Success bool   `json:"success"`
	Deleted bool   `json:"deleted"`
}

func (h *handler) delete(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	name, id := r.PathValue("object"), r.PathValue("id")
	if _, err := h.exposed(name, objectos.MethodDelete, itemMethods); err != nil {
		return err
	}
	opts := objectos.WriteOptions{IfMatch: r.Header.Get("If-Match")}
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return objectos.NewError(objectos.CodeInvalidQuery, "The query string is malformed.")
	}
	for k, v := range values {
		if k != "expectedVersion" || len(v) != 1 {
			return queryErr(k, "Query parameter '%s' is not accepted when deleting a record; only expectedVersion is.", k)
		}
		opts.IfMatch = v[0]
	}
	if err := h.st.Delete(ctx, name, id, opts); err != nil {
		return err
	}
	objectos.WriteJSON(w, http.StatusOK, deleteBody{Object: name, ID: id, Success: true, Deleted: true})
	return nil
}
