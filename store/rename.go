package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/objectos-go/objectos"
)

// stmt is one statement with its bound values.
type stmt struct {
	sql  string
	args []any
	// effect says what it does, in plain words, for a Plan.
	effect string
}

func execAll(ctx context.Context, q querier, stmts []stmt) error {
	for _, st := range stmts {
		if _, err := q.ExecContext(ctx, st.sql, st.args...); err != nil {
			return err
		}
	}
	return nil
}

// renameColumn returns the statements that rename a column of the object's
// table (a field declared with renamedFrom), keeping its values, and what
// follows it: its recorded type, the indexes and the foreign key whose
// names hold the field's name. On PostgreSQL those are renamed; on SQLite,
// which cannot rename an index, they are dropped, and index sync creates
// them under their new names. The catalog is updated as if they ran.
func (s *Store) renameColumn(cat *catalog, o *objectos.Object, old, name string) []stmt {
	stmts := []stmt{{sql: `ALTER TABLE "` + o.Name + `" RENAME COLUMN "` + old + `" TO "` + name + `"`,
		effect: fmt.Sprintf("renames column %s.%s to %s; its values are kept", o.Name, old, name)}}
	stmts = append(stmts, s.renameFollowers(cat, o, old, name)...)
	if _, ok := cat.tables[columnsTable]; ok {
		stmts = append(stmts, s.forgetColumn(o.Name, name),
			stmt{sql: `UPDATE ` + columnsTable + ` SET "field" = ` + s.d.placeholder(1) + ` WHERE "object" = ` + s.d.placeholder(2) +
				` AND "field" = ` + s.d.placeholder(3), args: []any{name, o.Name, old},
				effect: fmt.Sprintf("moves the recorded type of %s.%s to %s", o.Name, old, name)})
	}
	cat.renameColumn(o.Name, old, name)
	return stmts
}

// forgetColumn is the statement that deletes the recorded type of a column.
func (s *Store) forgetColumn(table, column string) stmt {
	return stmt{sql: `DELETE FROM ` + columnsTable + ` WHERE "object" = ` + s.d.placeholder(1) + ` AND "field" = ` + s.d.placeholder(2),
		args: []any{table, column}, effect: fmt.Sprintf("forgets any recorded type of %s.%s", table, column)}
}

// renameFollowers returns the statements that rename (PostgreSQL) or drop
// (SQLite) the indexes and foreign key of a renamed column whose names hold
// the former name, and updates the catalog's names.
func (s *Store) renameFollowers(cat *catalog, o *objectos.Object, old, name string) []stmt {
	var stmts []stmt
	renameIndex := func(from, to string) {
		if from == to || !cat.indexes[from] {
			return
		}
		delete(cat.indexes, from)
		if s.d.pg && !cat.indexes[to] {
			stmts = append(stmts, stmt{sql: `ALTER INDEX "` + from + `" RENAME TO "` + to + `"`,
				effect: fmt.Sprintf("renames index %s after the column", from)})
			cat.indexes[to] = true
			return
		}
		stmts = append(stmts, stmt{sql: `DROP INDEX IF EXISTS "` + from + `"`,
			effect: fmt.Sprintf("drops index %s; schema sync builds it again under the column's new name", from)})
	}
	was := formerObject(o, old, name)
	before, after := wantedIndexes(was), wantedIndexes(o)
	for i := range min(len(before), len(after)) {
		renameIndex(before[i].name(was), after[i].name(o))
		if before[i].legacy != "" && after[i].legacy != "" {
			renameIndex(before[i].legacy, after[i].legacy)
		}
	}
	// SQLite declares the foreign key with the column, which takes it along.
	if fk, to := dbName("fk", o.Name, old), dbName("fk", o.Name, name); s.d.pg && cat.fks[fk] && !cat.fks[to] {
		stmts = append(stmts, stmt{sql: `ALTER TABLE "` + o.Name + `" RENAME CONSTRAINT "` + fk + `" TO "` + to + `"`,
			effect: fmt.Sprintf("renames foreign key %s after the column", fk)})
		delete(cat.fks, fk)
		cat.fks[to] = true
	}
	return stmts
}

// formerObject is the object as it was declared before the field old was
// renamed to name.
func formerObject(o *objectos.Object, old, name string) *objectos.Object {
	was := *o
	was.Fields = make([]*objectos.Field, len(o.Fields))
	for i, f := range o.Fields {
		if f.Name == name {
			c := *f
			c.Name = old
			f = &c
		}
		was.Fields[i] = f
	}
	was.Indexes = make([]objectos.Index, len(o.Indexes))
	for i, ix := range o.Indexes {
		ix.Fields = slices.Clone(ix.Fields)
		for j, fn := range ix.Fields {
			if fn == name {
				ix.Fields[j] = old
			}
		}
		was.Indexes[i] = ix
	}
	return &was
}

// renameColumn renames a column in the catalog; until the rename runs
// (see ran), the database still knows it by its former name.
func (cat *catalog) renameColumn(table, old, name string) {
	if cat.physical == nil {
		cat.physical = map[string]map[string]string{}
	}
	if cat.physical[table] == nil {
		cat.physical[table] = map[string]string{}
	}
	cat.physical[table][name] = cat.column(table, old)
	cols := cat.tables[table]
	cols[name] = cols[old]
	delete(cols, old)
	if i := slices.Index(cat.columns[table], old); i >= 0 {
		cat.columns[table][i] = name
	}
	if t, ok := cat.types[table][old]; ok {
		cat.types[table][name] = t
		delete(cat.types[table], old)
	} else {
		delete(cat.types[table], name)
	}
}

// ran marks the renames of a table's columns as made in the database.
func (cat *catalog) ran(table string) { delete(cat.physical, table) }

// column is the name the database knows a column by now.
func (cat *catalog) column(table, name string) string {
	if old, ok := cat.physical[table][name]; ok {
		return old
	}
	return name
}
