package objectos_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

// plaintext is the distinctive secret of these tests: found anywhere but
// where RevealSecret returns it, it leaked.
const plaintext = "sk_live_PLAINTEXT_7f3a9c"

func secretKey(id string, b byte) objectos.SecretKey {
	return objectos.SecretKey{ID: id, Key: bytes.Repeat([]byte{b}, 32)}
}

var keyA, keyB = secretKey("a", 1), secretKey("b", 2)

func secretArtifact() *objectos.Artifact {
	return &objectos.Artifact{Objects: []*objectos.Object{{
		Name: "integration",
		Fields: []*objectos.Field{
			{Name: "name", Type: objectos.TypeText, Required: true, Searchable: true},
			{Name: "token", Type: objectos.TypeSecret, MinLength: 10, MaxLength: 200},
			{Name: "backup_token", Type: objectos.TypeSecret},
		},
	}}}
}

// secretStack starts a Stack on st with the keys, logging at Debug into a
// buffer that must never hold the plaintext.
func secretStack(t *testing.T, st objectos.Store, keys ...objectos.SecretKey) (*objectos.Stack, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	s := newStack(t, st, secretArtifact(), func(o *objectos.Options) {
		o.SecretKeys = keys
		o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	t.Cleanup(func() { assert.NotContains(t, logs.String(), plaintext, "a log line holds the plaintext") })
	return s, logs
}

// rawSecret reads a secret column as the database holds it (bun binds
// "?" on every dialect).
func rawSecret(t *testing.T, st *store.Store, field, id string) any {
	t.Helper()
	q := `SELECT "` + field + `" FROM "integration" WHERE "id" = ?`
	var v any
	require.NoError(t, st.DB().QueryRowContext(context.Background(), q, id).Scan(&v))
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	return v
}

func TestSecretNewRefusals(t *testing.T) {
	withField := func(f *objectos.Field, more ...func(*objectos.Object)) *objectos.Artifact {
		a := &objectos.Artifact{Objects: []*objectos.Object{{Name: "integration",
			Fields: []*objectos.Field{{Name: "name", Type: objectos.TypeText}, f}}}}
		for _, m := range more {
			m(a.Objects[0])
		}
		return a
	}
	secret := func() *objectos.Field { return &objectos.Field{Name: "token", Type: objectos.TypeSecret} }
	cases := map[string]struct {
		artifact *objectos.Artifact
		keys     []objectos.SecretKey
		want     string
	}{
		"no key": {withField(secret()), nil,
			"objectos: the secret fields integration.token are encrypted at rest and need a key: set Options.SecretKeys"},
		"short key": {withField(secret()), []objectos.SecretKey{{ID: "k", Key: make([]byte, 16)}},
			"objectos: SecretKeys[0] (k): a key is 32 bytes (AES-256), not 16"},
		"short old key": {withField(secret()), []objectos.SecretKey{keyA, {ID: "old", Key: make([]byte, 31)}},
			"objectos: SecretKeys[1] (old): a key is 32 bytes (AES-256), not 31"},
		"duplicate id": {withField(secret()), []objectos.SecretKey{keyA, secretKey("a", 3)},
			`objectos: SecretKeys[1]: the id "a" is used twice`},
		"id with a colon": {withField(secret()), []objectos.SecretKey{secretKey("a:b", 1)},
			`objectos: SecretKeys[0]: the id "a:b" must be`},
		"unique": {withField(&objectos.Field{Name: "token", Type: objectos.TypeSecret, Unique: true}), []objectos.SecretKey{keyA},
			"a secret field cannot be unique"},
		"searchable": {withField(&objectos.Field{Name: "token", Type: objectos.TypeSecret, Searchable: true}), []objectos.SecretKey{keyA},
			"only text, select and autonumber fields can be searchable"},
		"default": {withField(&objectos.Field{Name: "token", Type: objectos.TypeSecret, DefaultValue: plaintext}), []objectos.SecretKey{keyA},
			"a secret field takes no default"},
		"sortable": {withField(&objectos.Field{Name: "token", Type: objectos.TypeSecret, Sortable: objectos.Ptr(true)}), []objectos.SecretKey{keyA},
			"a secret field cannot be sortable"},
		"index": {withField(secret(), func(o *objectos.Object) { o.Indexes = []objectos.Index{{Fields: []string{"token"}}} }),
			[]objectos.SecretKey{keyA}, "a secret field cannot be indexed"},
		"view sort": {func() *objectos.Artifact {
			a := withField(secret())
			a.Views = []*objectos.View{{Name: "v", Object: "integration", Sort: []string{"token"}}}
			return a
		}(), []objectos.SecretKey{keyA}, `"token" is a secret field and cannot be sorted`},
		"view filter": {func() *objectos.Artifact {
			a := withField(secret())
			a.Views = []*objectos.View{{Name: "v", Object: "integration", Filter: map[string]any{"token": "x"}}}
			return a
		}(), []objectos.SecretKey{keyA}, `"token" is a secret field and cannot be filtered`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			st, err := store.Memory(context.Background())
			require.NoError(t, err)
			defer st.Close()
			_, err = objectos.New(context.Background(), objectos.Options{Artifact: tc.artifact, Store: st, SecretKeys: tc.keys})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), plaintext)
		})
	}
	t.Run("keys without secret fields", func(t *testing.T) {
		st, err := store.Memory(context.Background())
		require.NoError(t, err)
		defer st.Close()
		_, err = objectos.New(context.Background(), objectos.Options{Artifact: crmArtifact(), Store: st, SecretKeys: []objectos.SecretKey{keyA}})
		assert.NoError(t, err)
	})
}

// TestSecretAtRest: a secret is stored sealed under the current key,
// never as its plaintext, and every Go read shows the mask (null when
// unset); RevealSecret gives the plaintext back.
func TestSecretAtRest(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s, _ := secretStack(t, st, keyA)
		ctx := system()
		created := mustCreate(t, s, ctx, "integration", objectos.Record{"name": "Stripe", "token": plaintext})
		assert.Equal(t, objectos.MaskedValue, created.Record["token"])
		assert.Nil(t, created.Record["backup_token"])

		raw, ok := rawSecret(t, st, "token", created.ID).(string)
		require.True(t, ok)
		assert.True(t, strings.HasPrefix(raw, "v1:a:"), raw)
		assert.NotContains(t, raw, plaintext)
		assert.Nil(t, rawSecret(t, st, "backup_token", created.ID))

		got, err := s.Get(ctx, "integration", created.ID, objectos.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, objectos.MaskedValue, got.Record["token"])
		assert.Nil(t, got.Record["backup_token"])
		list, err := s.List(ctx, "integration", objectos.Query{Fields: []string{"token"}})
		require.NoError(t, err)
		assert.Equal(t, []objectos.Record{{"id": created.ID, "token": objectos.MaskedValue}}, list.Records)

		v, err := s.RevealSecret(ctx, "integration", created.ID, "token")
		require.NoError(t, err)
		assert.Equal(t, plaintext, v)
		v, err = s.RevealSecret(ctx, "integration", created.ID, "backup_token")
		require.NoError(t, err)
		assert.Equal(t, "", v, "an unset secret reveals as empty")

		// Two writes of one plaintext seal differently (random nonce).
		other := mustCreate(t, s, ctx, "integration", objectos.Record{"name": "Other", "token": plaintext})
		assert.NotEqual(t, raw, rawSecret(t, st, "token", other.ID))
	})
}

// TestSecretNotInSQLiteFile greps the bytes of a file-backed SQLite
// database (and its journal) for the plaintext.
func TestSecretNotInSQLiteFile(t *testing.T) {
	dir := t.TempDir()
	st := openStoreFile(t, filepath.Join(dir, "secret.db"))
	s, _ := secretStack(t, st, keyA)
	r := mustCreate(t, s, system(), "integration", objectos.Record{"name": "Stripe", "token": plaintext})
	_, err := s.Update(system(), "integration", r.ID, objectos.Record{"backup_token": plaintext + "-backup"}, objectos.WriteOptions{})
	require.NoError(t, err)
	v, err := s.RevealSecret(system(), "integration", r.ID, "backup_token")
	require.NoError(t, err)
	require.Equal(t, plaintext+"-backup", v)
	require.NoError(t, st.Close())

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	seen := 0
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		seen += len(b)
		assert.False(t, bytes.Contains(b, []byte("PLAINTEXT_7f3a9c")), "%s holds the plaintext", e.Name())
		if e.Name() == "secret.db" {
			assert.True(t, bytes.Contains(b, []byte("v1:a:")), "the sealed value is in the file")
		}
	}
	assert.Positive(t, seen)
}

// TestSecretWrites: the mask written back leaves the secret as it is, ""
// and null clear it, and a validation error on a secret does not echo it.
func TestSecretWrites(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s, _ := secretStack(t, st, keyA)
		ctx := as("alice")
		r := mustCreate(t, s, ctx, "integration", objectos.Record{"name": "Stripe", "token": plaintext})
		before := rawSecret(t, st, "token", r.ID)

		// A client sends back what it read.
		got, err := s.Get(ctx, "integration", r.ID, objectos.GetOptions{})
		require.NoError(t, err)
		got.Record["name"] = "Stripe EU"
		delete(got.Record, "id")
		_, err = s.Update(ctx, "integration", r.ID, got.Record, objectos.WriteOptions{})
		require.NoError(t, err)
		assert.Equal(t, before, rawSecret(t, st, "token", r.ID), "the mask leaves the sealed value as it was")
		v, err := s.RevealSecret(ctx, "integration", r.ID, "token")
		require.NoError(t, err)
		assert.Equal(t, plaintext, v)
		assert.Nil(t, rawSecret(t, st, "backup_token", r.ID), "null read back stays null")

		// A new value replaces it.
		_, err = s.Update(ctx, "integration", r.ID, objectos.Record{"token": plaintext + "-2"}, objectos.WriteOptions{})
		require.NoError(t, err)
		v, err = s.RevealSecret(ctx, "integration", r.ID, "token")
		require.NoError(t, err)
		assert.Equal(t, plaintext+"-2", v)

		// Too short: the error names the field, never the value.
		_, err = s.Update(ctx, "integration", r.ID, objectos.Record{"token": "PLAINTEXT"}, objectos.WriteOptions{})
		e := requireCode(t, err, objectos.CodeValidationFailed)
		assert.Equal(t, map[string]string{"token": objectos.FieldMinLength}, fieldCodes(e))
		assert.NotContains(t, string(mustJSON(e.Fields))+e.Message, "PLAINTEXT")
		_, err = s.Update(ctx, "integration", r.ID, objectos.Record{"token": 42.0}, objectos.WriteOptions{})
		requireCode(t, err, objectos.CodeValidationFailed)

		// "" and null clear it.
		for _, clear := range []any{"", nil} {
			_, err = s.Update(ctx, "integration", r.ID, objectos.Record{"token": plaintext}, objectos.WriteOptions{})
			require.NoError(t, err)
			res, err := s.Update(ctx, "integration", r.ID, objectos.Record{"token": clear}, objectos.WriteOptions{})
			require.NoError(t, err)
			assert.Nil(t, res.Record["token"])
			assert.Nil(t, rawSecret(t, st, "token", r.ID))
		}

		// A create with the mask stores nothing.
		m := mustCreate(t, s, ctx, "integration", objectos.Record{"name": "Masked", "token": objectos.MaskedValue})
		assert.Nil(t, m.Record["token"])
		assert.Nil(t, rawSecret(t, st, "token", m.ID))

		// CreateMany seals every record's secret under its own id.
		many, err := s.CreateMany(ctx, "integration", []objectos.Record{
			{"name": "One", "token": plaintext + "-one"}, {"name": "Two", "token": plaintext + "-two"}})
		require.NoError(t, err)
		for i, suffix := range []string{"-one", "-two"} {
			assert.Equal(t, objectos.MaskedValue, many[i].Record["token"])
			v, err := s.RevealSecret(ctx, "integration", many[i].ID, "token")
			require.NoError(t, err)
			assert.Equal(t, plaintext+suffix, v)
		}
	})
}

// secretSecurity lets everyone read and write integrations they own;
// "admin" sees all; "auditor" cannot read token.
type secretSecurity struct{}

func (secretSecurity) Name() string { return "secret-security" }

func (secretSecurity) Authorize(_ context.Context, p *objectos.Principal, o *objectos.Object, a objectos.Access) (*objectos.Grant, error) {
	g := &objectos.Grant{}
	if p.UserID == "auditor" {
		g.Fields = map[string]objectos.FieldAccess{"token": {}}
	}
	if p.UserID != "admin" && p.UserID != "auditor" {
		g.Records = objectos.Eq("owner_id", p.UserID)
	}
	return g, nil
}

// TestSecretRevealChecks: RevealSecret runs the caller's read checks.
func TestSecretRevealChecks(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		logs := &logBuffer{}
		s := newStack(t, st, secretArtifact(), func(o *objectos.Options) {
			o.SecretKeys = []objectos.SecretKey{keyA}
			o.Plugins = []objectos.Plugin{secretSecurity{}}
			o.Logger = slog.New(slog.NewJSONHandler(logs, nil))
		})
		r := mustCreate(t, s, as("alice"), "integration", objectos.Record{"name": "Stripe", "token": plaintext})

		v, err := s.RevealSecret(as("alice"), "integration", r.ID, "token")
		require.NoError(t, err)
		assert.Equal(t, plaintext, v)
		v, err = s.RevealSecret(as("admin"), "integration", r.ID, "token")
		require.NoError(t, err)
		assert.Equal(t, plaintext, v)

		_, err = s.RevealSecret(as("bob"), "integration", r.ID, "token")
		requireCode(t, err, objectos.CodeRecordNotFound)
		_, err = s.RevealSecret(as("auditor"), "integration", r.ID, "token")
		requireCode(t, err, objectos.CodeFieldNotAccessible)
		got, err := s.Get(as("auditor"), "integration", r.ID, objectos.GetOptions{})
		require.NoError(t, err)
		assert.NotContains(t, got.Record, "token")
		_, err = s.RevealSecret(as("alice"), "integration", r.ID, "name")
		requireCode(t, err, objectos.CodeInvalidField)
		_, err = s.RevealSecret(as("alice"), "integration", r.ID, "nope")
		requireCode(t, err, objectos.CodeInvalidField)
		_, err = s.RevealSecret(context.Background(), "integration", r.ID, "token")
		requireCode(t, err, objectos.CodeUnauthenticated)
		_, err = s.RevealSecret(as("alice"), "nothing", r.ID, "token")
		requireCode(t, err, objectos.CodeObjectNotFound)
		assert.NotContains(t, logs.String(), plaintext)
	})
}

// TestSecretQueriesRefused: a secret is never a filter, sort, search,
// aggregate or group key.
func TestSecretQueriesRefused(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s, _ := secretStack(t, st, keyA)
		ctx := system()
		mustCreate(t, s, ctx, "integration", objectos.Record{"name": "Stripe", "token": plaintext})
		for name, f := range map[string]*objectos.Filter{
			"eq":       objectos.Eq("token", plaintext),
			"null":     {Op: objectos.OpNull, Field: "token", Value: true},
			"column":   {Op: objectos.OpEq, Field: "name", Ref: "token"},
			"in an or": objectos.Or(objectos.Eq("name", "x"), objectos.Eq("backup_token", "y")),
		} {
			_, err := s.List(ctx, "integration", objectos.Query{Filter: f})
			e := requireCode(t, err, objectos.CodeInvalidFilter)
			assert.Contains(t, e.Message, "is a secret field and cannot be filtered", name)
			_, err = s.Count(ctx, "integration", objectos.Query{Filter: f})
			requireCode(t, err, objectos.CodeInvalidFilter)
		}
		_, err := s.List(ctx, "integration", objectos.Query{Sort: []objectos.SortKey{{Field: "token"}}})
		e := requireCode(t, err, objectos.CodeInvalidSort)
		assert.Contains(t, e.Message, `"token" is a secret field and cannot be sorted`)
		_, err = s.List(ctx, "integration", objectos.Query{Search: "sk_live", SearchFields: []string{"token"}})
		e = requireCode(t, err, objectos.CodeInvalidQuery)
		assert.Contains(t, e.Message, "is a secret (encrypted) and cannot be searched")
		res, err := s.List(ctx, "integration", objectos.Query{Search: "sk_live"})
		require.NoError(t, err)
		assert.Empty(t, res.Records, "a search never looks into secrets")

		count := []objectos.Aggregation{{Function: objectos.AggCount, Alias: "n"}}
		_, err = s.Aggregate(ctx, "integration", objectos.AggregateQuery{GroupBy: []objectos.GroupKey{{Field: "token"}}, Aggregations: count})
		e = requireCode(t, err, objectos.CodeInvalidQuery)
		assert.Contains(t, e.Message, "is a secret (encrypted) and cannot be grouped")
		_, err = s.Aggregate(ctx, "integration", objectos.AggregateQuery{
			Aggregations: []objectos.Aggregation{{Function: objectos.AggCountDistinct, Field: "token", Alias: "n"}}})
		requireCode(t, err, objectos.CodeInvalidQuery)
		_, err = s.Aggregate(ctx, "integration", objectos.AggregateQuery{Aggregations: count, Filter: objectos.Eq("token", "x")})
		requireCode(t, err, objectos.CodeInvalidFilter)
	})
}

// TestSecretRotation: values sealed with key a still read after b becomes
// current; a write of the record moves its secrets to b; RotateSecrets
// moves the rest without changing versions; then a can go.
func TestSecretRotation(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		ctx := system()
		s, _ := secretStack(t, st, keyA)
		var ids []string
		for _, name := range []string{"one", "two", "three"} {
			ids = append(ids, mustCreate(t, s, ctx, "integration", objectos.Record{"name": name, "token": plaintext + "-" + name,
				"backup_token": plaintext + "-backup-" + name}).ID)
		}
		empty := mustCreate(t, s, ctx, "integration", objectos.Record{"name": "empty"}).ID
		n, err := s.RotateSecrets(ctx)
		require.NoError(t, err)
		assert.Zero(t, n, "every value is under the current key")

		// b is current; a still decrypts.
		s, _ = secretStack(t, st, keyB, keyA)
		v, err := s.RevealSecret(ctx, "integration", ids[0], "token")
		require.NoError(t, err)
		assert.Equal(t, plaintext+"-one", v)
		assert.True(t, strings.HasPrefix(rawSecret(t, st, "token", ids[0]).(string), "v1:a:"))

		// A write of the record seals its secrets again, under b.
		_, err = s.Update(ctx, "integration", ids[0], objectos.Record{"name": "one!"}, objectos.WriteOptions{})
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(rawSecret(t, st, "token", ids[0]).(string), "v1:b:"))
		assert.True(t, strings.HasPrefix(rawSecret(t, st, "backup_token", ids[0]).(string), "v1:b:"))

		versions := map[string]string{}
		for _, id := range ids {
			got, err := s.Get(ctx, "integration", id, objectos.GetOptions{})
			require.NoError(t, err)
			versions[id] = got.Version
		}
		n, err = s.RotateSecrets(ctx)
		require.NoError(t, err)
		assert.Equal(t, 4, n, "two records of two secrets each were under a")
		for _, id := range ids {
			for _, f := range []string{"token", "backup_token"} {
				assert.True(t, strings.HasPrefix(rawSecret(t, st, f, id).(string), "v1:b:"), "%s.%s", id, f)
			}
			got, err := s.Get(ctx, "integration", id, objectos.GetOptions{})
			require.NoError(t, err)
			assert.Equal(t, versions[id], got.Version, "rotation leaves the version alone")
		}
		assert.Nil(t, rawSecret(t, st, "token", empty))
		n, err = s.RotateSecrets(ctx)
		require.NoError(t, err)
		assert.Zero(t, n)

		// a is gone: everything still reads.
		s, _ = secretStack(t, st, keyB)
		for i, name := range []string{"one", "two", "three"} {
			v, err := s.RevealSecret(ctx, "integration", ids[i], "backup_token")
			require.NoError(t, err)
			assert.Equal(t, plaintext+"-backup-"+name, v)
		}

		// Without b, nothing decrypts, and reads still show the mask.
		s, _ = secretStack(t, st, keyA)
		_, err = s.RevealSecret(ctx, "integration", ids[1], "token")
		e := requireCode(t, err, objectos.CodeInternal)
		assert.True(t, errors.Is(err, objectos.ErrSecretUndecryptable))
		assert.ErrorContains(t, e.Unwrap(), `the key "b", which is not in the keyring`)
		got, err := s.Get(ctx, "integration", ids[1], objectos.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, objectos.MaskedValue, got.Record["token"])
	})
}

// TestSecretBoundToItsRecord: a sealed value copied to another record or
// field does not decrypt there; lists still answer, with the mask, and the
// failures are logged without the value.
func TestSecretBoundToItsRecord(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		ctx := system()
		s, logs := secretStack(t, st, keyA)
		one := mustCreate(t, s, ctx, "integration", objectos.Record{"name": "one", "token": plaintext})
		two := mustCreate(t, s, ctx, "integration", objectos.Record{"name": "two", "token": "another-secret"})
		sealed := rawSecret(t, st, "token", one.ID).(string)
		update := `UPDATE "integration" SET "token" = ?, "backup_token" = ? WHERE "id" = ?`
		_, err := st.DB().ExecContext(context.Background(), update, sealed, sealed, two.ID)
		require.NoError(t, err)

		res, err := s.List(ctx, "integration", objectos.Query{})
		require.NoError(t, err, "a moved value never fails a list")
		require.Len(t, res.Records, 2)
		assert.Equal(t, objectos.MaskedValue, res.Records[1]["token"])

		_, err = s.RevealSecret(ctx, "integration", two.ID, "token")
		assert.True(t, errors.Is(err, objectos.ErrSecretUndecryptable), "%v", err)
		_, err = s.RevealSecret(ctx, "integration", two.ID, "backup_token")
		assert.True(t, errors.Is(err, objectos.ErrSecretUndecryptable), "another field of the same record: %v", err)
		v, err := s.RevealSecret(ctx, "integration", one.ID, "token")
		require.NoError(t, err)
		assert.Equal(t, plaintext, v)

		// Rotation leaves them, says so, and rotates the rest.
		s, logs = secretStack(t, st, keyB, keyA)
		n, err := s.RotateSecrets(ctx)
		assert.Equal(t, 1, n)
		assert.True(t, errors.Is(err, objectos.ErrSecretUndecryptable), "%v", err)
		assert.ErrorContains(t, err, "2 value(s) left as they were")
		assert.Contains(t, logs.String(), `"msg":"objectos: a secret value cannot be decrypted; it is left as it is"`)
		assert.Contains(t, logs.String(), `"id":"`+two.ID+`"`)
		assert.NotContains(t, logs.String(), sealed, "not even the sealed value is logged")

		// A write of the record leaves them too, and succeeds.
		_, err = s.Update(ctx, "integration", two.ID, objectos.Record{"name": "two!"}, objectos.WriteOptions{})
		require.NoError(t, err)
		assert.Equal(t, sealed, rawSecret(t, st, "backup_token", two.ID))
		// A new value replaces a broken one.
		_, err = s.Update(ctx, "integration", two.ID, objectos.Record{"token": "fresh-secret"}, objectos.WriteOptions{})
		require.NoError(t, err)
		v, err = s.RevealSecret(ctx, "integration", two.ID, "token")
		require.NoError(t, err)
		assert.Equal(t, "fresh-secret", v)
	})
}

// TestSecretRules: an expression sees the mask for a set secret, so
// requiredWhen works on it and no rule reads its plaintext.
func TestSecretRules(t *testing.T) {
	st, err := store.Memory(context.Background())
	require.NoError(t, err)
	defer st.Close()
	a := secretArtifact()
	o := a.Objects[0]
	o.Fields = append(o.Fields, &objectos.Field{Name: "enabled", Type: objectos.TypeBoolean})
	o.Fields[1].RequiredWhen = "record.enabled == true"
	o.Validations = []*objectos.ValidationRule{{Name: "masked", Type: objectos.RuleScript, Message: "the token is not masked",
		Condition: `record.token != null && record.token != "••••••••"`}}
	s := newStack(t, st, a, func(o *objectos.Options) { o.SecretKeys = []objectos.SecretKey{keyA} })
	ctx := system()
	_, err = s.Create(ctx, "integration", objectos.Record{"name": "x", "enabled": true})
	e := requireCode(t, err, objectos.CodeValidationFailed)
	assert.Equal(t, map[string]string{"token": objectos.FieldRequired}, fieldCodes(e))
	r := mustCreate(t, s, ctx, "integration", objectos.Record{"name": "x", "enabled": true, "token": plaintext})
	_, err = s.Update(ctx, "integration", r.ID, objectos.Record{"name": "y"}, objectos.WriteOptions{})
	require.NoError(t, err, "a stored secret is the mask to rules too")
}
