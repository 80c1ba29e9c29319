package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/objectos-go/objectos"
)

// columnsTable records, for every column of an object's table, the field
// type it holds. The catalog says how a column is stored, but not for which
// field type: on SQLite a date, a datetime, a time, a list and a JSON
// document are all TEXT, and on PostgreSQL a list and a JSON document are
// both jsonb, a password, a secret and a text all text. Schema sync compares the
// recorded type with the declared one, on both stores alike.
const columnsTable = "objectos_columns"

// class groups the field types whose values a column stores alike.
type class uint8

const (
	classText      class = iota + 1 // text-like types, select, radio, autonumber, user: text
	classPassword                   // text, masked on read
	classReference                  // lookup, master_detail: text with a foreign key
	classNumber                     // numeric (REAL on SQLite)
	classBool                       // boolean (INTEGER 0/1 on SQLite)
	classDate                       // date (TEXT YYYY-MM-DD on SQLite)
	classDatetime                   // timestamptz (TEXT on SQLite)
	classTime                       // time (TEXT on SQLite)
	classMulti                      // a JSON array of strings (jsonb, TEXT on SQLite)
	classJSON                       // any JSON (jsonb, TEXT on SQLite)
	classSecret                     // text sealed by the engine (AES-256-GCM), masked on read
)

func classOf(t objectos.FieldType) class {
	switch t.Kind() {
	case objectos.KindText, objectos.KindChoice, objectos.KindAutonumber:
		return classText
	case objectos.KindReference:
		if t == objectos.TypeUser {
			return classText // no foreign key: users may come from elsewhere
		}
		return classReference
	case objectos.KindPassword:
		return classPassword
	case objectos.KindSecret:
		return classSecret
	case objectos.KindNumber:
		return classNumber
	case objectos.KindBool:
		return classBool
	case objectos.KindDate:
		return classDate
	case objectos.KindDatetime:
		return classDatetime
	case objectos.KindTime:
		return classTime
	case objectos.KindMulti:
		return classMulti
	case objectos.KindJSON:
		return classJSON
	}
	return 0
}

// sameStorage reports whether a column holding values of type from serves
// a field of type to as it is: the same column type and constraints on both
// stores, every value it may hold a readable value of the new type, and no
// value that was masked made readable. Schema sync accepts such a change
// silently and refuses every other (see Plan).
func sameStorage(from, to objectos.FieldType) bool {
	cf, ct := classOf(from), classOf(to)
	switch {
	case cf == 0 || ct == 0:
		return false
	case cf == ct:
		return true
	case cf == classText && ct == classPassword: // masks what was readable
		return true
	case cf == classMulti && ct == classJSON: // a list of strings is JSON
		return true
	}
	return false
}

// representative is the field type recorded for a column that objectos has
// no record of and that no declared field matches: the type whose column
// objectos creates with the catalog's type, the widest where several do
// (json for jsonb, text for SQLite's TEXT), or "" for a column type objectos
// never creates.
func (d *dialect) representative(colType string) objectos.FieldType {
	for _, t := range []objectos.FieldType{objectos.TypeText, objectos.TypeNumber, objectos.TypeBoolean,
		objectos.TypeDate, objectos.TypeDatetime, objectos.TypeTime, objectos.TypeJSON} {
		if d.sameType(colType, &objectos.Field{Type: t}) {
			return t
		}
	}
	return ""
}

// readColumnTypes reads the records of columnsTable into the catalog.
func readColumnTypes(ctx context.Context, q querier, cat *catalog) error {
	rows, err := q.QueryContext(ctx, `SELECT "object", "field", "type" FROM `+columnsTable)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var o, f, t string
		if err := rows.Scan(&o, &f, &t); err != nil {
			return err
		}
		if cat.types[o] == nil {
			cat.types[o] = map[string]objectos.FieldType{}
		}
		cat.types[o][f] = objectos.FieldType(t)
	}
	return rows.Err()
}

// createColumnsTable creates columnsTable; the columns of tables that
// predate it are recorded as schema sync meets them (see columnType).
func (s *Store) createColumnsTable(ctx context.Context, q querier) error {
	text := s.d.columnType(&objectos.Field{Type: objectos.TypeText})
	_, err := q.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE %s ("object" %[2]s NOT NULL, "field" %[2]s NOT NULL, "type" %[2]s NOT NULL, `+
		`PRIMARY KEY ("object", "field"))`, columnsTable, text))
	return err
}

// columnType returns the field type whose values the column holds: the
// recorded one when the catalog agrees with it; otherwise (a column created
// before the record was kept, or changed by hand) the declared field's type
// when the column is stored as objectos stores that type and its values read
// as that type, or the type they do read as; and failing that the
// representative type of the column's catalog type ("" when objectos never
// creates such a column). f is the declared field, or nil.
func (s *Store) columnType(ctx context.Context, q querier, cat *catalog, table, column string, f *objectos.Field) (objectos.FieldType, error) {
	colType := cat.tables[table][column]
	if t, ok := cat.types[table][column]; ok && t.Valid() && s.d.sameType(colType, &objectos.Field{Type: t}) {
		return t, nil
	}
	if f != nil && s.d.sameType(colType, f) {
		return s.sniff(ctx, q, table, cat.column(table, column), colType, f.Type)
	}
	return s.d.representative(colType), nil
}

// sniff returns the type of the values of a column of a table that predates
// the record: declared, whose values read as that type, or the first type
// stored alike whose values they read as. Text-like, numeric and boolean
// columns hold nothing else; only the types with a format are checked (an
// older objectos let a date field become a datetime on SQLite, whose column
// then held dates that no datetime reads).
func (s *Store) sniff(ctx context.Context, q querier, table, column, colType string, declared objectos.FieldType) (objectos.FieldType, error) {
	switch declared.Kind() {
	case objectos.KindDate, objectos.KindDatetime, objectos.KindTime, objectos.KindMulti, objectos.KindJSON:
	default:
		return declared, nil
	}
	candidates := []objectos.FieldType{declared}
	for _, t := range []objectos.FieldType{objectos.TypeDate, objectos.TypeDatetime, objectos.TypeTime,
		objectos.TypeTags, objectos.TypeJSON, objectos.TypeText} {
		if classOf(t) != classOf(declared) && s.d.sameType(colType, &objectos.Field{Type: t}) {
			candidates = append(candidates, t)
		}
	}
	rows, err := q.QueryContext(ctx, fmt.Sprintf(`SELECT "%s" FROM "%s" WHERE "%[1]s" IS NOT NULL`, column, table))
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() && len(candidates) > 1 {
		var v any
		if err := rows.Scan(&v); err != nil {
			return "", err
		}
		kept := candidates[:0]
		for _, t := range candidates {
			if s.d.reads(t, v) {
				kept = append(kept, t)
			}
		}
		candidates = kept
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if len(candidates) == 0 {
		return s.d.representative(colType), nil
	}
	return candidates[0], nil
}

// reads reports whether a value read from the database is a value of the
// type, strictly: a date is exactly YYYY-MM-DD, a JSON document is valid.
func (d *dialect) reads(t objectos.FieldType, v any) bool {
	c, err := d.decode(&objectos.Field{Name: "value", Type: t}, v)
	if err != nil {
		return false
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	raw, isString := v.(string)
	switch t.Kind() {
	case objectos.KindDate:
		if isString {
			_, err := time.Parse(objectos.DateLayout, raw)
			return len(raw) == len(objectos.DateLayout) && err == nil
		}
	case objectos.KindTime:
		if isString {
			_, err := time.Parse("15:04:05", raw[:min(len(raw), 8)])
			return err == nil
		}
	case objectos.KindJSON:
		return json.Valid(c.(json.RawMessage))
	}
	return true
}

// columnRecord is one row of columnsTable to write.
type columnRecord struct {
	object, field string
	typ           objectos.FieldType
}

// writeColumnTypes records the types of columns, replacing earlier records.
func (s *Store) writeColumnTypes(ctx context.Context, q querier, recs []columnRecord) error {
	for len(recs) > 0 {
		batch := recs[:min(len(recs), 300)]
		recs = recs[len(batch):]
		var b strings.Builder
		args := make([]any, 0, 3*len(batch))
		b.WriteString(`INSERT INTO ` + columnsTable + ` ("object", "field", "type") VALUES `)
		for i, r := range batch {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + s.d.placeholder(len(args)+1) + ", " + s.d.placeholder(len(args)+2) + ", " + s.d.placeholder(len(args)+3) + ")")
			args = append(args, r.object, r.field, string(r.typ))
		}
		b.WriteString(` ON CONFLICT ("object", "field") DO UPDATE SET "type" = excluded."type"`)
		if _, err := q.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// placeholder is the n-th (from 1) bind parameter of a statement.
func (d *dialect) placeholder(n int) string {
	if d.pg {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

// typeChangeError is the refusal of a change of a column's type that is not
// the same storage.
func typeChangeError(o *objectos.Object, f *objectos.Field, from objectos.FieldType, colType string) *SchemaError {
	e := &SchemaError{Object: o.Name, Field: f.Name}
	if from == "" {
		e.Problem = fmt.Sprintf("the column is stored as %s, which objectos creates for no field type", colType)
		e.Remedy = "restore the column's type by hand, or declare the field under a new name"
		return e
	}
	why := "that changes how its values are stored"
	switch cf, ct := classOf(from), classOf(f.Type); {
	case cf == classSecret:
		why = "its values are encrypted by objectos, and a schema change cannot decrypt them"
	case ct == classSecret:
		why = "its values would have to be encrypted, which a schema change does not do"
	case cf == classPassword:
		why = "its values, masked until now, would become readable"
	case ct == classReference:
		why = fmt.Sprintf("every value would have to be the id of a %s record (a foreign key)", f.Target())
	case cf == classReference:
		why = "the column's foreign key would have to go"
	case cf == classJSON && ct == classMulti:
		why = "not every JSON value is a list of strings"
	}
	e.Problem = fmt.Sprintf("the column holds %s values and the field is now declared as %s: %s", from, f.Type, why)
	if classOf(from) == classSecret || classOf(f.Type) == classSecret {
		e.Remedy = fmt.Sprintf("nothing was changed; no migration plan converts to or from secret yet: declare a new field "+
			"and move the values through the Stack (Create and Update encrypt, RevealSecret decrypts), or declare the field as %s again", from)
		return e
	}
	e.Remedy = fmt.Sprintf("nothing was changed; convert the column with a migration plan ((*store.Store).Plan, then Apply; "+
		"examples/crm: -migrate plan, then -migrate apply), or declare the field as %s again", from)
	return e
}
