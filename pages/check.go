package pages

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/bigpipe-go/bigpipe/render"
)

// Check checks every page the site serves with rd ([render.Renderer.CheckPage]):
// the front page, the search page with and without a query, an article
// (the newest top story) and the benchmark page, each built by its
// PageFunc for a representative request, as [Routes] routes it. A typo in
// an asset name or a layout that misses a pagelet is then found at start,
// not as a 500 on every request. It reads the store for an article's
// slug, so the store must hold at least one top story. A new page route
// belongs here too.
func (s *Site) Check(ctx context.Context, rd *render.Renderer) error {
	top, err := s.st.Section(ctx, "hotnews", 1)
	switch {
	case err != nil:
		return fmt.Errorf("pages: check: an article to check: %w", err)
	case len(top) == 0:
		return errors.New("pages: check: no top story in the store to check the article page with")
	}
	checks := []struct {
		pattern, target string
		pf              render.PageFunc
	}{
		{"GET /{$}", "/", s.Home},
		{"GET /search", "/search", s.Search},
		{"GET /search", "/search?q=harbour", s.Search},
		{"GET /article/{slug}", top[0].URL(), s.Article},
		{"GET /bench", "/bench", Bench},
	}
	var errs []error
	for _, c := range checks {
		r := httptest.NewRequestWithContext(ctx, http.MethodGet, c.target, nil)
		r.Pattern = c.pattern
		if c.pattern == "GET /article/{slug}" {
			r.SetPathValue("slug", top[0].Slug)
		}
		errs = append(errs, rd.CheckPage(c.pf, r)) // each problem names r.Pattern
	}
	return errors.Join(errs...)
}
