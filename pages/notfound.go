package pages

import (
	"net/http"
	"strings"
	"unicode/utf8"
)

// maxShownPath bounds how much of an unknown path the 404 page repeats.
const maxShownPath = 80

// NotFound answers r with the site's 404 page: status 404 and a whole page
// of the site (its masthead, nav, stylesheet and footer) saying that nothing
// is at r's path, with links onward, and for an unknown story a search for
// the words of its slug. It is plain HTML without scripts, the same for
// browsers with and without JavaScript and for crawlers. [Routes] serves it
// for every path it does not know; [Site.Home] and [Site.Article] answer
// with it from their preflight.
func (s *Site) NotFound(w http.ResponseWriter, r *http.Request) {
	d := notFoundData{Path: shorten(r.URL.Path, maxShownPath), CSSURL: s.cssURL()}
	if slug, ok := strings.CutPrefix(r.URL.Path, "/article/"); ok {
		d.Story = true
		if ValidSlug(slug) {
			d.Query = strings.ReplaceAll(slug, "-", " ")
		}
	}
	box := s.plainAccountBox(w, r)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	if readerName(r.Context()) != "" {
		h.Set("Cache-Control", "private, no-store") // the account box is the reader's
	}
	w.WriteHeader(http.StatusNotFound)
	if r.Method == http.MethodHead {
		return
	}
	// A write error means the client has gone: nothing is left to tell it.
	_ = notFoundPage(chrome{Now: s.now(), Account: box}, d).Render(r.Context(), w)
}

// cssURL is the site stylesheet's URL: the content-hashed one when the site
// has the asset registry ([WithAssets]), the plain name otherwise.
func (s *Site) cssURL() string {
	if s.reg != nil {
		if a, ok := s.reg.Lookup(SiteCSS); ok {
			return a.URL
		}
	}
	return "/static/" + SiteCSS
}

// shorten cuts s to at most n runes, marking a cut with "…".
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
