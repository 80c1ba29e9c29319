package objectostest

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/objectos-go/objectos"
)

// User is a sys_user made by the test, signed in. Its Client (embedded)
// presents the session token of that sign-in as a bearer token; SignIn,
// Browser and APIKey give it more clients, each with a credential of its
// own.
type User struct {
	*Client
	env *Env
	// ID is the sys_user id.
	ID string
	// Name, Email and Password are the user's; Email is made from Name
	// ("Ada Lovelace" is ada.lovelace@example.com).
	Name, Email, Password string
	// Role is "admin" for an Admin, "" otherwise.
	Role string
	// PermissionSets are the sets assigned to the user (the default sets
	// of the artifact apply besides).
	PermissionSets []string
}

// User creates a user holding the permission sets (besides the default
// ones) and signs them in. It needs the auth plugin, whose sys_user it
// creates through the engine and whose password sign-in it uses; names
// must be unique within the Env.
func (e *Env) User(t testing.TB, name string, permissionSets ...string) *User {
	t.Helper()
	return e.newUser(t, name, "", permissionSets)
}

// Admin creates an administrator (role "admin", who may do everything) and
// signs them in (see User).
func (e *Env) Admin(t testing.TB, name string) *User {
	t.Helper()
	return e.newUser(t, name, objectos.RoleAdmin, nil)
}

func (e *Env) newUser(t testing.TB, name, role string, sets []string) *User {
	t.Helper()
	a := e.Auth()
	if a == nil {
		t.Fatalf("objectostest: users need the auth plugin, and this Stack has none")
	}
	u := &User{env: e, Name: name, Email: emailFor(name), Role: role, PermissionSets: sets}
	u.Password = "password-" + u.Email[:min(len(u.Email), 100)]
	rec := objectos.Record{"name": name, "email": u.Email}
	if role != "" {
		rec["role"] = role
	}
	if len(sets) > 0 {
		rec["permission_sets"] = sets
	}
	ctx := objectos.AsSystem(context.Background())
	res, err := e.Stack.Create(ctx, objectos.UserObject, rec)
	if err != nil {
		t.Fatalf("objectostest: user %q: %v", name, err)
	}
	u.ID = res.ID
	if err := a.SetPassword(ctx, u.ID, u.Password); err != nil {
		t.Fatalf("objectostest: user %q: %v", name, err)
	}
	u.Client = e.SignIn(t, u.Email, u.Password)
	return u
}

// emailFor makes an address from a name: letters and digits kept (lower
// case), runs of anything else one dot.
func emailFor(name string) string {
	var b strings.Builder
	dot := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dot && b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteRune(r)
			dot = false
		} else {
			dot = true
		}
	}
	if b.Len() == 0 {
		b.WriteString("user")
	}
	return b.String() + "@example.com"
}

// SignIn signs in with an email and password (POST {base}/auth/sign-in/email)
// and returns a client that presents the new session's token as a bearer
// token. It fails t unless the sign-in succeeds.
func (e *Env) SignIn(t testing.TB, email, password string) *Client {
	t.Helper()
	r := e.Client().Post(e.Stack.BasePath()+"/auth/sign-in/email", map[string]any{"email": email, "password": password})
	r.Status(t, http.StatusOK)
	token, _ := r.Value("token").(string)
	if token == "" {
		t.Fatalf("objectostest: the sign-in of %s answered no token\n%s", email, clip(r.Body))
	}
	return e.Bearer(token)
}

// Principal returns the user as the engine sees them, for calls of the
// Stack's Go API.
func (u *User) Principal() *objectos.Principal {
	return &objectos.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role,
		PermissionSets: append([]string(nil), u.PermissionSets...)}
}

// Context returns a context in which the Stack's Go API runs as the user:
//
//	env.Stack.Create(alice.Context(), "todo", objectos.Record{"title": "x"})
func (u *User) Context() context.Context {
	return objectos.WithPrincipal(context.Background(), u.Principal())
}

// SignIn signs the user in again and returns a client with the new
// session's token as its bearer token.
func (u *User) SignIn(t testing.TB) *Client {
	t.Helper()
	return u.env.SignIn(t, u.Email, u.Password)
}

// Browser signs the user in through a Browser: the returned client holds
// the session cookie and sends it, with the Origin header, as a browser on
// the Env's origin would.
func (u *User) Browser(t testing.TB) *Client {
	t.Helper()
	c := u.env.Browser()
	r := c.Post(u.env.Stack.BasePath()+"/auth/sign-in/email", map[string]any{"email": u.Email, "password": u.Password})
	r.Status(t, http.StatusOK)
	c.Token, _ = r.Value("token").(string)
	return c
}

// APIKey mints an API key for the user (through the apikey plugin's Go
// API, so no fresh sign-in is asked for) and returns a client that
// presents it as x-api-key.
func (u *User) APIKey(t testing.TB) *Client {
	t.Helper()
	p := u.env.APIKeys()
	if p == nil {
		t.Fatalf("objectostest: API keys need the apikey plugin, and this Stack has none")
	}
	m, err := p.Mint(u.Context(), map[string]any{"name": "objectostest"})
	if err != nil {
		t.Fatalf("objectostest: minting a key for %q: %v", u.Name, err)
	}
	c := u.env.Client().With("X-Api-Key", m.Key)
	c.Key, c.KeyID = m.Key, m.ID
	return c
}
