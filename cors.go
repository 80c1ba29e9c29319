package objectos

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/cors"
	"golang.org/x/net/publicsuffix"
)

// CORS configures cross-origin access for browser applications served from
// other origins. The zero value turns CORS off: no Access-Control-* headers
// are sent and preflights get the route's ordinary answer.
//
// Preflights (OPTIONS with Access-Control-Request-Method) are answered by
// the Stack before authentication, rate limits or any database work, on
// every route. A request from an origin that is not allowed gets no grant,
// and the browser keeps its response from the page.
type CORS struct {
	// AllowedOrigins are the origins browsers may call from: exact origins
	// ("https://app.example.com"), origins whose leftmost label is a
	// wildcard ("https://*.example.com", which matches any subdomain but not
	// example.com itself), or "*" for any origin (only without
	// AllowCredentials). The "null" origin is refused: sandboxed frames and
	// local files share it. Empty: CORS is off.
	AllowedOrigins []string
	// AllowCredentials lets pages send cookies and read responses to
	// credentialed requests (fetch with credentials: "include"). It also
	// makes the allowed origins trusted for cookie-authenticated writes
	// (the Origin check of the auth plugin). Default false.
	AllowCredentials bool
	// AllowedHeaders are request headers allowed in addition to
	// DefaultCORSAllowedHeaders.
	AllowedHeaders []string
	// ExposedHeaders are response headers exposed to pages in addition to
	// DefaultCORSExposedHeaders.
	ExposedHeaders []string
	// MaxAge is how long browsers may cache a preflight's answer. Default
	// 10 minutes (Chromium's ceiling; Firefox allows a day).
	MaxAge time.Duration
}

// DefaultCORSAllowedHeaders are the request headers a page may send.
var DefaultCORSAllowedHeaders = []string{
	"Accept", "Authorization", "Content-Type", "x-api-key", "If-Match", "If-None-Match",
	"Idempotency-Key", "X-Request-Id", "Mcp-Protocol-Version", "Mcp-Session-Id", "Last-Event-ID",
}

// DefaultCORSExposedHeaders are the response headers a page may read.
var DefaultCORSExposedHeaders = []string{
	"set-auth-token", "set-auth-jwt", "ETag", "Location", "X-Request-Id", "RateLimit-Limit", "RateLimit-Remaining",
	"RateLimit-Reset", "Retry-After", "WWW-Authenticate", "Idempotent-Replayed", "Mcp-Session-Id",
}

// DefaultCORSMaxAge is how long browsers cache a preflight unless CORS.MaxAge
// says otherwise.
const DefaultCORSMaxAge = 10 * time.Minute

// corsPolicy is a validated CORS configuration.
type corsPolicy struct {
	handler     *cors.Cors
	credentials bool
	exact       map[string]bool
	suffixes    []originPattern
	any         bool
}

type originPattern struct{ scheme, suffix string } // "https", ".example.com"

func newCORSPolicy(c CORS) (*corsPolicy, error) {
	if len(c.AllowedOrigins) == 0 {
		return nil, nil
	}
	p := &corsPolicy{credentials: c.AllowCredentials, exact: map[string]bool{}}
	for _, o := range c.AllowedOrigins {
		o = strings.ToLower(strings.TrimRight(strings.TrimSpace(o), "/"))
		switch {
		case o == "":
			continue
		case o == "*":
			if c.AllowCredentials {
				return nil, fmt.Errorf("objectos: CORS: the wildcard origin \"*\" cannot be combined with AllowCredentials " +
					"(any site could act as a signed-in user); list the origins instead")
			}
			p.any = true
		case o == "null":
			return nil, fmt.Errorf("objectos: CORS: the \"null\" origin cannot be allowed: sandboxed frames, " +
				"local files and redirects all send it")
		default:
			pat, err := parseOrigin(o)
			if err != nil {
				return nil, err
			}
			if pat.suffix != "" {
				p.suffixes = append(p.suffixes, pat)
			} else {
				p.exact[o] = true
			}
		}
	}
	if !p.any && len(p.exact) == 0 && len(p.suffixes) == 0 {
		return nil, nil
	}
	maxAge := c.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultCORSMaxAge
	}
	p.handler = cors.New(cors.Options{
		AllowOriginFunc:  p.allows,
		AllowCredentials: c.AllowCredentials,
		AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
			http.MethodPatch, http.MethodDelete},
		AllowedHeaders: append(append([]string(nil), DefaultCORSAllowedHeaders...), c.AllowedHeaders...),
		ExposedHeaders: append(append([]string(nil), DefaultCORSExposedHeaders...), c.ExposedHeaders...),
		MaxAge:         int(maxAge / time.Second),
	})
	return p, nil
}

// parseOrigin checks an allowed origin: scheme://host[:port], nothing else,
// with at most a "*." as the host's first label.
func parseOrigin(o string) (originPattern, error) {
	bad := func(why string) (originPattern, error) {
		return originPattern{}, fmt.Errorf("objectos: CORS: allowed origin %q %s", o, why)
	}
	scheme, rest, ok := strings.Cut(o, "://")
	if !ok || scheme == "" || rest == "" {
		return bad("must be scheme://host[:port], such as https://app.example.com")
	}
	wild := strings.HasPrefix(rest, "*.")
	host := rest
	if wild {
		host = "x" + rest[1:]
	}
	if strings.Contains(host, "*") {
		return bad("may hold a wildcard only as the first label of the host (https://*.example.com)")
	}
	u, err := url.Parse(scheme + "://" + host)
	if err != nil || u.Host != host || u.Path != "" || u.RawQuery != "" || u.User != nil || u.Hostname() == "" {
		return bad("must be scheme://host[:port] without a path, query or credentials")
	}
	name := u.Hostname()
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return bad("must be written in ASCII (the punycode xn--… form), as browsers send it")
		}
	}
	if strings.HasSuffix(name, ".") {
		return bad("must not end with a dot: browsers send the name without it")
	}
	if p := u.Port(); p == "443" && scheme == "https" || p == "80" && scheme == "http" {
		return bad("must leave out the scheme's default port: browsers send " + scheme + "://" + name)
	}
	if wild {
		domain := rest[2:]
		if i := strings.LastIndexByte(domain, ':'); i >= 0 {
			domain = domain[:i]
		}
		if ps, _ := publicsuffix.PublicSuffix(domain); ps == domain || !strings.Contains(domain, ".") {
			return bad("would allow every site under the public suffix " + domain + "; name a domain of your own, such as https://*.example.com")
		}
		return originPattern{scheme: scheme, suffix: rest[1:]}, nil
	}
	return originPattern{}, nil
}

// allows reports whether a page on origin may call the API.
func (p *corsPolicy) allows(origin string) bool {
	if p == nil || origin == "" {
		return false
	}
	if p.any {
		return true
	}
	origin = strings.ToLower(origin)
	if p.exact[origin] {
		return true
	}
	scheme, rest, ok := strings.Cut(origin, "://")
	if !ok {
		return false
	}
	for _, s := range p.suffixes {
		// a subdomain: at least one label before the suffix, and no
		// characters an origin cannot hold
		if scheme == s.scheme && len(rest) > len(s.suffix) && strings.HasSuffix(rest, s.suffix) &&
			!strings.ContainsAny(rest, "/?#@\\ ") {
			return true
		}
	}
	return false
}

// OriginAllowed reports whether the CORS policy lets browser pages on
// origin call the API at all (with or without credentials).
func (s *Stack) OriginAllowed(origin string) bool {
	return s.cors != nil && s.cors.allows(strings.TrimRight(origin, "/"))
}

// OriginTrusted reports whether a browser page on origin may make
// credentialed requests: CORS is configured with AllowCredentials and the
// origin is one of its allowed origins. The auth plugin trusts such origins
// for cookie-authenticated writes, besides its own TrustedOrigins.
func (s *Stack) OriginTrusted(origin string) bool {
	return s.cors != nil && s.cors.credentials && s.cors.allows(strings.TrimRight(origin, "/"))
}
