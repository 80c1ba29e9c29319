package main

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCRMMigrate: a database whose schema the CRM's artifact has moved on
// from (a date kept as text, a column no field declares) stops the server;
// -migrate plan says what it takes, -migrate apply makes it, and the server
// starts and serves the converted values.
func TestCRMMigrate(t *testing.T) {
	for name, db := range crmDatabases(t) {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"OS_ADMIN_EMAIL": "admin@example.com", "OS_ADMIN_PASSWORD": "change-me-now"}
			getenv := func(k string) string { return env[k] }
			c := startCRM(t, db, env)
			admin := c.client()
			code, _ := admin.do("POST", "/auth/sign-in/email", `{"email":"admin@example.com","password":"change-me-now"}`)
			require.Equal(t, 200, code)
			code, acc := admin.do("POST", "/data/crm_account", `{"name":"Acme"}`)
			require.Equal(t, 201, code, "%v", acc)
			code, opp := admin.do("POST", "/data/crm_opportunity", `{"name":"Big deal","account":"`+acc["id"].(string)+`","amount":50000,"close_date":"2030-03-15"}`)
			require.Equal(t, 201, code, "%v", opp)
			require.NoError(t, c.stop())

			// The database as an earlier version of the CRM left it.
			driver, dsn := "sqlite", db
			if name == "postgres" {
				driver = "pgx"
			}
			raw, err := sql.Open(driver, dsn)
			require.NoError(t, err)
			stmts := []string{
				`ALTER TABLE crm_account ADD COLUMN legacy_code TEXT`,
				`UPDATE crm_account SET legacy_code = 'L-1'`,
				`UPDATE objectos_columns SET type = 'text' WHERE object = 'crm_opportunity' AND field = 'close_date'`,
			}
			if name == "postgres" {
				stmts = append(stmts, `ALTER TABLE crm_opportunity ALTER COLUMN close_date TYPE text COLLATE "C"`)
			}
			for _, q := range stmts {
				_, err := raw.Exec(q)
				require.NoError(t, err, q)
			}
			require.NoError(t, raw.Close())

			migrate := func(mode string) string {
				var out bytes.Buffer
				require.NoError(t, run(context.Background(), []string{"-db", db, "-migrate", mode}, getenv, &out))
				return out.String()
			}
			// The server refuses to start, and says how to go on.
			err = run(context.Background(), []string{"-addr", "127.0.0.1:0", "-db", db}, getenv, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "crm_opportunity.close_date: the column holds text values and the field is now declared as date")
			assert.Contains(t, err.Error(), "-migrate plan")

			out := migrate("plan")
			assert.Contains(t, out, "2 changes:\n")
			assert.Contains(t, out, "  - converts crm_opportunity.close_date from text to date: every text must be a date written YYYY-MM-DD; empty texts become null (1 value)\n")
			assert.Contains(t, out, "  - drops column crm_account.legacy_code: 1 non-null value is lost\n")
			assert.Contains(t, out, "Statements, in one transaction:")
			assert.NotContains(t, out, "Applied")
			assert.Contains(t, migrate("plan"), "2 changes:\n", "a plan changes nothing")

			out = migrate("apply")
			assert.Contains(t, out, "2 changes:\n")
			assert.Contains(t, out, "Applied 2 change(s).")
			assert.Equal(t, "Nothing to do: the tables match the objects.\n", migrate("plan"))
			assert.Equal(t, "Nothing to do: the tables match the objects.\n", migrate("apply"))

			c = startCRM(t, db, env)
			admin = c.client()
			code, _ = admin.do("POST", "/auth/sign-in/email", `{"email":"admin@example.com","password":"change-me-now"}`)
			require.Equal(t, 200, code)
			code, got := admin.do("GET", "/data/crm_opportunity/"+opp["id"].(string), "")
			require.Equal(t, 200, code, "%v", got)
			assert.Equal(t, "2030-03-15", got["record"].(map[string]any)["close_date"])
			code, list := admin.do("GET", `/data/crm_opportunity?filter={"close_date":{"$gte":"2030-01-01"}}`, "")
			require.Equal(t, 200, code, "%v", list)
			assert.EqualValues(t, 1, list["total"])
			code, got = admin.do("GET", "/data/crm_account/"+acc["id"].(string), "")
			require.Equal(t, 200, code)
			assert.Equal(t, "Acme", got["record"].(map[string]any)["name"])
			require.NoError(t, c.stop())
		})
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"-migrate", "sideways"}, func(string) string { return "" }, &out)
	assert.ErrorContains(t, err, `-migrate "sideways": want plan or apply`)
	assert.False(t, strings.Contains(out.String(), "listening"))
}
