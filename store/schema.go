package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/objectos-go/objectos"
)

// SchemaError is a schema change that Sync will not apply by itself: it
// names the object and the field, what is wrong and what to do.
type SchemaError struct {
	Object, Field string
	Problem       string
	Remedy        string
}

func (e *SchemaError) Error() string {
	where := e.Object
	if e.Field != "" {
		where += "." + e.Field
	}
	return fmt.Sprintf("objectos: schema: %s: %s; %s", where, e.Problem, e.Remedy)
}

type column struct{ name, typ string }

type catalog struct {
	tables  map[string]map[string]string // table -> column -> type
	columns map[string][]string          // table -> columns in table order
	types   map[string]map[string]objectos.FieldType
	indexes map[string]bool
	fks     map[string]bool
	// physical names the columns a plan renames, before the rename runs,
	// by their names in the database (see renameColumn).
	physical map[string]map[string]string
	// records are the column types to record (see columnsTable), and
	// created the tables this sync created.
	records []columnRecord
	created []string
	// later are the indexes to build after the sync's transaction, and
	// replaced the old-shape indexes replaced within it (old, new).
	later    []laterIndex
	replaced [][2]string
}

// laterIndex is an index built after the sync's transaction, without
// blocking writes (PostgreSQL's CREATE INDEX CONCURRENTLY, which cannot run
// in a transaction), and the old-shape index it replaces, dropped once it
// is built.
type laterIndex struct {
	name, sql, drop string
}

// index is an index an object needs.
type index struct {
	fields []string // the columns, id appended to ordered ones
	unique bool
	// legacy is the name of the index of the earlier shape this one
	// replaces (single columns, NULLS LAST on PostgreSQL, no id), if any.
	legacy string
}

func (ix index) name(o *objectos.Object) string {
	if ix.unique {
		return dbName("uq", append([]string{o.Name}, ix.fields...)...)
	}
	return dbName("ixo", append([]string{o.Name}, ix.fields...)...)
}

// wantedIndexes are the indexes of an object: unique fields and declared
// unique indexes as declared; every other index ordered so that the
// engine's sorts can read it in either direction, its columns NULL first
// (NULL is the smallest value in every sort) and id last (the tie-breaker
// of every sort): declared indexes, every reference field (record access
// and delete behaviours look them up), created_at (the usual sort), and
// owner_id with created_at.
func wantedIndexes(o *objectos.Object) []index {
	var out []index
	seen := map[string]bool{}
	add := func(fields []string, unique bool, legacy string) {
		if !unique && fields[len(fields)-1] != objectos.FieldID {
			fields = append(append([]string(nil), fields...), objectos.FieldID)
		}
		key := fmt.Sprint(unique, fields)
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, index{fields: fields, unique: unique, legacy: legacy})
	}
	legacy := func(fields []string) string { return dbName("ix", append([]string{o.Name}, fields...)...) }
	for _, ix := range o.Indexes {
		add(ix.Fields, ix.Unique, legacy(ix.Fields))
	}
	for _, f := range o.Fields {
		if !f.Stored() {
			continue
		}
		switch {
		case f.Unique && f.Name != objectos.FieldID:
			add([]string{f.Name}, true, "")
		case f.Kind() == objectos.KindReference && f.Name != objectos.FieldCreatedBy && f.Name != objectos.FieldUpdatedBy &&
			f.Name != objectos.FieldOwner:
			add([]string{f.Name}, false, legacy([]string{f.Name}))
		}
	}
	if o.Field(objectos.FieldCreatedAt) != nil {
		add([]string{objectos.FieldCreatedAt}, false, "")
		if o.Field(objectos.FieldOwner) != nil {
			add([]string{objectos.FieldOwner, objectos.FieldCreatedAt}, false, legacy([]string{objectos.FieldOwner}))
		}
	} else if o.Field(objectos.FieldOwner) != nil {
		add([]string{objectos.FieldOwner}, false, legacy([]string{objectos.FieldOwner}))
	}
	return out
}

// createIndexSQL is the statement that creates the index: on PostgreSQL
// every column but id ascending with NULLS FIRST, so that a forward scan
// gives ASC NULLS FIRST and a backward one DESC NULLS LAST, the engine's
// two orders; SQLite orders NULL first already.
func (s *Store) createIndexSQL(o *objectos.Object, ix index, name string, concurrently bool) string {
	var b strings.Builder
	b.WriteString("CREATE ")
	if ix.unique {
		b.WriteString("UNIQUE ")
	}
	b.WriteString("INDEX ")
	if concurrently {
		b.WriteString("CONCURRENTLY ")
	}
	b.WriteString(`IF NOT EXISTS "` + name + `" ON "` + o.Name + `" (`)
	for i, f := range ix.fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + f + `"`)
		if s.d.pg && !ix.unique && f != objectos.FieldID {
			b.WriteString(" ASC NULLS FIRST")
		}
	}
	b.WriteString(")")
	return b.String()
}

// Sync creates the tables, columns and indexes the objects need. It runs in
// one transaction (PostgreSQL DDL is transactional, and SQLite's too), under
// an advisory lock on PostgreSQL so replicas starting together do not race.
//
// It renames the column of a field declared with RenamedFrom when the table
// has the former column and not the new one, keeping its values. It never
// drops a column or rewrites a value: a change of a field's type is applied
// only when the column stores both types alike (the record of each column's
// type is kept in the objectos_columns table); any other type change, a
// rename to a column that exists already, and a new required field without
// a default on a table with rows leave the schema as it was and stop Sync
// with a *SchemaError naming the object, the field and the remedy — one per
// field, joined (errors.As finds the first). [Store.Plan] makes the changes
// Sync refuses, and drops the columns no field declares any more.
func (s *Store) Sync(ctx context.Context, objects []*objectos.Object) error {
	names := map[string]constraintInfo{}
	var cat *catalog
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if s.d.pg {
			// Index builds on big tables may take long: no statement timeout
			// for the sync (SET LOCAL ends with the transaction).
			if _, err := tx.Tx.ExecContext(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
				return err
			}
			if _, err := tx.Tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7224460419158425)"); err != nil {
				return err
			}
		}
		var err error
		if cat, err = s.readCatalog(ctx, tx.Tx); err != nil {
			return err
		}
		if _, ok := cat.tables[sequencesTable]; !ok {
			if _, err := tx.NewRaw("CREATE TABLE ? (name ? PRIMARY KEY NOT NULL, value BIGINT NOT NULL)",
				bun.Ident(sequencesTable), bun.Safe(s.d.columnType(&objectos.Field{Type: objectos.TypeText}))).Exec(ctx); err != nil {
				return err
			}
		}
		if _, ok := cat.tables[columnsTable]; !ok {
			if err := s.createColumnsTable(ctx, tx.Tx); err != nil {
				return err
			}
		}
		// Columns first, every refusal of every object at once; then the
		// indexes and foreign keys.
		var refused []error
		for _, o := range objects {
			errs, err := s.syncColumns(ctx, tx, cat, o)
			if err != nil {
				return err
			}
			refused = append(refused, errs...)
		}
		if len(refused) == 1 {
			return refused[0]
		}
		if len(refused) > 1 {
			return errors.Join(refused...)
		}
		if err := s.writeColumnTypes(ctx, tx.Tx, cat.records); err != nil {
			return err
		}
		var pending []func() error
		for _, o := range objects {
			p, err := s.syncIndexes(ctx, tx, cat, o, names)
			if err != nil {
				return err
			}
			pending = append(pending, p...)
		}
		// Foreign keys last, once every table exists (PostgreSQL only;
		// SQLite declares them with the column).
		for _, fn := range pending {
			if err := fn(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if _, ok := err.(*SchemaError); ok {
			return err
		}
		if _, ok := err.(interface{ Unwrap() []error }); ok {
			return err // refusals, joined
		}
		return fmt.Errorf("objectos: schema sync: %w", err)
	}
	s.mu.Lock()
	s.names = names
	s.mu.Unlock()
	for _, r := range cat.replaced {
		s.logger().InfoContext(ctx, "objectos: schema sync replaced an index with one that serves the engine's sorts", "old", r[0], "new", r[1])
	}
	if len(cat.later) > 0 {
		if err := s.buildLater(ctx, cat.later); err != nil {
			return fmt.Errorf("objectos: schema sync: %w", err)
		}
	}
	return nil
}

// buildLater builds indexes on existing PostgreSQL tables without blocking
// writes, one at a time, under a session advisory lock (replicas starting
// together build each once), and drops the old-shape indexes they replace.
// An index left invalid by an interrupted build is dropped and built again.
func (s *Store) buildLater(ctx context.Context, later []laterIndex) error {
	c, err := s.db.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, q := range []string{"SET statement_timeout = 0", "SELECT pg_advisory_lock(7224460419158426)"} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	defer func() {
		_, _ = c.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7224460419158426)")
		_, _ = c.ExecContext(context.WithoutCancel(ctx), "RESET statement_timeout")
	}()
	for _, ix := range later {
		var valid bool
		err := c.QueryRowContext(ctx, `SELECT i.indisvalid FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
			JOIN pg_namespace n ON n.oid = x.relnamespace WHERE x.relname = $1 AND n.nspname = current_schema()`, ix.name).Scan(&valid)
		switch {
		case err == nil && valid:
		case err == nil || errors.Is(err, sql.ErrNoRows):
			if err == nil { // an interrupted build's leftover
				if _, err := c.ExecContext(ctx, `DROP INDEX CONCURRENTLY IF EXISTS "`+ix.name+`"`); err != nil {
					return err
				}
			}
			start := time.Now()
			if _, err := c.ExecContext(ctx, ix.sql); err != nil {
				return err
			}
			s.logger().InfoContext(ctx, "objectos: schema sync built an index", "index", ix.name, "took", time.Since(start).Round(time.Millisecond))
		default:
			return err
		}
		if ix.drop != "" {
			if _, err := c.ExecContext(ctx, `DROP INDEX CONCURRENTLY IF EXISTS "`+ix.drop+`"`); err != nil {
				return err
			}
			s.logger().InfoContext(ctx, "objectos: schema sync replaced an index with one that serves the engine's sorts", "old", ix.drop, "new", ix.name)
		}
	}
	return nil
}

// readCatalog reads the tables, their columns and types, the indexes, the
// foreign keys and the recorded column types of the schema.
func (s *Store) readCatalog(ctx context.Context, tx querier) (*catalog, error) {
	cat, err := s.readTables(ctx, tx)
	if err != nil {
		return nil, err
	}
	if _, ok := cat.tables[columnsTable]; ok {
		if err := readColumnTypes(ctx, tx, cat); err != nil {
			return nil, err
		}
	}
	return cat, nil
}

func (s *Store) readTables(ctx context.Context, tx querier) (*catalog, error) {
	cat := &catalog{tables: map[string]map[string]string{}, columns: map[string][]string{},
		types: map[string]map[string]objectos.FieldType{}, indexes: map[string]bool{}, fks: map[string]bool{}}
	add := func(t, c, typ string) {
		if cat.tables[t] == nil {
			cat.tables[t] = map[string]string{}
		}
		cat.tables[t][c] = typ
		cat.columns[t] = append(cat.columns[t], c)
	}
	if s.d.pg {
		rows, err := tx.QueryContext(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns
			WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var t, c, typ string
			if err := rows.Scan(&t, &c, &typ); err != nil {
				rows.Close()
				return nil, err
			}
			add(t, c, typ)
		}
		rows.Close()
		// Only valid indexes: one an interrupted concurrent build left
		// invalid is built again.
		if err := scanNames(ctx, tx, `SELECT x.relname FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
			JOIN pg_namespace n ON n.oid = x.relnamespace WHERE n.nspname = current_schema() AND i.indisvalid`, cat.indexes); err != nil {
			return nil, err
		}
		if err := scanNames(ctx, tx, `SELECT c.conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
			WHERE n.nspname = current_schema() AND c.contype = 'f'`, cat.fks); err != nil {
			return nil, err
		}
		return cat, nil
	}
	tables := map[string]bool{}
	if err := scanNames(ctx, tx, `SELECT name FROM sqlite_master WHERE type = 'table'`, tables); err != nil {
		return nil, err
	}
	if err := scanNames(ctx, tx, `SELECT name FROM sqlite_master WHERE type = 'index'`, cat.indexes); err != nil {
		return nil, err
	}
	for t := range tables {
		if !nameOK(t) {
			continue
		}
		rows, err := tx.QueryContext(ctx, `SELECT name, type FROM pragma_table_info(?) ORDER BY cid`, t)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c, typ string
			if err := rows.Scan(&c, &typ); err != nil {
				rows.Close()
				return nil, err
			}
			add(t, c, typ)
		}
		rows.Close()
	}
	return cat, nil
}

func nameOK(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return s != ""
}

func scanNames(ctx context.Context, tx querier, query string, into map[string]bool) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return err
		}
		into[n] = true
	}
	return rows.Err()
}

// dbName shortens a generated identifier to PostgreSQL's 63 bytes, keeping
// it unique with a hash suffix.
func dbName(prefix string, parts ...string) string {
	n := prefix + "_" + strings.Join(parts, "_")
	if len(n) <= 63 {
		return n
	}
	sum := sha256.Sum256([]byte(n))
	return n[:54] + "_" + hex.EncodeToString(sum[:4])
}

func (s *Store) columnDef(o *objectos.Object, f *objectos.Field) string {
	if f.Name == objectos.FieldID {
		return fmt.Sprintf(`"id" %s%s PRIMARY KEY NOT NULL`, s.d.columnType(f), s.d.collation(f))
	}
	def := fmt.Sprintf(`"%s" %s%s`, f.Name, s.d.columnType(f), s.d.collation(f))
	if !s.d.pg && wantsFK(f) {
		def += fmt.Sprintf(` REFERENCES "%s" ("id") ON DELETE %s`, f.Target(), fkAction(f))
	}
	return def
}

// wantsFK reports whether a field gets a foreign key: declared references
// to objects of the artifact (not the audit and owner fields, nor user
// fields, whose users may come from an external identity system).
func wantsFK(f *objectos.Field) bool {
	return f.Kind() == objectos.KindReference && !f.System && f.Type != objectos.TypeUser
}

func fkAction(f *objectos.Field) string {
	switch f.OnDelete() {
	case objectos.DeleteCascade:
		return "CASCADE"
	case objectos.DeleteRestrict:
		return "RESTRICT"
	}
	return "SET NULL"
}

// syncColumns creates the object's table, or the columns it lacks, and
// checks the type of every existing column against its field's. It returns
// the changes it refuses (a type that is not stored alike, a new required
// field without a default on a table with rows), having left those columns
// as they are.
func (s *Store) syncColumns(ctx context.Context, tx bun.Tx, cat *catalog, o *objectos.Object) ([]error, error) {
	existing, exists := cat.tables[o.Name]
	if !exists {
		defs := make([]string, 0, len(o.Fields))
		for _, f := range o.Fields {
			if !f.Stored() {
				continue
			}
			defs = append(defs, s.columnDef(o, f))
			cat.records = append(cat.records, columnRecord{o.Name, f.Name, f.Type})
		}
		if _, err := tx.NewRaw("CREATE TABLE ? (?)", bun.Ident(o.Name), bun.Safe(strings.Join(defs, ", "))).Exec(ctx); err != nil {
			return nil, err
		}
		cat.created = append(cat.created, o.Name)
		return nil, nil
	}
	var refused []error
	for _, f := range o.Fields {
		if !f.Stored() {
			continue
		}
		if f.RenamedFrom == "" {
			continue
		}
		_, hasOld := existing[f.RenamedFrom]
		_, hasNew := existing[f.Name]
		switch {
		case hasOld && hasNew:
			refused = append(refused, &SchemaError{Object: o.Name, Field: f.Name,
				Problem: fmt.Sprintf("the field is renamed from %s, but the table has both columns %[1]s and %s", f.RenamedFrom, f.Name),
				Remedy: fmt.Sprintf("nothing was changed; move what you need from %[1]s into %s by hand, then drop %[1]s with a migration plan "+
					"(it drops the columns no field declares), or remove renamedFrom", f.RenamedFrom, f.Name)})
		case hasOld:
			if err := execAll(ctx, tx.Tx, s.renameColumn(cat, o, f.RenamedFrom, f.Name)); err != nil {
				return nil, err
			}
			cat.ran(o.Name)
		}
	}
	var hasRows *bool
	for _, f := range o.Fields {
		if !f.Stored() {
			continue
		}
		if colType, ok := existing[f.Name]; ok {
			from, err := s.columnType(ctx, tx.Tx, cat, o.Name, f.Name, f)
			if err != nil {
				return nil, err
			}
			switch {
			case from == "" || !sameStorage(from, f.Type):
				refused = append(refused, typeChangeError(o, f, from, colType))
			case from != f.Type || cat.types[o.Name][f.Name] != f.Type:
				cat.records = append(cat.records, columnRecord{o.Name, f.Name, f.Type})
			}
			continue
		}
		if f.Required && f.DefaultValue == nil && !hasDefaultOption(f) && f.Kind() != objectos.KindAutonumber {
			if hasRows == nil {
				var one int
				q := newSQL(s.d, o)
				q.str("SELECT 1 FROM ")
				q.ident(o.Name)
				q.str(" LIMIT 1")
				err := (&conn{s: s, q: tx.Tx}).queryRow(ctx, q, &one)
				b := err == nil
				hasRows = &b
			}
			if *hasRows {
				refused = append(refused, &SchemaError{Object: o.Name, Field: f.Name,
					Problem: "a new required field without a default cannot be added to a table that already has rows",
					Remedy:  "give the field a defaultValue, or add it as optional, fill it in, then make it required"})
				continue
			}
		}
		if _, err := tx.NewAddColumn().Table(o.Name).ColumnExpr(s.columnDef(o, f)).Exec(ctx); err != nil {
			return nil, err
		}
		cat.records = append(cat.records, columnRecord{o.Name, f.Name, f.Type})
	}
	return refused, nil
}

// syncIndexes creates the indexes the object needs, replacing those of an
// earlier shape, and returns the foreign keys to add once every table
// exists (PostgreSQL; SQLite declares them with the column).
func (s *Store) syncIndexes(ctx context.Context, tx bun.Tx, cat *catalog, o *objectos.Object, names map[string]constraintInfo) ([]func() error, error) {
	var pending []func() error
	names[o.Name+"_pkey"] = constraintInfo{object: o.Name, fields: []string{objectos.FieldID}}
	// indexes: declared, unique fields, every reference field, and the
	// orderings lists use most (see wantedIndexes).
	tableIsNew := slices.Contains(cat.created, o.Name)
	for _, ix := range wantedIndexes(o) {
		name := ix.name(o)
		if ix.unique {
			names[name] = constraintInfo{object: o.Name, fields: ix.fields}
		}
		if cat.indexes[name] {
			continue
		}
		cat.indexes[name] = true
		old := ""
		if ix.legacy != "" && cat.indexes[ix.legacy] {
			old = ix.legacy
		}
		if s.d.pg && !tableIsNew && !ix.unique {
			// A table that may hold many rows: built without blocking
			// writes, after the sync's transaction (see buildLater).
			cat.later = append(cat.later, laterIndex{name: name, sql: s.createIndexSQL(o, ix, name, true), drop: old})
			continue
		}
		if _, err := tx.Tx.ExecContext(ctx, s.createIndexSQL(o, ix, name, false)); err != nil {
			if ix.unique && isUnique(err) {
				return nil, &SchemaError{Object: o.Name, Field: strings.Join(ix.fields, ","),
					Problem: "existing rows hold duplicate values, so the unique index cannot be created",
					Remedy:  "remove the duplicates, or drop unique from the declaration"}
			}
			return nil, err
		}
		if old != "" {
			if _, err := tx.Tx.ExecContext(ctx, `DROP INDEX IF EXISTS "`+old+`"`); err != nil {
				return nil, err
			}
			cat.replaced = append(cat.replaced, [2]string{old, name})
		}
	}
	for _, f := range o.Fields {
		if !f.Stored() {
			continue
		}
		if !wantsFK(f) {
			continue
		}
		name := dbName("fk", o.Name, f.Name)
		names[name] = constraintInfo{object: o.Name, fields: []string{f.Name}}
		if !s.d.pg || cat.fks[name] {
			continue
		}
		cat.fks[name] = true
		f := f
		pending = append(pending, func() error {
			_, err := tx.NewRaw("ALTER TABLE ? ADD CONSTRAINT ? FOREIGN KEY (?) REFERENCES ? (id) ON DELETE ?",
				bun.Ident(o.Name), bun.Ident(name), bun.Ident(f.Name), bun.Ident(f.Target()), bun.Safe(fkAction(f))).Exec(ctx)
			if err != nil && strings.Contains(err.Error(), "23503") {
				return &SchemaError{Object: o.Name, Field: f.Name,
					Problem: "existing rows reference records that do not exist, so the foreign key cannot be added",
					Remedy:  "clear or fix the dangling references"}
			}
			return err
		})
	}
	return pending, nil
}

func hasDefaultOption(f *objectos.Field) bool {
	for _, o := range f.Options {
		if o.Default {
			return true
		}
	}
	return false
}
