package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/objectos-go/objectos"
)

// Plan is what it takes to bring the existing tables in line with the
// objects where Sync will not: type changes that are not stored alike
// (converting every value), and columns no field declares any more
// (dropping them and their values), with the renames declared by
// renamedFrom that they build on. Make one with [Store.Plan], read it (its
// String is a report for people), and run it with [Plan.Apply].
type Plan struct {
	// Changes are the changes to columns, in the objects' order, each with
	// what it does to the values.
	Changes []Change
	// Steps are the statements Apply runs, in order, in one transaction,
	// each with what it does in plain words. A conversion's statement runs
	// once per batch of rows, with the values objectos converted.
	Steps []Step

	store   *Store
	objects []*objectos.Object
	units   []func(ctx context.Context, q querier) error
}

// ChangeKind is what a Change does to a column.
type ChangeKind string

// The kinds of change of a Plan.
const (
	ChangeRename  ChangeKind = "rename"  // renamedFrom: the column takes the field's name
	ChangeConvert ChangeKind = "convert" // the column takes the field's type, every value converted
	ChangeDrop    ChangeKind = "drop"    // the column of no declared field goes, with its values
)

// Change is one change of a Plan to a column.
type Change struct {
	Kind   ChangeKind
	Object string
	// Field is the column: the field's name (for a rename, its new name).
	Field string
	// From is the former name (rename), or the type of the values the
	// column holds (convert); To is the declared type (convert).
	From, To string
	// Values counts the column's non-null values (convert, drop).
	Values int64
	// Effect says what the change does to the values, in plain words.
	Effect string
	// Problem, when not empty, says why the change cannot be applied
	// (values that do not convert, a conversion that does not exist); Apply
	// refuses a plan with a problem.
	Problem string
}

// Step is a statement of a Plan and what it does.
type Step struct {
	SQL    string
	Effect string
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Err returns the problems of the plan's changes, joined, or nil when Apply
// can run it.
func (p *Plan) Err() error {
	var errs []error
	for _, c := range p.Changes {
		if c.Problem != "" {
			errs = append(errs, fmt.Errorf("objectos: migration: %s.%s: %s", c.Object, c.Field, c.Problem))
		}
	}
	return errors.Join(errs...)
}

// String reports the plan for people: the changes with what they do to
// the values and their problems, then the statements.
func (p *Plan) String() string {
	if p.Empty() {
		return "Nothing to do: the tables match the objects.\n"
	}
	var b strings.Builder
	n := len(p.Changes)
	fmt.Fprintf(&b, "%d change%s:\n", n, map[bool]string{true: "", false: "s"}[n == 1])
	for _, c := range p.Changes {
		fmt.Fprintf(&b, "  - %s\n", c.Effect)
		if c.Problem != "" {
			fmt.Fprintf(&b, "    cannot apply: %s\n", c.Problem)
		}
	}
	if p.Err() != nil {
		b.WriteString("Apply refuses this plan until every problem above is solved.\n")
	}
	b.WriteString("\nStatements, in one transaction:\n")
	for _, s := range p.Steps {
		fmt.Fprintf(&b, "  %s;\n      -- %s\n", s.SQL, s.Effect)
	}
	return b.String()
}

// Plan returns what it takes to bring the existing tables in line with the
// objects where Sync will not (see [Plan]). The objects are those the Stack
// syncs: objectos.ResolveObjects gives them from the artifact and the
// plugins, without a Stack. Plan reads every value of the columns to
// convert, to say which do not convert, and changes nothing. Tables of
// objects that do not exist yet, and tables of no object, are left to Sync
// and to you.
func (s *Store) Plan(ctx context.Context, objects []*objectos.Object) (*Plan, error) {
	for _, o := range objects {
		if o.Field(objectos.FieldID) == nil {
			// Without its system fields an object would lose their columns.
			return nil, fmt.Errorf("objectos: migration plan: object %s has no id field: "+
				"pass the objects objectos.ResolveObjects returns, with their system fields", o.Name)
		}
	}
	var p *Plan
	opts := &sql.TxOptions{}
	if s.d.pg {
		opts = &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	}
	err := s.db.RunInTx(ctx, opts, func(ctx context.Context, tx bun.Tx) error {
		if s.d.pg {
			if _, err := tx.Tx.ExecContext(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
				return err
			}
		}
		var err error
		p, err = s.plan(ctx, tx.Tx, objects)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("objectos: migration plan: %w", err)
	}
	return p, nil
}

// Apply runs the plan in one transaction (on PostgreSQL under the lock of
// schema sync, so it never runs beside a starting replica's sync). It
// refuses a plan with a problem (see Err), and a plan that no longer
// matches the database (made again inside the transaction, it must give
// the same statements). A conversion that fails on a value changed since
// the plan was made rolls everything back. After Apply, New syncs the rest
// (new columns, indexes, foreign keys) as usual.
func (p *Plan) Apply(ctx context.Context) error {
	if err := p.Err(); err != nil {
		return err
	}
	if p.Empty() {
		return nil
	}
	if err := p.store.apply(ctx, p); err != nil {
		if _, ok := err.(interface{ Unwrap() []error }); ok {
			return err
		}
		return fmt.Errorf("objectos: migration: %w", err)
	}
	return nil
}

var errPlanChanged = errors.New("the database changed since the plan was made; make the plan again")

func (s *Store) apply(ctx context.Context, p *Plan) error {
	run := func(ctx context.Context, q querier) error {
		fresh, err := s.plan(ctx, q, p.objects)
		if err != nil {
			return err
		}
		if err := fresh.Err(); err != nil {
			return err
		}
		// The statements must be the same; the counts in their effects may
		// have moved with the writes since.
		if !slices.EqualFunc(fresh.Steps, p.Steps, func(a, b Step) bool { return a.SQL == b.SQL }) {
			return errPlanChanged
		}
		for _, u := range fresh.units {
			if err := u(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}
	if s.d.pg {
		return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for _, q := range []string{"SET LOCAL statement_timeout = 0", "SELECT pg_advisory_xact_lock(7224460419158425)"} {
				if _, err := tx.Tx.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			return run(ctx, tx.Tx)
		})
	}
	// SQLite rebuilds tables: with foreign keys enforced, dropping the
	// former table would run the delete behaviours of the tables that
	// reference it. They are off on the transaction's connection (they
	// cannot change inside a transaction), and checked before the commit.
	c, err := s.db.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return err
	}
	defer c.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON") //nolint:errcheck // the connection is closed on failure
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := run(ctx, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// plan makes the plan on the database as q sees it.
func (s *Store) plan(ctx context.Context, q querier, objects []*objectos.Object) (*Plan, error) {
	cat, err := s.readCatalog(ctx, q)
	if err != nil {
		return nil, err
	}
	p := &Plan{store: s, objects: objects}
	if _, ok := cat.tables[columnsTable]; !ok {
		st := stmt{sql: "CREATE TABLE " + columnsTable + " (…)", effect: "creates the table of the column types objectos records"}
		p.Steps = append(p.Steps, Step{SQL: st.sql, Effect: st.effect})
		p.units = append(p.units, func(ctx context.Context, q querier) error { return s.createColumnsTable(ctx, q) })
		cat.tables[columnsTable] = map[string]string{}
	}
	before := len(p.Steps)
	for _, o := range objects {
		if _, ok := cat.tables[o.Name]; ok {
			if err := s.planTable(ctx, q, cat, o, p); err != nil {
				return nil, err
			}
		}
	}
	if len(p.Steps) == before { // nothing but the record's table: Sync makes it
		p.Steps, p.units = nil, nil
	}
	return p, nil
}

// conv is a conversion of one column in a plan.
type conv struct {
	f    *objectos.Field
	from objectos.FieldType
	c    conversion
	// retype: the column's SQL type or foreign key changes, not only its
	// values.
	retype bool
}

func (s *Store) planTable(ctx context.Context, q querier, cat *catalog, o *objectos.Object, p *Plan) error {
	existing := cat.tables[o.Name]
	for _, f := range o.Fields {
		if !f.Stored() {
			continue
		}
		if f.RenamedFrom == "" {
			continue
		}
		_, hasOld := existing[f.RenamedFrom]
		if _, hasNew := existing[f.Name]; !hasOld || hasNew {
			continue
		}
		old := f.RenamedFrom
		stmts := s.renameColumn(cat, o, old, f.Name)
		p.Changes = append(p.Changes, Change{Kind: ChangeRename, Object: o.Name, Field: f.Name, From: old, Effect: stmts[0].effect})
		p.add(stmts)
	}

	var convs []conv
	for _, f := range o.Fields {
		if !f.Stored() {
			continue
		}
		colType, ok := existing[f.Name]
		if !ok {
			continue
		}
		from, err := s.columnType(ctx, q, cat, o.Name, f.Name, f)
		if err != nil {
			return err
		}
		if from != "" && sameStorage(from, f.Type) {
			continue
		}
		ch := Change{Kind: ChangeConvert, Object: o.Name, Field: f.Name, From: string(from), To: string(f.Type)}
		if from == "" {
			ch.From = colType
			ch.Effect = fmt.Sprintf("converts %s.%s from a %s column to %s", o.Name, f.Name, colType, f.Type)
			ch.Problem = fmt.Sprintf("the column is stored as %s, which objectos creates for no field type, so it cannot read its values; "+
				"restore the column's type by hand", colType)
			p.Changes = append(p.Changes, ch)
			continue
		}
		c := conversionFor(from, f)
		ch.Effect = fmt.Sprintf("converts %s.%s from %s to %s: %s", o.Name, f.Name, from, f.Type, c.effect)
		if c.impossible != "" {
			ch.Effect = fmt.Sprintf("converts %s.%s from %s to %s", o.Name, f.Name, from, f.Type)
			ch.Problem = c.impossible + "; objectos cannot convert the values: declare a new field and move them by hand, " +
				"or declare the field as " + string(from) + " again"
			p.Changes = append(p.Changes, ch)
			continue
		}
		if err := s.check(ctx, q, cat, o, cat.column(o.Name, f.Name), from, c, &ch); err != nil {
			return err
		}
		p.Changes = append(p.Changes, ch)
		convs = append(convs, conv{f: f, from: from, c: c,
			retype: s.d.columnType(&objectos.Field{Type: from}) != s.d.columnType(f) ||
				(classOf(from) == classReference) != (classOf(f.Type) == classReference)})
	}

	var drops []string
	for _, col := range cat.columns[o.Name] {
		if o.Field(col) != nil {
			continue
		}
		n, err := s.countValues(ctx, q, o.Name, col)
		if err != nil {
			return err
		}
		effect := fmt.Sprintf("drops column %s.%s: %s %s lost", o.Name, col, plural(n, "non-null value"), pick(n, "is", "are"))
		if n == 0 {
			effect = fmt.Sprintf("drops column %s.%s, which holds no value", o.Name, col)
		}
		p.Changes = append(p.Changes, Change{Kind: ChangeDrop, Object: o.Name, Field: col, Values: n, Effect: effect})
		drops = append(drops, col)
	}
	if len(convs) == 0 && len(drops) == 0 {
		return nil
	}
	if s.d.pg {
		s.planPostgres(o, convs, drops, p)
	} else if err := s.planSQLite(ctx, q, cat, o, convs, drops, p); err != nil {
		return err
	}
	var recs []stmt
	for _, cv := range convs {
		recs = append(recs, stmt{sql: `INSERT INTO ` + columnsTable + ` ("object", "field", "type") VALUES (` +
			s.d.placeholder(1) + `, ` + s.d.placeholder(2) + `, ` + s.d.placeholder(3) + `) ON CONFLICT ("object", "field") DO UPDATE SET "type" = excluded."type"`,
			args: []any{o.Name, cv.f.Name, string(cv.f.Type)}, effect: fmt.Sprintf("records that %s.%s holds %s values", o.Name, cv.f.Name, cv.f.Type)})
	}
	for _, col := range drops {
		recs = append(recs, s.forgetColumn(o.Name, col))
	}
	p.add(recs)
	return nil
}

// identity reports a conversion that keeps the values as they are (a text
// becoming a lookup, a password becoming a text).
func (cv conv) identity() bool { return textual(classOf(cv.from)) && textual(classOf(cv.f.Type)) }

// add appends statements to the plan, as steps and as one unit.
func (p *Plan) add(stmts []stmt) {
	for _, st := range stmts {
		p.Steps = append(p.Steps, Step{SQL: display(st), Effect: st.effect})
	}
	p.units = append(p.units, func(ctx context.Context, q querier) error { return execAll(ctx, q, stmts) })
}

// display writes a statement with its values in place (they are names).
func display(st stmt) string {
	out := st.sql
	for i := len(st.args) - 1; i >= 0; i-- {
		lit := "'" + fmt.Sprint(st.args[i]) + "'"
		if ph := "$" + strconv.Itoa(i+1); strings.Contains(out, ph) {
			out = strings.Replace(out, ph, lit, 1)
			continue
		}
		if j := strings.LastIndex(out, "?"); j >= 0 {
			out = out[:j] + lit + out[j+1:]
		}
	}
	return out
}

// planPostgres converts a column in place where its SQL type stays (a text
// becoming a lookup, a JSON document becoming a list), and otherwise into
// a new column whose values then replace the old ones by ALTER COLUMN …
// TYPE … USING, which keeps the column's place, name and indexes.
func (s *Store) planPostgres(o *objectos.Object, convs []conv, drops []string, p *Plan) {
	t := `"` + o.Name + `"`
	for _, cv := range convs {
		f, col := cv.f, `"`+cv.f.Name+`"`
		typ := s.d.columnType(f) + s.d.collation(f)
		if classOf(cv.from) == classReference && classOf(f.Type) != classReference {
			fk := dbName("fk", o.Name, f.Name)
			p.add([]stmt{{sql: `ALTER TABLE ` + t + ` DROP CONSTRAINT IF EXISTS "` + fk + `"`,
				effect: fmt.Sprintf("drops the foreign key of %s.%s", o.Name, f.Name)}})
		}
		effect := p.Changes[slices.IndexFunc(p.Changes, func(c Change) bool {
			return c.Kind == ChangeConvert && c.Object == o.Name && c.Field == f.Name
		})].Effect
		switch {
		case cv.identity():
			// The values stay as they are; Sync adds a new foreign key.
		case cv.retype:
			tmp := dbName("objectos_new", f.Name)
			p.add([]stmt{{sql: `ALTER TABLE ` + t + ` ADD COLUMN "` + tmp + `" ` + typ,
				effect: fmt.Sprintf("adds a column for the converted values of %s.%s", o.Name, f.Name)}})
			p.fill(s, o, cv, tmp, effect)
			p.add([]stmt{
				{sql: `ALTER TABLE ` + t + ` ALTER COLUMN ` + col + ` TYPE ` + typ + ` USING "` + tmp + `"`,
					effect: fmt.Sprintf("gives %s.%s its new type and the converted values; its indexes are rebuilt", o.Name, f.Name)},
				{sql: `ALTER TABLE ` + t + ` DROP COLUMN "` + tmp + `"`, effect: "drops the column of converted values, now in " + o.Name + "." + f.Name},
			})
		default:
			p.fill(s, o, cv, f.Name, effect)
		}
	}
	for _, col := range drops {
		effect := p.Changes[slices.IndexFunc(p.Changes, func(c Change) bool {
			return c.Kind == ChangeDrop && c.Object == o.Name && c.Field == col
		})].Effect
		p.add([]stmt{{sql: `ALTER TABLE ` + t + ` DROP COLUMN "` + col + `"`, effect: effect}})
	}
}

// planSQLite converts values in place where the column stays as it is (a
// date becoming a datetime: both TEXT), and otherwise, and to drop a
// column, builds the table anew as the objects declare it, copies the rows
// and converts the values into it, then replaces the old table with it,
// rebuilding its indexes and triggers — SQLite's procedure for changes
// ALTER TABLE cannot make.
func (s *Store) planSQLite(ctx context.Context, q querier, cat *catalog, o *objectos.Object, convs []conv, drops []string, p *Plan) error {
	effectOf := func(kind ChangeKind, field string) string {
		return p.Changes[slices.IndexFunc(p.Changes, func(c Change) bool {
			return c.Kind == kind && c.Object == o.Name && c.Field == field
		})].Effect
	}
	rebuild := len(drops) > 0
	for _, cv := range convs {
		rebuild = rebuild || cv.retype
	}
	if !rebuild {
		for _, cv := range convs {
			if !cv.identity() {
				p.fill(s, o, cv, cv.f.Name, effectOf(ChangeConvert, cv.f.Name))
			}
		}
		return nil
	}
	// Values that stay as they are are copied with the rest.
	var fills []conv
	for _, cv := range convs {
		if !cv.identity() {
			fills = append(fills, cv)
		}
	}
	t, tmp := o.Name, dbName("objectos_rebuild", o.Name)
	var defs, kept []string
	var what []string
	converted := map[string]bool{}
	for _, cv := range convs {
		converted[cv.f.Name] = !cv.identity()
		what = append(what, fmt.Sprintf("%s as %s", cv.f.Name, cv.f.Type))
	}
	for _, col := range cat.columns[t] {
		f := o.Field(col)
		if f == nil {
			what = append(what, "without "+col)
			continue
		}
		defs = append(defs, s.columnDef(o, f))
		if !converted[col] {
			kept = append(kept, `"`+col+`"`)
		}
	}
	createSQL := `CREATE TABLE "` + tmp + `" (` + strings.Join(defs, ", ") + `)`
	copySQL := `INSERT INTO "` + tmp + `" (` + strings.Join(kept, ", ") + `) SELECT ` + strings.Join(kept, ", ") + ` FROM "` + t + `"`
	dropSQL, renameSQL := `DROP TABLE "`+t+`"`, `ALTER TABLE "`+tmp+`" RENAME TO "`+t+`"`
	checkSQL := `PRAGMA foreign_key_check("` + t + `")`
	p.step(createSQL, fmt.Sprintf("creates %s anew as the objects declare it: %s", t, strings.Join(what, ", ")))
	p.step(copySQL, "copies every row, with the values of the columns that keep them")
	for _, cv := range fills {
		p.step(s.fillSQL(tmp, cv.f), effectOf(ChangeConvert, cv.f.Name)+" — row by row, converted by objectos")
	}
	dropEffect := "drops the former table"
	for i, col := range drops {
		dropEffect += map[bool]string{true: ", and with it ", false: "; and "}[i == 0] + strings.TrimPrefix(effectOf(ChangeDrop, col), "drops ")
	}
	p.step(dropSQL, dropEffect)
	p.step(renameSQL, "gives the new table the name "+t)
	// The indexes and triggers as they are now, for the report; Apply reads
	// them again when it runs, after the plan's renames, and before the
	// former table takes them away.
	schema, err := s.tableSchema(ctx, q, t, drops)
	if err != nil {
		return err
	}
	for _, x := range schema {
		if x.trigger || cat.indexes[x.name] { // not an index a rename drops
			p.step(x.sql, "builds "+x.kind()+" "+x.name+" again")
		}
	}
	p.step(checkSQL, fmt.Sprintf("checks that every reference of %s holds; Apply fails if one does not", t))
	p.units = append(p.units, func(ctx context.Context, q querier) error {
		schema, err := s.tableSchema(ctx, q, t, drops)
		if err != nil {
			return err
		}
		for _, sql := range []string{createSQL, copySQL} {
			if _, err := q.ExecContext(ctx, sql); err != nil {
				return err
			}
		}
		for _, cv := range fills {
			if err := s.fillValues(ctx, q, o, cv, t, tmp); err != nil {
				return err
			}
		}
		for _, sql := range []string{dropSQL, renameSQL} {
			if _, err := q.ExecContext(ctx, sql); err != nil {
				return err
			}
		}
		for _, x := range schema {
			if _, err := q.ExecContext(ctx, x.sql); err != nil {
				return fmt.Errorf("building %s %s again: %w", x.kind(), x.name, err)
			}
		}
		rows, err := q.QueryContext(ctx, checkSQL)
		if err != nil {
			return err
		}
		defer rows.Close()
		if rows.Next() {
			return fmt.Errorf("%s holds references to records that do not exist", t)
		}
		return rows.Err()
	})
	return nil
}

// step appends a statement to the report of the plan; its unit runs it.
func (p *Plan) step(sql, effect string) { p.Steps = append(p.Steps, Step{SQL: sql, Effect: effect}) }

// fill appends the conversion of a column's values into a column of the
// same table (itself, or one added for them).
func (p *Plan) fill(s *Store, o *objectos.Object, cv conv, dst, effect string) {
	p.step(s.fillSQL(o.Name, &objectos.Field{Name: dst, Type: cv.f.Type}), effect+" — in batches of rows, converted by objectos")
	p.units = append(p.units, func(ctx context.Context, q querier) error {
		return s.fillValuesInto(ctx, q, o, cv, o.Name, o.Name, dst)
	})
}

// fillSQL is the statement that writes converted values to a column: on
// PostgreSQL a batch of them, as text cast to the column's type.
func (s *Store) fillSQL(table string, f *objectos.Field) string {
	if s.d.pg {
		return `UPDATE "` + table + `" SET "` + f.Name + `" = v.x::` + s.d.columnType(f) +
			` FROM unnest($1::text[], $2::text[]) AS v(id, x) WHERE "` + table + `"."id" = v.id`
	}
	return `UPDATE "` + table + `" SET "` + f.Name + `" = ? WHERE "id" = ?`
}

// fillValues converts the values of a column of src into the same column
// of dst.
func (s *Store) fillValues(ctx context.Context, q querier, o *objectos.Object, cv conv, src, dst string) error {
	return s.fillValuesInto(ctx, q, o, cv, src, dst, cv.f.Name)
}

// fillValuesInto converts the non-null values of the field's column of
// table src into column col of table dst, the rows matched by id. A value
// that does not convert stops it.
func (s *Store) fillValuesInto(ctx context.Context, q querier, o *objectos.Object, cv conv, src, dst, col string) error {
	target := &objectos.Field{Name: col, Type: cv.f.Type}
	update := s.fillSQL(dst, target)
	return s.eachValues(ctx, q, src, cv.f.Name, cv.from, func(page []value) error {
		if s.d.pg {
			ids, texts := make([]string, 0, len(page)), make([]*string, 0, len(page))
			for _, v := range page {
				out, err := convertValue(o, cv, v)
				if err != nil {
					return err
				}
				ids = append(ids, v.id)
				if out == nil {
					texts = append(texts, nil)
					continue
				}
				t := pgText(out)
				texts = append(texts, &t)
			}
			_, err := q.ExecContext(ctx, update, ids, texts)
			return err
		}
		for _, v := range page {
			out, err := convertValue(o, cv, v)
			if err != nil {
				return err
			}
			enc, err := s.d.encode(target, out)
			if err != nil {
				return err
			}
			if _, err := q.ExecContext(ctx, update, enc, v.id); err != nil {
				return err
			}
		}
		return nil
	})
}

func convertValue(o *objectos.Object, cv conv, v value) (any, error) {
	if v.err != nil {
		return nil, fmt.Errorf("%s.%s of record %s: %w", o.Name, cv.f.Name, v.id, v.err)
	}
	out, _, err := cv.c.fn(v.v)
	if err != nil {
		return nil, fmt.Errorf("%s.%s of record %s %s", o.Name, cv.f.Name, v.id, err)
	}
	return out, nil
}

// value is a value read from a column: its record's id, and its canonical
// value or why it could not be read.
type value struct {
	id  string
	v   any
	err error
}

const pageRows = 1000

// eachValues reads the non-null values of a column, a page of rows at a
// time in the order of their ids, as values of the type.
func (s *Store) eachValues(ctx context.Context, q querier, table, column string, typ objectos.FieldType, fn func([]value) error) error {
	f := &objectos.Field{Name: column, Type: typ}
	query := fmt.Sprintf(`SELECT "id", "%[1]s" FROM "%[2]s" WHERE "%[1]s" IS NOT NULL AND "id" > %[3]s ORDER BY "id" LIMIT %[4]d`,
		column, table, s.d.placeholder(1), pageRows)
	after := ""
	for {
		rows, err := q.QueryContext(ctx, query, after)
		if err != nil {
			return err
		}
		var page []value
		for rows.Next() {
			var id string
			var raw any
			if err := rows.Scan(&id, &raw); err != nil {
				rows.Close()
				return err
			}
			v, err := s.d.decode(f, raw)
			if err != nil {
				err = fmt.Errorf("cannot be read as %s", typ)
			}
			page = append(page, value{id: id, v: v, err: err})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		if err := fn(page); err != nil {
			return err
		}
		if len(page) < pageRows {
			return nil
		}
		after = page[len(page)-1].id
	}
}

// check reads every value of a column to convert: how many there are, how
// many lose part of themselves, which do not convert, and, for a
// reference, which are the id of no record.
func (s *Store) check(ctx context.Context, q querier, cat *catalog, o *objectos.Object, column string, from objectos.FieldType, c conversion, ch *Change) error {
	var values, lossy, failed int64
	var ids []string
	first := ""
	err := s.eachValues(ctx, q, o.Name, column, from, func(page []value) error {
		for _, v := range page {
			values++
			err := v.err
			if err == nil {
				var lost bool
				_, lost, err = c.fn(v.v)
				if lost {
					lossy++
				}
			}
			if err == nil {
				continue
			}
			failed++
			if len(ids) < 5 {
				ids = append(ids, v.id)
			}
			if first == "" {
				first = "a value " + err.Error()
				if classOf(from) != classPassword && classOf(from) != classSecret && v.err == nil {
					first = fmt.Sprintf("%s (record %s) %s", quoteClip(textOf(v.v)), v.id, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	ch.Values = values
	ch.Effect += " (" + plural(values, "value") + ")"
	if lossy > 0 {
		ch.Effect += fmt.Sprintf("; %s of them %s", thousands(lossy), pick(lossy, "loses its time of day", "lose their time of day"))
	}
	if failed > 0 {
		ch.Problem = fmt.Sprintf("%s of %s %s not convert: %s; records %s", thousands(failed), plural(values, "value"),
			pick(failed, "does", "do"), first, idList(ids, failed)) +
			"; correct them, or declare the field as " + string(from) + " again"
		return nil
	}
	if c.reference == "" {
		return nil
	}
	var dangling []string
	n := values
	if _, ok := cat.tables[c.reference]; ok {
		where := fmt.Sprintf(`FROM "%s" t WHERE t."%s" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "%s" r WHERE r."id" = t."%[2]s")`,
			o.Name, column, c.reference)
		if err := queryOne(ctx, q, "SELECT count(*) "+where, &n); err != nil {
			return err
		}
		rows, err := q.QueryContext(ctx, `SELECT t."id" `+where+` ORDER BY t."id" LIMIT 5`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			dangling = append(dangling, id)
		}
		if err := rows.Err(); err != nil {
			return err
		}
	} else if n > 0 {
		if err := s.eachValues(ctx, q, o.Name, column, from, func(page []value) error {
			for _, v := range page[:min(len(page), 5-len(dangling))] {
				dangling = append(dangling, v.id)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	if n > 0 {
		ch.Problem = fmt.Sprintf("%s of %s %s the id of no %s record: records %s; clear or correct them",
			thousands(n), plural(values, "value"), pick(n, "is", "are"), c.reference, idList(dangling, n))
	}
	return nil
}

func (s *Store) countValues(ctx context.Context, q querier, table, column string) (int64, error) {
	var n int64
	err := queryOne(ctx, q, fmt.Sprintf(`SELECT count("%s") FROM "%s"`, column, table), &n)
	return n, err
}

func queryOne(ctx context.Context, q querier, query string, dest any) error {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest); err != nil {
		return err
	}
	return rows.Close()
}

// schemaItem is an index or a trigger of an SQLite table.
type schemaItem struct {
	name, sql string
	trigger   bool
}

func (x schemaItem) kind() string {
	if x.trigger {
		return "trigger"
	}
	return "index"
}

// tableSchema returns the indexes and triggers of an SQLite table, but the
// indexes on the columns to drop.
func (s *Store) tableSchema(ctx context.Context, q querier, table string, drops []string) ([]schemaItem, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, sql, type = 'trigger' FROM sqlite_master
		WHERE type IN ('index', 'trigger') AND tbl_name = ? AND sql IS NOT NULL ORDER BY type, name`, table)
	if err != nil {
		return nil, err
	}
	var items []schemaItem
	for rows.Next() {
		var x schemaItem
		if err := rows.Scan(&x.name, &x.sql, &x.trigger); err != nil {
			rows.Close()
			return nil, err
		}
		items = append(items, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := items[:0]
	for _, x := range items {
		if !x.trigger && len(drops) > 0 {
			cols := map[string]bool{}
			if err := scanNames(ctx, q, `SELECT name FROM pragma_index_info('`+x.name+`')`, cols); err != nil {
				return nil, err
			}
			if slices.ContainsFunc(drops, func(c string) bool { return cols[c] }) {
				continue
			}
		}
		out = append(out, x)
	}
	return out, nil
}

func idList(ids []string, n int64) string {
	out := strings.Join(ids, ", ")
	if more := n - int64(len(ids)); more > 0 {
		out += fmt.Sprintf(" and %s more", thousands(more))
	}
	return out
}

func quoteClip(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		s = string([]rune(s)[:40]) + "…"
	}
	return strconv.Quote(s)
}

// plural writes a count of things: 1 value, 1,204 values.
func plural(n int64, thing string) string { return thousands(n) + " " + pick(n, thing, thing+"s") }

func pick(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// thousands writes n with commas between thousands: 1,204.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
