package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

const payloadPrefix, payloadSuffix = `<script>bigPipe.onPageletArrive(`, ")</script>\n"

// checkPayload asserts that out is one inert script element whose argument
// decodes back to id and content (invalid UTF-8 replaced as browsers do).
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
	checkScriptSafe(t, "payload argument", arg)
	checkOneScript(t, out, arg)
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

// checkOneScript asserts that an HTML tokenizer reads out as one script
// element whose text is arg in between the prefix and suffix, with
// nothing after it: no byte of arg ends the element early or starts
// anything else.
func checkOneScript(t *testing.T, out, arg []byte) {
	t.Helper()
	z := html.NewTokenizer(bytes.NewReader(out))
	want := []html.TokenType{html.StartTagToken, html.TextToken, html.EndTagToken, html.TextToken, html.ErrorToken}
	for i, tt := range want {
		got := z.Next()
		if got != tt {
			t.Fatalf("token %d of %q is %v, want %v", i, out, got, tt)
		}
		switch i {
		case 0, 2:
			if name, _ := z.TagName(); string(name) != "script" {
				t.Fatalf("token %d of %q is <%s>, want script", i, out, name)
			}
		case 1:
			text := strings.TrimPrefix(string(z.Raw()), "bigPipe.onPageletArrive(")
			if text != string(arg)+")" {
				t.Fatalf("script text of %q is %q, want the payload's argument", out, z.Raw())
			}
		}
	}
}

// viaJSON is what a browser makes of s as the bytes of a page: valid UTF-8
// as it is, and each maximal subpart of an invalid sequence (the longest
// run that is still the start of some valid sequence, at least one byte)
// replaced by one U+FFFD, as the WHATWG decoder does. It is the reference
// for round-trips; it is written independently of invalidLen, by trying
// completions.
func viaJSON(t *testing.T, s string) string {
	t.Helper()
	var out strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || n > 1 {
			out.WriteString(s[i : i+n])
			i += n
			continue
		}
		k := 1
		for j := 2; j <= 3 && i+j <= len(s); j++ {
			if !startsValid(s[i : i+j]) {
				break
			}
			k = j
		}
		out.WriteRune(utf8.RuneError)
		i += k
	}
	return out.String()
}

// startsValid reports whether p, shorter than 4 bytes, can be completed
// into one valid UTF-8 sequence by continuation bytes.
func startsValid(p string) bool {
	if !utf8.RuneStart(p[0]) {
		return false
	}
	// Only the first byte after a lead byte has a narrower range; any
	// later one may be 0x80.
	for c := byte(0x80); c <= 0xbf; c++ {
		for _, tail := range []string{"", string([]byte{c}), string([]byte{c, 0x80}), string([]byte{c, 0x80, 0x80})} {
			if q := p + tail; len(q) <= 4 && utf8.ValidString(q) && utf8.RuneCountInString(q) == 1 {
				return true
			}
		}
	}
	return false
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
	"x\xe2\x82y \xf0\x9f\x98 \xed\xa0\x80 \xe0\x80 \xf4\x90",
	"\x00 nul \x1f",
	`"quoted" \backslash\ \u2028`,
	"&lt;&amp;&#x3c;",
	"\u202e bidi \u2066",
	"emoji 🎉 and ß",
	strings.Repeat("</script>", 1000),
	"<", "a<", "<<", "<</script>", "<<!--", `<\/script>`, `<\u0021--`,
	"<s", "<S", "<Script>", "<!", "<!-", "<!-- <script> </script> -->",
	"<\xff/script>", "<\n/script>", "<\"/script>", "< /script>", "<ul><li>x</li></ul>",
}

func TestPayloadIsInert(t *testing.T) {
	for _, s := range hostile {
		t.Run("", func(t *testing.T) {
			checkPayload(t, appendPayload(nil, "", s, []byte(s), nil, nil, nil, nil), s, s)
		})
	}
}

// TestJSStringMatchesEncodingJSON checks that appendJSString means what
// encoding/json means for valid UTF-8, and what a browser reads for
// invalid UTF-8 (where encoding/json writes one U+FFFD per byte instead).
func TestJSStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range hostile {
		ours := appendJSString(nil, s)
		var a, want string
		if err := json.Unmarshal(ours, &a); err != nil {
			t.Fatalf("%q: %v", ours, err)
		}
		if utf8.ValidString(s) {
			std, _ := json.Marshal(s) // escapes <, >, &, U+2028/9 too; spelling may differ, meaning not
			_ = json.Unmarshal(std, &want)
		} else {
			want = viaJSON(t, s)
		}
		if a != want {
			t.Errorf("%q: ours decodes to %q, want %q", s, a, want)
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
		checkPayload(t, appendPayload(nil, "", id, []byte(content), nil, nil, nil, nil), id, content)
		if a, b := appendJSString(nil, content), appendJSString(nil, []byte(content)); !bytes.Equal(a, b) {
			t.Fatalf("string and []byte encodings differ: %q, %q", a, b)
		}
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
				dst = appendPayload(dst[:0], "", "hotnews", content, nil, nil, nil, nil)
			}
		})
	}
}

// checkScriptSafe fails t if b, encoded to go inside a <script> element,
// could start an end tag or a comment there (a '<' before '/' or '!'; nor,
// to be safe, before the 's' of "script"), or holds a line terminator that
// old JavaScript engines reject. Payloads and fragments share the rule.
func checkScriptSafe(t *testing.T, what string, b []byte) {
	t.Helper()
	for _, bad := range []string{"\u2028", "\u2029", "\n", "\r"} {
		if bytes.Contains(b, []byte(bad)) {
			t.Fatalf("%s contains %q: %q", what, bad, b)
		}
	}
	for i, c := range b {
		if c == '<' && (i+1 == len(b) || strings.IndexByte("/!sS", b[i+1]) >= 0) {
			t.Fatalf("%s has %q at %d: %q", what, b[i:min(i+2, len(b))], i, b)
		}
	}
}
