package mcp

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/objectos-go/objectos"
)

// aggregate_records: Stack.Aggregate as a tool, in upstream's argument
// shape — {objectName, aggregations: [{function, field?, alias}],
// groupBy?: [field | {field, dateGranularity?, alias?}], where?, timezone?}
// — with having, orderBy, limit and offset besides, as the data API's
// aggregate query has them.

type aggregateArgs struct {
	ObjectName   string           `json:"objectName" jsonschema:"the object's API name"`
	Aggregations []aggregationArg `json:"aggregations" jsonschema:"the values to compute per group"`
	GroupBy      []groupKeyArg    `json:"groupBy,omitempty" jsonschema:"the group keys; none computes one row over every matching record"`
	Where        any              `json:"where,omitempty" jsonschema:"an ObjectQL filter on the records, as in query_records"`
	Having       any              `json:"having,omitempty" jsonschema:"an ObjectQL filter on the groups; its fields are the aliases, such as {\"total\": {\"$gte\": 1000}}"`
	OrderBy      []orderKey       `json:"orderBy,omitempty" jsonschema:"sort keys by alias or group key; default the group keys ascending"`
	Limit        *int             `json:"limit,omitempty"`
	Offset       int              `json:"offset,omitempty" jsonschema:"how many groups to skip, for the next page"`
	Timezone     string           `json:"timezone,omitempty"`
}

type aggregationArg struct {
	Function string `json:"function"`
	Field    string `json:"field,omitempty" jsonschema:"the field to aggregate; count without a field counts records"`
	Alias    string `json:"alias,omitempty" jsonschema:"the name of the value in the result rows; default the function and the field, such as sum_amount (or count)"`
	Where    any    `json:"where,omitempty" jsonschema:"an ObjectQL filter: aggregate only the records matching it"`
}

// groupKeyArg is a group key: a field's name, or {field, dateGranularity,
// alias}.
type groupKeyArg struct {
	Field           string `json:"field"`
	DateGranularity string `json:"dateGranularity,omitempty"`
	Alias           string `json:"alias,omitempty"`
}

func (g *groupKeyArg) UnmarshalJSON(b []byte) error {
	var name string
	if json.Unmarshal(b, &name) == nil {
		*g = groupKeyArg{Field: name}
		return nil
	}
	type plain groupKeyArg
	return json.Unmarshal(b, (*plain)(g))
}

// aggregateResult is aggregate_records' result.
type aggregateResult struct {
	Rows       []objectos.Record `json:"rows" jsonschema:"one row per group: the group keys and the aggregates by alias"`
	Count      int               `json:"count" jsonschema:"how many rows this page holds"`
	Truncated  bool              `json:"truncated" jsonschema:"more groups follow; ask again with nextOffset"`
	NextOffset *int              `json:"nextOffset,omitempty" jsonschema:"the offset of the next page, when there is one"`
}

var (
	aggFunctions  = []any{"count", "sum", "avg", "min", "max", "count_distinct"}
	granularities = []any{"day", "week", "month", "quarter", "year"}
)

func (s *server) aggregateRecords() tool[aggregateArgs, aggregateResult] {
	return tool[aggregateArgs, aggregateResult]{
		name: "aggregate_records", title: "Aggregate records",
		description: "Groups the records of an object that the caller may see and computes count, sum, avg, min, max or " +
			"count_distinct per group, in the database: for totals, breakdowns and trends (such as the pipeline by stage, " +
			"or revenue by month with a dateGranularity group key) without reading the records. Fields the caller may not " +
			"read cannot be used.",
		hints: hints{readOnly: true, idempotent: true},
		input: func(in *jsonschema.Schema) {
			aggs := in.Properties["aggregations"]
			aggs.MinItems = objectos.Ptr(1)
			aggs.Items.Properties["function"].Enum = aggFunctions
			aggs.Items.Properties["where"].Types = []string{"object", "array"}
			key := in.Properties["groupBy"].Items
			key.Properties["dateGranularity"].Enum = granularities
			key.Properties["dateGranularity"].Description = "buckets a date or datetime field; the key is the first day of the bucket"
			in.Properties["groupBy"].Items = &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
				{Type: "string", Description: "a field's name"}, key,
			}}
			in.Properties["where"].Types = []string{"object", "array"}
			in.Properties["having"].Types = []string{"object", "array"}
			in.Properties["orderBy"].Items.Properties["order"].Enum = []any{"asc", "desc"}
			in.Properties["limit"] = &jsonschema.Schema{Type: "integer", Minimum: objectos.Ptr(1.0),
				Default:     []byte("50"),
				Description: "how many groups to return: default 50, at most " + strconv.Itoa(s.st.MaxPageSize()) + " (larger values are capped)"}
			in.Properties["offset"].Minimum = objectos.Ptr(0.0)
			in.Properties["timezone"].Enum = []any{"UTC"}
			in.Properties["timezone"].Description = "the time zone of date buckets: UTC, the only one supported"
		},
		run: func(ctx context.Context, in *aggregateArgs) (*aggregateResult, error) {
			o, err := s.begin(ctx, in.ObjectName, objectos.MethodAggregate, objectos.AccessRead)
			if err != nil {
				return nil, err
			}
			q := objectos.AggregateQuery{Offset: in.Offset, Limit: objectos.DefaultPageSize}
			if in.Limit != nil {
				q.Limit = min(*in.Limit, s.st.MaxPageSize())
			}
			for _, a := range in.Aggregations {
				agg := objectos.Aggregation{Function: objectos.AggFunc(a.Function), Field: a.Field, Alias: a.Alias}
				if agg.Filter, err = filter(a.Where); err != nil {
					return nil, err
				}
				q.Aggregations = append(q.Aggregations, agg)
			}
			for _, g := range in.GroupBy {
				q.GroupBy = append(q.GroupBy, objectos.GroupKey{Field: g.Field, Granularity: objectos.DateGranularity(g.DateGranularity), Alias: g.Alias})
			}
			if q.Filter, err = filter(in.Where); err != nil {
				return nil, err
			}
			if q.Having, err = filter(in.Having); err != nil {
				return nil, err
			}
			for _, k := range in.OrderBy {
				q.Sort = append(q.Sort, objectos.SortKey{Field: k.Field, Desc: k.Order == "desc"})
			}
			res, err := s.st.Aggregate(ctx, o.Name, q)
			if err != nil {
				return nil, err
			}
			out := &aggregateResult{Rows: res.Rows, Count: len(res.Rows), Truncated: res.HasMore}
			if out.Rows == nil {
				out.Rows = []objectos.Record{}
			}
			if res.HasMore {
				out.NextOffset = objectos.Ptr(in.Offset + len(res.Rows))
			}
			return out, nil
		},
	}
}

// filter parses an optional ObjectQL filter argument.
func filter(v any) (*objectos.Filter, error) {
	if v == nil {
		return nil, nil
	}
	return objectos.ParseFilterValue(v)
}
