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

// TestBundles links a declared bundle instead of its parts wherever a page
// needs all of them, and the parts where it needs only some.
func TestBundles(t *testing.T) {
	reg, err := assets.New(fstest.MapFS{
		"bigpipe.js": {Data: []byte("window.bigPipe = {};")},
		"site.css":   {Data: []byte("body { margin: 0 }")},
		"a.css":      {Data: []byte(".a { color: blue }")},
		"b.css":      {Data: []byte(".b { color: red }")},
		"c.css":      {Data: []byte(".c { color: green }")},
	}, assets.WithBundle("all.css", "site.css", "a.css", "b.css"))
	if err != nil {
		t.Fatal(err)
	}
	rd, err := render.New(reg, render.WithLogger(discard()), render.WithEarlyHints(render.HintsAlways))
	if err != nil {
		t.Fatal(err)
	}
	withCSS := func(id string, css ...string) pagelet.Pagelet { p := delayed(id, 0); p.CSS = css; return p }
	pages := map[string]*pagelet.Page{
		"/all":  pageOf(withCSS("a", "a.css"), withCSS("b", "b.css", "c.css")),
		"/some": pageOf(withCSS("a", "a.css")),
	}
	mux := http.NewServeMux()
	mux.Handle("/", rd.Page(func(_ http.ResponseWriter, r *http.Request) (*pagelet.Page, error) { return pages[r.URL.Path], nil }))
	srv := httptestServer(t, mux)
	tests := []struct {
		path, ua string
		want     []string // stylesheets linked in <head>, by name prefix
	}{
		{"/all", googlebotUA, []string{"all.", "c."}},
		{"/some", googlebotUA, []string{"site.", "a."}},
		{"/all", chromeUA, []string{"site."}}, // BigPipe: pagelet CSS is the runtime's to load
	}
	for _, tc := range tests {
		t.Run(tc.path+" "+tc.ua[:10], func(t *testing.T) {
			s := get(t, srv.URL+tc.path, tc.ua)
			head, _, _ := strings.Cut(string(s.Body()), "</head>")
			var got []string
			for _, l := range strings.Split(head, `<link rel="stylesheet" href="/static/`)[1:] {
				name, _, _ := strings.Cut(l, ".")
				got = append(got, name+".")
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("linked %v, want %v", got, tc.want)
			}
			hints := strings.Join(s.Informational[0].Header.Values("Link"), ",")
			for _, w := range tc.want {
				if !strings.Contains(hints, "/static/"+w) {
					t.Errorf("103 %q lacks %s", hints, w)
				}
			}
		})
	}
}
