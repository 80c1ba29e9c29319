package mcp

import (
	"context"
	"strconv"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/objectos-go/objectos"
)

// The record tools: query_records, get_record, create_record, update_record
// and delete_record, each the data API's operation of the same name through
// the Stack's engine, as the caller.

type queryArgs struct {
	ObjectName string     `json:"objectName" jsonschema:"the object's API name, as list_objects gives it"`
	Where      any        `json:"where,omitempty" jsonschema:"an ObjectQL filter: {\"industry\": \"finance\", \"amount\": {\"$gte\": 1000}}, with $and, $or, $not; or the array form [\"and\", [\"industry\", \"=\", \"finance\"], [\"amount\", \">=\", 1000]]"`
	Fields     []string   `json:"fields,omitempty" jsonschema:"the fields to return (id always comes); default every field the caller may read"`
	Limit      *int       `json:"limit,omitempty"`
	Offset     int        `json:"offset,omitempty" jsonschema:"how many matching records to skip, for the next page"`
	OrderBy    []orderKey `json:"orderBy,omitempty" jsonschema:"sort keys, the first deciding; id breaks ties"`
}

type orderKey struct {
	Field string `json:"field"`
	Order string `json:"order,omitempty" jsonschema:"asc (the default) or desc"`
}

// recordPage is query_records' result.
type recordPage struct {
	Records    []objectos.Record `json:"records"`
	Total      int64             `json:"total" jsonschema:"how many records match, on every page"`
	Count      int               `json:"count" jsonschema:"how many records this page holds"`
	HasMore    bool              `json:"hasMore"`
	NextOffset *int              `json:"nextOffset,omitempty" jsonschema:"the offset of the next page, when there is one"`
}

type recordArgs struct {
	ObjectName string `json:"objectName" jsonschema:"the object's API name"`
	RecordID   string `json:"recordId" jsonschema:"the record's id"`
}

type createArgs struct {
	ObjectName string         `json:"objectName" jsonschema:"the object's API name"`
	Data       map[string]any `json:"data" jsonschema:"the record's field values by field name (see describe_object); lookups take the referenced record's id"`
}

type updateArgs struct {
	ObjectName string         `json:"objectName" jsonschema:"the object's API name"`
	RecordID   string         `json:"recordId" jsonschema:"the record's id"`
	Data       map[string]any `json:"data" jsonschema:"the fields to change and their new values; other fields keep theirs"`
}

// recordResult is the result of get_record, create_record and
// update_record.
type recordResult struct {
	ID            string          `json:"id"`
	Record        objectos.Record `json:"record" jsonschema:"the record's fields the caller may read"`
	DroppedFields []string        `json:"droppedFields,omitempty" jsonschema:"readonly or system fields left out of the write"`
}

type deleted struct {
	ObjectName string `json:"objectName"`
	RecordID   string `json:"recordId"`
	Deleted    bool   `json:"deleted"`
}

func (s *server) queryRecords() tool[queryArgs, recordPage] {
	return tool[queryArgs, recordPage]{
		name: "query_records", title: "Query records",
		description: "Finds the records of an object that the caller may see: an ObjectQL filter (where), the fields to return, " +
			"sort keys (orderBy) and a page (limit, offset). The result counts every match (total) and says whether more follow.",
		hints: hints{readOnly: true, idempotent: true},
		input: func(in *jsonschema.Schema) {
			in.Properties["where"].Types = []string{"object", "array"}
			in.Properties["limit"] = &jsonschema.Schema{Type: "integer", Minimum: objectos.Ptr(1.0),
				Default:     []byte("50"),
				Description: "the page size: default 50, at most " + strconv.Itoa(s.st.MaxPageSize()) + " (larger values are capped)"}
			in.Properties["offset"].Minimum = objectos.Ptr(0.0)
			in.Properties["orderBy"].Items.Properties["order"].Enum = []any{"asc", "desc"}
		},
		run: func(ctx context.Context, in *queryArgs) (*recordPage, error) {
			o, err := s.begin(ctx, in.ObjectName, objectos.MethodList, objectos.AccessRead)
			if err != nil {
				return nil, err
			}
			q := objectos.Query{Fields: in.Fields, Offset: in.Offset, Limit: objectos.DefaultPageSize}
			if in.Limit != nil {
				q.Limit = min(*in.Limit, s.st.MaxPageSize())
			}
			if q.Filter, err = filter(in.Where); err != nil {
				return nil, err
			}
			for _, k := range in.OrderBy {
				q.Sort = append(q.Sort, objectos.SortKey{Field: k.Field, Desc: k.Order == "desc"})
			}
			res, err := s.st.List(ctx, o.Name, q)
			if err != nil {
				return nil, err
			}
			page := &recordPage{Records: res.Records, Total: res.Total, Count: len(res.Records), HasMore: res.HasMore}
			if page.Records == nil {
				page.Records = []objectos.Record{}
			}
			if res.HasMore {
				page.NextOffset = objectos.Ptr(in.Offset + len(res.Records))
			}
			return page, nil
		},
	}
}

func (s *server) getRecord() tool[recordArgs, recordResult] {
	return tool[recordArgs, recordResult]{
		name: "get_record", title: "Get a record",
		description: "Reads one record by id. A record the caller may not see is RECORD_NOT_FOUND, exactly like a missing one.",
		hints:       hints{readOnly: true, idempotent: true},
		run: func(ctx context.Context, in *recordArgs) (*recordResult, error) {
			o, err := s.begin(ctx, in.ObjectName, objectos.MethodGet, objectos.AccessRead)
			if err != nil {
				return nil, err
			}
			res, err := s.st.Get(ctx, o.Name, in.RecordID, objectos.GetOptions{})
			if err != nil {
				return nil, err
			}
			return &recordResult{ID: res.ID, Record: res.Record}, nil
		},
	}
}

func (s *server) createRecord() tool[createArgs, recordResult] {
	return tool[createArgs, recordResult]{
		name: "create_record", title: "Create a record",
		description: "Creates a record from field values. Required fields must be given; unknown fields are INVALID_FIELD; " +
			"every failing field is listed in one VALIDATION_FAILED error. Returns the stored record with its id.",
		hints: hints{},
		run: func(ctx context.Context, in *createArgs) (*recordResult, error) {
			o, err := s.begin(ctx, in.ObjectName, objectos.MethodCreate, objectos.AccessCreate)
			if err != nil {
				return nil, err
			}
			res, err := s.st.Create(ctx, o.Name, in.Data)
			if err != nil {
				return nil, err
			}
			return &recordResult{ID: res.ID, Record: res.Record, DroppedFields: res.Dropped}, nil
		},
	}
}

func (s *server) updateRecord() tool[updateArgs, recordResult] {
	return tool[updateArgs, recordResult]{
		name: "update_record", title: "Update a record",
		description: "Changes some fields of a record (a partial update): the fields in data get the values given, " +
			"the others keep theirs. Returns the stored record.",
		// It overwrites values (destructive), and the same update twice
		// leaves the record as once (idempotent).
		hints: hints{destructive: true, idempotent: true},
		run: func(ctx context.Context, in *updateArgs) (*recordResult, error) {
			o, err := s.begin(ctx, in.ObjectName, objectos.MethodUpdate, objectos.AccessUpdate)
			if err != nil {
				return nil, err
			}
			res, err := s.st.Update(ctx, o.Name, in.RecordID, in.Data, objectos.WriteOptions{})
			if err != nil {
				return nil, err
			}
			return &recordResult{ID: res.ID, Record: res.Record, DroppedFields: res.Dropped}, nil
		},
	}
}

func (s *server) deleteRecord() tool[recordArgs, deleted] {
	return tool[recordArgs, deleted]{
		name: "delete_record", title: "Delete a record",
		description: "Deletes a record for good. Records that reference it are updated, deleted with it or keep it " +
			"from being deleted (DELETE_RESTRICTED), as their lookup fields declare.",
		hints: hints{destructive: true, idempotent: true},
		run: func(ctx context.Context, in *recordArgs) (*deleted, error) {
			o, err := s.begin(ctx, in.ObjectName, objectos.MethodDelete, objectos.AccessDelete)
			if err != nil {
				return nil, err
			}
			if err := s.st.Delete(ctx, o.Name, in.RecordID, objectos.WriteOptions{}); err != nil {
				return nil, err
			}
			return &deleted{ObjectName: o.Name, RecordID: in.RecordID, Deleted: true}, nil
		},
	}
}
