package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var metricsRE = regexp.MustCompile(`metrics: (http://\S+/metrics)`)

// TestCRMMetrics: with OS_METRICS_ADDR the example serves Prometheus
// metrics on a listener of its own: the requests by route and status, the
// statements by operation and table, the connection pool, the Go runtime;
// no secret is in them, and the API's listener does not serve them.
func TestCRMMetrics(t *testing.T) {
	for name, db := range crmDatabases(t) {
		t.Run(name, func(t *testing.T) {
			c := startCRM(t, db, map[string]string{"OS_ADMIN_EMAIL": "admin@example.com", "OS_ADMIN_PASSWORD": "change-me-now",
				"OS_METRICS_ADDR": "127.0.0.1:0"})
			m := metricsRE.FindStringSubmatch(c.out.String())
			require.NotNil(t, m, c.out.String())
			url := m[1]
			assert.NotContains(t, url, strings.TrimPrefix(c.base, "http://"), "a listener of its own")

			admin := c.client()
			code, _ := admin.do("POST", "/auth/sign-in/email", `{"email":"admin@example.com","password":"change-me-now"}`)
			require.Equal(t, 200, code)
			for range 2 {
				code, acc := admin.do("POST", "/data/crm_account", `{"name":"Acme","industry":"technology"}`)
				require.Equal(t, 201, code, "%v", acc)
			}
			code, _ = admin.do("GET", "/data/crm_account", "")
			require.Equal(t, 200, code)

			page := scrape(t, url)
			for _, want := range []string{
				`http_server_request_duration_seconds_count{http_request_method="POST",http_response_status_code="201",http_route="/api/v1/data/{object}"`,
				`http_server_request_duration_seconds_bucket{http_request_method="GET",http_response_status_code="200",http_route="/api/v1/data/{object}"`,
				`db_client_operation_duration_seconds_count{db_collection_name="crm_account",db_operation_name="INSERT"`,
				`db_client_connection_count{db_client_connection_pool_name="objectos",db_client_connection_state="idle"`,
				`db_client_connection_count{db_client_connection_pool_name="objectos",db_client_connection_state="used"`,
				`db_client_connection_max{db_client_connection_pool_name="objectos"`,
				`db_client_connection_waits_total{db_client_connection_pool_name="objectos"`,
				`db_client_connection_wait_duration_seconds_total{db_client_connection_pool_name="objectos"`,
				"go_goroutines ",
			} {
				assert.Contains(t, page, want)
			}
			assert.Regexp(t, `http_server_request_duration_seconds_count\{http_request_method="POST",http_response_status_code="201",http_route="/api/v1/data/\{object\}",[^}]*\} 2\n`, page)
			assert.NotContains(t, page, "change-me-now")
			assert.NotContains(t, page, "admin@example.com")

			resp, err := http.Get(strings.TrimSuffix(c.base, "/api/v1") + "/metrics")
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusNotFound, resp.StatusCode, "the API's listener serves no metrics")

			require.NoError(t, c.stop())
			_, err = (&http.Client{Timeout: 2 * time.Second}).Get(url)
			assert.Error(t, err, "the metrics server stops with the example")
		})
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}
