package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos/internal/testenv"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

// TestCRM runs the example on SQLite and PostgreSQL: it starts, the
// bootstrap admin signs in, creates and lists records, and it shuts down
// cleanly.
func TestCRM(t *testing.T) {
	dbs := map[string]string{"sqlite": filepath.Join(t.TempDir(), "crm.db")}
	if testenv.PostgresDSN(t) != "" {
		dbs["postgres"] = testenv.Schema(t)
	}
	for name, db := range dbs {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"OS_ADMIN_EMAIL": "admin@example.com", "OS_ADMIN_PASSWORD": "change-me-now"}
			ctx, cancel := context.WithCancel(context.Background())
			out := &syncBuffer{}
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-db", db}, func(k string) string { return env[k] }, out)
			}()
			var base string
			require.Eventually(t, func() bool {
				m := listenRE.FindStringSubmatch(out.String())
				if m != nil {
					base = m[1]
				}
				return m != nil
			}, 20*time.Second, 20*time.Millisecond)
			assert.Contains(t, out.String(), "sign in as the bootstrap admin")
			assert.NotContains(t, out.String(), "change-me-now", "the password is never printed")

			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
			post := func(path, body string) (int, map[string]any) {
				resp, err := c.Post(base+path, "application/json", strings.NewReader(body))
				require.NoError(t, err)
				defer resp.Body.Close()
				var m map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&m)
				return resp.StatusCode, m
			}
			code, _ := post("/auth/sign-in/email", `{"email":"admin@example.com","password":"change-me-now"}`)
			require.Equal(t, 200, code)
			code, acc := post("/data/crm_account", `{"name":"Acme","industry":"technology","annual_revenue":1200000}`)
			require.Equal(t, 201, code, "%v", acc)
			code, opp := post("/data/crm_opportunity", `{"name":"Big deal","account":"`+acc["id"].(string)+`","amount":50000}`)
			require.Equal(t, 201, code, "%v", opp)
			assert.Equal(t, "prospecting", opp["record"].(map[string]any)["stage"])
			resp, err := c.Get(base + `/data/crm_account?filter={"industry":"technology"}`)
			require.NoError(t, err)
			var list map[string]any
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
			resp.Body.Close()
			assert.EqualValues(t, 1, list["total"])
			code, _ = post("/data/crm_account", `{"industry":"mining"}`)
			assert.Equal(t, 400, code)

			cancel()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(15 * time.Second):
				t.Fatal("no graceful shutdown")
			}
			assert.Contains(t, out.String(), "shutting down")
		})
	}
}
