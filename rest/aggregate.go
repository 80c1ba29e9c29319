package rest

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/objectos-go/objectos"
)

// Aggregations through the query document (upstream's QueryAST):
//
//	POST {base}/data/{object}/query
//	{"aggregations": [{"function": "sum", "field": "amount", "alias": "total"}],
//	 "groupBy": ["stage", {"field": "close_date", "dateGranularity": "month", "alias": "month"}],
//	 "where": {...}, "having": {"total": {"$gt": 1000}}, "orderBy": [{"field": "total", "order": "desc"}],
//	 "limit": 10}
//
// answers the list envelope whose records are the groups: {object, records:
// [{stage, month, total}], hasMore}. It needs "aggregate" in the object's
// apiMethods.

// aggregateKeys are the query-document keys an aggregate query takes.
var aggregateKeys = map[string]bool{
	"object": true, "aggregations": true, "groupBy": true, "having": true,
	"where": true, "filter": true, "filters": true, "orderBy": true, "sort": true,
	"limit": true, "top": true, "offset": true, "skip": true,
}

// isAggregate reports whether a query document asks for aggregates.
func isAggregate(doc map[string]any) bool {
	for _, k := range []string{"aggregations", "groupBy", "having"} {
		if _, ok := doc[k]; ok {
			return true
		}
	}
	return false
}

func (h *handler) aggregate(ctx context.Context, w http.ResponseWriter, o *objectos.Object, doc map[string]any) error {
	if !o.AllowsMethod(objectos.MethodAggregate) {
		allowed := o.AllowedMethods()
		if allowed == nil {
			allowed = []objectos.APIMethod{}
		}
		return objectos.Errorf(objectos.CodeObjectAPIMethodNotAllowed, "API operation 'aggregate' is not allowed on object '%s'.", o.Name).
			With("object", o.Name).With("allowed", allowed).With("allow", routeAllow(o, queryMethods))
	}
	q, err := parseAggregateDoc(o, doc)
	if err != nil {
		return err
	}
	res, err := h.st.Aggregate(ctx, o.Name, q)
	if err != nil {
		return err
	}
	objectos.WriteJSON(w, http.StatusOK, listBody{Object: o.Name, Records: res.Rows, HasMore: res.HasMore})
	return nil
}

// parseAggregateDoc reads an aggregate query document.
func parseAggregateDoc(o *objectos.Object, doc map[string]any) (objectos.AggregateQuery, error) {
	var q objectos.AggregateQuery
	got := map[slot]string{}
	for _, k := range slices.Sorted(maps.Keys(doc)) {
		if !aggregateKeys[k] {
			return q, queryErr(k, "'%s' cannot be combined with aggregations; an aggregate query takes aggregations, groupBy, where, having, orderBy, limit and offset.", clip(k, 64))
		}
		if s, ok := docSpellings[k]; ok {
			if prev, dup := got[s]; dup {
				return q, queryErr(k, "Conflicting keys '%s' and '%s' are spellings of the same parameter; send one.", prev, k)
			}
			got[s] = k
		}
	}
	if v, ok := doc["object"]; ok {
		if s, _ := v.(string); s != o.Name {
			return q, queryErr("object", "The body names object %v but the path names '%s'.", v, o.Name)
		}
	}
	list, ok := doc["aggregations"].([]any)
	if !ok || len(list) == 0 {
		return q, queryErr("aggregations", "aggregations must be a non-empty array of {function, field?, alias?, filter?}.")
	}
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return q, queryErr("aggregations", "aggregations[%d] must be an object {function, field?, alias?, filter?}.", i)
		}
		var a objectos.Aggregation
		for _, k := range slices.Sorted(maps.Keys(m)) {
			v := m[k]
			switch k {
			case "function":
				s, ok := v.(string)
				if !ok {
					return q, queryErr("aggregations", "aggregations[%d].function must be a string.", i)
				}
				a.Function = objectos.AggFunc(s)
			case "field", "alias":
				s, ok := v.(string)
				if !ok && v != nil {
					return q, queryErr("aggregations", "aggregations[%d].%s must be a string.", i, k)
				}
				if k == "field" {
					a.Field = s
				} else {
					a.Alias = s
				}
			case "filter":
				f, err := objectos.ParseFilterValue(plainJSON(v))
				if err != nil {
					return q, withParam(err, fmt.Sprintf("aggregations[%d].filter", i))
				}
				a.Filter = f
			default:
				return q, queryErr("aggregations", "aggregations[%d].%s is unknown; an aggregation takes function, field, alias and filter.", i, clip(k, 64))
			}
		}
		q.Aggregations = append(q.Aggregations, a)
	}
	if v, ok := doc["groupBy"]; ok && v != nil {
		keys, ok := v.([]any)
		if !ok {
			return q, queryErr("groupBy", "groupBy must be an array of field names or {field, dateGranularity?, alias?}.")
		}
		for i, x := range keys {
			switch k := x.(type) {
			case string:
				q.GroupBy = append(q.GroupBy, objectos.GroupKey{Field: k})
			case map[string]any:
				var g objectos.GroupKey
				for _, key := range slices.Sorted(maps.Keys(k)) {
					s, ok := k[key].(string)
					if !ok {
						return q, queryErr("groupBy", "groupBy[%d].%s must be a string.", i, clip(key, 64))
					}
					switch key {
					case "field":
						g.Field = s
					case "dateGranularity":
						g.Granularity = objectos.DateGranularity(s)
					case "alias":
						g.Alias = s
					default:
						return q, queryErr("groupBy", "groupBy[%d].%s is unknown; a group key takes field, dateGranularity and alias.", i, clip(key, 64))
					}
				}
				q.GroupBy = append(q.GroupBy, g)
			default:
				return q, queryErr("groupBy", "groupBy[%d] must be a field name or {field, dateGranularity?, alias?}.", i)
			}
		}
	}
	var err error
	if k, ok := got[slotFilter]; ok && doc[k] != nil {
		if q.Filter, err = objectos.ParseFilterValue(plainJSON(doc[k])); err != nil {
			return q, withParam(err, k)
		}
	}
	if v, ok := doc["having"]; ok && v != nil {
		if q.Having, err = objectos.ParseFilterValue(plainJSON(v)); err != nil {
			return q, withParam(err, "having")
		}
	}
	if k, ok := got[slotSort]; ok && doc[k] != nil {
		if q.Sort, err = objectos.ParseSortValue(doc[k]); err != nil {
			return q, withParam(err, k)
		}
	}
	for s, dst := range map[slot]*int{slotLimit: &q.Limit, slotOffset: &q.Offset} {
		if k, ok := got[s]; ok && doc[k] != nil {
			n, ok := wholeNumber(doc[k])
			if !ok {
				return q, queryErr(k, "%s must be a whole number of zero or more.", k)
			}
			*dst = n
		}
	}
	return q, nil
}
