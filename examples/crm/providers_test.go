package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCRMProvidersFromEnv: the providers of OS_AUTH_PROVIDERS are on the
// sign-in page's list, and a sign-in with GitHub starts at GitHub with the
// CRM's callback; a provider without its client ID stops the server.
func TestCRMProvidersFromEnv(t *testing.T) {
	c := startCRM(t, filepath.Join(t.TempDir(), "crm.db"), map[string]string{
		"OS_AUTH_URL": "http://crm.example", "OS_AUTH_PROVIDERS": "github,acme",
		"OS_AUTH_GITHUB_CLIENT_ID": "Ov23liTest", "OS_AUTH_GITHUB_CLIENT_SECRET": "s3cret",
		"OS_AUTH_ACME_CLIENT_ID": "acme-crm", "OS_AUTH_OIDC_ACME_ISSUER": "https://sso.acme.example", "OS_AUTH_ACME_NAME": "Acme SSO",
	})
	status, cfg := c.client().do("GET", "/auth/config", "")
	require.Equal(t, 200, status)
	assert.Equal(t, []any{
		map[string]any{"id": "github", "name": "GitHub", "enabled": true, "type": "social"},
		map[string]any{"id": "acme", "name": "Acme SSO", "enabled": true, "type": "oidc"},
	}, cfg["socialProviders"])
	status, start := c.client().do("POST", "/auth/sign-in/social", `{"provider":"github","callbackURL":"/console","disableRedirect":true}`)
	require.Equal(t, 200, status)
	assert.Regexp(t, `^https://github\.com/login/oauth/authorize\?client_id=Ov23liTest&code_challenge=[^&]+&code_challenge_method=S256&`+
		`redirect_uri=http%3A%2F%2Fcrm\.example%2Fapi%2Fv1%2Fauth%2Fcallback%2Fgithub&response_type=code&scope=read%3Auser\+user%3Aemail&state=`,
		start["url"])
	assert.NotContains(t, c.out.String(), "s3cret", "the client secret is never logged")

	var out bytes.Buffer
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "x.db")},
		func(k string) string { return map[string]string{"OS_AUTH_PROVIDERS": "github"}[k] }, &out)
	require.ErrorContains(t, err, "OS_AUTH_GITHUB_CLIENT_ID")
}
