package pages_test

import (
	"context"
	"encoding/json"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/internal/crawler"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
	"github.com/bigpipe-go/bigpipe/static"
)

// previewUAs are the clients whose view of a page the metadata is for:
// Google's crawler and the link-preview fetchers of the social networks
// and messengers, as they send their User-Agent.
var previewUAs = []struct{ name, ua string }{
	{"Googlebot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
	{"facebookexternalhit", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"},
	{"Twitterbot", "Twitterbot/1.0"},
	{"Slackbot", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"},
	{"LinkedInBot", "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"},
	{"Discordbot", "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"},
	{"WhatsApp", "WhatsApp/2.23"},
	{"TelegramBot", "TelegramBot (like TwitterBot)"},
}

// seoSite serves the demo as the binary does, with a strict CSP, and
// returns the server and its store. opts are added to the site's.
func seoSite(t *testing.T, opts ...pages.Option) (*httptest.Server, *store.Store) {
	t.Helper()
	st, err := store.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg, err := assets.New(static.FS, pages.Bundles()...)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := render.New(reg, render.WithLogger(slog.New(slog.DiscardHandler)), render.WithCSP(true))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pages.Routes(rd, reg, pages.NewSite(st, append([]pages.Option{pages.WithAssets(reg)}, opts...)...)))
	t.Cleanup(srv.Close)
	return srv, st
}

func allArticles(t *testing.T, st *store.Store) []store.Article {
	t.Helper()
	var out []store.Article
	for _, sec := range store.Sections() {
		arts, err := st.Section(context.Background(), sec, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, arts...)
	}
	if len(out) < 50 {
		t.Fatalf("%d articles, want the seeded ones", len(out))
	}
	return out
}

// head is what a page's <head> carries for search engines and previews.
type head struct {
	meta      map[string]string // property or name → content
	canonical []string
	links     map[string]string // rel → href, for prev and next
	jsonLD    []map[string]any
	ldRaw     []string
}

// getHead fetches url as ua and reads its <head>; it fails unless the
// page is 200 and served plain (in order), as every crawler and preview
// fetcher must get it.
func getHead(t *testing.T, url, ua string) (head, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	req.Header.Set("User-Agent", ua)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s as %s: %d", url, ua, resp.StatusCode)
	}
	if m := resp.Header.Get("X-BigPipe-Mode"); m != "inorder" {
		t.Errorf("GET %s as %s: mode %q, want the plain page (inorder)", url, ua, m)
	}
	return parseHead(t, string(b)), string(b)
}

func parseHead(t *testing.T, page string) head {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var hd *html.Node
	var find func(n *html.Node)
	find = func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == atom.Head {
			hd = n
			return
		}
		for c := n.FirstChild; c != nil && hd == nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	if hd == nil {
		t.Fatal("no <head>")
	}
	h := head{meta: map[string]string{}, links: map[string]string{}}
	attr := func(n *html.Node, k string) string {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val
			}
		}
		return ""
	}
	for n := hd.FirstChild; n != nil; n = n.NextSibling {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.DataAtom {
		case atom.Meta:
			k := attr(n, "property")
			if k == "" {
				k = attr(n, "name")
			}
			if k != "" {
				if _, dup := h.meta[k]; dup && !strings.HasPrefix(k, "article:tag") {
					t.Errorf("<meta %s> twice", k)
				}
				h.meta[k] = attr(n, "content")
			}
		case atom.Link:
			switch rel := attr(n, "rel"); rel {
			case "canonical":
				h.canonical = append(h.canonical, attr(n, "href"))
			case "prev", "next":
				h.links[rel] = attr(n, "href")
			}
		case atom.Script:
			if attr(n, "type") != "application/ld+json" {
				continue
			}
			text := ""
			if n.FirstChild != nil {
				text = n.FirstChild.Data
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(text), &v); err != nil {
				t.Errorf("JSON-LD does not parse: %v\n%s", err, text)
				continue
			}
			h.jsonLD = append(h.jsonLD, v)
			h.ldRaw = append(h.ldRaw, text)
		}
	}
	return h
}

// ld returns the JSON-LD object of type typ.
func (h head) ld(t *testing.T, typ string) map[string]any {
	t.Helper()
	for _, v := range h.jsonLD {
		if v["@type"] == typ {
			if v["@context"] != "https://schema.org" {
				t.Errorf("%s: @context %v", typ, v["@context"])
			}
			return v
		}
	}
	t.Fatalf("no %s in the JSON-LD (%d objects)", typ, len(h.jsonLD))
	return nil
}

// checker checks URLs against the site's origin and fetches each image
// once.
type checker struct {
	t      *testing.T
	origin string
	mu     sync.Mutex
	images map[string]image.Config
}

func (c *checker) abs(what, u string) {
	c.t.Helper()
	if !strings.HasPrefix(u, c.origin+"/") {
		c.t.Errorf("%s %q is not an absolute URL on %s", what, u, c.origin)
	}
}

// image fetches u (once) and checks that it is served with its stated
// size.
func (c *checker) image(what, u string, w, h int) {
	c.t.Helper()
	c.abs(what, u)
	c.mu.Lock()
	cfg, ok := c.images[u]
	c.mu.Unlock()
	if !ok {
		resp, err := http.Get(u)
		if err != nil {
			c.t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			c.t.Fatalf("%s %s: %d", what, u, resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "image/") {
			c.t.Errorf("%s %s: Content-Type %q", what, u, ct)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") && !strings.Contains(cc, "max-age=31536000") {
			c.t.Errorf("%s %s: Cache-Control %q, want it cached for long (fingerprinted)", what, u, cc)
		}
		cfg, _, err = image.DecodeConfig(resp.Body)
		if err != nil {
			c.t.Fatalf("%s %s: %v", what, u, err)
		}
		c.mu.Lock()
		c.images[u] = cfg
		c.mu.Unlock()
	}
	if cfg.Width != w || cfg.Height != h {
		c.t.Errorf("%s %s is %d×%d, stated %d×%d", what, u, cfg.Width, cfg.Height, w, h)
	}
}

func str(t *testing.T, v map[string]any, key string) string {
	t.Helper()
	s, ok := v[key].(string)
	if !ok || strings.TrimSpace(s) == "" {
		t.Errorf("%v: %q is %T %v, want a non-empty string", v["@type"], key, v[key], v[key])
	}
	return s
}

func obj(t *testing.T, v map[string]any, key string) map[string]any {
	t.Helper()
	o, ok := v[key].(map[string]any)
	if !ok {
		t.Fatalf("%v: %q is %T, want an object", v["@type"], key, v[key])
	}
	return o
}

func isoDate(t *testing.T, what, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Errorf("%s %q is not ISO 8601 with a zone: %v", what, s, err)
	}
	return ts
}

// checkSocial checks the Open Graph and Twitter card tags.
func (c *checker) checkSocial(h head, canonical, typ string) {
	t := c.t
	t.Helper()
	for _, k := range []string{"og:title", "og:description", "og:type", "og:url", "og:image", "og:image:width", "og:image:height", "og:image:alt",
		"og:site_name", "og:locale", "twitter:card", "twitter:title", "twitter:description", "twitter:image", "twitter:image:alt", "description"} {
		if strings.TrimSpace(h.meta[k]) == "" {
			t.Errorf("no %s in <head>", k)
		}
	}
	if len(h.canonical) != 1 || h.canonical[0] != canonical {
		t.Errorf("canonical %q, want [%s]", h.canonical, canonical)
	}
	if h.meta["og:url"] != canonical {
		t.Errorf("og:url %q, want %s", h.meta["og:url"], canonical)
	}
	if h.meta["og:type"] != typ {
		t.Errorf("og:type %q, want %s", h.meta["og:type"], typ)
	}
	if h.meta["og:site_name"] != "The Daily Pipe" || h.meta["og:locale"] != "en_GB" {
		t.Errorf("og:site_name %q og:locale %q", h.meta["og:site_name"], h.meta["og:locale"])
	}
	if h.meta["twitter:card"] != "summary_large_image" {
		t.Errorf("twitter:card %q", h.meta["twitter:card"])
	}
	if h.meta["twitter:image"] != h.meta["og:image"] || h.meta["twitter:title"] != h.meta["og:title"] || h.meta["twitter:image:alt"] != h.meta["og:image:alt"] {
		t.Errorf("twitter card differs from Open Graph: %v", h.meta)
	}
	w, _ := strconv.Atoi(h.meta["og:image:width"])
	ht, _ := strconv.Atoi(h.meta["og:image:height"])
	if w != 1200 || ht != 630 {
		t.Errorf("og:image %s×%s, want 1200×630", h.meta["og:image:width"], h.meta["og:image:height"])
	}
	c.image("og:image", h.meta["og:image"], w, ht)
}

// checkArticle checks an article page's head as Google's article
// structured data documentation asks (required and recommended
// properties, of the right types) and as link previews read it.
func (c *checker) checkArticle(h head, a store.Article) {
	t := c.t
	t.Helper()
	canonical := c.origin + "/article/" + a.Slug
	c.checkSocial(h, canonical, "article")
	if h.meta["og:title"] != a.Title || h.meta["og:description"] != a.Summary {
		t.Errorf("og:title %q og:description %q, want the article's", h.meta["og:title"], h.meta["og:description"])
	}
	if got := isoDate(t, "article:published_time", h.meta["article:published_time"]); !got.Equal(a.Published) {
		t.Errorf("article:published_time %s, want %s", got, a.Published)
	}
	if h.meta["article:section"] == "" {
		t.Error("no article:section")
	}
	art := h.ld(t, "NewsArticle")
	if hl := str(t, art, "headline"); hl != a.Title || len([]rune(hl)) > 110 {
		t.Errorf("headline %q: want the title, at most 110 characters", hl)
	}
	str(t, art, "description")
	imgs, ok := art["image"].([]any)
	if !ok || len(imgs) == 0 {
		t.Fatalf("image %T %v, want an array of URLs", art["image"], art["image"])
	}
	has1200 := false
	for _, u := range imgs {
		s, _ := u.(string)
		c.abs("NewsArticle image", s)
		if s == h.meta["og:image"] {
			has1200 = true
		}
	}
	if !has1200 {
		t.Errorf("NewsArticle images %v lack the 1200×630 og:image %s", imgs, h.meta["og:image"])
	}
	pub := isoDate(t, "datePublished", str(t, art, "datePublished"))
	mod := isoDate(t, "dateModified", str(t, art, "dateModified"))
	if !pub.Equal(a.Published) || mod.Before(pub) {
		t.Errorf("datePublished %s dateModified %s, want %s and no earlier", pub, mod, a.Published)
	}
	authors, ok := art["author"].([]any)
	if !ok || len(authors) == 0 {
		t.Fatalf("author %T, want an array of Person or Organization", art["author"])
	}
	for _, x := range authors {
		p, _ := x.(map[string]any)
		if p["@type"] != "Person" && p["@type"] != "Organization" {
			t.Errorf("author @type %v", p["@type"])
		}
		if str(t, p, "name") != a.Author {
			t.Errorf("author %v, want %s", p["name"], a.Author)
		}
		if u, ok := p["url"]; ok {
			c.abs("author url", u.(string))
		}
	}
	pubr := obj(t, art, "publisher")
	if pubr["@type"] != "Organization" || str(t, pubr, "name") != "The Daily Pipe" {
		t.Errorf("publisher %v", pubr)
	}
	logo := obj(t, pubr, "logo")
	if logo["@type"] != "ImageObject" {
		t.Errorf("logo %v", logo)
	}
	c.image("publisher logo", str(t, logo, "url"), 512, 512)
	if me := obj(t, art, "mainEntityOfPage"); me["@id"] != canonical {
		t.Errorf("mainEntityOfPage %v, want @id %s", me, canonical)
	}
	crumbs := h.ld(t, "BreadcrumbList")
	items, _ := crumbs["itemListElement"].([]any)
	want := []string{c.origin + "/", c.origin + "/section/" + a.Section, canonical}
	if len(items) != len(want) {
		t.Fatalf("breadcrumbs %v, want home › section › article", items)
	}
	for i, x := range items {
		it, _ := x.(map[string]any)
		if it["@type"] != "ListItem" || it["position"] != float64(i+1) || it["item"] != want[i] {
			t.Errorf("breadcrumb %d: %v, want ListItem %d at %s", i, it, i+1, want[i])
		}
		str(t, it, "name")
	}
}

// TestArticleMetadata loads every article as Google's crawler and each
// link-preview fetcher: the head carries the canonical link, the Open
// Graph and Twitter tags and valid structured data, and every picture it
// names answers with its stated size.
func TestArticleMetadata(t *testing.T) {
	srv, st := seoSite(t)
	c := &checker{t: t, origin: srv.URL, images: map[string]image.Config{}}
	arts := allArticles(t, st)
	for _, ua := range previewUAs {
		if !crawler.New().IsCrawler(ua.ua) {
			t.Errorf("%s (%q) is not detected as a crawler: it would not get the plain page", ua.name, ua.ua)
		}
		t.Run(ua.name, func(t *testing.T) {
			c := &checker{t: t, origin: c.origin, images: c.images}
			for _, a := range arts {
				h, body := getHead(t, srv.URL+"/article/"+a.Slug, ua.ua)
				c.checkArticle(h, a)
				if ua.name == "Googlebot" {
					c.checkLeadPicture(body, a)
				}
				if t.Failed() {
					t.Fatalf("article %s", a.Slug)
				}
			}
		})
	}
}

// checkLeadPicture checks the picture under the headline: each srcset
// candidate answers with its width and the height of its ratio, and the
// img has width, height and alt.
func (c *checker) checkLeadPicture(body string, a store.Article) {
	t := c.t
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var img *html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == atom.Img {
			for _, at := range n.Attr {
				if at.Key == "class" && at.Val == "article__image" {
					img = n
				}
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(doc)
	if img == nil {
		t.Fatalf("%s: no lead picture", a.Slug)
	}
	at := map[string]string{}
	for _, x := range img.Attr {
		at[x.Key] = x.Val
	}
	if at["width"] != "600" || at["height"] != "315" || at["alt"] == "" || at["sizes"] == "" || at["loading"] == "lazy" {
		t.Errorf("%s: lead picture %v", a.Slug, at)
	}
	n := 0
	for cand := range strings.SplitSeq(at["srcset"], ",") {
		f := strings.Fields(cand)
		if len(f) != 2 || !strings.HasSuffix(f[1], "w") {
			t.Fatalf("srcset candidate %q", cand)
		}
		w, _ := strconv.Atoi(strings.TrimSuffix(f[1], "w"))
		c.image("srcset", c.origin+f[0], w, (w*630+600)/1200)
		n++
	}
	if n != 3 {
		t.Errorf("srcset %q, want 3 widths", at["srcset"])
	}
}

// TestHomeMetadata: the front page is a WebSite with a SearchAction, as
// every crawler and preview fetcher sees it.
func TestHomeMetadata(t *testing.T) {
	srv, _ := seoSite(t)
	c := &checker{t: t, origin: srv.URL, images: map[string]image.Config{}}
	for _, ua := range previewUAs {
		t.Run(ua.name, func(t *testing.T) {
			c := &checker{t: t, origin: c.origin, images: c.images}
			h, _ := getHead(t, srv.URL+"/?utm_source=newsletter&fbclid=x1&gclid=y2", ua.ua)
			c.checkSocial(h, srv.URL+"/", "website")
			site := h.ld(t, "WebSite")
			if str(t, site, "url") != srv.URL+"/" || str(t, site, "name") != "The Daily Pipe" {
				t.Errorf("WebSite %v", site)
			}
			act := obj(t, site, "potentialAction")
			if act["@type"] != "SearchAction" || act["query-input"] != "required name=search_term_string" {
				t.Errorf("potentialAction %v", act)
			}
			target := obj(t, act, "target")
			if target["urlTemplate"] != srv.URL+"/search?q={search_term_string}" {
				t.Errorf("SearchAction target %v", target)
			}
		})
	}
}

// TestSectionMetadata: each section's page is a CollectionPage with its
// canonical link and card; an unknown section is a 404.
func TestSectionMetadata(t *testing.T) {
	srv, _ := seoSite(t)
	c := &checker{t: t, origin: srv.URL, images: map[string]image.Config{}}
	for _, sec := range store.Sections() {
		h, body := getHead(t, srv.URL+"/section/"+sec+"?utm_campaign=x", previewUAs[0].ua)
		c.checkSocial(h, srv.URL+"/section/"+sec, "website")
		page := h.ld(t, "CollectionPage")
		if page["url"] != srv.URL+"/section/"+sec {
			t.Errorf("CollectionPage %v", page)
		}
		if !strings.Contains(body, `<h1 class="page-title">`) || !strings.Contains(body, `id="sec-`+sec+`"`) {
			t.Errorf("/section/%s lacks its title or its block", sec)
		}
	}
	resp, err := http.Get(srv.URL + "/section/nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("/section/nope: %d, want 404", resp.StatusCode)
	}
}

// TestCanonicalDropsParameters: tracking parameters and the renderer's own
// never reach a canonical URL; the search keeps its query and section and
// stays noindex.
func TestCanonicalDropsParameters(t *testing.T) {
	srv, st := seoSite(t)
	a := allArticles(t, st)[0]
	ua := previewUAs[0].ua
	for _, tc := range []struct{ path, want string }{
		{"/article/" + a.Slug + "?utm_source=x&utm_medium=y&utm_campaign=z&fbclid=f&gclid=g&nojs=1&bigpipe_mode=serial", "/article/" + a.Slug},
		{"/search?q=rail&utm_source=x&fbclid=f&nojs=1&bigpipe_mode=serial", "/search?q=rail"},
		{"/search?utm_source=x&section=tech&q=new+phone", "/search?q=new+phone&section=tech"},
		{"/search", "/search"},
	} {
		h, _ := getHead(t, srv.URL+tc.path, ua)
		if len(h.canonical) != 1 || h.canonical[0] != srv.URL+tc.want {
			t.Errorf("%s: canonical %q, want %s", tc.path, h.canonical, srv.URL+tc.want)
		}
		if strings.HasPrefix(tc.path, "/search") && h.meta["robots"] != "noindex" {
			t.Errorf("%s: robots %q, want noindex", tc.path, h.meta["robots"])
		}
	}
}

// TestPublicURL: with a public URL every absolute URL is on it, whatever
// Host the request named.
func TestPublicURL(t *testing.T) {
	srv, st := seoSite(t, pages.WithPublicURL("https://news.example/"))
	a := allArticles(t, st)[3]
	h, _ := getHead(t, srv.URL+"/article/"+a.Slug, previewUAs[1].ua)
	if h.canonical[0] != "https://news.example/article/"+a.Slug {
		t.Errorf("canonical %q", h.canonical)
	}
	for k, v := range h.meta {
		if strings.Contains(v, "127.0.0.1") {
			t.Errorf("%s = %q names the request's host", k, v)
		}
	}
	for _, raw := range h.ldRaw {
		if strings.Contains(raw, "127.0.0.1") || !strings.Contains(raw, "https://news.example/") {
			t.Errorf("JSON-LD not on the public URL: %s", raw)
		}
	}
	for _, bad := range []string{"ftp://x", "https://", "https://x/news", "https://x/?a=1", "news.example", "https://u:p@x"} {
		if _, err := pages.ParsePublicURL(bad); err == nil {
			t.Errorf("ParsePublicURL(%q) accepted", bad)
		}
	}
	if o, err := pages.ParsePublicURL("HTTPS://News.Example:8443/"); err != nil || o != "https://news.example:8443" {
		t.Errorf("ParsePublicURL: %q %v", o, err)
	}
}
