package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos/internal/testenv"
)

var listening = regexp.MustCompile(`on (http://\S+) `)

// The example serves over HTTP behind both routers and on both stores:
// the application's own page, sign-in, a task created and listed, an API
// key minted and used, and a clean shutdown.
func TestEmbed(t *testing.T) {
	stores := []string{"sqlite"}
	if testenv.PostgresDSN(t) != "" {
		stores = append(stores, "postgres")
	}
	for _, name := range stores {
		for _, router := range []string{"mux", "chi"} {
			t.Run(name+"/"+router, func(t *testing.T) {
				db := ":memory:"
				if name == "postgres" {
					db = testenv.Schema(t) // a schema of its own
				}
				ctx, cancel := context.WithCancel(context.Background())
				out := &testenv.Buffer{}
				done := make(chan error, 1)
				env := map[string]string{"OS_ADMIN_EMAIL": "admin@example.com", "OS_ADMIN_PASSWORD": "change-me-now"}
				go func() {
					done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-db", db, "-router", router}, func(k string) string { return env[k] }, out)
				}()
				var base string
				require.Eventually(t, func() bool {
					m := listening.FindStringSubmatch(out.String())
					if m != nil {
						base = m[1]
					}
					return m != nil
				}, 20*time.Second, 20*time.Millisecond, "output: %s", out.String())

				jar, _ := cookiejar.New(nil)
				c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
				do := func(method, path, body string, hdr ...string) (int, map[string]any) {
					t.Helper()
					req, err := http.NewRequest(method, base+path, strings.NewReader(body))
					require.NoError(t, err)
					if body != "" {
						req.Header.Set("Content-Type", "application/json")
					}
					for i := 0; i+1 < len(hdr); i += 2 {
						req.Header.Set(hdr[i], hdr[i+1])
					}
					res, err := c.Do(req)
					require.NoError(t, err)
					defer res.Body.Close()
					raw, _ := io.ReadAll(res.Body)
					var m map[string]any
					_ = json.Unmarshal(raw, &m)
					if m == nil {
						m = map[string]any{"text": string(raw)}
					}
					return res.StatusCode, m
				}

				code, page := do("GET", "/", "")
				assert.Equal(t, 200, code)
				assert.Contains(t, page["text"], "the application's own page")
				code, _ = do("GET", "/.well-known/objectstack", "")
				assert.Equal(t, 200, code)
				code, _ = do("GET", "/api/v1/data/task", "")
				assert.Equal(t, 401, code)
				code, body := do("POST", "/api/v1/auth/sign-in/email", `{"email":"admin@example.com","password":"change-me-now"}`)
				require.Equal(t, 200, code, "%v", body)
				code, body = do("POST", "/api/v1/data/task", `{"title":"Write the README","due":"2026-12-24"}`)
				require.Equal(t, 201, code, "%v", body)
				assert.Equal(t, "open", body["record"].(map[string]any)["status"], "the default")
				code, body = do("GET", "/api/v1/data/task?status=open", "")
				require.Equal(t, 200, code, "%v", body)
				assert.EqualValues(t, 1, body["total"])
				code, body = do("POST", "/api/v1/keys", `{"name":"cron"}`)
				require.Equal(t, 201, code, "%v", body)
				key := body["key"].(string)
				jar, _ = cookiejar.New(nil)
				c.Jar = jar // the key alone
				code, body = do("GET", "/api/v1/data/task", "", "x-api-key", key)
				require.Equal(t, 200, code, "%v", body)
				assert.EqualValues(t, 1, body["total"])

				cancel()
				select {
				case err := <-done:
					assert.NoError(t, err)
				case <-time.After(15 * time.Second):
					t.Fatal("no graceful shutdown")
				}
			})
		}
	}
}

// README's "Embedding" section shows this program as it is.
func TestREADMEShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	src, err := os.ReadFile("main.go")
	require.NoError(t, err)
	block := "```go\n" + string(src) + "```\n"
	if !strings.Contains(string(readme), block) {
		t.Fatal(errors.New("README.md's Embedding section differs from examples/embed/main.go: paste the file into its ```go block"))
	}
}
