package pages_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
)

func TestSearchEscapesQuery(t *testing.T) {
	site, _ := newSite(t)
	payloads := []string{
		"<script>alert(1)</script>",
		`"><img src=x onerror=alert(1)>`,
		`' onmouseover='alert(1)`,
		"</title><script>alert(1)</script>",
		"rail<b>",
		"\xff\xfe<script>",
	}
	for _, q := range payloads {
		t.Run(q, func(t *testing.T) {
			page, w := get(t, site.Search, "/search?q="+url.QueryEscape(q))
			if page == nil {
				t.Fatalf("got no page (status %d)", w.Code)
			}
			body := renderPlain(t, page)
			for _, raw := range []string{"<script>", "<img", "<b>", "</title>"} {
				if strings.Contains(q, raw) && strings.Contains(body, raw) {
					t.Errorf("raw %q appears unescaped in the page", raw)
				}
			}
			value, heading := inspectMarkup(t, body)
			if utf8.ValidString(q) {
				if value != q {
					t.Errorf("search box value = %q, want the query as typed %q", value, q)
				}
				if heading != q {
					t.Errorf("heading query = %q, want the query as typed %q", heading, q)
				}
			}
			escaped := html.EscapeString(q)
			if !strings.Contains(body, `value="`+escaped+`"`) {
				t.Errorf("search box value is not the escaped query %q", escaped)
			}
			if !strings.Contains(body, "<q class=\"pl-searchhead__query\">"+escaped+"</q>") {
				t.Errorf("heading does not show the escaped query %q", escaped)
			}
		})
	}
}

func TestSearchQueryLength(t *testing.T) {
	site, _ := newSite(t)
	tests := []struct {
		name     string
		q        string
		wantCode int
	}{
		{"200 ascii", strings.Repeat("a", 200), http.StatusOK},
		{"200 multibyte", strings.Repeat("é", 200), http.StatusOK},
		{"201 ascii", strings.Repeat("a", 201), http.StatusBadRequest},
		{"huge", strings.Repeat("<x>", 5000), http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, w := get(t, site.Search, "/search?q="+url.QueryEscape(tc.q))
			if got := w.Code; got != tc.wantCode {
				t.Fatalf("status %d, want %d", got, tc.wantCode)
			}
			if tc.wantCode == http.StatusOK {
				if page == nil || page.Validate() != nil {
					t.Fatalf("want a valid page, got %v", page)
				}
				return
			}
			if page != nil {
				t.Error("got a page for an answered request")
			}
			if !strings.Contains(w.Body.String(), "too long") {
				t.Errorf("body %q does not explain the error", w.Body)
			}
			if strings.Contains(w.Body.String(), "<x>") {
				t.Error("error message echoes the query")
			}
		})
	}
}

// inspectMarkup parses body as HTML and fails the test on any element that
// could run script: <script>, <img>, <iframe>, or an on… event attribute
// (the site's markup has none of them). It returns the search box's value
// and the text of the heading's <q>.
func inspectMarkup(t *testing.T, body string) (value, heading string) {
	t.Helper()
	z := xhtml.NewTokenizer(strings.NewReader(body))
	inHeading := false
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			if z.Err() != io.EOF {
				t.Fatalf("parsing page: %v", z.Err())
			}
			return value, heading
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "script", "img", "iframe", "object", "embed":
				t.Errorf("page contains a <%s> element", tok.Data)
			}
			for _, a := range tok.Attr {
				if strings.HasPrefix(a.Key, "on") {
					t.Errorf("<%s> has an event handler attribute %s=%q", tok.Data, a.Key, a.Val)
				}
				if tok.Data == "input" && a.Key == "id" && a.Val == "site-search" {
					for _, b := range tok.Attr {
						if b.Key == "value" {
							value = b.Val
						}
					}
				}
				if tok.Data == "q" && a.Key == "class" && a.Val == "pl-searchhead__query" {
					inHeading = true
				}
			}
		case xhtml.TextToken:
			if inHeading {
				heading += z.Token().Data
			}
		case xhtml.EndTagToken:
			if z.Token().Data == "q" {
				inHeading = false
			}
		}
	}
}

// sectionLink matches a "Sections with matches" entry: its link and count.
var sectionLink = regexp.MustCompile(`<li><a href="(/search\?q=[^"]*)"[^>]*>([^<]+)</a> <span class="pl-suggestions__count">(\d+)</span></li>`)

// resultKicker matches the section label of one search result.
var resultKicker = regexp.MustCompile(`<li class="pl-results__item"><article><p class="kicker">([^<]+)</p>`)

// TestSectionsWithMatchesLinkToMatches follows every "Sections with
// matches" link of a search over HTTP: each leads to that section's matches
// (as many as the count beside the link, all of that section, the link
// marked current), not to the front page.
func TestSectionsWithMatchesLinkToMatches(t *testing.T) {
	srv := site(t)
	get := func(t *testing.T, path string) string {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("User-Agent", googlebotUA) // plain HTML: the pagelets inline
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return string(b)
	}
	for _, q := range []string{"rail", "storm", "e"} { // "e" matches more stories in all than one page of results (25) shows
		t.Run(q, func(t *testing.T) {
			links := sectionLink.FindAllStringSubmatch(get(t, "/search?q="+url.QueryEscape(q)), -1)
			if len(links) == 0 {
				t.Fatalf("search %q shows no sections with matches", q)
			}
			for _, l := range links {
				href, title := html.UnescapeString(l[1]), l[2]
				want, _ := strconv.Atoi(l[3])
				body := get(t, href)
				var got []string
				for _, m := range resultKicker.FindAllStringSubmatch(body, -1) {
					got = append(got, html.UnescapeString(m[1]))
				}
				if len(got) != min(want, 25) {
					t.Errorf("%s (%s): %d results, want the %d the link counts", title, href, len(got), want)
				}
				for _, k := range got {
					if k != html.UnescapeString(title) {
						t.Errorf("%s (%s): a result from %q", title, href, k)
					}
				}
				if !strings.Contains(body, `aria-current="page">`+title+`</a>`) {
					t.Errorf("%s (%s): the section's link is not marked current", title, href)
				}
				if !strings.Contains(body, "found in "+title) || !strings.Contains(body, `href="/search?q=`+url.QueryEscape(q)+`">Matches in every section`) {
					t.Errorf("%s (%s): the page does not say it is narrowed, or has no way back to every section", title, href)
				}
			}
		})
	}
}

func TestSearchUnknownSection(t *testing.T) {
	site, _ := newSite(t)
	for _, sec := range []string{"finanse", "<script>", "Finance"} {
		page, w := get(t, site.Search, "/search?q=rail&section="+url.QueryEscape(sec))
		if page != nil || w.Code != http.StatusBadRequest {
			t.Errorf("section %q: status %d (page %v), want 400", sec, w.Code, page != nil)
		}
		if body := w.Body.String(); !strings.Contains(body, "Unknown section") || !strings.Contains(body, "hotnews, society, finance, tech, sports") {
			t.Errorf("section %q: body %q", sec, body)
		}
		// The name is echoed, so the body must never be taken for HTML.
		if ct, sniff := w.Header().Get("Content-Type"), w.Header().Get("X-Content-Type-Options"); !strings.HasPrefix(ct, "text/plain") || sniff != "nosniff" {
			t.Errorf("section %q: Content-Type %q, X-Content-Type-Options %q", sec, ct, sniff)
		}
	}
}
