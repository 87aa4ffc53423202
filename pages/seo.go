package pages

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// What search engines and link previews read in a page's <head>: the
// canonical link, the Open Graph and Twitter card tags and the structured
// data (JSON-LD), every URL absolute on the site's public origin
// (origin.go). The pictures are made by go generate in static/ (see
// internal/artimg) and served by the asset registry, fingerprinted.

// siteLocale is og:locale: the stories are written in British English.
const siteLocale = "en_GB"

// Picture sizes: the 1200×630 card for previews, and the widths the
// article page offers in its srcset.
const (
	cardW, cardH = 1200, 630
	logoSize     = 512
)

// pictureWidths are the widths each article's picture is made in (see
// internal/artimg.Widths), largest first.
var pictureWidths = []int{1200, 600, 300}

// pictureHeight is the height of the picture w wide (1200×630 scaled).
func pictureHeight(w int) int { return (w*cardH + cardW/2) / cardW }

// articlePicture is the asset name of the picture of the article slug, w
// pixels wide.
func articlePicture(slug string, w int) string {
	return "img/a/" + slug + "-" + strconv.Itoa(w) + ".jpg"
}

// picture is an image with its size and text alternative; URL is "" when
// there is none.
type picture struct {
	URL  string
	W, H int
	Alt  string
}

// assetURL is the fingerprinted path of the asset name, or "" when the
// site has no registry ([WithAssets]) or the registry no such file.
func (s *Site) assetURL(name string) string {
	if s.reg == nil {
		return ""
	}
	if a, ok := s.reg.Lookup(name); ok {
		return a.URL
	}
	return ""
}

// pictureAlt is the text alternative of an article's picture: what it
// shows, the section's name and the headline.
func pictureAlt(a store.Article) string { return sectionTitle(a.Section) + ": " + a.Title }

// sectionPictureAlt and sitePictureAlt describe the section's and the
// site's pictures.
func sectionPictureAlt(id string) string { return siteName + ": " + sectionTitle(id) }

const sitePictureAlt = siteName + ": independent news"

// card returns the article's 1200×630 picture with r's origin, the
// section's when it has none (an article added after the pictures were
// made), the site's when there is neither.
func (s *Site) card(r *http.Request, a store.Article) picture {
	if u := s.assetURL(articlePicture(a.Slug, cardW)); u != "" {
		return picture{URL: s.absURL(r, u), W: cardW, H: cardH, Alt: pictureAlt(a)}
	}
	return s.sectionCard(r, a.Section)
}

func (s *Site) sectionCard(r *http.Request, id string) picture {
	if u := s.assetURL("img/section/" + id + "-1200.jpg"); u != "" {
		return picture{URL: s.absURL(r, u), W: cardW, H: cardH, Alt: sectionPictureAlt(id)}
	}
	return s.siteCard(r)
}

func (s *Site) siteCard(r *http.Request) picture {
	if u := s.assetURL("img/site-1200.jpg"); u != "" {
		return picture{URL: s.absURL(r, u), W: cardW, H: cardH, Alt: sitePictureAlt}
	}
	return picture{}
}

// leadPicture is an article's picture as its page shows it: the src, the
// srcset of every width and the size of the largest, with relative URLs;
// ok is false when the article has none.
type leadPicture struct {
	Src, SrcSet string
	W, H        int
	Alt         string
}

func (s *Site) leadPicture(a store.Article) (leadPicture, bool) {
	var set []byte
	src := ""
	for _, w := range pictureWidths {
		u := s.assetURL(articlePicture(a.Slug, w))
		if u == "" {
			return leadPicture{}, false
		}
		if len(set) > 0 {
			set = append(set, ", "...)
		}
		set = append(set, u+" "+strconv.Itoa(w)+"w"...)
		if w == 600 {
			src = u
		}
	}
	if src == "" {
		return leadPicture{}, false
	}
	return leadPicture{Src: src, SrcSet: string(set), W: 600, H: pictureHeight(600), Alt: pictureAlt(a)}, true
}

// seoMeta is what a page tells search engines and link previews. Every
// URL in it is absolute.
type seoMeta struct {
	Canonical   string
	Title       string // og:title and twitter:title: the page's own title, without the site's name
	Description string
	Type        string // og:type: "website" or "article"
	Image       picture
	// An article's: its publication and section.
	Published, Modified time.Time
	Section             string
	Author              string
	Prev, Next          string // a paged list's neighbours
	JSONLD              []any  // structured data, each one <script type="application/ld+json">
}

// seoTime is t in ISO 8601 with the zone (UTC), as schema.org and Open Graph
// want it.
func seoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// canonicalPath is the path (escaped already) and query that a page is known by:
// only the parameters in keep, in that order, survive (so neither tracking
// parameters such as utm_source, fbclid or gclid nor the renderer's mode
// parameters, nojs, bigpipe_mode or bigpipe_fragment, ever do); empty
// values are dropped.
func canonicalPath(path string, q url.Values, keep ...string) string {
	var b []byte
	for _, k := range keep {
		v := q.Get(k)
		if v == "" {
			continue
		}
		if len(b) == 0 {
			b = append(b, '?')
		} else {
			b = append(b, '&')
		}
		b = append(b, url.QueryEscape(k)+"="+url.QueryEscape(v)...)
	}
	return path + string(b)
}

// Schema.org types, for JSON-LD. Each field has the type Google's
// structured-data documentation asks for.
type (
	ldThing struct {
		Context string `json:"@context,omitempty"`
		Type    string `json:"@type"`
	}
	ldOrganization struct {
		Type string       `json:"@type"`
		Name string       `json:"name"`
		URL  string       `json:"url,omitempty"`
		Logo *ldImageObjt `json:"logo,omitempty"`
	}
	ldImageObjt struct {
		Type   string `json:"@type"`
		URL    string `json:"url"`
		Width  int    `json:"width,omitempty"`
		Height int    `json:"height,omitempty"`
	}
	ldPerson struct {
		Type string `json:"@type"`
		Name string `json:"name"`
		URL  string `json:"url,omitempty"`
	}
	ldWebPage struct {
		Type string `json:"@type"`
		ID   string `json:"@id"`
	}
	ldNewsArticle struct {
		ldThing
		Headline         string         `json:"headline"`
		Description      string         `json:"description"`
		Image            []string       `json:"image"`
		DatePublished    string         `json:"datePublished"`
		DateModified     string         `json:"dateModified"`
		Author           []ldPerson     `json:"author"`
		Publisher        ldOrganization `json:"publisher"`
		MainEntityOfPage ldWebPage      `json:"mainEntityOfPage"`
		ArticleSection   string         `json:"articleSection"`
		InLanguage       string         `json:"inLanguage"`
		URL              string         `json:"url"`
		ThumbnailURL     string         `json:"thumbnailUrl,omitempty"`
		IsPartOf         *ldWebSiteRef  `json:"isPartOf,omitempty"`
	}
	ldWebSiteRef struct {
		Type string `json:"@type"`
		Name string `json:"name"`
		URL  string `json:"url"`
	}
	ldListItem struct {
		Type     string `json:"@type"`
		Position int    `json:"position"`
		Name     string `json:"name"`
		Item     string `json:"item"`
	}
	ldBreadcrumbList struct {
		ldThing
		ItemListElement []ldListItem `json:"itemListElement"`
	}
	ldEntryPoint struct {
		Type        string `json:"@type"`
		URLTemplate string `json:"urlTemplate"`
	}
	ldSearchAction struct {
		Type       string       `json:"@type"`
		Target     ldEntryPoint `json:"target"`
		QueryInput string       `json:"query-input"`
	}
	ldWebSite struct {
		ldThing
		Name            string         `json:"name"`
		URL             string         `json:"url"`
		Description     string         `json:"description,omitempty"`
		InLanguage      string         `json:"inLanguage"`
		Publisher       ldOrganization `json:"publisher"`
		PotentialAction ldSearchAction `json:"potentialAction"`
	}
	ldCollectionPage struct {
		ldThing
		Name        string          `json:"name"`
		URL         string          `json:"url"`
		Description string          `json:"description"`
		InLanguage  string          `json:"inLanguage"`
		IsPartOf    ldWebSiteRef    `json:"isPartOf"`
		Breadcrumb  ldBreadcrumbRef `json:"breadcrumb"`
		MainEntity  *ldItemList     `json:"mainEntity,omitempty"`
	}
	ldBreadcrumbRef struct {
		Type            string       `json:"@type"`
		ItemListElement []ldListItem `json:"itemListElement"`
	}
	ldItemList struct {
		Type            string        `json:"@type"`
		ItemListElement []ldListEntry `json:"itemListElement"`
	}
	ldListEntry struct {
		Type     string `json:"@type"`
		Position int    `json:"position"`
		URL      string `json:"url"`
		Name     string `json:"name"`
	}
)

const schemaContext = "https://schema.org"

// publisher is the site as an Organization, with its logo.
func (s *Site) publisher(r *http.Request) ldOrganization {
	o := ldOrganization{Type: "Organization", Name: siteName, URL: s.absURL(r, "/")}
	if u := s.assetURL("img/logo.png"); u != "" {
		o.Logo = &ldImageObjt{Type: "ImageObject", URL: s.absURL(r, u), Width: logoSize, Height: logoSize}
	}
	return o
}

func (s *Site) siteRef(r *http.Request) ldWebSiteRef {
	return ldWebSiteRef{Type: "WebSite", Name: siteName, URL: s.absURL(r, "/")}
}

// sectionPath is a section page's path.
func sectionPath(id string) string { return "/section/" + id }

// articleSEO is an article page's metadata: Open Graph type article, a
// NewsArticle and its BreadcrumbList (home › section › article).
func (s *Site) articleSEO(r *http.Request, a store.Article) seoMeta {
	canonical := s.absURL(r, a.URL())
	img := s.card(r, a)
	var images []string
	for _, w := range pictureWidths {
		// Google wants at least 50,000 pixels: 1200×630 and 600×315 qualify, 300×158 does not.
		if w*pictureHeight(w) < 50000 {
			continue
		}
		if u := s.assetURL(articlePicture(a.Slug, w)); u != "" {
			images = append(images, s.absURL(r, u))
		}
	}
	if len(images) == 0 && img.URL != "" {
		images = append(images, img.URL)
	}
	art := ldNewsArticle{
		ldThing:          ldThing{Context: schemaContext, Type: "NewsArticle"},
		Headline:         a.Title,
		Description:      a.Summary,
		Image:            images,
		DatePublished:    seoTime(a.Published),
		DateModified:     seoTime(a.Published), // stories are not edited after publication
		Author:           []ldPerson{{Type: "Person", Name: a.Author}},
		Publisher:        s.publisher(r),
		MainEntityOfPage: ldWebPage{Type: "WebPage", ID: canonical},
		ArticleSection:   sectionTitle(a.Section),
		InLanguage:       "en",
		URL:              canonical,
		IsPartOf:         &ldWebSiteRef{Type: "WebSite", Name: siteName, URL: s.absURL(r, "/")},
	}
	if u := s.assetURL(articlePicture(a.Slug, 300)); u != "" {
		art.ThumbnailURL = s.absURL(r, u)
	}
	crumbs := ldBreadcrumbList{
		ldThing: ldThing{Context: schemaContext, Type: "BreadcrumbList"},
		ItemListElement: []ldListItem{
			{Type: "ListItem", Position: 1, Name: "Home", Item: s.absURL(r, "/")},
			{Type: "ListItem", Position: 2, Name: sectionTitle(a.Section), Item: s.absURL(r, sectionPath(a.Section))},
			{Type: "ListItem", Position: 3, Name: a.Title, Item: canonical},
		},
	}
	return seoMeta{
		Canonical: canonical, Title: a.Title, Description: a.Summary, Type: "article", Image: img,
		Published: a.Published, Modified: a.Published, Section: sectionTitle(a.Section), Author: a.Author,
		JSONLD: []any{art, crumbs},
	}
}

// homeSEO is the front page's: a WebSite with its search as a SearchAction.
func (s *Site) homeSEO(r *http.Request, description string) seoMeta {
	home := s.absURL(r, "/")
	site := ldWebSite{
		ldThing:     ldThing{Context: schemaContext, Type: "WebSite"},
		Name:        siteName,
		URL:         home,
		Description: description,
		InLanguage:  "en",
		Publisher:   s.publisher(r),
		PotentialAction: ldSearchAction{
			Type:       "SearchAction",
			Target:     ldEntryPoint{Type: "EntryPoint", URLTemplate: s.absURL(r, "/search?q={search_term_string}")},
			QueryInput: "required name=search_term_string",
		},
	}
	return seoMeta{Canonical: home, Title: siteName, Description: description, Type: "website", Image: s.siteCard(r), JSONLD: []any{site}}
}

// sectionSEO is a section page's: a CollectionPage listing its stories.
func (s *Site) sectionSEO(r *http.Request, id, description string, arts []store.Article) seoMeta {
	canonical := s.absURL(r, sectionPath(id))
	var list *ldItemList // the stories, when the page knows them before they stream
	for i, a := range arts {
		if list == nil {
			list = &ldItemList{Type: "ItemList"}
		}
		list.ItemListElement = append(list.ItemListElement, ldListEntry{Type: "ListItem", Position: i + 1, URL: s.absURL(r, a.URL()), Name: a.Title})
	}
	page := ldCollectionPage{
		ldThing:     ldThing{Context: schemaContext, Type: "CollectionPage"},
		Name:        sectionTitle(id) + " — " + siteName,
		URL:         canonical,
		Description: description,
		InLanguage:  "en",
		IsPartOf:    s.siteRef(r),
		Breadcrumb: ldBreadcrumbRef{Type: "BreadcrumbList", ItemListElement: []ldListItem{
			{Type: "ListItem", Position: 1, Name: "Home", Item: s.absURL(r, "/")},
			{Type: "ListItem", Position: 2, Name: sectionTitle(id), Item: canonical},
		}},
		MainEntity: list,
	}
	return seoMeta{Canonical: canonical, Title: sectionTitle(id) + " — " + siteName, Description: description, Type: "website",
		Image: s.sectionCard(r, id), JSONLD: []any{page}}
}

// plainSEO is any other page's: its canonical URL and the site's card.
func (s *Site) plainSEO(r *http.Request, canonicalPathQuery, title, description string) seoMeta {
	return seoMeta{Canonical: s.absURL(r, canonicalPathQuery), Title: title, Description: description, Type: "website", Image: s.siteCard(r)}
}

// marshalLD encodes v as JSON safe inside a <script> element: encoding/json
// already writes <, > and & as \u003c, \u003e and \u0026 and U+2028 and
// U+2029 as \u2028 and \u2029, so no text in v can end the element
// ("</script"), open a comment ("<!--") or break a JavaScript string
// literal; the check after it makes sure of that whatever the encoder.
func marshalLD(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if bytes.ContainsAny(b, "<>&\u2028\u2029") {
		b = bytes.ReplaceAll(b, []byte("<"), []byte(`\u003c`))
		b = bytes.ReplaceAll(b, []byte(">"), []byte(`\u003e`))
		b = bytes.ReplaceAll(b, []byte("&"), []byte(`\u0026`))
		b = bytes.ReplaceAll(b, []byte("\u2028"), []byte(`\u2028`))
		b = bytes.ReplaceAll(b, []byte("\u2029"), []byte(`\u2029`))
	}
	return b, nil
}

// jsonLD writes v as <script type="application/ld+json">. It is data, not
// script: a browser never runs it, so the page's Content-Security-Policy
// (script-src with a nonce) does not apply to it and it needs no nonce.
func jsonLD(v any) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		b, err := marshalLD(v)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, `<script type="application/ld+json">`); err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		_, err = io.WriteString(w, `</script>`)
		return err
	})
}
