package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos/internal/testenv"
)

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

// crm is a running CRM example.
type crm struct {
	t      *testing.T
	base   string
	out    *testenv.Buffer
	cancel func()
	done   chan error
}

func startCRM(t *testing.T, db string, env map[string]string) *crm {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &crm{t: t, out: &testenv.Buffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		c.done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-db", db}, func(k string) string { return env[k] }, c.out)
	}()
	require.Eventually(t, func() bool {
		m := listenRE.FindStringSubmatch(c.out.String())
		if m != nil {
			c.base = m[1]
		}
		return m != nil
	}, 20*time.Second, 20*time.Millisecond, "output: %s", c.out.String())
	t.Cleanup(func() { c.stop() })
	return c
}

func (c *crm) stop() error {
	c.cancel()
	select {
	case err := <-c.done:
		c.done <- err
		return err
	case <-time.After(15 * time.Second):
		return errors.New("no graceful shutdown")
	}
}

// client is one browser: a cookie jar.
type client struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (c *crm) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: c.t, base: c.base, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

func (cl *client) do(method, path, body string) (int, map[string]any) {
	cl.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, cl.base+path, r)
	require.NoError(cl.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := cl.c.Do(req)
	require.NoError(cl.t, err)
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func crmDatabases(t *testing.T) map[string]string {
	dbs := map[string]string{"sqlite": filepath.Join(t.TempDir(), "crm.db")}
	if testenv.PostgresDSN(t) != "" {
		dbs["postgres"] = testenv.Schema(t)
	}
	return dbs
}

// TestCRM runs the example on SQLite and PostgreSQL: it starts, the
// bootstrap admin signs in, creates and lists records, and it shuts down
// cleanly.
func TestCRM(t *testing.T) {
	for name, db := range crmDatabases(t) {
		t.Run(name, func(t *testing.T) {
			c := startCRM(t, db, map[string]string{"OS_ADMIN_EMAIL": "admin@example.com", "OS_ADMIN_PASSWORD": "change-me-now"})
			assert.Contains(t, c.out.String(), "sign in as the bootstrap admin")
			assert.NotContains(t, c.out.String(), "change-me-now", "the password is never printed")
			assert.Contains(t, c.out.String(), "API reference: "+c.base+"/docs")
			page, err := http.Get(c.base + "/docs") // public: the page holds no data
			require.NoError(t, err)
			page.Body.Close()
			assert.Equal(t, 200, page.StatusCode)
			assert.Equal(t, "text/html; charset=utf-8", page.Header.Get("Content-Type"))
			assert.Contains(t, page.Header.Get("Content-Security-Policy"), "script-src 'self'")

			admin := c.client()
			code, _ := admin.do("POST", "/auth/sign-in/email", `{"email":"admin@example.com","password":"change-me-now"}`)
			require.Equal(t, 200, code)
			code, acc := admin.do("POST", "/data/crm_account", `{"name":"Acme","industry":"technology","annual_revenue":1200000}`)
			require.Equal(t, 201, code, "%v", acc)
			code, opp := admin.do("POST", "/data/crm_opportunity", `{"name":"Big deal","account":"`+acc["id"].(string)+`","amount":50000}`)
			require.Equal(t, 201, code, "%v", opp)
			assert.Equal(t, "prospecting", opp["record"].(map[string]any)["stage"])
			code, list := admin.do("GET", `/data/crm_account?filter={"industry":"technology"}`, "")
			require.Equal(t, 200, code)
			assert.EqualValues(t, 1, list["total"])
			code, _ = admin.do("POST", "/data/crm_account", `{"industry":"mining"}`)
			assert.Equal(t, 400, code)

			require.NoError(t, c.stop())
			assert.Contains(t, c.out.String(), "shutting down")
		})
	}
}

// TestCRMPermissions walks the CRM's permission sets and its close_won
// action with real users.
func TestCRMPermissions(t *testing.T) {
	for name, db := range crmDatabases(t) {
		t.Run(name, func(t *testing.T) {
			c := startCRM(t, db, map[string]string{"OS_ADMIN_EMAIL": "admin@example.com", "OS_ADMIN_PASSWORD": "change-me-now",
				"OS_AUTH_SIGNUP_ENABLED": "true"})
			admin := c.client()
			code, _ := admin.do("POST", "/auth/sign-in/email", `{"email":"admin@example.com","password":"change-me-now"}`)
			require.Equal(t, 200, code)
			users := map[string]*client{}
			ids := map[string]string{}
			for _, u := range []string{"sam", "sue", "ann"} {
				users[u] = c.client()
				code, body := users[u].do("POST", "/auth/sign-up/email", `{"name":"`+u+`","email":"`+u+`@example.com","password":"password-`+u+`"}`)
				require.Equal(t, 200, code, "%v", body)
				ids[u] = body["user"].(map[string]any)["id"].(string)
			}
			// A new user can do nothing until an administrator assigns a set.
			code, body := users["sam"].do("GET", "/data/crm_account", "")
			assert.Equal(t, 403, code)
			assert.Equal(t, "PERMISSION_DENIED", body["code"])
			code, _ = users["sam"].do("PATCH", "/data/sys_user/"+ids["sam"], `{"permission_sets":["crm_sales_user"]}`)
			assert.Equal(t, 403, code, "users cannot grant themselves sets")
			code, body = admin.do("PATCH", "/data/sys_user/"+ids["sam"], `{"permission_sets":["crm_superuser"]}`)
			assert.Equal(t, 400, code, "%v", body)
			for u, set := range map[string]string{"sam": "crm_sales_user", "sue": "crm_sales_user", "ann": "crm_analyst"} {
				code, body := admin.do("PATCH", "/data/sys_user/"+ids[u], `{"permission_sets":["`+set+`"]}`)
				require.Equal(t, 200, code, "%v", body)
			}

			code, acc := users["sam"].do("POST", "/data/crm_account", `{"name":"Sam Co","industry":"retail","annual_revenue":500}`)
			require.Equal(t, 201, code, "%v", acc)
			accID := acc["id"].(string)
			code, opp := users["sam"].do("POST", "/data/crm_opportunity", `{"name":"Sam deal","account":"`+accID+`","amount":100}`)
			require.Equal(t, 201, code, "%v", opp)
			oppID := opp["id"].(string)

			// Sales users see their own records only, and cannot delete.
			code, list := users["sue"].do("GET", "/data/crm_account", "")
			require.Equal(t, 200, code)
			assert.EqualValues(t, 0, list["total"])
			code, _ = users["sue"].do("GET", "/data/crm_account/"+accID, "")
			assert.Equal(t, 404, code)
			code, _ = users["sue"].do("POST", "/data/crm_opportunity", `{"name":"Sneaky","account":"`+accID+`"}`)
			assert.Equal(t, 400, code, "a lookup to an invisible account is reference_not_found")
			code, body = users["sam"].do("DELETE", "/data/crm_account/"+accID, "")
			assert.Equal(t, 403, code)
			assert.Equal(t, "PERMISSION_DENIED", body["code"])

			// The analyst reads everything but annual_revenue, and writes nothing.
			code, list = users["ann"].do("GET", "/data/crm_account", "")
			require.Equal(t, 200, code)
			assert.EqualValues(t, 1, list["total"])
			rec := list["records"].([]any)[0].(map[string]any)
			assert.NotContains(t, rec, "annual_revenue")
			assert.Equal(t, "Sam Co", rec["name"])
			code, _ = users["ann"].do("GET", `/data/crm_account?sort=-annual_revenue`, "")
			assert.Equal(t, 403, code)
			code, _ = users["ann"].do("POST", "/data/crm_account", `{"name":"Ann Co"}`)
			assert.Equal(t, 403, code)
			// nor in metadata; the sales user sees the field
			code, body = users["ann"].do("GET", "/meta/object/crm_account", "")
			require.Equal(t, 200, code, "%v", body)
			fields := body["data"].(map[string]any)["item"].(map[string]any)["fields"].(map[string]any)
			assert.NotContains(t, fields, "annual_revenue")
			assert.Contains(t, fields, "name")
			code, body = users["sam"].do("GET", "/meta/object/crm_account", "")
			require.Equal(t, 200, code)
			assert.Contains(t, body["data"].(map[string]any)["item"].(map[string]any)["fields"], "annual_revenue")
			// the OpenAPI document is the same for both
			_, annDoc := users["ann"].do("GET", "/openapi.json", "")
			_, samDoc := users["sam"].do("GET", "/openapi.json", "")
			require.NotNil(t, annDoc["paths"])
			assert.Equal(t, samDoc, annDoc)

			// close_won needs edit access to the opportunity.
			code, body = users["ann"].do("POST", "/actions/crm_opportunity/close_won/"+oppID, `{"params":{}}`)
			assert.Equal(t, 403, code, "%v", body)
			code, _ = users["sue"].do("POST", "/actions/crm_opportunity/close_won/"+oppID, `{"params":{}}`)
			assert.Equal(t, 404, code)
			code, body = users["sam"].do("POST", "/actions/crm_opportunity/close_won", `{"recordId":"`+oppID+`","params":{"note":"signed today"}}`)
			require.Equal(t, 200, code, "%v", body)
			assert.Equal(t, true, body["success"])
			won := body["data"].(map[string]any)
			assert.Equal(t, "closed_won", won["stage"])
			assert.EqualValues(t, 100, won["probability"])
			assert.Equal(t, "signed today", won["description"])
			code, body = users["sam"].do("POST", "/actions/crm_opportunity/close_won/"+oppID, `{"params":{"note":5}}`)
			assert.Equal(t, 400, code, "%v", body)
		})
	}
}

// TestCRMRateLimits: the example reads its limits from the environment,
// memory by default, on PostgreSQL shared through the database.
func TestCRMRateLimits(t *testing.T) {
	for name, db := range crmDatabases(t) {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"OS_ADMIN_EMAIL": "admin@example.com", "OS_ADMIN_PASSWORD": "change-me-now",
				"OS_RATE_LIMIT_WRITE": "2/m", "OS_RATE_LIMIT_AUTH": "3/h"}
			if name == "postgres" {
				env["OS_RATE_LIMIT"] = "postgres"
			}
			c := startCRM(t, db, env)
			admin := c.client()
			code, _ := admin.do("POST", "/auth/sign-in/email", `{"email":"admin@example.com","password":"change-me-now"}`)
			require.Equal(t, 200, code)
			for range 2 {
				code, _ := admin.do("POST", "/data/crm_account", `{"name":"Acme"}`)
				require.Equal(t, 201, code)
			}
			code, body := admin.do("POST", "/data/crm_account", `{"name":"Acme"}`)
			assert.Equal(t, 429, code)
			assert.Equal(t, "RATE_LIMIT_EXCEEDED", body["code"])
			for range 2 {
				code, _ := c.client().do("POST", "/auth/sign-in/email", `{"email":"admin@example.com","password":"wrong-password"}`)
				require.Equal(t, 401, code)
			}
			code, _ = c.client().do("POST", "/auth/sign-in/email", `{"email":"admin@example.com","password":"change-me-now"}`)
			assert.Equal(t, 429, code, "the fourth sign-in of the hour")
		})
	}
	t.Run("off", func(t *testing.T) {
		c := startCRM(t, crmDatabases(t)["sqlite"], map[string]string{"OS_ADMIN_EMAIL": "admin@example.com",
			"OS_ADMIN_PASSWORD": "change-me-now", "OS_RATE_LIMIT": "off", "OS_RATE_LIMIT_AUTH": "1/h"})
		for range 3 {
			code, _ := c.client().do("POST", "/auth/sign-in/email", `{"email":"admin@example.com","password":"change-me-now"}`)
			require.Equal(t, 200, code)
		}
	})
	for env, want := range map[string]string{
		"OS_RATE_LIMIT=fast":          `OS_RATE_LIMIT="fast"`,
		"OS_RATE_LIMIT_READ=lots":     "OS_RATE_LIMIT_READ",
		"OS_RATE_LIMIT=postgres":      "needs PostgreSQL",
		"OS_CORS_ORIGINS=null":        `"null" origin`,
		"OS_TRUSTED_PROXIES=10.0.0.x": "TrustedProxies",
	} {
		k, v, _ := strings.Cut(env, "=")
		err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "x.db")},
			func(key string) string {
				if key == k {
					return v
				}
				return ""
			}, io.Discard)
		assert.ErrorContains(t, err, want, env)
	}
}

// TestCRMRules walks the opportunity's rules: no close date before the
// creation day, an amount from the proposal on, and closed stays closed.
func TestCRMRules(t *testing.T) {
	for name, db := range crmDatabases(t) {
		t.Run(name, func(t *testing.T) {
			c := startCRM(t, db, map[string]string{"OS_ADMIN_EMAIL": "admin@example.com", "OS_ADMIN_PASSWORD": "change-me-now"})
			admin := c.client()
			code, _ := admin.do("POST", "/auth/sign-in/email", `{"email":"admin@example.com","password":"change-me-now"}`)
			require.Equal(t, 200, code)
			code, acc := admin.do("POST", "/data/crm_account", `{"name":"Acme"}`)
			require.Equal(t, 201, code, "%v", acc)
			account := `"account":"` + acc["id"].(string) + `"`
			fieldsOf := func(body map[string]any) map[string]string {
				out := map[string]string{}
				for _, f := range body["fields"].([]any) {
					out[f.(map[string]any)["field"].(string)] = f.(map[string]any)["code"].(string)
				}
				return out
			}

			yesterday := time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02")
			code, body := admin.do("POST", "/data/crm_opportunity", `{"name":"Late",`+account+`,"close_date":"`+yesterday+`"}`)
			require.Equal(t, 400, code, "%v", body)
			assert.Equal(t, "VALIDATION_FAILED", body["code"])
			assert.Equal(t, map[string]string{"close_date": "rule_violation"}, fieldsOf(body))
			assert.Equal(t, "A new opportunity cannot close before the day it is created.", body["error"])

			code, body = admin.do("POST", "/data/crm_opportunity", `{"name":"Proposal",`+account+`,"stage":"proposal"}`)
			require.Equal(t, 400, code, "%v", body)
			assert.Equal(t, map[string]string{"amount": "required"}, fieldsOf(body))

			tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
			code, opp := admin.do("POST", "/data/crm_opportunity", `{"name":"Deal",`+account+`,"close_date":"`+tomorrow+`"}`)
			require.Equal(t, 201, code, "%v", opp)
			id := opp["id"].(string)
			code, body = admin.do("POST", "/actions/crm_opportunity/close_won/"+id, `{"params":{}}`)
			require.Equal(t, 400, code, "%v", body)
			assert.Equal(t, "VALIDATION_FAILED", body["error"].(map[string]any)["code"], "a won deal needs its amount")
			code, body = admin.do("PATCH", "/data/crm_opportunity/"+id, `{"amount":1000,"close_date":"2020-01-01"}`)
			require.Equal(t, 200, code, "%v", body) // the close date rule is for inserts only
			code, body = admin.do("POST", "/actions/crm_opportunity/close_won/"+id, `{"params":{}}`)
			require.Equal(t, 200, code, "%v", body)
			code, body = admin.do("PATCH", "/data/crm_opportunity/"+id, `{"stage":"proposal"}`)
			require.Equal(t, 400, code, "%v", body)
			assert.Equal(t, map[string]string{"stage": "invalid_transition"}, fieldsOf(body))
			assert.Equal(t, "A closed opportunity stays closed.", body["error"])
		})
	}
}

// TestCRMSecretKeys reads OS_SECRET_KEY and OS_SECRET_KEYS_OLD: base64 or
// hex of 32 bytes, ids from the keys' fingerprints, the current key first;
// a bad key stops the start with a message that never shows the key.
func TestCRMSecretKeys(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	old := bytes.Repeat([]byte{2}, 32)
	b64, hx, oldB64 := base64.StdEncoding.EncodeToString(key), hex.EncodeToString(key), base64.RawURLEncoding.EncodeToString(old)
	get := func(env map[string]string) func(string) string { return func(k string) string { return env[k] } }

	keys, err := secretKeys(get(nil))
	require.NoError(t, err)
	assert.Empty(t, keys, "no keys: fine while the artifact has no secret fields")

	for _, cur := range []string{b64, hx, " " + b64 + "\n"} {
		keys, err = secretKeys(get(map[string]string{"OS_SECRET_KEY": cur, "OS_SECRET_KEYS_OLD": oldB64 + ", "}))
		require.NoError(t, err, cur)
		require.Len(t, keys, 2)
		assert.Equal(t, key, keys[0].Key)
		assert.Equal(t, old, keys[1].Key)
		assert.Regexp(t, `^k[0-9a-f]{8}$`, keys[0].ID)
		assert.NotEqual(t, keys[0].ID, keys[1].ID)
	}
	again, err := secretKeys(get(map[string]string{"OS_SECRET_KEY": oldB64}))
	require.NoError(t, err)
	assert.Equal(t, keys[1].ID, again[0].ID, "a key's id is the same whichever its place")

	for env, want := range map[string]map[string]string{
		"OS_SECRET_KEY: the key is 16 bytes":              {"OS_SECRET_KEY": base64.StdEncoding.EncodeToString(key[:16])},
		"OS_SECRET_KEY: not 32 bytes in base64 or hex":    {"OS_SECRET_KEY": "correct horse battery staple"},
		"OS_SECRET_KEYS_OLD[1]: the key is 31 bytes":      {"OS_SECRET_KEY": b64, "OS_SECRET_KEYS_OLD": oldB64 + "," + hex.EncodeToString(key[:31])},
		"OS_SECRET_KEYS_OLD is set without OS_SECRET_KEY": {"OS_SECRET_KEYS_OLD": oldB64},
	} {
		_, err := secretKeys(get(want))
		require.Error(t, err, env)
		assert.Contains(t, err.Error(), env)
		assert.NotContains(t, err.Error(), "correct horse")
	}

	// The CRM refuses to start with a bad key, before it listens.
	err = run(context.Background(), []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "crm.db")},
		get(map[string]string{"OS_SECRET_KEY": "short"}), io.Discard)
	assert.ErrorContains(t, err, "OS_SECRET_KEY: not 32 bytes in base64 or hex; make a key with: openssl rand -base64 32")
}
