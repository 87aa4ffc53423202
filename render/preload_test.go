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

// preloadPage has two pagelets sharing shared.css, one with a.css, the
// other with the page's site.css and big.css, too big to inline (the
// others are small enough).
func preloadPage(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
	p := pageOf(delayed("a", 0), delayed("b", 0))
	p.Pagelets[0].CSS = []string{"shared.css", "a.css"}
	p.Pagelets[1].CSS = []string{"shared.css", "site.css", "big.css"}
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
// stylesheet once, in pagelet order, except those <head> links anyway and
// those small enough to travel inline in a payload; a plain page links them
// all instead and preloads nothing.
//
// Its pagelets come as payloads: one the skeleton places has its
// stylesheets in <head> (TestPlacedPagelets).
func TestHeadPreloadsPageletCSS(t *testing.T) {
	srv := serve(t, preloadPage, render.WithPayloadsOnly(true))
	for _, tc := range []struct {
		name, ua            string
		preload, stylesheet []string
	}{
		{"pipelined", chromeUA, []string{"/static/big.css"}, []string{"/static/site.css"}},
		{"plain HTML", googlebotUA, nil, []string{"/static/site.css", "/static/shared.css", "/static/a.css", "/static/big.css"}},
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
// pagelet stylesheets the skeleton preloads, each once, and not those that
// travel inline.
func TestEarlyHintsPreloadPageletCSS(t *testing.T) {
	srv := serve(t, preloadPage, render.WithEarlyHints(render.HintsAlways))
	for _, tc := range []struct {
		name, ua string
		want     []string
	}{
		{"pipelined", chromeUA, []string{"/static/site.css", "/static/big.css"}},
		{"plain HTML", googlebotUA, []string{"/static/site.css", "/static/shared.css", "/static/a.css", "/static/big.css"}},
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

// TestPayloadsInlineSmallCSS: a small pagelet stylesheet travels inline in
// the first payload that needs it and in no other; a file <head> links
// (site.css) or one too big to inline (big.css) never does.
func TestPayloadsInlineSmallCSS(t *testing.T) {
	srv := serve(t, preloadPage, render.WithPayloadsOnly(true))
	body := string(get(t, srv.URL, chromeUA).Body())
	ids := map[string]string{} // file name -> resource id
	for _, m := range regexp.MustCompile(`"(\w{5})":\{"type":"css","url":"/static/(\w+)\.[0-9a-f]{10}\.css"\}`).FindAllStringSubmatch(body, -1) {
		ids[m[2]] = m[1]
	}
	for _, f := range []string{"shared", "a", "big"} {
		if ids[f] == "" {
			t.Fatalf("no resource id for %s.css in the resource map:\n%s", f, body)
		}
	}
	calls := regexp.MustCompile(`bigPipe\.onPageletArrive\((\{.*?\})\)(?:;|</script>)`).FindAllStringSubmatch(body, -1)
	if len(calls) != 2 {
		t.Fatalf("%d payloads, want 2:\n%s", len(calls), body)
	}
	texts := map[string]string{"shared": ".shared{color:red}", "a": ".a{color:blue}"}
	for f, text := range texts {
		if got := strings.Count(body, `"`+ids[f]+`":"`+text+`"`); got != 1 {
			t.Errorf("%s.css inline %d times, want once:\n%s", f, got, body)
		}
	}
	if !strings.Contains(calls[0][1], `"styles":{"`+ids["shared"]+`":`) {
		t.Errorf("the first payload does not carry shared.css, which both pagelets need: %s", calls[0][1])
	}
	if strings.Contains(body, `"`+ids["big"]+`":".big`) || strings.Contains(body, `":"body{margin:0}"`) {
		t.Errorf("big.css or the head's site.css went inline:\n%s", body)
	}
}
