package assets_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/bigpipe-go/bigpipe/assets"
)

func TestInline(t *testing.T) {
	big := ".a{color:red}" + strings.Repeat(".b{margin:0}", 400) // 4813 bytes minified
	tests := []struct {
		name, file, css string // css: the file's source, CSS or JS
		opts            []assets.Option
		want            bool
	}{
		{"small css", "a.css", ".a { color: red }", nil, true},
		{"empty css", "a.css", "", nil, true},
		{"over the default limit", "a.css", big, nil, false},
		{"under a raised limit", "a.css", big, []assets.Option{assets.WithInlineLimit(8 << 10)}, true},
		{"inlining off", "a.css", ".a { color: red }", []assets.Option{assets.WithInlineLimit(0)}, false},
		{"</style in a string", "a.css", `.a::after { content: "</style><script>alert(1)</script>" }`, nil, false},
		{"</STYLE upper case", "a.css", `.a::after { content: "</STYLE>" }`, nil, false},
		{"</StYlE mixed case", "a.css", `.a::after { content: "</StYlE " }`, nil, false},
		{"</styl is harmless", "a.css", `.a::after { content: "</styl" }`, nil, true},
		{"NUL", "a.css", ".a::after { content: \"\x00\" }", nil, false},
		{"javascript", "a.js", "window.a = 1", nil, true},
		{"</script in a js string", "a.js", `var s = "</script><script>alert(1)//"`, nil, false},
		{"</SCRIPT upper case", "a.js", `var s = "</SCRIPT>"`, nil, false},
		{"<!-- in js", "a.js", `var s = "<!--<script>"`, nil, false},
		{"</scrip is harmless", "a.js", `var s = "</scrip"`, nil, true},
		{"NUL in js", "a.js", "var s = \"\x00\"", nil, false},
		{"js over the default limit", "a.js", "var a=[" + strings.Repeat("1,", 2100) + "1];", nil, false},
		{"svg", "a.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg, err := assets.New(fstest.MapFS{tc.file: {Data: []byte(tc.css)}}, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			a := mustLookup(t, reg, tc.file)
			got, ok := a.Inline()
			if ok != tc.want {
				t.Fatalf("Inline ok = %v, want %v (body %d bytes: %.60q)", ok, tc.want, len(a.Body), a.Body)
			}
			if ok && got != string(a.Body) {
				t.Errorf("Inline = %q, want the minified body %q", got, a.Body)
			}
			if !ok && got != "" {
				t.Errorf("Inline = %q with ok false", got)
			}
		})
	}
}

func TestInlineLimitIsInclusive(t *testing.T) {
	reg, err := assets.New(fstest.MapFS{"a.css": {Data: []byte(".a{color:red}")}}, assets.WithInlineLimit(len(".a{color:red}")))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := mustLookup(t, reg, "a.css").Inline(); !ok {
		t.Error("a stylesheet exactly at the limit is not inlinable")
	}
}
