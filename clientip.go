package objectos

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// proxies is the set of trusted proxy networks (Options.TrustedProxies),
// and whether a peer on a Unix socket is trusted.
type proxies struct {
	nets []netip.Prefix
	unix bool
}

func (ps proxies) any() bool { return len(ps.nets) > 0 || ps.unix }

// parseProxies reads CIDRs ("10.0.0.0/8"), single addresses ("10.1.2.3")
// and "unix" (a peer on a Unix socket).
func parseProxies(in []string) (proxies, error) {
	var out proxies
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if s == "unix" {
			out.unix = true
			continue
		}
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return proxies{}, fmt.Errorf("objectos: TrustedProxies: %q is not a CIDR, an IP address or \"unix\"", s)
			}
			out.nets = append(out.nets, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return proxies{}, fmt.Errorf("objectos: TrustedProxies: %q is not a CIDR, an IP address or \"unix\"", s)
		}
		a = a.Unmap()
		out.nets = append(out.nets, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (ps proxies) trusted(a netip.Addr) bool {
	for _, p := range ps.nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP returns the address of the client that sent the request, as text
// ("203.0.113.7", "2001:db8::1"), or "" when it cannot be told.
//
// It is the TCP peer's address unless that peer is one of
// Options.TrustedProxies; then Options.ClientIPHeader (X-Forwarded-For by
// default) is read from the right, skipping hops that are themselves
// trusted proxies, and the first untrusted hop is the client. A forwarding
// header from any other peer is ignored, and only the one configured header
// is read, so a client cannot choose the address it is limited and logged
// under. The rate limiter, the sessions' recorded address and the logs all
// use this address.
func (s *Stack) ClientIP(r *http.Request) string {
	if st := stateOf(r.Context()); st != nil && st.ipDone {
		return addrString(st.ip)
	}
	return addrString(s.clientIP(r))
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// clientIP is ClientIP as an address (the zero Addr when unknown).
func (s *Stack) clientIP(r *http.Request) netip.Addr {
	peer := addrOf(r.RemoteAddr)
	trusted := peer.IsValid() && s.proxies.trusted(peer) || !peer.IsValid() && s.proxies.unix && unixPeer(r.RemoteAddr)
	if !trusted {
		return peer
	}
	hops := forwardedHops(r.Header, s.ipHeader)
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a := addrOf(hops[i])
		if !a.IsValid() {
			// An unknown or obfuscated hop ends what can be told; the
			// nearest proxy that could be identified stands for the client.
			break
		}
		client = a
		if !s.proxies.trusted(a) {
			break
		}
	}
	return client
}

// unixPeer reports whether RemoteAddr is that of a Unix socket peer ("@",
// "" or a path), which net/http gives for connections on a Unix listener.
func unixPeer(remote string) bool {
	return remote == "" || remote == "@" || strings.HasPrefix(remote, "/")
}

// DefaultClientIPHeader is the forwarding header read from trusted proxies
// unless Options.ClientIPHeader says otherwise.
const DefaultClientIPHeader = "X-Forwarded-For"

// forwardedHops lists the addresses of the forwarding header, every line in
// order: the for= parameters of the standard Forwarded header, or the
// comma-separated entries of any other (X-Forwarded-For, X-Real-IP,
// CF-Connecting-IP, …).
func forwardedHops(h http.Header, header string) []string {
	var hops []string
	if !strings.EqualFold(header, "Forwarded") {
		for _, line := range h.Values(header) {
			for part := range strings.SplitSeq(line, ",") {
				hops = append(hops, strings.TrimSpace(part))
			}
		}
		return hops
	}
	for _, line := range h.Values("Forwarded") {
		for elem := range strings.SplitSeq(line, ",") {
			hop := ""
			for pair := range strings.SplitSeq(elem, ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") {
					hop = strings.Trim(v, `"`)
				}
			}
			hops = append(hops, hop)
		}
	}
	return hops
}

// addrOf parses "1.2.3.4", "1.2.3.4:80", "[2001:db8::1]:80" or "2001:db8::1"
// (an IPv4-mapped IPv6 address becomes IPv4); anything else is the zero Addr.
func addrOf(s string) netip.Addr {
	if s == "" {
		return netip.Addr{}
	}
	// RemoteAddr is host:port: try that first (a failed parse allocates
	// its error)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		host = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

// ipKey is the rate-limit key of a client address: the address for IPv4,
// its /64 network for IPv6 (one subscriber usually holds a whole /64, and
// could otherwise rotate through it to escape a limit).
func ipKey(a netip.Addr) string {
	if !a.IsValid() {
		return "ip:unknown"
	}
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + a.String()
}
