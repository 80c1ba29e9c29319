package objectos_test

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
)

func TestClientIP(t *testing.T) {
	s := newStack(t, testenv.Open(t, testenv.SQLite), crmArtifact(), func(o *objectos.Options) {
		o.TrustedProxies = []string{"10.0.0.0/8", "192.168.7.7", "fd00::/8"}
	})
	untrusting := newStack(t, testenv.Open(t, testenv.SQLite), crmArtifact())
	rfc7239 := newStack(t, testenv.Open(t, testenv.SQLite), crmArtifact(), func(o *objectos.Options) {
		o.TrustedProxies, o.ClientIPHeader = []string{"10.0.0.0/8"}, "Forwarded"
	})
	realIP := newStack(t, testenv.Open(t, testenv.SQLite), crmArtifact(), func(o *objectos.Options) {
		o.TrustedProxies, o.ClientIPHeader = []string{"unix", "127.0.0.1"}, "x-real-ip"
	})
	for _, tc := range []struct {
		name, peer string
		hdr        [][2]string
		want       string
		stack      *objectos.Stack
	}{
		{name: "no proxy", peer: "203.0.113.7:5000", want: "203.0.113.7"},
		{name: "header from an untrusted peer is ignored", peer: "203.0.113.7:5000",
			hdr: [][2]string{{"X-Forwarded-For", "198.51.100.1"}}, want: "203.0.113.7"},
		{name: "no trusted proxies configured", peer: "10.0.0.1:5000", stack: untrusting,
			hdr: [][2]string{{"X-Forwarded-For", "198.51.100.1"}}, want: "10.0.0.1"},
		{name: "one trusted proxy", peer: "10.0.0.1:5000",
			hdr: [][2]string{{"X-Forwarded-For", "198.51.100.1"}}, want: "198.51.100.1"},
		{name: "right-most untrusted hop wins over a spoofed left part", peer: "10.0.0.1:5000",
			hdr: [][2]string{{"X-Forwarded-For", "6.6.6.6, 198.51.100.1"}}, want: "198.51.100.1"},
		{name: "chain of trusted proxies", peer: "10.0.0.1:5000",
			hdr: [][2]string{{"X-Forwarded-For", "6.6.6.6, 198.51.100.1, 192.168.7.7, 10.9.9.9"}}, want: "198.51.100.1"},
		{name: "several header lines read in order", peer: "10.0.0.1:5000",
			hdr: [][2]string{{"X-Forwarded-For", "6.6.6.6"}, {"X-Forwarded-For", "198.51.100.1, 10.2.2.2"}}, want: "198.51.100.1"},
		{name: "every hop trusted: the left-most", peer: "10.0.0.1:5000",
			hdr: [][2]string{{"X-Forwarded-For", "10.3.3.3, 10.2.2.2"}}, want: "10.3.3.3"},
		{name: "garbage hop: the nearest known proxy", peer: "10.0.0.1:5000",
			hdr: [][2]string{{"X-Forwarded-For", "198.51.100.1, unknown, 10.2.2.2"}}, want: "10.2.2.2"},
		{name: "empty header", peer: "10.0.0.1:5000", hdr: [][2]string{{"X-Forwarded-For", ""}}, want: "10.0.0.1"},
		{name: "only the configured header is read", peer: "10.0.0.1:5000",
			hdr: [][2]string{{"Forwarded", "for=6.6.6.6"}}, want: "10.0.0.1"},
		{name: "Forwarded when configured", peer: "10.0.0.1:5000", stack: rfc7239,
			hdr: [][2]string{{"Forwarded", `for=6.6.6.6, for="[2001:db8::7]:4711";proto=https, For=10.5.5.5`}}, want: "2001:db8::7"},
		{name: "a client's X-Forwarded-For is ignored when Forwarded is the header", peer: "10.0.0.1:5000", stack: rfc7239,
			hdr: [][2]string{{"X-Forwarded-For", "6.6.6.6"}, {"Forwarded", "for=198.51.100.1"}}, want: "198.51.100.1"},
		{name: "obfuscated Forwarded hop", peer: "10.0.0.1:5000", stack: rfc7239,
			hdr: [][2]string{{"Forwarded", "for=_hidden"}}, want: "10.0.0.1"},
		{name: "a single-address header", peer: "127.0.0.1:5000", stack: realIP,
			hdr: [][2]string{{"X-Real-IP", "198.51.100.3"}, {"X-Forwarded-For", "6.6.6.6"}}, want: "198.51.100.3"},
		{name: "a proxy on a Unix socket, trusted", peer: "@", stack: realIP,
			hdr: [][2]string{{"X-Real-IP", "198.51.100.4"}}, want: "198.51.100.4"},
		{name: "a Unix socket peer, not trusted", peer: "@",
			hdr: [][2]string{{"X-Forwarded-For", "198.51.100.4"}}, want: ""},
		{name: "IPv6 peer trusted", peer: "[fd00::1]:5000",
			hdr: [][2]string{{"X-Forwarded-For", "2001:db8::9"}}, want: "2001:db8::9"},
		{name: "IPv4-mapped peer", peer: "[::ffff:10.0.0.1]:5000",
			hdr: [][2]string{{"X-Forwarded-For", "198.51.100.1"}}, want: "198.51.100.1"},
		{name: "hop with a port", peer: "10.0.0.1:5000",
			hdr: [][2]string{{"X-Forwarded-For", "198.51.100.1:1234"}}, want: "198.51.100.1"},
		{name: "unparseable peer", peer: "pipe", want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/api/v1/health", nil)
			r.RemoteAddr = tc.peer
			for _, h := range tc.hdr {
				r.Header.Add(h[0], h[1])
			}
			st := tc.stack
			if st == nil {
				st = s
			}
			assert.Equal(t, tc.want, st.ClientIP(r))
		})
	}
}
