package pages

import (
	"context"
	"crypto/tls"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

var syndNow = time.Date(2026, 3, 3, 9, 30, 0, 0, time.UTC)

// synthetic makes n articles of section sec, one an hour back from now.
func synthetic(sec string, n int, now time.Time) []store.Article {
	var out []store.Article
	for i := range n {
		out = append(out, store.Article{Slug: fmt.Sprintf("%s-%d", sec, i), Section: sec, Title: fmt.Sprintf("Story %d", i),
			Summary: "s", Author: "A. Writer", Published: now.Add(-time.Duration(i) * time.Hour)})
	}
	return out
}

func TestSitemapURLsListEveryArticleOnce(t *testing.T) {
	arts := append(synthetic("tech", 5, syndNow), synthetic("sports", 4, syndNow.Add(-30*time.Minute))...)
	sortNewestFirst(arts)
	urls := sitemapURLs("https://news.example", arts)
	secs := len(sections())
	if len(urls) != len(arts)+1+secs {
		t.Fatalf("%d URLs for %d articles, %d sections and the front page", len(urls), len(arts), secs)
	}
	if urls[0].Loc != "https://news.example/" || urls[0].LastMod != "2026-03-03T09:30:00Z" {
		t.Errorf("front page %+v, want / as new as the newest story", urls[0])
	}
	for _, u := range urls[1 : 1+secs] {
		switch u.Loc {
		case "https://news.example/section/tech":
			if u.LastMod != "2026-03-03T09:30:00Z" {
				t.Errorf("%s lastmod %s, want its newest story's", u.Loc, u.LastMod)
			}
		case "https://news.example/section/sports":
			if u.LastMod != "2026-03-03T09:00:00Z" {
				t.Errorf("%s lastmod %s, want its newest story's", u.Loc, u.LastMod)
			}
		default:
			if !strings.HasPrefix(u.Loc, "https://news.example/section/") || u.LastMod != "" {
				t.Errorf("section URL %+v: a section without stories has no lastmod", u)
			}
		}
	}
	urls = append(urls[:1], urls[1+secs:]...)
	seen := map[string]int{}
	for _, u := range urls[1:] {
		seen[u.Loc]++
	}
	for _, a := range arts {
		loc := "https://news.example/article/" + a.Slug
		if seen[loc] != 1 {
			t.Errorf("%s listed %d times", loc, seen[loc])
		}
	}
	for i, u := range urls[1:] {
		if want := arts[i].Published.UTC().Format(time.RFC3339); u.LastMod != want {
			t.Errorf("%s lastmod %s, want %s", u.Loc, u.LastMod, want)
		}
	}
}

func TestNewsURLsWindow(t *testing.T) {
	tests := []struct {
		age  time.Duration
		want bool
	}{
		{0, true},
		{time.Hour, true},
		{47*time.Hour + 59*time.Minute, true},
		{48 * time.Hour, true},
		{48*time.Hour + time.Second, false},
		{72 * time.Hour, false},
		{-time.Minute, false}, // dated after now: not published yet
	}
	var arts []store.Article
	for i, tt := range tests {
		arts = append(arts, store.Article{Slug: fmt.Sprint("a", i), Title: "T", Published: syndNow.Add(-tt.age)})
	}
	sortNewestFirst(arts)
	got := map[string]bool{}
	var prev string
	for _, u := range newsURLs("http://x.example", arts, syndNow) {
		got[u.Loc] = true
		if u.News == nil || u.News.Publication.Name != siteName || u.News.Publication.Language != "en" || u.News.Title != "T" {
			t.Errorf("%s: news %+v", u.Loc, u.News)
		}
		if prev != "" && u.News.Date > prev {
			t.Errorf("not newest first: %s after %s", u.News.Date, prev)
		}
		prev = u.News.Date
	}
	for i, tt := range tests {
		if loc := fmt.Sprint("http://x.example/article/a", i); got[loc] != tt.want {
			t.Errorf("age %v: listed %v, want %v", tt.age, got[loc], tt.want)
		}
	}
	many := make([]store.Article, 1500)
	for i := range many {
		many[i] = store.Article{Slug: fmt.Sprint("m", i), Published: syndNow.Add(-time.Duration(i) * time.Minute)}
	}
	if n := len(newsURLs("http://x.example", many, syndNow)); n != maxNewsURLs {
		t.Errorf("%d news URLs, want Google's limit %d", n, maxNewsURLs)
	}
}

func TestAtomDocBoundedNewestFirst(t *testing.T) {
	arts := synthetic("tech", 80, syndNow)
	f := atomDoc("https://news.example", SectionFeedPath("tech"), "tech", arts, syndNow)
	if len(f.Entries) != FeedEntries {
		t.Fatalf("%d entries, want %d", len(f.Entries), FeedEntries)
	}
	if f.ID != "https://news.example/feed/tech.atom" || f.Links[0].Rel != "self" || f.Links[0].Href != f.ID || f.Updated != "2026-03-03T09:30:00Z" {
		t.Errorf("feed id %q, links %+v, updated %s", f.ID, f.Links, f.Updated)
	}
	for i, e := range f.Entries {
		a := arts[i]
		url := "https://news.example/article/" + a.Slug
		if e.ID != url || e.Link.Href != url || e.Link.Rel != "alternate" || e.Title.Text != a.Title || e.Author.Name != a.Author ||
			e.Published != a.Published.UTC().Format(time.RFC3339) || e.Updated != e.Published || e.Summary.Text != a.Summary {
			t.Errorf("entry %d: %+v for %+v", i, e, a)
		}
		if i > 0 && e.Published > f.Entries[i-1].Published {
			t.Errorf("entry %d newer than entry %d", i, i-1)
		}
	}
	empty := atomDoc("https://news.example", SiteFeedPath, "", nil, syndNow)
	if empty.Updated != "2026-03-03T09:30:00Z" || len(empty.Entries) != 0 {
		t.Errorf("an empty feed: %+v", empty)
	}
}

// TestFeedEscaping: markup, quotes, a CDATA end and a control character in
// a story reach the feed escaped (the control character, which XML 1.0
// cannot hold, replaced), and the document reads back to the same text.
func TestFeedEscaping(t *testing.T) {
	title := `<b>Tom & "Jerry"</b> ]]> it's` + "\x01"
	arts := []store.Article{{Slug: "x", Section: "tech", Title: title, Summary: "<script>alert(1)</script>", Author: "<A&B>", Published: syndNow}}
	body, err := marshalXML(atomDoc(`http://a.example`, SiteFeedPath, "", arts, syndNow))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(body), "<b>") || strings.Contains(string(body), "<script>") {
		t.Fatalf("markup not escaped:\n%s", body)
	}
	var back atomFeed
	if err := xml.Unmarshal(body, &back); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	if want := strings.ReplaceAll(title, "\x01", "\uFFFD"); back.Entries[0].Title.Text != want {
		t.Errorf("title read back %q, want %q", back.Entries[0].Title.Text, want)
	}
	validate(t, "--relaxng", "atom.rng", body)
}

// TestSitemapIndex: past the limit /sitemap.xml is an index (valid by
// siteindex.xsd) of parts (each valid by sitemap.xsd) that list every URL
// once between them; a part past the last, or not named as a number, is 404.
func TestSitemapIndex(t *testing.T) {
	st, err := store.OpenMemory(store.WithNow(func() time.Time { return syndNow }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := NewSite(st, WithNow(func() time.Time { return syndNow }), WithPublicURL("https://news.example"))
	s.sitemapLimit = 10
	sy := &syndication{site: s, rdPath: "/_bigpipe/"}
	all, err := s.allArticles(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := len(all) + 1 + len(sections())
	if want <= 10 {
		t.Fatalf("only %d URLs: the limit must be lower for this test", want)
	}
	index := fetchDoc(t, sy.serve(sy.sitemap), "/sitemap.xml", http.StatusOK)
	validate(t, "--schema", "siteindex.xsd", index)
	var idx sitemapIndex
	if err := xml.Unmarshal(index, &idx); err != nil {
		t.Fatal(err)
	}
	if parts := (want + 9) / 10; len(idx.Sitemaps) != parts {
		t.Fatalf("%d parts for %d URLs, want %d", len(idx.Sitemaps), want, parts)
	}
	seen := map[string]int{}
	for i, ref := range idx.Sitemaps {
		path := strings.TrimPrefix(ref.Loc, "https://news.example")
		if path != sitemapPartPath(i+1) {
			t.Errorf("part %d at %s", i+1, ref.Loc)
		}
		body := fetchDoc(t, sy.serve(sy.sitemapPartDoc(strings.TrimPrefix(path, "/sitemap/"))), path, http.StatusOK)
		validate(t, "--schema", "sitemap.xsd", body)
		var us urlset
		if err := xml.Unmarshal(body, &us); err != nil {
			t.Fatal(err)
		}
		for _, u := range us.URLs {
			seen[u.Loc]++
		}
		if ref.LastMod != lastMod(us.URLs) {
			t.Errorf("part %d lastmod %s, its newest URL's %s", i+1, ref.LastMod, lastMod(us.URLs))
		}
	}
	if len(seen) != want {
		t.Errorf("the parts list %d URLs, want %d", len(seen), want)
	}
	for loc, n := range seen {
		if n != 1 {
			t.Errorf("%s listed %d times", loc, n)
		}
	}
	for _, part := range []string{"0.xml", fmt.Sprint(len(idx.Sitemaps)+1, ".xml"), "01.xml", "1", "x.xml"} {
		fetchDoc(t, sy.serve(sy.sitemapPartDoc(part)), "/sitemap/"+part, http.StatusNotFound)
	}
}

// TestSectionFeeds: each section's feed holds its own section's stories
// only, all of them (up to FeedEntries), newest first; the site's feed the
// newest FeedEntries of all.
func TestSectionFeeds(t *testing.T) {
	st, err := store.OpenMemory(store.WithNow(func() time.Time { return syndNow }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := NewSite(st, WithNow(func() time.Time { return syndNow }))
	sy := &syndication{site: s}
	for _, sec := range store.Sections() {
		arts, err := st.Section(t.Context(), sec, 0)
		if err != nil {
			t.Fatal(err)
		}
		var f atomFeed
		body := fetchDoc(t, sy.serve(sy.sectionFeed(sec+".atom")), SectionFeedPath(sec), http.StatusOK)
		if err := xml.Unmarshal(body, &f); err != nil {
			t.Fatal(err)
		}
		if len(f.Entries) != min(len(arts), FeedEntries) || len(f.Entries) == 0 {
			t.Errorf("%s: %d entries for %d stories", sec, len(f.Entries), len(arts))
		}
		for i, e := range f.Entries {
			if e.Category.Term != sec {
				t.Errorf("%s's feed holds %s of %s", sec, e.ID, e.Category.Term)
			}
			if e.ID != "http://example.com"+arts[i].URL() {
				t.Errorf("%s entry %d is %s, want %s (newest first)", sec, i, e.ID, arts[i].URL())
			}
		}
	}
	fetchDoc(t, sy.serve(sy.sectionFeed("nosuch.atom")), "/feed/nosuch.atom", http.StatusNotFound)
	fetchDoc(t, sy.serve(sy.sectionFeed("tech.xml")), "/feed/tech.xml", http.StatusNotFound)
	var site atomFeed
	if err := xml.Unmarshal(fetchDoc(t, sy.serve(sy.siteFeed), SiteFeedPath, http.StatusOK), &site); err != nil {
		t.Fatal(err)
	}
	all, _ := s.allArticles(t.Context())
	if len(site.Entries) != min(len(all), FeedEntries) {
		t.Errorf("the site's feed has %d entries of %d stories", len(site.Entries), len(all))
	}
	for i, e := range site.Entries {
		if e.ID != "http://example.com"+all[i].URL() {
			t.Errorf("site entry %d is %s, want %s", i, e.ID, all[i].URL())
		}
	}
}

func TestValidHost(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" = rejected
	}{
		{"news.example", "news.example"},
		{"News.Example:8080", "news.example:8080"},
		{"localhost", "localhost"},
		{"127.0.0.1:443", "127.0.0.1:443"},
		{"[::1]:8080", "[::1]:8080"},
		{"[::1]", "[::1]"},
		{"xn--bcher-kva.example.", "xn--bcher-kva.example."},
		{"", ""},
		{"::1", ""},
		{"[::1", ""},
		{"[::1]x", ""},
		{"[fe80::1%25eth0]", ""},
		{"a.example:0", ""},
		{"a.example:65536", ""},
		{"a.example:080", ""},
		{"a.example:", ""},
		{"a.example:+80", ""},
		{"a..example", ""},
		{"-a.example", ""},
		{"a_b.example", ""},
		{`a"b.example`, ""},
		{"a<b>", ""},
		{"a b", ""},
		{"a.example/path", ""},
		{"user@a.example", ""},
		{"a.example\r\nX: y", ""},
		{strings.Repeat("a", 64) + ".example", ""},
		{strings.Repeat("a.", 130) + "example", ""},
	}
	for _, tt := range tests {
		got, ok := ValidHost(tt.in)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("ValidHost(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestParsePublicURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "",
		"https://news.example":     "https://news.example",
		"https://News.Example/":    "https://news.example",
		"http://127.0.0.1:8080":    "http://127.0.0.1:8080",
		"ftp://news.example":       "!",
		"https://news.example/x":   "!",
		"https://news.example?q":   "!",
		"https://u@news.example":   "!",
		"news.example":             "!",
		"https://bad_host.example": "!",
		"https://news.example#f":   "!",
	} {
		got, err := ParsePublicURL(in)
		if (err != nil) != (want == "!") || (err == nil && got != want) {
			t.Errorf("ParsePublicURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestOrigin(t *testing.T) {
	req := func(host string, tlsOn bool, proto string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/sitemap.xml", nil)
		r.Host = host
		if tlsOn {
			r.TLS = &tls.ConnectionState{}
		}
		if proto != "" {
			r.Header.Set("X-Forwarded-Proto", proto)
		}
		return r
	}
	plain, public := &Site{}, &Site{publicURL: "https://news.example"}
	tests := []struct {
		s    *Site
		r    *http.Request
		want string // "" = error
	}{
		{plain, req("a.example:8080", false, ""), "http://a.example:8080"},
		{plain, req("a.example", true, ""), "https://a.example"},
		{plain, req("a.example", false, "https"), "https://a.example"}, // the server keeps it from trusted proxies only (internal/realip)
		{plain, req("a.example", false, "gopher"), "http://a.example"},
		{plain, req(`a"><x`, false, ""), ""},
		{public, req(`a"><x`, false, "http"), "https://news.example"},
	}
	for _, tt := range tests {
		got, err := tt.s.Origin(tt.r)
		if (err != nil) != (tt.want == "") || got != tt.want {
			t.Errorf("Origin(Host %q) = %q, %v; want %q", tt.r.Host, got, err, tt.want)
		}
	}
}

func TestNotModified(t *testing.T) {
	mod := time.Date(2026, 3, 3, 9, 0, 0, 500, time.UTC)
	tests := []struct {
		inm, ims string
		want     bool
	}{
		{"", "", false},
		{`"abc"`, "", true},
		{`W/"abc"`, "", true},
		{`"x", W/"abc"`, "", true},
		{"*", "", true},
		{`"x"`, mod.Format(http.TimeFormat), false}, // If-None-Match wins
		{"", mod.Format(http.TimeFormat), true},
		{"", mod.Add(-time.Second).Format(http.TimeFormat), false},
		{"", "yesterday", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if tt.inm != "" {
			r.Header.Set("If-None-Match", tt.inm)
		}
		if tt.ims != "" {
			r.Header.Set("If-Modified-Since", tt.ims)
		}
		if got := notModified(r, `"abc"`, mod); got != tt.want {
			t.Errorf("If-None-Match %q, If-Modified-Since %q: %v, want %v", tt.inm, tt.ims, got, tt.want)
		}
	}
}

// TestRobotsTxt: the renderer's and live engine's endpoints and a reader's
// own pages are disallowed, search results and assets are not, and both
// sitemaps are named by absolute URL.
func TestRobotsTxt(t *testing.T) {
	got := string(robotsTxt("https://news.example", "/_bigpipe/", "/_live/"))
	lines := strings.Split(got, "\n")
	for _, want := range []string{"User-agent: *", "Disallow: /_bigpipe/", "Disallow: /_live/", "Disallow: /account/", "Disallow: /desk",
		"Sitemap: https://news.example/sitemap.xml", "Sitemap: https://news.example/sitemap-news.xml"} {
		if !slices.Contains(lines, want) {
			t.Errorf("robots.txt lacks %q:\n%s", want, got)
		}
	}
	for _, l := range lines {
		if p, ok := strings.CutPrefix(l, "Disallow: "); ok && (strings.HasPrefix("/search", p) || strings.HasPrefix("/static/", p) || p == "/" || strings.HasPrefix("/bench", p)) {
			t.Errorf("robots.txt disallows %s", p)
		}
	}
}

// fetchDoc serves path with h and returns the body, failing t unless the
// status is want.
func fetchDoc(t *testing.T, h http.Handler, path string, want int) []byte {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequestWithContext(context.Background(), http.MethodGet, path, nil))
	if w.Code != want {
		t.Fatalf("GET %s: %d, want %d\n%s", path, w.Code, want, w.Body)
	}
	return w.Body.Bytes()
}

// validate checks body with xmllint against the schema file (in
// ../testdata/schemas) with flag (--schema or --relaxng).
func validate(t *testing.T, flag, schema string, body []byte) {
	t.Helper()
	xmllint := testenv.RequireProgram(t, "xmllint")
	f := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(f, body, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmllint, "--noout", "--nonet", flag, filepath.Join("..", "testdata", "schemas", schema), f).CombinedOutput()
	if err != nil {
		t.Errorf("xmllint %s %s: %v\n%s\n%s", flag, schema, err, out, body)
	}
}
