package objectos

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/objectos-go/objectos/internal/suggest"
)

// ActionHandler runs a script action. The context carries the caller's
// principal and the action's transaction: data calls made through
// call.Stack with it run as the caller, under the caller's permissions, and
// join the transaction, so an error rolls every one of them back.
type ActionHandler func(ctx context.Context, call *ActionCall) (any, error)

// ActionCall is what an action handler receives.
type ActionCall struct {
	// Stack is the data API; use it with the handler's context.
	Stack  *Stack
	Object *Object
	Action *Action
	// Principal is the caller (nil when running as the system).
	Principal *Principal
	// RecordID and Record are the record the action runs on, loaded under
	// the caller's read access; empty when the call names none.
	RecordID string
	Record   Record
	// Params are the declared parameters, checked and in wire form, with
	// defaults applied.
	Params map[string]any
}

// actionKey is how Options.ActionHandlers names a handler.
func actionKey(object, action string) string { return object + "." + action }

// checkActionHandlers makes sure every script action has a handler and every
// handler a script action.
func (s *Stack) checkActionHandlers() error {
	var problems []string
	for _, o := range s.order {
		for _, a := range o.Actions {
			if (a.Type == "" || a.Type == ActionScript) && s.handlers[actionKey(o.Name, a.Name)] == nil {
				problems = append(problems, fmt.Sprintf("objects.%s.actions.%s: script action without a handler; register one in Options.ActionHandlers[%q]",
					o.Name, a.Name, actionKey(o.Name, a.Name)))
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(s.handlers)) {
		obj, name, _ := strings.Cut(key, ".")
		o := s.objects[obj]
		var a *Action
		if o != nil {
			a = o.Action(name)
		}
		if a == nil || (a.Type != "" && a.Type != ActionScript) {
			problems = append(problems, fmt.Sprintf("Options.ActionHandlers[%q]: no script action %q is declared on %q", key, name, obj))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("objectos: actions:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// permissionSetsOf returns the names of the permission sets a principal
// holds: the default sets and the assigned ones.
func (s *Stack) permissionSetsOf(p *Principal) map[string]bool {
	out := map[string]bool{}
	for _, ps := range s.artifact.PermissionSets {
		if ps != nil && ps.IsDefault {
			out[ps.Name] = true
		}
	}
	if p != nil {
		for _, n := range p.PermissionSets {
			out[n] = true
		}
	}
	return out
}

// RunAction runs a declared action as the caller: the caller must be able
// to read the object and hold the action's requiredPermissions (permission
// set names; administrators hold all); the record, when given, is loaded
// under the caller's read access (RECORD_NOT_FOUND otherwise); params are
// checked against their declaration (VALIDATION_FAILED for unknown, missing
// required or mistyped ones). Script actions run their handler and api
// actions their data call, in one transaction.
func (s *Stack) RunAction(ctx context.Context, object, action, recordID string, params map[string]any) (any, error) {
	o, err := s.lookup(object)
	if err != nil {
		return nil, err
	}
	a := o.Action(action)
	if a == nil {
		return nil, quotedf(CodeActionNotFound, "Action '%s' is not declared on '%s'.", action, object).
			With("object", object).With("action", action)
	}
	p, sys, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	g, readF, err := s.authorize(ctx, p, sys, o, AccessRead)
	if err != nil {
		return nil, err
	}
	if !sys && !p.IsAdmin() {
		held := s.permissionSetsOf(p)
		for _, rp := range a.RequiredPermissions {
			if !held[rp] {
				return nil, Errorf(CodePermissionDenied, "Action '%s' requires the permission '%s'.", action, rp).
					With("object", object).With("action", action)
			}
		}
	}
	if recordID == "" && a.NeedsRecord() {
		msg := fmt.Sprintf("Action '%s' runs on a record: name it in the path (/actions/%s/%s/{recordId}) or as recordId.", a.Name, o.Name, a.Name)
		return nil, validationFailed(o.Name, []FieldError{{Field: "recordId", Code: FieldRequired, Message: msg}}).With("action", a.Name)
	}
	checked, err := checkParams(o, a, params)
	if err != nil {
		return nil, err
	}
	rc := &call{s: s, o: o, p: p, sys: sys, g: g, rf: readF}
	var out any
	err = s.transact(ctx, func(ctx context.Context, tx Tx) error {
		call := &ActionCall{Stack: s, Object: o, Action: a, Principal: p, RecordID: recordID, Params: checked}
		if recordID != "" {
			if !ValidID(recordID) {
				return notFound(o, recordID)
			}
			rows, err := tx.Find(ctx, o, &Select{Where: And(&Filter{Op: OpEq, Field: FieldID, Value: recordID}, readF), Limit: 1})
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				return notFound(o, recordID)
			}
			fields, _ := rc.projection(nil)
			s.computeFormulas(ctx, o, rows[0], fields)
			call.Record = wireInPlace(o, rows[0], fields)
		}
		switch a.Type {
		case ActionAPI:
			out, err = s.runAPIAction(ctx, call)
		default:
			h := s.handlers[actionKey(o.Name, a.Name)]
			if h == nil {
				return Errorf(CodeInternal, "Action '%s' has no handler.", action)
			}
			out, err = h(context.WithValue(ctx, savepointKey, true), call)
		}
		for _, ao := range s.actionObservers {
			if err != nil {
				break
			}
			err = ao.ActionRan(ctx, call)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkParams validates params against the action's declaration and
// returns them in wire form with defaults applied.
func checkParams(o *Object, a *Action, params map[string]any) (map[string]any, error) {
	declared := map[string]*ActionParam{}
	var names []string
	for _, prm := range a.Params {
		declared[prm.Name] = prm
		names = append(names, prm.Name)
	}
	var errs []FieldError
	keys := slices.Sorted(maps.Keys(params))
	out := make(map[string]any, len(a.Params))
	for _, k := range keys {
		prm := declared[k]
		if prm == nil {
			msg := fmt.Sprintf("unknown parameter %s", clip(k))
			if sg := suggest.Closest(k, names); sg != "" {
				msg += fmt.Sprintf("; did you mean %s?", sg)
			}
			errs = append(errs, FieldError{Field: clip(k), Code: FieldUnknown, Message: msg})
			continue
		}
		f := prm.asField()
		c, fe := normalizeValue(f, params[k])
		if fe != nil {
			errs = append(errs, *fe)
			continue
		}
		if c == nil && prm.Required {
			errs = append(errs, FieldError{Field: k, Code: FieldRequired, Message: fmt.Sprintf("%s is required", k)})
			continue
		}
		out[k] = toWire(f, c)
	}
	for _, prm := range a.Params {
		if _, given := params[prm.Name]; given {
			continue
		}
		f := prm.asField()
		d, _ := normalizeDefault(f, "", nowUTC())
		switch {
		case d != nil:
			out[prm.Name] = toWire(f, d)
		case prm.Required:
			errs = append(errs, FieldError{Field: prm.Name, Code: FieldRequired, Message: fmt.Sprintf("%s is required", prm.Name)})
		}
	}
	if len(errs) > 0 {
		e := validationFailed(o.Name, errs)
		e.With("action", a.Name)
		return nil, e
	}
	return out, nil
}

// runAPIAction performs an api action's data call in process, as the
// caller: PATCH and DELETE on {base}/data/{object}/{id}, POST on
// {base}/data/{object}. The body is the params with bodyExtra merged last.
func (s *Stack) runAPIAction(ctx context.Context, call *ActionCall) (any, error) {
	a := call.Action
	target := a.Target
	for _, ph := range recordPlaceholders {
		target = strings.ReplaceAll(target, ph, url.PathEscape(call.RecordID))
	}
	path := strings.TrimPrefix(target, s.base)
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != "data" {
		return nil, Errorf(CodeInternal, "Action '%s' targets a route objectos cannot call in process.", a.Name)
	}
	object := parts[1]
	body := Record{}
	maps.Copy(body, call.Params)
	maps.Copy(body, a.BodyExtra)
	method := strings.ToUpper(a.Method)
	switch {
	case len(parts) == 3 && (method == "PATCH" || method == ""):
		id, _ := url.PathUnescape(parts[2])
		res, err := s.Update(ctx, object, id, body, WriteOptions{})
		if err != nil {
			return nil, err
		}
		return map[string]any{"object": object, "id": res.ID, "record": res.Record}, nil
	case len(parts) == 3 && method == "DELETE":
		id, _ := url.PathUnescape(parts[2])
		if err := s.Delete(ctx, object, id, WriteOptions{}); err != nil {
			return nil, err
		}
		return map[string]any{"object": object, "id": id, "success": true}, nil
	case len(parts) == 2 && (method == "POST" || method == ""):
		res, err := s.Create(ctx, object, body)
		if err != nil {
			return nil, err
		}
		return map[string]any{"object": object, "id": res.ID, "record": res.Record}, nil
	}
	return nil, Errorf(CodeInternal, "Action '%s' targets a route objectos cannot call in process.", a.Name)
}
