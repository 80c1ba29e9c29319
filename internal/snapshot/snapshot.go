// Package snapshot keeps what authentication needs of a user — email, name,
// role, permission sets, ban, two-factor — on the rows that authenticate requests
// (sessions, API keys), so that resolving a credential is one indexed
// lookup. The owning plugins refresh the copies in a sys_user hook.
package snapshot

import (
	"context"
	"fmt"
	"time"

	"github.com/objectos-go/objectos"
)

// columns maps sys_user fields to the snapshot columns.
var columns = map[string]string{
	"email": "u_email", "name": "u_name", "role": "u_role", "permission_sets": "u_sets",
	"banned": "u_banned", "ban_expires": "u_ban_expires", "two_factor_enabled": "u_two_factor",
}

// Fields are the snapshot columns to add to an object. They are internal:
// no surface ever shows them.
func Fields() []*objectos.Field {
	return []*objectos.Field{
		{Name: "u_email", Type: objectos.TypeText, Internal: true},
		{Name: "u_name", Type: objectos.TypeText, Internal: true},
		{Name: "u_role", Type: objectos.TypeText, Internal: true},
		{Name: "u_sets", Type: objectos.TypeTags, Internal: true},
		{Name: "u_banned", Type: objectos.TypeBoolean, Internal: true},
		{Name: "u_ban_expires", Type: objectos.TypeDatetime, Internal: true},
		{Name: "u_two_factor", Type: objectos.TypeBoolean, Internal: true},
	}
}

// Names are the snapshot column names, for a query's Fields.
func Names() []string {
	out := make([]string, 0, len(columns))
	for _, f := range Fields() {
		out = append(out, f.Name)
	}
	return out
}

// Of returns the snapshot columns of a sys_user record.
func Of(user objectos.Record) objectos.Record {
	out := make(objectos.Record, len(columns))
	for from, to := range columns {
		out[to] = user[from]
	}
	return out
}

// Changed reports whether an update of a user touched the snapshot.
func Changed(before, after objectos.Record) bool {
	for from := range columns {
		if fmt.Sprint(before[from]) != fmt.Sprint(after[from]) {
			return true
		}
	}
	return false
}

// Banned reports whether a row's snapshot says its user is banned at now.
func Banned(row objectos.Record, now time.Time) bool {
	if row["u_banned"] != true {
		return false
	}
	exp, _ := row["u_ban_expires"].(string)
	if exp == "" {
		return true
	}
	t, _ := time.Parse(time.RFC3339Nano, exp)
	return now.Before(t)
}

// Fill sets the principal's user fields from a row's snapshot.
func Fill(p *objectos.Principal, row objectos.Record) {
	p.Email, _ = row["u_email"].(string)
	p.Name, _ = row["u_name"].(string)
	p.Role, _ = row["u_role"].(string)
	if sets, ok := row["u_sets"].([]string); ok {
		p.PermissionSets = sets
	}
}

// Each calls fn with the id of every record of the object matching the
// filter, in one transaction (as the system). The ids are collected first,
// since fn may change which records match.
func Each(ctx context.Context, st *objectos.Stack, object string, filter *objectos.Filter, fn func(ctx context.Context, id string) error) error {
	return st.Transact(objectos.AsSystem(ctx), func(ctx context.Context) error {
		var ids []string
		cursor := ""
		for {
			res, err := st.List(ctx, object, objectos.Query{Filter: filter, Fields: []string{objectos.FieldID},
				Limit: 500, Cursor: cursor, SkipCount: true})
			if err != nil {
				return err
			}
			for _, r := range res.Records {
				ids = append(ids, r[objectos.FieldID].(string))
			}
			if !res.HasMore {
				break
			}
			cursor = res.NextCursor
		}
		for _, id := range ids {
			if err := fn(ctx, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Refresh writes the user's snapshot on the records of the object matching
// the filter.
func Refresh(ctx context.Context, st *objectos.Stack, object string, filter *objectos.Filter, user objectos.Record) error {
	snap := Of(user)
	return Each(ctx, st, object, filter, func(ctx context.Context, id string) error {
		_, err := st.Update(ctx, object, id, snap, objectos.WriteOptions{})
		return err
	})
}
