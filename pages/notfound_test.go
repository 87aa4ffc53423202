package pages_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// googlebotUA is a crawler's User-Agent: the renderer would give it plain HTML.
const googlebotUA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

// cssLink matches the 404 page's stylesheet link.
var cssLink = regexp.MustCompile(`<link rel="stylesheet" href="(/static/css/site\.[0-9a-f]+\.css)">`)

// TestNotFoundPage requests unknown paths and unknown stories over HTTP, as
// a browser with JavaScript, one without and a crawler: each gets status 404
// and the site's own 404 page (its nav, its hashed stylesheet, which loads,
// and links onward), with the path escaped.
func TestNotFoundPage(t *testing.T) {
	srv := site(t)
	for _, tc := range []struct {
		name, path string
		want       []string // in the body
	}{
		{"unknown path", "/nope", []string{"There is no page at <code>/nope</code>", "Go on from here:"}},
		{"deep path", "/a/b/c.html", []string{"There is no page at <code>/a/b/c.html</code>"}},
		{"unknown story", "/article/no-such-story", []string{
			"We have no story at <code>/article/no-such-story</code>",
			`Try a search for <a href="/search?q=no+such+story">no such story</a>`,
		}},
		{"malformed slug", "/article/Rail--", []string{"We have no story at <code>/article/Rail--</code>", "Go on from here:"}},
		{"hostile path", "/%3Cscript%3Ealert(1)%3C/script%3E", []string{"There is no page at <code>/&lt;script&gt;alert(1)&lt;/script&gt;</code>"}},
	} {
		for _, client := range []struct{ name, ua, query string }{
			{"js", chromeUA, ""},
			{"nojs", chromeUA, "?nojs=1"},
			{"crawler", googlebotUA, ""},
		} {
			t.Run(tc.name+"/"+client.name, func(t *testing.T) {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+tc.path+client.query, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("User-Agent", client.ua)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				body := string(b)
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("status %d, want 404", resp.StatusCode)
				}
				if got := resp.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
					t.Errorf("Content-Type %q", got)
				}
				want := append([]string{
					"<!doctype html>", "<title>Page not found — The Daily Pipe</title>", `<meta name="robots" content="noindex">`,
					`<nav class="site-nav"`, `<h1 class="not-found__title">Page not found</h1>`,
					`<a href="/">The front page</a>`, `<a href="/#sec-finance">Business</a>`, `<a href="/search">Search all stories</a>`,
					`<footer class="site-footer">`,
				}, tc.want...)
				for _, w := range want {
					if !strings.Contains(body, w) {
						t.Errorf("body lacks %q", w)
					}
				}
				if strings.Contains(body, "<script") {
					t.Errorf("404 page has a script (or an unescaped path):\n%s", body)
				}
				m := cssLink.FindStringSubmatch(body)
				if m == nil {
					t.Fatalf("no hashed site.css link in:\n%s", body)
				}
				css, err := http.Get(srv.URL + m[1])
				if err != nil {
					t.Fatal(err)
				}
				css.Body.Close()
				if css.StatusCode != http.StatusOK {
					t.Errorf("GET %s: %d, want 200", m[1], css.StatusCode)
				}
			})
		}
	}
}

// TestKnownPathsStill200 checks that the catch-all 404 route does not shadow
// the site's real pages.
func TestKnownPathsStill200(t *testing.T) {
	srv := site(t)
	for path, want := range map[string]int{
		"/": 200, "/search?q=rail": 200, "/healthz": 200, "/favicon.ico": 204, "/static/css/site.css": 200,
		"/bench?delays=0": 200, "/static/css/nope.css": 404,
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}
