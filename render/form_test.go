package render_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// TestFormScript lists render.FormScript in a page's JS: the pipelined
// and the plain page both load it from the Renderer's path, which serves
// it, with the built-in runtime and with the site's (WithRuntime).
func TestFormScript(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []render.Option
	}{
		{"built-in runtime", nil},
		{"site's runtime", []render.Option{render.WithRuntime("bigpipe.js")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rd, err := render.New(testAssets(t), append([]render.Option{render.WithLogger(discard())}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			page := rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
				return &pagelet.Page{Title: "form", JS: []string{render.FormScript},
					Layout:   func(slot pagelet.Slot) templ.Component { return slot("p") },
					Pagelets: []pagelet.Pagelet{{ID: "p", Load: func(context.Context) (templ.Component, error) { return text("form"), nil }}}}, nil
			})
			mux := http.NewServeMux()
			mux.Handle("/", page)
			mux.Handle(rd.Path(), rd)
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			url := regexp.MustCompile(regexp.QuoteMeta(rd.Path()) + `form\.[0-9a-z]+\.js`)
			for _, ua := range []string{chromeUA, googlebotUA} {
				body := fetchBody(t, srv.URL+"/", ua)
				src := url.FindString(body)
				if src == "" {
					t.Fatalf("%s: no form script under %s in the page:\n%s", ua, rd.Path(), body)
				}
				js := fetchBody(t, srv.URL+src, chromeUA)
				if !strings.Contains(js, "data-bigpipe-form") {
					t.Errorf("%s serves %.100q, not the form script", src, js)
				}
			}
		})
	}
}

// fetchBody GETs url as ua and returns the body of its 200.
func fetchBody(t *testing.T, url, ua string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	req.Header.Set("User-Agent", ua)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return string(b)
}
