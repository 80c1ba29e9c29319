package main

import (
	"fmt"
	"strings"
)

// A column of the table objectos created: its name and whether it is NOT
// NULL.
type column struct {
	name    string
	notNull bool
}

// dialect is what differs between the two stores' seeding SQL.
type dialect struct {
	name string
	// owner and rows are the placeholders of the owner's id and the row count.
	owner, rows string
	// series is the FROM clause of the row numbers, g: 1 to rows.
	series    func(rows string) string
	id, phone string
	// stamp is the timestamp "secs" seconds before now.
	stamp func(secs string) string
	money string
}

var (
	postgresDialect = dialect{
		name: "postgres", owner: "$1", rows: "$2::bigint",
		series: func(rows string) string { return "FROM generate_series(1::bigint, " + rows + ") AS s(g)" },
		id:     "gen_random_uuid()::text",
		phone:  "'+1 555 ' || lpad((g % 10000)::text, 4, '0')",
		stamp:  func(secs string) string { return "now() - (" + secs + ") * interval '1 second'" },
		money:  "((g * 7919) % 1000000000) / 100.0",
	}
	sqliteDialect = dialect{
		name: "sqlite", owner: "?1", rows: "?2",
		series: func(rows string) string {
			return "FROM (WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < " + rows + ") SELECT g FROM s)"
		},
		// A version 4 UUID's shape, like the ids objectos mints.
		id: "lower(printf('%s-%s-4%s-%s%s-%s', hex(randomblob(4)), hex(randomblob(2)), substr(hex(randomblob(2)), 2), " +
			"substr('89ab', 1 + abs(random()) % 4, 1), substr(hex(randomblob(2)), 2), hex(randomblob(6))))",
		phone: "printf('+1 555 %04d', g % 10000)",
		// objectos keeps SQLite datetimes as ISO 8601 text with milliseconds.
		stamp: func(secs string) string {
			return "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || (" + secs + ") || ' seconds')"
		},
		money: "((g * 7919) % 1000000000) / 100.0",
	}
)

// yearSpread is row g's age in seconds, of rows rows: g·7919 mod rows is
// a permutation of the rows (unless 7919, a prime, divides their number),
// stretched over a year, so no two rows share a created_at and the order
// by date is not the order of insertion.
func yearSpread(rows string) string {
	return "((g * 7919) % " + rows + ") * 31536000 / " + rows
}

// seedSQL is the INSERT … SELECT that adds the rows (its placeholders:
// the owner's id, then the row count) to crm_account: every column
// objectos made is filled but parent (no hierarchy), the industries cycle
// through the select's options and created_at spreads over the past year.
// A NOT NULL column it has no value for is an error; another column it
// does not know stays NULL.
func seedSQL(d dialect, cols []column, industries []string) (string, error) {
	if len(industries) == 0 {
		return "", fmt.Errorf("no industries")
	}
	var industry strings.Builder
	fmt.Fprintf(&industry, "CASE g %% %d", len(industries))
	for i, v := range industries {
		fmt.Fprintf(&industry, " WHEN %d THEN '%s'", i, strings.ReplaceAll(v, "'", "''"))
	}
	industry.WriteString(" END")
	exprs := map[string]string{
		"id":             d.id,
		"name":           "'Account ' || g",
		"industry":       industry.String(),
		"annual_revenue": d.money,
		"website":        "'https://account' || g || '.example'",
		"phone":          d.phone,
		"owner_id":       d.owner,
		"created_by":     d.owner,
		"updated_by":     d.owner,
		"created_at":     d.stamp(yearSpread(d.rows)),
		"updated_at":     d.stamp(yearSpread(d.rows)),
	}
	var names, values []string
	for _, c := range cols {
		e, ok := exprs[c.name]
		if !ok {
			if c.notNull {
				return "", fmt.Errorf("crm_account.%s is NOT NULL and the harness has no value for it", c.name)
			}
			continue
		}
		names = append(names, `"`+c.name+`"`)
		values = append(values, e)
	}
	if len(names) == 0 {
		return "", fmt.Errorf("crm_account has none of the columns the harness fills")
	}
	return "INSERT INTO crm_account (" + strings.Join(names, ", ") + ") SELECT " + strings.Join(values, ", ") + " " + d.series(d.rows), nil
}
