package objectos_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

// logBuffer keeps every log line, safe for the goroutines of plugins.
type logBuffer struct{ testenv.Buffer }

// lines returns the JSON lines with the message.
func (b *logBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// line returns the access line of the request id.
func (b *logBuffer) line(t *testing.T, requestID string) map[string]any {
	t.Helper()
	for _, m := range b.lines(t, "objectos: request") {
		if m["request_id"] == requestID {
			return m
		}
	}
	t.Fatalf("no access line for request %s in\n%s", requestID, b.String())
	return nil
}

// failRoute is a plugin route that fails with a cause only the log may
// hold, and, at /test/ok, answers 200.
type failRoute struct{}

func (failRoute) Name() string { return "test-fail" }

func (failRoute) Routes(r *objectos.Router) {
	st := r.Stack()
	r.HandleFunc(http.MethodGet, "/test/fail", func(w http.ResponseWriter, req *http.Request) {
		st.WriteError(w, req, objectos.NewError(objectos.CodeInternal, "An internal error occurred.").
			WithCause(errors.New("disk on fire at sector 7")))
	})
}

// newLoggedEnv is an Env with the standard plugins and failRoute whose
// Logger writes JSON at Debug into the returned buffer.
func newLoggedEnv(t *testing.T, st *store.Store, mod func(*objectos.Options)) (*objectostest.Env, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	env := objectostest.New(t, crmArtifact(), objectostest.Options{
		Store:   st,
		Plugins: []objectos.Plugin{failRoute{}},
		Configure: func(o *objectos.Options) {
			o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			if mod != nil {
				mod(o)
			}
		},
	})
	return env, logs
}

// TestLogsHoldNoSecret runs sign-up and sign-in with a password, a failed
// sign-in, bearer and cookie requests, a key minted and used, a change of
// password, sign-out and a forged token, capturing every log line at
// Debug, then looks for each secret used (and for its second half, in case
// one was cut) in the capture.
func TestLogsHoldNoSecret(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		env, logs := newLoggedEnv(t, st, func(o *objectos.Options) { o.RateLimits = objectos.RateLimits{} })
		const (
			password    = "Correct-Horse-Battery-91"
			newPassword = "Staple-Tuesday-Orbit-37"
			wrong       = "Wrong-Guess-Lantern-55"
			forged      = "forged-token-Qx7Lm2Vb9Kz4"
			forgedKey   = "osk_forged_key_Hy6Tn3Wd8Pa1"
		)
		secrets := map[string]string{"password": password, "new password": newPassword, "wrong password": wrong,
			"forged token": forged, "forged key": forgedKey}
		anon := env.Client()
		anon.Post("/api/v1/auth/sign-up/email", map[string]any{"name": "Ada", "email": "ada@example.com", "password": password}).
			Status(t, http.StatusOK)
		anon.Post("/api/v1/auth/sign-in/email", map[string]any{"email": "ada@example.com", "password": wrong}).
			Status(t, http.StatusUnauthorized)
		bearer := env.SignIn(t, "ada@example.com", password)
		secrets["session token"] = bearer.Token

		created := bearer.Post("/api/v1/data/account", map[string]any{"name": "Acme"}).Status(t, http.StatusCreated)
		got := bearer.Get("/api/v1/data/account/"+created.ID()).Status(t, http.StatusOK)
		line := logs.line(t, got.Header.Get("X-Request-Id"))
		assert.Equal(t, "GET", line["method"])
		assert.Equal(t, "/api/v1/data/{object}/{id}", line["route"])
		assert.Equal(t, float64(200), line["status"])
		assert.Equal(t, float64(len(got.Body)), line["bytes"])
		assert.Equal(t, "account", line["object"])
		assert.Equal(t, "bearer", line["auth_method"])
		assert.NotEmpty(t, line["principal_id"])
		assert.Contains(t, line, "duration")
		assert.Equal(t, "INFO", line["level"])

		browser := env.Browser()
		signIn := browser.Post("/api/v1/auth/sign-in/email", map[string]any{"email": "ada@example.com", "password": password}).
			Status(t, http.StatusOK)
		for _, c := range signIn.Cookies() {
			secrets["cookie "+c.Name] = c.Value
		}
		require.Greater(t, len(signIn.Cookies()), 0)
		r := browser.Get("/api/v1/data/account").Status(t, http.StatusOK)
		assert.Equal(t, "session", logs.line(t, r.Header.Get("X-Request-Id"))["auth_method"])

		mint := bearer.Post("/api/v1/keys", map[string]any{"name": "export"}).Status(t, http.StatusCreated)
		key, _ := mint.Value("key").(string)
		require.NotEmpty(t, key)
		secrets["api key"] = key
		keyed := env.Client().With("X-Api-Key", key)
		r = keyed.Get("/api/v1/data/account").Status(t, http.StatusOK)
		assert.Equal(t, "apikey", logs.line(t, r.Header.Get("X-Request-Id"))["auth_method"])
		env.Bearer(key).Get("/api/v1/data/account").Status(t, http.StatusOK)

		env.Bearer(forged).Get("/api/v1/data/account").Status(t, http.StatusUnauthorized)
		env.Client().With("X-Api-Key", forgedKey).Get("/api/v1/data/account").Status(t, http.StatusUnauthorized)
		env.Client().With("Cookie", "better-auth.session_token="+forged).Get("/api/v1/auth/get-session")

		bearer.Post("/api/v1/auth/change-password", map[string]any{"currentPassword": password, "newPassword": newPassword}).
			Status(t, http.StatusOK)
		again := env.SignIn(t, "ada@example.com", newPassword)
		secrets["second session token"] = again.Token
		again.Post("/api/v1/auth/sign-out", nil)
		anon.Get("/api/v1/data/account/does-not-exist?token=" + forged)

		out := logs.String()
		require.GreaterOrEqual(t, len(logs.lines(t, "objectos: request")), 15, out)
		for name, secret := range secrets {
			require.GreaterOrEqual(t, len(secret), 16, name)
			assert.NotContains(t, out, secret, "the logs hold the %s", name)
			assert.NotContains(t, out, secret[len(secret)/2:], "the logs hold the second half of the %s", name)
		}
	})
}

// TestServerFailureLogged: a 5xx logs its cause with the request id, and
// the client sees only the generic message.
func TestServerFailureLogged(t *testing.T) {
	env, logs := newLoggedEnv(t, testenv.Open(t, testenv.SQLite), nil)
	r := env.Client().Get("/api/v1/test/fail").Status(t, http.StatusInternalServerError).Code(t, "INTERNAL_ERROR")
	assert.NotContains(t, r.String(), "disk on fire")
	id := r.Header.Get("X-Request-Id")
	var failed map[string]any
	for _, m := range logs.lines(t, "objectos: request failed") {
		if m["request_id"] == id {
			failed = m
		}
	}
	require.NotNil(t, failed, logs.String())
	assert.Contains(t, failed["error"], "disk on fire at sector 7")
	assert.Equal(t, "ERROR", failed["level"])
	line := logs.line(t, id)
	assert.Equal(t, float64(500), line["status"])
	assert.Equal(t, "/api/v1/test/fail", line["route"])
	assert.NotContains(t, line, "principal_id")
	assert.NotContains(t, line, "object")
}

// TestAccessLine: what the line says of requests no route matched, of
// unknown objects, and that NoAccessLog and the logger's level turn it
// off.
func TestAccessLine(t *testing.T) {
	st := testenv.Open(t, testenv.SQLite)
	env, logs := newLoggedEnv(t, st, nil)
	alice := env.User(t, "alice").SignIn(t)

	r := alice.Get("/api/v1/data/nope/123").Status(t, http.StatusNotFound)
	line := logs.line(t, r.Header.Get("X-Request-Id"))
	assert.Equal(t, "/api/v1/data/{object}/{id}", line["route"])
	assert.NotContains(t, line, "object", "an unknown object is not logged")
	assert.Equal(t, "bearer", line["auth_method"], "the handler's authentication, without a rate limiter")

	r = env.Client().Get("/elsewhere").Status(t, http.StatusNotFound)
	line = logs.line(t, r.Header.Get("X-Request-Id"))
	assert.Equal(t, "", line["route"])
	assert.Equal(t, float64(404), line["status"])

	for name, mod := range map[string]func(*objectos.Options){
		"NoAccessLog": func(o *objectos.Options) { o.NoAccessLog = true },
		"level": func(o *objectos.Options) {
			o.Logger = slog.New(slog.NewJSONHandler(&logBuffer{}, &slog.HandlerOptions{Level: slog.LevelWarn}))
		},
	} {
		t.Run(name, func(t *testing.T) {
			env, logs := newLoggedEnv(t, testenv.Open(t, testenv.SQLite), mod)
			env.Client().Get("/api/v1/health").Status(t, http.StatusOK)
			env.Client().Get("/api/v1/test/fail").Status(t, http.StatusInternalServerError)
			assert.NotContains(t, logs.String(), `"msg":"objectos: request"`)
		})
	}
}
