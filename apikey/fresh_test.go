package apikey_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos/apikey"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

// TestMintNeedsAFreshSession: a session signed in more than 15 minutes ago
// (Options.FreshSession) mints a key only with the current password, whose
// failures count towards the sign-in lockout; a stolen old session cannot
// turn itself into a key.
func TestMintNeedsAFreshSession(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		clk := newClock()
		e := newEnv(t, st, clk)
		alice, _ := e.user("alice")
		require.Equal(t, 201, e.mint(alice, `{"name":"fresh"}`).code, "just signed in")

		clk.Advance(16 * time.Minute)
		r := e.mint(alice, `{"name":"stale"}`)
		assert.Equal(t, 403, r.code, r.raw)
		assert.Equal(t, "SESSION_NOT_FRESH", code(r))
		r = e.mint(alice, `{"name":"stale","password":"wrong password"}`)
		assert.Equal(t, 400, r.code, r.raw)
		assert.Equal(t, "VALIDATION_FAILED", code(r))
		r = e.mint(alice, `{"name":"stale","password":"password-alice"}`)
		require.Equal(t, 201, r.code, r.raw)
		assert.NotContains(t, r.raw, "password-alice")

		// A fresh sign-in is fresh again.
		s := e.do("POST", "/api/v1/auth/sign-in/email", `{"email":"alice@example.com","password":"password-alice"}`, nil)
		require.Equal(t, 200, s.code)
		require.Equal(t, 201, e.mint(s.body["token"].(string), `{"name":"again"}`).code)

		// Wrong passwords lock the account as wrong sign-ins do.
		for range 5 {
			e.mint(alice, `{"name":"guess","password":"guess"}`)
		}
		r = e.mint(alice, `{"name":"guess","password":"password-alice"}`)
		assert.Equal(t, 403, r.code, r.raw)
		assert.Equal(t, "ACCOUNT_LOCKED", code(r))
		assert.NotEmpty(t, r.header.Get("Retry-After"))
		s = e.do("POST", "/api/v1/auth/sign-in/email", `{"email":"alice@example.com","password":"password-alice"}`, nil)
		assert.Equal(t, 403, s.code, "the lock is the sign-in lock")

		// The window is an option.
		e = newEnv(t, st, clk, apikey.Options{FreshSession: time.Hour})
		bob, _ := e.user("bob")
		clk.Advance(59 * time.Minute)
		assert.Equal(t, 201, e.mint(bob, `{"name":"within the hour"}`).code)
	})
}

// TestExpiryPolicy: Options.DefaultExpiry applies to keys minted without
// expires_at, and Options.MaxExpiry bounds every key, those without
// expires_at included.
func TestExpiryPolicy(t *testing.T) {
	clk := newClock()
	e := newEnv(t, testenv.Open(t, testenv.SQLite), clk, apikey.Options{DefaultExpiry: 30 * 24 * time.Hour, MaxExpiry: 90 * 24 * time.Hour})
	alice, _ := e.user("alice")
	r := e.mint(alice, `{"name":"default"}`)
	require.Equal(t, 201, r.code, r.raw)
	assert.Equal(t, "2026-08-27T12:00:00.000Z", r.body["expires_at"])
	r = e.mint(alice, `{"name":"too long","expires_at":"2026-11-01T00:00:00Z"}`)
	assert.Equal(t, 400, r.code, r.raw)
	assert.Equal(t, "VALIDATION_FAILED", code(r))
	assert.Contains(t, r.raw, "max_value")
	r = e.mint(alice, `{"name":"within","expires_at":"2026-10-01T00:00:00Z"}`)
	assert.Equal(t, 201, r.code, r.raw)

	e = newEnv(t, testenv.Open(t, testenv.SQLite), clk, apikey.Options{MaxExpiry: 7 * 24 * time.Hour})
	bob, _ := e.user("bob")
	r = e.mint(bob, `{"name":"capped"}`)
	require.Equal(t, 201, r.code, r.raw)
	assert.Equal(t, "2026-08-04T12:00:00.000Z", r.body["expires_at"], "no key outlives MaxExpiry")

	e = newEnv(t, testenv.Open(t, testenv.SQLite), clk)
	carol, _ := e.user("carol")
	r = e.mint(carol, `{"name":"forever"}`)
	require.Equal(t, 201, r.code, r.raw)
	assert.Nil(t, r.body["expires_at"], "without a policy a key need not expire")
}

// TestRevokeAPIKeysWithTheSessions: change-password and revoke-sessions
// revoke the user's keys too when asked (revokeApiKeys), and leave them
// alone otherwise.
func TestRevokeAPIKeysWithTheSessions(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, newClock())
		alice, _ := e.user("alice")
		works := func(key string) bool {
			return e.do("GET", "/api/v1/data/doc", "", bearer(key)).code == 200
		}
		k1 := e.mint(alice, `{"name":"one"}`).body["key"].(string)
		r := e.do("POST", "/api/v1/auth/change-password", `{"currentPassword":"password-alice","newPassword":"password-alice-2"}`, bearer(alice))
		require.Equal(t, 200, r.code, r.raw)
		assert.True(t, works(k1), "a password change alone leaves keys alone")
		r = e.do("POST", "/api/v1/auth/change-password", `{"currentPassword":"password-alice-2","newPassword":"password-alice-3","revokeApiKeys":true}`, bearer(alice))
		require.Equal(t, 200, r.code, r.raw)
		assert.False(t, works(k1), "revokeApiKeys revokes them")

		k2 := e.mint(alice, `{"name":"two"}`).body["key"].(string)
		r = e.do("POST", "/api/v1/auth/revoke-sessions", `{}`, bearer(alice))
		require.Equal(t, 200, r.code, r.raw)
		assert.True(t, works(k2))
		s := e.do("POST", "/api/v1/auth/sign-in/email", `{"email":"alice@example.com","password":"password-alice-3"}`, nil)
		require.Equal(t, 200, s.code)
		r = e.do("POST", "/api/v1/auth/revoke-sessions", `{"revokeApiKeys":true}`, bearer(s.body["token"].(string)))
		require.Equal(t, 200, r.code, r.raw)
		assert.False(t, works(k2))
		r = e.do("POST", "/api/v1/auth/revoke-sessions", `{"revokeApiKeys":"yes"}`, bearer(alice))
		assert.Equal(t, 401, r.code, "the sessions are gone")
	})
}
