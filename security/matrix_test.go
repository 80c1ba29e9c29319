package security_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

var matrixUsers = []string{"admin", "alice", "bob", "analyst", "nobody"}

// want is the expected status (and error code) of one cell.
type want struct {
	status int
	code   string
}

// expectations per sharing model and principal. alice owns the record the
// operations target; bob is another member; analyst reads everything but
// secret_note; nobody holds no permission set.
func expectations(sm objectos.SharingModel, user string) map[string]want {
	private, publicRead := sm == objectos.SharingPrivate, sm == objectos.SharingPublicRead
	ok := func(s int) want { return want{status: s} }
	deny := want{403, "PERMISSION_DENIED"}
	switch user {
	case "admin", "alice":
		return map[string]want{"list": ok(200), "get": ok(200), "create": ok(201), "update": ok(200), "delete": ok(200),
			"filter_hidden": ok(200), "action": ok(200), "api_action": ok(200)}
	case "bob":
		write := ok(200)
		if private {
			write = want{404, "RECORD_NOT_FOUND"}
		} else if publicRead {
			write = want{403, "RECORD_NOT_ACCESSIBLE"}
		}
		get := ok(200)
		if private {
			get = want{404, "RECORD_NOT_FOUND"}
		}
		return map[string]want{"list": ok(200), "get": get, "create": ok(201), "update": write, "delete": write,
			"filter_hidden": ok(200), "action": write, "api_action": write}
	case "analyst":
		return map[string]want{"list": ok(200), "get": ok(200), "create": deny, "update": deny, "delete": deny,
			"filter_hidden": want{403, "FIELD_NOT_ACCESSIBLE"}, "action": deny, "api_action": deny}
	default: // nobody
		return map[string]want{"list": deny, "get": deny, "create": deny, "update": deny, "delete": deny,
			"filter_hidden": deny, "action": deny, "api_action": deny}
	}
}

// visibleTotal is how many of the two seeded records (alice's, bob's) a
// principal sees in a list.
func visibleTotal(sm objectos.SharingModel, user string) float64 {
	if sm == objectos.SharingPrivate && (user == "alice" || user == "bob") {
		return 1
	}
	return 2
}

func TestPermissionMatrix(t *testing.T) {
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st, matrixArtifact(), handlers())
		for _, sm := range sharingModels {
			obj := docName(sm)
			base := "/api/v1/data/" + obj
			aliceID := s.seed("alice", obj, objectos.Record{"title": "alice's", "secret_note": "s-a"})
			s.seed("bob", obj, objectos.Record{"title": "bob's", "secret_note": "s-b"})
			childID := s.seed("admin", "child", objectos.Record{"label": "c", "ref_" + string(sm): aliceID})
			for _, user := range matrixUsers {
				exp := expectations(sm, user)
				t.Run(string(sm)+"/"+user, func(t *testing.T) {
					check := func(op string, r *objectostest.Response) {
						t.Helper()
						w := exp[op]
						assert.Equal(t, w.status, r.StatusCode, "%s: %s", op, r.String())
						if w.code != "" {
							assert.Equal(t, w.code, r.ErrorCode(), op)
						}
					}
					// list: exactly the visible rows, with the right total
					seeded := "&filter=" + url.QueryEscape(`{"title":{"$in":["alice's","bob's"]}}`)
					r := s.as(user).Get(base + "?limit=1" + seeded)
					check("list", r)
					if r.StatusCode == 200 {
						assert.Equal(t, visibleTotal(sm, user), r.Value("total"), "total")
						assert.Equal(t, visibleTotal(sm, user) > 1, r.Value("hasMore"), "hasMore")
						all := s.as(user).Get(base + "?limit=1000")
						for _, rec := range all.Value("records").([]any) {
							_, hasSecret := rec.(map[string]any)["secret_note"]
							assert.Equal(t, user != "analyst", hasSecret, "secret_note visibility")
						}
					}
					// get
					r = s.as(user).Get(base + "/" + aliceID)
					check("get", r)
					if r.StatusCode == 200 {
						_, hasSecret := r.Lookup("record.secret_note")
						assert.Equal(t, user != "analyst", hasSecret)
					}
					// create
					check("create", s.as(user).Post(base, `{"title":"new"}`))
					// update, delete, actions: each on a fresh record of alice's
					check("update", s.as(user).Patch(base+"/"+s.seed("alice", obj, objectos.Record{"title": "u"}), `{"title":"changed"}`))
					check("delete", s.as(user).Delete(base+"/"+s.seed("alice", obj, objectos.Record{"title": "d"})))
					check("filter_hidden", s.as(user).Get(base+"?filter="+url.QueryEscape(`{"secret_note":"s-a"}`)))
					check("action", s.as(user).Post("/api/v1/actions/"+obj+"/touch/"+s.seed("alice", obj, objectos.Record{"title": "a"}), `{"params":{}}`))
					check("api_action", s.as(user).Post("/api/v1/actions/"+obj+"/archive", `{"recordId":"`+s.seed("alice", obj, objectos.Record{"title": "a"})+`"}`))
					// expand: the referenced record as the caller may see it
					if user != "nobody" {
						r = s.as(user).Get("/api/v1/data/child/"+childID+"?expand=ref_"+string(sm)).Status(t, 200)
						ref := r.Value("record").(map[string]any)["ref_"+string(sm)]
						if user == "bob" && sm == objectos.SharingPrivate {
							assert.Equal(t, aliceID, ref, "an invisible record stays an id")
						} else {
							m, ok := ref.(map[string]any)
							require.True(t, ok, "expanded: %v", ref)
							_, hasSecret := m["secret_note"]
							assert.Equal(t, user != "analyst", hasSecret, "expand honours field security")
						}
					}
				})
			}
		}
	})
}

func handlers() map[string]objectos.ActionHandler {
	h := map[string]objectos.ActionHandler{}
	for _, sm := range sharingModels {
		h[docName(sm)+".touch"] = touch
	}
	return h
}
