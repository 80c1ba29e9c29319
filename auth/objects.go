package auth

import (
	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/snapshot"
)

// The system objects of the auth plugin, created by schema sync.
const (
	ObjUser         = "sys_user"
	ObjAccount      = "sys_account"
	ObjSession      = "sys_session"
	ObjVerification = "sys_verification"
	ObjLoginAttempt = "sys_login_attempt"
	ObjJWKS         = "sys_jwks"
	ObjTwoFactor    = "sys_two_factor"
)

// credentialProvider is the sys_account provider id of email and password.
const credentialProvider = "credential"

var no = objectos.Ptr(false)

func systemObjects() []*objectos.Object {
	return []*objectos.Object{
		{
			Name: ObjUser, Label: "User", PluralLabel: "Users", Ownership: objectos.OwnershipNone,
			SharingModel: objectos.SharingPrivate, NameField: "name",
			Enable: objectos.Capabilities{APIMethods: []objectos.APIMethod{objectos.MethodGet, objectos.MethodList, objectos.MethodUpdate}},
			Fields: []*objectos.Field{
				{Name: "name", Type: objectos.TypeText, Required: true, MaxLength: 200, Searchable: true},
				{Name: "email", Type: objectos.TypeEmail, Required: true, Readonly: true, Unique: true, Searchable: true},
				{Name: "email_verified", Type: objectos.TypeBoolean, Readonly: true, DefaultValue: false},
				{Name: "image", Type: objectos.TypeURL},
				// role, permission_sets and the ban fields are for administrators
				// only: the identity write guard (see Hooks) refuses them to
				// everyone else.
				{Name: "role", Type: objectos.TypeText, Label: "Platform Role"},
				{Name: "permission_sets", Type: objectos.TypeTags, Label: "Permission Sets"},
				{Name: "banned", Type: objectos.TypeBoolean, DefaultValue: false},
				{Name: "ban_reason", Type: objectos.TypeText},
				{Name: "ban_expires", Type: objectos.TypeDatetime},
				{Name: "last_login_at", Type: objectos.TypeDatetime, Readonly: true},
				// set by /auth/two-factor/verify-totp after enable, cleared by
				// /auth/two-factor/disable
				{Name: "two_factor_enabled", Type: objectos.TypeBoolean, Readonly: true, DefaultValue: false},
				// bootstrap is "owner" on the first user only; its unique index
				// makes "the first user becomes an admin" race-free.
				{Name: "bootstrap", Type: objectos.TypeText, Internal: true, Unique: true},
			},
		},
		{
			Name: ObjAccount, Label: "Account", Ownership: objectos.OwnershipNone,
			Enable: objectos.Capabilities{APIEnabled: no},
			Fields: []*objectos.Field{
				{Name: "user_id", Type: objectos.TypeLookup, Reference: ObjUser, Required: true, DeleteBehavior: objectos.DeleteCascade},
				{Name: "provider_id", Type: objectos.TypeText, Required: true},
				{Name: "account_id", Type: objectos.TypeText, Required: true},
				{Name: "password_hash", Type: objectos.TypeText, Internal: true},
				{Name: "access_token", Type: objectos.TypeText, Internal: true},
				{Name: "refresh_token", Type: objectos.TypeText, Internal: true},
				{Name: "id_token", Type: objectos.TypeText, Internal: true},
				{Name: "scope", Type: objectos.TypeText},
			},
			Indexes: []objectos.Index{{Fields: []string{"provider_id", "account_id"}, Unique: true}},
		},
		{
			Name: ObjSession, Label: "Session", Ownership: objectos.OwnershipNone,
			Enable: objectos.Capabilities{APIEnabled: no},
			Fields: append([]*objectos.Field{
				{Name: "user_id", Type: objectos.TypeLookup, Reference: ObjUser, Required: true, DeleteBehavior: objectos.DeleteCascade},
				{Name: "token_hash", Type: objectos.TypeText, Internal: true, Unique: true},
				{Name: "expires_at", Type: objectos.TypeDatetime, Required: true},
				{Name: "revoked_at", Type: objectos.TypeDatetime},
				{Name: "revoke_reason", Type: objectos.TypeText},
				{Name: "remember", Type: objectos.TypeBoolean, DefaultValue: true},
				{Name: "ip_address", Type: objectos.TypeText, MaxLength: 64},
				{Name: "user_agent", Type: objectos.TypeText, MaxLength: 512},
			}, snapshot.Fields()...),
			// for the purge of expired sessions (user_id, a reference, has
			// its own)
			Indexes: []objectos.Index{{Fields: []string{"expires_at"}}},
		},
		{
			// sys_verification holds short-lived OAuth sign-in state, keyed by a
			// hash of the state parameter, and the tokens of the links the
			// plugin mails (password reset, email verification), keyed by
			// their hash; subject names the user a link is for.
			Name: ObjVerification, Ownership: objectos.OwnershipNone,
			Enable: objectos.Capabilities{APIEnabled: no},
			Fields: []*objectos.Field{
				{Name: "identifier", Type: objectos.TypeText, Internal: true, Unique: true},
				{Name: "subject", Type: objectos.TypeText, Internal: true},
				{Name: "value", Type: objectos.TypeJSON, Internal: true},
				{Name: "expires_at", Type: objectos.TypeDatetime, Required: true},
			},
			Indexes: []objectos.Index{{Fields: []string{"expires_at"}}, {Fields: []string{"subject"}}},
		},
		{
			// sys_login_attempt counts failed sign-ins per email (known or
			// not, so that lockout reveals nothing about which emails exist).
			Name: ObjLoginAttempt, Ownership: objectos.OwnershipNone,
			Enable: objectos.Capabilities{APIEnabled: no},
			Fields: []*objectos.Field{
				{Name: "identifier", Type: objectos.TypeText, Internal: true, Unique: true},
				{Name: "failures", Type: objectos.TypeNumber, DefaultValue: 0.0},
				{Name: "locked_until", Type: objectos.TypeDatetime},
			},
			Indexes: []objectos.Index{{Fields: []string{objectos.FieldUpdatedAt}}},
		},
		{
			// sys_jwks holds the Ed25519 keys that sign the JWTs of GET
			// /auth/token, shared by every replica. private_key is the
			// key's seed, stored as is (base64url), not encrypted: the
			// object is closed to the API and the field internal, so only
			// the database and Go code with a system context read it.
			Name: ObjJWKS, Ownership: objectos.OwnershipNone,
			Enable: objectos.Capabilities{APIEnabled: no},
			Fields: []*objectos.Field{
				{Name: "kid", Type: objectos.TypeText, Required: true, Unique: true},
				{Name: "public_key", Type: objectos.TypeText, Required: true},
				{Name: "private_key", Type: objectos.TypeText, Internal: true},
				{Name: "created", Type: objectos.TypeDatetime, Required: true},
			},
		},
		{
			// sys_two_factor holds a user's TOTP secret (base32, as
			// authenticator apps take it), the SHA-256 of their unused
			// backup codes, and the last time step a code was accepted
			// at (a code is not accepted twice).
			Name: ObjTwoFactor, Ownership: objectos.OwnershipNone,
			Enable: objectos.Capabilities{APIEnabled: no},
			Fields: []*objectos.Field{
				{Name: "user_id", Type: objectos.TypeLookup, Reference: ObjUser, Required: true, DeleteBehavior: objectos.DeleteCascade},
				{Name: "secret", Type: objectos.TypeText, Internal: true},
				{Name: "backup_codes", Type: objectos.TypeJSON, Internal: true},
				{Name: "last_step", Type: objectos.TypeNumber, Internal: true, DefaultValue: 0.0},
			},
			Indexes: []objectos.Index{{Fields: []string{"user_id"}, Unique: true}},
		},
	}
}
