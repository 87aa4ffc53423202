package pages

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// MaxSlugLen bounds the slugs [Site.Article] looks up, in bytes.
const MaxSlugLen = 120

// Article is an article page, "/article/{slug}": the story, related
// stories, the readers' comments (live on [CommentsChannel]) with the form
// that posts one ([Site.PostComment]), and the most-read rail. The slug is read from the
// route's {slug} wildcard, or else from the path after "/article/". An
// unknown or malformed slug is answered with the 404 page ([Site.NotFound])
// before anything streams.
func (s *Site) Article(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
	slug := r.PathValue("slug")
	if slug == "" {
		slug = strings.TrimPrefix(r.URL.Path, "/article/")
	}
	if !ValidSlug(slug) {
		s.NotFound(w, r)
		return nil, nil
	}
	// The request check: a fast lookup that decides the status.
	a, err := s.st.Headline(r.Context(), slug)
	if errors.Is(err, store.ErrNotFound) {
		s.NotFound(w, r)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	c := chrome{Now: now}
	form := s.commentForm(w, r, slug)
	pic, _ := s.leadPicture(a)
	notices, nb := s.noticesPagelet(w, r)
	return &pagelet.Page{
		Title: a.Title + " — " + siteName,
		Lang:  "en",
		Head:  templ.Join(headMeta(a.Summary, false), seoTags(s.articleSEO(r, a))),
		CSS:   []string{SiteCSS},
		JS:    []string{render.FormScript}, // the comment form's enhancer
		Layout: func(slot pagelet.Slot) templ.Component {
			return articleLayout(s.withAccountSlot(c, slot), a, pic, form, nb, slot)
		},
		Pagelets: append([]pagelet.Pagelet{
			s.cached(storyCache(slug), s.pagelet("story", "The story", 100, skelStory(),
				pagelet.Fetch(func(ctx context.Context) (store.Article, error) { return s.st.Article(ctx, slug) },
					func(a store.Article) templ.Component { return story(a, now) }))),
			s.cached(storiesCache("article:"+slug+":related", sectionTag(a.Section), articleTag(slug)),
				s.pagelet("related", relatedTitle(a.Section), 50, skelRelated(),
					pagelet.Fetch(func(ctx context.Context) ([]store.Article, error) { return s.relatedTo(ctx, a) },
						func(arts []store.Article) templ.Component { return related(arts, now) }))),
			s.cached(commentsCache(slug), s.live(CommentsChannel(slug), s.pagelet("comments", "Comments", 40, skelComments(),
				pagelet.Fetch(func(ctx context.Context) ([]store.Comment, error) {
					return s.st.VisibleComments(ctx, slug, commentsShown)
				}, comments)))),
			s.mostReadPagelet(),
			s.readingPagelet(slug),
			notices,
		}, s.accountPagelets(w, r)...),
	}, nil
}

// relatedTitle is the heading of an article's related-stories block, which
// its fallback repeats.
func relatedTitle(section string) string { return "More from " + sectionTitle(section) }

// relatedTo returns the newest other stories of a's section.
func (s *Site) relatedTo(ctx context.Context, a store.Article) ([]store.Article, error) {
	arts, err := s.st.Section(ctx, a.Section, 6)
	if err != nil {
		return nil, err
	}
	out := make([]store.Article, 0, len(arts))
	for _, x := range arts {
		if x.Slug != a.Slug && len(out) < 5 {
			out = append(out, x)
		}
	}
	return out, nil
}

// ValidSlug reports whether slug looks like one of the store's slugs:
// lower-case letters, digits and single inner hyphens, at most
// [MaxSlugLen] bytes. The article route, the comment form and the admin
// server's breaking-news endpoint all check slugs with it.
func ValidSlug(slug string) bool {
	if slug == "" || len(slug) > MaxSlugLen || slug[0] == '-' || slug[len(slug)-1] == '-' {
		return false
	}
	for i := 0; i < len(slug); i++ {
		switch c := slug[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && slug[i-1] != '-':
		default:
			return false
		}
	}
	return true
}
