package objectos

// Expression is a CEL expression of the artifact: a validation rule's
// condition, a field's requiredWhen. In JSON and YAML it is a string, or
// upstream's envelope {"dialect": "cel", "source": "…"}. New parses and
// type-checks every expression against its object's fields; the README's
// "Validation rules" lists the variables and functions it may use.
type Expression string

// RuleType is the kind of a validation rule.
type RuleType string

// Validation rule types (reference §8.2).
const (
	// RuleScript: Condition is a CEL predicate that is true when the record
	// is invalid.
	RuleScript RuleType = "script"
	// RuleCrossField is a script rule over several fields, reported on the
	// first of Fields.
	RuleCrossField RuleType = "cross_field"
	// RuleFormat: Field's value must match Regex (Go RE2 syntax) and Format
	// (email, url, phone or json).
	RuleFormat RuleType = "format"
	// RuleStateMachine: Field (a select field) may only move from a value to
	// one of Transitions[value]; a create may only start in InitialStates.
	RuleStateMachine RuleType = "state_machine"
	// RuleJSONSchema: Field (a json field) must match Schema.
	RuleJSONSchema RuleType = "json_schema"
	// RuleConditional applies Then while When holds and Otherwise when it
	// does not.
	RuleConditional RuleType = "conditional"
)

// RuleEvent is a write a validation rule applies to.
type RuleEvent string

// Rule events. A rule without events applies to both.
const (
	EventInsert RuleEvent = "insert"
	EventUpdate RuleEvent = "update"
)

// ValidationRule is a business rule of an object, checked by the engine on
// every create and update from every surface, after the values are checked
// against their fields. A create sees the record it would store, an update
// the stored record with the update applied (and the stored record as
// previous). Violations are VALIDATION_FAILED, reported together with one
// entry per rule: the field (Fields[0] or Field; "_record" for a script rule
// without fields), a code — rule_violation (script, cross_field),
// invalid_format, json_schema_violation, invalid_transition,
// invalid_initial_state — and Message. A condition that cannot be
// evaluated (a null where a value is needed, the cost limit) fails closed:
// rule_violation with constraint {rule, reason: "unevaluable"}.
type ValidationRule struct {
	// Name identifies the rule (snake_case); required except in Then and
	// Otherwise.
	Name        string   `json:"name,omitempty"`
	Label       string   `json:"label,omitempty"`
	Description string   `json:"description,omitempty"`
	Type        RuleType `json:"type"`
	// Active false turns the rule off; nil means true.
	Active *bool `json:"active,omitempty"`
	// Events are the writes the rule applies to; empty means insert and
	// update.
	Events []RuleEvent `json:"events,omitempty"`
	// Priority orders the rules, lower first (0 to 9999); nil means 100.
	Priority *int     `json:"priority,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	// Severity must be "error" (the default): warnings are not supported
	// yet.
	Severity string `json:"severity,omitempty"`
	// Message is the violation's message, shown to the caller. Required.
	Message string `json:"message"`

	// Condition (script, cross_field) is true when the record is invalid.
	Condition Expression `json:"condition,omitempty"`
	// Fields (cross_field, optional on script) are the fields the rule is
	// about; the violation names the first.
	Fields []string `json:"fields,omitempty"`
	// Field is the field of a format, state_machine or json_schema rule.
	Field string `json:"field,omitempty"`
	// Regex and Format (format rules): a Go regular expression the value
	// must match, and a named format: email, url, phone or json. Either or
	// both. Empty values are left to required.
	Regex  string `json:"regex,omitempty"`
	Format string `json:"format,omitempty"`
	// Transitions (state_machine) maps a value to the values it may change
	// to; a value that is not a key may change to any.
	Transitions map[string][]string `json:"transitions,omitempty"`
	// InitialStates (state_machine) are the values a create may set; empty
	// means any.
	InitialStates []string `json:"initialStates,omitempty"`
	// Schema (json_schema) is a JSON Schema (draft 2020-12 unless $schema
	// says otherwise); references to other documents are refused.
	Schema any `json:"schema,omitempty"`
	// When, Then and Otherwise (conditional): Then applies while When
	// holds, Otherwise (optional) while it does not.
	When      Expression      `json:"when,omitempty"`
	Then      *ValidationRule `json:"then,omitempty"`
	Otherwise *ValidationRule `json:"otherwise,omitempty"`
}

// IsActive reports whether the rule is on.
func (r *ValidationRule) IsActive() bool { return r.Active == nil || *r.Active }

// appliesTo reports whether the rule runs on a create (insert) or update.
func (r *ValidationRule) appliesTo(e RuleEvent) bool {
	if len(r.Events) == 0 {
		return true
	}
	for _, x := range r.Events {
		if x == e {
			return true
		}
	}
	return false
}

func (r *ValidationRule) priority() int {
	if r.Priority == nil {
		return 100
	}
	return *r.Priority
}
