package render_test

import (
	"net/http"
	"strings"
	"testing"

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
		if strings.Index(head, "<style>") > strings.Index(head, "<link") {
			t.Errorf("%s: inline CSS must come before the links", ua[:10])
		}
		hints := strings.Join(s.Informational[0].Header.Values("Link"), ",")
		if strings.Contains(hints, "/a.") || !strings.Contains(hints, "/big.") {
			t.Errorf("%s: 103 Link %q: want big.css and not the inlined a.css", ua[:10], hints)
		}
	}
}
