package mcp_test

import (
	"testing"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"

	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

func rows(r map[string]any) []map[string]any {
	var out []map[string]any
	for _, x := range r["rows"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

func count(fn string, more ...string) map[string]any {
	a := map[string]any{"function": fn}
	if len(more) > 0 {
		a["field"] = more[0]
	}
	if len(more) > 1 {
		a["alias"] = more[1]
	}
	return a
}

// TestAggregateRecords: aggregate_records groups and aggregates in the
// database, within the caller's record access and field security, in
// upstream's argument shape (groupBy names or {field, dateGranularity,
// alias}), and pages its groups.
func TestAggregateRecords(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, nil)
		admin := e.signUp("admin")
		sam, sue := e.signUp("sam", "crm_sales_user"), e.signUp("sue", "crm_sales_user")
		ann := e.signUp("ann", "crm_analyst")
		s1, s2 := e.mustConnect(sam.key), e.mustConnect(sue.key)
		acc := s1.must("create_record", map[string]any{"objectName": "crm_account", "data": map[string]any{"name": "Sam's"}})
		for _, o := range []struct {
			a     *agent
			stage string
			amt   float64
			date  string
		}{
			{s1, "prospecting", 100, "2026-01-05"}, {s1, "prospecting", 250.5, "2026-01-20"},
			{s1, "closed_won", 1000, "2026-02-10"}, {s2, "closed_won", 7000, "2026-03-01"},
		} {
			o.a.must("create_record", map[string]any{"objectName": "crm_opportunity",
				"data": map[string]any{"name": "Deal", "stage": o.stage, "amount": o.amt, "close_date": o.date}})
		}

		// The pipeline by stage: Sam sees only his own opportunities.
		r := s1.must("aggregate_records", map[string]any{"objectName": "crm_opportunity",
			"aggregations": []any{count("count", "", "n"), count("sum", "amount", "total")},
			"groupBy":      []any{"stage"}})
		assert.Equal(t, []map[string]any{
			{"stage": "closed_won", "n": 1.0, "total": 1000.0},
			{"stage": "prospecting", "n": 2.0, "total": 350.5},
		}, rows(r))
		assert.Equal(t, false, r["truncated"])
		assert.EqualValues(t, 2, r["count"])

		// The analyst sees everyone's, by month, largest first, pages of one.
		an := e.mustConnect(ann.key)
		r = an.must("aggregate_records", map[string]any{"objectName": "crm_opportunity",
			"aggregations": []any{count("sum", "amount", "total")},
			"groupBy":      []any{map[string]any{"field": "close_date", "dateGranularity": "month", "alias": "month"}},
			"where":        map[string]any{"amount": map[string]any{"$gt": 200}},
			"having":       map[string]any{"total": map[string]any{"$gte": 250}},
			"orderBy":      []any{map[string]any{"field": "total", "order": "desc"}},
			"limit":        1, "timezone": "UTC"})
		assert.Equal(t, []map[string]any{{"month": "2026-03-01", "total": 7000.0}}, rows(r))
		assert.Equal(t, true, r["truncated"])
		assert.EqualValues(t, 1, r["nextOffset"])
		r = an.must("aggregate_records", map[string]any{"objectName": "crm_opportunity",
			"aggregations": []any{count("sum", "amount", "total")},
			"groupBy":      []any{map[string]any{"field": "close_date", "dateGranularity": "month", "alias": "month"}},
			"where":        map[string]any{"amount": map[string]any{"$gt": 200}},
			"orderBy":      []any{map[string]any{"field": "total", "order": "desc"}},
			"offset":       1})
		assert.Equal(t, []map[string]any{{"month": "2026-02-01", "total": 1000.0}, {"month": "2026-01-01", "total": 250.5}}, rows(r))
		assert.NotContains(t, r, "nextOffset")

		// A field the caller may not read cannot be aggregated, grouped or
		// filtered on; its values never leave the database.
		ad := e.mustConnect(admin.key)
		ad.must("update_record", map[string]any{"objectName": "crm_account", "recordId": acc["id"], "data": map[string]any{"annual_revenue": 987654}})
		for _, args := range []map[string]any{
			{"aggregations": []any{count("sum", "annual_revenue", "x")}},
			{"aggregations": []any{count("count")}, "groupBy": []any{"annual_revenue"}},
			{"aggregations": []any{count("count")}, "where": map[string]any{"annual_revenue": map[string]any{"$gt": 0}}},
			{"aggregations": []any{map[string]any{"function": "count", "where": map[string]any{"annual_revenue": 987654}}}},
		} {
			args["objectName"] = "crm_account"
			res := an.fails("FIELD_NOT_ACCESSIBLE", "aggregate_records", args)
			assert.NotContains(t, res.raw.Content[0].(*sdkmcp.TextContent).Text, "987654")
		}
		r = ad.must("aggregate_records", map[string]any{"objectName": "crm_account", "aggregations": []any{count("max", "annual_revenue", "top")}})
		assert.Equal(t, []map[string]any{{"top": 987654.0}}, rows(r))

		// Mistakes are tool errors with the engine's codes; the schema
		// refuses what it can say.
		opp := map[string]any{"objectName": "crm_opportunity"}
		with := func(kv ...any) map[string]any {
			m := map[string]any{"objectName": "crm_opportunity"}
			for i := 0; i < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		}
		s1.fails("VALIDATION_FAILED", "aggregate_records", opp)
		s1.fails("VALIDATION_FAILED", "aggregate_records", with("aggregations", []any{}))
		s1.fails("VALIDATION_FAILED", "aggregate_records", with("aggregations", []any{count("median", "amount")}))
		s1.fails("VALIDATION_FAILED", "aggregate_records", with("aggregations", []any{count("count")}, "timezone", "Europe/Berlin"))
		s1.fails("VALIDATION_FAILED", "aggregate_records", with("aggregations", []any{count("count")}, "groupBy", []any{7}))
		s1.fails("VALIDATION_FAILED", "aggregate_records", with("aggregations", []any{count("count")},
			"groupBy", []any{map[string]any{"field": "close_date", "dateGranularity": "decade"}}))
		s1.fails("INVALID_FIELD", "aggregate_records", with("aggregations", []any{count("sum", "amout")}))
		s1.fails("INVALID_QUERY", "aggregate_records", with("aggregations", []any{count("sum", "name")}))
		s1.fails("INVALID_FILTER", "aggregate_records", with("aggregations", []any{count("count")}, "where", map[string]any{"amount": map[string]any{"$near": 1}}))
		s1.fails("OBJECT_API_METHOD_NOT_ALLOWED", "aggregate_records", map[string]any{"objectName": "crm_region", "aggregations": []any{count("count")}})
		s1.fails("OBJECT_NOT_FOUND", "aggregate_records", map[string]any{"objectName": "crm_internal", "aggregations": []any{count("count")}})
		nick := e.mustConnect(e.signUp("nick").key)
		nick.fails("PERMISSION_DENIED", "aggregate_records", with("aggregations", []any{count("count")}))
	})
}
