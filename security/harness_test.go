package security_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/openapitest"
	"github.com/objectos-go/objectos/objectostest"
)

// Principals of the matrix, by the X-Test-User header.
var principals = map[string]*objectos.Principal{
	"admin":   {UserID: "admin", Role: objectos.RoleAdmin},
	"alice":   {UserID: "alice", PermissionSets: []string{"member"}},
	"bob":     {UserID: "bob", PermissionSets: []string{"member"}},
	"analyst": {UserID: "carl", PermissionSets: []string{"analyst"}},
	"nobody":  {UserID: "nina"},
}

var testAuth = objectos.AuthFunc(func(r *http.Request) (*objectos.Principal, error) {
	u := r.Header.Get("X-Test-User")
	if u == "" {
		return nil, objectos.ErrNoCredentials
	}
	p, ok := principals[u]
	if !ok {
		return nil, objectos.NewError(objectos.CodeInvalidToken, "unknown test user")
	}
	c := *p
	return &c, nil
})

var sharingModels = []objectos.SharingModel{objectos.SharingPrivate, objectos.SharingPublicRead, objectos.SharingPublicReadWrite}

func docName(sm objectos.SharingModel) string { return "doc_" + string(sm) }

// matrixArtifact has one object per sharing model, a child object that
// references each, and the permission sets member and analyst.
func matrixArtifact() *objectos.Artifact {
	a := &objectos.Artifact{Name: "matrix"}
	child := &objectos.Object{Name: "child", SharingModel: objectos.SharingPublicReadWrite,
		Fields: []*objectos.Field{{Name: "label", Type: objectos.TypeText}}}
	member := &objectos.PermissionSet{Name: "member", Objects: map[string]objectos.ObjectPermission{}}
	analyst := &objectos.PermissionSet{Name: "analyst", Objects: map[string]objectos.ObjectPermission{},
		Fields: map[string]objectos.FieldPermission{}}
	for _, sm := range sharingModels {
		name := docName(sm)
		a.Objects = append(a.Objects, &objectos.Object{
			Name: name, SharingModel: sm,
			Fields: []*objectos.Field{
				{Name: "title", Type: objectos.TypeText},
				{Name: "secret_note", Type: objectos.TypeText},
			},
			Actions: []*objectos.Action{
				{Name: "touch", Type: objectos.ActionScript, Params: []*objectos.ActionParam{{Name: "title", Type: objectos.TypeText}}},
				{Name: "archive", Type: objectos.ActionAPI, Method: "PATCH", Target: "/api/v1/data/" + name + "/{id}",
					BodyExtra: map[string]any{"title": "archived"}},
			},
		})
		child.Fields = append(child.Fields, &objectos.Field{Name: "ref_" + string(sm), Type: objectos.TypeLookup, Reference: name})
		member.Objects[name] = objectos.ObjectPermission{AllowRead: true, AllowCreate: true, AllowEdit: true, AllowDelete: true}
		analyst.Objects[name] = objectos.ObjectPermission{AllowRead: true, ViewAllRecords: true}
		analyst.Fields[name+".secret_note"] = objectos.FieldPermission{Readable: false}
	}
	member.Objects["child"] = objectos.ObjectPermission{AllowRead: true, AllowCreate: true, AllowEdit: true}
	analyst.Objects["child"] = objectos.ObjectPermission{AllowRead: true}
	a.Objects = append(a.Objects, child)
	a.PermissionSets = []*objectos.PermissionSet{member, analyst}
	return a
}

// touch is the script action of the matrix: it updates the record as the
// caller, so it needs edit access to it.
func touch(ctx context.Context, call *objectos.ActionCall) (any, error) {
	title, _ := call.Params["title"].(string)
	if title == "" {
		title = "touched"
	}
	res, err := call.Stack.Update(ctx, call.Object.Name, call.RecordID, objectos.Record{"title": title}, objectos.WriteOptions{})
	if err != nil {
		return nil, err
	}
	return res.Record, nil
}

// server is the stack of the matrix: rest, the X-Test-User authenticator
// and security, with the default rate limits, every exchange checked
// against the OpenAPI document.
type server struct {
	*objectostest.Env
	t testing.TB
}

func newServer(t testing.TB, st objectos.Store, a *objectos.Artifact, handlers map[string]objectos.ActionHandler) *server {
	t.Helper()
	env := objectostest.New(t, a, objectostest.Options{
		Store:          st,
		Without:        []string{"auth", "apikey"},
		Plugins:        []objectos.Plugin{testAuth},
		ActionHandlers: handlers,
		Configure:      func(o *objectos.Options) { o.RateLimits = objectos.RateLimits{} },
		Handler:        func(s *objectos.Stack) http.Handler { return openapitest.Handler(t, s) },
	})
	return &server{Env: env, t: t}
}

// as is a client of the principal named user, or an anonymous one.
func (s *server) as(user string) *objectostest.Client {
	if user == "" {
		return s.Client()
	}
	return s.Client().With("X-Test-User", user)
}

// seed creates a record owned by the user, through the system.
func (s *server) seed(owner, object string, rec objectos.Record) string {
	s.t.Helper()
	ctx := objectos.WithPrincipal(objectos.AsSystem(context.Background()), &objectos.Principal{UserID: principals[owner].UserID})
	r, err := s.Stack.Create(ctx, object, rec)
	require.NoError(s.t, err)
	return r.ID
}
