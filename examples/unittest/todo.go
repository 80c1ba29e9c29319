// Package unittest shows how an application that embeds objectos tests its
// own rules with objectostest: a Stack of the application's artifact on a
// private in-memory store per test, users holding its permission sets, the
// engine called directly as one of them, and the HTTP API driven as them.
// See todo_test.go.
package unittest

import (
	"context"

	"github.com/objectos-go/objectos"
)

// Artifact is the application's artifact: to-dos, each private to its owner.
func Artifact() *objectos.Artifact {
	return &objectos.Artifact{
		Objects: []*objectos.Object{{
			Name: "todo",
			Fields: []*objectos.Field{
				{Name: "title", Type: objectos.TypeText, Required: true, MaxLength: 200},
				{Name: "done", Type: objectos.TypeBoolean, DefaultValue: false},
			},
		}},
		PermissionSets: []*objectos.PermissionSet{{
			Name: "todo_user", IsDefault: true,
			Objects: map[string]objectos.ObjectPermission{
				"todo": {AllowRead: true, AllowCreate: true, AllowEdit: true},
			},
		}},
	}
}

// NoDoneWithoutTitle is an application rule, written as a hook: a to-do
// cannot be marked done while its title says "TBD".
var NoDoneWithoutTitle = objectos.Hook{
	Object: "todo",
	Events: []objectos.HookEvent{objectos.BeforeUpdate},
	Func: func(_ context.Context, h *objectos.HookContext) error {
		if h.Input["done"] == true && h.Previous["title"] == "TBD" {
			return objectos.NewError(objectos.CodeValidationFailed, "Give the to-do a title before marking it done.")
		}
		return nil
	},
}
