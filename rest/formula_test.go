package rest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/openapitest"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/store"
)

// formulaArtifact has a deal with three formulas: expected (compiled to
// SQL), margin (SQL, but it reads cost, which the set viewer may not read)
// and shout (computed in Go: upper is not translated).
func formulaArtifact() *objectos.Artifact {
	all := objectos.ObjectPermission{AllowRead: true, AllowCreate: true, AllowEdit: true, AllowDelete: true, ViewAllRecords: true}
	return &objectos.Artifact{Name: "formulatest", Objects: []*objectos.Object{{
		Name: "deal", SharingModel: objectos.SharingPublicReadWrite,
		Fields: []*objectos.Field{
			{Name: "name", Type: objectos.TypeText},
			{Name: "stage", Type: objectos.TypeText},
			{Name: "amount", Type: objectos.TypeCurrency},
			{Name: "probability", Type: objectos.TypePercent},
			{Name: "cost", Type: objectos.TypeNumber},
			{Name: "expected", Type: objectos.TypeFormula, ReturnType: objectos.TypeNumber, Expression: "amount * probability / 100"},
			{Name: "margin", Type: objectos.TypeFormula, ReturnType: objectos.TypeNumber, Expression: "amount - cost"},
			{Name: "shout", Type: objectos.TypeFormula, ReturnType: objectos.TypeText, Expression: "upper(name)"},
		},
	}}, PermissionSets: []*objectos.PermissionSet{
		{Name: "seller", Objects: map[string]objectos.ObjectPermission{"deal": all}},
		{Name: "viewer", Objects: map[string]objectos.ObjectPermission{"deal": {AllowRead: true, ViewAllRecords: true}},
			Fields: map[string]objectos.FieldPermission{"deal.cost": {Readable: false}}},
	}}
}

// formulaAuth: X-Test-User seller or viewer, holding the set so named.
var formulaAuth = objectos.AuthFunc(func(r *http.Request) (*objectos.Principal, error) {
	u := r.Header.Get("X-Test-User")
	if u == "" {
		return nil, objectos.ErrNoCredentials
	}
	return &objectos.Principal{UserID: u, Method: objectos.AuthCustom, PermissionSets: []string{u}}, nil
})

// TestFormulaREST: a formula the database computes filters and sorts
// through the query parameters and the query document; one computed in Go
// is 400 INVALID_FILTER / INVALID_SORT / INVALID_QUERY wherever it is
// used in a query (aggregations included, never a 500); a formula that
// reads a field the caller may not read is unreadable to them.
func TestFormulaREST(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		env := objectostest.New(t, formulaArtifact(), objectostest.Options{
			Store:     st,
			Without:   []string{"auth", "apikey"},
			Plugins:   []objectos.Plugin{rest.New(rest.Options{}), formulaAuth},
			Configure: func(o *objectos.Options) { o.RateLimits = objectos.RateLimits{} },
			Handler:   func(s *objectos.Stack) http.Handler { return openapitest.Handler(t, s) },
		})
		seller := env.Client().With("X-Test-User", "seller")
		viewer := env.Client().With("X-Test-User", "viewer")
		ids := map[string]string{}
		for _, d := range []map[string]any{
			{"name": "small", "stage": "open", "amount": 1000, "probability": 50, "cost": 100}, // expected 500
			{"name": "big", "stage": "open", "amount": 10000, "probability": 30, "cost": 9000}, // 3000
			{"name": "sure", "stage": "won", "amount": 4000, "probability": 100, "cost": 1000}, // 4000
			{"name": "blank", "stage": "open", "amount": 2000},                                 // null
		} {
			r := seller.Post("/api/v1/data/deal", d).Status(t, 201)
			ids[d["name"].(string)] = r.ID()
		}
		seller.Get("/api/v1/data/deal/"+ids["big"]).Status(t, 200).
			Equal(t, "record.expected", 3000.0).Equal(t, "record.margin", 1000.0).Equal(t, "record.shout", "BIG")

		q := func(filter, sort string) string {
			return "/api/v1/data/deal?filter=" + url.QueryEscape(filter) + "&sort=" + url.QueryEscape(sort)
		}
		list := seller.Get(q(`{"expected":{"$gt":1000}}`, "-expected")).Status(t, 200)
		assert.Equal(t, []string{ids["sure"], ids["big"]}, list.IDs())
		list.Equal(t, "total", 2.0)
		seller.Get(q(`{"expected":{"$lte":500}}`, "expected")).Status(t, 200).Equal(t, "total", 1.0)
		seller.Get(q(`{"expected":{"$null":true}}`, "")).Status(t, 200).Equal(t, "records.0.id", ids["blank"])
		assert.Equal(t, []string{ids["small"], ids["big"], ids["sure"]}, seller.Get(q(`{"cost":{"$gt":0}}`, "margin")).Status(t, 200).IDs())

		doc := seller.Post("/api/v1/data/deal/query",
			`{"where":{"$and":[{"expected":{"$gte":500}},{"stage":"open"}]},"orderBy":[{"field":"expected","order":"desc"}]}`).Status(t, 200)
		assert.Equal(t, []string{ids["big"], ids["small"]}, doc.IDs())
		// a cursor over a formula sort key carries its value
		first := seller.Post("/api/v1/data/deal/query", `{"where":{"expected":{"$gt":0}},"orderBy":[{"field":"expected","order":"asc"}],"limit":2}`).Status(t, 200)
		assert.Equal(t, []string{ids["small"], ids["big"]}, first.IDs())
		cursor, _ := first.Value("nextCursor").(string)
		if assert.NotEmpty(t, cursor) {
			next := seller.Get("/api/v1/data/deal?filter="+url.QueryEscape(`{"expected":{"$gt":0}}`)+"&sort=expected&limit=2&cursor="+url.QueryEscape(cursor)).Status(t, 200)
			assert.Equal(t, []string{ids["sure"]}, next.IDs())
		}
		agg := seller.Post("/api/v1/data/deal/query",
			`{"groupBy":["stage"],"aggregations":[{"function":"sum","field":"expected","alias":"pipeline"}],"orderBy":[{"field":"stage","order":"asc"}]}`).Status(t, 200)
		agg.Equal(t, "records.0.stage", "open").Equal(t, "records.0.pipeline", 3500.0).Equal(t, "records.1.pipeline", 4000.0)

		// A formula computed in Go cannot be part of a query.
		for _, c := range []struct{ method, url, body, code, message string }{
			{"GET", q(`{"shout":"BIG"}`, ""), "", "INVALID_FILTER", "computed after the read"},
			{"GET", "/api/v1/data/deal?shout=BIG", "", "INVALID_FILTER", "computed after the read"},
			{"GET", q(`{}`, "-shout"), "", "INVALID_SORT", "computed after the read"},
			{"POST", "/api/v1/data/deal/query", `{"where":{"shout":{"$startsWith":"B"}}}`, "INVALID_FILTER", "computed after the read"},
			{"POST", "/api/v1/data/deal/query", `{"orderBy":[{"field":"shout","order":"asc"}]}`, "INVALID_SORT", "computed after the read"},
			{"POST", "/api/v1/data/deal/query", `{"groupBy":["shout"],"aggregations":[{"function":"count","alias":"n"}]}`, "INVALID_QUERY", "computed after the read"},
			{"POST", "/api/v1/data/deal/query", `{"aggregations":[{"function":"max","field":"shout","alias":"m"}]}`, "INVALID_QUERY", "computed after the read"},
			{"POST", "/api/v1/data/deal/query", `{"aggregations":[{"function":"count_distinct","field":"shout","alias":"m"}]}`, "INVALID_QUERY", "computed after the read"},
			{"POST", "/api/v1/data/deal/query", `{"aggregations":[{"function":"count","alias":"n","filter":{"shout":"BIG"}}]}`, "INVALID_FILTER", "computed after the read"},
		} {
			r := seller.Do(c.method, c.url, c.body).Status(t, 400).Code(t, c.code)
			assert.Contains(t, r.Value("error"), c.message, c.url+" "+c.body)
		}

		// viewer may not read cost, so not margin either; expected stays.
		rec := viewer.Get("/api/v1/data/deal/"+ids["big"]).Status(t, 200).Record()
		assert.NotContains(t, rec, "cost")
		assert.NotContains(t, rec, "margin")
		assert.Equal(t, 3000.0, rec["expected"])
		for _, r := range viewer.Get("/api/v1/data/deal").Status(t, 200).Records() {
			assert.NotContains(t, r, "margin")
		}
		for _, c := range []struct{ method, url, body string }{
			{"GET", q(`{"margin":{"$gt":0}}`, ""), ""},
			{"GET", q(`{}`, "margin"), ""},
			{"GET", "/api/v1/data/deal?fields=name,margin", ""},
			{"POST", "/api/v1/data/deal/query", `{"where":{"margin":{"$gt":0}}}`},
			{"POST", "/api/v1/data/deal/query", `{"orderBy":[{"field":"margin","order":"asc"}]}`},
			{"POST", "/api/v1/data/deal/query", `{"aggregations":[{"function":"sum","field":"margin","alias":"m"}]}`},
		} {
			viewer.Do(c.method, c.url, c.body).Status(t, 403).Code(t, "FIELD_NOT_ACCESSIBLE")
		}
		viewer.Get(q(`{"expected":{"$gt":1000}}`, "-expected")).Status(t, 200).Equal(t, "total", 2.0)
	})
}
