package auth_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/testenv"
)

func TestSMTPMailer(t *testing.T) {
	msg := auth.Message{To: "ada@example.com", Subject: "Hello\r\nBcc: eve@example.com", Text: "plain café\n", HTML: "<p>html café</p>", Link: "https://x/secret"}
	for _, implicit := range []bool{false, true} {
		name := map[bool]string{false: "starttls", true: "smtps"}[implicit]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ms := newMailServer(t, implicit)
			require.NoError(t, ms.mailer().Send(context.Background(), msg))
			m := ms.next()
			assert.Equal(t, "crm@example.com", m.From)
			assert.Equal(t, []string{"ada@example.com"}, m.To)
			assert.Equal(t, "Hello Bcc: eve@example.com", m.Header.Get("Subject"), "a line break cannot add a header")
			assert.Empty(t, m.Header.Get("Bcc"))
			assert.Equal(t, "plain café\n", strings.ReplaceAll(m.Text, "\r\n", "\n"))
			assert.Equal(t, "<p>html café</p>", m.HTML)
		})
	}
	t.Run("a wrong password", func(t *testing.T) {
		t.Parallel()
		ms := newMailServer(t, false)
		m, err := auth.NewSMTPMailer(auth.SMTPConfig{URL: strings.Replace(ms.URL, "p@ss", "guess", 1), From: "crm@example.com", TLSConfig: ms.ClientTL})
		require.NoError(t, err)
		err = m.Send(context.Background(), msg)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "guess")
		ms.none()
	})
	t.Run("an untrusted certificate", func(t *testing.T) {
		t.Parallel()
		ms := newMailServer(t, false)
		m, err := auth.NewSMTPMailer(auth.SMTPConfig{URL: ms.URL, From: "crm@example.com"}) // the system's roots
		require.NoError(t, err)
		require.Error(t, m.Send(context.Background(), msg))
		ms.none()
	})
}

func TestNewSMTPMailer(t *testing.T) {
	for _, tc := range []struct {
		url, from, want string
	}{
		{"http://user:hunter2@host", "a@example.com", "scheme"},
		{"smtp://user:hunter2@", "a@example.com", "no host"},
		{"smtp://user:hunter2@host/path", "a@example.com", "no path"},
		{"smtp://user:hunter2@host?x=1", "a@example.com", "no path or query"},
		{"smtp://user:hunter2@host:99999", "a@example.com", "port"},
		{"smtp://user:hunter2@host:587", "", "sender"},
		{"smtp://user:hunter2@host:587", "not an address", "not an address"},
		{"smtp://user:hunter2@host:%zz", "a@example.com", "not a URL"},
	} {
		_, err := auth.NewSMTPMailer(auth.SMTPConfig{URL: tc.url, From: tc.from})
		if assert.Error(t, err, tc.url) {
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "hunter2", "the password never appears in an error")
		}
	}
	for _, u := range []string{"smtp://mail.example.com", "smtps://u:p@mail.example.com:2465", "SMTP://u@mail.example.com:25/"} {
		_, err := auth.NewSMTPMailer(auth.SMTPConfig{URL: u, From: "CRM <crm@example.com>"})
		assert.NoError(t, err, u)
	}
}

// TestLogMailer: the development mailer writes the link to the Stack's
// logger, at Info, and sends nothing; the link is on the request's origin
// (it needs no BaseURL). No other line of the log holds the token.
func TestLogMailer(t *testing.T) {
	logs := &testenv.Buffer{}
	e := newEnv(t, testenv.Open(t, testenv.SQLite), auth.Options{Mailer: auth.LogMailer{}}, roomyAuthRate, func(o *objectos.Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	require.Equal(t, 200, e.signUp("Ada", "ada@example.com", "correct horse").StatusCode)
	e.requestReset("ada@example.com", "/reset").Status(t, 200)
	require.NoError(t, e.auth.Close())
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "development mailer") {
			line = l
		}
	}
	require.NotEmpty(t, line, logs.String())
	assert.Contains(t, line, "level=INFO")
	assert.Contains(t, line, "to=ada@example.com")
	_, rest, ok := strings.Cut(line, `link="http://objectos.test/api/v1/auth/reset-password/`)
	require.True(t, ok, line)
	token, _, _ := strings.Cut(rest, "?")
	require.Len(t, token, 43)
	assert.Equal(t, 1, strings.Count(logs.String(), token), "the token is in the mailer's line only")
	e.Client().Get("/api/v1/auth/reset-password/"+token+"?callbackURL=%2Freset").Status(t, 302)
	e.post("reset-password", "", map[string]any{"newPassword": "battery staple", "token": token}).Status(t, 200)
	e.post("reset-password", "", map[string]any{"newPassword": "battery staple", "token": token}).Status(t, 400)
	assert.Equal(t, 1, strings.Count(logs.String(), token), "the access log names routes, not paths")
}

// TestMailerNeedsBaseURL: links are built on BaseURL, never on the Host
// header a client sends; only the development mailer may go without.
func TestMailerNeedsBaseURL(t *testing.T) {
	st := testenv.Open(t, testenv.SQLite)
	mailer := auth.MailerFunc(func(context.Context, auth.Message) error { return nil })
	for _, tc := range []struct {
		name string
		opts auth.Options
		want string
	}{
		{"a mailer without BaseURL", auth.Options{Mailer: mailer}, "BaseURL"},
		{"verification required without a mailer", auth.Options{RequireEmailVerification: true}, "Mailer"},
		{"a template that does not parse", auth.Options{Mailer: mailer, BaseURL: "https://crm.example.com",
			MailTemplates: auth.MailTemplates{ResetPassword: auth.MailTemplate{HTML: "{{.URL"}}},
			"reset-password"},
		{"a template that names no field", auth.Options{Mailer: mailer, BaseURL: "https://crm.example.com",
			MailTemplates: auth.MailTemplates{VerifyEmail: auth.MailTemplate{Text: "{{.Token}}"}}},
			"verify-email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := objectos.New(context.Background(), objectos.Options{Artifact: noteArtifact(), Store: st, Security: objectos.AllowAll{},
				Plugins: []objectos.Plugin{auth.New(tc.opts)}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	for _, opts := range []auth.Options{{Mailer: auth.LogMailer{}}, {Mailer: mailer, BaseURL: "https://crm.example.com"}} {
		s, err := objectos.New(context.Background(), objectos.Options{Artifact: noteArtifact(), Store: st, Security: objectos.AllowAll{},
			Plugins: []objectos.Plugin{auth.New(opts)}})
		require.NoError(t, err)
		require.NoError(t, s.Close())
	}
}
