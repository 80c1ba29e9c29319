package store

import (
	"context"
	"fmt"
	"strconv"

	"github.com/objectos-go/objectos"
)

var (
	_ objectos.Aggregator = (*conn)(nil)
	_ objectos.Aggregator = (*Store)(nil)
)

// Aggregate implements objectos.Aggregator outside a transaction.
func (s *Store) Aggregate(ctx context.Context, o *objectos.Object, a *objectos.AggregateSelect) ([]objectos.Record, error) {
	return s.conn().Aggregate(ctx, o, a)
}

// Aggregate implements objectos.Aggregator in one statement: the grouping
// in a subquery, whose result columns (g0…, a0…) the outer query filters
// (Having), sorts and pages:
//
//	SELECT "g0", "a0" FROM (SELECT <key> AS "g0", <agg> AS "a0" FROM "t"
//	  WHERE … GROUP BY 1) AS "objectos_agg" WHERE <having> ORDER BY … LIMIT …
func (c *conn) Aggregate(ctx context.Context, o *objectos.Object, a *objectos.AggregateSelect) ([]objectos.Record, error) {
	if len(a.Aggs) == 0 || a.Result == nil || len(a.Result.Fields) != len(a.Groups)+len(a.Aggs) {
		return nil, fmt.Errorf("store: aggregate on %s: malformed select", o.Name)
	}
	q := newSQL(c.s.d, o)
	cols := a.Result.Fields
	q.str("SELECT ")
	for i, f := range cols {
		if i > 0 {
			q.str(", ")
		}
		q.ident(f.Name)
	}
	q.str(" FROM (SELECT ")
	for i, g := range a.Groups {
		if i > 0 {
			q.str(", ")
		}
		if err := q.groupKey(g); err != nil {
			return nil, err
		}
		q.str(" AS ")
		q.ident(cols[i].Name)
	}
	for i, ag := range a.Aggs {
		if i > 0 || len(a.Groups) > 0 {
			q.str(", ")
		}
		if err := q.aggregate(ag); err != nil {
			return nil, err
		}
		q.str(" AS ")
		q.ident(cols[len(a.Groups)+i].Name)
	}
	q.str(" FROM ")
	q.ident(o.Name)
	if a.Where != nil {
		q.str(" WHERE ")
		if err := q.where(a.Where, false); err != nil {
			return nil, err
		}
	}
	if len(a.Groups) > 0 {
		q.str(" GROUP BY ")
		for i := range a.Groups {
			if i > 0 {
				q.str(", ")
			}
			q.str(strconv.Itoa(i + 1))
		}
	}
	q.str(") AS ")
	q.ident("objectos_agg")
	q.o = a.Result // Having and the sort name result columns
	if a.Having != nil {
		q.str(" WHERE ")
		if err := q.where(a.Having, false); err != nil {
			return nil, err
		}
	}
	q.orderBy(a.Sort)
	q.page(a.Limit, a.Offset)
	rows, err := c.query(ctx, q.b.String(), q.args...)
	if err != nil {
		return nil, c.s.translate(err)
	}
	return c.records(rows, cols, a.Limit)
}

// groupKey writes a group key: the column, or its date bucket as the
// bucket's first day (UTC for datetimes; weeks start on Monday).
func (q *sqlb) groupKey(g objectos.GroupSpec) error {
	f, err := q.field(g.Field)
	if err != nil {
		return err
	}
	if g.Granularity == "" {
		q.col(f)
		return q.err
	}
	if !f.Stored() {
		return fmt.Errorf("store: %s: a formula has no date buckets", f.Name)
	}
	if q.d.pg {
		// a timestamp without a zone, so the session's time zone plays no
		// part: UTC for datetimes, the calendar day for dates
		col := `"` + f.Name + `"::timestamp`
		if f.Kind() == objectos.KindDatetime {
			col = `("` + f.Name + `" AT TIME ZONE 'UTC')`
		}
		if g.Granularity == objectos.GranularityDay {
			q.str(col + "::date")
		} else {
			q.str("date_trunc('" + string(g.Granularity) + "', " + col + ")::date")
		}
		return nil
	}
	// SQLite keeps dates and UTC datetimes as text that starts YYYY-MM-DD
	day := `substr("` + f.Name + `", 1, 10)`
	switch g.Granularity {
	case objectos.GranularityDay:
		q.str(day)
	case objectos.GranularityMonth:
		q.str(`substr("` + f.Name + `", 1, 7) || '-01'`)
	case objectos.GranularityYear:
		q.str(`substr("` + f.Name + `", 1, 4) || '-01-01'`)
	case objectos.GranularityQuarter:
		m := `substr("` + f.Name + `", 6, 2)`
		q.str(`substr("` + f.Name + `", 1, 5) || CASE WHEN ` + m + ` <= '03' THEN '01' WHEN ` + m + ` <= '06' THEN '04' WHEN ` +
			m + ` <= '09' THEN '07' ELSE '10' END || '-01'`)
	case objectos.GranularityWeek:
		q.str("date(" + day + ", '-' || ((CAST(strftime('%w', " + day + ") AS INTEGER) + 6) % 7) || ' days')")
	default:
		return fmt.Errorf("store: unknown granularity %q", g.Granularity)
	}
	return nil
}

// aggregate writes one aggregate, with its FILTER clause.
func (q *sqlb) aggregate(a objectos.AggSpec) error {
	var f *objectos.Field
	if a.Field != "" {
		var err error
		if f, err = q.field(a.Field); err != nil {
			return err
		}
	}
	switch a.Function {
	case objectos.AggCount:
		if f == nil {
			q.str("COUNT(*)")
		} else {
			q.str("COUNT(")
			q.col(f)
			q.str(")")
		}
	case objectos.AggCountDistinct, objectos.AggSum, objectos.AggAvg, objectos.AggMin, objectos.AggMax:
		if f == nil {
			return fmt.Errorf("store: %s needs a field", a.Function)
		}
		fn := map[objectos.AggFunc]string{objectos.AggCountDistinct: "COUNT(DISTINCT ", objectos.AggSum: "SUM(",
			objectos.AggAvg: "AVG(", objectos.AggMin: "MIN(", objectos.AggMax: "MAX("}[a.Function]
		q.str(fn)
		q.col(f)
		q.str(")")
	default:
		return fmt.Errorf("store: unknown aggregate %q", a.Function)
	}
	if a.Filter != nil {
		q.str(" FILTER (WHERE ")
		if err := q.where(a.Filter, false); err != nil {
			return err
		}
		q.str(")")
	}
	return q.err
}
