package store

import (
	"context"
	"slices"

	"github.com/objectos-go/objectos"
)

// renameColumn renames a column of the object's table (a field declared
// with renamedFrom), keeping its values, and what follows it: its recorded
// type, the indexes and the foreign key whose names hold the field's name.
// On PostgreSQL those are renamed; on SQLite, which cannot rename an index,
// they are dropped, and index sync creates them under their new names.
func (s *Store) renameColumn(ctx context.Context, q querier, cat *catalog, o *objectos.Object, old, name string) error {
	stmts := []string{`ALTER TABLE "` + o.Name + `" RENAME COLUMN "` + old + `" TO "` + name + `"`}
	stmts = append(stmts, s.renameFollowers(cat, o, old, name)...)
	for _, stmt := range stmts {
		if _, err := q.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if _, ok := cat.tables[columnsTable]; ok {
		for _, stmt := range []struct {
			sql  string
			args []any
		}{
			{`DELETE FROM ` + columnsTable + ` WHERE "object" = ` + s.d.placeholder(1) + ` AND "field" = ` + s.d.placeholder(2), []any{o.Name, name}},
			{`UPDATE ` + columnsTable + ` SET "field" = ` + s.d.placeholder(1) + ` WHERE "object" = ` + s.d.placeholder(2) +
				` AND "field" = ` + s.d.placeholder(3), []any{name, o.Name, old}},
		} {
			if _, err := q.ExecContext(ctx, stmt.sql, stmt.args...); err != nil {
				return err
			}
		}
	}
	cat.renameColumn(o.Name, old, name)
	return nil
}

// renameFollowers returns the statements that rename (PostgreSQL) or drop
// (SQLite) the indexes and foreign key of a renamed column whose names hold
// the former name, and updates the catalog's names.
func (s *Store) renameFollowers(cat *catalog, o *objectos.Object, old, name string) []string {
	var stmts []string
	renameIndex := func(from, to string) {
		if from == to || !cat.indexes[from] {
			return
		}
		delete(cat.indexes, from)
		if s.d.pg && !cat.indexes[to] {
			stmts = append(stmts, `ALTER INDEX "`+from+`" RENAME TO "`+to+`"`)
			cat.indexes[to] = true
			return
		}
		stmts = append(stmts, `DROP INDEX IF EXISTS "`+from+`"`)
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
		stmts = append(stmts, `ALTER TABLE "`+o.Name+`" RENAME CONSTRAINT "`+fk+`" TO "`+to+`"`)
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

// renameColumn renames a column in the catalog.
func (cat *catalog) renameColumn(table, old, name string) {
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
