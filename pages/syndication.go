package pages

// What crawlers and feed readers fetch besides the pages: the sitemap (and
// its index past maxSitemapURLs), the Google News sitemap, robots.txt and
// the Atom feeds (RFC 4287), one for the site and one per section. Each is
// made from the store at the request, with absolute URLs on the site's
// origin ([Site.Origin]), and every string escaped by encoding/xml.

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

const (
	// maxSitemapURLs is the most URLs one sitemap may list (sitemaps.org:
	// 50,000 and 50 MB uncompressed; the demo's 60-odd URLs are far from
	// either). Past it /sitemap.xml is a sitemap index of /sitemap/N.xml.
	maxSitemapURLs = 50000
	// newsWindow is how old an article may be to be in the news sitemap:
	// Google News reads articles of the last two days only.
	newsWindow = 48 * time.Hour
	// maxNewsURLs is Google's limit on one news sitemap.
	maxNewsURLs = 1000
	// FeedEntries is how many of the newest articles an Atom feed holds.
	FeedEntries = 50
	// syndicationMaxAge is how long a client or cache may reuse a sitemap,
	// feed or robots.txt without asking again: the store's stories are
	// re-dated every hour (store.Store.Section), new ones come rarely.
	syndicationMaxAge = 5 * time.Minute
	// siteLanguage is the language of every story (news:language, xml:lang).
	siteLanguage = "en"
)

// The media types of what this file serves.
const (
	xmlType  = "application/xml; charset=utf-8"
	atomType = "application/atom+xml; charset=utf-8"
	textType = "text/plain; charset=utf-8"
)

// The feeds' and sitemaps' paths.
const (
	SitemapPath     = "/sitemap.xml"
	NewsSitemapPath = "/sitemap-news.xml"
	RobotsPath      = "/robots.txt"
	SiteFeedPath    = "/feed.atom"
)

// SectionFeedPath is the path of section id's Atom feed, /feed/ID.atom.
func SectionFeedPath(id string) string { return "/feed/" + id + ".atom" }

// sitemapPartPath is the path of part n (from 1) of a sitemap split in an
// index.
func sitemapPartPath(n int) string { return "/sitemap/" + strconv.Itoa(n) + ".xml" }

// w3cTime is the W3C datetime (and RFC 3339) form sitemaps and Atom take,
// in UTC to the second.
func w3cTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// allArticles returns every article of every section, newest first (the
// slug breaking ties, so the order is the same from one read to the next).
func (s *Site) allArticles(ctx context.Context) ([]store.Article, error) {
	var all []store.Article
	for _, sec := range store.Sections() {
		arts, err := s.st.Section(ctx, sec, 0)
		if err != nil {
			return nil, err
		}
		all = append(all, arts...)
	}
	sortNewestFirst(all)
	return all, nil
}

func sortNewestFirst(arts []store.Article) {
	slices.SortStableFunc(arts, func(a, b store.Article) int {
		if c := b.Published.Compare(a.Published); c != 0 {
			return c
		}
		return cmp.Compare(a.Slug, b.Slug)
	})
}

// newest is the publication time of the newest of arts (newest first), or
// the zero time.
func newest(arts []store.Article) time.Time {
	if len(arts) == 0 {
		return time.Time{}
	}
	return arts[0].Published
}

// The sitemap protocol's elements (sitemaps.org/protocol.html), with the
// Google News extension's.
type (
	urlset struct {
		XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
		NewsNS  string       `xml:"xmlns:news,attr,omitempty"`
		URLs    []sitemapURL `xml:"url"`
	}
	sitemapURL struct {
		Loc     string    `xml:"loc"`
		LastMod string    `xml:"lastmod,omitempty"`
		News    *newsItem `xml:"news:news,omitempty"`
	}
	newsItem struct {
		Publication newsPublication `xml:"news:publication"`
		Date        string          `xml:"news:publication_date"`
		Title       string          `xml:"news:title"`
	}
	newsPublication struct {
		Name     string `xml:"news:name"`
		Language string `xml:"news:language"`
	}
	sitemapIndex struct {
		XMLName  xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 sitemapindex"`
		Sitemaps []sitemapRef `xml:"sitemap"`
	}
	sitemapRef struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod,omitempty"`
	}
)

// newsNamespace is the Google News sitemap extension's namespace.
const newsNamespace = "http://www.google.com/schemas/sitemap-news/0.9"

// sitemapURLs lists the site's pages for the sitemap: the front page (as
// new as the newest story), each section's page (/section/ID, as new as
// its newest story), then every article (newest first).
func sitemapURLs(origin string, arts []store.Article) []sitemapURL {
	urls := make([]sitemapURL, 0, len(arts)+1+len(sections()))
	home := sitemapURL{Loc: origin + "/"}
	if len(arts) > 0 {
		home.LastMod = w3cTime(newest(arts))
	}
	urls = append(urls, home)
	for _, sec := range sections() {
		u := sitemapURL{Loc: origin + sectionPath(sec.ID)}
		for _, a := range arts {
			if a.Section == sec.ID { // arts are newest first
				u.LastMod = w3cTime(a.Published)
				break
			}
		}
		urls = append(urls, u)
	}
	for _, a := range arts {
		urls = append(urls, sitemapURL{Loc: origin + a.URL(), LastMod: w3cTime(a.Published)})
	}
	return urls
}

// newsURLs lists for the news sitemap the articles of arts (newest first)
// published within newsWindow before now, at most maxNewsURLs of them.
// An article dated after now (a clock skew) is left out too.
func newsURLs(origin string, arts []store.Article, now time.Time) []sitemapURL {
	var urls []sitemapURL
	for _, a := range arts {
		if a.Published.After(now) || now.Sub(a.Published) > newsWindow {
			continue
		}
		urls = append(urls, sitemapURL{Loc: origin + a.URL(), News: &newsItem{
			Publication: newsPublication{Name: siteName, Language: siteLanguage},
			Date:        w3cTime(a.Published),
			Title:       a.Title,
		}})
		if len(urls) == maxNewsURLs {
			break
		}
	}
	return urls
}

// sitemapDoc is /sitemap.xml: the urlset of urls when they fit in limit,
// else the index of its parts (part n holding urls[(n-1)*limit:n*limit]).
func sitemapDoc(origin string, urls []sitemapURL, limit int) any {
	if len(urls) <= limit {
		return urlset{URLs: urls}
	}
	var idx sitemapIndex
	for n := 1; (n-1)*limit < len(urls); n++ {
		idx.Sitemaps = append(idx.Sitemaps, sitemapRef{Loc: origin + sitemapPartPath(n), LastMod: lastMod(sitemapPart(urls, n, limit))})
	}
	return idx
}

// sitemapPart is part n (from 1) of urls split in parts of limit; nil past
// the last.
func sitemapPart(urls []sitemapURL, n, limit int) []sitemapURL {
	lo := (n - 1) * limit
	if n < 1 || lo >= len(urls) {
		return nil
	}
	return urls[lo:min(lo+limit, len(urls))]
}

// lastMod is the newest lastmod of urls (W3C datetimes in UTC compare as
// strings).
func lastMod(urls []sitemapURL) string {
	m := ""
	for _, u := range urls {
		m = max(m, u.LastMod)
	}
	return m
}

// Atom's elements (RFC 4287).
type (
	atomFeed struct {
		XMLName   xml.Name      `xml:"http://www.w3.org/2005/Atom feed"`
		Lang      string        `xml:"xml:lang,attr"`
		ID        string        `xml:"id"`
		Title     string        `xml:"title"`
		Subtitle  string        `xml:"subtitle,omitempty"`
		Updated   string        `xml:"updated"`
		Links     []atomLink    `xml:"link"`
		Author    atomPerson    `xml:"author"`
		Generator atomGenerator `xml:"generator"`
		Entries   []atomEntry   `xml:"entry"`
	}
	atomLink struct {
		Rel   string `xml:"rel,attr"`
		Type  string `xml:"type,attr,omitempty"`
		Href  string `xml:"href,attr"`
		Title string `xml:"title,attr,omitempty"`
	}
	atomPerson struct {
		Name string `xml:"name"`
	}
	atomGenerator struct {
		URI  string `xml:"uri,attr,omitempty"`
		Text string `xml:",chardata"`
	}
	atomCategory struct {
		Term  string `xml:"term,attr"`
		Label string `xml:"label,attr,omitempty"`
	}
	atomText struct {
		Type string `xml:"type,attr"`
		Text string `xml:",chardata"`
	}
	atomEntry struct {
		ID        string       `xml:"id"`
		Title     atomText     `xml:"title"`
		Updated   string       `xml:"updated"`
		Published string       `xml:"published"`
		Author    atomPerson   `xml:"author"`
		Link      atomLink     `xml:"link"`
		Category  atomCategory `xml:"category"`
		Summary   atomText     `xml:"summary"`
	}
)

// feedTitle is the title of section id's feed, or of the site's for "".
func feedTitle(id string) string {
	if id == "" {
		return siteName + ": all stories"
	}
	return siteName + ": " + sectionTitle(id)
}

// atomDoc is the Atom feed at path (SiteFeedPath or a SectionFeedPath) of
// section id ("" for the whole site): the newest FeedEntries of arts
// (newest first). An entry's id is its article's URL, which stays the same
// as long as the site's origin does (set -public-url in production); its
// updated time is its publication time (the store keeps no other). The feed
// is as new as its newest entry, or as now when it has none.
func atomDoc(origin, path, id string, arts []store.Article, now time.Time) atomFeed {
	arts = arts[:min(len(arts), FeedEntries)]
	updated := now
	if len(arts) > 0 {
		updated = newest(arts)
	}
	alt := origin + "/"
	if id != "" {
		alt += "#sec-" + id
	}
	f := atomFeed{
		Lang:     siteLanguage,
		ID:       origin + path,
		Title:    feedTitle(id),
		Subtitle: "The newest stories of " + siteName,
		Updated:  w3cTime(updated),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: origin + path},
			{Rel: "alternate", Type: "text/html", Href: alt},
		},
		Author:    atomPerson{Name: siteName},
		Generator: atomGenerator{URI: "https://github.com/bigpipe-go/bigpipe", Text: "bigpipe"},
	}
	for _, a := range arts {
		url := origin + a.URL()
		f.Entries = append(f.Entries, atomEntry{
			ID:        url,
			Title:     atomText{Type: "text", Text: a.Title},
			Updated:   w3cTime(a.Published),
			Published: w3cTime(a.Published),
			Author:    atomPerson{Name: cmp.Or(a.Author, siteName)},
			Link:      atomLink{Rel: "alternate", Type: "text/html", Href: url},
			Category:  atomCategory{Term: a.Section, Label: sectionTitle(a.Section)},
			Summary:   atomText{Type: "text", Text: a.Summary},
		})
	}
	return f
}

// marshalXML is v as an XML document: the declaration, then v indented.
func marshalXML(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// robotsTxt is /robots.txt for origin, with the renderer's endpoint
// (rdPath) and the live engine's (livePath, "" for none).
//
// Disallowed: the renderer's and the live engine's endpoints (scripts and
// connections, nothing to index), the probes and metrics, and the pages
// that are a reader's own (account forms, messages, notifications, the
// editors' desk: each needs a session a crawler does not have, and is
// noindex), and the comment form's reply links (?reply_to=: the article
// again). Search result pages are not disallowed: they say noindex in
// their head, which a crawler can only read on a page it may fetch (a
// disallowed URL can still be indexed from the links to it, without its
// content); their links also lead to articles. /static/ stays allowed: a
// search engine renders pages with their CSS and scripts. /bench is a page
// like the others (Lighthouse checks its SEO).
func robotsTxt(origin, rdPath, livePath string) []byte {
	var b strings.Builder
	b.WriteString("# " + siteName + "\nUser-agent: *\n")
	for _, p := range []string{rdPath, livePath, "/account/", "/messages", "/notifications/", "/desk", "/metrics", "/healthz", "/readyz", "/*?reply_to=", "/*&reply_to="} {
		if p != "" {
			b.WriteString("Disallow: " + p + "\n")
		}
	}
	b.WriteString("Allow: /\n\n")
	b.WriteString("Sitemap: " + origin + SitemapPath + "\n")
	b.WriteString("Sitemap: " + origin + NewsSitemapPath + "\n")
	return []byte(b.String())
}

// syndication serves the sitemaps, robots.txt and the feeds.
type syndication struct {
	site             *Site
	rdPath, livePath string
}

// doc is one response: its body, type and the time its content last
// changed (zero: unknown).
type doc struct {
	body     []byte
	ctype    string
	modified time.Time
}

// serve answers r with what make returns for r's origin: 400 for a Host
// that is not host[:port], 404 for errNoDoc, 503 if the store fails; else
// the document with its caching headers, or 304 to a conditional request
// that has it already.
func (sy *syndication) serve(make func(ctx context.Context, origin string) (doc, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin, err := sy.site.Origin(r)
		if err != nil {
			http.Error(w, "Bad Request: "+err.Error(), http.StatusBadRequest)
			return
		}
		d, err := make(r.Context(), origin)
		switch {
		case errors.Is(err, errNoDoc):
			sy.site.NotFound(w, r)
			return
		case err != nil:
			sy.site.logger().Warn("syndication: store read failed", "path", r.URL.Path, "err", err)
			w.Header().Set("Retry-After", "30")
			http.Error(w, "Service Unavailable: the stories could not be read; try again shortly.", http.StatusServiceUnavailable)
			return
		}
		sum := sha256.Sum256(d.body)
		etag := `"` + hex.EncodeToString(sum[:12]) + `"`
		h := w.Header()
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(syndicationMaxAge/time.Second)))
		h.Set("ETag", etag)
		if !d.modified.IsZero() {
			h.Set("Last-Modified", d.modified.UTC().Format(http.TimeFormat))
		}
		h.Set("X-Content-Type-Options", "nosniff")
		if notModified(r, etag, d.modified) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", d.ctype)
		h.Set("Content-Length", strconv.Itoa(len(d.body)))
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(d.body)
	})
}

// errNoDoc is what a document maker returns for a path that names none
// (an unknown section's feed, a sitemap part past the last): 404.
var errNoDoc = errors.New("no such document")

// notModified reports whether r's conditional headers say it has the
// representation with etag (If-None-Match, compared weakly, as RFC 9110
// §13.1.2 says for GET and HEAD), or, without If-None-Match, one at least
// as new as modified (If-Modified-Since, to the second).
func notModified(r *http.Request, etag string, modified time.Time) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for t := range strings.SplitSeq(inm, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == "*" || t == etag {
				return true
			}
		}
		return false
	}
	ims := r.Header.Get("If-Modified-Since")
	if ims == "" || modified.IsZero() {
		return false
	}
	since, err := http.ParseTime(ims)
	return err == nil && !modified.Truncate(time.Second).After(since)
}

func (sy *syndication) sitemap(ctx context.Context, origin string) (doc, error) {
	arts, err := sy.site.allArticles(ctx)
	if err != nil {
		return doc{}, err
	}
	body, err := marshalXML(sitemapDoc(origin, sitemapURLs(origin, arts), sy.site.sitemapLimit))
	return doc{body: body, ctype: xmlType, modified: newest(arts)}, err
}

// sitemapPartDoc is part n of the sitemap, when /sitemap.xml is an index.
func (sy *syndication) sitemapPartDoc(part string) func(ctx context.Context, origin string) (doc, error) {
	return func(ctx context.Context, origin string) (doc, error) {
		num, ok := strings.CutSuffix(part, ".xml")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || strconv.Itoa(n) != num {
			return doc{}, errNoDoc
		}
		arts, err := sy.site.allArticles(ctx)
		if err != nil {
			return doc{}, err
		}
		urls := sitemapURLs(origin, arts)
		if len(urls) <= sy.site.sitemapLimit {
			return doc{}, errNoDoc // no index, no parts
		}
		p := sitemapPart(urls, n, sy.site.sitemapLimit)
		if p == nil {
			return doc{}, errNoDoc
		}
		body, err := marshalXML(urlset{URLs: p})
		m, _ := time.Parse(time.RFC3339, lastMod(p))
		return doc{body: body, ctype: xmlType, modified: m}, err
	}
}

func (sy *syndication) newsSitemap(ctx context.Context, origin string) (doc, error) {
	arts, err := sy.site.allArticles(ctx)
	if err != nil {
		return doc{}, err
	}
	urls := newsURLs(origin, arts, sy.site.now())
	// An empty urlset is what a quiet two days give; sitemap.xsd wants at
	// least one <url>, so the front page stands in (without news:news).
	if len(urls) == 0 {
		urls = []sitemapURL{{Loc: origin + "/"}}
	}
	body, err := marshalXML(urlset{NewsNS: newsNamespace, URLs: urls})
	return doc{body: body, ctype: xmlType, modified: newest(arts)}, err
}

func (sy *syndication) robots(_ context.Context, origin string) (doc, error) {
	return doc{body: robotsTxt(origin, sy.rdPath, sy.livePath), ctype: textType}, nil
}

func (sy *syndication) siteFeed(ctx context.Context, origin string) (doc, error) {
	arts, err := sy.site.allArticles(ctx)
	if err != nil {
		return doc{}, err
	}
	body, err := marshalXML(atomDoc(origin, SiteFeedPath, "", arts, sy.site.now()))
	return doc{body: body, ctype: atomType, modified: newest(arts)}, err
}

// sectionFeed is the feed /feed/ID.atom names by its file, ID.atom.
func (sy *syndication) sectionFeed(file string) func(ctx context.Context, origin string) (doc, error) {
	return func(ctx context.Context, origin string) (doc, error) {
		id, ok := strings.CutSuffix(file, ".atom")
		if !ok || !isSectionID(id) {
			return doc{}, errNoDoc
		}
		arts, err := sy.site.st.Section(ctx, id, FeedEntries)
		if err != nil {
			return doc{}, err
		}
		sortNewestFirst(arts)
		body, err := marshalXML(atomDoc(origin, SectionFeedPath(id), id, arts, sy.site.now()))
		return doc{body: body, ctype: atomType, modified: newest(arts)}, err
	}
}

// routeSyndication adds the sitemaps, robots.txt and the feeds to mux,
// each wrapped in wrap (the site's middleware: compression).
func (s *Site) routeSyndication(mux *http.ServeMux, wrap func(http.Handler) http.Handler, rdPath string) {
	sy := &syndication{site: s, rdPath: rdPath}
	if s.feeds != nil {
		sy.livePath = s.feeds.eng.Path()
	}
	mux.Handle("GET "+SitemapPath, wrap(sy.serve(sy.sitemap)))
	mux.Handle("GET /sitemap/{part}", wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sy.serve(sy.sitemapPartDoc(r.PathValue("part"))).ServeHTTP(w, r)
	})))
	mux.Handle("GET "+NewsSitemapPath, wrap(sy.serve(sy.newsSitemap)))
	mux.Handle("GET "+RobotsPath, wrap(sy.serve(sy.robots)))
	mux.Handle("GET "+SiteFeedPath, wrap(sy.serve(sy.siteFeed)))
	mux.Handle("GET /feed/{file}", wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sy.serve(sy.sectionFeed(r.PathValue("file"))).ServeHTTP(w, r)
	})))
}

// feedLinks is the <head> markup that names the site's Atom feeds to feed
// readers: one <link rel="alternate"> per feed, the site's first, then
// each section's when withSections is true (the front page, where the
// sections are).
// sectionFeedLink is the head link of section id's own feed, on its page.
func sectionFeedLink(id string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		return writeFeedLink(w, feedTitle(id), SectionFeedPath(id))
	})
}

// writeFeedLink writes one feed's <link rel=alternate>.
func writeFeedLink(w io.Writer, title, href string) error {
	_, err := fmt.Fprintf(w, `<link rel="alternate" type="application/atom+xml" title="%s" href="%s">`,
		templ.EscapeString(title), templ.EscapeString(href))
	return err
}

func feedLinks(withSections bool) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		write := func(title, href string) error { return writeFeedLink(w, title, href) }
		if err := write(feedTitle(""), SiteFeedPath); err != nil || !withSections {
			return err
		}
		for _, sec := range sections() {
			if err := write(feedTitle(sec.ID), SectionFeedPath(sec.ID)); err != nil {
				return err
			}
		}
		return nil
	})
}
