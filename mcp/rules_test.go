package mcp_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

// withRules adds validation rules to the CRM: a won opportunity needs an
// amount and stays won; a finance account needs its revenue.
func withRules(o *objectos.Options) {
	acc, opp := o.Artifact.Object("crm_account"), o.Artifact.Object("crm_opportunity")
	acc.Validations = []*objectos.ValidationRule{{Name: "finance_revenue", Type: objectos.RuleCrossField,
		Fields: []string{"annual_revenue"}, Condition: "record.industry == 'finance' && record.annual_revenue == null",
		Message: "A finance account needs its annual revenue."}}
	opp.Validations = []*objectos.ValidationRule{
		{Name: "won_amount", Type: objectos.RuleScript, Fields: []string{"amount"},
			Condition: "record.stage == 'closed_won' && record.amount == null", Message: "A won opportunity needs an amount."},
		{Name: "won_is_final", Type: objectos.RuleStateMachine, Field: "stage",
			Transitions: map[string][]string{"closed_won": {}}, Message: "A won opportunity stays won."},
	}
}

// Tool calls are writes like any other: the object's rules apply to
// create_record, update_record and the data calls of run_action.
func TestValidationRulesOnTools(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, nil, withRules)
		a := e.mustConnect(e.signUp("admin").key)

		v := a.fails("VALIDATION_FAILED", "create_record", map[string]any{"objectName": "crm_account",
			"data": map[string]any{"name": "Bank", "industry": "finance"}})
		assert.Equal(t, []any{map[string]any{"field": "annual_revenue", "code": "rule_violation",
			"message": "A finance account needs its annual revenue.", "constraint": map[string]any{"rule": "finance_revenue"}}}, v.err["fields"])

		acc := a.must("create_record", map[string]any{"objectName": "crm_account", "data": map[string]any{"name": "Shop", "industry": "technology"}})
		accID := acc["id"].(string)
		a.fails("VALIDATION_FAILED", "update_record", map[string]any{"objectName": "crm_account", "recordId": accID,
			"data": map[string]any{"industry": "finance"}})
		// the api action archive sets industry: finance
		a.fails("VALIDATION_FAILED", "run_action", map[string]any{"actionName": "archive", "objectName": "crm_account", "recordId": accID})
		a.must("update_record", map[string]any{"objectName": "crm_account", "recordId": accID, "data": map[string]any{"annual_revenue": 10.0}})
		a.must("run_action", map[string]any{"actionName": "archive", "objectName": "crm_account", "recordId": accID})

		// the script action close_won updates the stage
		opp := a.must("create_record", map[string]any{"objectName": "crm_opportunity", "data": map[string]any{"name": "Deal"}})
		oppID := opp["id"].(string)
		v = a.fails("VALIDATION_FAILED", "run_action", map[string]any{"actionName": "close_won", "recordId": oppID})
		assert.Equal(t, "A won opportunity needs an amount.", v.err["message"])
		a.must("update_record", map[string]any{"objectName": "crm_opportunity", "recordId": oppID, "data": map[string]any{"amount": 5.0}})
		a.must("run_action", map[string]any{"actionName": "close_won", "recordId": oppID})
		v = a.fails("VALIDATION_FAILED", "update_record", map[string]any{"objectName": "crm_opportunity", "recordId": oppID,
			"data": map[string]any{"stage": "prospecting"}})
		assert.Equal(t, "invalid_transition", v.err["fields"].([]any)[0].(map[string]any)["code"])
	})
}
