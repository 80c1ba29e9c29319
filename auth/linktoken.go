package auth

import (
	"context"
	"net/http"
	"time"

	"github.com/objectos-go/objectos"
)

// The tokens of the links the plugin mails are 256 random bits, stored in
// sys_verification only as SHA-256 under "{purpose}:{hash}", with the
// user's id and what the link does, until they are used (once) or expire.

// The purposes of link tokens.
const (
	purposeResetPassword = "reset-password"
	purposeVerifyEmail   = "verify-email"
)

var (
	errInvalidToken = aerr(http.StatusBadRequest, "INVALID_TOKEN", "Invalid token")
	errTokenExpired = aerr(http.StatusBadRequest, "TOKEN_EXPIRED", "Token expired")
)

// linkToken is a stored link token.
type linkToken struct {
	id      string // the sys_verification row
	value   map[string]any
	expired bool
}

func tokenIdentifier(purpose, token string) string { return purpose + ":" + hashToken(token) }

// issueLinkToken stores a new token of the user for purpose and returns
// it.
func (p *Plugin) issueLinkToken(ctx context.Context, purpose, userID string, value map[string]any, ttl time.Duration) (string, error) {
	token := newToken()
	_, err := p.st.Create(objectos.AsSystem(ctx), ObjVerification, objectos.Record{
		"identifier": tokenIdentifier(purpose, token), "subject": purpose + ":" + userID, "value": value,
		"expires_at": objectos.FormatDatetime(p.now().Add(ttl)),
	})
	return token, err
}

// findLinkToken looks a token up without using it: nil for one that is
// malformed or unknown.
func (p *Plugin) findLinkToken(ctx context.Context, purpose, token string) (*linkToken, error) {
	if !validTokenShape(token) {
		return nil, nil
	}
	row, err := p.findOne(objectos.AsSystem(ctx), ObjVerification, objectos.Eq("identifier", tokenIdentifier(purpose, token)))
	if err != nil || row == nil {
		return nil, err
	}
	v, _ := row["value"].(map[string]any)
	return &linkToken{id: row["id"].(string), value: v, expired: !p.now().Before(parseTime(row["expires_at"]))}, nil
}

// useLinkToken consumes a token in the context's transaction: it returns
// errInvalidToken for one that is malformed, unknown or used already (by
// a concurrent request too) and errTokenExpired for an expired one (which
// is deleted).
func (p *Plugin) useLinkToken(ctx context.Context, purpose, token string) (map[string]any, error) {
	t, err := p.findLinkToken(ctx, purpose, token)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, errInvalidToken
	}
	err = p.st.Delete(objectos.AsSystem(ctx), ObjVerification, t.id, objectos.WriteOptions{})
	switch {
	case objectos.IsCode(err, objectos.CodeRecordNotFound):
		return nil, errInvalidToken
	case err != nil:
		return nil, err
	case t.expired:
		return nil, errTokenExpired
	}
	return t.value, nil
}

// dropLinkTokens deletes the user's unused tokens for purpose, so that
// a reset or a verification leaves no older link working.
func (p *Plugin) dropLinkTokens(ctx context.Context, purpose, userID string) error {
	sys := objectos.AsSystem(ctx)
	res, err := p.st.List(sys, ObjVerification, objectos.Query{
		Filter: objectos.Eq("subject", purpose+":"+userID), Fields: []string{objectos.FieldID}, Limit: 100, SkipCount: true,
	})
	if err != nil {
		return err
	}
	for _, r := range res.Records {
		if err := p.st.Delete(sys, ObjVerification, r[objectos.FieldID].(string), objectos.WriteOptions{}); err != nil &&
			!objectos.IsCode(err, objectos.CodeRecordNotFound) {
			return err
		}
	}
	return nil
}
