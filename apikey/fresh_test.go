package apikey_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/objectos-go/objectos/apikey"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

// TestMintNeedsAFreshSession: a session signed in more than 15 minutes ago
// (Options.FreshSession) mints a key only with the current password, whose
// failures count towards the sign-in lockout; a stolen old session cannot
// turn itself into a key.
func TestMintNeedsAFreshSession(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		clk := objectostest.NewClock()
		e := newEnv(t, st, clk)
		alice := e.User(t, "alice")
		mint(alice, `{"name":"fresh"}`).Status(t, 201) // just signed in

		clk.Advance(16 * time.Minute)
		mint(alice, `{"name":"stale"}`).Status(t, 403).Code(t, "SESSION_NOT_FRESH")
		mint(alice, `{"name":"stale","password":"wrong password"}`).Status(t, 400).Code(t, "VALIDATION_FAILED")
		r := mint(alice, `{"name":"stale","password":"`+alice.Password+`"}`).Status(t, 201)
		assert.NotContains(t, r.String(), alice.Password)

		// A fresh sign-in is fresh again.
		mint(alice.SignIn(t), `{"name":"again"}`).Status(t, 201)

		// Wrong passwords lock the account as wrong sign-ins do.
		for range 5 {
			mint(alice, `{"name":"guess","password":"guess"}`)
		}
		r = mint(alice, `{"name":"guess","password":"`+alice.Password+`"}`).Status(t, 403).Code(t, "ACCOUNT_LOCKED")
		assert.NotEmpty(t, r.Header.Get("Retry-After"))
		s := e.Client().Post("/api/v1/auth/sign-in/email", map[string]any{"email": alice.Email, "password": alice.Password})
		assert.Equal(t, 403, s.StatusCode, "the lock is the sign-in lock")

		// The window is an option.
		e = newEnv(t, st, clk, apikey.Options{FreshSession: time.Hour})
		bob := e.User(t, "bob")
		clk.Advance(59 * time.Minute)
		mint(bob, `{"name":"within the hour"}`).Status(t, 201)
	})
}

// TestExpiryPolicy: Options.DefaultExpiry applies to keys minted without
// expires_at, and Options.MaxExpiry bounds every key, those without
// expires_at included.
func TestExpiryPolicy(t *testing.T) {
	clk := objectostest.NewClock()
	e := newEnv(t, testenv.Open(t, testenv.SQLite), clk, apikey.Options{DefaultExpiry: 30 * 24 * time.Hour, MaxExpiry: 90 * 24 * time.Hour})
	alice := e.User(t, "alice")
	mint(alice, `{"name":"default"}`).Status(t, 201).Equal(t, "expires_at", "2026-08-27T12:00:00.000Z")
	r := mint(alice, `{"name":"too long","expires_at":"2026-11-01T00:00:00Z"}`).Status(t, 400).Code(t, "VALIDATION_FAILED")
	assert.Contains(t, r.String(), "max_value")
	mint(alice, `{"name":"within","expires_at":"2026-10-01T00:00:00Z"}`).Status(t, 201)

	e = newEnv(t, testenv.Open(t, testenv.SQLite), clk, apikey.Options{MaxExpiry: 7 * 24 * time.Hour})
	bob := e.User(t, "bob")
	mint(bob, `{"name":"capped"}`).Status(t, 201).
		Equal(t, "expires_at", "2026-08-04T12:00:00.000Z") // no key outlives MaxExpiry

	e = newEnv(t, testenv.Open(t, testenv.SQLite), clk)
	carol := e.User(t, "carol")
	mint(carol, `{"name":"forever"}`).Status(t, 201).
		Equal(t, "expires_at", nil) // without a policy a key need not expire
}

// TestRevokeAPIKeysWithTheSessions: change-password and revoke-sessions
// revoke the user's keys too when asked (revokeApiKeys), and leave them
// alone otherwise.
func TestRevokeAPIKeysWithTheSessions(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, objectostest.NewClock())
		alice := e.User(t, "alice")
		works := func(c *objectostest.Client) bool { return c.Get("/api/v1/data/doc").StatusCode == 200 }
		change := func(current, next string, revokeKeys bool) {
			t.Helper()
			body := map[string]any{"currentPassword": current, "newPassword": next}
			if revokeKeys {
				body["revokeApiKeys"] = true
			}
			alice.Post("/api/v1/auth/change-password", body).Status(t, 200)
		}
		k1 := alice.APIKey(t)
		change(alice.Password, alice.Password+"-2", false)
		assert.True(t, works(k1), "a password change alone leaves keys alone")
		change(alice.Password+"-2", alice.Password+"-3", true)
		assert.False(t, works(k1), "revokeApiKeys revokes them")

		k2 := alice.APIKey(t)
		alice.Post("/api/v1/auth/revoke-sessions", `{}`).Status(t, 200)
		assert.True(t, works(k2))
		again := e.SignIn(t, alice.Email, alice.Password+"-3")
		again.Post("/api/v1/auth/revoke-sessions", `{"revokeApiKeys":true}`).Status(t, 200)
		assert.False(t, works(k2))
		assert.Equal(t, 401, alice.Post("/api/v1/auth/revoke-sessions", `{"revokeApiKeys":"yes"}`).StatusCode, "the sessions are gone")
	})
}
