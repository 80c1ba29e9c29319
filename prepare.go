package objectos

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// prepare validates input for a create (existing nil) or an update and
// returns the canonical values to store and the dropped fields.
func (s *Stack) prepare(ctx context.Context, tx Tx, o *Object, g *Grant, p *Principal, sys bool,
	input Record, existing Record, now time.Time) (Record, []string, error) {
	creating := existing == nil
	keys := sortedKeys(input)
	var unknown []string
	for _, k := range keys {
		if f := o.Field(k); f == nil || (f.Internal && !sys) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		e := s.unknownField(o, unknown[0], sys, CodeInvalidField)
		if len(unknown) > 1 {
			e.Message = fmt.Sprintf("Unknown fields on object '%s': %s.", o.Name, strings.Join(unknown, ", "))
			e.With("fields", unknown)
		}
		return nil, nil, e
	}
	values := make(Record, len(o.Fields))
	var dropped []string
	var errs []FieldError
	for _, k := range keys {
		f := o.Field(k)
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
		case f.System && k != FieldOwner && !sys:
			dropped = append(dropped, k)
			continue
		case f.Kind() == KindAutonumber && !sys:
			dropped = append(dropped, k)
			continue
		case f.Readonly && !sys:
			dropped = append(dropped, k)
			continue
		case f.Kind() == KindPassword && v == MaskedValue:
			continue
		}
		if !sys && !g.CanEdit(k) {
			return nil, nil, fieldError(o, k, CodeFieldNotAccessible, "Field '%s' is not editable.", k)
		}
		c, fe := normalizeValue(f, v)
		if fe != nil {
			errs = append(errs, *fe)
			continue
		}
		if c == nil && f.Required {
			errs = append(errs, FieldError{Field: k, Code: FieldRequired, Message: fmt.Sprintf("%s is required", k)})
			continue
		}
		values[k] = c
	}
	if creating {
		for _, f := range o.Fields {
			if _, given := values[f.Name]; given || f.System || f.Kind() == KindAutonumber {
				continue
			}
			if _, given := input[f.Name]; given && !(f.Readonly && !sys) {
				continue
			}
			d, fe := normalizeDefault(f, userID(p), now)
			if fe != nil {
				return nil, nil, fmt.Errorf("objectos: default of %s.%s: %s", o.Name, f.Name, fe.Message)
			}
			if d != nil {
				values[f.Name] = d
			} else if f.Required {
				errs = append(errs, FieldError{Field: f.Name, Code: FieldRequired, Message: fmt.Sprintf("%s is required", f.Name)})
			}
		}
	}
	if len(errs) > 0 {
		return nil, nil, validationFailed(o.Name, errs)
	}
	// owner transfer
	if o.HasOwner() {
		if owner, given := values[FieldOwner]; given {
			current := userID(p)
			if !creating {
				current, _ = existing[FieldOwner].(string)
			}
			if owner != current && !g.Transfer {
				return nil, nil, fieldError(o, FieldOwner, CodePermissionDenied,
					"Changing the owner of a '%s' record requires the transfer permission.", o.Name)
			}
			if owner == nil {
				return nil, nil, validationFailed(o.Name, []FieldError{{Field: FieldOwner, Code: FieldRequired, Message: "owner_id is required"}})
			}
		}
	}
	if err := s.checkReferences(ctx, tx, o, p, sys, values, existing); err != nil {
		return nil, nil, err
	}
	if creating {
		if _, ok := values[FieldID]; !ok {
			id, err := uuid.NewV7()
			if err != nil {
				return nil, nil, err
			}
			values[FieldID] = id.String()
		}
		setIfAbsent(values, FieldCreatedAt, now)
		setIfAbsent(values, FieldUpdatedAt, now)
		if uid := userID(p); uid != "" {
			setIfAbsent(values, FieldCreatedBy, uid)
			setIfAbsent(values, FieldUpdatedBy, uid)
			if o.HasOwner() {
				setIfAbsent(values, FieldOwner, uid)
			}
		}
		for _, f := range o.Fields {
			if f.Kind() != KindAutonumber {
				continue
			}
			if _, given := values[f.Name]; given {
				continue
			}
			n, err := tx.NextSequence(ctx, o.Name+"."+f.Name)
			if err != nil {
				return nil, nil, err
			}
			values[f.Name] = formatAutonumber(f.AutonumberFormat, n, now)
		}
	} else {
		prev, _ := existing[FieldUpdatedAt].(time.Time)
		next := now
		if !next.After(prev) {
			next = prev.Add(time.Millisecond)
		}
		values[FieldUpdatedAt] = next
		if uid := userID(p); uid != "" {
			values[FieldUpdatedBy] = uid
		}
	}
	return values, dropped, nil
}

func setIfAbsent(values Record, k string, v any) {
	if _, ok := values[k]; !ok {
		values[k] = v
	}
}

// checkReferences verifies that every reference value written points at a
// record the caller can see.
func (s *Stack) checkReferences(ctx context.Context, tx Tx, o *Object, p *Principal, sys bool, values, existing Record) error {
	var errs []FieldError
	for _, f := range o.Fields {
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
		target := s.objects[f.Target()]
		if target == nil {
			continue // e.g. user fields without a sys_user object
		}
		if f.System && sys {
			continue
		}
		found, known := false, false
		if refs, ok := ctx.Value(refsKey).(*knownRefs); ok && refs.object == o && refs.p == p && refs.sys == sys {
			found, known = refs.ids[target.Name][id]
		}
		if !known {
			_, rf, err := s.authorize(ctx, p, sys, target, AccessRead)
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
		return validationFailed(o.Name, errs)
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
