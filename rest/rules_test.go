package rest_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/store"
)

// rulesYAML is an opportunity with one rule of each type and the
// conditional fields, and an api action that sets its stage.
const rulesYAML = `
name: rules
objects:
  - name: opp
    fields:
      name: {type: text, required: true}
      stage:
        type: select
        options:
          - {value: prospecting, default: true}
          - {value: proposal}
          - {value: closed_won, visibleWhen: "current_user.role == 'admin'"}
          - {value: closed_lost}
      amount:
        type: currency
        requiredWhen: "record.stage in ['proposal', 'closed_won']"
      discount: {type: percent}
      code: {type: text}
      terms: {type: json}
      notes: {type: textarea, readonlyWhen: "previous.stage == 'closed_won'", visibleWhen: "record.stage != 'prospecting'"}
    actions:
      - {name: win, type: api, method: PATCH, target: "/api/v1/data/opp/{id}", bodyExtra: {stage: closed_won}}
    validations:
      - {name: discount_cap, type: script, condition: "record.discount != null && record.discount > 40.0", message: Discount cannot exceed 40%.}
      - {name: discount_amount, type: cross_field, fields: [discount, amount], condition: "discount != null && amount == null", message: A discount needs an amount.}
      - {name: code_format, type: format, field: code, regex: "^[A-Z]{3}-[0-9]{4}$", message: Codes look like ABC-1234.}
      - name: stages
        type: state_machine
        field: stage
        initialStates: [prospecting, proposal]
        transitions: {closed_won: [], closed_lost: []}
        message: That stage change is not allowed.
      - name: terms_shape
        type: json_schema
        field: terms
        schema: {type: object, required: [days], properties: {days: {type: integer, minimum: 0}}}
        message: Terms need a whole number of days.
      - name: big_deals
        type: conditional
        when: "record.amount != null && record.amount >= 1000000.0"
        then: {type: script, fields: [name], condition: "size(record.name) < 5", message: A big deal needs a real name.}
        message: Big deals are checked.
`

func newRulesServer(t *testing.T, st *store.Store) *server {
	t.Helper()
	a := objectostestArtifact(t, rulesYAML)
	return newServer(t, st, a)
}

func objectostestArtifact(t *testing.T, src string) *objectos.Artifact {
	t.Helper()
	a, err := objectos.ParseArtifact([]byte(src))
	require.NoError(t, err)
	return a
}

// fieldCodes maps the fields of a VALIDATION_FAILED answer to their codes.
func fieldCodes(t *testing.T, v any) map[string]string {
	t.Helper()
	out := map[string]string{}
	list, _ := v.([]any)
	for _, x := range list {
		m := x.(map[string]any)
		out[m["field"].(string)] = m["code"].(string)
	}
	return out
}

// Each rule type passes and fails through the data API, on every store;
// a failed write changes nothing.
func TestValidationRulesHTTP(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newRulesServer(t, st)
		u := s.as("u")
		ok := u.Post("/api/v1/data/opp", map[string]any{"name": "Acme", "stage": "proposal", "amount": 500, "discount": 10,
			"code": "ABC-1234", "terms": map[string]any{"days": 30}}).Status(t, 201)
		id := ok.ID()

		creates := []struct {
			name string
			body map[string]any
			want map[string]string
		}{
			{"script", map[string]any{"name": "A", "amount": 1, "discount": 50}, map[string]string{"_record": "rule_violation"}},
			{"cross_field", map[string]any{"name": "A", "discount": 5}, map[string]string{"discount": "rule_violation"}},
			{"format", map[string]any{"name": "A", "code": "abc"}, map[string]string{"code": "invalid_format"}},
			{"json_schema", map[string]any{"name": "A", "terms": map[string]any{"days": 1.5}}, map[string]string{"terms": "json_schema_violation"}},
			{"initial state", map[string]any{"name": "A", "stage": "closed_lost"}, map[string]string{"stage": "invalid_initial_state"}},
			{"requiredWhen", map[string]any{"name": "A", "stage": "proposal"}, map[string]string{"amount": "required"}},
			{"conditional", map[string]any{"name": "Big", "amount": 2e6}, map[string]string{"name": "rule_violation"}},
			{"together with value errors", map[string]any{"name": "A", "stage": "proposal", "code": "x", "discount": "many"},
				map[string]string{"amount": "required", "code": "invalid_format", "discount": "invalid_number"}},
		}
		for _, tc := range creates {
			t.Run(tc.name, func(t *testing.T) {
				r := u.Post("/api/v1/data/opp", tc.body).Status(t, 400).Code(t, "VALIDATION_FAILED")
				assert.Equal(t, tc.want, fieldCodes(t, r.Value("fields")))
				assert.Equal(t, "opp", r.Value("object"))
			})
		}
		r := u.Post("/api/v1/data/opp", map[string]any{"name": "A", "code": "abc"}).Status(t, 400)
		assert.Equal(t, "Codes look like ABC-1234.", r.Value("error"))
		assert.Equal(t, []any{map[string]any{"field": "code", "code": "invalid_format", "message": "Codes look like ABC-1234.",
			"constraint": map[string]any{"rule": "code_format"}}}, r.Value("fields"))
		u.Get("/api/v1/data/opp").Equal(t, "total", 1.0)

		// updates: the stored record with the patch applied
		r = u.Patch("/api/v1/data/opp/"+id, map[string]any{"amount": nil}).Status(t, 400)
		assert.Equal(t, map[string]string{"amount": "required", "discount": "rule_violation"}, fieldCodes(t, r.Value("fields")))
		u.Patch("/api/v1/data/opp/"+id, map[string]any{"stage": "closed_won", "notes": "signed"}).Status(t, 200)
		r = u.Patch("/api/v1/data/opp/"+id, map[string]any{"stage": "proposal"}).Status(t, 400)
		assert.Equal(t, []any{map[string]any{"field": "stage", "code": "invalid_transition", "message": "That stage change is not allowed.",
			"constraint": map[string]any{"rule": "stages", "from": "closed_won", "allowed": []any{}}}}, r.Value("fields"))
		r = u.Patch("/api/v1/data/opp/"+id, map[string]any{"notes": "changed"}).Status(t, 400)
		assert.Equal(t, map[string]string{"notes": "rule_violation"}, fieldCodes(t, r.Value("fields")))
		u.Patch("/api/v1/data/opp/"+id, map[string]any{"notes": "signed", "name": "Acme Inc"}).Status(t, 200)
		u.Get("/api/v1/data/opp/"+id).Equal(t, "record.stage", "closed_won").Equal(t, "record.notes", "signed")
	})
}

// The bulk routes, the cross-object batch and actions write through the
// same engine: their records meet the same rules.
func TestValidationRulesOnEveryWritePath(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newRulesServer(t, st)
		u := s.as("u")
		count := func() float64 { return u.Get("/api/v1/data/opp?limit=0").Value("total").(float64) }

		// createMany: all or nothing, the failing record's index named
		r := u.Post("/api/v1/data/opp/createMany", `[{"name":"A"},{"name":"B","discount":90,"amount":1}]`).Status(t, 400).Code(t, "VALIDATION_FAILED")
		assert.Equal(t, 1.0, r.Value("index"))
		assert.Equal(t, map[string]string{"_record": "rule_violation"}, fieldCodes(t, r.Value("fields")))
		assert.Equal(t, 0.0, count())
		r = u.Post("/api/v1/data/opp/createMany", `[{"id":"o1","name":"A"},{"id":"o2","name":"B","stage":"proposal","amount":5}]`).Status(t, 201)

		// batch (per record) and updateMany
		r = u.Post("/api/v1/data/opp/batch", `{"operation":"update","records":[{"id":"o1","data":{"code":"bad"}}]}`).Status(t, 200)
		rows := results(r)
		assert.Equal(t, "VALIDATION_FAILED", firstErrorCode(rows[0]))
		r = u.Post("/api/v1/data/opp/updateMany", `{"records":[{"id":"o2","data":{"stage":"closed_won"}},{"id":"o1","data":{"stage":"proposal"}}],"options":{"continueOnError":true}}`).Status(t, 200)
		rows = results(r)
		assert.Equal(t, true, rows[0]["success"])
		assert.Equal(t, "VALIDATION_FAILED", firstErrorCode(rows[1]), "proposal needs an amount")

		// the cross-object batch, atomic
		r = u.Post("/api/v1/batch", `{"operations":[{"object":"opp","data":{"name":"C"}},{"object":"opp","action":"update","id":"o2","data":{"stage":"prospecting"}}]}`).
			Status(t, 400).Code(t, "VALIDATION_FAILED")
		assert.Equal(t, 1.0, r.Value("index"))
		assert.Equal(t, map[string]string{"stage": "invalid_transition"}, fieldCodes(t, r.Value("fields")))
		assert.Equal(t, 2.0, count())

		// an api action's data call: win needs an amount (requiredWhen)
		r = u.Post("/api/v1/actions/opp/win/o1", `{}`).Status(t, 400)
		assert.Equal(t, "VALIDATION_FAILED", r.ErrorCode())
		u.Patch("/api/v1/data/opp/o1", `{"amount": 3}`).Status(t, 200)
		u.Post("/api/v1/actions/opp/win/o1", `{}`).Status(t, 200)
		u.Get("/api/v1/data/opp/o1").Equal(t, "record.stage", "closed_won")
	})
}

// The conditional predicates reach clients through the metadata.
func TestConditionalFieldsInMetadata(t *testing.T) {
	s := newServer(t, testenv.Open(t, testenv.SQLite), objectostestArtifact(t, rulesYAML),
		func(o *objectos.Options) { o.Plugins = []objectos.Plugin{rest.New(rest.Options{}), testAuth} })
	r := s.as("u").Get("/api/v1/meta/object/opp").Status(t, 200)
	assert.Equal(t, "record.stage in ['proposal', 'closed_won']", r.Value("data.item.fields.amount.requiredWhen"))
	assert.Equal(t, "previous.stage == 'closed_won'", r.Value("data.item.fields.notes.readonlyWhen"))
	assert.Equal(t, "record.stage != 'prospecting'", r.Value("data.item.fields.notes.visibleWhen"))
	opts := r.Value("data.item.fields.stage.options").([]any)
	assert.Equal(t, map[string]any{"value": "closed_won", "visibleWhen": "current_user.role == 'admin'"}, opts[2])
	assert.Equal(t, map[string]any{"value": "proposal"}, opts[1])
	_, has := r.Lookup("data.item.fields.name.requiredWhen")
	assert.False(t, has)
	// the validation rules as declared
	rules := r.Value("data.item.validations").([]any)
	require.Len(t, rules, 6)
	assert.Equal(t, map[string]any{"name": "discount_cap", "type": "script", "message": "Discount cannot exceed 40%.",
		"condition": "record.discount != null && record.discount > 40.0"}, rules[0])
	assert.Equal(t, map[string]any{"closed_won": []any{}, "closed_lost": []any{}}, rules[3].(map[string]any)["transitions"])

	d, err := s.Stack.Describe(objectos.WithPrincipal(t.Context(), &objectos.Principal{UserID: "u"}), "opp")
	require.NoError(t, err)
	assert.Equal(t, objectos.Expression("record.stage != 'prospecting'"), d.Object.Field("notes").VisibleWhen)
}

// BenchmarkCreateWithRules is a create through the handler on SQLite: on
// an object without rules, and on one with three (a script rule, a
// requiredWhen and a state machine). go test -bench CreateWithRules -benchmem ./rest
func BenchmarkCreateWithRules(b *testing.B) {
	const src = `
objects:
  - name: plain
    fields:
      name: {type: text}
      stage: {type: select, options: [{value: open}, {value: won}]}
      amount: {type: currency}
  - name: ruled
    fields:
      name: {type: text}
      stage: {type: select, options: [{value: open}, {value: won}]}
      amount: {type: currency, requiredWhen: "record.stage == 'won'"}
    validations:
      - {name: cap, type: script, condition: "record.amount != null && record.amount > 1000000", message: Too much.}
      - {name: final, type: state_machine, field: stage, transitions: {won: []}, message: Won stays won.}
`
	a, err := objectos.ParseArtifact([]byte(src))
	require.NoError(b, err)
	s := newServer(b, testenv.Open(b, testenv.SQLite), a, roomyRates)
	for _, object := range []string{"plain", "ruled"} {
		b.Run(object, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("POST", "/api/v1/data/"+object, strings.NewReader(`{"name":"Deal","stage":"won","amount":1234.5}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Test-User", "alice")
				rec := httptest.NewRecorder()
				s.Stack.ServeHTTP(rec, req)
				if rec.Code != 201 {
					b.Fatal(rec.Code, rec.Body.String())
				}
			}
		})
	}
}
