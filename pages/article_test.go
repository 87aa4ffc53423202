package pages_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestNotFound(t *testing.T) {
	site, _ := newSite(t)
	tests := []struct {
		name   string
		fn     pageFunc
		target string
		slug   string
	}{
		{"unknown article", site.Article, "/article/no-such-story", "no-such-story"},
		{"malformed slug", site.Article, "/article/..%2Fetc", "../etc"},
		{"upper case slug", site.Article, "/article/Rail", "Rail"},
		{"trailing hyphen", site.Article, "/article/rail-", "rail-"},
		{"empty slug", site.Article, "/article/", ""},
		{"long slug", site.Article, "/article/x", strings.Repeat("a", 500)},
		{"other path on home", site.Home, "/nope", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var pv []string
			if tc.slug != "" {
				pv = []string{"slug", tc.slug}
			}
			page, w := get(t, tc.fn, tc.target, pv...)
			if page != nil {
				t.Error("got a page, want the request answered")
			}
			if w.Code != http.StatusNotFound {
				t.Errorf("status %d, want 404", w.Code)
			}
			if body := w.Body.String(); !strings.Contains(body, "<h1 class=\"not-found__title\">Page not found</h1>") || !strings.Contains(body, `class="site-nav"`) {
				t.Errorf("404 body is not the site's 404 page:\n%s", body)
			}
		})
	}
}
