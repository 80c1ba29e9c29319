package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
)

// TestCRMMailer: without OS_SMTP_URL the CRM uses the development mailer;
// with it, OS_MAIL_FROM and OS_AUTH_URL are required.
func TestCRMMailer(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	m, err := mailer(env())
	require.NoError(t, err)
	assert.IsType(t, auth.LogMailer{}, m)
	m, err = mailer(env("OS_SMTP_URL", "smtp://crm:secret@mail.example.com:587", "OS_MAIL_FROM", "CRM <crm@example.com>"))
	require.NoError(t, err)
	assert.IsType(t, &auth.SMTPMailer{}, m)
	for _, bad := range [][]string{
		{"OS_SMTP_URL", "smtp://mail.example.com"},
		{"OS_MAIL_FROM", "crm@example.com"},
		{"OS_SMTP_URL", "imap://mail.example.com", "OS_MAIL_FROM", "crm@example.com"},
	} {
		_, err := mailer(env(bad...))
		assert.Error(t, err, "%v", bad)
	}

	db := filepath.Join(t.TempDir(), "crm.db")
	err = run(context.Background(), []string{"-addr", "127.0.0.1:0", "-db", db},
		env("OS_SMTP_URL", "smtp://mail.example.com", "OS_MAIL_FROM", "crm@example.com"), &testenv.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "OS_AUTH_URL", "links need the public URL")

	// The development mailer: a reset is answered as with a real one.
	c := startCRM(t, db, map[string]string{"OS_ADMIN_EMAIL": "admin@example.com", "OS_ADMIN_PASSWORD": "change-me-now"})
	code, body := c.client().do("POST", "/auth/request-password-reset", `{"email":"admin@example.com","redirectTo":"/reset"}`)
	assert.Equal(t, 200, code)
	assert.Equal(t, true, body["status"])
}
