package store

import (
	"context"
	"strings"

	"github.com/objectos-go/objectos"
)

// Analyze refreshes the database's statistics of the store's tables
// (ANALYZE), which the planner uses to choose indexes and to estimate
// totals (see objectos.Query.EstimateCount); run it after loading many rows
// by hand. On PostgreSQL it analyzes the tables of the store's schema only
// (the first of its search_path), not the whole database, where other
// applications' DDL would contend with it.
func (s *Store) Analyze(ctx context.Context) error {
	if !s.d.pg {
		_, err := s.db.DB.ExecContext(ctx, "ANALYZE")
		return s.translate(err)
	}
	rows, err := s.db.DB.QueryContext(ctx,
		"SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")
	if err != nil {
		return s.translate(err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return s.translate(err)
		}
		tables = append(tables, t)
	}
	if err := rows.Close(); err != nil {
		return s.translate(err)
	}
	if err := rows.Err(); err != nil || len(tables) == 0 {
		return s.translate(err)
	}
	// names from the catalog, quoted by the database: nothing of a caller's
	_, err = s.db.DB.ExecContext(ctx, "ANALYZE "+strings.Join(tables, ", "))
	return s.translate(err)
}

// Explain returns the database's plan of the statement Find would send for
// the select: on PostgreSQL EXPLAIN in JSON (with ANALYZE, which runs the
// statement, when analyze is set), on SQLite EXPLAIN QUERY PLAN, one step
// per line. It is for looking at the SQL the engine sends, in tests and by
// hand.
func (s *Store) Explain(ctx context.Context, o *objectos.Object, sel *objectos.Select, analyze bool) (string, error) {
	c := s.conn()
	q, _, err := c.selectSQL(o, sel)
	if err != nil {
		return "", err
	}
	prefix := "EXPLAIN QUERY PLAN "
	if s.d.pg {
		prefix = "EXPLAIN (FORMAT JSON) "
		if analyze {
			prefix = "EXPLAIN (ANALYZE, FORMAT JSON) "
		}
	}
	rows, err := c.q.QueryContext(ctx, prefix+q.b.String(), q.args...)
	if err != nil {
		return "", s.translate(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		if s.d.pg {
			var plan string
			if err := rows.Scan(&plan); err != nil {
				return "", err
			}
			out = append(out, plan)
			continue
		}
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", err
		}
		out = append(out, detail)
	}
	return strings.Join(out, "\n"), rows.Err()
}
