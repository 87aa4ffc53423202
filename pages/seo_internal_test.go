package pages

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// hostileTitles would end the script element, open a comment, break out
// of a JavaScript string or an attribute, if written as they are.
var hostileTitles = []string{
	`</script><script>alert(1)</script>`,
	`</SCRIPT ><img src=x onerror=alert(1)>`,
	`<!--<script>`,
	"\u2028\u2029 line separators",
	`" onload="alert(1)`,
	`'&amp;&lt;&#x3c;/script>`,
	`]]></script>`,
	"\x00\x1f\u007f\ufeff control",
	`\u003c/script>`,
	`{"@type":"Thing"}`,
}

// renderSEO renders seoTags for an article titled title and returns the
// markup.
func renderSEO(t testing.TB, title string) string {
	t.Helper()
	s := &Site{}
	r := httptest.NewRequest("GET", "https://news.example/article/x", nil)
	a := store.Article{Slug: "x", Section: "tech", Title: title, Summary: title, Author: title, Published: time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)}
	var b strings.Builder
	if err := seoTags(s.articleSEO(r, a)).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// checkHostile parses the markup as a browser would: exactly the two
// JSON-LD scripts and no other element than link and meta, and each
// script's text decodes to the title as given.
func checkHostile(t testing.TB, title, markup string) {
	t.Helper()
	nodes, err := html.ParseFragment(strings.NewReader(markup), &html.Node{Type: html.ElementNode, Data: "head", DataAtom: atom.Head})
	if err != nil {
		t.Fatal(err)
	}
	scripts := 0
	for _, n := range nodes {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.Data {
		case "link", "meta":
		case "script":
			scripts++
			if n.FirstChild == nil || n.FirstChild.NextSibling != nil {
				t.Fatalf("title %q: script without one text child", title)
			}
			// Nothing in the data that a parser or a script could trip on.
			for _, bad := range []string{"<", ">", "&", "\u2028", "\u2029"} {
				if strings.Contains(n.FirstChild.Data, bad) {
					t.Errorf("title %q: JSON-LD holds %q", title, bad)
				}
			}
			var v struct {
				Type     string `json:"@type"`
				Headline string `json:"headline"`
				Items    []struct {
					Name string `json:"name"`
				} `json:"itemListElement"`
			}
			if err := json.Unmarshal([]byte(n.FirstChild.Data), &v); err != nil {
				t.Fatalf("title %q: JSON-LD does not parse: %v\n%s", title, err, n.FirstChild.Data)
			}
			want := string([]rune(title)) // each invalid byte as U+FFFD, as encoding/json writes it
			switch v.Type {
			case "NewsArticle":
				if v.Headline != want {
					t.Errorf("headline %q, want %q", v.Headline, want)
				}
			case "BreadcrumbList":
				if len(v.Items) != 3 || v.Items[2].Name != want {
					t.Errorf("breadcrumbs %v, want the title last", v.Items)
				}
			}
		default:
			t.Errorf("title %q: a <%s> element in the head", title, n.Data)
		}
	}
	if scripts != 2 {
		t.Errorf("title %q: %d scripts, want the 2 JSON-LD ones", title, scripts)
	}
}

func TestJSONLDHostile(t *testing.T) {
	for _, title := range hostileTitles {
		checkHostile(t, title, renderSEO(t, title))
	}
}

func FuzzJSONLD(f *testing.F) {
	for _, s := range hostileTitles {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, title string) {
		checkHostile(t, title, renderSEO(t, title))
	})
}

func TestMarshalLDEscapes(t *testing.T) {
	b, err := marshalLD(map[string]string{"x": "<>&\u2028\u2029"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"x":"\u003c\u003e\u0026\u2028\u2029"}`; got != want {
		t.Errorf("marshalLD: %s, want %s", got, want)
	}
}

func TestPageOrigin(t *testing.T) {
	s := &Site{}
	for _, tc := range []struct {
		host, want string
		tls        bool
		fwd        string
	}{
		{"news.example", "http://news.example", false, ""},
		{"News.Example:8080", "http://news.example:8080", false, ""},
		{"news.example", "https://news.example", true, ""},
		{"news.example", "https://news.example", false, "https"},
		{"news.example", "http://news.example", true, "http"},
		{"news.example", "http://news.example", false, "gopher"},
		{"127.0.0.1:9000", "http://127.0.0.1:9000", false, ""},
		{"[::1]:9000", "http://[::1]:9000", false, ""},
		{"evil.example/<script>", "http://localhost", false, ""},
		{`a"b`, "http://localhost", false, ""},
		{"x:99999999", "http://localhost", false, ""},
		{"", "http://localhost", false, ""},
		{"[::1", "http://localhost", false, ""},
		{"-x.example", "http://localhost", false, ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = tc.host
		if tc.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if tc.fwd != "" {
			r.Header.Set("X-Forwarded-Proto", tc.fwd) // what internal/realip leaves of a trusted proxy's
		}
		if got := s.origin(r); got != tc.want {
			t.Errorf("host %q tls %v forwarded %q: %q, want %q", tc.host, tc.tls, tc.fwd, got, tc.want)
		}
	}
	s.publicURL = "https://news.example"
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = "attacker.example"
	if got := s.origin(r); got != "https://news.example" {
		t.Errorf("with a public URL: %q", got)
	}
}
