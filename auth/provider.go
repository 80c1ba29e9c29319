package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// GitHub returns the provider of a GitHub OAuth app (Settings → Developer
// settings → OAuth Apps; its callback URL is {base}/api/v1/auth/callback/github).
// GitHub speaks plain OAuth 2.0: the user is read from
// https://api.github.com/user, and the address from /user/emails, where
// GitHub says which of the user's addresses is the verified primary one.
func GitHub(clientID, clientSecret string) Provider {
	return Provider{ID: "github", Name: "GitHub", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL:     "https://github.com/login/oauth/authorize",
		TokenURL:    "https://github.com/login/oauth/access_token",
		UserInfoURL: "https://api.github.com/user",
		EmailsURL:   "https://api.github.com/user/emails",
		Scopes:      []string{"read:user", "user:email"},
		UserInfo:    UserInfoFields{ID: "id", Image: "avatar_url"}, // name, else login
	}
}

// Google returns the provider of a Google OAuth client (OpenID Connect,
// issuer https://accounts.google.com).
func Google(clientID, clientSecret string) Provider {
	return Provider{ID: "google", Name: "Google", Issuer: "https://accounts.google.com",
		ClientID: clientID, ClientSecret: clientSecret}
}

// Microsoft returns the provider of a Microsoft Entra ID app registration
// (OpenID Connect). tenant is the directory's ID (a GUID), or common,
// organizations or consumers for a multi-tenant app (empty means common),
// whose ID tokens are checked against the issuer of their own tenant.
// Microsoft's tokens carry no email_verified: an email counts as verified
// only when the optional claim xms_edov (email domain owner verified) says
// so, so that an address nobody proved cannot take over an account (add
// xms_edov to the app's optional ID token claims to link existing users).
func Microsoft(tenant, clientID, clientSecret string) Provider {
	if tenant == "" {
		tenant = "common"
	}
	p := Provider{ID: "microsoft", Name: "Microsoft", Issuer: microsoftIssuer(tenant),
		ClientID: clientID, ClientSecret: clientSecret, verifiedClaim: "xms_edov"}
	switch tenant {
	case "common", "organizations", "consumers":
		p.multiTenant = tenant
	}
	return p
}

// tenantIssuer is the issuer of a tenant's tokens for a multi-tenant
// provider: the Issuer with the tenant's ID in place of common.
func (pr Provider) tenantIssuer(tid string) string {
	return strings.Replace(pr.Issuer, "/"+pr.multiTenant+"/", "/"+tid+"/", 1)
}

func microsoftIssuer(tenant string) string {
	return "https://login.microsoftonline.com/" + tenant + "/v2.0"
}

// GitLab returns the provider of a GitLab application (OpenID Connect) on
// gitlab.com, or on the instance at baseURL.
func GitLab(baseURL, clientID, clientSecret string) Provider {
	if baseURL == "" {
		baseURL = "https://gitlab.com"
	}
	return Provider{ID: "gitlab", Name: "GitLab", Issuer: strings.TrimSuffix(baseURL, "/"),
		ClientID: clientID, ClientSecret: clientSecret}
}

var providerIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// check reports what is missing from a provider's configuration.
func (pr Provider) check() error {
	switch {
	case !providerIDRE.MatchString(pr.ID):
		return fmt.Errorf("auth: a provider needs an ID of lower-case letters, digits, - and _ (got %q)", pr.ID)
	case pr.ID == credentialProvider:
		return fmt.Errorf("auth: %q names the password accounts; give the provider another ID", pr.ID)
	case pr.ClientID == "":
		return fmt.Errorf("auth: provider %q needs a ClientID", pr.ID)
	case pr.Issuer != "" && (pr.AuthURL != "" || pr.TokenURL != "" || pr.UserInfoURL != ""):
		return fmt.Errorf("auth: provider %q has an Issuer (OpenID Connect, discovered) and OAuth 2.0 endpoints: give one or the other", pr.ID)
	case pr.Issuer == "" && (pr.AuthURL == "" || pr.TokenURL == "" || pr.UserInfoURL == ""):
		return fmt.Errorf("auth: provider %q needs an Issuer (OpenID Connect) or AuthURL, TokenURL and UserInfoURL (OAuth 2.0)", pr.ID)
	}
	for _, u := range []string{pr.Issuer, pr.AuthURL, pr.TokenURL, pr.UserInfoURL, pr.EmailsURL} {
		if u != "" && !secureURL(u) {
			return fmt.Errorf("auth: provider %q: %q is not an https URL (http only on the loopback): the client secret and the tokens go there", pr.ID, u)
		}
	}
	if pr.verifiedClaim == "xms_edov" && pr.multiTenant == "" {
		// a domain's discovery names the issuer by the tenant's ID
		u, _ := url.Parse(pr.Issuer) // a valid URL: checked above
		tenant, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
		if !tenantIDRE.MatchString(tenant) {
			return fmt.Errorf("auth: provider %q: the Microsoft tenant is its directory ID (a GUID) or common, organizations or consumers, not %q", pr.ID, tenant)
		}
	}
	return nil
}

// secureURL accepts https URLs, and http ones on the loopback (a
// development provider).
func secureURL(s string) bool {
	if !validURL(s) {
		return false
	}
	u, _ := url.Parse(s)
	if u.Scheme == "https" {
		return true
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// maxUserInfo bounds a userinfo or emails document.
const maxUserInfo = 1 << 20

// oauthIdentity reads the identity of a plain OAuth 2.0 sign-in from the
// provider's userinfo document (and its emails list when the document has
// no verified address).
func (p *Plugin) oauthIdentity(ctx context.Context, op *oidcProvider, tok *oauth2.Token) (*identity, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var doc map[string]any
	if err := p.getJSON(ctx, op.cfg.UserInfoURL, tok, &doc); err != nil {
		return nil, "failed_to_get_user_info", err
	}
	f := op.cfg.UserInfo
	who := &identity{
		subject:  idString(lookupField(doc, f.ID, "sub", "id")),
		email:    asString(lookupField(doc, f.Email, "email")),
		verified: isTrue(lookupField(doc, f.EmailVerified, "email_verified", "verified_email")),
		name:     asString(lookupField(doc, f.Name, "name", "login", "preferred_username")),
		picture:  asString(lookupField(doc, f.Image, "picture", "avatar_url")),
	}
	if who.subject == "" {
		return nil, "failed_to_get_user_info", errors.New("the userinfo document names no user id")
	}
	if !who.verified && op.cfg.EmailsURL != "" {
		var emails []struct {
			Email    string `json:"email"`
			Primary  bool   `json:"primary"`
			Verified bool   `json:"verified"`
		}
		if err := p.getJSON(ctx, op.cfg.EmailsURL, tok, &emails); err != nil {
			return nil, "failed_to_get_user_info", err
		}
		for _, e := range emails {
			if e.Primary && e.Verified && e.Email != "" {
				who.email, who.verified = e.Email, true
				break
			}
		}
	}
	return who, "", nil
}

// getJSON reads a JSON document of the provider with the access token.
func (p *Plugin) getJSON(ctx context.Context, u string, tok *oauth2.Token, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	tok.SetAuthHeader(req)
	req.Header.Set("Accept", "application/json")
	resp, err := p.opts.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUserInfo+1))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", req.URL.Redacted(), resp.Status)
	}
	if len(body) > maxUserInfo {
		return fmt.Errorf("%s answered more than %d bytes", req.URL.Redacted(), maxUserInfo)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return dec.Decode(out)
}

// lookupField reads the field the mapping names (a dotted path), or the
// first of the usual names present.
func lookupField(doc map[string]any, name string, usual ...string) any {
	if name != "" {
		usual = []string{name}
	}
	for _, n := range usual {
		var v any = doc
		for _, part := range strings.Split(n, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = m[part]
		}
		if v != nil {
			return v
		}
	}
	return nil
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

// idString is an id as a string: GitHub's are numbers.
func idString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

var builtIn = map[string]bool{"github": true, "google": true, "microsoft": true, "gitlab": true}

// ProvidersFromEnv returns the providers the environment configures:
// OS_AUTH_PROVIDERS lists them by ID (github,google), and each reads
// OS_AUTH_<ID>_CLIENT_ID and OS_AUTH_<ID>_CLIENT_SECRET. github, google,
// microsoft (OS_AUTH_MICROSOFT_TENANT, default common) and gitlab
// (OS_AUTH_GITLAB_URL, default https://gitlab.com) are built in; any other
// ID is OpenID Connect at OS_AUTH_OIDC_<ID>_ISSUER (with OS_AUTH_<ID>_NAME
// its display name). OS_AUTH_<ID>_ALLOW_SIGNUP=true lets one create users
// when sign-up is closed. getenv nil reads the process environment.
func ProvidersFromEnv(getenv func(string) string) ([]Provider, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var out []Provider
	seen := map[string]bool{}
	for _, id := range strings.Split(getenv("OS_AUTH_PROVIDERS"), ",") {
		id = strings.ToLower(strings.TrimSpace(id))
		if id == "" {
			continue
		}
		if seen[id] {
			return nil, fmt.Errorf("auth: OS_AUTH_PROVIDERS names %q twice", id)
		}
		seen[id] = true
		key := "OS_AUTH_" + strings.ToUpper(strings.ReplaceAll(id, "-", "_")) + "_"
		clientID, secret := getenv(key+"CLIENT_ID"), getenv(key+"CLIENT_SECRET")
		if clientID == "" {
			return nil, fmt.Errorf("auth: provider %q needs %sCLIENT_ID", id, key)
		}
		if secret == "" && builtIn[id] {
			return nil, fmt.Errorf("auth: provider %q needs %sCLIENT_SECRET", id, key)
		}
		var pr Provider
		switch id {
		case "github":
			pr = GitHub(clientID, secret)
		case "google":
			pr = Google(clientID, secret)
		case "microsoft":
			pr = Microsoft(getenv(key+"TENANT"), clientID, secret)
		case "gitlab":
			pr = GitLab(getenv(key+"URL"), clientID, secret)
		default:
			issuer := getenv("OS_AUTH_OIDC_" + key[len("OS_AUTH_"):] + "ISSUER")
			if issuer == "" {
				return nil, fmt.Errorf("auth: provider %q is not built in (github, google, microsoft, gitlab): set OS_AUTH_OIDC_%sISSUER to its OpenID Connect issuer", id, key[len("OS_AUTH_"):])
			}
			pr = Provider{ID: id, Name: getenv(key + "NAME"), Issuer: issuer, ClientID: clientID, ClientSecret: secret}
		}
		if v := strings.ToLower(getenv(key + "ALLOW_SIGNUP")); v == "true" || v == "1" || v == "yes" {
			pr.AllowSignUp = true
		}
		if err := pr.check(); err != nil {
			return nil, err
		}
		out = append(out, pr)
	}
	return out, nil
}
