package broker_test

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeQuickStart keeps the README's quick start and Example_quickStart
// the same code, so the snippet a user pastes is the one the tests compile
// and run.
func TestReadmeQuickStart(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Skip("README.md not beside the package:", err)
	}
	_, after, ok := strings.Cut(string(readme), "## Quick start")
	if !ok {
		t.Fatal("README.md has no Quick start section")
	}
	_, block, ok := strings.Cut(after, "```go\n")
	if !ok {
		t.Fatal("the Quick start section has no Go block")
	}
	snippet, _, _ := strings.Cut(block, "```")

	src, err := os.ReadFile("example_quickstart_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(src), "func Example_quickStart() {\n")
	if !ok {
		t.Fatal("no Example_quickStart")
	}
	body, _, _ = strings.Cut(body, "\t// Output:")
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	if want := strings.Join(lines, "\n") + "\n"; snippet != want {
		t.Errorf("README quick start differs from Example_quickStart:\n--- README\n%s--- Example\n%s", snippet, want)
	}
}
