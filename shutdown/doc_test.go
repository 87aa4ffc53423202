package shutdown_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDocQuotesExamples checks that every Go sample in docs/shutdown.md is
// an Example function of example_test.go as it is, so the documented code
// compiles and runs.
func TestDocQuotesExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/shutdown.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) == 0 {
		t.Fatal("no Go sample in docs/shutdown.md")
	}
	for _, b := range blocks {
		if !strings.HasPrefix(b[1], "func Example") || !strings.Contains(string(src), "\n"+b[1]) {
			t.Errorf("docs/shutdown.md quotes code that is not an Example of example_test.go as it is:\n%s", b[1])
		}
	}
}
