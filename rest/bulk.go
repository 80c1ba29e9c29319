package rest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/jsonkind"
)

// The bulk routes, as upstream's: createMany, updateMany, deleteMany and
// batch on one object, and the cross-object transactional batch at
// {base}/batch. Each needs "bulk" and the operation's own method in the
// object's apiMethods; every record goes through the engine exactly as a
// single write does (permissions, record and field access, validation,
// hooks). At most Options.MaxBatchSize records per request (400
// BATCH_TOO_LARGE).

// DefaultMaxBatchSize caps the records of one bulk request unless Options
// says otherwise.
const DefaultMaxBatchSize = 200

// bulkRoute names the bulk routes for routeAllow.
const bulkRoute = "bulk"

// Row outcome codes of a batch that did not run a record to completion.
const (
	codeNotAttempted = "NOT_ATTEMPTED"
	codeRolledBack   = "ROLLED_BACK"
)

// rowError is upstream's ApiError for one record of a batch.
type rowError struct {
	Code       string         `json:"code"`
	Message    string         `json:"message"`
	HTTPStatus int            `json:"httpStatus,omitempty"`
	Details    map[string]any `json:"details,omitempty"`
}

// rowResult is upstream's BatchOperationResult.
type rowResult struct {
	ID            string            `json:"id,omitempty"`
	Success       bool              `json:"success"`
	Index         int               `json:"index"`
	Errors        []rowError        `json:"errors,omitempty"`
	Data          objectos.Record   `json:"data,omitempty"`
	DroppedFields []droppedFieldSet `json:"droppedFields,omitempty"`
}

// batchBody is upstream's BatchUpdateResponse.
type batchBody struct {
	Success   bool        `json:"success"`
	Operation string      `json:"operation"`
	Total     int         `json:"total"`
	Succeeded int         `json:"succeeded"`
	Failed    int         `json:"failed"`
	Results   []rowResult `json:"results"`
}

// batchOptions are upstream's BatchOptions.
type batchOptions struct {
	atomic, continueOnError bool
	returnRecords           bool // default true: only an explicit false leaves data out
}

// rowOp is one record's write; it returns the record's id, its record and
// the fields the engine dropped.
type rowOp struct {
	id  string
	run func(ctx context.Context) (*objectos.Result, error)
}

func (h *handler) bulkRoutes(r *objectos.Router) {
	for suffix, fn := range map[string]func(context.Context, http.ResponseWriter, *http.Request) error{
		"createMany": h.createMany, "updateMany": h.updateMany, "deleteMany": h.deleteMany, "batch": h.batch,
	} {
		r.HandleFunc("", "/data/{object}/"+suffix, h.dispatchNamed(suffix, fn))
	}
	r.HandleFunc("", "/batch", h.dispatch(http.MethodPost, map[string]func(context.Context, http.ResponseWriter, *http.Request) error{
		http.MethodPost: h.crossObjectBatch}))
}

// dispatchNamed serves a route whose last segment is a name (query,
// createMany, …): POST runs fn; the record methods reach the record whose id
// is that name, as /data/{object}/{id} would.
func (h *handler) dispatchNamed(name string, fn func(context.Context, http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	byMethod := map[string]func(context.Context, http.ResponseWriter, *http.Request) error{http.MethodPost: fn}
	for method, item := range map[string]func(context.Context, http.ResponseWriter, *http.Request) error{
		http.MethodGet: h.get, http.MethodPatch: h.update, http.MethodDelete: h.delete,
	} {
		byMethod[method] = func(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
			r.SetPathValue("id", name)
			return item(ctx, w, r)
		}
	}
	return h.dispatch("GET, POST, PATCH, DELETE", byMethod)
}

// bulkExposed checks that the object exposes bulk writes of the given kinds.
func (h *handler) bulkExposed(name string, ms ...objectos.APIMethod) (*objectos.Object, error) {
	o, err := h.exposed(name, objectos.MethodBulk, bulkRoute)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if _, err := h.exposed(name, m, bulkRoute); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func (h *handler) maxBatch(n int, object string) error {
	if n <= h.opts.MaxBatchSize {
		return nil
	}
	e := objectos.Errorf(objectos.CodeBatchTooLarge, "Batch too large: %d records (max %d).", n, h.opts.MaxBatchSize).
		With("count", n).With("max", h.opts.MaxBatchSize)
	if object != "" {
		e = e.With("object", object)
	}
	return e
}

func bulkErr(object, format string, args ...any) *objectos.Error {
	e := objectos.Errorf(objectos.CodeValidationFailed, format, args...)
	if object != "" {
		e = e.With("object", object)
	}
	return e
}

// readJSON reads a JSON body of any shape, with the checks of readObject.
func (h *handler) readJSON(w http.ResponseWriter, r *http.Request) (any, error) {
	if err := h.checkJSONType(r); err != nil {
		return nil, err
	}
	raw, err := h.readRaw(w, r)
	if err != nil {
		return nil, err
	}
	return decodeValue(raw)
}

// onlyKeys refuses members of a request object other than the allowed ones.
func onlyKeys(object, what string, m map[string]any, allowed ...string) error {
	keys := slices.Sorted(maps.Keys(m))
	for _, k := range keys {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return bulkErr(object, "Unknown key '%s' in %s; it takes %s.", clip(k, objectos.MaxQuoted), what, strings.Join(allowed, ", ")).With("field", k)
		}
	}
	return nil
}

func parseBatchOptions(object string, v any) (batchOptions, error) {
	opts := batchOptions{returnRecords: true}
	if v == nil {
		return opts, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return opts, bulkErr(object, "options must be an object.").With("field", "options")
	}
	if err := onlyKeys(object, "options", m, "atomic", "returnRecords", "continueOnError"); err != nil {
		return opts, err
	}
	for k, dst := range map[string]*bool{"atomic": &opts.atomic, "returnRecords": &opts.returnRecords, "continueOnError": &opts.continueOnError} {
		if x, ok := m[k]; ok {
			b, isBool := x.(bool)
			if !isBool {
				return opts, bulkErr(object, "options.%s must be true or false.", k).With("field", "options."+k)
			}
			*dst = b
		}
	}
	return opts, nil
}

// recordOf reads element i of a records array as an object.
func recordOf(object, what string, i int, v any) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, bulkErr(object, "%s[%d] must be an object, not %s.", what, i, jsonkind.Of(v)).With("index", i)
	}
	return m, nil
}

func idOf(object, what string, i int, v any, required bool) (string, error) {
	if v == nil && !required {
		return "", nil
	}
	s, ok := v.(string)
	if !ok || s == "" {
		return "", bulkErr(object, "%s[%d].id must be a non-empty string.", what, i).With("index", i)
	}
	return s, nil
}

// runBatch runs the operations as upstream's batch loop: without atomic,
// each record is its own transaction and the first failure ends the run
// unless continueOnError; with atomic, all run in one transaction and the
// first failure rolls every write back.
func (h *handler) runBatch(ctx context.Context, r *http.Request, operation string, ops []rowOp, opts batchOptions) (*batchBody, error) {
	results := make([]rowResult, 0, len(ops))
	failed := false
	loop := func(ctx context.Context) {
		for i, op := range ops {
			res, err := op.run(ctx)
			if err != nil {
				results = append(results, rowResult{ID: op.id, Index: i, Errors: []rowError{h.rowError(r, err)}})
				failed = true
				if opts.atomic || !opts.continueOnError {
					return
				}
				continue
			}
			row := rowResult{ID: res.ID, Success: true, Index: i, DroppedFields: dropped(r.PathValue("object"), res.Dropped)}
			if opts.returnRecords && res.Record != nil {
				row.Data = res.Record
			}
			results = append(results, row)
		}
	}
	if opts.atomic {
		errAbort := errors.New("rest: atomic batch aborted")
		err := h.st.Transact(ctx, func(ctx context.Context) error {
			loop(ctx)
			if failed {
				return errAbort
			}
			return nil
		})
		if err != nil && !errors.Is(err, errAbort) {
			return nil, err
		}
		if failed {
			return rolledBack(operation, ops, results), nil
		}
	} else {
		loop(ctx)
	}
	body := &batchBody{Operation: operation, Total: len(ops), Results: results}
	cause := -1
	for i, row := range results {
		if row.Success {
			body.Succeeded++
		} else if cause < 0 {
			cause = i
		}
	}
	for i := len(results); i < len(ops); i++ {
		body.Results = append(body.Results, rowResult{ID: ops[i].id, Index: i, Errors: []rowError{{
			Code: codeNotAttempted,
			Message: fmt.Sprintf("Record %d failed (%s); the batch stopped there. Set options.continueOnError to process the remaining records.",
				cause, results[cause].Errors[0].Message),
		}}})
	}
	body.Failed = body.Total - body.Succeeded
	body.Success = body.Failed == 0
	return body, nil
}

// rolledBack is the answer of an atomic batch that failed: nothing was
// written, so nothing reports success.
func rolledBack(operation string, ops []rowOp, attempted []rowResult) *batchBody {
	cause := len(attempted) - 1
	msg := attempted[cause].Errors[0].Message
	body := &batchBody{Operation: operation, Total: len(ops), Failed: len(ops), Results: make([]rowResult, len(ops))}
	for i, op := range ops {
		switch {
		case i < cause:
			id := attempted[i].ID
			if id == "" {
				id = op.id
			}
			body.Results[i] = rowResult{ID: id, Index: i, Errors: []rowError{{Code: codeRolledBack,
				Message: fmt.Sprintf("Record %d failed (%s); the atomic batch was rolled back.", cause, msg)}}}
		case i == cause:
			body.Results[i] = attempted[i]
		default:
			body.Results[i] = rowResult{ID: op.id, Index: i, Errors: []rowError{{Code: codeNotAttempted,
				Message: fmt.Sprintf("The atomic batch was aborted by record %d.", cause)}}}
		}
	}
	return body
}

// rowError is a failed record's error, safe to show; server failures are
// logged with their cause.
func (h *handler) rowError(r *http.Request, err error) rowError {
	e := h.st.LogError(r, err)
	out := rowError{Code: string(e.Code), Message: e.Message, HTTPStatus: e.HTTPStatus()}
	if len(e.Details) > 0 || len(e.Fields) > 0 {
		out.Details = make(map[string]any, len(e.Details)+1)
		for k, v := range e.Details {
			out.Details[k] = v
		}
		if len(e.Fields) > 0 {
			out.Details["fields"] = e.Fields
		}
	}
	return out
}

// createMany creates every record of a bare JSON array in one transaction:
// all or nothing. 201 {object, records, count, droppedFields?}.
func (h *handler) createMany(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("object")
	if _, err := h.bulkExposed(name, objectos.MethodCreate); err != nil {
		return err
	}
	v, err := h.readJSON(w, r)
	if err != nil {
		return err
	}
	list, ok := v.([]any)
	if !ok {
		return bulkErr(name, "Invalid createMany request: the body must be a JSON array of record objects, not %s.", jsonkind.Of(v))
	}
	if err := h.maxBatch(len(list), name); err != nil {
		return err
	}
	data := make([]objectos.Record, len(list))
	for i, x := range list {
		if data[i], err = recordOf(name, "records", i, x); err != nil {
			return err
		}
	}
	results, err := h.st.CreateMany(ctx, name, data)
	if err != nil {
		return err
	}
	out := make([]objectos.Record, len(results))
	droppedUnion := map[string]bool{}
	for i, res := range results {
		out[i] = res.Record
		for _, f := range res.Dropped {
			droppedUnion[f] = true
		}
	}
	union := slices.Sorted(maps.Keys(droppedUnion))
	objectos.WriteJSON(w, http.StatusCreated, struct {
		Object        string            `json:"object"`
		Records       []objectos.Record `json:"records"`
		Count         int               `json:"count"`
		DroppedFields []droppedFieldSet `json:"droppedFields,omitempty"`
	}{name, out, len(out), dropped(name, union)})
	return nil
}

// bulkRecord is one {id?, data?} of an updateMany or batch request.
type bulkRecord struct {
	id   string
	data objectos.Record
}

// bulkRecords reads the records and options of an updateMany or batch
// request; check, when set, vets each raw record first.
func (h *handler) bulkRecords(name, what string, body map[string]any, idRequired bool, check func(i int, rec map[string]any) error) ([]bulkRecord, batchOptions, error) {
	var opts batchOptions
	list, ok := body["records"].([]any)
	if !ok {
		return nil, opts, bulkErr(name, "Invalid %s request: records must be an array of {id, data}.", what).With("field", "records")
	}
	if err := h.maxBatch(len(list), name); err != nil {
		return nil, opts, err
	}
	opts, err := parseBatchOptions(name, body["options"])
	if err != nil {
		return nil, opts, err
	}
	out := make([]bulkRecord, len(list))
	for i, x := range list {
		rec, err := recordOf(name, "records", i, x)
		if err != nil {
			return nil, opts, err
		}
		if check != nil {
			if err := check(i, rec); err != nil {
				return nil, opts, err
			}
		}
		if err := onlyKeys(name, fmt.Sprintf("records[%d]", i), rec, "id", "data"); err != nil {
			return nil, opts, err
		}
		if out[i].id, err = idOf(name, "records", i, rec["id"], idRequired); err != nil {
			return nil, opts, err
		}
		if out[i].data, err = dataOf(name, i, rec["data"]); err != nil {
			return nil, opts, err
		}
	}
	return out, opts, nil
}

// updateMany applies {records: [{id, data}], options}.
func (h *handler) updateMany(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("object")
	if _, err := h.bulkExposed(name, objectos.MethodUpdate); err != nil {
		return err
	}
	body, err := h.readObject(w, r)
	if err != nil {
		return err
	}
	if err := onlyKeys(name, "an updateMany request", body, "records", "options"); err != nil {
		return err
	}
	recs, opts, err := h.bulkRecords(name, "updateMany", body, true, nil)
	if err != nil {
		return err
	}
	ops := make([]rowOp, len(recs))
	for i, rec := range recs {
		ops[i] = rowOp{id: rec.id, run: func(ctx context.Context) (*objectos.Result, error) {
			return h.st.Update(ctx, name, rec.id, rec.data, objectos.WriteOptions{})
		}}
	}
	res, err := h.runBatch(ctx, r, "update", ops, opts)
	if err != nil {
		return err
	}
	objectos.WriteJSON(w, http.StatusOK, res)
	return nil
}

func dataOf(object string, i int, v any) (objectos.Record, error) {
	if v == nil {
		return objectos.Record{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, bulkErr(object, "records[%d].data must be an object.", i).With("index", i)
	}
	return objectos.Record(m), nil
}

// deleteMany deletes {ids: [...], options}, honouring deleteBehavior per
// record as a single delete does.
func (h *handler) deleteMany(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("object")
	if _, err := h.bulkExposed(name, objectos.MethodDelete); err != nil {
		return err
	}
	body, err := h.readObject(w, r)
	if err != nil {
		return err
	}
	if err := onlyKeys(name, "a deleteMany request", body, "ids", "options"); err != nil {
		return err
	}
	list, ok := body["ids"].([]any)
	if !ok {
		return bulkErr(name, "deleteMany on '%s' requires 'ids' to be an array of record ids.", name).With("field", "ids")
	}
	if err := h.maxBatch(len(list), name); err != nil {
		return err
	}
	opts, err := parseBatchOptions(name, body["options"])
	if err != nil {
		return err
	}
	ops := make([]rowOp, len(list))
	for i, x := range list {
		id, ok := x.(string)
		if !ok || id == "" {
			return bulkErr(name, "ids[%d] must be a non-empty string.", i).With("index", i)
		}
		ops[i] = rowOp{id: id, run: deleteOp(h.st, name, id)}
	}
	opts.returnRecords = false
	res, err := h.runBatch(ctx, r, "delete", ops, opts)
	if err != nil {
		return err
	}
	objectos.WriteJSON(w, http.StatusOK, res)
	return nil
}

func deleteOp(st *objectos.Stack, name, id string) func(ctx context.Context) (*objectos.Result, error) {
	return func(ctx context.Context) (*objectos.Result, error) {
		if err := st.Delete(ctx, name, id, objectos.WriteOptions{}); err != nil {
			return nil, err
		}
		return &objectos.Result{ID: id}, nil
	}
}

// batch runs {operation, records: [{id?, data?}], options} on one object.
// upsert updates the record with the given id when the caller can see it and
// creates it (with that id) otherwise; externalId matching is not supported.
func (h *handler) batch(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("object")
	body, err := h.readObject(w, r)
	if err != nil {
		return err
	}
	if err := onlyKeys(name, "a batch request", body, "operation", "records", "options"); err != nil {
		return err
	}
	operation, _ := body["operation"].(string)
	var methods []objectos.APIMethod
	switch operation {
	case "create":
		methods = []objectos.APIMethod{objectos.MethodCreate}
	case "update":
		methods = []objectos.APIMethod{objectos.MethodUpdate}
	case "upsert":
		methods = []objectos.APIMethod{objectos.MethodCreate, objectos.MethodUpdate}
	case "delete":
		methods = []objectos.APIMethod{objectos.MethodDelete}
	default:
		if _, err := h.bulkExposed(name); err != nil {
			return err
		}
		return bulkErr(name, "Invalid batch request: operation must be create, update, upsert or delete.").With("field", "operation")
	}
	if _, err := h.bulkExposed(name, methods...); err != nil {
		return err
	}
	recs, opts, err := h.bulkRecords(name, "batch", body, operation == "update" || operation == "delete", func(i int, rec map[string]any) error {
		if _, ok := rec["externalId"]; ok {
			return bulkErr(name, "records[%d].externalId: matching by external id is not supported yet; send the record id.", i).With("index", i)
		}
		return nil
	})
	if err != nil {
		return err
	}
	ops := make([]rowOp, len(recs))
	for i, rec := range recs {
		ops[i] = rowOp{id: rec.id, run: h.batchOp(name, operation, rec.id, rec.data)}
	}
	if operation == "delete" {
		opts.returnRecords = false
	}
	res, err := h.runBatch(ctx, r, operation, ops, opts)
	if err != nil {
		return err
	}
	objectos.WriteJSON(w, http.StatusOK, res)
	return nil
}

func (h *handler) batchOp(name, operation, id string, data objectos.Record) func(ctx context.Context) (*objectos.Result, error) {
	create := func(ctx context.Context) (*objectos.Result, error) {
		rec := make(objectos.Record, len(data)+1)
		for k, v := range data {
			rec[k] = v
		}
		if id != "" {
			rec[objectos.FieldID] = id
		}
		return h.st.Create(ctx, name, rec)
	}
	switch operation {
	case "create":
		return create
	case "update":
		return func(ctx context.Context) (*objectos.Result, error) {
			return h.st.Update(ctx, name, id, data, objectos.WriteOptions{})
		}
	case "upsert":
		return func(ctx context.Context) (*objectos.Result, error) {
			if id != "" {
				// Update finds the record under the caller's access; one it
				// cannot see (or that does not exist) is created instead.
				res, err := h.st.Update(ctx, name, id, data, objectos.WriteOptions{})
				if !objectos.IsCode(err, objectos.CodeRecordNotFound) {
					return res, err
				}
			}
			return create(ctx)
		}
	}
	return deleteOp(h.st, name, id)
}

// crossObjectBatch runs {operations: [{object, action, id?, data?}]} in one
// transaction: all or nothing. A data value {"$ref": n} is the id created by
// operation n. 200 {results: [...]}, one entry per operation (the record, or
// {id, success} for a delete); on failure nothing is written and the error
// names the operation's index.
func (h *handler) crossObjectBatch(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	body, err := h.readObject(w, r)
	if err != nil {
		return err
	}
	if err := onlyKeys("", "a batch request", body, "operations", "atomic"); err != nil {
		return err
	}
	if a, ok := body["atomic"]; ok && a != true {
		return objectos.NewError(objectos.CodeValidationFailed,
			"The cross-object batch is always atomic; use POST /data/{object}/batch for non-atomic batches.").With("field", "atomic")
	}
	list, ok := body["operations"].([]any)
	if !ok {
		return bulkErr("", "Invalid batch request: operations must be an array of {object, action, id?, data?}.").With("field", "operations")
	}
	if err := h.maxBatch(len(list), ""); err != nil {
		return err
	}
	type crossOp struct {
		object, action, id string
		data               map[string]any
	}
	ops := make([]crossOp, len(list))
	for i, x := range list {
		m, err := recordOf("", "operations", i, x)
		if err != nil {
			return err
		}
		if err := onlyKeys("", fmt.Sprintf("operations[%d]", i), m, "object", "action", "id", "data"); err != nil {
			return err
		}
		op := crossOp{action: "create"}
		op.object, _ = m["object"].(string)
		if a, ok := m["action"]; ok {
			op.action, _ = a.(string)
		}
		var method objectos.APIMethod
		switch op.action {
		case "create":
			method = objectos.MethodCreate
		case "update":
			method = objectos.MethodUpdate
		case "delete":
			method = objectos.MethodDelete
		default:
			return bulkErr("", "operations[%d].action must be create, update or delete.", i).With("index", i)
		}
		if _, err := h.bulkExposed(op.object, method); err != nil {
			return objectos.AsError(err).With("index", i)
		}
		if op.data, err = dataOf(op.object, i, m["data"]); err != nil {
			return err
		}
		if v, ok := m["id"]; ok {
			if op.id, err = idOf(op.object, "operations", i, v, true); err != nil {
				return err
			}
		} else if s, ok := op.data[objectos.FieldID].(string); ok && op.action != "create" {
			op.id = s
		}
		if op.action != "create" && op.id == "" {
			return bulkErr(op.object, "Operation %d ('%s' on '%s') requires an id.", i, op.action, op.object).With("index", i)
		}
		ops[i] = op
	}
	// the route is in the common write bucket; objects with a write budget
	// of their own pay theirs too
	touched := make([]string, len(ops))
	for i, op := range ops {
		touched[i] = op.object
	}
	if err := h.st.ChargeObjects(w, r, objectos.AccessUpdate, touched...); err != nil {
		return err
	}
	results := make([]any, 0, len(ops))
	err = h.st.Transact(ctx, func(ctx context.Context) error {
		created := make([]string, len(ops))
		for i, op := range ops {
			data, err := resolveRefs(op.data, created, i)
			if err != nil {
				return err
			}
			var res *objectos.Result
			switch op.action {
			case "create":
				res, err = h.st.Create(ctx, op.object, data)
				if err == nil {
					created[i] = res.ID
				}
			case "update":
				delete(data, objectos.FieldID)
				res, err = h.st.Update(ctx, op.object, op.id, data, objectos.WriteOptions{})
			case "delete":
				err = h.st.Delete(ctx, op.object, op.id, objectos.WriteOptions{})
			}
			if err != nil {
				return objectos.AsError(err).With("index", i)
			}
			if res == nil {
				results = append(results, map[string]any{"object": op.object, "id": op.id, "success": true})
			} else {
				results = append(results, res.Record)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	objectos.WriteJSON(w, http.StatusOK, map[string]any{"results": results})
	return nil
}

// resolveRefs replaces {"$ref": n} values by the id created by operation n,
// which must be an earlier create.
func resolveRefs(data map[string]any, created []string, at int) (objectos.Record, error) {
	out := make(objectos.Record, len(data))
	for k, v := range data {
		ref, ok := v.(map[string]any)
		if !ok {
			out[k] = v
			continue
		}
		raw, has := ref["$ref"]
		if !has {
			out[k] = v
			continue
		}
		n, isNum := wholeNumber(raw)
		if !isNum || len(ref) != 1 || n >= at || created[n] == "" {
			return nil, objectos.Errorf(objectos.CodeValidationFailed,
				"Unresolved $ref on field '%s' of operation %d: it must name an earlier create in the same batch.", k, at).
				With("index", at).With("field", k)
		}
		out[k] = created[n]
	}
	return out, nil
}
