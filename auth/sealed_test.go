package auth_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/auth"
	"github.com/objectos-go/objectos/internal/openapitest"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

// TestSealedAtRest: with Options.SecretKeys the JWT signing key and the
// TOTP secrets are stored sealed (bound to their kid and user), and both
// still work, on a second Stack with the same keys too; a Stack without
// keys refuses to start rather than store a new signing key unsealed.
func TestSealedAtRest(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		keys := []objectos.SecretKey{{ID: "k1", Key: key}}
		withKeys := func(o *objectos.Options) { o.SecretKeys = keys }
		e := newEnv(t, st, auth.Options{}, roomyAuthRate, withKeys)
		secret, _ := twoFactorUser(t, e)
		sys := objectos.AsSystem(context.Background())

		tf, err := st.Find(sys, e.Stack.Object(auth.ObjTwoFactor), &objectos.Select{})
		require.NoError(t, err)
		require.Len(t, tf, 1)
		stored := tf[0]["secret"].(string)
		assert.True(t, strings.HasPrefix(stored, "v1:k1:"), "sealed: %q", stored)
		assert.NotContains(t, stored, secret)
		// the code of the secret still signs her in
		b := pendingSignIn(t, e)
		r := b.Post(tfTOTP, map[string]any{"code": testenv.TOTPCode(t, secret, e.Clock.Now())})
		require.Equal(t, 200, r.StatusCode, r.String())
		// enable shows the same secret again (the URI of a signed-in user)
		u := b.Post("/api/v1/auth/two-factor/get-totp-uri", map[string]any{"password": "correct horse"})
		require.Equal(t, 200, u.StatusCode, u.String())
		uri, err := url.Parse(u.Value("totpURI").(string))
		require.NoError(t, err)
		assert.Equal(t, secret, uri.Query().Get("secret"))

		token := e.jwtOf(r.Value("token").(string))
		jwks, err := st.Find(sys, e.Stack.Object(auth.ObjJWKS), &objectos.Select{})
		require.NoError(t, err)
		require.Len(t, jwks, 1)
		assert.True(t, strings.HasPrefix(jwks[0]["private_key"].(string), "v1:k1:"))
		assert.Equal(t, 200, e.Bearer(token).Get("/api/v1/data/note").StatusCode)

		// each sign-in seals the secret again with the current key: the
		// old one can leave the keyring
		key2 := make([]byte, 32)
		_, _ = rand.Read(key2)
		rotated := newEnv(t, st, auth.Options{Hasher: e.hasher}, roomyAuthRate, func(o *objectos.Options) {
			o.SecretKeys = []objectos.SecretKey{{ID: "k2", Key: key2}, keys[0]}
		})
		rotated.Clock.Set(e.Clock.Now().Add(time.Minute))
		b = pendingSignIn(t, rotated)
		r2 := b.Post(tfTOTP, map[string]any{"code": testenv.TOTPCode(t, secret, rotated.Clock.Now())})
		require.Equal(t, 200, r2.StatusCode, r2.String())
		tf, err = st.Find(sys, e.Stack.Object(auth.ObjTwoFactor), &objectos.Select{})
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(tf[0]["secret"].(string), "v1:k2:"), "resealed with k2")

		// a replica with the same keys signs with the same key
		second := objectostest.New(t, noteArtifact(), objectostest.Options{
			Store: e.Store, Clock: e.Clock, Plugins: []objectos.Plugin{auth.New(auth.Options{Hasher: e.hasher})},
			Without: []string{"apikey", "security"},
			Configure: func(o *objectos.Options) {
				o.Security, o.RateLimits, o.SecretKeys = objectos.AllowAll{}, objectos.RateLimits{Disabled: true}, keys
			},
			Handler: func(s *objectos.Stack) http.Handler { return openapitest.Handler(t, s) },
		})
		session := second.Client().Post("/api/v1/auth/sign-in/email", map[string]any{"email": "ada@example.com", "password": "correct horse"})
		require.Equal(t, 200, session.StatusCode)
		assert.Equal(t, true, session.Value("twoFactorRedirect"))
		assert.Equal(t, 200, second.Bearer(token).Get("/api/v1/data/note").StatusCode, "the replica verifies the first one's tokens")

		// a replica without the keys does not start: it would store a new
		// signing key in the clear, which the others would sign with
		log := &testenv.Buffer{}
		_, err = objectos.New(context.Background(), objectos.Options{Artifact: noteArtifact(), Store: e.Store,
			Plugins: []objectos.Plugin{auth.New(auth.Options{Hasher: e.hasher})}, Security: objectos.AllowAll{},
			Logger: slog.New(slog.NewTextHandler(log, nil)), Clock: e.Clock.Now})
		require.ErrorContains(t, err, "sealed with objectos.Options.SecretKeys, which this Stack has none of")
		assert.Contains(t, log.String(), "cannot be decrypted")
		rows, err := st.Find(sys, e.Stack.Object(auth.ObjJWKS), &objectos.Select{})
		require.NoError(t, err)
		require.Len(t, rows, 1, "no unsealed key was stored")
		assert.True(t, objectos.IsSealed(rows[0]["private_key"].(string)))
	})
}
