package auth

import (
	"context"

	"github.com/objectos-go/objectos"
)

// Purge deletes what the plugin no longer needs, at most Options.PurgeBatch
// rows of each kind: sessions past their expiry (revoked ones included),
// OAuth sign-in state past its expiry, and failed-sign-in counts untouched
// for longer than the lockout and not locked. It returns how many rows it
// deleted. The schedule (Options.PurgeInterval) calls it; a host that turns
// the schedule off may call it itself. Several replicas may purge at once.
func (p *Plugin) Purge(ctx context.Context) (int, error) {
	sys := objectos.AsSystem(ctx)
	now := objectos.FormatDatetime(p.now())
	stale := objectos.FormatDatetime(p.now().Add(-p.opts.LockoutDuration))
	total := 0
	for _, k := range []struct {
		object string
		where  *objectos.Filter
	}{
		{ObjSession, objectos.Where("expires_at", objectos.OpLt, now)},
		{ObjVerification, objectos.Where("expires_at", objectos.OpLt, now)},
		{ObjLoginAttempt, objectos.And(objectos.Where(objectos.FieldUpdatedAt, objectos.OpLt, stale),
			objectos.Or(objectos.Eq("locked_until", nil), objectos.Where("locked_until", objectos.OpLt, now)))},
	} {
		res, err := p.st.List(sys, k.object, objectos.Query{Filter: k.where, Fields: []string{objectos.FieldID, objectos.FieldUpdatedAt},
			Limit: p.opts.PurgeBatch, SkipCount: true})
		if err != nil {
			return total, err
		}
		for _, r := range res.Records {
			// Only the row as it was listed: one written since (a new
			// failure counted, a session extended) has another version and
			// stays.
			version, _ := r[objectos.FieldUpdatedAt].(string)
			err := p.st.Delete(sys, k.object, r[objectos.FieldID].(string), objectos.WriteOptions{IfMatch: version})
			switch {
			case err == nil:
				total++
			case objectos.IsCode(err, objectos.CodeRecordNotFound), objectos.IsCode(err, objectos.CodeConcurrentUpdate):
				// another replica was first, or the row changed
			default:
				return total, err
			}
		}
	}
	return total, nil
}
