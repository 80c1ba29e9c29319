package security_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

// TestBOLA tries every way for bob to reach alice's private record; each is
// refused exactly as if the record did not exist.
func TestBOLA(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st, matrixArtifact(), handlers())
		obj := docName(objectos.SharingPrivate)
		base := "/api/v1/data/" + obj
		aliceID := s.seed("alice", obj, objectos.Record{"title": "alice's secret", "secret_note": "x"})
		ghost := "00000000-0000-7000-8000-000000000000"
		same := func(name string, probe, control *objectostest.Response) {
			t.Helper()
			assert.Equal(t, control.StatusCode, probe.StatusCode, name)
			assert.Equal(t, control.ErrorCode(), probe.ErrorCode(), name)
			ctl := control.String()
			prb := probe.String()
			// the bodies differ only by the id they echo
			assert.Equal(t, len(ctl)-len(ghost), len(prb)-len(aliceID), "%s: %s vs %s", name, prb, ctl)
		}

		// id guess: read, write, delete
		same("get", s.as("bob").Get(base+"/"+aliceID), s.as("bob").Get(base+"/"+ghost))
		same("patch", s.as("bob").Patch(base+"/"+aliceID, `{"title":"mine"}`), s.as("bob").Patch(base+"/"+ghost, `{"title":"mine"}`))
		same("delete", s.as("bob").Delete(base+"/"+aliceID), s.as("bob").Delete(base+"/"+ghost))
		same("patch with If-Match", s.as("bob").Patch(base+"/"+aliceID, `{"title":"x","expectedVersion":"x"}`),
			s.as("bob").Patch(base+"/"+ghost, `{"title":"x","expectedVersion":"x"}`))

		// a lookup in a body
		probe := s.as("bob").Post("/api/v1/data/child", `{"label":"l","ref_private":"`+aliceID+`"}`)
		control := s.as("bob").Post("/api/v1/data/child", `{"label":"l","ref_private":"`+ghost+`"}`)
		assert.Equal(t, 400, probe.StatusCode)
		assert.Equal(t, "reference_not_found", probe.Value("fields.0.code"))
		same("lookup in a body", probe, control)
		probe = s.as("bob").Post("/api/v1/data/child/createMany", `[{"label":"ok"},{"label":"l","ref_private":"`+aliceID+`"}]`)
		control = s.as("bob").Post("/api/v1/data/child/createMany", `[{"label":"ok"},{"label":"l","ref_private":"`+ghost+`"}]`)
		assert.Equal(t, 400, probe.StatusCode)
		assert.Equal(t, "reference_not_found", probe.Value("fields.0.code"))
		same("lookup in a createMany body", probe, control)

		// expand of a reference someone else wrote
		childID := s.seed("admin", "child", objectos.Record{"label": "c", "ref_private": aliceID})
		r := s.as("bob").Get("/api/v1/data/child/"+childID+"?expand=ref_private").Status(t, 200)
		assert.Equal(t, aliceID, r.Value("record.ref_private"))

		// filters and searches see nothing of it, totals included
		for _, q := range []string{
			"?filter=" + url.QueryEscape(`{"owner_id":"alice"}`),
			"?owner_id=alice",
			"?filter=" + url.QueryEscape(`{"id":"`+aliceID+`"}`),
			"?search=secret",
			"?limit=0&title=alice%27s%20secret",
			"?filter=" + url.QueryEscape(`{"$or":[{"owner_id":"alice"},{"owner_id":{"$ne":"bob"}}]}`),
		} {
			r := s.as("bob").Get(base+q).Status(t, 200)
			assert.Empty(t, r.IDs(), q)
			assert.EqualValues(t, 0, r.Value("total"), q)
		}

		// a cursor of alice's does not work for bob
		s.seed("alice", obj, objectos.Record{"title": "alice 2"})
		page := s.as("alice").Get(base+"?limit=1").Status(t, 200)
		cursor := page.Value("nextCursor").(string)
		r = s.as("bob").Get(base + "?limit=1&cursor=" + url.QueryEscape(cursor))
		assert.Equal(t, 400, r.StatusCode)
		assert.Equal(t, "INVALID_CURSOR", r.ErrorCode())

		// actions with a foreign record id
		same("action", s.as("bob").Post("/api/v1/actions/"+obj+"/touch/"+aliceID, `{}`),
			s.as("bob").Post("/api/v1/actions/"+obj+"/touch/"+ghost, `{}`))
		same("action recordId in the body", s.as("bob").Post("/api/v1/actions/"+obj+"/archive", `{"recordId":"`+aliceID+`"}`),
			s.as("bob").Post("/api/v1/actions/"+obj+"/archive", `{"recordId":"`+ghost+`"}`))

		// bulk writes naming the foreign record fail on that row as on a
		// missing one
		for _, tc := range []struct{ name, url, body string }{
			{"updateMany", base + "/updateMany", `{"records":[{"id":"%s","data":{"title":"mine"}}],"options":{"continueOnError":true}}`},
			{"deleteMany", base + "/deleteMany", `{"ids":["%s"]}`},
			{"batch update", base + "/batch", `{"operation":"update","records":[{"id":"%s","data":{"title":"mine"}}]}`},
			{"batch delete", base + "/batch", `{"operation":"delete","records":[{"id":"%s"}],"options":{"atomic":true}}`},
			{"cross-object update", "/api/v1/batch", `{"operations":[{"object":"` + obj + `","action":"update","id":"%s","data":{"title":"mine"}}]}`},
			{"cross-object delete", "/api/v1/batch", `{"operations":[{"object":"` + obj + `","action":"delete","id":"%s"}]}`},
		} {
			probe := s.as("bob").Post(tc.url, fmt.Sprintf(tc.body, aliceID))
			control := s.as("bob").Post(tc.url, fmt.Sprintf(tc.body, ghost))
			same(tc.name, probe, control)
			if rows, ok := probe.Value("results").([]any); ok {
				row := rows[0].(map[string]any)
				assert.Equal(t, false, row["success"], tc.name)
				assert.Equal(t, "RECORD_NOT_FOUND", row["errors"].([]any)[0].(map[string]any)["code"], tc.name)
			} else {
				assert.Equal(t, "RECORD_NOT_FOUND", probe.ErrorCode(), tc.name)
			}
		}

		// owner_id cannot be assigned away or to oneself without transfer
		bobsID := s.seed("bob", obj, objectos.Record{"title": "bob's"})
		r = s.as("bob").Patch(base+"/"+bobsID, `{"owner_id":"alice"}`)
		assert.Equal(t, 403, r.StatusCode)
		r = s.as("bob").Post(base, `{"title":"planted","owner_id":"alice"}`)
		assert.Equal(t, 403, r.StatusCode)
		r = s.as("bob").Post(base, `{"title":"stamped","created_by":"alice","id":"chosen-id"}`)
		r.Status(t, 201)
		assert.Equal(t, "bob", r.Value("record.created_by"), "created_by is dropped")

		// alice's record is untouched by all of this
		got, err := s.Stack.Get(objectos.AsSystem(context.Background()), obj, aliceID, objectos.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, "alice's secret", got.Record["title"])
		assert.Equal(t, "alice", got.Record["owner_id"])
	})
}

func TestActionFailureModes(t *testing.T) {
	a := matrixArtifact()
	pub := a.Object(docName(objectos.SharingPublicReadWrite))
	pub.Actions = append(pub.Actions,
		&objectos.Action{Name: "strict", Params: []*objectos.ActionParam{
			{Name: "count", Type: objectos.TypeNumber, Required: true},
			{Name: "mode", Type: objectos.TypeSelect, Options: []objectos.Option{{Value: "fast"}, {Value: "slow"}}, DefaultValue: "slow"},
			{Name: "when", Type: objectos.TypeDatetime},
		}},
		&objectos.Action{Name: "gated", RequiredPermissions: []string{"analyst"}},
		&objectos.Action{Name: "half_way"},
		&objectos.Action{Name: "fails"},
		&objectos.Action{Name: "recovers"},
	)
	var seen *objectos.ActionCall
	h := handlers()
	h[pub.Name+".strict"] = func(ctx context.Context, call *objectos.ActionCall) (any, error) {
		seen = call
		return map[string]any{"params": call.Params}, nil
	}
	h[pub.Name+".gated"] = func(context.Context, *objectos.ActionCall) (any, error) { return "ok", nil }
	h[pub.Name+".half_way"] = func(ctx context.Context, call *objectos.ActionCall) (any, error) {
		if _, err := call.Stack.Create(ctx, call.Object.Name, objectos.Record{"title": "half"}); err != nil {
			return nil, err
		}
		if _, err := call.Stack.Update(ctx, call.Object.Name, call.RecordID, objectos.Record{"title": "half"}, objectos.WriteOptions{}); err != nil {
			return nil, err
		}
		return nil, objectos.Errorf(objectos.CodeValidationFailed, "the second half failed")
	}
	// A handler may handle a failed data call and go on: the failure undoes
	// only itself, on PostgreSQL as on SQLite.
	h[pub.Name+".recovers"] = func(ctx context.Context, call *objectos.ActionCall) (any, error) {
		_, err := call.Stack.Create(ctx, call.Object.Name, objectos.Record{"id": call.RecordID, "title": "clash"})
		if !objectos.IsCode(err, objectos.CodeUniqueViolation) {
			return nil, fmt.Errorf("want a unique violation, got %v", err)
		}
		res, err := call.Stack.Create(ctx, call.Object.Name, objectos.Record{"title": "recovered"})
		if err != nil {
			return nil, err
		}
		return res.ID, nil
	}
	h[pub.Name+".fails"] = func(context.Context, *objectos.ActionCall) (any, error) {
		return nil, errors.New("driver said: connection string postgres://secret@db")
	}

	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st, a, h)
		obj := pub.Name
		rec := s.seed("alice", obj, objectos.Record{"title": "original"})
		act := func(user, path, body string) *objectostest.Response {
			return s.as(user).Post("/api/v1/actions/"+obj+"/"+path, body)
		}

		r := act("alice", "strict", `{"params":{"count":3,"when":"2026-01-02T03:04:05+01:00"}}`).Status(t, 200)
		assert.Equal(t, true, r.Value("success"))
		assert.Equal(t, map[string]any{"params": map[string]any{"count": 3.0, "mode": "slow", "when": "2026-01-02T02:04:05.000Z"}}, r.Value("data"))
		assert.Equal(t, "alice", seen.Principal.UserID)
		assert.Empty(t, seen.RecordID)

		for name, tc := range map[string]struct {
			user, path, body string
			status           int
			code             string
		}{
			"undeclared action":    {"alice", "nope", `{}`, 404, "ACTION_NOT_FOUND"},
			"unknown object":       {"alice", "", "", 404, "OBJECT_NOT_FOUND"},
			"unknown param":        {"alice", "strict", `{"params":{"count":1,"cuont":2}}`, 400, "VALIDATION_FAILED"},
			"missing required":     {"alice", "strict", `{"params":{}}`, 400, "VALIDATION_FAILED"},
			"wrong type":           {"alice", "strict", `{"params":{"count":"three"}}`, 400, "VALIDATION_FAILED"},
			"bad option":           {"alice", "strict", `{"params":{"count":1,"mode":"ludicrous"}}`, 400, "VALIDATION_FAILED"},
			"params not an object": {"alice", "strict", `{"params":[1]}`, 400, "VALIDATION_FAILED"},
			"unknown body key":     {"alice", "strict", `{"parms":{}}`, 400, "VALIDATION_FAILED"},
			"required permission":  {"alice", "gated", `{}`, 403, "PERMISSION_DENIED"},
			"no read permission":   {"nobody", "strict", `{"params":{"count":1}}`, 403, "PERMISSION_DENIED"},
			"invisible record":     {"alice", "touch/nope", `{}`, 404, "RECORD_NOT_FOUND"},
			"anonymous":            {"", "touch/" + rec, `{}`, 401, "UNAUTHENTICATED"},
			"handler error":        {"alice", "half_way/" + rec, `{}`, 400, "VALIDATION_FAILED"},
			"handler crash":        {"alice", "fails", `{}`, 500, "INTERNAL_ERROR"},
			"malformed body":       {"alice", "strict", `{"params":`, 400, "INVALID_JSON"},
		} {
			t.Run(name, func(t *testing.T) {
				path := "/api/v1/actions/" + obj + "/" + tc.path
				if name == "unknown object" {
					path = "/api/v1/actions/nothing/touch"
				}
				r := s.as(tc.user).Post(path, tc.body)
				assert.Equal(t, tc.status, r.StatusCode, r.String())
				assert.Equal(t, false, r.Value("success"))
				assert.Equal(t, tc.code, r.ErrorCode())
				assert.EqualValues(t, tc.status, r.Value("error.httpStatus"))
				assert.NotContains(t, r.String(), "secret@db")
			})
		}
		// The admin holds every permission.
		act("admin", "gated", `{}`).Status(t, 200)
		assert.Equal(t, "ok", s.as("analyst").Post("/api/v1/actions/"+obj+"/gated", "{}").Status(t, 200).Value("data"))

		// The handler that failed half way left nothing behind.
		got, err := s.Stack.Get(objectos.AsSystem(context.Background()), obj, rec, objectos.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, "original", got.Record["title"])
		n, err := s.Stack.Count(objectos.AsSystem(context.Background()), obj, objectos.Query{Filter: objectos.Eq("title", "half")})
		require.NoError(t, err)
		assert.Zero(t, n)

		// A handled failure inside a handler leaves the rest of its work.
		r = act("alice", "recovers/"+rec, `{}`).Status(t, 200)
		recovered, err := s.Stack.Get(objectos.AsSystem(context.Background()), obj, r.Value("data").(string), objectos.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, "recovered", recovered.Record["title"])
		n, err = s.Stack.Count(objectos.AsSystem(context.Background()), obj, objectos.Query{Filter: objectos.Eq("title", "clash")})
		require.NoError(t, err)
		assert.Zero(t, n)

		// GET is not an action call.
		r = s.as("alice").Get("/api/v1/actions/" + obj + "/touch/" + rec)
		assert.Equal(t, 405, r.StatusCode)

		// An api action runs its data call as the caller.
		r = s.as("bob").Post("/api/v1/actions/"+obj+"/archive/"+rec, nil).Status(t, 200)
		assert.Equal(t, "archived", r.Value("data.record.title"))
		assert.Equal(t, "bob", r.Value("data.record.updated_by"))
	})
}
