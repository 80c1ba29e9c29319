package objectostest_test

import (
	"fmt"
	"testing"

	"github.com/objectos-go/objectos/objectostest"
)

// app is the application's artifact: to-dos, private to their owner.
const app = `
name: todos
objects:
  - name: todo
    fields:
      title: {type: text, required: true, maxLength: 200}
      done: {type: boolean, defaultValue: false}
permissionSets:
  - name: todo_user
    objects:
      todo: {allowRead: true, allowCreate: true, allowEdit: true}
`

// In a test, t is the test's *testing.T; an Example has none, so this one
// makes do with exampleT (below).
func Example() {
	t := &exampleT{}
	defer t.finish()

	env := objectostest.New(t, objectostest.Artifact(t, []byte(app)), objectostest.Options{})
	alice := env.User(t, "Alice", "todo_user") // created and signed in

	// alice's requests carry her session; answers are checked in place.
	created := alice.Post("/api/v1/data/todo", map[string]any{"title": "Write tests"}).
		Status(t, 201).
		Equal(t, "record.done", false).
		Equal(t, "record.owner_id", alice.ID)
	alice.Post("/api/v1/data/todo", map[string]any{"done": true}).
		Status(t, 400).
		Code(t, "VALIDATION_FAILED").
		Equal(t, "fields.0.field", "title")

	list := alice.Get("/api/v1/data/todo").Status(t, 200).Equal(t, "total", 1)
	fmt.Println(list.IDs()[0] == created.ID(), list.Value("records.0.title"))
	fmt.Println(list.Value("records.0.created_at")) // the Env's clock

	// Another user sees none of them, through a browser session as well.
	bob := env.User(t, "Bob", "todo_user")
	bob.Browser(t).Get("/api/v1/data/todo").Status(t, 200).Equal(t, "total", 0)
	// Output:
	// true Write tests
	// 2026-07-28T12:00:00.000Z
}

// exampleT stands in for a test's *testing.T: it prints failures, so that
// the output differs, and runs the cleanups at the end.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (t *exampleT) Helper()          {}
func (t *exampleT) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Errorf(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
}
func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

func (t *exampleT) finish() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
