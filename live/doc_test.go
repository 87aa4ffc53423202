package live_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// docSnippets returns the code docs/live.md quotes: the Example function
// as it is, and each block between "// [docs: name]" and "// [docs: end]"
// in the interop test, without its indentation.
func docSnippets(t *testing.T) map[string]string {
	t.Helper()
	read := func(name string) string {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	out := make(map[string]string)
	ex := read("example_test.go")
	i := strings.Index(ex, "func Example() {")
	j := strings.Index(ex[i:], "\n}\n")
	if i < 0 || j < 0 {
		t.Fatal("no Example in example_test.go")
	}
	out["EXAMPLE"] = ex[i : i+j+2]
	rx := read("reader_example_test.go")
	i = strings.Index(rx, "func ExampleFeed_PublishTo() {")
	j = strings.Index(rx[i:], "\n}\n")
	if i < 0 || j < 0 {
		t.Fatal("no ExampleFeed_PublishTo in reader_example_test.go")
	}
	out["READERS"] = rx[i : i+j+2]
	ox := read("ops_example_test.go")
	i = strings.Index(ox, "func ExampleFeed_Remove() {")
	j = strings.Index(ox[i:], "\n}\n")
	if i < 0 || j < 0 {
		t.Fatal("no ExampleFeed_Remove in ops_example_test.go")
	}
	out["OPS"] = ox[i : i+j+2]
	re := regexp.MustCompile(`(?s)\n(\t*)// \[docs: (\w+)\]\n(.*?)\n\t*// \[docs: end\]`)
	for _, m := range re.FindAllStringSubmatch(read("interop_test.go"), -1) {
		var lines []string
		for line := range strings.SplitSeq(m[3], "\n") {
			lines = append(lines, strings.TrimPrefix(line, m[1]))
		}
		out[strings.ToUpper(m[2])] = strings.Join(lines, "\n")
	}
	return out
}

// TestDocQuotesCode checks that docs/live.md quotes the Example and the
// centrifuge-go test's code as they are, so the documented code is code
// that compiles and passes.
func TestDocQuotesCode(t *testing.T) {
	doc, err := os.ReadFile("../docs/live.md")
	if err != nil {
		t.Fatal(err)
	}
	snippets := docSnippets(t)
	for _, name := range []string{"EXAMPLE", "READERS", "OPS", "CLIENT", "HANDLERS", "CONNECT", "REFRESH"} {
		s, ok := snippets[name]
		if !ok {
			t.Errorf("no %s snippet in the sources", name)
			continue
		}
		if !strings.Contains(string(doc), "```go\n"+s+"\n```") {
			t.Errorf("docs/live.md does not quote the %s code as it is:\n%s", name, s)
		}
	}
}
