package main

import (
	"context"
	"io"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCRMAuditLog: the CRM keeps the audit log; administrators read it
// through the data API like any object, a sales user cannot.
func TestCRMAuditLog(t *testing.T) {
	for name, db := range crmDatabases(t) {
		t.Run(name, func(t *testing.T) {
			c := startCRM(t, db, map[string]string{"OS_ADMIN_EMAIL": "admin@example.com", "OS_ADMIN_PASSWORD": "change-me-now",
				"OS_AUTH_SIGNUP_ENABLED": "true"})
			admin := c.client()
			code, _ := admin.do("POST", "/auth/sign-in/email", `{"email":"admin@example.com","password":"change-me-now"}`)
			require.Equal(t, 200, code)
			code, _ = c.client().do("POST", "/auth/sign-in/email", `{"email":"admin@example.com","password":"not-the-password"}`)
			require.Equal(t, 401, code)
			sam := c.client()
			code, body := sam.do("POST", "/auth/sign-up/email", `{"name":"sam","email":"sam@example.com","password":"password-sam"}`)
			require.Equal(t, 200, code, "%v", body)
			samID := body["user"].(map[string]any)["id"].(string)
			code, body = admin.do("PATCH", "/data/sys_user/"+samID, `{"permission_sets":["crm_sales_user"]}`)
			require.Equal(t, 200, code, "%v", body)

			events := map[string]bool{}
			code, list := admin.do("GET", "/data/sys_audit_log?sort=created_at&limit=100", "")
			require.Equal(t, 200, code, "%v", list)
			for _, r := range list["records"].([]any) {
				rec := r.(map[string]any)
				events[rec["event"].(string)] = true
				for _, v := range rec {
					assert.NotContains(t, toString(v), "not-the-password")
					assert.NotContains(t, toString(v), "change-me-now")
				}
			}
			for _, e := range []string{"sign_in", "sign_in_failed", "permissions_changed"} {
				assert.True(t, events[e], "the log has a %s entry: %v", e, events)
			}
			code, failed := admin.do("GET", "/data/sys_audit_log?filter="+url.QueryEscape(`{"event":"sign_in_failed"}`), "")
			require.Equal(t, 200, code)
			assert.EqualValues(t, 1, failed["total"])

			code, body = sam.do("GET", "/data/sys_audit_log", "")
			assert.Equal(t, 403, code, "%v", body)
		})
	}
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

// TestCRMAuditRetentionEnv: a retention that is not a duration stops the
// CRM at start.
func TestCRMAuditRetentionEnv(t *testing.T) {
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "crm.db")},
		func(k string) string { return map[string]string{"OS_AUDIT_RETENTION": "90 days"}[k] }, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "OS_AUDIT_RETENTION")
}
