package objectos

import (
	"slices"
	"time"
)

// Result is one record returned by Create, Get and Update.
type Result struct {
	ID string
	// Record holds the wire values of the fields the caller may read.
	Record Record
	// Version is the record's optimistic-concurrency version, usable as an
	// ETag and in WriteOptions.IfMatch.
	Version string
	// Dropped lists the readonly and system fields removed from the input.
	Dropped []string
}

func versionOf(canon Record) string {
	if t, ok := canon[FieldUpdatedAt].(time.Time); ok {
		return FormatDatetime(t)
	}
	return ""
}

// storedFields adds updated_at (for the version) to a projection.
func storedFields(fields []string) []string {
	if slices.Contains(fields, FieldUpdatedAt) {
		return fields
	}
	return append(append(make([]string, 0, len(fields)+1), fields...), FieldUpdatedAt)
}

// wireInPlace converts a record read from the store, which the engine owns,
// to the wire values of the projected fields, dropping the others.
func wireInPlace(o *Object, canon Record, fields []string) Record {
	if len(canon) > len(fields) {
		// columns read only to sort by: not for the caller
		for k := range canon {
			if !slices.Contains(fields, k) {
				delete(canon, k)
			}
		}
	}
	for _, k := range fields {
		v, ok := canon[k]
		if !ok {
			continue
		}
		if f := o.Field(k); f != nil {
			canon[k] = toWire(f, v)
		} else {
			delete(canon, k)
		}
	}
	return canon
}

// wire converts a stored record to the wire values of the projected fields.
func wire(o *Object, canon Record, fields []string) Record {
	out := make(Record, len(fields))
	for _, name := range fields {
		if f := o.Field(name); f != nil {
			out[name] = toWire(f, canon[name])
		}
	}
	return out
}

func allFields(o *Object) []string {
	out := make([]string, len(o.Fields))
	for i, f := range o.Fields {
		out[i] = f.Name
	}
	return out
}
