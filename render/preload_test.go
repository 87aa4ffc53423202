package render_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/wire"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

var (
	preloadRE    = regexp.MustCompile(`<link rel="preload" as="style" href="([^"]+)">`)
	stylesheetRE = regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)">`)
)

// preloadPage has two pagelets sharing shared.css, one with a.css, and the
// page's site.css, which a pagelet lists too.
func preloadPage(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
	p := pageOf(delayed("a", 0), delayed("b", 0))
	p.Pagelets[0].CSS = []string{"shared.css", "a.css"}
	p.Pagelets[1].CSS = []string{"shared.css", "site.css"}
	return p, nil
}

func head(body string) string {
	h, _, _ := strings.Cut(body, "</head>")
	return h
}

// hrefs returns the first submatch of every match of re in s, with the
// fingerprint left out: "/static/a.css" for "/static/a.0123456789.css".
func hrefs(re *regexp.Regexp, s string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		out = append(out, regexp.MustCompile(`\.[0-9a-f]{10}\.`).ReplaceAllString(m[1], "."))
	}
	return out
}

// TestHeadPreloadsPageletCSS: a BigPipe skeleton preloads each pagelet
// stylesheet once, in pagelet order, except those <head> links anyway; a
// plain page links them instead and preloads nothing.
func TestHeadPreloadsPageletCSS(t *testing.T) {
	srv := serve(t, preloadPage)
	for _, tc := range []struct {
		name, ua            string
		preload, stylesheet []string
	}{
		{"pipelined", chromeUA, []string{"/static/shared.css", "/static/a.css"}, []string{"/static/site.css"}},
		{"plain HTML", googlebotUA, nil, []string{"/static/site.css", "/static/shared.css", "/static/a.css"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := head(string(get(t, srv.URL, tc.ua).Body()))
			if got := hrefs(preloadRE, h); strings.Join(got, " ") != strings.Join(tc.preload, " ") {
				t.Errorf("preloads %q, want %q\nhead: %s", got, tc.preload, h)
			}
			if got := hrefs(stylesheetRE, h); strings.Join(got, " ") != strings.Join(tc.stylesheet, " ") {
				t.Errorf("stylesheets %q, want %q\nhead: %s", got, tc.stylesheet, h)
			}
			if tc.preload != nil && strings.Index(h, `rel="preload"`) > strings.Index(h, "<script") {
				t.Errorf("preloads come after the runtime: %s", h)
			}
		})
	}
}

// TestEarlyHintsPreloadPageletCSS: the 103 of a BigPipe page announces the
// pagelets' stylesheets as the skeleton preloads them, each once.
func TestEarlyHintsPreloadPageletCSS(t *testing.T) {
	srv := serve(t, preloadPage, render.WithEarlyHints(render.HintsAlways))
	for _, tc := range []struct {
		name, ua string
		want     []string
	}{
		{"pipelined", chromeUA, []string{"/static/site.css", "/static/shared.css", "/static/a.css"}},
		{"plain HTML", googlebotUA, []string{"/static/site.css", "/static/shared.css", "/static/a.css"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			s, err := wire.Do(ctx, "GET", srv.URL, http.Header{"User-Agent": {tc.ua}}, "HTTP/1.1")
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.ReadAll(); err != nil {
				t.Fatal(err)
			}
			if len(s.Informational) != 1 {
				t.Fatalf("%d informational responses, want one 103", len(s.Informational))
			}
			links := strings.Join(s.Informational[0].Header.Values("Link"), ", ")
			got := hrefs(regexp.MustCompile(`<([^>]+)>; rel=preload; as=style`), links)
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("103 preloads %q, want %q", got, tc.want)
			}
		})
	}
}
