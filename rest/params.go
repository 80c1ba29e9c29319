package rest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/suggest"
)

// A slot is one list parameter with its accepted spellings (SPEC §4.1).
type slot string

const (
	slotLimit        slot = "limit"
	slotOffset       slot = "offset"
	slotCursor       slot = "cursor"
	slotFilter       slot = "filter"
	slotSort         slot = "sort"
	slotFields       slot = "fields"
	slotExpand       slot = "expand"
	slotSearch       slot = "search"
	slotSearchFields slot = "searchFields"
	slotCount        slot = "count"
)

// slotSpellings lists each slot's spellings in the order hints show them.
var slotSpellings = map[slot][]string{
	slotLimit:        {"limit", "top", "$top"},
	slotOffset:       {"offset", "skip", "$skip"},
	slotCursor:       {"cursor"},
	slotFilter:       {"filter", "filters", "$filter", "where"},
	slotSort:         {"sort", "$orderby", "orderBy"},
	slotFields:       {"fields", "select", "$select"},
	slotExpand:       {"expand", "populate", "$expand"},
	slotSearch:       {"search", "$search"},
	slotSearchFields: {"searchFields", "$searchFields"},
	slotCount:        {"count", "$count"},
}

// spellings maps every accepted parameter name to its slot.
var spellings = func() map[string]slot {
	out := map[string]slot{}
	for s, names := range slotSpellings {
		for _, n := range names {
			out[n] = s
		}
	}
	return out
}()

// hints for common parameter names of other APIs.
var hints = map[string]slot{
	"pagesize": slotLimit, "page_size": slotLimit, "perpage": slotLimit, "per_page": slotLimit,
	"size": slotLimit, "max": slotLimit, "page": slotOffset, "start": slotOffset,
	"q": slotSearch, "query": slotSearch, "sortby": slotSort, "sort_by": slotSort,
	"order": slotSort, "order_by": slotSort, "orderby": slotSort, "include": slotExpand,
	"embed": slotExpand, "columns": slotFields,
}

// aggregate names upstream clients may send in a list's query string:
// aggregates take a query document.
var notYet = map[string]string{
	"aggregations": "aggregations", "groupBy": "groupBy", "$apply": "aggregations", "having": "having",
}

// queryErr is an INVALID_QUERY error about a parameter; string arguments
// (the caller's names) are shortened to objectos.MaxQuoted bytes.
func queryErr(param, format string, args ...any) *objectos.Error {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = clip(s, objectos.MaxQuoted)
		}
	}
	return objectos.Errorf(objectos.CodeInvalidQuery, format, args...).With("param", param)
}

func slotHint(s slot) string {
	alts := []string{}
	for _, sp := range slotSpellings[s] {
		if sp != string(s) {
			alts = append(alts, sp)
		}
	}
	return fmt.Sprintf("'%s' (%s)", s, strings.Join(alts, ", "))
}

// listRequest is a parsed list request.
type listRequest struct {
	q         objectos.Query
	countOnly bool // limit=0: count, return no records
}

// parseListParams reads the query string of GET /data/{object}.
func parseListParams(o *objectos.Object, rawQuery string) (*listRequest, error) {
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, objectos.NewError(objectos.CodeInvalidQuery, "The query string is malformed.").WithCause(err)
	}
	got := map[slot]string{}
	gotAs := map[slot]string{}
	var implicit []*objectos.Filter
	names := slices.Sorted(maps.Keys(values))
	for _, name := range names {
		vals := values[name]
		if len(vals) > 1 {
			return nil, queryErr(name, "Repeated query parameter '%s'; send it once.", name)
		}
		v := vals[0]
		s, ok := spellings[name]
		if !ok {
			f, err := implicitFilter(o, name, v)
			if err != nil {
				return nil, err
			}
			implicit = append(implicit, f)
			continue
		}
		if prev, dup := gotAs[s]; dup {
			return nil, queryErr(name, "Conflicting query parameters '%s' and '%s' are spellings of the same parameter %s; send one.",
				prev, name, slotHint(s))
		}
		got[s], gotAs[s] = v, name
	}
	req := &listRequest{}
	q := &req.q
	if v, ok := got[slotLimit]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return nil, queryErr(gotAs[slotLimit], "%s must be a whole number of zero or more.", gotAs[slotLimit])
		}
		q.Limit = n
		req.countOnly = n == 0
	}
	if v, ok := got[slotOffset]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return nil, queryErr(gotAs[slotOffset], "%s must be a whole number of zero or more.", gotAs[slotOffset])
		}
		q.Offset = n
	}
	q.Cursor = got[slotCursor]
	if v := strings.TrimSpace(got[slotFilter]); v != "" {
		f, err := objectos.ParseFilter([]byte(v))
		if err != nil {
			return nil, withParam(err, gotAs[slotFilter])
		}
		q.Filter = f
	}
	if len(implicit) > 0 {
		q.Filter = objectos.And(append([]*objectos.Filter{q.Filter}, implicit...)...)
	}
	if v := strings.TrimSpace(got[slotSort]); v != "" {
		var keys []objectos.SortKey
		var err error
		if strings.HasPrefix(v, "[") || strings.HasPrefix(v, "{") {
			var jv any
			if jerr := json.Unmarshal([]byte(v), &jv); jerr != nil {
				return nil, objectos.Errorf(objectos.CodeInvalidSort, "%s must be a sort string or valid JSON.", gotAs[slotSort]).
					With("param", gotAs[slotSort])
			}
			keys, err = objectos.ParseSortValue(jv)
		} else {
			keys, err = objectos.ParseSort(v)
		}
		if err != nil {
			return nil, withParam(err, gotAs[slotSort])
		}
		q.Sort = keys
	}
	if q.Fields, err = fieldList(got[slotFields], gotAs[slotFields]); err != nil {
		return nil, err
	}
	if q.Expand, err = fieldList(got[slotExpand], gotAs[slotExpand]); err != nil {
		return nil, err
	}
	q.Search = got[slotSearch]
	if q.SearchFields, err = fieldList(got[slotSearchFields], gotAs[slotSearchFields]); err != nil {
		return nil, err
	}
	if v, ok := got[slotCount]; ok {
		if strings.EqualFold(strings.TrimSpace(v), "estimate") {
			q.EstimateCount = true
		} else {
			b, err := parseBool(v)
			if err != nil {
				return nil, queryErr(gotAs[slotCount], "%s must be true, false or estimate.", gotAs[slotCount])
			}
			q.SkipCount = !b
		}
	}
	return req, nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean")
}

func withParam(err error, param string) error {
	e := objectos.AsError(err)
	if e.Details["param"] == nil {
		e.With("param", param)
	}
	return e
}

// fieldList splits a comma list of field names (dotted paths allowed for
// expand; the engine checks them).
func fieldList(v, param string) ([]string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	var out []string
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		out = append(out, part)
	}
	return out, nil
}

// jsObject is String(o) for a plain JavaScript object.
const jsObject = "[object Object]"

// implicitFilter turns ?name=value into an equality filter, converting the
// text to the field's type.
func implicitFilter(o *objectos.Object, name, v string) (*objectos.Filter, error) {
	if reason, ok := notYet[name]; ok {
		return nil, queryErr(name, "%s go in a query document: POST /data/%s/query with aggregations, groupBy and having.", reason, o.Name)
	}
	f := o.Field(name)
	if f == nil || f.Internal {
		msg := fmt.Sprintf("Unknown query parameter '%s': '%s' has no such field.", clip(name, objectos.MaxQuoted), o.Name)
		if s, ok := hints[strings.ToLower(name)]; ok {
			msg += fmt.Sprintf(" Did you mean %s?", slotHint(s))
		} else if s := suggestField(o, strings.ToLower(name)); s != "" {
			msg += fmt.Sprintf(" Did you mean '%s'?", s)
		}
		return nil, objectos.NewError(objectos.CodeInvalidField, msg).With("field", name).With("object", o.Name)
	}
	if v == jsObject {
		// What a JavaScript client sends when it puts an operator object
		// ({"$gte": 0}) in a query parameter: refuse it rather than compare
		// the field with that text and quietly match nothing.
		return nil, objectos.Errorf(objectos.CodeInvalidFilter,
			"%s=[object Object]: the client sent an object as a parameter value; put operators in the filter parameter as JSON, e.g. filter={\"%s\":{\"$gte\":1}}.", name, name).With("param", name)
	}
	var value any = v
	switch f.Kind() {
	case objectos.KindText, objectos.KindChoice, objectos.KindAutonumber, objectos.KindPassword, objectos.KindSecret:
	case objectos.KindNumber:
		if v == "null" {
			value = nil
			break
		}
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return nil, objectos.Errorf(objectos.CodeInvalidFilter, "%s expects a number, not %q.", name, v).With("param", name)
		}
		value = n
	case objectos.KindBool:
		if v == "null" {
			value = nil
			break
		}
		b, err := parseBool(v)
		if err != nil {
			return nil, objectos.Errorf(objectos.CodeInvalidFilter, "%s expects true or false, not %q.", name, v).With("param", name)
		}
		value = b
	default:
		if v == "null" {
			value = nil
		}
	}
	return objectos.Eq(name, value), nil
}

func suggestField(o *objectos.Object, name string) string {
	var names []string
	for _, f := range o.Fields {
		if !f.Internal {
			names = append(names, f.Name)
		}
	}
	return suggest.Closest(name, names)
}

// parseGetParams accepts only fields and expand on a single-record read.
func parseGetParams(rawQuery string) (objectos.GetOptions, error) {
	var opts objectos.GetOptions
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		return opts, objectos.NewError(objectos.CodeInvalidQuery, "The query string is malformed.").WithCause(err)
	}
	seen := map[slot]string{}
	for name, vals := range values {
		s := spellings[name]
		if s != slotFields && s != slotExpand {
			return opts, queryErr(name, "Query parameter '%s' is not allowed when reading one record; only fields (select, $select) and expand (populate, $expand) are.", name)
		}
		if len(vals) > 1 {
			return opts, queryErr(name, "Repeated query parameter '%s'; send it once.", name)
		}
		if prev, dup := seen[s]; dup {
			return opts, queryErr(name, "Conflicting query parameters '%s' and '%s'; send one.", prev, name)
		}
		seen[s] = name
		list, _ := fieldList(vals[0], name)
		if s == slotFields {
			opts.Fields = list
		} else {
			opts.Expand = list
		}
	}
	return opts, nil
}

// queryDoc keys, with their aliases (the POST /query body, reference §2.4).
var docSpellings = map[string]slot{
	"where": slotFilter, "filter": slotFilter, "filters": slotFilter,
	"fields": slotFields, "select": slotFields,
	"orderBy": slotSort, "sort": slotSort,
	"limit": slotLimit, "top": slotLimit,
	"offset": slotOffset, "skip": slotOffset,
	"expand": slotExpand, "populate": slotExpand,
	"search": slotSearch, "searchFields": slotSearchFields,
	"count": slotCount, "cursor": slotCursor,
}

// parseQueryDoc reads the body of POST /data/{object}/query.
func parseQueryDoc(o *objectos.Object, doc map[string]any) (*listRequest, error) {
	got := map[slot]any{}
	gotAs := map[slot]string{}
	keys := slices.Sorted(maps.Keys(doc))
	for _, k := range keys {
		v := doc[k]
		if k == "object" {
			if s, _ := v.(string); s != o.Name {
				return nil, queryErr(k, "The body names object %v but the path names '%s'.", v, o.Name)
			}
			continue
		}
		s, ok := docSpellings[k]
		if !ok {
			msg := fmt.Sprintf("Unknown query key '%s'.", clip(k, objectos.MaxQuoted))
			if n := suggest.Closest(k, slices.Collect(maps.Keys(docSpellings))); n != "" {
				msg += fmt.Sprintf(" Did you mean '%s'?", n)
			}
			return nil, objectos.NewError(objectos.CodeInvalidQuery, msg).With("param", k)
		}
		if v == nil {
			continue
		}
		if prev, dup := gotAs[s]; dup {
			return nil, queryErr(k, "Conflicting keys '%s' and '%s' are spellings of the same parameter; send one.", prev, k)
		}
		got[s], gotAs[s] = v, k
	}
	req := &listRequest{}
	q := &req.q
	var err error
	if v, ok := got[slotLimit]; ok {
		n, ok := wholeNumber(v)
		if !ok {
			return nil, queryErr(gotAs[slotLimit], "%s must be a whole number of zero or more.", gotAs[slotLimit])
		}
		q.Limit = n
		req.countOnly = n == 0
	}
	if v, ok := got[slotOffset]; ok {
		n, ok := wholeNumber(v)
		if !ok {
			return nil, queryErr(gotAs[slotOffset], "%s must be a whole number of zero or more.", gotAs[slotOffset])
		}
		q.Offset = n
	}
	if v, ok := got[slotCursor]; ok {
		s, ok := v.(string)
		if !ok {
			return nil, queryErr("cursor", "cursor must be a string.")
		}
		q.Cursor = s
	}
	if v, ok := got[slotFilter]; ok {
		if q.Filter, err = objectos.ParseFilterValue(plainJSON(v)); err != nil {
			return nil, withParam(err, gotAs[slotFilter])
		}
	}
	if v, ok := got[slotSort]; ok {
		if q.Sort, err = objectos.ParseSortValue(v); err != nil {
			return nil, withParam(err, gotAs[slotSort])
		}
	}
	if v, ok := got[slotFields]; ok {
		if q.Fields, err = stringList(v, gotAs[slotFields]); err != nil {
			return nil, err
		}
	}
	if v, ok := got[slotExpand]; ok {
		specs := map[string]objectos.ExpandSpec{}
		if q.Expand, err = expandList(v, "", gotAs[slotExpand], specs); err != nil {
			return nil, err
		}
		if len(specs) > 0 {
			q.ExpandSpecs = specs
		}
	}
	if v, ok := got[slotSearch]; ok {
		switch x := v.(type) {
		case string:
			q.Search = x
		case map[string]any:
			for k := range x {
				if k != "query" && k != "fields" {
					return nil, queryErr("search", "search takes {query, fields}; unknown key '%s'.", k)
				}
			}
			q.Search, _ = x["query"].(string)
			if f, ok := x["fields"]; ok {
				if q.SearchFields, err = stringList(f, "search.fields"); err != nil {
					return nil, err
				}
			}
		default:
			return nil, queryErr("search", "search must be a string or {query, fields}.")
		}
	}
	if v, ok := got[slotSearchFields]; ok {
		if q.SearchFields, err = stringList(v, "searchFields"); err != nil {
			return nil, err
		}
	}
	if v, ok := got[slotCount]; ok {
		switch b := v.(type) {
		case bool:
			q.SkipCount = !b
		case string:
			if !strings.EqualFold(b, "estimate") {
				return nil, queryErr("count", "count must be true, false or \"estimate\".")
			}
			q.EstimateCount = true
		default:
			return nil, queryErr("count", "count must be true, false or \"estimate\".")
		}
	}
	return req, nil
}

func wholeNumber(v any) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	if err != nil || i < 0 || i > 1<<31 {
		return 0, false
	}
	return int(i), true
}

// plainJSON turns json.Number values into float64, as the filter parser
// expects.
func plainJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plainJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plainJSON(e)
		}
		return out
	}
	return v
}

func stringList(v any, param string) ([]string, error) {
	switch x := v.(type) {
	case string:
		return fieldList(x, param)
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, queryErr(param, "%s must be an array of field names.", param)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, queryErr(param, "%s must be an array of field names.", param)
}

// expandList reads expand as an array of paths or as a nested object of
// QueryASTs, {"account": {"fields": [...], "where": {...}, "expand": {...}}},
// whose fields and where go to specs by path.
func expandList(v any, prefix, param string, specs map[string]objectos.ExpandSpec) ([]string, error) {
	switch x := v.(type) {
	case map[string]any:
		var out []string
		keys := slices.Sorted(maps.Keys(x))
		for _, k := range keys {
			path := k
			if prefix != "" {
				path = prefix + "." + k
			}
			out = append(out, path)
			sub, ok := x[k].(map[string]any)
			if !ok && x[k] != nil && x[k] != true {
				return nil, queryErr(param, "expand.%s must be an object.", path)
			}
			subKeys := slices.Sorted(maps.Keys(sub))
			var spec objectos.ExpandSpec
			for _, sk := range subKeys {
				sv := sub[sk]
				var err error
				switch sk {
				case "expand", "populate":
					var nested []string
					if nested, err = expandList(sv, path, param, specs); err == nil {
						out = append(out, nested...)
					}
				case "fields", "select":
					spec.Fields, err = stringList(sv, fmt.Sprintf("expand.%s.%s", path, sk))
				case "where", "filter", "filters":
					if spec.Filter, err = objectos.ParseFilterValue(plainJSON(sv)); err != nil {
						err = withParam(err, param)
					}
				case "object":
					// the target is the reference's; naming it changes nothing
					if _, isStr := sv.(string); !isStr {
						err = queryErr(param, "expand.%s.object must be a string.", path)
					}
				default:
					err = queryErr(param, "expand.%s.%s is not supported; an expansion takes fields, where and expand.", path, sk)
				}
				if err != nil {
					return nil, err
				}
			}
			if spec.Fields != nil || spec.Filter != nil {
				specs[path] = spec
			}
		}
		return out, nil
	default:
		list, err := stringList(v, param)
		if err != nil {
			return nil, err
		}
		if prefix == "" {
			return list, nil
		}
		for i, s := range list {
			list[i] = prefix + "." + s
		}
		return list, nil
	}
}
