package objectos_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

func itemArtifact() *objectos.Artifact {
	return &objectos.Artifact{Objects: []*objectos.Object{{
		Name: "item",
		Fields: []*objectos.Field{
			{Name: "name", Type: objectos.TypeText},
			{Name: "qty", Type: objectos.TypeNumber},
			{Name: "price", Type: objectos.TypeNumber},
			{Name: "active", Type: objectos.TypeBoolean},
			{Name: "kind", Type: objectos.TypeSelect, Options: []objectos.Option{{Value: "a"}, {Value: "b"}, {Value: "c"}}},
			{Name: "note", Type: objectos.TypeText},
			{Name: "due", Type: objectos.TypeDate},
			{Name: "at", Type: objectos.TypeDatetime},
			{Name: "labels", Type: objectos.TypeTags},
			{Name: "meta", Type: objectos.TypeJSON},
			{Name: "secret", Type: objectos.TypePassword},
		},
	}}}
}

var itemRows = []objectos.Record{
	{"id": "1", "name": "Alpha", "qty": 10.0, "price": 8.0, "active": true, "kind": "a", "note": "x_1%", "due": "2026-01-10", "at": "2026-01-10T08:00:00Z", "labels": []any{"red", "blue"}, "meta": map[string]any{"k": 1.0}},
	{"id": "2", "name": "beta", "qty": 5.0, "price": 5.0, "active": false, "kind": "b", "note": nil, "due": "2026-02-01", "at": "2026-02-01T12:00:00Z", "labels": []any{"blue"}},
	{"id": "3", "name": "Gamma", "qty": nil, "price": 3.0, "active": true, "kind": "a", "note": "plain", "due": nil, "at": nil, "labels": []any{}},
	{"id": "4", "name": "delta", "qty": 20.0, "price": nil, "active": nil, "kind": nil, "note": "X_1%", "due": "2026-03-15", "at": "2026-03-15T23:59:59.999Z", "labels": nil},
	{"id": "5", "name": "Epsilon", "qty": 5.0, "price": 9.0, "active": false, "kind": "c", "note": "x%1", "due": "2026-01-31", "at": "2026-01-31T00:00:00Z", "labels": []any{"green"}},
}

// filterCases is our own table: every operator in both forms, the NULL
// rules, column comparisons, nesting, and malformed input with its code.
var filterCases = []struct {
	name   string
	filter string
	want   string // comma-separated ids, or "" for none
	code   objectos.Code
}{
	{"implicit equality", `{"kind":"a"}`, "1,3", ""},
	{"$eq", `{"kind":{"$eq":"a"}}`, "1,3", ""},
	{"$ne includes NULL", `{"kind":{"$ne":"a"}}`, "2,4,5", ""},
	{"$gt", `{"qty":{"$gt":5}}`, "1,4", ""},
	{"$gte", `{"qty":{"$gte":10}}`, "1,4", ""},
	{"$lt", `{"qty":{"$lt":10}}`, "2,5", ""},
	{"$lte", `{"qty":{"$lte":5}}`, "2,5", ""},
	{"$in", `{"kind":{"$in":["a","c"]}}`, "1,3,5", ""},
	{"$in with null", `{"kind":{"$in":["b",null]}}`, "2,4", ""},
	{"empty $in matches nothing", `{"kind":{"$in":[]}}`, "", ""},
	{"$nin includes NULL", `{"kind":{"$nin":["a"]}}`, "2,4,5", ""},
	{"empty $nin matches everything", `{"kind":{"$nin":[]}}`, "1,2,3,4,5", ""},
	{"$between is inclusive", `{"qty":{"$between":[5,10]}}`, "1,2,5", ""},
	{"$contains is literal and case-sensitive", `{"note":{"$contains":"x_"}}`, "1", ""},
	{"$notContains includes NULL", `{"note":{"$notContains":"x"}}`, "2,3,4", ""},
	{"$startsWith", `{"name":{"$startsWith":"Al"}}`, "1", ""},
	{"$endsWith", `{"name":{"$endsWith":"ta"}}`, "2,4", ""},
	{"$icontains folds case", `{"note":{"$icontains":"X_1"}}`, "1,4", ""},
	{"$like with %", `{"name":{"$like":"%a"}}`, "1,2,3,4", ""},
	{"$like with _ is case-sensitive", `{"name":{"$like":"_eta"}}`, "2", ""},
	{"$like escape", `{"note":{"$like":"x\\%1"}}`, "5", ""},
	{"$ilike", `{"name":{"$ilike":"e%"}}`, "5", ""},
	{"$like ending in a lone escape", `{"name":{"$like":"a\\"}}`, "", "INVALID_FILTER"},
	{"$ilike ending in a lone escape", `{"name":{"$ilike":"a\\\\\\"}}`, "", "INVALID_FILTER"},
	{"$like ending in an escaped backslash", `{"name":{"$like":"a\\\\"}}`, "", ""},
	{"$null true", `{"note":{"$null":true}}`, "2", ""},
	{"$null false", `{"note":{"$null":false}}`, "1,3,4,5", ""},
	{"$exists true", `{"due":{"$exists":true}}`, "1,2,4,5", ""},
	{"$exists false", `{"due":{"$exists":false}}`, "3", ""},
	{"null equality", `{"note":null}`, "2", ""},
	{"boolean", `{"active":true}`, "1,3", ""},
	{"boolean $ne includes NULL", `{"active":{"$ne":true}}`, "2,4,5", ""},
	{"date", `{"due":{"$gte":"2026-02-01"}}`, "2,4", ""},
	{"datetime bare day is the whole day", `{"at":"2026-01-31"}`, "5", ""},
	{"datetime $lte bare day keeps the day", `{"at":{"$lte":"2026-03-15"}}`, "1,2,4,5", ""},
	{"datetime instant", `{"at":{"$lt":"2026-01-31T00:00:00.001Z"}}`, "1,5", ""},
	{"datetime at the end of time", `{"at":{"$lte":"9999-12-31"}}`, "1,2,4,5", ""},
	{"datetime after the end of time", `{"at":{"$gt":"9999-12-31"}}`, "", ""},
	{"multi-valued $eq means contains", `{"labels":"blue"}`, "1,2", ""},
	{"multi-valued $in means any", `{"labels":{"$in":["green","red"]}}`, "1,5", ""},
	{"multi-valued $nin includes NULL", `{"labels":{"$nin":["blue"]}}`, "3,4,5", ""},
	{"multi-valued $null", `{"labels":{"$null":true}}`, "4", ""},
	{"json $null", `{"meta":{"$null":false}}`, "1", ""},
	{"$field greater", `{"qty":{"$gt":{"$field":"price"}}}`, "1", ""},
	{"$field equal is NULL-safe", `{"qty":{"$eq":{"$field":"price"}}}`, "2", ""},
	{"$field not equal", `{"qty":{"$ne":{"$field":"price"}}}`, "1,3,4,5", ""},
	{"nested $or/$and/$not", `{"$or":[{"kind":"a","qty":{"$gt":5}},{"$not":{"kind":{"$in":["a","b"]}}}]}`, "1,4,5", ""},
	{"$and of $or", `{"$and":[{"$or":[{"kind":"a"},{"kind":"b"}]},{"active":false}]}`, "2", ""},
	{"{} is true", `{}`, "1,2,3,4,5", ""},
	{"empty $or is false", `{"$or":[]}`, "", ""},
	{"$not of {} is false", `{"$not":{}}`, "", ""},
	{"two operators AND", `{"qty":{"$gt":1,"$lt":20}}`, "1,2,5", ""},
	{"date macro", `{"due":{"$lt":"{today}"}}`, "1,2,4,5", ""},
	{"array comparison", `["qty", ">", 5]`, "1,4", ""},
	{"array and", `["and", ["kind","=","a"], ["active","==",true]]`, "1,3", ""},
	{"array or", `["or", ["qty","<",6], ["name","starts_with","G"]]`, "2,3,5", ""},
	{"array list is AND", `[["kind","!=","a"],["qty","gte",10]]`, "4", ""},
	{"array is_null", `["note","is_null"]`, "2", ""},
	{"array is_not_null", `["note","is_not_null"]`, "1,3,4,5", ""},
	{"array operators are case-insensitive", `["name","ICONTAINS","ALP"]`, "1", ""},
	{"array between", `["qty","between",[5,10]]`, "1,2,5", ""},
	{"array not_in", `["kind","not_in",["a","b"]]`, "4,5", ""},
	{"array <>", `["name","<>","beta"]`, "1,3,4,5", ""},
	{"array nested logic", `["or", ["and", ["kind","=","a"], ["qty",">",5]], ["name","ends_with","lon"]]`, "1,5", ""},
	{"array with an object member", `["and", {"kind":"a"}, ["active","=",true]]`, "1,3", ""},
	{"array $field", `["qty","=",{"$field":"price"}]`, "2", ""},

	{"infix form is refused", `[["kind","=","a"],"and",["qty",">",1]]`, "", objectos.CodeInvalidFilter},
	{"unknown operator", `{"qty":{"$gtt":1}}`, "", objectos.CodeInvalidFilter},
	{"unknown array operator", `["qty","=>",1]`, "", objectos.CodeInvalidFilter},
	{"dotted path", `{"account.name":"x"}`, "", objectos.CodeInvalidFilter},
	{"unknown field", `{"nope":1}`, "", objectos.CodeInvalidFilter},
	{"number field, string comparand", `{"qty":"ten"}`, "", objectos.CodeInvalidFilter},
	{"boolean field, string comparand", `{"active":"yes"}`, "", objectos.CodeInvalidFilter},
	{"$in needs an array", `{"kind":{"$in":"a"}}`, "", objectos.CodeInvalidFilter},
	{"$between needs two values", `{"qty":{"$between":[1,2,3]}}`, "", objectos.CodeInvalidFilter},
	{"$null needs a boolean", `{"note":{"$null":"yes"}}`, "", objectos.CodeInvalidFilter},
	{"unknown top-level operator", `{"$nor":[]}`, "", objectos.CodeInvalidFilter},
	{"a number is not a filter", `5`, "", objectos.CodeInvalidFilter},
	{"a string is not a filter", `"x"`, "", objectos.CodeInvalidFilter},
	{"null is not a filter", `null`, "", objectos.CodeInvalidFilter},
	{"a condition without operator", `{"kind":{}}`, "", objectos.CodeInvalidFilter},
	{"an array comparand", `{"kind":["a"]}`, "", objectos.CodeInvalidFilter},
	{"a plain object comparand", `{"kind":{"v":"a"}}`, "", objectos.CodeInvalidFilter},
	{"$regex is retired", `{"name":{"$regex":"^A"}}`, "", objectos.CodeInvalidFilter},
	{"string operator on a number", `{"qty":{"$contains":"1"}}`, "", objectos.CodeInvalidFilter},
	{"order on a boolean", `{"active":{"$gt":false}}`, "", objectos.CodeInvalidFilter},
	{"order on a multi-valued field", `{"labels":{"$gt":"a"}}`, "", objectos.CodeInvalidFilter},
	{"json field equality", `{"meta":{"$eq":"x"}}`, "", objectos.CodeInvalidFilter},
	{"password field", `{"secret":"x"}`, "", objectos.CodeInvalidFilter},
	{"unknown macro", `{"due":"{someday}"}`, "", objectos.CodeInvalidFilter},
	{"invalid date", `{"due":"2026-13-01"}`, "", objectos.CodeInvalidFilter},
	{"$field across types", `{"qty":{"$gt":{"$field":"name"}}}`, "", objectos.CodeInvalidFilter},
	{"$field to unknown", `{"qty":{"$gt":{"$field":"nope"}}}`, "", objectos.CodeInvalidFilter},
	{"empty string operator", `{"name":{"$startsWith":""}}`, "", objectos.CodeInvalidFilter},
	{"NUL in comparand", `{"name":"a\u0000b"}`, "", objectos.CodeInvalidFilter},
	{"malformed array comparison", `["qty"]`, "", objectos.CodeInvalidFilter},
	{"null operator takes no value", `["note","is_null","x"]`, "", objectos.CodeInvalidFilter},
	{"invalid JSON", `{"qty":`, "", objectos.CodeInvalidFilter},
	{"year zero", `{"due":"0000-01-01"}`, "", objectos.CodeInvalidFilter},
	{"too many $in values", `{"name":{"$in":[` + strings.Repeat(`"x",`, 1000) + `"y"]}}`, "", objectos.CodeInvalidFilter},
	{"too deep", strings.Repeat(`{"$not":`, 40) + `{}` + strings.Repeat(`}`, 40), "", objectos.CodeInvalidFilter},
}

func TestFilterTable(t *testing.T) {
	require.GreaterOrEqual(t, len(filterCases), 40)
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newStack(t, st, itemArtifact(), func(o *objectos.Options) { o.Clock = newClock().Now })
		for _, r := range itemRows {
			mustCreate(t, s, system(), "item", r)
		}
		ctx := as("reader")
		for _, tc := range filterCases {
			t.Run(tc.name, func(t *testing.T) {
				f, err := objectos.ParseFilter([]byte(tc.filter))
				var res *objectos.ListResult
				if err == nil {
					res, err = s.List(ctx, "item", objectos.Query{Filter: f})
				}
				if tc.code != "" {
					e := requireCode(t, err, tc.code)
					assert.Equal(t, 400, e.HTTPStatus())
					assert.NotEmpty(t, e.Message)
					return
				}
				require.NoError(t, err)
				var ids []string
				for _, r := range res.Records {
					ids = append(ids, r["id"].(string))
				}
				sort.Strings(ids)
				assert.Equal(t, tc.want, strings.Join(ids, ","))
			})
		}
	})
}

func TestFilterErrorsNameTheField(t *testing.T) {
	o := &objectos.Object{Name: "x", Fields: []*objectos.Field{{Name: "amount", Type: objectos.TypeNumber}}}
	s := newStack(t, testenv.Open(t, testenv.SQLite), &objectos.Artifact{Objects: []*objectos.Object{o}})
	for filter, wants := range map[string][]string{
		`{"amout":1}`:    {`"amout"`, `did you mean "amount"`},
		`{"amount":"x"}`: {"amount", "number"},
		`{"amount":{"$regex":"1","$options":"i"}}`: {"$regex", "$options", "$icontains"},
		`[["amount","=",1],"or",["amount","=",2]]`: {"infix", `["and"`},
	} {
		f, err := objectos.ParseFilter([]byte(filter))
		if err == nil {
			_, err = s.List(as("u"), "x", objectos.Query{Filter: f})
		}
		e := requireCode(t, err, objectos.CodeInvalidFilter)
		for _, w := range wants {
			assert.Contains(t, e.Message, w, filter)
		}
	}
}

func TestArrayFormLowersToObjectForm(t *testing.T) {
	for arr, obj := range map[string]string{
		`["amount","=",{"$field":"budget"}]`:                    `{"amount":{"$eq":{"$field":"budget"}}}`,
		`["or",["a","=",1],["b","!=",2]]`:                       `{"$or":[{"a":1},{"b":{"$ne":2}}]}`,
		`[["a","in",[1,2]],["b","is_not_null"]]`:                `{"a":{"$in":[1,2]},"b":{"$null":false}}`,
		`["and",["a","starts_with","x"],["b","between",[1,2]]]`: `{"$and":[{"a":{"$startsWith":"x"}},{"b":{"$between":[1,2]}}]}`,
	} {
		fa, err := objectos.ParseFilter([]byte(arr))
		require.NoError(t, err, arr)
		fo, err := objectos.ParseFilter([]byte(obj))
		require.NoError(t, err, obj)
		assert.Equal(t, fo.String(), fa.String(), arr)
	}
}
