package e2e_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The two scripts of the wire protocol, as the server writes them. JSON in a
// script never contains ")</script>": "</" is always escaped as "<\/".
var (
	setupRE = regexp.MustCompile(`(?s)<script[^>]*>bigPipe\.setup\((.*?)\)</script>`)
	// One call; pagelets flushed together share a script element.
	arriveRE = regexp.MustCompile(`(?s)onPageletArrive\((\{.*?\})\)(?:;bigPipe\.|</script>)`)
	// patchedRE finds the native mode's runtime calls, one per template.
	patchedRE = regexp.MustCompile(`(?s)onPageletPatched\((\{.*?\})\)(?:;bigPipe\.|</script>)`)
)

// resource is one entry of a resource map.
type resource struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// pipePage is what a BigPipe response declares: the resource map, the
// pagelets in document order, and each pagelet's CSS and JS, as absolute
// URLs. The tests use it to know what the browser should have loaded.
type pipePage struct {
	pagelets []string
	css, js  map[string][]string // pagelet id -> absolute URLs
	all      []string            // every resource URL of the map, absolute
}

// fetchPipe fetches u as the browser ua over plain HTTP, checks that it
// comes in mode (pipelined or native), and parses the BigPipe wire
// protocol out of it: the pagelets, and each one's CSS and JS (from the
// setup for the placed ones, from its payload or patch call otherwise).
func fetchPipe(t *testing.T, u, ua, mode string) pipePage {
	t.Helper()
	body, hdr := fetch(t, u, ua)
	if got, want := hdr.Get("X-BigPipe-Mode"), mode; got != want {
		t.Fatalf("GET %s as %s: X-BigPipe-Mode = %q, want %q", u, ua, got, want)
	}
	base, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	abs := func(ref string) string {
		r, err := base.Parse(ref)
		if err != nil {
			t.Fatalf("resource URL %q: %v", ref, err)
		}
		return r.String()
	}

	var setup struct {
		Resources map[string]resource `json:"resources"`
		Pagelets  []string            `json:"pagelets"`
		Shown     []struct {          // placed in the skeleton
			ID  string   `json:"id"`
			CSS []string `json:"css"`
			JS  []string `json:"js"`
		} `json:"shown"`
	}
	m := setupRE.FindAllStringSubmatch(body, -1)
	if len(m) != 1 {
		t.Fatalf("GET %s: %d bigPipe.setup scripts, want 1", u, len(m))
	}
	if err := json.Unmarshal([]byte(m[0][1]), &setup); err != nil {
		t.Fatalf("GET %s: setup payload: %v", u, err)
	}
	p := pipePage{pagelets: setup.Pagelets, css: map[string][]string{}, js: map[string][]string{}}
	res := setup.Resources
	for _, pl := range setup.Shown {
		for _, id := range pl.CSS {
			p.css[pl.ID] = append(p.css[pl.ID], abs(res[id].URL))
		}
		for _, id := range pl.JS {
			p.js[pl.ID] = append(p.js[pl.ID], abs(res[id].URL))
		}
	}
	for _, m := range slices.Concat(arriveRE.FindAllStringSubmatch(body, -1), patchedRE.FindAllStringSubmatch(body, -1)) {
		var a struct {
			ID          string              `json:"id"`
			CSS         []string            `json:"css"`
			JS          []string            `json:"js"`
			ResourceMap map[string]resource `json:"resource_map"`
		}
		if err := json.Unmarshal([]byte(m[1]), &a); err != nil {
			t.Fatalf("GET %s: onPageletArrive payload: %v", u, err)
		}
		for id, r := range a.ResourceMap {
			if _, ok := res[id]; !ok {
				res[id] = r
			}
		}
		for _, id := range a.CSS {
			p.css[a.ID] = append(p.css[a.ID], abs(res[id].URL))
		}
		for _, id := range a.JS {
			p.js[a.ID] = append(p.js[a.ID], abs(res[id].URL))
		}
	}
	for _, r := range res {
		p.all = append(p.all, abs(r.URL))
	}
	slices.Sort(p.all)
	return p
}

// fetch GETs u with the given User-Agent and returns the body and headers.
func fetch(t *testing.T, u, userAgent string) (string, http.Header) {
	t.Helper()
	return fetchWith(t, u, http.Header{"User-Agent": {userAgent}})
}

// fetchWith GETs u with the request headers hdr and returns the body and
// the response headers. It fails t unless the answer is a 200.
func fetchWith(t *testing.T, u string, hdr http.Header) (string, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = hdr
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", u, resp.StatusCode)
	}
	return string(b), resp.Header
}

// plainHeadlines fetches the plain-HTML version of u (?nojs=1) and returns,
// for each pagelet container, the text of its first link with text (a
// headline), or for a pagelet without links its first text; whitespace is
// normalised.
func plainHeadlines(t *testing.T, u string) map[string]string {
	t.Helper()
	body, hdr := fetch(t, u, chromeUA)
	if got, want := hdr.Get("X-BigPipe-Mode"), "inorder"; got != want {
		t.Fatalf("GET %s: X-BigPipe-Mode = %q, want %q", u, got, want)
	}
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("GET %s: parse HTML: %v", u, err)
	}
	out := map[string]string{}
	for n := range doc.Descendants() {
		if n.DataAtom != atom.Div || !hasClass(n, "pagelet") {
			continue
		}
		id := attr(n, "id")
		for d := range n.Descendants() {
			if d.DataAtom == atom.A {
				if text := normalizeSpace(textOf(d)); text != "" {
					out[id] = text
					break
				}
			}
		}
		for d := range n.Descendants() {
			if out[id] != "" {
				break
			}
			if d.Type == html.TextNode {
				out[id] = normalizeSpace(d.Data)
			}
		}
		if out[id] == "" {
			t.Fatalf("GET %s: pagelet %q has no text", u, id)
		}
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	return slices.Contains(strings.Fields(attr(n, "class")), class)
}

func textOf(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}
