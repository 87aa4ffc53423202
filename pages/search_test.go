package pages_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
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
