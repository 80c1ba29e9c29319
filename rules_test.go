package objectos_test

import (
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"

	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

// dealsYAML declares every kind of rule on one object.
const dealsYAML = `
name: deals
objects:
  - name: deal
    fields:
      name: {type: text, required: true}
      stage:
        type: select
        options:
          - {value: prospecting, default: true}
          - {value: proposal}
          - {value: negotiation, visibleWhen: "record.amount != null"}
          - {value: closed_won}
          - {value: closed_lost}
      amount:
        type: currency
        requiredWhen: "record.stage in ['proposal', 'negotiation', 'closed_won']"
      discount: {type: percent}
      code: {type: text}
      close_date: {type: date}
      terms: {type: json}
      notes: {type: textarea, readonlyWhen: "previous.stage in ['closed_won', 'closed_lost']", visibleWhen: "record.stage != 'prospecting'"}
    validations:
      - name: discount_cap
        type: script
        condition: "record.discount != null && record.discount > 40.0"
        message: Discount cannot exceed 40%.
      - name: discount_needs_amount
        type: cross_field
        fields: [discount, amount]
        condition: "discount != null && amount == null"
        message: A discount needs an amount.
      - name: code_format
        type: format
        field: code
        regex: "^[A-Z]{3}-[0-9]{4}$"
        message: The code is three capitals, a dash and four digits.
      - name: stage_flow
        type: state_machine
        field: stage
        initialStates: [prospecting, proposal]
        transitions:
          closed_won: []
          closed_lost: []
          prospecting: [proposal, closed_lost]
        message: That stage change is not allowed.
      - name: terms_shape
        type: json_schema
        field: terms
        schema:
          type: object
          required: [days]
          properties:
            days: {type: integer, minimum: 0}
        message: Terms need a whole number of days.
      - name: close_date_not_past
        type: script
        events: [insert]
        condition: "record.close_date != null && record.close_date < date(record.created_at)"
        message: The close date cannot be before the creation date.
      - name: big_deals_named
        type: conditional
        when: "record.amount != null && record.amount >= 1000000.0"
        message: Big deals are checked.
        then:
          type: script
          fields: [name]
          condition: "size(record.name) < 5"
          message: A big deal needs a real name.
      - name: off
        type: script
        active: false
        condition: "true"
        message: never
      - name: only_updates
        type: script
        events: [update]
        condition: "record.name == 'frozen'"
        message: Updates cannot name a deal frozen.
`

func dealsStack(t *testing.T, st objectos.Store, mod ...func(*objectos.Options)) *objectos.Stack {
	t.Helper()
	a, err := objectos.ParseArtifact([]byte(dealsYAML))
	require.NoError(t, err)
	return newStack(t, st, a, append([]func(*objectos.Options){func(o *objectos.Options) { o.Clock = newClock().Now }}, mod...)...)
}

// violations maps each failing field to its code.
func violations(t *testing.T, err error) map[string]string {
	t.Helper()
	return fieldCodes(requireCode(t, err, objectos.CodeValidationFailed))
}

func TestValidationRules(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := dealsStack(t, st)
		ctx := as("u1")
		create := func(data objectos.Record) (string, error) {
			r, err := s.Create(ctx, "deal", data)
			if err != nil {
				return "", err
			}
			return r.ID, nil
		}

		// every rule holds
		id, err := create(objectos.Record{"name": "Acme", "stage": "proposal", "amount": 500.0, "discount": 10.0,
			"code": "ABC-1234", "close_date": "2026-07-28", "terms": map[string]any{"days": 30}})
		require.NoError(t, err)

		tests := []struct {
			name string
			data objectos.Record
			want map[string]string
		}{
			{"script", objectos.Record{"name": "A", "amount": 1.0, "discount": 50.0}, map[string]string{"_record": "rule_violation"}},
			{"cross_field", objectos.Record{"name": "A", "discount": 5.0}, map[string]string{"discount": "rule_violation"}},
			{"format", objectos.Record{"name": "A", "code": "abc-1"}, map[string]string{"code": "invalid_format"}},
			{"json_schema", objectos.Record{"name": "A", "terms": map[string]any{"days": -1}}, map[string]string{"terms": "json_schema_violation"}},
			{"json_schema not an object", objectos.Record{"name": "A", "terms": []any{1}}, map[string]string{"terms": "json_schema_violation"}},
			{"initial state", objectos.Record{"name": "A", "stage": "closed_won", "amount": 1.0}, map[string]string{"stage": "invalid_initial_state"}},
			{"requiredWhen", objectos.Record{"name": "A", "stage": "proposal"}, map[string]string{"amount": "required"}},
			{"insert-only rule sees the creation time", objectos.Record{"name": "A", "close_date": "2026-07-27"}, map[string]string{"_record": "rule_violation"}},
			{"conditional then", objectos.Record{"name": "Big", "amount": 2e6}, map[string]string{"name": "rule_violation"}},
			{"all at once, with value errors", objectos.Record{"name": "A", "stage": "proposal", "discount": 50.0, "code": "x", "close_date": "nope"},
				map[string]string{"_record": "rule_violation", "amount": "required", "discount": "rule_violation", "code": "invalid_format", "close_date": "invalid_date"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := create(tc.data)
				assert.Equal(t, tc.want, violations(t, err))
			})
		}

		// the violation carries the rule's message and name
		_, err = create(objectos.Record{"name": "A", "code": "x"})
		e := requireCode(t, err, objectos.CodeValidationFailed)
		require.Len(t, e.Fields, 1)
		assert.Equal(t, objectos.FieldError{Field: "code", Code: "invalid_format",
			Message:    "The code is three capitals, a dash and four digits.",
			Constraint: map[string]any{"rule": "code_format"}}, e.Fields[0])
		assert.Equal(t, "The code is three capitals, a dash and four digits.", e.Message)

		// nothing failed was stored
		n, err := s.Count(ctx, "deal", objectos.Query{})
		require.NoError(t, err)
		assert.Equal(t, int64(1), n)

		// updates see the stored record with the patch applied
		update := func(data objectos.Record) error {
			_, err := s.Update(ctx, "deal", id, data, objectos.WriteOptions{})
			return err
		}
		assert.Equal(t, map[string]string{"_record": "rule_violation"}, violations(t, update(objectos.Record{"discount": 45.0})))
		assert.Equal(t, map[string]string{"amount": "required", "discount": "rule_violation"}, violations(t, update(objectos.Record{"amount": nil})),
			"the patch applied to the stored record: the discount is stored")
		assert.Equal(t, map[string]string{"_record": "rule_violation"}, violations(t, update(objectos.Record{"name": "frozen"})), "update-only rule")
		require.NoError(t, update(objectos.Record{"close_date": "2020-01-01"}), "insert-only rule skipped on update")
		require.NoError(t, update(objectos.Record{"code": "XYZ-0001"}))

		// state machine: a state without transitions may move anywhere, a
		// governed one only as listed; closed_won is final
		other, err := create(objectos.Record{"name": "Other"})
		require.NoError(t, err)
		_, err = s.Update(ctx, "deal", other, objectos.Record{"stage": "negotiation", "amount": 5.0}, objectos.WriteOptions{})
		assert.Equal(t, map[string]string{"stage": "invalid_transition"}, violations(t, err))
		_, err = s.Update(ctx, "deal", other, objectos.Record{"stage": "proposal", "amount": 5.0}, objectos.WriteOptions{})
		require.NoError(t, err)
		require.NoError(t, update(objectos.Record{"notes": "signed", "stage": "closed_won"}), "proposal is not governed")
		_, err = s.Update(ctx, "deal", id, objectos.Record{"stage": "proposal"}, objectos.WriteOptions{})
		e = requireCode(t, err, objectos.CodeValidationFailed)
		assert.Equal(t, []objectos.FieldError{{Field: "stage", Code: "invalid_transition", Message: "That stage change is not allowed.",
			Constraint: map[string]any{"rule": "stage_flow", "from": "closed_won", "allowed": []string{}}}}, e.Fields)
		require.NoError(t, update(objectos.Record{"stage": "closed_won"}), "no change is no transition")

		// readonlyWhen: once closed, notes cannot change (but may be sent unchanged)
		assert.Equal(t, map[string]string{"notes": "rule_violation"}, violations(t, update(objectos.Record{"notes": "edited"})))
		require.NoError(t, update(objectos.Record{"notes": "signed", "name": "Acme 2"}))
		r, err := s.Get(ctx, "deal", id, objectos.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, "signed", r.Record["notes"])
		assert.Equal(t, "closed_won", r.Record["stage"])
	})
}

// Every expression and rule is checked at New (and by ParseArtifact),
// each problem reported with its path.
func TestValidationRulesAtNew(t *testing.T) {
	src := `
objects:
  - name: deal
    fields:
      name: {type: text}
      amount: {type: currency, requiredWhen: "record.stage == 'won' && amout > 0.0"}
      stage:
        type: select
        readonlyWhen: "record.stage"
        options: [{value: open}, {value: won, visibleWhen: "current_user.rol == 'admin'"}]
      notes: {type: textarea, visibleWhen: {dialect: cel, source: "record.nme != ''"}}
      terms: {type: json}
    validations:
      - {name: ok, type: script, condition: {dialect: cel, source: "record.amount > 1.0"}, message: m}
      - {name: typo, type: script, condition: "amout > 1.0", message: m}
      - {name: field_typo, type: script, condition: "record.amout > 1.0", message: m}
      - {name: mistyped, type: script, condition: "record.amount > 'x'", message: m}
      - {name: not_bool, type: script, condition: "record.amount + 1.0", message: m}
      - {name: syntax, type: script, condition: "record.name ==", message: m}
      - {name: no_condition, type: script, message: m}
      - {name: cross, type: cross_field, condition: "true", message: m}
      - {name: cross_typo, type: cross_field, fields: [amont], condition: "true", message: m}
      - {name: bad_regex, type: format, field: name, regex: "^(?=x)", message: m}
      - {name: format_number, type: format, field: amount, format: email, message: m}
      - {name: format_nothing, type: format, field: name, format: zip, message: m}
      - {name: states, type: state_machine, field: stage, transitions: {opn: [won], won: [lost]}, message: m}
      - {name: states_of_text, type: state_machine, field: name, transitions: {a: [b]}, message: m}
      - {name: bad_schema, type: json_schema, field: terms, schema: {type: 5}, message: m}
      - {name: remote_schema, type: json_schema, field: terms, schema: {$ref: "https://example.com/s.json"}, message: m}
      - {name: schema_of_text, type: json_schema, field: name, schema: {type: object}, message: m}
      - {name: cond, type: conditional, when: "true", message: m}
      - {name: cond_nested, type: conditional, when: "true", message: m, then: {type: script, condition: "nope", message: m, events: [insert]}}
      - {name: mixed, type: script, condition: "true", regex: "x", message: m}
      - {name: unique_name, type: unique, message: m}
      - {name: no_message, type: script, condition: "true"}
      - {name: typo, type: script, condition: "true", message: m}
      - {name: warn, type: script, condition: "true", message: m, severity: warning}
      - {name: deletes, type: script, condition: "true", message: m, events: [delete], priority: 10000}
      - {type: script, condition: "true", message: m}
`
	_, err := objectos.ParseArtifact([]byte(src))
	p := problems(t, err)
	const o = "objects.deal."
	want := map[string]string{
		o + "fields.amount.requiredWhen":             "undeclared reference to 'amout' (did you mean 'amount'?)",
		o + "fields.stage.readonlyWhen":              "must be true or false, not a string",
		o + "fields.stage.options[1].visibleWhen":    "undefined field 'rol' (did you mean 'role'?)",
		o + "fields.notes.visibleWhen":               "undefined field 'nme' (did you mean 'name'?)",
		o + "validations.typo.condition":             "undeclared reference to 'amout' (did you mean 'amount'?)",
		o + "validations.field_typo.condition":       "undefined field 'amout' (did you mean 'amount'?)",
		o + "validations.mistyped.condition":         "found no matching overload for '_>_' applied to '(double, string)'",
		o + "validations.not_bool.condition":         "must be true or false, not a double",
		o + "validations.syntax.condition":           "Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}",
		o + "validations.no_condition.condition":     "is required: a CEL predicate, true when the record is invalid",
		o + "validations.cross.fields":               "a cross_field rule lists the fields it is about",
		o + "validations.cross_typo.fields[0]":       `unknown field "amont"; did you mean "amount"?`,
		o + "validations.bad_regex.regex":            "invalid or unsupported Perl syntax: `(?=` (Go regular expression syntax, RE2)",
		o + "validations.format_number.field":        "a format rule checks a text field; amount is a currency field",
		o + "validations.format_nothing.format":      `"zip" is not one of email, url, phone, json`,
		o + "validations.states.transitions.opn":     `"opn" is not an option of stage; did you mean "open"?`,
		o + "validations.states.transitions.won[0]":  `"lost" is not an option of stage`,
		o + "validations.states_of_text.field":       "a state_machine rule governs a select or radio field; name is a text field",
		o + "validations.bad_schema.schema":          "is not a valid JSON Schema: at '/type': value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'; at '/type': got number, want array",
		o + "validations.remote_schema.schema":       "refers to https://example.com/s.json; references to other documents are not supported",
		o + "validations.schema_of_text.field":       "a json_schema rule checks a json field; name is a text field",
		o + "validations.cond.then":                  "is required: the rule that applies while when holds",
		o + "validations.cond_nested.then":           "events, priority and severity belong to the outer rule",
		o + "validations.cond_nested.then.condition": "undeclared reference to 'nope' (did you mean 'name'?)",
		o + "validations.mixed.regex":                "does not apply to script rules",
		o + "validations.unique_name.type":           `"unique" is not a rule type; declare a unique index or a unique field`,
		o + "validations.no_message.message":         "is required",
		o + "validations.typo.name":                  `duplicate validation rule "typo"`,
		o + "validations.warn.severity":              `"warning" is not supported yet (every rule is an error)`,
		o + "validations.deletes.events[0]":          `"delete" is not one of insert, update`,
		o + "validations.deletes.priority":           "must be between 0 and 9999",
		o + "validations[25].name":                   "is required",
	}
	for path, msg := range want {
		assert.Equal(t, msg, p[path], path)
	}
	assert.Len(t, p, len(want), "%v", p)

	// the shape of rules is checked before their meaning
	_, err = objectos.ParseArtifact([]byte(`{"objects": [{"name": "x", "fields": {"a": {"type": "text", "requiredWhen": 5}},
		"validations": [{"name": "r", "type": "script", "expression": "true", "message": "m"},
		                {"name": "s", "type": "script", "condition": {"dialect": "js", "source": "true"}, "message": "m"}]}]}`))
	p = problems(t, err)
	assert.Equal(t, map[string]string{
		"objects.x.fields.a.requiredWhen":           "must be a CEL expression (a string), not a number",
		"objects.x.validations.r.expression":        `unknown key; validation rules write their CEL predicate as "condition", true when the record is invalid`,
		"objects.x.validations.s.condition.dialect": `must be "cel" (other dialects are not supported)`,
	}, p)
}

// A condition that cannot be evaluated — a null where a number is needed,
// or more work than the cost limit allows — refuses the write, telling the
// caller which rule and logging why.
func TestValidationRulesFailClosed(t *testing.T) {
	a, err := objectos.ParseArtifact([]byte(`
objects:
  - name: thing
    fields:
      name: {type: text}
      amount: {type: number}
    validations:
      - name: unguarded
        type: script
        condition: "record.amount > 10.0"
        message: The amount is too large.
      - name: slow
        type: script
        fields: [name]
        condition: >-
          record.name == 'slow' && [1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b,
          [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e,
          [1,2,3,4,5,6,7,8,9,10].all(f, a + b + c + d + e + f > 0))))))
        message: Slow names are refused.
`))
	require.NoError(t, err)
	logs := &logBuffer{}
	s := newStack(t, testenv.Open(t, testenv.SQLite), a, func(o *objectos.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	})
	ctx := as("u1")

	_, err = s.Create(ctx, "thing", objectos.Record{"name": "a", "amount": 5.0})
	require.NoError(t, err)

	_, err = s.Create(ctx, "thing", objectos.Record{"name": "a"})
	e := requireCode(t, err, objectos.CodeValidationFailed)
	assert.Equal(t, []objectos.FieldError{{Field: "_record", Code: "rule_violation", Message: "The amount is too large.",
		Constraint: map[string]any{"rule": "unguarded", "reason": "unevaluable"}}}, e.Fields)

	_, err = s.Create(ctx, "thing", objectos.Record{"name": "slow", "amount": 1.0})
	e = requireCode(t, err, objectos.CodeValidationFailed)
	assert.Equal(t, []objectos.FieldError{{Field: "name", Code: "rule_violation", Message: "Slow names are refused.",
		Constraint: map[string]any{"rule": "slow", "reason": "unevaluable"}}}, e.Fields)

	lines := logs.lines(t, "objectos: a validation rule could not be evaluated; the write is refused")
	require.Len(t, lines, 2)
	assert.Equal(t, "unguarded", lines[0]["rule"])
	assert.Equal(t, "slow", lines[1]["rule"])
	assert.Contains(t, lines[1]["err"], "cost limit exceeded")
	n, err := s.Count(ctx, "thing", objectos.Query{})
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
}

// TestREADMEValidationRules: the README's example artifact is valid, and
// its example request gets the answer the README shows, field for field.
func TestREADMEValidationRules(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "### Validation rules and conditional fields")
	require.True(t, ok, "the README has no section on validation rules")
	section, _, _ = strings.Cut(section, "\n## ")
	_, yamlBlock, ok := strings.Cut(section, "```yaml\n")
	require.True(t, ok)
	yamlBlock, _, _ = strings.Cut(yamlBlock, "```\n")
	_, exchange, ok := strings.Cut(section, "```\nPOST ")
	require.True(t, ok)
	exchange, _, _ = strings.Cut(exchange, "```\n")
	request, answer, _ := strings.Cut(exchange, "\n\n")
	path, body, _ := strings.Cut(request, " ")
	status, want, _ := strings.Cut(strings.TrimSpace(answer), " ")

	a, err := objectos.ParseArtifact([]byte(yamlBlock))
	require.NoError(t, err)
	env := objectostest.New(t, a, objectostest.Options{
		Without: []string{"auth", "apikey", "security"},
		Plugins: []objectos.Plugin{objectos.AuthFunc(func(*http.Request) (*objectos.Principal, error) {
			return &objectos.Principal{UserID: "u1", Method: objectos.AuthCustom}, nil
		})},
	})
	r := env.Client().Post(path, body)
	assert.Equal(t, status, strconv.Itoa(r.StatusCode))
	assert.JSONEq(t, want, r.String())

	// and the error of a typo is the one the README quotes
	_, err = objectos.ParseArtifact([]byte(strings.Replace(yamlBlock, "record.discount != null", "record.discount != null && discont > 1", 1)))
	var ae *objectos.ArtifactError
	require.ErrorAs(t, err, &ae)
	require.Len(t, ae.Problems, 1)
	assert.Contains(t, strings.Join(strings.Fields(section), " "), "`"+ae.Problems[0].String()+"`")
}
