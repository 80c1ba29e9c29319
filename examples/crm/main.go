// Command crm serves the CRM example: the artifact in crm.yaml with the data
// API, sign-in and sessions, the API reference page at /api/v1/docs and,
// when OS_MCP_SERVER_ENABLED is true, the MCP server at /api/v1/mcp, on an
// embedded SQLite database by default or on PostgreSQL.
//
//	go run ./examples/crm                                  # ./objectos.db, 127.0.0.1:8080
//	go run ./examples/crm -db postgres://user@host/db -addr :9000
//	go run ./examples/crm -migrate plan                    # print the migration plan, exit
//	go run ./examples/crm -migrate apply                   # apply it in one transaction, exit
//
// Schema changes that objectos does not make at start (a type change that
// is not stored alike, a column no field declares any more) go through a
// migration plan: -migrate plan prints what it would do to the data and
// exits; -migrate apply applies it and exits, so that a deploy runs it
// once, as a step of its own, before the servers start.
//
// Environment: OS_DATABASE_URL and OS_ADDR (defaults for -db and -addr),
// OS_ADMIN_EMAIL and OS_ADMIN_PASSWORD (a bootstrap admin; without them the
// first sign-up becomes the admin), OS_AUTH_SIGNUP_ENABLED, OS_AUTH_URL,
// OS_TRUSTED_ORIGINS, OS_AUTH_SECRET (signs list cursors; give every
// replica the same one), OS_CORS_ORIGINS (browser origins allowed to call
// the API, with credentials unless "*"), OS_RATE_LIMIT (memory, postgres or
// off) with OS_RATE_LIMIT_READ, OS_RATE_LIMIT_WRITE and OS_RATE_LIMIT_AUTH
// (such as 600/m), OS_TRUSTED_PROXIES (CIDRs of the proxies whose
// forwarding header is believed, or "unix"), OS_CLIENT_IP_HEADER (that
// header: X-Forwarded-For by default), OS_HSTS (a
// Strict-Transport-Security value), OS_MCP_SERVER_ENABLED (true serves MCP),
// OS_MCP_SERVER_NAME (its name for clients), OS_CONSOLE_ENABLED (false
// turns the console at /api/v1/console/ off), OS_AUDIT_RETENTION (how
// long the audit log keeps entries, such as 2160h; 0 keeps them forever),
// OS_METRICS_ADDR (a listen address, such as 127.0.0.1:9464, for
// Prometheus metrics at /metrics), OS_SECRET_KEY with OS_SECRET_KEYS_OLD
// (the keys of secret fields, see secretKeys), and OS_SMTP_URL with
// OS_MAIL_FROM (the
// SMTP server, such as smtp://user:password@mail.example.com:587, and the
// sender of password-reset and verification mail; OS_AUTH_URL is then
// required). Without OS_SMTP_URL the development mailer writes the links,
// which hold live tokens, to the log: set OS_SMTP_URL in production.
package main

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/apikey"
	"github.com/objectos-go/objectos/audit"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/console"
	"github.com/objectos-go/objectos/mcp"
	"github.com/objectos-go/objectos/rest"
	"github.com/objectos-go/objectos/security"
	"github.com/objectos-go/objectos/store"
)

//go:embed crm.yaml
var artifactYAML []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "crm:", err)
		os.Exit(1)
	}
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// run serves until ctx is done, then shuts down gracefully.
func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("crm", flag.ContinueOnError)
	addr := fs.String("addr", envOr(getenv, "OS_ADDR", "127.0.0.1:8080"), "listen address (env OS_ADDR)")
	db := fs.String("db", envOr(getenv, "OS_DATABASE_URL", "./objectos.db"), "an SQLite file or a postgres:// URL (env OS_DATABASE_URL)")
	migrate := fs.String("migrate", "", "plan: print the migration plan of the database and exit; apply: apply it in one transaction and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *migrate != "" && *migrate != "plan" && *migrate != "apply" {
		return fmt.Errorf("-migrate %q: want plan or apply", *migrate)
	}

	artifact, err := objectos.ParseArtifact(artifactYAML)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()

	authOpts := auth.Options{}.WithEnv(getenv)
	if authOpts.Mailer, err = mailer(getenv); err != nil {
		return err
	}
	if authOpts.Providers, err = auth.ProvidersFromEnv(getenv); err != nil {
		return err
	}
	mcpOpts := mcp.Options{}.WithEnv(getenv)
	retention, err := auditRetention(getenv)
	if err != nil {
		return err
	}
	plugins := []objectos.Plugin{rest.New(rest.Options{Docs: true}), auth.New(authOpts), apikey.New(apikey.Options{}), security.New(),
		mcp.New(mcpOpts), audit.New(audit.Options{Retention: retention})}
	var cons *console.Plugin
	if !strings.EqualFold(strings.TrimSpace(getenv("OS_CONSOLE_ENABLED")), "false") {
		cons = console.New(console.Options{Title: "CRM console"})
		plugins = append(plugins, cons)
	}
	if *migrate != "" {
		return migrateDB(ctx, *migrate == "apply", st, artifact, plugins, out)
	}
	limits, err := rateLimits(ctx, getenv, st)
	if err != nil {
		return err
	}
	var mets *metrics
	metricsAddr := getenv("OS_METRICS_ADDR")
	if metricsAddr != "" {
		if mets, err = newMetrics(st); err != nil {
			return fmt.Errorf("OS_METRICS_ADDR: %w", err)
		}
		defer mets.mp.Shutdown(context.Background()) //nolint:errcheck // a no-op after shutdown
		plugins = append(plugins, mets.tel)
	}
	secrets, err := secretKeys(getenv)
	if err != nil {
		return err
	}
	stack, err := objectos.New(ctx, objectos.Options{
		Artifact: artifact,
		Store:    st,
		Plugins:  plugins,
		ActionHandlers: map[string]objectos.ActionHandler{
			"crm_opportunity.close_won": closeWon,
		},
		Secret:         []byte(getenv("OS_AUTH_SECRET")),
		Logger:         slog.New(slog.NewTextHandler(os.Stderr, nil)),
		CORS:           corsFromEnv(getenv),
		RateLimits:     limits,
		TrustedProxies: splitList(getenv("OS_TRUSTED_PROXIES")),
		ClientIPHeader: getenv("OS_CLIENT_IP_HEADER"),
		HSTS:           getenv("OS_HSTS"),
		SecretKeys:     secrets,
	})
	if err != nil {
		return err
	}
	defer stack.Close()

	mux := http.NewServeMux()
	mux.Handle("/api/v1/", stack)
	mux.Handle("/api/v1", stack)
	mux.Handle("/.well-known/objectstack", rest.WellKnownHandler(stack))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if mets != nil {
		if err := mets.listen(metricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("OS_METRICS_ADDR: %w", err)
		}
		defer mets.srv.Close() // when run returns before shutting it down
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	base := "http://" + ln.Addr().String() + stack.BasePath()
	fmt.Fprintf(out, "objectos crm listening on %s (database: %s)\n", base, describeDB(st.Dialect(), *db))
	fmt.Fprintf(out, "API reference: %s/docs (with your session in this browser, or an API key)\n", base)
	if cons != nil {
		fmt.Fprintf(out, "console: http://%s%s (API keys, users and data in the browser)\n", ln.Addr().String(), cons.URL())
	}
	if mcpOpts.Enabled {
		fmt.Fprintf(out, "MCP server: %s/mcp (Streamable HTTP; send an API key as Authorization: Bearer)\n", base)
	}
	if mets != nil {
		fmt.Fprintf(out, "metrics: http://%s/metrics (Prometheus)\n", mets.ln.Addr())
	}
	fmt.Fprintln(out, signInHint(ctx, stack, base, authOpts.AdminEmail))

	errc := make(chan error, 2)
	servers := 1
	go func() { errc <- srv.Serve(ln) }()
	if mets != nil {
		servers++
		go func() { errc <- mets.serve() }()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(out, "shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Drain first: new requests get 503 with Retry-After while those in
	// flight finish and the plugins' schedules stop; then the server
	// closes its connections.
	if err := stack.Shutdown(sctx); err != nil {
		return err
	}
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if mets != nil {
		if err := mets.shutdown(sctx); err != nil {
			return err
		}
	}
	for range servers {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	return nil
}

// migrateDB prints the migration plan of the database for the objects the
// stack would sync and, with apply, applies it.
func migrateDB(ctx context.Context, apply bool, st *store.Store, artifact *objectos.Artifact, plugins []objectos.Plugin, out io.Writer) error {
	objects, err := objectos.ResolveObjects(artifact, plugins)
	if err != nil {
		return err
	}
	plan, err := st.Plan(ctx, objects)
	if err != nil {
		return err
	}
	fmt.Fprint(out, plan)
	if !apply || plan.Empty() {
		return nil
	}
	if err := plan.Apply(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "Applied %d change(s). Start without -migrate to serve.\n", len(plan.Changes))
	return nil
}

// secretKeys reads the keys of secret fields: OS_SECRET_KEY is the current
// key, OS_SECRET_KEYS_OLD a comma-separated list of earlier ones that still
// decrypt (rotation: put the new key in OS_SECRET_KEY and the old one in
// OS_SECRET_KEYS_OLD, restart, run Stack.RotateSecrets, then drop the old
// key). Each is 32 bytes written in base64 (openssl rand -base64 32) or in
// hex (openssl rand -hex 32). A key's id, stored beside every value it
// encrypts, is "k" and the first 8 hex digits of the key's SHA-256: the
// same key has the same id on every replica and every start, and nothing
// needs naming. The keys are needed only when the artifact has secret
// fields (New refuses to start without one then); crm.yaml has none, so
// the CRM starts without them.
func secretKeys(getenv func(string) string) ([]objectos.SecretKey, error) {
	var keys []objectos.SecretKey
	current := strings.TrimSpace(getenv("OS_SECRET_KEY"))
	old := splitList(getenv("OS_SECRET_KEYS_OLD"))
	if current == "" && len(old) > 0 {
		return nil, errors.New("OS_SECRET_KEYS_OLD is set without OS_SECRET_KEY: the current key encrypts what is written")
	}
	for i, v := range append([]string{current}, old...) {
		if v == "" {
			continue
		}
		name := "OS_SECRET_KEY"
		if i > 0 {
			name = fmt.Sprintf("OS_SECRET_KEYS_OLD[%d]", i-1)
		}
		key, err := decodeKey(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		sum := sha256.Sum256(key)
		keys = append(keys, objectos.SecretKey{ID: "k" + hex.EncodeToString(sum[:4]), Key: key})
	}
	return keys, nil
}

// decodeKey reads 32 bytes written in hex or base64 (standard or URL
// alphabet, padded or not).
func decodeKey(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil { // even length, hex digits only: never a base64 key, which ends in "=" or is of odd length
		if len(b) != 32 {
			return nil, fmt.Errorf("the key is %d bytes; a key is 32 random bytes (openssl rand -hex 32)", len(b))
		}
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("the key is %d bytes; a key is 32 random bytes (openssl rand -base64 32)", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("not 32 bytes in base64 or hex; make a key with: openssl rand -base64 32")
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// corsFromEnv reads OS_CORS_ORIGINS: browser pages on these origins may
// call the API with the user's session (credentials), unless the list is
// "*" (any origin, without credentials: bearer tokens and keys only).
// DefaultAuditRetention is how long the CRM's audit log keeps entries
// unless OS_AUDIT_RETENTION says otherwise.
const DefaultAuditRetention = 90 * 24 * time.Hour

// auditRetention reads OS_AUDIT_RETENTION: a Go duration ("2160h"), or 0
// to keep entries forever.
// mailer is the SMTP mailer of OS_SMTP_URL and OS_MAIL_FROM, or, without
// them, the development mailer, which writes the links of password-reset
// and verification messages to the log instead of sending them.
func mailer(getenv func(string) string) (auth.Mailer, error) {
	smtpURL, from := strings.TrimSpace(getenv("OS_SMTP_URL")), strings.TrimSpace(getenv("OS_MAIL_FROM"))
	switch {
	case smtpURL == "" && from == "":
		return auth.LogMailer{}, nil
	case smtpURL == "" || from == "":
		return nil, errors.New("OS_SMTP_URL and OS_MAIL_FROM go together")
	}
	return auth.NewSMTPMailer(auth.SMTPConfig{URL: smtpURL, From: from})
}

func auditRetention(getenv func(string) string) (time.Duration, error) {
	v := strings.TrimSpace(getenv("OS_AUDIT_RETENTION"))
	if v == "" {
		return DefaultAuditRetention, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("OS_AUDIT_RETENTION=%q: want a duration such as 2160h (90 days), or 0 to keep entries forever", v)
	}
	return d, nil
}

func corsFromEnv(getenv func(string) string) objectos.CORS {
	origins := splitList(getenv("OS_CORS_ORIGINS"))
	return objectos.CORS{AllowedOrigins: origins, AllowCredentials: !slices.Contains(origins, "*")}
}

// rateLimits reads OS_RATE_LIMIT (memory, the default; postgres, shared by
// every replica on the same database; off) and the per-bucket overrides
// OS_RATE_LIMIT_READ, OS_RATE_LIMIT_WRITE and OS_RATE_LIMIT_AUTH.
func rateLimits(ctx context.Context, getenv func(string) string, st *store.Store) (objectos.RateLimits, error) {
	var l objectos.RateLimits
	switch mode := strings.ToLower(strings.TrimSpace(getenv("OS_RATE_LIMIT"))); mode {
	case "", "memory":
	case "off":
		return objectos.RateLimits{Disabled: true}, nil
	case "postgres":
		lim, err := store.NewRateLimiter(ctx, st, store.RateLimiterOptions{})
		if err != nil {
			return l, fmt.Errorf("OS_RATE_LIMIT=postgres: %w", err)
		}
		l.Limiter = lim
	default:
		return l, fmt.Errorf("OS_RATE_LIMIT=%q: want memory, postgres or off", mode)
	}
	for env, rate := range map[string]*objectos.Rate{
		"OS_RATE_LIMIT_READ": &l.Read, "OS_RATE_LIMIT_WRITE": &l.Write, "OS_RATE_LIMIT_AUTH": &l.Auth,
	} {
		if v := getenv(env); v != "" {
			r, err := objectos.ParseRate(v)
			if err != nil {
				return l, fmt.Errorf("%s: %w", env, err)
			}
			*rate = r
		}
	}
	return l, nil
}

// describeDB names the database without credentials.
func describeDB(dialect, dsn string) string {
	if dialect != "pg" {
		return "sqlite " + dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres"
	}
	return "postgres " + u.Host + u.Path
}

func signInHint(ctx context.Context, stack *objectos.Stack, base, adminEmail string) string {
	signIn := fmt.Sprintf("curl -c cookies.txt -H 'Content-Type: application/json' -d '{\"email\":\"%s\",\"password\":\"…\"}' %s/auth/sign-in/email", adminEmail, base)
	if adminEmail != "" {
		return "sign in as the bootstrap admin (password from OS_ADMIN_PASSWORD):\n  " + signIn
	}
	res, err := stack.List(objectos.AsSystem(ctx), auth.ObjUser, objectos.Query{Fields: []string{"id"}, Limit: 1, SkipCount: true})
	if err == nil && len(res.Records) == 0 {
		return "no users yet: the first sign-up becomes the admin:\n  curl -c cookies.txt -H 'Content-Type: application/json' " +
			"-d '{\"name\":\"Admin\",\"email\":\"admin@example.com\",\"password\":\"…\"}' " + base + "/auth/sign-up/email"
	}
	return "sign in:\n  " + strings.Replace(signIn, `"email":""`, `"email":"you@example.com"`, 1)
}

// closeWon is the close_won action: it marks the opportunity won with
// probability 100 (and appends the optional note to the description), as
// the caller — so it needs edit access to the record — and returns the
// updated record.
func closeWon(ctx context.Context, call *objectos.ActionCall) (any, error) {
	if call.RecordID == "" {
		return nil, objectos.NewError(objectos.CodeValidationFailed, "close_won needs the opportunity's recordId.").
			With("field", "recordId")
	}
	set := objectos.Record{"stage": "closed_won", "probability": 100.0}
	if note, _ := call.Params["note"].(string); note != "" {
		desc, _ := call.Record["description"].(string)
		if desc != "" {
			desc += "\n"
		}
		set["description"] = desc + note
	}
	res, err := call.Stack.Update(ctx, call.Object.Name, call.RecordID, set, objectos.WriteOptions{})
	if err != nil {
		return nil, err
	}
	return res.Record, nil
}
