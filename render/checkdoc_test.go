package render_test

import (
	"os"
	"strings"
	"testing"
)

// TestChecksDocQuotesExamples checks that docs/checks.md quotes the
// examples of check_example_test.go as they are, so that the documented
// code is code that compiles and passes.
func TestChecksDocQuotesExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/checks.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("check_example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ExampleRenderer_Check", "ExampleRenderer_CheckPage", "ExampleRenderer_CheckMounted"} {
		s := string(src)
		i := strings.Index(s, "func "+name+"() {")
		if i < 0 {
			t.Fatalf("no %s in check_example_test.go", name)
		}
		j := strings.Index(s[i:], "\n}\n")
		if j < 0 {
			t.Fatalf("%s does not end", name)
		}
		if code := s[i : i+j+2]; !strings.Contains(string(doc), "```go\n"+code+"\n```") {
			t.Errorf("docs/checks.md does not quote %s as it is:\n%s", name, code)
		}
	}
}
