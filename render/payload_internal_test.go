package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

const payloadPrefix, payloadSuffix = `<script>bigPipe.onPageletArrive(`, ")</script>\n"

// checkPayload asserts that out is one inert script element whose argument
// decodes back to id and content (invalid UTF-8 replaced as encoding/json does).
func checkPayload(t *testing.T, out []byte, id, content string) {
	t.Helper()
	arg, ok := bytes.CutPrefix(out, []byte(payloadPrefix))
	if !ok {
		t.Fatalf("payload does not start with %q: %q", payloadPrefix, out)
	}
	arg, ok = bytes.CutSuffix(arg, []byte(payloadSuffix))
	if !ok {
		t.Fatalf("payload does not end with %q: %q", payloadSuffix, out)
	}
	// Nothing inside the script may open a tag, a comment or close the element
	// (all of which take a '<'), nor contain a line terminator that old
	// JavaScript engines reject.
	for _, bad := range []string{"<", "\u2028", "\u2029", "\n", "\r"} {
		if bytes.Contains(arg, []byte(bad)) {
			t.Fatalf("payload argument contains %q: %q", bad, arg)
		}
	}
	if !utf8.Valid(arg) || !json.Valid(arg) {
		t.Fatalf("payload argument is not valid UTF-8 JSON: %q", arg)
	}
	var got struct{ ID, Content string }
	if err := json.Unmarshal(arg, &got); err != nil {
		t.Fatal(err)
	}
	if want := viaJSON(t, id); got.ID != want {
		t.Errorf("id round-trip: got %q, want %q", got.ID, want)
	}
	if want := viaJSON(t, content); got.Content != want {
		t.Errorf("content round-trip: got %q, want %q", got.Content, want)
	}
}

// viaJSON is what encoding/json makes of s: the reference for round-trips.
func viaJSON(t *testing.T, s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var out string
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

var hostile = []string{
	"",
	"plain <b>html</b>",
	"</script><script>alert(1)</script>",
	"</SCRIPT >",
	"<!--<script>",
	"<![CDATA[ x ]]>",
	"]]></script>",
	"\u2028\u2029",
	"\xff\xfe invalid \xc3",
	"\x00 nul \x1f",
	`"quoted" \backslash\ \u2028`,
	"&lt;&amp;&#x3c;",
	"\u202e bidi \u2066",
	"emoji 🎉 and ß",
	strings.Repeat("</script>", 1000),
}

func TestPayloadIsInert(t *testing.T) {
	for _, s := range hostile {
		t.Run("", func(t *testing.T) {
			checkPayload(t, appendPayload(nil, "", s, []byte(s), nil, nil, nil), s, s)
		})
	}
}

func TestJSStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range hostile {
		ours := appendJSString(nil, s)
		std, _ := json.Marshal(s) // escapes <, >, &, U+2028/9 too; spelling may differ, meaning not
		var a, b string
		if err := json.Unmarshal(ours, &a); err != nil {
			t.Fatalf("%q: %v", ours, err)
		}
		_ = json.Unmarshal(std, &b)
		if a != b {
			t.Errorf("%q: ours decodes to %q, encoding/json to %q", s, a, b)
		}
		if !bytes.Equal(ours, appendJSString(nil, []byte(s))) {
			t.Errorf("%q: string and []byte encodings differ", s)
		}
	}
}

func FuzzPayload(f *testing.F) {
	for _, s := range hostile {
		f.Add(s, s)
	}
	f.Add("hotnews", "<ul><li>x</li></ul>")
	f.Fuzz(func(t *testing.T, id, content string) {
		checkPayload(t, appendPayload(nil, "", id, []byte(content), nil, nil, nil), id, content)
	})
}

func BenchmarkPayload(b *testing.B) {
	for _, n := range []int{256, 4 << 10, 64 << 10} {
		content := []byte(strings.Repeat(`<li><a href="/article/x">Headline &amp; more</a></li>`, n/52+1)[:n])
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			dst := make([]byte, 0, 2*n)
			for b.Loop() {
				dst = appendPayload(dst[:0], "", "hotnews", content, nil, nil, nil)
			}
		})
	}
}
