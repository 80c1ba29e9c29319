package objectos

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// prepare checks input for a create (existing nil) or an update and
// returns the canonical values to store and the dropped fields. Its steps
// run in this order, and the first refusal ends it: every key names a field
// (checkKnown); every given value is one the caller may write, in canonical
// form (normalize); a create gets the defaults of the fields not given
// (addDefaults); the object's validation rules and conditional fields
// hold (checkRules); the invalid values and broken rules are reported
// together; an owner change
// is a transfer the grant allows (checkOwner); references point at records
// the caller can see (checkReferences); the system fields are stamped
// (stampCreate, stampUpdate); the row-level policies let the record be
// written (checkPolicies); the secrets are encrypted (sealSecrets).
func (c *call) prepare(ctx context.Context, tx Tx, input, existing Record, now time.Time) (Record, []string, error) {
	creating := existing == nil
	keys := slices.Sorted(maps.Keys(input))
	if err := c.checkKnown(keys); err != nil {
		return nil, nil, err
	}
	values, dropped, errs, err := c.normalize(input, keys, creating)
	if err != nil {
		return nil, nil, err
	}
	if creating {
		missing, err := c.addDefaults(values, input, now)
		if err != nil {
			return nil, nil, err
		}
		errs = append(errs, missing...)
	}
	if c.o.rules != nil {
		// on a copy of the call: the rules keep it, and c itself must not
		// escape, or every create of an object without rules would pay
		// for its allocation
		rc := *c
		errs = rc.checkRules(ctx, values, existing, now, errs)
	}
	if len(errs) > 0 {
		return nil, nil, validationFailed(c.o.Name, errs)
	}
	if err := c.checkOwner(values, existing); err != nil {
		return nil, nil, err
	}
	if err := c.checkReferences(ctx, tx, values, existing); err != nil {
		return nil, nil, err
	}
	if creating {
		if err := c.stampCreate(ctx, tx, values, now); err != nil {
			return nil, nil, err
		}
	} else {
		c.stampUpdate(values, existing, now)
	}
	if c.o.policies != nil {
		image := values
		if !creating {
			image = maps.Clone(existing)
			maps.Copy(image, values)
		}
		if err := c.checkPolicies(ctx, tx, image, existing, now); err != nil {
			return nil, nil, err
		}
	}
	if c.o.secrets != nil {
		if err := c.sealSecrets(ctx, values, existing); err != nil {
			return nil, nil, err
		}
	}
	return values, dropped, nil
}

// checkKnown refuses input keys (sorted) that name no field the caller may
// see, naming the first one, or all of them when there are several.
func (c *call) checkKnown(keys []string) error {
	var unknown []string
	for _, k := range keys {
		if f := c.o.Field(k); f == nil || (f.Internal && !c.sys) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	e := c.unknownField(unknown[0], CodeInvalidField)
	if len(unknown) > 1 {
		e.Message = fmt.Sprintf("Unknown fields on object '%s': %s.", c.o.Name, strings.Join(unknown, ", "))
		e.With("fields", unknown)
	}
	return e
}

// normalize converts the given values (keys sorted) to canonical form. It
// drops what the caller may not write (the id of an update, system,
// autonumber and readonly fields) and skips a password or secret left
// masked; an
// invalid value is a field error, collected; a field the caller may not
// edit refuses the whole input.
func (c *call) normalize(input Record, keys []string, creating bool) (values Record, dropped []string, errs []FieldError, err error) {
	values = make(Record, len(c.o.Fields))
	for _, k := range keys {
		f := c.o.Field(k)
		v := input[k]
		switch {
		case k == FieldID:
			if !creating {
				dropped = append(dropped, k)
				continue
			}
			if v == nil {
				continue
			}
			id, ok := v.(string)
			if !ok || !ValidID(id) {
				errs = append(errs, FieldError{Field: k, Code: FieldInvalidValue,
					Message: "id must be 1 to 128 letters, digits, _ . : or -, starting with a letter or digit"})
				continue
			}
			values[k] = id
			continue
		case f.Type == TypeFormula:
			dropped = append(dropped, k)
			continue
		case f.System && k != FieldOwner && !c.sys:
			dropped = append(dropped, k)
			continue
		case f.Kind() == KindAutonumber && !c.sys:
			dropped = append(dropped, k)
			continue
		case f.Readonly && !c.sys:
			dropped = append(dropped, k)
			continue
		case (f.Kind() == KindPassword || f.Kind() == KindSecret) && v == MaskedValue:
			continue
		}
		if !c.sys && !c.g.CanEdit(k) {
			return nil, nil, nil, fieldError(c.o, k, CodeFieldNotAccessible, "Field '%s' is not editable.", k)
		}
		cv, fe := normalizeValue(f, v)
		if fe != nil {
			errs = append(errs, *fe)
			continue
		}
		if cv == nil && f.Required {
			errs = append(errs, FieldError{Field: k, Code: FieldRequired, Message: fmt.Sprintf("%s is required", k)})
			continue
		}
		values[k] = cv
	}
	return values, dropped, errs, nil
}

// addDefaults sets the default of every field a create does not give (or
// gives but may not write) and returns a field error for each required
// one left without a value. A default that does not normalize is an error
// of the artifact, not of the input.
func (c *call) addDefaults(values, input Record, now time.Time) ([]FieldError, error) {
	var errs []FieldError
	for _, f := range c.o.Fields {
		if _, given := values[f.Name]; given || f.System || f.Kind() == KindAutonumber {
			continue
		}
		if _, given := input[f.Name]; given && !(f.Readonly && !c.sys) {
			continue
		}
		d, fe := normalizeDefault(f, userID(c.p), now)
		if fe != nil {
			return nil, fmt.Errorf("objectos: default of %s.%s: %s", c.o.Name, f.Name, fe.Message)
		}
		if d != nil {
			values[f.Name] = d
		} else if f.Required {
			errs = append(errs, FieldError{Field: f.Name, Code: FieldRequired, Message: fmt.Sprintf("%s is required", f.Name)})
		}
	}
	return errs, nil
}

// checkOwner refuses an owner change (from the caller on a create, from the
// current owner on an update) that the grant does not allow as a transfer,
// and an owner set to null.
func (c *call) checkOwner(values, existing Record) error {
	if !c.o.HasOwner() {
		return nil
	}
	owner, given := values[FieldOwner]
	if !given {
		return nil
	}
	current := userID(c.p)
	if existing != nil {
		current, _ = existing[FieldOwner].(string)
	}
	if owner != current && !c.g.Transfer {
		return fieldError(c.o, FieldOwner, CodePermissionDenied,
			"Changing the owner of a '%s' record requires the transfer permission.", c.o.Name)
	}
	if owner == nil {
		return validationFailed(c.o.Name, []FieldError{{Field: FieldOwner, Code: FieldRequired, Message: "owner_id is required"}})
	}
	return nil
}

// stampCreate sets what a new record gets from the system unless given: an
// id (UUIDv7), the creation and update times and users, the owner, and the
// next number of every autonumber field.
func (c *call) stampCreate(ctx context.Context, tx Tx, values Record, now time.Time) error {
	if _, ok := values[FieldID]; !ok {
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		values[FieldID] = id.String()
	}
	c.stampAudit(values, now)
	for _, f := range c.o.Fields {
		if f.Kind() != KindAutonumber {
			continue
		}
		if _, given := values[f.Name]; given {
			continue
		}
		n, err := tx.NextSequence(ctx, c.o.Name+"."+f.Name)
		if err != nil {
			return err
		}
		values[f.Name] = formatAutonumber(f.AutonumberFormat, n, now)
	}
	return nil
}

// stampAudit sets the creation and update times and users and the owner
// of a new record, unless given.
func (c *call) stampAudit(values Record, now time.Time) {
	setIfAbsent(values, FieldCreatedAt, now)
	setIfAbsent(values, FieldUpdatedAt, now)
	if uid := userID(c.p); uid != "" {
		setIfAbsent(values, FieldCreatedBy, uid)
		setIfAbsent(values, FieldUpdatedBy, uid)
		if c.o.HasOwner() {
			setIfAbsent(values, FieldOwner, uid)
		}
	}
}

// stampUpdate moves updated_at forward (past the current value, so the
// version changes even within one millisecond) and sets updated_by.
func (c *call) stampUpdate(values, existing Record, now time.Time) {
	prev, _ := existing[FieldUpdatedAt].(time.Time)
	next := now
	if !next.After(prev) {
		next = prev.Add(time.Millisecond)
	}
	values[FieldUpdatedAt] = next
	if uid := userID(c.p); uid != "" {
		values[FieldUpdatedBy] = uid
	}
}

func setIfAbsent(values Record, k string, v any) {
	if _, ok := values[k]; !ok {
		values[k] = v
	}
}

// checkReferences verifies that every reference value written points at a
// record the caller can see.
func (c *call) checkReferences(ctx context.Context, tx Tx, values, existing Record) error {
	var errs []FieldError
	for _, f := range c.o.Fields {
		if f.Kind() != KindReference {
			continue
		}
		id, ok := values[f.Name].(string)
		if !ok {
			continue
		}
		if existing != nil && existing[f.Name] == id {
			continue
		}
		target := c.s.objects[f.Target()]
		if target == nil {
			continue // e.g. user fields without a sys_user object
		}
		if f.System && c.sys {
			continue
		}
		found, known := c.refs[target.Name][id]
		if !known {
			_, rf, err := c.s.authorize(ctx, c.p, c.sys, target, AccessRead)
			if err == nil {
				n, err := tx.Count(ctx, target, And(&Filter{Op: OpEq, Field: FieldID, Value: id}, rf))
				if err != nil {
					return err
				}
				found = n > 0
			} else if !IsCode(err, CodePermissionDenied) {
				return err
			}
		}
		if !found {
			errs = append(errs, FieldError{Field: f.Name, Code: FieldReferenceNotFound,
				Message: fmt.Sprintf("%s does not reference an existing %s record", f.Name, target.Name)})
		}
	}
	if len(errs) > 0 {
		return validationFailed(c.o.Name, errs)
	}
	return nil
}

func formatAutonumber(format string, n int64, now time.Time) string {
	if format == "" {
		format = "{0000}"
	}
	out := counterRE.ReplaceAllStringFunc(format, func(tok string) string {
		width := len(tok) - 2
		return fmt.Sprintf("%0*d", width, n)
	})
	r := strings.NewReplacer("{YYYYMMDD}", now.Format("20060102"), "{YYYY}", now.Format("2006"),
		"{MM}", now.Format("01"), "{DD}", now.Format("02"))
	return r.Replace(out)
}
