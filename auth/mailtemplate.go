package auth

import (
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
)

// MailTemplate is one message as Go templates over MailData: Subject and
// Text are text/template, HTML is html/template (so every value is
// escaped for its place in the page). An empty field is the default
// message's.
type MailTemplate struct {
	Subject, Text, HTML string
}

// MailTemplates are the messages the auth plugin sends.
type MailTemplates struct {
	// ResetPassword carries the link of POST /auth/request-password-reset.
	ResetPassword MailTemplate
	// VerifyEmail carries the link that verifies an address (sign-up,
	// POST /auth/send-verification-email).
	VerifyEmail MailTemplate
	// ChangeEmail goes to the new address of POST /auth/change-email; its
	// link makes the change.
	ChangeEmail MailTemplate
}

// MailData is what a MailTemplate sees.
type MailData struct {
	// Name is the user's name.
	Name string
	// Email is the address the message goes to.
	Email string
	// URL is the link to follow. It holds a secret, single-use token.
	URL string
	// ExpiresIn is how long the link works, such as "1 hour".
	ExpiresIn string
}

// The default messages.
var (
	DefaultResetPasswordTemplate = MailTemplate{
		Subject: "Reset your password",
		Text: `Hello {{.Name}},

Someone asked to reset the password of {{.Email}}. To choose a new one, open this link within {{.ExpiresIn}}:

{{.URL}}

If it was not you, ignore this message: your password stays as it is.
`,
		HTML: `<p>Hello {{.Name}},</p>
<p>Someone asked to reset the password of {{.Email}}. To choose a new one, open this link within {{.ExpiresIn}}:</p>
<p><a href="{{.URL}}">Reset your password</a></p>
<p>If it was not you, ignore this message: your password stays as it is.</p>
`,
	}
	DefaultVerifyEmailTemplate = MailTemplate{
		Subject: "Verify your email address",
		Text: `Hello {{.Name}},

To verify {{.Email}}, open this link within {{.ExpiresIn}}:

{{.URL}}

If you did not sign up, ignore this message.
`,
		HTML: `<p>Hello {{.Name}},</p>
<p>To verify {{.Email}}, open this link within {{.ExpiresIn}}:</p>
<p><a href="{{.URL}}">Verify your email address</a></p>
<p>If you did not sign up, ignore this message.</p>
`,
	}
	DefaultChangeEmailTemplate = MailTemplate{
		Subject: "Confirm your new email address",
		Text: `Hello {{.Name}},

To make {{.Email}} the address of your account, open this link within {{.ExpiresIn}}:

{{.URL}}

If you did not ask for this, ignore this message: nothing changes.
`,
		HTML: `<p>Hello {{.Name}},</p>
<p>To make {{.Email}} the address of your account, open this link within {{.ExpiresIn}}:</p>
<p><a href="{{.URL}}">Confirm your new email address</a></p>
<p>If you did not ask for this, ignore this message: nothing changes.</p>
`,
	}
)

// mailTemplate is a parsed MailTemplate.
type mailTemplate struct {
	subject, text *texttemplate.Template
	html          *htmltemplate.Template
}

// parseMailTemplate parses t, each empty field taken from def.
func parseMailTemplate(name string, t, def MailTemplate) (*mailTemplate, error) {
	pick := func(s, d string) string {
		if strings.TrimSpace(s) == "" {
			return d
		}
		return s
	}
	var out mailTemplate
	var err error
	if out.subject, err = texttemplate.New(name + ".subject").Option("missingkey=error").Parse(pick(t.Subject, def.Subject)); err != nil {
		return nil, fmt.Errorf("auth: mail template %s: %w", name, err)
	}
	if out.text, err = texttemplate.New(name + ".text").Option("missingkey=error").Parse(pick(t.Text, def.Text)); err != nil {
		return nil, fmt.Errorf("auth: mail template %s: %w", name, err)
	}
	if out.html, err = htmltemplate.New(name + ".html").Option("missingkey=error").Parse(pick(t.HTML, def.HTML)); err != nil {
		return nil, fmt.Errorf("auth: mail template %s: %w", name, err)
	}
	// A template that fails on every message should fail at start-up.
	if _, err := out.render(MailData{Name: "n", Email: "e@example.com", URL: "https://example.com/x", ExpiresIn: "1 hour"}); err != nil {
		return nil, fmt.Errorf("auth: mail template %s: %w", name, err)
	}
	return &out, nil
}

// render is the message for d, addressed to d.Email.
func (t *mailTemplate) render(d MailData) (Message, error) {
	var subject, text, html strings.Builder
	if err := t.subject.Execute(&subject, d); err != nil {
		return Message{}, err
	}
	if err := t.text.Execute(&text, d); err != nil {
		return Message{}, err
	}
	if err := t.html.Execute(&html, d); err != nil {
		return Message{}, err
	}
	return Message{To: d.Email, Subject: oneLine(subject.String()), Text: text.String(), HTML: html.String(), Link: d.URL}, nil
}

// expiresIn says a link lifetime in words ("1 hour", "30 minutes").
func expiresIn(d time.Duration) string {
	h := d.Hours()
	switch {
	case h >= 1 && h == float64(int(h)):
		if h == 1 {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", int(h))
	default:
		m := int(h * 60)
		if m == 1 {
			return "1 minute"
		}
		return fmt.Sprintf("%d minutes", max(m, 1))
	}
}
