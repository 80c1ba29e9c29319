package unittest

import (
	"os"
	"strings"
	"testing"
)

// TestREADME: the README's example of objectostest is this package's code,
// word for word, so it compiles and passes.
func TestREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "### Testing your application (`objectostest`)")
	if !ok {
		t.Fatal("the README has no section on objectostest")
	}
	_, block, ok := strings.Cut(section, "```go\n")
	block, _, ok2 := strings.Cut(block, "```\n")
	if !ok || !ok2 {
		t.Fatal("the section has no Go example")
	}
	src, err := os.ReadFile("todo_test.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), block) {
		t.Errorf("the README's example is not in todo_test.go as it is:\n%s", block)
	}
}
