package objectos

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// SecretKey is one key of the keyring that encrypts secret fields (see
// Options.SecretKeys). ID names the key inside every value it encrypts, so
// that several keys can decrypt side by side while values move to a new
// one: 1 to 64 letters, digits, "_", "-" or ".". Key is 32 bytes (AES-256).
type SecretKey struct {
	ID  string
	Key []byte
}

// ErrSecretUndecryptable is the cause of the error of RevealSecret (and of
// what RotateSecrets reports) for a stored secret that no key of the
// keyring decrypts: its key was removed from Options.SecretKeys, or the
// value was copied from another record or field (the record, object and
// field are bound to the ciphertext), or it was altered.
var ErrSecretUndecryptable = errors.New("objectos: a secret value cannot be decrypted with the keys of Options.SecretKeys")

// secretVersion prefixes every sealed value: "v1:<key id>:<base64 of the
// 12-byte nonce followed by the AES-256-GCM ciphertext and tag>".
const secretVersion = "v1"

var secretKeyIDRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// keyring holds the AEADs of Options.SecretKeys; the first is current.
type keyring struct {
	current string
	aeads   map[string]cipher.AEAD
}

// newKeyring checks the keys and prepares their ciphers. It returns nil
// for no keys.
func newKeyring(keys []SecretKey) (*keyring, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	kr := &keyring{current: keys[0].ID, aeads: make(map[string]cipher.AEAD, len(keys))}
	for i, k := range keys {
		switch {
		case !secretKeyIDRE.MatchString(k.ID):
			return nil, fmt.Errorf("objectos: SecretKeys[%d]: the id %q must be 1 to 64 letters, digits, _ - or .", i, clip(k.ID))
		case kr.aeads[k.ID] != nil:
			return nil, fmt.Errorf("objectos: SecretKeys[%d]: the id %q is used twice", i, k.ID)
		case len(k.Key) != 32:
			return nil, fmt.Errorf("objectos: SecretKeys[%d] (%s): a key is 32 bytes (AES-256), not %d; make one with: openssl rand -base64 32", i, k.ID, len(k.Key))
		}
		block, err := aes.NewCipher(k.Key)
		if err != nil {
			return nil, fmt.Errorf("objectos: SecretKeys[%d]: %w", i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("objectos: SecretKeys[%d]: %w", i, err)
		}
		kr.aeads[k.ID] = aead
	}
	return kr, nil
}

// secretAAD binds a ciphertext to its object, field and record: moved to
// another row or column, it no longer decrypts.
func secretAAD(object, field, id string) []byte {
	b := make([]byte, 0, len("objectos secret v1")+len(object)+len(field)+len(id)+3)
	b = append(b, "objectos secret v1"...)
	for _, s := range [...]string{object, field, id} {
		b = append(b, 0)
		b = append(b, s...)
	}
	return b
}

// seal encrypts a plaintext with the current key.
func (kr *keyring) seal(object, field, id, plaintext string) (string, error) {
	aead := kr.aeads[kr.current]
	buf := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("objectos: secret nonce: %w", err)
	}
	buf = aead.Seal(buf, buf, []byte(plaintext), secretAAD(object, field, id))
	return secretVersion + ":" + kr.current + ":" + base64.RawStdEncoding.EncodeToString(buf), nil
}

// keyID returns the id of the key that sealed a stored value, or "" when
// the value is not a sealed one.
func keyID(sealed string) string {
	rest, ok := strings.CutPrefix(sealed, secretVersion+":")
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(rest, ":")
	if !ok {
		return ""
	}
	return id
}

// open decrypts a sealed value of the record's field; the error wraps
// ErrSecretUndecryptable and says why without the value.
func (kr *keyring) open(object, field, id, sealed string) (string, error) {
	kid := keyID(sealed)
	if kid == "" {
		return "", fmt.Errorf("%w: the stored value is not in the v1 format", ErrSecretUndecryptable)
	}
	aead := kr.aeads[kid]
	if aead == nil {
		return "", fmt.Errorf("%w: it was encrypted with the key %q, which is not in the keyring", ErrSecretUndecryptable, kid)
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed[len(secretVersion)+len(kid)+2:])
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return "", fmt.Errorf("%w: the stored value is malformed", ErrSecretUndecryptable)
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], secretAAD(object, field, id))
	if err != nil {
		return "", fmt.Errorf("%w: it does not authenticate under the key %q for this record and field", ErrSecretUndecryptable, kid)
	}
	return string(plain), nil
}

// SealValue encrypts a value that a plugin keeps in one of its own
// objects (a signing key, a TOTP secret) with the current key of
// Options.SecretKeys, bound to the object, the field and an id of the
// plugin's choosing (the row's id or another unique key of it), as a
// secret field's value is bound to its record. Without SecretKeys it
// returns the value as it is and sealed false: the plugin stores it so.
func (s *Stack) SealValue(object, field, id, plaintext string) (value string, sealed bool, err error) {
	if s.secrets == nil {
		return plaintext, false, nil
	}
	v, err := s.secrets.seal(object, field, id, plaintext)
	return v, err == nil, err
}

// IsSealed reports whether a stored value is one SealValue sealed.
func IsSealed(stored string) bool { return keyID(stored) != "" }

// OpenValue returns the plaintext of a value SealValue sealed, and a value
// stored unsealed (before Options.SecretKeys was set) as it is. The error
// of a sealed value no key of the keyring opens wraps
// ErrSecretUndecryptable.
func (s *Stack) OpenValue(object, field, id, stored string) (string, error) {
	if !IsSealed(stored) {
		return stored, nil
	}
	if s.secrets == nil {
		return "", fmt.Errorf("%w: it is sealed and Options.SecretKeys is empty", ErrSecretUndecryptable)
	}
	return s.secrets.open(object, field, id, stored)
}

// secretFields returns the secret fields of an object.
func secretFields(o *Object) []*Field {
	var out []*Field
	for _, f := range o.Fields {
		if f.Kind() == KindSecret {
			out = append(out, f)
		}
	}
	return out
}

// checkSecretKeys refuses secret fields without a keyring, naming them.
func checkSecretKeys(objects []*Object, kr *keyring) error {
	if kr != nil {
		return nil
	}
	var names []string
	for _, o := range objects {
		for _, f := range secretFields(o) {
			names = append(names, o.Name+"."+f.Name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("objectos: the secret fields %s are encrypted at rest and need a key: set Options.SecretKeys "+
		"(32 random bytes, such as from: openssl rand -base64 32; examples/crm reads OS_SECRET_KEY)", strings.Join(names, ", "))
}

// sealSecrets encrypts, in values about to be stored, the plaintext of the
// secret fields written, under the current key. On an update (existing
// not nil), a secret the write leaves alone that an older key sealed is
// sealed again under the current one: keys rotate as records are written.
// A stored value no key opens is left as it is, and logged.
func (c *call) sealSecrets(ctx context.Context, values, existing Record) error {
	id, _ := values[FieldID].(string)
	if existing != nil {
		id, _ = existing[FieldID].(string)
	}
	kr := c.s.secrets
	for _, f := range c.o.secrets {
		v, given := values[f.Name]
		if !given && existing != nil {
			old, ok := existing[f.Name].(string)
			if !ok || keyID(old) == kr.current {
				continue
			}
			plain, err := kr.open(c.o.Name, f.Name, id, old)
			if err != nil {
				c.s.logUndecryptable(ctx, c.o, id, f, err)
				continue
			}
			v = plain
		}
		plain, ok := v.(string)
		if !ok {
			continue // not written, or null
		}
		sealed, err := kr.seal(c.o.Name, f.Name, id, plain)
		if err != nil {
			return err
		}
		values[f.Name] = sealed
	}
	return nil
}

func (s *Stack) logUndecryptable(ctx context.Context, o *Object, id string, f *Field, err error) {
	s.log.WarnContext(ctx, "objectos: a secret value cannot be decrypted; it is left as it is",
		"object", o.Name, "id", id, "field", f.Name, "request_id", RequestID(ctx), "error", err.Error())
}

// RevealSecret returns the plaintext of a secret field of one record, for
// server code that must use it (to call the service an API token is for,
// say): no surface of objectos ever shows it, every read path shows the
// mask "••••••••". It runs as the caller of ctx, through the same checks as
// Get: the caller must be allowed to read the object (PERMISSION_DENIED),
// see the record (RECORD_NOT_FOUND) and read the field
// (FIELD_NOT_ACCESSIBLE); a field that is not a secret is INVALID_FIELD. An
// unset secret is "" (writing "" clears one). A value no key of the
// keyring decrypts is an INTERNAL_ERROR whose cause wraps
// ErrSecretUndecryptable.
func (s *Stack) RevealSecret(ctx context.Context, object, id, field string) (string, error) {
	c, err := s.begin(ctx, object, AccessRead)
	if err != nil {
		return "", err
	}
	f := c.o.Field(field)
	switch {
	case f == nil || f.Internal && !c.sys:
		return "", c.unknownField(field, CodeInvalidField)
	case f.Kind() != KindSecret:
		return "", fieldError(c.o, field, CodeInvalidField, "Field '%s' is not a secret field.", field)
	case !c.sys && !c.g.CanRead(field):
		return "", fieldError(c.o, field, CodeFieldNotAccessible, "Field '%s' is not readable.", field)
	}
	if !ValidID(id) {
		return "", notFound(c.o, id)
	}
	rows, err := s.reader(ctx).Find(ctx, c.o, &Select{
		Where:  And(&Filter{Op: OpEq, Field: FieldID, Value: id}, c.rf),
		Fields: []string{FieldID, field},
		Limit:  1,
	})
	if err != nil {
		return "", err
	}
	if len(rows) == 0 {
		return "", notFound(c.o, id)
	}
	sealed, _ := rows[0][field].(string)
	if sealed == "" {
		return "", nil
	}
	plain, err := s.secrets.open(c.o.Name, field, id, sealed)
	if err != nil {
		return "", Errorf(CodeInternal, "The secret '%s' of record '%s' cannot be decrypted.", field, id).
			With("object", c.o.Name).WithCause(err)
	}
	return plain, nil
}

// rotateBatch is how many records RotateSecrets reads, and rewrites in one
// transaction, at a time.
const rotateBatch = 500

// RotateSecrets seals again, under the current key (the first of
// Options.SecretKeys), every stored secret that another key sealed, and
// returns how many values it rewrote. Run it after putting a new key first
// and before removing the old ones: once it returns without error, no value
// needs them. It is maintenance for server code and checks no permission
// (it reveals nothing); it reads the records in batches of 500 and rewrites
// each batch in one transaction, leaving updated_at (and so the records'
// versions) as they were. A value rewritten meanwhile by a write is left to
// that write. Values no key decrypts are left as they are and logged; the
// error then says how many there were and wraps ErrSecretUndecryptable,
// while n still counts the values rewritten.
func (s *Stack) RotateSecrets(ctx context.Context) (n int, err error) {
	undecryptable := 0
	for _, o := range s.order {
		if len(o.secrets) == 0 {
			continue
		}
		fields := []string{FieldID}
		for _, f := range o.secrets {
			fields = append(fields, f.Name)
		}
		after := ""
		for {
			where := (*Filter)(nil)
			if after != "" {
				where = &Filter{Op: OpGt, Field: FieldID, Value: after}
			}
			rows, err := s.store.Find(ctx, o, &Select{Where: where, Fields: fields,
				Sort: []SortKey{{Field: FieldID}}, Limit: rotateBatch})
			if err != nil {
				return n, err
			}
			if len(rows) == 0 {
				break
			}
			after, _ = rows[len(rows)-1][FieldID].(string)
			var done, bad int
			err = s.store.Transact(ctx, func(tx Tx) error {
				done, bad = 0, 0
				for _, row := range rows {
					d, b, err := s.rotateRow(ctx, tx, o, row)
					if err != nil {
						return err
					}
					done, bad = done+d, bad+b
				}
				return nil
			})
			if err != nil {
				return n, err
			}
			n, undecryptable = n+done, undecryptable+bad
			if len(rows) < rotateBatch {
				break
			}
		}
	}
	if undecryptable > 0 {
		return n, fmt.Errorf("objectos: rotating secrets: %d value(s) left as they were (see the log): %w", undecryptable, ErrSecretUndecryptable)
	}
	return n, nil
}

// rotateRow seals again the secrets of one row that an older key sealed,
// if they are still what was read. It returns the values rewritten and
// those no key opens.
func (s *Stack) rotateRow(ctx context.Context, tx Tx, o *Object, row Record) (done, bad int, err error) {
	kr := s.secrets
	id, _ := row[FieldID].(string)
	values := Record{}
	where := &Filter{Op: OpEq, Field: FieldID, Value: id}
	for _, f := range o.secrets {
		old, ok := row[f.Name].(string)
		if !ok || keyID(old) == kr.current {
			continue
		}
		plain, err := kr.open(o.Name, f.Name, id, old)
		if err != nil {
			s.logUndecryptable(ctx, o, id, f, err)
			bad++
			continue
		}
		if values[f.Name], err = kr.seal(o.Name, f.Name, id, plain); err != nil {
			return 0, 0, err
		}
		where = And(where, &Filter{Op: OpEq, Field: f.Name, Value: old})
	}
	if len(values) == 0 {
		return 0, bad, nil
	}
	m, err := tx.Update(ctx, o, where, values)
	if err != nil {
		return 0, 0, err
	}
	if m > 0 {
		done = len(values)
	}
	return done, bad, nil
}
