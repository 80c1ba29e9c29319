package auth_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos/auth"
)

// The SMTP server of the mail tests: go-smtp with an in-memory backend,
// STARTTLS (or TLS from the first byte) with a certificate made for the
// test, and AUTH PLAIN required before MAIL.

const (
	smtpUser     = "mailer"
	smtpPassword = "s3cret p@ss"
)

// received is a message the server accepted.
type received struct {
	From       string
	To         []string
	Header     mail.Header
	Text, HTML string
}

// link is the first URL in the plain-text body.
func (m received) link(t testing.TB) string {
	t.Helper()
	u := urlPattern.FindString(m.Text)
	require.NotEmpty(t, u, "no link in %q", m.Text)
	return u
}

var urlPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

type mailServer struct {
	t        testing.TB
	URL      string      // smtp(s)://user:password@127.0.0.1:port
	ClientTL *tls.Config // trusts the server's certificate
	msgs     chan received
}

// newMailServer starts an SMTP server for the test; implicitTLS serves
// smtps (TLS from the first byte) instead of STARTTLS.
func newMailServer(t testing.TB, implicitTLS bool) *mailServer {
	t.Helper()
	cert, pool := testCertificate(t)
	ms := &mailServer{t: t, msgs: make(chan received, 100), ClientTL: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: ms}, nil }))
	s.Domain = "localhost"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.MaxMessageBytes = 1 << 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	scheme := "smtp"
	if implicitTLS {
		ln = tls.NewListener(ln, s.TLSConfig)
		scheme = "smtps"
	}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	ms.URL = scheme + "://" + smtpUser + ":" + strings.ReplaceAll(smtpPassword, " ", "%20") + "@" + ln.Addr().String()
	return ms
}

// mailer is an SMTPMailer for the server.
func (ms *mailServer) mailer() *auth.SMTPMailer {
	m, err := auth.NewSMTPMailer(auth.SMTPConfig{URL: ms.URL, From: "CRM <crm@example.com>", TLSConfig: ms.ClientTL, Timeout: 10 * time.Second})
	require.NoError(ms.t, err)
	return m
}

// next waits for the next message.
func (ms *mailServer) next() received {
	ms.t.Helper()
	select {
	case m := <-ms.msgs:
		return m
	case <-time.After(10 * time.Second):
		ms.t.Fatal("no message arrived")
		return received{}
	}
}

// none checks that no message is waiting.
func (ms *mailServer) none() {
	ms.t.Helper()
	select {
	case m := <-ms.msgs:
		ms.t.Fatalf("unexpected message to %v: %s", m.To, m.Header.Get("Subject"))
	default:
	}
}

type smtpSession struct {
	srv    *mailServer
	authed bool
	from   string
	to     []string
}

var _ smtp.AuthSession = (*smtpSession)(nil)

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != smtpUser || pass != smtpPassword {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := parseMessage(raw)
	if err != nil {
		return err
	}
	m.From, m.To = s.from, s.to
	s.srv.msgs <- m
	return nil
}

func (s *smtpSession) Reset()        { s.from, s.to = "", nil }
func (s *smtpSession) Logout() error { return nil }

// parseMessage reads the plain-text and HTML parts of a message.
func parseMessage(raw []byte) (received, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return received{}, err
	}
	out := received{Header: msg.Header}
	var walk func(h map[string][]string, body io.Reader) error
	walk = func(h map[string][]string, body io.Reader) error {
		get := func(k string) string {
			if v := h[k]; len(v) > 0 {
				return v[0]
			}
			return ""
		}
		mt, params, err := mime.ParseMediaType(get("Content-Type"))
		if err != nil {
			return err
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
				if err := walk(p.Header, p); err != nil {
					return err
				}
			}
		}
		switch strings.ToLower(get("Content-Transfer-Encoding")) {
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return err
		}
		switch mt {
		case "text/plain":
			out.Text = string(b)
		case "text/html":
			out.HTML = string(b)
		}
		return nil
	}
	return out, walk(msg.Header, msg.Body)
}

// testCertificate is a self-signed certificate for 127.0.0.1 and
// localhost, and a pool that trusts it.
func testCertificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "objectos test SMTP"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// sentMail collects what a MailerFunc is given, for tests about the routes
// rather than the transport.
type sentMail struct {
	mu   sync.Mutex
	msgs []auth.Message
}

func (s *sentMail) mailer() auth.Mailer {
	return auth.MailerFunc(func(_ context.Context, m auth.Message) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.msgs = append(s.msgs, m)
		return nil
	})
}

func (s *sentMail) all() []auth.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]auth.Message(nil), s.msgs...)
}
