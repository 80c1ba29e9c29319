package auth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/objectos-go/objectos"
)

// Message is one email the auth plugin sends: a password-reset link or an
// email-verification link, in plain text and HTML.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
	// Link is the URL the message carries. Only LogMailer reads it; it
	// holds a secret token, so no other code may log it.
	Link string
}

// Mailer delivers messages. Send returns an error when the message could
// not be handed over; the auth plugin sends in the background, after the
// request is answered, and logs such an error (never the message).
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// MailerFunc adapts a function to Mailer.
type MailerFunc func(ctx context.Context, m Message) error

// Send calls f.
func (f MailerFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

var (
	_ Mailer = MailerFunc(nil)
	_ Mailer = LogMailer{}
	_ Mailer = (*SMTPMailer)(nil)
)

// LogMailer is the development mailer: it sends nothing and logs, at Info,
// the recipient, the subject and the link, so that a developer can follow
// it. The link holds a live token that resets a password or verifies an
// address: LogMailer is the one place where objectos writes a token to a
// log, and it must never be used in production.
type LogMailer struct {
	// Logger receives the entries. Default: the Stack's logger (the auth
	// plugin supplies it).
	Logger *slog.Logger
}

// Send implements Mailer.
func (l LogMailer) Send(ctx context.Context, m Message) error {
	log := l.Logger
	if log == nil {
		log = slog.Default()
	}
	log.InfoContext(ctx, "auth: development mailer (nothing sent; never use in production)",
		"to", m.To, "subject", m.Subject, "link", m.Link)
	return nil
}

// SMTPConfig configures an SMTPMailer.
type SMTPConfig struct {
	// URL names the server and the credentials:
	//
	//	smtp://user:password@host:587    STARTTLS, required (default port 587)
	//	smtps://user:password@host:465   TLS from the first byte (default port 465)
	//
	// The user and password are URL-encoded ("%40" for an "@"); without
	// them no AUTH is attempted. Credentials are only ever sent over TLS.
	URL string
	// From is the sender: an address, or "Name <address>". Required.
	From string
	// TLSConfig verifies the server's certificate. Default: the system's
	// roots, for the URL's host.
	TLSConfig *tls.Config
	// Timeout bounds connecting and each exchange. Default 30 seconds.
	Timeout time.Duration
}

// DefaultSMTPTimeout is SMTPConfig.Timeout's default.
const DefaultSMTPTimeout = 30 * time.Second

// SMTPMailer sends messages through an SMTP server, one connection per
// message. It never logs a message or its link.
type SMTPMailer struct {
	opts []mail.Option
	host string
	from string
}

// NewSMTPMailer checks cfg and returns its mailer. It does not connect:
// the first Send does.
func NewSMTPMailer(cfg SMTPConfig) (*SMTPMailer, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.URL))
	if err != nil {
		return nil, errors.New("auth: the SMTP URL is not a URL") // the error would repeat the password
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("auth: the SMTP URL has no host")
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return nil, errors.New("auth: the SMTP URL takes no path or query")
	}
	if strings.TrimSpace(cfg.From) == "" {
		return nil, errors.New("auth: the mail sender (From) is required")
	}
	if err := mail.NewMsg().From(cfg.From); err != nil {
		return nil, fmt.Errorf("auth: the mail sender %q is not an address", cfg.From)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultSMTPTimeout
	}
	host := u.Hostname()
	tc := cfg.TLSConfig
	if tc == nil {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
	} else {
		tc = tc.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = host
	}
	opts := []mail.Option{mail.WithTimeout(timeout), mail.WithTLSConfig(tc)}
	var port int
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		port = 587
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "smtps":
		port = 465
		opts = append(opts, mail.WithSSL())
	default:
		return nil, fmt.Errorf("auth: the SMTP URL's scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("auth: the SMTP URL's port %q is not a port", p)
		}
		port = n
	}
	opts = append(opts, mail.WithPort(port))
	if u.User != nil && u.User.Username() != "" {
		pw, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(u.User.Username()), mail.WithPassword(pw))
	}
	return &SMTPMailer{opts: opts, host: net.JoinHostPort(host, strconv.Itoa(port)), from: cfg.From}, nil
}

// Send implements Mailer: a multipart/alternative message (plain text and
// HTML) over a new connection.
func (s *SMTPMailer) Send(ctx context.Context, m Message) error {
	msg := mail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("auth: mail sender: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("auth: mail recipient: %w", err)
	}
	msg.Subject(oneLine(m.Subject))
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	host, _, _ := net.SplitHostPort(s.host)
	c, err := mail.NewClient(host, s.opts...)
	if err != nil {
		return fmt.Errorf("auth: smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("auth: smtp %s: %w", s.host, err)
	}
	return nil
}

// oneLine folds the line breaks out of a header value.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

// The messages the plugin sends, by template.
const (
	mailResetPassword = "reset-password"
	mailVerifyEmail   = "verify-email"
	mailChangeEmail   = "change-email"
)

// initMail parses the templates and checks that links have a base URL.
func (p *Plugin) initMail(st *objectos.Stack) error {
	p.mail = map[string]*mailTemplate{}
	for _, t := range []struct {
		name     string
		tpl, def MailTemplate
	}{
		{mailResetPassword, p.opts.MailTemplates.ResetPassword, DefaultResetPasswordTemplate},
		{mailVerifyEmail, p.opts.MailTemplates.VerifyEmail, DefaultVerifyEmailTemplate},
		{mailChangeEmail, p.opts.MailTemplates.ChangeEmail, DefaultChangeEmailTemplate},
	} {
		parsed, err := parseMailTemplate(t.name, t.tpl, t.def)
		if err != nil {
			return err
		}
		p.mail[t.name] = parsed
	}
	switch m := p.opts.Mailer.(type) {
	case nil:
		if p.opts.RequireEmailVerification {
			return errors.New("auth: RequireEmailVerification needs a Mailer")
		}
	case LogMailer:
		if m.Logger == nil {
			m.Logger = st.Logger()
			p.opts.Mailer = m
		}
	default:
		if originOf(p.opts.BaseURL) == "" {
			return errors.New("auth: a Mailer needs BaseURL (OS_AUTH_URL), the origin of the links it sends")
		}
	}
	return nil
}

// link is the absolute URL of an auth route, on BaseURL (or, for the
// development mailer only, on the request's own origin).
func (p *Plugin) link(r *http.Request, route string, query url.Values) string {
	u := p.requestOrigin(r) + p.st.BasePath() + "/auth/" + route
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return u
}

// sendMail renders a message and sends it in the background, so that the
// answer does not wait for (or tell anything by the time of) the SMTP
// exchange. With discard the message is rendered and dropped: the work of
// an answer that must look the same whether or not an address exists.
// A failure is logged without the message, which holds a token.
func (p *Plugin) sendMail(ctx context.Context, kind string, d MailData, discard bool) error {
	msg, err := p.mail[kind].render(d)
	if err != nil {
		return fmt.Errorf("auth: mail template %s: %w", kind, err)
	}
	if discard {
		return nil
	}
	p.sending.Add(1)
	go func() {
		defer p.sending.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*DefaultSMTPTimeout)
		defer cancel()
		if err := p.opts.Mailer.Send(ctx, msg); err != nil {
			p.st.Logger().WarnContext(ctx, "auth: sending mail failed", "message", kind, "error", err.Error())
		}
	}()
	return nil
}
