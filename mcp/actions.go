package mcp

import (
	"context"
	"strings"

	"github.com/objectos-go/objectos"
)

// The action tools: list_actions and run_action, the declared actions of
// the objects agents may see, as Stack.RunAction runs them for the caller.

// actionList is list_actions' result.
type actionList struct {
	Actions    []actionSummary `json:"actions"`
	TotalCount int             `json:"totalCount"`
}

type actionSummary struct {
	Name        string        `json:"name" jsonschema:"the actionName for run_action"`
	ObjectName  string        `json:"objectName" jsonschema:"the object that declares it"`
	Label       string        `json:"label"`
	Description string        `json:"description,omitempty"`
	Type        string        `json:"type" jsonschema:"script (server code) or api (a data operation)"`
	ConfirmText string        `json:"confirmText,omitempty" jsonschema:"what a user interface asks before running it"`
	Params      []actionParam `json:"params" jsonschema:"the parameters run_action takes in params"`
}

type actionParam struct {
	Name         string   `json:"name"`
	Type         string   `json:"type" jsonschema:"a field type: text, number, boolean, date, select, lookup, …"`
	Label        string   `json:"label"`
	Required     bool     `json:"required"`
	Description  string   `json:"description,omitempty"`
	Options      []string `json:"options,omitempty" jsonschema:"the allowed values"`
	Reference    string   `json:"reference,omitempty" jsonschema:"the object whose record id a lookup takes"`
	DefaultValue any      `json:"defaultValue,omitempty"`
}

type runArgs struct {
	ActionName string         `json:"actionName" jsonschema:"the action's name, as list_actions gives it"`
	ObjectName string         `json:"objectName,omitempty" jsonschema:"the object that declares the action; needed only when several do"`
	RecordID   string         `json:"recordId,omitempty" jsonschema:"the record to run it on, for actions on a record"`
	Params     map[string]any `json:"params,omitempty" jsonschema:"the action's parameters by name"`
}

// actionResult is run_action's result.
type actionResult struct {
	ActionName string `json:"actionName"`
	ObjectName string `json:"objectName"`
	RecordID   string `json:"recordId,omitempty"`
	Result     any    `json:"result" jsonschema:"what the action returned (often the changed record)"`
}

func (s *server) listActions() tool[noArgs, actionList] {
	return tool[noArgs, actionList]{
		name: "list_actions", title: "List actions",
		description: "Lists the actions the caller may run, on the objects they may see, with their parameters. Run one with run_action.",
		hints:       hints{readOnly: true, idempotent: true},
		run: func(ctx context.Context, _ *noArgs) (*actionList, error) {
			if err := s.st.Charge(ctx, objectos.AccessRead, ""); err != nil {
				return nil, err
			}
			descs, err := s.st.DescribeAll(ctx)
			if err != nil {
				return nil, err
			}
			out := &actionList{Actions: []actionSummary{}}
			for _, d := range descs {
				if !s.visible(d.Object) {
					continue
				}
				for _, a := range d.Object.Actions {
					out.Actions = append(out.Actions, summarizeAction(d.Object, a))
				}
			}
			out.TotalCount = len(out.Actions)
			return out, nil
		},
	}
}

func summarizeAction(o *objectos.Object, a *objectos.Action) actionSummary {
	typ := string(a.Type)
	if typ == "" {
		typ = string(objectos.ActionScript)
	}
	out := actionSummary{Name: a.Name, ObjectName: o.Name, Label: labelOf(a.Label, a.Name), Description: a.Description,
		Type: typ, ConfirmText: a.ConfirmText, Params: []actionParam{}}
	for _, p := range a.Params {
		ap := actionParam{Name: p.Name, Type: string(p.Type), Label: labelOf(p.Label, p.Name), Required: p.Required,
			Description: p.HelpText, Reference: p.Reference, DefaultValue: p.DefaultValue}
		for _, opt := range p.Options {
			ap.Options = append(ap.Options, opt.Value)
		}
		out.Params = append(out.Params, ap)
	}
	return out
}

func (s *server) runAction() tool[runArgs, actionResult] {
	return tool[runArgs, actionResult]{
		name: "run_action", title: "Run an action",
		description: "Runs a declared action as the caller, on a record (recordId) when the action needs one, with its " +
			"parameters (params, as list_actions describes them). Actions may change data.",
		hints: hints{destructive: true},
		run: func(ctx context.Context, in *runArgs) (*actionResult, error) {
			object, err := s.actionObject(ctx, in.ActionName, in.ObjectName)
			if err != nil {
				return nil, err
			}
			if _, err := s.begin(ctx, object, "", objectos.AccessUpdate); err != nil {
				return nil, err
			}
			res, err := s.st.RunAction(ctx, object, in.ActionName, in.RecordID, in.Params)
			if err != nil {
				return nil, err
			}
			return &actionResult{ActionName: in.ActionName, ObjectName: object, RecordID: in.RecordID, Result: res}, nil
		},
	}
}

// actionObject is the object whose action an agent runs: the one it names,
// or else the one object it may see that declares the action.
func (s *server) actionObject(ctx context.Context, action, object string) (string, error) {
	if object != "" {
		return object, nil
	}
	descs, err := s.st.DescribeAll(ctx)
	if err != nil {
		return "", err
	}
	var found []string
	for _, d := range descs {
		if s.visible(d.Object) && d.Object.Action(action) != nil {
			found = append(found, d.Object.Name)
		}
	}
	switch len(found) {
	case 0:
		return "", objectos.Errorf(objectos.CodeActionNotFound, "No action named '%s'.", clip(action)).With("action", clip(action))
	case 1:
		return found[0], nil
	}
	return "", &objectos.Error{Code: objectos.CodeValidationFailed,
		Message: "Several objects declare the action '" + clip(action) + "'; name one in objectName.",
		Fields: []objectos.FieldError{{Field: "objectName", Code: objectos.FieldRequired,
			Message: "objectName is required: one of " + strings.Join(found, ", ")}}}
}
