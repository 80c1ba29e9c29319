package objectos_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

// TestUpstreamCRMExample: the opportunity of upstream's CRM example
// (reference §1.6) loads and behaves, adapted where objectos differs:
// the summary field line_total (summary fields are not supported yet),
// trackHistory (not supported yet) and the "organization" scope of the
// unique index (no tenancy: unique: true) are left out; discount_percent,
// which its discount_cap rule reads, and the option qualification, which
// its state machine names, are declared (upstream's file declares more
// fields than the compact example shows).
func TestUpstreamCRMExample(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		a, err := objectos.ParseArtifact([]byte(upstreamOpportunity))
		require.NoError(t, err)
		s := newStack(t, st, a)
		ctx := as("rep")
		acct, err := s.Create(ctx, "crm_account", objectos.Record{"name": "Acme"})
		require.NoError(t, err)

		// defaults, the formula (with its null guards) and a read-only field
		r, err := s.Create(ctx, "crm_opportunity", objectos.Record{"name": "Deal", "account": acct.ID,
			"amount": 1000, "approval_status": "pending"})
		require.NoError(t, err)
		assert.Equal(t, "prospecting", r.Record["stage"])
		assert.Equal(t, 50.0, r.Record["probability"])
		assert.Equal(t, 500.0, r.Record["expected_revenue"])
		assert.Nil(t, r.Record["approval_status"])
		assert.Equal(t, []string{"approval_status"}, r.Dropped)
		blank, err := s.Create(ctx, "crm_opportunity", objectos.Record{"name": "Blank", "account": acct.ID})
		require.NoError(t, err)
		assert.Equal(t, 0.0, blank.Record["expected_revenue"], "a null amount counts as 0")

		// the formula is computed by the database: it filters and sorts
		f, err := objectos.ParseFilter([]byte(`{"expected_revenue":{"$gt":0}}`))
		require.NoError(t, err)
		list, err := s.List(ctx, "crm_opportunity", objectos.Query{Filter: f, Sort: []objectos.SortKey{{Field: "expected_revenue", Desc: true}}})
		require.NoError(t, err)
		require.Len(t, list.Records, 1)
		assert.Equal(t, r.ID, list.Records[0]["id"])

		// discount_cap (upstream's polarity: the condition is the invalid record)
		_, err = s.Update(ctx, "crm_opportunity", r.ID, objectos.Record{"discount_percent": 45}, objectos.WriteOptions{})
		e := requireCode(t, err, objectos.CodeValidationFailed)
		assert.Equal(t, map[string]string{"_record": objectos.FieldRuleViolation}, fieldCodes(e))
		_, err = s.Update(ctx, "crm_opportunity", r.ID, objectos.Record{"discount_percent": 40}, objectos.WriteOptions{})
		require.NoError(t, err)

		// opp_stage_transitions: prospecting moves to qualification or
		// closed_lost only; qualification is not governed; closed_won is final
		_, err = s.Update(ctx, "crm_opportunity", r.ID, objectos.Record{"stage": "closed_won"}, objectos.WriteOptions{})
		e = requireCode(t, err, objectos.CodeValidationFailed)
		assert.Equal(t, map[string]string{"stage": objectos.FieldInvalidTransition}, fieldCodes(e))
		for _, stage := range []string{"qualification", "closed_won"} {
			_, err = s.Update(ctx, "crm_opportunity", r.ID, objectos.Record{"stage": stage}, objectos.WriteOptions{})
			require.NoError(t, err, stage)
		}
		_, err = s.Update(ctx, "crm_opportunity", r.ID, objectos.Record{"stage": "closed_lost"}, objectos.WriteOptions{})
		requireCode(t, err, objectos.CodeValidationFailed)

		// the unique index on name (organization-wide upstream)
		_, err = s.Create(ctx, "crm_opportunity", objectos.Record{"name": "Deal", "account": acct.ID})
		requireCode(t, err, objectos.CodeUniqueViolation)
	})
}

const upstreamOpportunity = `{"name": "crm", "objects": [
{ "name": "crm_account", "fields": { "name": { "type": "text", "required": true } } },
{
  "name": "crm_opportunity",
  "label": "Opportunity", "pluralLabel": "Opportunities", "icon": "trending-up",
  "sharingModel": "public_read_write",
  "fields": {
    "name":    { "type": "text", "label": "Opportunity Name", "required": true, "searchable": true, "maxLength": 200 },
    "account": { "type": "lookup", "reference": "crm_account", "required": true },
    "stage":   { "type": "select", "required": true, "options": [
                  { "label": "Prospecting", "value": "prospecting", "default": true },
                  { "label": "Qualification", "value": "qualification" },
                  { "label": "Closed Won", "value": "closed_won" }, { "label": "Closed Lost", "value": "closed_lost" } ] },
    "amount":  { "type": "currency", "scale": 2, "min": 0 },
    "probability": { "type": "percent", "defaultValue": 50, "min": 0, "max": 100 },
    "expected_revenue": { "type": "formula",
        "expression": { "dialect": "cel", "source": "(record.amount == null ? 0 : record.amount) * (record.probability == null ? 0 : record.probability) / 100" } },
    "close_date": { "type": "date" },
    "discount_percent": { "type": "percent", "min": 0, "max": 100 },
    "approval_status": { "type": "select", "readonly": true, "options": [{ "label": "Pending", "value": "pending" }] }
  },
  "indexes": [ { "fields": ["stage"] }, { "fields": ["name"], "unique": true } ],
  "enable": { "apiEnabled": true, "apiMethods": ["get", "list", "create", "update", "delete"] },
  "validations": [
    { "type": "script", "name": "discount_cap", "condition": "record.discount_percent != null && record.discount_percent > 40",
      "message": "Discount cannot exceed 40% without an approved exception.", "severity": "error" },
    { "type": "state_machine", "name": "opp_stage_transitions", "field": "stage", "message": "Invalid stage transition.",
      "transitions": { "prospecting": ["qualification", "closed_lost"], "closed_won": [] } }
  ]
}]}`
