package render_test

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// TestInlineCSS puts small critical CSS into <head> as <style> (and keeps it
// out of the 103 and the links), and links a stylesheet too big to inline.
func TestInlineCSS(t *testing.T) {
	srv := serve(t, func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
		p := pageOf(delayed("x", 0))
		p.InlineCSS = []string{"a.css", "big.css"}
		return p, nil
	}, render.WithEarlyHints(render.HintsAlways)) // the raw client speaks HTTP/1.1
	for _, ua := range []string{chromeUA, googlebotUA} {
		s := get(t, srv.URL, ua)
		head, _, _ := strings.Cut(string(s.Body()), "</head>")
		if !strings.Contains(head, "<style>.a{color:blue}</style>") {
			t.Errorf("%s: a.css not inlined: %s", ua[:10], head)
		}
		if strings.Contains(head, `href="/static/a.`) {
			t.Errorf("%s: inlined a.css is linked too", ua[:10])
		}
		if !strings.Contains(head, `<link rel="stylesheet" href="/static/big.`) {
			t.Errorf("%s: big.css (over the inline limit) is not linked", ua[:10])
		}
		if strings.Index(head, "<style>") > strings.Index(head, `<link rel="stylesheet"`) {
			t.Errorf("%s: inline CSS must come before the links", ua[:10])
		}
		hints := strings.Join(s.Informational[0].Header.Values("Link"), ",")
		if strings.Contains(hints, "/a.") || !strings.Contains(hints, "/big.") {
			t.Errorf("%s: 103 Link %q: want big.css and not the inlined a.css", ua[:10], hints)
		}
	}
}

// TestRuntimeInline checks where the client runtime goes: inline in <head>
// by default, linked with WithLinkedRuntime, and linked whenever it could
// not be inlined safely (too big, or it would end its <script> early).
func TestRuntimeInline(t *testing.T) {
	const small = "window.bigPipe = {setup: function () {}, onPageletArrive: function () {}};\n"
	tests := []struct {
		name     string
		runtime  string
		opts     []render.Option     // for the Renderer
		pageOpts []render.PageOption // for this page's handler alone
		inline   bool
	}{
		{"default", small, nil, nil, true},
		{"linked on request", small, []render.Option{render.WithLinkedRuntime(true)}, nil, false},
		{"linked for one page", small, nil, []render.PageOption{render.WithLinkedRuntime(true)}, false},
		{"too big", small + "var pad = '" + strings.Repeat("x", 5000) + "';\n", nil, nil, false},
		{"would close its element", small + "var s = '</script><b>';\n", nil, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg, err := assets.New(fstest.MapFS{"bigpipe.js": {Data: []byte(tc.runtime)}, "site.css": {Data: []byte("body{margin:0}")}})
			if err != nil {
				t.Fatal(err)
			}
			rd, err := render.New(reg, append([]render.Option{render.WithLogger(discard()), render.WithEarlyHints(render.HintsAlways), render.WithRuntime("bigpipe.js")}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptestServer(t, rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
				return pageOf(delayed("a", 0)), nil
			}, tc.pageOpts...))
			s := get(t, srv.URL, chromeUA)
			head, _, _ := strings.Cut(string(s.Body()), "</head>")
			rt, _ := reg.Get("bigpipe.js")
			inlined := strings.Contains(head, "<script>"+string(rt.Body)+"</script>")
			linked := strings.Contains(head, `<script src="`+rt.URL+`"></script>`)
			if inlined != tc.inline || linked == tc.inline {
				t.Errorf("runtime inlined %v, linked %v; want inlined %v:\n%s", inlined, linked, tc.inline, head)
			}
			var hints string
			if len(s.Informational) > 0 {
				hints = strings.Join(s.Informational[0].Header.Values("Link"), ",")
			}
			if preloaded := strings.Contains(hints, rt.URL); preloaded == tc.inline {
				t.Errorf("103 Link %q: runtime preloaded %v, want %v", hints, preloaded, !tc.inline)
			}
			if body := string(get(t, srv.URL, googlebotUA).Body()); strings.Contains(body, "bigPipe") {
				t.Errorf("plain HTML carries the runtime: %s", body)
			}
		})
	}
}
