package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/objectos-go/objectos"
)

// sqlb builds one statement: SQL text with placeholders and its arguments.
type sqlb struct {
	d    *dialect
	o    *objectos.Object
	b    strings.Builder
	args []any
	// err is the first error of a part written without one (col).
	err error
	// inLookup is set while the expression of a lookup is written, with o
	// its target.
	inLookup bool
}

func newSQL(d *dialect, o *objectos.Object) *sqlb {
	q := &sqlb{d: d, o: o}
	q.b.Grow(128)
	return q
}

func (q *sqlb) str(s string) { q.b.WriteString(s) }

// ident writes a quoted identifier. Identifiers come from the artifact and
// match ^[a-z_][a-z0-9_]*$, so quoting never needs escaping.
func (q *sqlb) ident(name string) {
	q.b.WriteByte('"')
	q.b.WriteString(name)
	q.b.WriteByte('"')
}

// arg binds a value and writes its placeholder.
func (q *sqlb) arg(v any) {
	q.args = append(q.args, v)
	if q.d.pg {
		q.b.WriteByte('$')
		q.b.WriteString(strconv.Itoa(len(q.args)))
	} else {
		q.b.WriteByte('?')
	}
}

func (q *sqlb) field(name string) (*objectos.Field, error) {
	f := q.o.Field(name)
	if f == nil {
		return nil, fmt.Errorf("store: %s has no field %q", q.o.Name, name)
	}
	return f, nil
}

// value binds a canonical value of the field.
func (q *sqlb) value(f *objectos.Field, v any) error {
	enc, err := q.d.encode(f, v)
	if err != nil {
		return err
	}
	q.arg(enc)
	return nil
}

// where compiles a bound filter. Negations are pushed down to the leaves
// (neg), where a negated comparison also matches NULL, as ObjectQL requires:
// in a negation-free formula a NULL comparison acts as false, so only
// negated leaves need an explicit IS NULL arm.
func (q *sqlb) where(f *objectos.Filter, neg bool) error {
	if err := q.cond(f, neg); err != nil {
		return err
	}
	return q.err
}

func (q *sqlb) cond(f *objectos.Filter, neg bool) error {
	if f == nil {
		if neg {
			q.str("1=0")
		} else {
			q.str("1=1")
		}
		return nil
	}
	switch f.Op {
	case objectos.OpAnd, objectos.OpOr:
		isAnd := f.Op == objectos.OpAnd
		if neg {
			isAnd = !isAnd
		}
		if len(f.Children) == 0 {
			if (f.Op == objectos.OpAnd) != neg {
				q.str("1=1")
			} else {
				q.str("1=0")
			}
			return nil
		}
		if len(f.Children) == 1 {
			return q.cond(f.Children[0], neg)
		}
		q.str("(")
		for i, c := range f.Children {
			if i > 0 {
				if isAnd {
					q.str(" AND ")
				} else {
					q.str(" OR ")
				}
			}
			if err := q.cond(c, neg); err != nil {
				return err
			}
		}
		q.str(")")
		return nil
	case objectos.OpNot:
		if len(f.Children) != 1 {
			return fmt.Errorf("store: $not needs one child")
		}
		return q.cond(f.Children[0], !neg)
	case objectos.OpExpr:
		// true, or (negated) false: a NULL matches neither
		if f.Expr == nil || f.Expr.Type != objectos.ExprBool {
			return fmt.Errorf("store: $expr needs a boolean expression")
		}
		if neg {
			q.str("(NOT ")
		}
		if err := q.expr(f.Expr); err != nil {
			return err
		}
		if neg {
			q.str(")")
		}
		return nil
	}
	fld, err := q.field(f.Field)
	if err != nil {
		return err
	}
	if f.Ref != "" {
		return q.refComparison(fld, f, neg)
	}
	if f.Op == objectos.OpNull {
		q.col(fld)
		if neg {
			q.str(" IS NOT NULL")
		} else {
			q.str(" IS NULL")
		}
		return nil
	}
	if neg {
		q.str("(NOT (")
	}
	if err := q.leaf(fld, f); err != nil {
		return err
	}
	if neg {
		q.str(") OR ")
		q.col(fld)
		q.str(" IS NULL)")
	}
	return nil
}

var cmpSQL = map[objectos.Op]string{
	objectos.OpEq: " = ", objectos.OpGt: " > ", objectos.OpGte: " >= ", objectos.OpLt: " < ", objectos.OpLte: " <= ",
}

func (q *sqlb) leaf(fld *objectos.Field, f *objectos.Filter) error {
	switch f.Op {
	case objectos.OpEq, objectos.OpGt, objectos.OpGte, objectos.OpLt, objectos.OpLte:
		q.col(fld)
		q.str(cmpSQL[f.Op])
		return q.value(fld, f.Value)
	case objectos.OpIn:
		vals, ok := f.Value.([]any)
		if !ok {
			return fmt.Errorf("store: $in needs []any")
		}
		if len(vals) == 0 {
			q.str("1=0")
			return nil
		}
		q.col(fld)
		q.str(" IN (")
		for i, v := range vals {
			if i > 0 {
				q.str(", ")
			}
			if err := q.value(fld, v); err != nil {
				return err
			}
		}
		q.str(")")
		return nil
	case objectos.OpContains, objectos.OpStartsWith, objectos.OpEndsWith, objectos.OpIContains:
		s, _ := f.Value.(string)
		return q.match(fld, f.Op, s)
	case objectos.OpLike:
		s, _ := f.Value.(string)
		q.col(fld)
		if q.d.pg {
			q.str(` LIKE `)
			q.arg(s)
			q.str(` ESCAPE '\'`)
		} else {
			q.str(" GLOB ")
			q.arg(likeToGlob(s))
		}
		return nil
	case objectos.OpILike:
		s, _ := f.Value.(string)
		if q.d.pg {
			q.asciiLower(fld.Name)
			q.str(` LIKE `)
			q.arg(asciiLower(s))
			q.str(` ESCAPE '\'`)
		} else {
			q.col(fld)
			q.str(` LIKE `)
			q.arg(s)
			q.str(` ESCAPE '\'`)
		}
		return nil
	case objectos.OpHas:
		vals, ok := f.Value.([]string)
		if !ok || len(vals) == 0 {
			q.str("1=0")
			return nil
		}
		if q.d.pg {
			q.col(fld)
			q.str(" ?| ")
			q.arg(vals)
			return nil
		}
		q.str("EXISTS (SELECT 1 FROM json_each(")
		q.col(fld)
		q.str(") WHERE value IN (")
		for i, v := range vals {
			if i > 0 {
				q.str(", ")
			}
			q.arg(v)
		}
		q.str("))")
		return nil
	}
	return fmt.Errorf("store: unsupported operator %s", f.Op)
}

const upperASCII, lowerASCII = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"

// asciiLower writes the column folded to lower case for A-Z only (SQLite's
// lower() already folds ASCII only; PostgreSQL's follows the locale).
func (q *sqlb) asciiLower(name string) {
	if q.d.pg {
		q.str("translate(")
		q.colName(name)
		q.str(", '" + upperASCII + "', '" + lowerASCII + "')")
		return
	}
	q.str("lower(")
	q.colName(name)
	q.str(")")
}

// match compiles the literal, case-sensitive string operators (and
// $icontains, case-insensitive for ASCII) with escaped patterns, so that %,
// _ and the GLOB metacharacters are literal.
func (q *sqlb) match(fld *objectos.Field, op objectos.Op, s string) error {
	// PostgreSQL: LIKE with % and an escape character; SQLite: GLOB (which
	// is case-sensitive, unlike its LIKE) with * and bracketed literals.
	esc, keyword, wild, suffix := globEscaper.Replace(s), " GLOB ", "*", ""
	if q.d.pg {
		esc, keyword, wild, suffix = likeEscaper.Replace(s), " LIKE ", "%", ` ESCAPE '\'`
	}
	if op == objectos.OpIContains {
		q.asciiLower(fld.Name)
	} else {
		q.col(fld)
	}
	q.str(keyword)
	switch op {
	case objectos.OpStartsWith:
		q.arg(esc + wild)
	case objectos.OpEndsWith:
		q.arg(wild + esc)
	default:
		q.arg(wild + esc + wild)
	}
	q.str(suffix)
	return nil
}

var (
	likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	globEscaper = strings.NewReplacer(`[`, `[[]`, `*`, `[*]`, `?`, `[?]`)
)

// likeToGlob turns a LIKE pattern (with \ escapes) into a case-sensitive
// GLOB pattern for SQLite. It works on bytes: the metacharacters of both are
// ASCII, and every other byte (of a multi-byte character, say) is copied as
// it is.
func likeToGlob(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	literal := func(c byte) {
		switch c {
		case '[', '*', '?':
			b.WriteByte('[')
			b.WriteByte(c)
			b.WriteByte(']')
		default:
			b.WriteByte(c)
		}
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) {
				i++
				literal(s[i])
			}
		case '%':
			b.WriteByte('*')
		case '_':
			b.WriteByte('?')
		default:
			literal(c)
		}
	}
	return b.String()
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func (q *sqlb) refComparison(fld *objectos.Field, f *objectos.Filter, neg bool) error {
	ref, err := q.field(f.Ref)
	if err != nil {
		return err
	}
	if f.Op == objectos.OpEq {
		q.col(fld)
		switch {
		case q.d.pg && !neg:
			q.str(" IS NOT DISTINCT FROM ")
		case q.d.pg && neg:
			q.str(" IS DISTINCT FROM ")
		case !neg:
			q.str(" IS ")
		default:
			q.str(" IS NOT ")
		}
		q.col(ref)
		return nil
	}
	op, ok := cmpSQL[f.Op]
	if !ok {
		return fmt.Errorf("store: unsupported field comparison %s", f.Op)
	}
	if neg {
		q.str("(NOT (")
	}
	q.col(fld)
	q.str(op)
	q.col(ref)
	if neg {
		q.str(") OR ")
		q.col(fld)
		q.str(" IS NULL OR ")
		q.col(ref)
		q.str(" IS NULL)")
	}
	return nil
}

// after compiles the keyset condition "the row sorts after vals" for the
// sort keys, with NULL as the smallest value.
func (q *sqlb) after(keys []objectos.SortKey, vals []any) error {
	if len(keys) != len(vals) {
		return fmt.Errorf("store: keyset needs one value per sort key")
	}
	if rowValueAfter(keys, vals) {
		return q.afterRow(keys, vals)
	}
	q.str("(")
	first := true
	for i := range keys {
		k, v := keys[i], vals[i]
		if k.Desc && v == nil {
			continue // nothing sorts after NULL in descending order
		}
		if !first {
			q.str(" OR ")
		}
		first = false
		q.str("(")
		for j := 0; j < i; j++ {
			fj, err := q.field(keys[j].Field)
			if err != nil {
				return err
			}
			q.col(fj)
			if vals[j] == nil {
				q.str(" IS NULL")
			} else {
				q.str(" = ")
				if err := q.value(fj, vals[j]); err != nil {
					return err
				}
			}
			q.str(" AND ")
		}
		f, err := q.field(k.Field)
		if err != nil {
			return err
		}
		switch {
		case v == nil: // ascending: every non-NULL value follows NULL
			q.col(f)
			q.str(" IS NOT NULL")
		case k.Desc:
			q.str("(")
			q.col(f)
			q.str(" < ")
			if err := q.value(f, v); err != nil {
				return err
			}
			q.str(" OR ")
			q.col(f)
			q.str(" IS NULL)")
		default:
			q.col(f)
			q.str(" > ")
			if err := q.value(f, v); err != nil {
				return err
			}
		}
		q.str(")")
	}
	if first {
		q.str("1=0")
	}
	q.str(")")
	return nil
}

// rowValueAfter reports whether the rows after a keyset are exactly those
// whose sort keys compare greater (ascending) or smaller (descending) as a
// row value, (a, b, id) > (x, y, z), which the database reads as one range
// of an index on those columns: every key in the same direction, and no
// NULL to step over — none in the values, and in descending order (NULL
// last) only columns that are never NULL.
func rowValueAfter(keys []objectos.SortKey, vals []any) bool {
	for i, k := range keys {
		if vals[i] == nil || k.Desc != keys[0].Desc {
			return false
		}
		if k.Desc && !neverNull(k.Field) {
			return false
		}
	}
	return true
}

// neverNull are the columns the engine always fills.
func neverNull(field string) bool {
	switch field {
	case objectos.FieldID, objectos.FieldCreatedAt, objectos.FieldUpdatedAt:
		return true
	}
	return false
}

// afterRow writes the keyset condition as a row-value comparison.
func (q *sqlb) afterRow(keys []objectos.SortKey, vals []any) error {
	q.str("(")
	for i, k := range keys {
		if i > 0 {
			q.str(", ")
		}
		q.colName(k.Field)
	}
	if keys[0].Desc {
		q.str(") < (")
	} else {
		q.str(") > (")
	}
	for i, k := range keys {
		if i > 0 {
			q.str(", ")
		}
		f, err := q.field(k.Field)
		if err != nil {
			return err
		}
		if err := q.value(f, vals[i]); err != nil {
			return err
		}
	}
	q.str(")")
	return nil
}

func (c *conn) Find(ctx context.Context, o *objectos.Object, sel *objectos.Select) ([]objectos.Record, error) {
	q, cols, err := c.selectSQL(o, sel)
	if err != nil {
		return nil, err
	}
	rows, err := c.query(ctx, q.b.String(), q.args...)
	if err != nil {
		return nil, c.s.translate(err)
	}
	return c.records(rows, cols, sel.Limit)
}

// selectSQL is the statement of a Find, and the fields of its columns.
func (c *conn) selectSQL(o *objectos.Object, sel *objectos.Select) (*sqlb, []*objectos.Field, error) {
	q := newSQL(c.s.d, o)
	fields := sel.Fields
	if len(fields) == 0 {
		fields = make([]string, 0, len(o.Fields))
		for _, f := range o.Fields {
			if f.Stored() {
				fields = append(fields, f.Name)
			}
		}
	}
	cols := make([]*objectos.Field, len(fields))
	q.str("SELECT ")
	for i, name := range fields {
		f, err := q.field(name)
		if err != nil {
			return nil, nil, err
		}
		cols[i] = f
		if i > 0 {
			q.str(", ")
		}
		if !f.Stored() {
			if f.Computed() == nil {
				return nil, nil, fmt.Errorf("store: %s.%s is computed after the read, not by the database", o.Name, name)
			}
			q.col(f)
			q.str(" AS ")
		}
		q.ident(name)
	}
	q.str(" FROM ")
	q.ident(o.Name)
	if sel.Where != nil || len(sel.After) > 0 {
		q.str(" WHERE ")
		if err := q.where(sel.Where, false); err != nil {
			return nil, nil, err
		}
		if len(sel.After) > 0 {
			q.str(" AND ")
			if err := q.after(sel.Sort, sel.After); err != nil {
				return nil, nil, err
			}
		}
	}
	q.orderBy(sel.Sort)
	q.page(sel.Limit, sel.Offset)
	if sel.Lock && c.s.d.pg {
		q.str(" FOR UPDATE")
	}
	if q.err != nil {
		return nil, nil, q.err
	}
	return q, cols, nil
}

// records reads the rows of cols as canonical records (expecting about
// limit of them; 0: unknown) and closes the rows.
func (c *conn) records(rows *sql.Rows, cols []*objectos.Field, limit int) ([]objectos.Record, error) {
	defer rows.Close()
	var out []objectos.Record
	if limit > 0 {
		out = make([]objectos.Record, 0, min(limit, 256))
	}
	raw := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, c.s.translate(err)
		}
		rec := make(objectos.Record, len(cols))
		for i, f := range cols {
			v, err := c.s.d.decode(f, raw[i])
			if err != nil {
				return nil, err
			}
			rec[f.Name] = v
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, c.s.translate(err)
	}
	return out, nil
}

// orderBy writes the ORDER BY of sort keys, NULL as the smallest value.
func (q *sqlb) orderBy(keys []objectos.SortKey) {
	if len(keys) == 0 {
		return
	}
	q.str(" ORDER BY ")
	for i, k := range keys {
		if i > 0 {
			q.str(", ")
		}
		q.colName(k.Field)
		switch {
		case k.Field == objectos.FieldID:
			// never NULL: the plain order, which the primary key and the
			// id that ends every ordered index serve
			if k.Desc {
				q.str(" DESC")
			}
		case k.Desc && q.d.pg:
			q.str(" DESC NULLS LAST")
		case k.Desc:
			q.str(" DESC")
		case q.d.pg:
			q.str(" ASC NULLS FIRST")
		}
	}
}

// page writes LIMIT and OFFSET (0: none).
func (q *sqlb) page(limit, offset int) {
	if limit > 0 {
		q.str(" LIMIT ")
		q.arg(int64(limit))
	} else if offset > 0 && !q.d.pg {
		q.str(" LIMIT -1")
	}
	if offset > 0 {
		q.str(" OFFSET ")
		q.arg(int64(offset))
	}
}

func (c *conn) Count(ctx context.Context, o *objectos.Object, where *objectos.Filter) (int64, error) {
	q := newSQL(c.s.d, o)
	q.str("SELECT COUNT(*) FROM ")
	q.ident(o.Name)
	if where != nil {
		q.str(" WHERE ")
		if err := q.where(where, false); err != nil {
			return 0, err
		}
	}
	var n int64
	if err := c.queryRow(ctx, q, &n); err != nil {
		return 0, c.s.translate(err)
	}
	return n, nil
}

// Estimate implements objectos.Estimator: PostgreSQL's planner estimate of
// the rows matching where (from its statistics, without reading them); -1
// on SQLite, which has none.
func (c *conn) Estimate(ctx context.Context, o *objectos.Object, where *objectos.Filter) (int64, error) {
	if !c.s.d.pg {
		return -1, nil
	}
	q := newSQL(c.s.d, o)
	q.str("EXPLAIN (FORMAT JSON) SELECT 1 FROM ")
	q.ident(o.Name)
	if where != nil {
		q.str(" WHERE ")
		if err := q.where(where, false); err != nil {
			return 0, err
		}
	}
	var plan []byte
	if err := c.queryRow(ctx, q, &plan); err != nil {
		return 0, c.s.translate(err)
	}
	var doc []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal(plan, &doc); err != nil || len(doc) == 0 {
		return -1, nil
	}
	return int64(doc[0].Plan.Rows), nil
}

func (c *conn) queryRow(ctx context.Context, q *sqlb, dest ...any) error {
	rows, err := c.query(ctx, q.b.String(), q.args...)
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
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// maxInsertParams bounds the bound parameters of one multi-row INSERT, well
// under PostgreSQL's 65,535 and SQLite's 32,766.
const maxInsertParams = 8000

var _ objectos.BatchInserter = (*conn)(nil)

// InsertMany implements objectos.BatchInserter: multi-row INSERTs of as many
// rows as fit maxInsertParams. A field a record leaves out is stored as NULL.
// The statements are not cached: their text depends on the row count.
func (c *conn) InsertMany(ctx context.Context, o *objectos.Object, rows []objectos.Record) error {
	var cols []*objectos.Field
	for _, f := range o.Fields {
		if !f.Stored() {
			continue
		}
		for _, r := range rows {
			if _, ok := r[f.Name]; ok {
				cols = append(cols, f)
				break
			}
		}
	}
	for i, r := range rows {
		n := 0
		for _, f := range cols {
			if _, ok := r[f.Name]; ok {
				n++
			}
		}
		if n != len(r) {
			return fmt.Errorf("store: insert into %s: unknown fields in row %d", o.Name, i)
		}
	}
	if len(cols) == 0 {
		return nil
	}
	per := max(1, maxInsertParams/len(cols))
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		q := newSQL(c.s.d, o)
		q.str("INSERT INTO ")
		q.ident(o.Name)
		q.str(" (")
		for i, f := range cols {
			if i > 0 {
				q.str(", ")
			}
			q.ident(f.Name)
		}
		q.str(") VALUES ")
		for i, r := range chunk {
			if i > 0 {
				q.str(", ")
			}
			q.str("(")
			for j, f := range cols {
				if j > 0 {
					q.str(", ")
				}
				if err := q.value(f, r[f.Name]); err != nil {
					return err
				}
			}
			q.str(")")
		}
		qs := q.b.String()
		qctx, ob := c.s.before(ctx, qs)
		res, err := c.q.ExecContext(qctx, qs, q.args...)
		ob.after(qctx, res, err)
		if err != nil {
			return c.s.translate(err)
		}
	}
	return nil
}

// InsertMany implements objectos.BatchInserter outside a transaction.
func (s *Store) InsertMany(ctx context.Context, o *objectos.Object, rows []objectos.Record) error {
	return s.conn().InsertMany(ctx, o, rows)
}

func (c *conn) Insert(ctx context.Context, o *objectos.Object, values objectos.Record) error {
	q := newSQL(c.s.d, o)
	q.str("INSERT INTO ")
	q.ident(o.Name)
	q.str(" (")
	n := 0
	for _, f := range o.Fields {
		if !f.Stored() {
			continue
		}
		if _, ok := values[f.Name]; !ok {
			continue
		}
		if n > 0 {
			q.str(", ")
		}
		q.ident(f.Name)
		n++
	}
	if n != len(values) {
		return fmt.Errorf("store: insert into %s: unknown fields in values", o.Name)
	}
	q.str(") VALUES (")
	n = 0
	for _, f := range o.Fields {
		if !f.Stored() {
			continue
		}
		v, ok := values[f.Name]
		if !ok {
			continue
		}
		if n > 0 {
			q.str(", ")
		}
		if err := q.value(f, v); err != nil {
			return err
		}
		n++
	}
	q.str(")")
	if _, err := c.exec(ctx, q.b.String(), q.args...); err != nil {
		return c.s.translate(err)
	}
	return nil
}

func (c *conn) Update(ctx context.Context, o *objectos.Object, where *objectos.Filter, values objectos.Record) (int64, error) {
	if len(values) == 0 {
		return c.Count(ctx, o, where)
	}
	q := newSQL(c.s.d, o)
	q.str("UPDATE ")
	q.ident(o.Name)
	q.str(" SET ")
	n := 0
	for _, f := range o.Fields {
		if !f.Stored() {
			continue
		}
		v, ok := values[f.Name]
		if !ok {
			continue
		}
		if n > 0 {
			q.str(", ")
		}
		q.ident(f.Name)
		q.str(" = ")
		if err := q.value(f, v); err != nil {
			return 0, err
		}
		n++
	}
	if n != len(values) {
		return 0, fmt.Errorf("store: update %s: unknown fields in values", o.Name)
	}
	return c.execWhere(ctx, q, where)
}

func (c *conn) Delete(ctx context.Context, o *objectos.Object, where *objectos.Filter) (int64, error) {
	q := newSQL(c.s.d, o)
	q.str("DELETE FROM ")
	q.ident(o.Name)
	return c.execWhere(ctx, q, where)
}

// execWhere ends an UPDATE or DELETE with its WHERE clause (none: every
// row), runs it and returns the rows it changed.
func (c *conn) execWhere(ctx context.Context, q *sqlb, where *objectos.Filter) (int64, error) {
	if where != nil {
		q.str(" WHERE ")
		if err := q.where(where, false); err != nil {
			return 0, err
		}
	}
	res, err := c.exec(ctx, q.b.String(), q.args...)
	if err != nil {
		return 0, c.s.translate(err)
	}
	return res.RowsAffected()
}

const sequencesTable = "objectos_sequences"

func (c *conn) NextSequence(ctx context.Context, name string) (int64, error) {
	q := newSQL(c.s.d, nil)
	q.str("INSERT INTO " + sequencesTable + " (name, value) VALUES (")
	q.arg(name)
	q.str(", 1) ON CONFLICT (name) DO UPDATE SET value = " + sequencesTable + ".value + 1 RETURNING value")
	var n int64
	if err := c.queryRow(ctx, q, &n); err != nil {
		return 0, c.s.translate(err)
	}
	return n, nil
}
