package main

import (
	"compress/gzip"
	"encoding/xml"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

// fetchSynd GETs (or HEADs) path from base with the extra headers (name, value
// pairs), returning the response with its body read (and gunzipped).
func fetchSynd(t *testing.T, method, url string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		if r, err = gzip.NewReader(resp.Body); err != nil {
			t.Fatal(err)
		}
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// xmllint validates body with the schema of testdata/schemas (flag
// --schema for an XSD, --relaxng for RELAX NG).
func xmllint(t *testing.T, flag, schema, name string, body []byte) {
	t.Helper()
	bin := testenv.RequireProgram(t, "xmllint")
	f := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(f, body, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "--noout", "--nonet", flag, filepath.Join("testdata", "schemas", schema), f).CombinedOutput(); err != nil {
		t.Errorf("%s is not valid by %s: %v\n%s", name, schema, err, out)
	}
}

type (
	testURLSet struct {
		URLs []struct {
			Loc     string `xml:"loc"`
			LastMod string `xml:"lastmod"`
			News    *struct {
				Date  string `xml:"publication_date"`
				Title string `xml:"title"`
			} `xml:"http://www.google.com/schemas/sitemap-news/0.9 news"`
		} `xml:"url"`
	}
	testFeed struct {
		ID      string `xml:"id"`
		Author  string `xml:"author>name"`
		Entries []struct {
			ID     string `xml:"id"`
			Author string `xml:"author>name"`
			Links  []struct {
				Rel  string `xml:"rel,attr"`
				Href string `xml:"href,attr"`
			} `xml:"link"`
		} `xml:"entry"`
	}
)

// TestSyndication runs the real server and fetches its sitemaps, robots.txt
// and Atom feeds over loopback: each valid by its official schema
// (xmllint), with its media type, caching headers, 304 to a conditional
// request, HEAD and gzip; every article of the feeds listed once in the
// sitemap; the front page's head linking every feed.
func TestSyndication(t *testing.T) {
	srv := startRun(t)
	base := srv.base
	feeds := []string{"/feed.atom"}
	for _, sec := range []string{"hotnews", "society", "finance", "tech", "sports"} {
		feeds = append(feeds, "/feed/"+sec+".atom")
	}
	type doc struct {
		path, ctype, flag, schema string
	}
	docs := []doc{
		{"/sitemap.xml", "application/xml; charset=utf-8", "--schema", "sitemap.xsd"},
		{"/sitemap-news.xml", "application/xml; charset=utf-8", "--schema", "news-sitemap.xsd"},
		{"/robots.txt", "text/plain; charset=utf-8", "", ""},
	}
	for _, f := range feeds {
		docs = append(docs, doc{f, "application/atom+xml; charset=utf-8", "--relaxng", "atom.rng"})
	}
	bodies := map[string][]byte{}
	for _, d := range docs {
		resp, body := fetchSynd(t, "GET", base+d.path)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != d.ctype || resp.Header.Get("Cache-Control") != "public, max-age=300" {
			t.Errorf("GET %s: %d, Content-Type %q, Cache-Control %q", d.path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
			continue
		}
		bodies[d.path] = body
		if d.schema != "" {
			xmllint(t, d.flag, d.schema, d.path, body)
			if resp.Header.Get("Last-Modified") == "" {
				t.Errorf("GET %s: no Last-Modified", d.path)
			}
		}
		etag := resp.Header.Get("ETag")
		if r304, b := fetchSynd(t, "GET", base+d.path, "If-None-Match", etag); r304.StatusCode != http.StatusNotModified || len(b) != 0 {
			t.Errorf("GET %s with If-None-Match %s: %d, %d bytes", d.path, etag, r304.StatusCode, len(b))
		}
		if h, b := fetchSynd(t, "HEAD", base+d.path); h.StatusCode != 200 || len(b) != 0 || h.Header.Get("Content-Type") != d.ctype || h.Header.Get("ETag") != etag {
			t.Errorf("HEAD %s: %d, %d bytes, %q, ETag %q (GET's %q)", d.path, h.StatusCode, len(b), h.Header.Get("Content-Type"), h.Header.Get("ETag"), etag)
		}
		if z, b := fetchSynd(t, "GET", base+d.path, "Accept-Encoding", "gzip"); z.Header.Get("Content-Encoding") != "gzip" || string(b) != string(body) {
			t.Errorf("GET %s gzipped: Content-Encoding %q, same body %v", d.path, z.Header.Get("Content-Encoding"), string(b) == string(body))
		}
	}
	if t.Failed() {
		return
	}

	var sm, news testURLSet
	if err := xml.Unmarshal(bodies["/sitemap.xml"], &sm); err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(bodies["/sitemap-news.xml"], &news); err != nil {
		t.Fatal(err)
	}
	listed := map[string]int{}
	for _, u := range sm.URLs {
		listed[u.Loc]++
		if !strings.HasPrefix(u.Loc, base+"/") || u.LastMod == "" {
			t.Errorf("sitemap URL %s, lastmod %q", u.Loc, u.LastMod)
		}
	}
	if listed[base+"/"] != 1 {
		t.Errorf("the front page is listed %d times", listed[base+"/"])
	}
	// The section feeds between them hold every story (the demo's sections
	// have fewer than 50 each): each is in the sitemap once, and nothing
	// else is.
	inFeeds := 0
	for _, f := range feeds[1:] {
		var feed testFeed
		if err := xml.Unmarshal(bodies[f], &feed); err != nil {
			t.Fatal(err)
		}
		if feed.ID != base+f || len(feed.Entries) == 0 {
			t.Errorf("%s: id %s, %d entries", f, feed.ID, len(feed.Entries))
		}
		for _, e := range feed.Entries {
			inFeeds++
			if listed[e.ID] != 1 {
				t.Errorf("%s: %s is listed %d times in the sitemap", f, e.ID, listed[e.ID])
			}
			// RFC 4287's Schematron rules, which xmllint does not check.
			alt := false
			for _, l := range e.Links {
				alt = alt || (l.Rel == "alternate" && l.Href == e.ID)
			}
			if !alt || (e.Author == "" && feed.Author == "") {
				t.Errorf("%s: entry %s without an alternate link or an author", f, e.ID)
			}
		}
	}
	articles := 0
	for _, u := range sm.URLs {
		if strings.Contains(u.Loc, "/article/") {
			articles++
		}
	}
	if inFeeds != articles {
		t.Errorf("the sitemap lists %d articles, the section feeds %d", articles, inFeeds)
	}
	if len(news.URLs) == 0 {
		t.Error("the news sitemap is empty: the demo's stories are hours old")
	}
	for _, u := range news.URLs {
		if listed[u.Loc] != 1 || u.News == nil || u.News.Title == "" {
			t.Errorf("news sitemap: %s (in the sitemap %d times), news %+v", u.Loc, listed[u.Loc], u.News)
		}
	}

	robots := string(bodies["/robots.txt"])
	for _, want := range []string{"Sitemap: " + base + "/sitemap.xml\n", "Sitemap: " + base + "/sitemap-news.xml\n", "Disallow: /_bigpipe/\n", "Disallow: /_live/\n"} {
		if !strings.Contains(robots, want) {
			t.Errorf("robots.txt lacks %q:\n%s", want, robots)
		}
	}

	// The front page's head, as a crawler gets it, names every feed.
	_, home := fetchSynd(t, "GET", base+"/", "User-Agent", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
	head, _, _ := strings.Cut(string(home), "</head>")
	alt := regexp.MustCompile(`<link rel="alternate" type="application/atom\+xml" title="[^"]+" href="([^"]+)">`)
	var linked []string
	for _, m := range alt.FindAllStringSubmatch(head, -1) {
		linked = append(linked, m[1])
	}
	if strings.Join(linked, " ") != strings.Join(feeds, " ") {
		t.Errorf("the front page's head links the feeds %v, want %v", linked, feeds)
	}
}

// TestSyndicationOrigin: the absolute URLs take -public-url when it is set;
// else the request's Host, and https only when a trusted proxy says so in
// X-Forwarded-Proto (anyone else's is ignored). A Host that is not a
// host[:port] is refused, never written into the XML.
func TestSyndicationOrigin(t *testing.T) {
	srv := startRun(t, "-trusted-proxies", "127.0.0.2") // not the test's own address
	_, b := fetchSynd(t, "GET", srv.base+"/robots.txt", "X-Forwarded-Proto", "https")
	if !strings.Contains(string(b), "Sitemap: "+srv.base+"/sitemap.xml") {
		t.Errorf("an untrusted X-Forwarded-Proto changed the scheme:\n%s", b)
	}
	_, b = fetchSynd(t, "GET", srv.base+"/sitemap.xml", "Host", "News.Example:8443")
	if !strings.Contains(string(b), "<loc>http://news.example:8443/</loc>") {
		t.Errorf("the sitemap does not take the request's Host:\n%.300s", b)
	}
	for _, host := range []string{"a'b.example", "a_b.example", "a.example:99999", "a.example:0"} {
		if resp, b := fetchSynd(t, "GET", srv.base+"/sitemap.xml", "Host", host); resp.StatusCode != http.StatusBadRequest || strings.Contains(string(b), "<urlset") {
			t.Errorf("Host %q: %d\n%.200s", host, resp.StatusCode, b)
		}
	}

	trusting := startRun(t, "-trusted-proxies", "127.0.0.1")
	for proto, want := range map[string]string{"https": "https://", "http": "http://", "https, http": "http://", "gopher": "http://"} {
		_, b := fetchSynd(t, "GET", trusting.base+"/robots.txt", "X-Forwarded-Proto", proto)
		if !strings.Contains(string(b), "Sitemap: "+want+strings.TrimPrefix(trusting.base, "http://")+"/sitemap.xml") {
			t.Errorf("X-Forwarded-Proto %q from a trusted proxy: want %s\n%s", proto, want, b)
		}
	}

	public := startRun(t, "-public-url", "https://news.example")
	_, b = fetchSynd(t, "GET", public.base+"/feed.atom", "Host", "other.example")
	if !strings.Contains(string(b), `<link rel="self" type="application/atom+xml" href="https://news.example/feed.atom">`) || strings.Contains(string(b), "other.example") {
		t.Errorf("-public-url is not the feed's origin:\n%.600s", b)
	}
}

// TestPublicURLFlag: -public-url must be an origin.
func TestPublicURLFlag(t *testing.T) {
	for _, v := range []string{"news.example", "https://news.example/path", "ftp://news.example", "https://news.example?x=1"} {
		if _, err := parseFlags([]string{"-public-url", v}); err == nil || !strings.Contains(err.Error(), "-public-url") {
			t.Errorf("-public-url %s: %v", v, err)
		}
	}
	c, err := parseFlags([]string{"-public-url", "HTTPS://News.Example/"})
	if err != nil || c.publicURL != "https://news.example" {
		t.Errorf("-public-url HTTPS://News.Example/: %q, %v", c.publicURL, err)
	}
}
