// Package objectostest is a test kit for applications built on objectos:
// a Stack from the application's artifact on a private in-memory store,
// users holding the application's permission sets, HTTP clients signed in
// as them (by session cookie, bearer token or API key), a clock the test
// moves, and assertions on the answers that read well in table tests.
//
//	func TestTodos(t *testing.T) {
//		env := objectostest.New(t, app.Artifact(), objectostest.Options{})
//		alice := env.User(t, "alice", "todo_user")
//		alice.Post("/api/v1/data/todo", map[string]any{"title": "Buy milk"}).Status(t, 201)
//		alice.Get("/api/v1/data/todo").Status(t, 200).Equal(t, "total", 1)
//		env.User(t, "bob", "todo_user").Get("/api/v1/data/todo").Equal(t, "total", 0)
//	}
//
// The Stack has the standard plugins (rest, auth, apikey, security) unless
// Options say otherwise, runs on its own SQLite database (or a PostgreSQL
// schema of its own, see Options.Postgres) and is closed when the test
// ends. Requests are served in process: nothing listens on a port, and
// Client.HTTPClient hands the same requests to code that takes an
// *http.Client.
//
// Every function that can fail takes the test's testing.TB and fails it
// with a message that names the request and shows the answer; nothing here
// returns an error to check. Request methods take no testing.TB: they only
// panic on a mistake in the test itself (a body that does not encode).
package objectostest
