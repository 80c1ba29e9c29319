package rest_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

// secretPlain is the distinctive secret of these tests: no response and no
// log line may hold it.
const secretPlain = "sk_live_RESTPLAIN_41c2"

func secretRESTArtifact() *objectos.Artifact {
	return &objectos.Artifact{Name: "secrettest", Objects: []*objectos.Object{
		{
			Name: "integration",
			Fields: []*objectos.Field{
				{Name: "name", Type: objectos.TypeText, Required: true, Searchable: true},
				{Name: "token", Type: objectos.TypeSecret, MinLength: 10},
			},
			Actions: []*objectos.Action{{Name: "inspect", Label: "Inspect"}},
		},
		{
			Name: "sync_job",
			Fields: []*objectos.Field{
				{Name: "label", Type: objectos.TypeText},
				{Name: "integration", Type: objectos.TypeLookup, Reference: "integration"},
			},
		},
	}}
}

// TestSecretREST: on every read surface of the REST plugin a secret is the
// mask (null when unset), every filter, sort, search and aggregate naming
// it is refused, the mask written back changes nothing, and neither a
// response nor a log line ever holds the plaintext.
func TestSecretREST(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		logs := &testenv.Buffer{}
		s := newServer(t, st, secretRESTArtifact(), func(o *objectos.Options) {
			o.SecretKeys = []objectos.SecretKey{{ID: "k1", Key: bytes.Repeat([]byte{7}, 32)}}
			o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			o.ActionHandlers = map[string]objectos.ActionHandler{
				"integration.inspect": func(ctx context.Context, call *objectos.ActionCall) (any, error) {
					return call.Record, nil
				},
			}
		})
		u := s.as("u")
		var bodies []*objectostest.Response
		keep := func(r *objectostest.Response) *objectostest.Response {
			bodies = append(bodies, r)
			return r
		}

		created := keep(u.Post("/api/v1/data/integration", map[string]any{"name": "Stripe", "token": secretPlain})).Status(t, 201)
		created.Equal(t, "record.token", objectos.MaskedValue)
		id := created.ID()
		empty := keep(u.Post("/api/v1/data/integration", map[string]any{"name": "Empty"})).Status(t, 201)
		empty.Equal(t, "record.token", nil)
		job := keep(u.Post("/api/v1/data/sync_job", map[string]any{"label": "nightly", "integration": id})).Status(t, 201).ID()

		keep(u.Get("/api/v1/data/integration/"+id)).Status(t, 200).Equal(t, "record.token", objectos.MaskedValue)
		list := keep(u.Get("/api/v1/data/integration?fields=name,token")).Status(t, 200)
		assert.Equal(t, []any{objectos.MaskedValue, nil}, []any{list.Records()[0]["token"], list.Records()[1]["token"]})
		keep(u.Post("/api/v1/data/integration/query", `{"fields":["token"],"limit":1}`)).Status(t, 200).
			Equal(t, "records.0.token", objectos.MaskedValue)
		keep(u.Get("/api/v1/data/sync_job/"+job+"?expand=integration")).Status(t, 200).
			Equal(t, "record.integration.token", objectos.MaskedValue)
		keep(u.Post("/api/v1/data/sync_job/query", `{"expand":["integration"]}`)).Status(t, 200).
			Equal(t, "records.0.integration.token", objectos.MaskedValue)
		keep(u.Post("/api/v1/actions/integration/inspect/"+id, `{"params":{}}`)).Status(t, 200).
			Equal(t, "data.token", objectos.MaskedValue)

		// Writes answer with the mask too, and the mask written back leaves
		// the secret as it is.
		read := keep(u.Get("/api/v1/data/integration/" + id)).Record()
		delete(read, "id")
		read["name"] = "Stripe EU"
		keep(u.Patch("/api/v1/data/integration/"+id, read)).Status(t, 200).Equal(t, "record.token", objectos.MaskedValue)
		v, err := s.Stack.RevealSecret(objectos.AsSystem(context.Background()), "integration", id, "token")
		require.NoError(t, err)
		assert.Equal(t, secretPlain, v)

		keep(u.Post("/api/v1/data/integration/createMany", []any{map[string]any{"name": "B", "token": secretPlain + "-b"}})).
			Status(t, 201).Equal(t, "records.0.token", objectos.MaskedValue)
		keep(u.Post("/api/v1/batch", map[string]any{"operations": []any{
			map[string]any{"object": "integration", "action": "create", "data": map[string]any{"name": "C", "token": secretPlain + "-c"}},
			map[string]any{"object": "integration", "action": "update", "id": id, "data": map[string]any{"token": secretPlain + "-d"}},
		}})).Status(t, 200)
		keep(u.Post("/api/v1/data/integration/batch", map[string]any{"operation": "update",
			"records": []any{map[string]any{"id": id, "data": map[string]any{"token": secretPlain + "-e"}}}})).Status(t, 200).
			Equal(t, "results.0.data.token", objectos.MaskedValue)
		v, err = s.Stack.RevealSecret(objectos.AsSystem(context.Background()), "integration", id, "token")
		require.NoError(t, err)
		assert.Equal(t, secretPlain+"-e", v)

		// A value too short is refused without echoing it.
		bad := keep(u.Patch("/api/v1/data/integration/"+id, map[string]any{"token": "RESTPLAIN"})).Status(t, 400).Code(t, "VALIDATION_FAILED")
		assert.NotContains(t, bad.String(), "RESTPLAIN")

		// Never a filter, a sort, a search or an aggregate.
		refused := []struct{ method, url, body, code, message string }{
			{"GET", "/api/v1/data/integration?token=" + url.QueryEscape(secretPlain), "", "INVALID_FILTER", "is a secret field and cannot be filtered"},
			{"GET", "/api/v1/data/integration?filter=" + url.QueryEscape(`{"token":{"$startsWith":"sk_"}}`), "", "INVALID_FILTER", "cannot be filtered"},
			{"GET", "/api/v1/data/integration?filter=" + url.QueryEscape(`[["token","is_null"]]`), "", "INVALID_FILTER", "cannot be filtered"},
			{"GET", "/api/v1/data/integration?sort=-token", "", "INVALID_SORT", "is a secret field and cannot be sorted"},
			{"POST", "/api/v1/data/integration/query", `{"where":{"token":"x"}}`, "INVALID_FILTER", "cannot be filtered"},
			{"POST", "/api/v1/data/integration/query", `{"orderBy":[{"field":"token","order":"asc"}]}`, "INVALID_SORT", "cannot be sorted"},
			{"POST", "/api/v1/data/integration/query", `{"aggregations":[{"function":"count_distinct","field":"token","alias":"n"}]}`, "INVALID_QUERY", "is a secret (encrypted)"},
			{"POST", "/api/v1/data/integration/query", `{"groupBy":["token"],"aggregations":[{"function":"count","alias":"n"}]}`, "INVALID_QUERY", "cannot be grouped"},
		}
		for _, rq := range refused {
			r := keep(s.do(req{method: rq.method, url: rq.url, body: rq.body, user: "u"}))
			r.Status(t, 400).Code(t, rq.code)
			assert.Contains(t, r.String(), rq.message, rq.url+" "+rq.body)
		}
		keep(u.Get("/api/v1/data/integration?search=sk_live")).Status(t, 200).Len(t, "records", 0)

		// The metadata and the OpenAPI document describe it, with no value.
		keep(u.Get("/api/v1/meta/object/integration")).Status(t, 200).Equal(t, "data.item.fields.token.type", "secret")
		doc := keep(u.Get("/api/v1/openapi.json")).Status(t, 200)
		assert.Contains(t, doc.String(), `encrypted at rest; masked as \"••••••••\" on read`)

		for _, r := range bodies {
			assert.NotContains(t, string(r.Body), "RESTPLAIN", r.Method+" "+r.Path)
		}
		assert.Contains(t, logs.String(), `"status":201`, "the access log is on")
		assert.NotContains(t, logs.String(), "RESTPLAIN")
		assert.False(t, strings.Contains(logs.String(), secretPlain))
	})
}
