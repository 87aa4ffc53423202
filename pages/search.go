package pages

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// MaxQueryLen is the longest search query, in characters, that [Site.Search]
// accepts; longer ones get a 400.
const MaxQueryLen = 200

// searchDescription is the search page's description.
const searchDescription = "Search the stories of " + siteName + "."

// searchLimit caps the results pagelet.
const searchLimit = 25

// Search is the search page, "/search?q=…", optionally narrowed to one
// section with "&section=ID" (the links of "Sections with matches"). The
// query is shown as typed and always escaped. An empty query shows a prompt;
// a query longer than [MaxQueryLen] characters or an unknown section is
// answered with 400 Bad Request.
func (s *Site) Search(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
	q := r.URL.Query().Get("q")
	if n := utf8.RuneCountInString(q); n > MaxQueryLen {
		http.Error(w, fmt.Sprintf("Search query too long: %d characters, at most %d allowed.", n, MaxQueryLen), http.StatusBadRequest)
		return nil, nil
	}
	sec := r.URL.Query().Get("section")
	if sec != "" && !isSectionID(sec) {
		http.Error(w, fmt.Sprintf("Unknown section %q: want one of %s.", shorten(sec, 40), strings.Join(sectionIDs(), ", ")), http.StatusBadRequest)
		return nil, nil
	}
	now := s.now()
	c := chrome{Now: now, Query: q}
	title := "Search — " + siteName
	if !isBlank(q) {
		title = "Search: " + strings.TrimSpace(q) + inSection(sec) + " — " + siteName
	}
	results := pagelet.Static(searchPrompt())
	if !isBlank(q) {
		// The number of results is known once the search has answered:
		// the results pagelet decides the title (a crawler's page holds
		// its head back for it, a browser's runtime sets it on arrival).
		results = pagelet.Fetch(
			func(ctx context.Context) ([]store.Article, error) { return s.search(ctx, q, sec) },
			func(a []store.Article) templ.Component {
				return pagelet.WithHead(searchResults(q, sec, a, now), pagelet.Head{Title: resultsTitle(q, sec, len(a))})
			})
	}
	return &pagelet.Page{
		Title: title,
		Lang:  "en",
		Head: templ.Join(headMeta(searchDescription, true),
			seoTags(s.plainSEO(r, canonicalPath("/search", r.URL.Query(), "q", "section"), strings.TrimSuffix(title, " — "+siteName), searchDescription))),
		CSS:    []string{SiteCSS},
		Layout: func(slot pagelet.Slot) templ.Component { return searchLayout(s.withAccountSlot(c, slot), slot) },
		Pagelets: append([]pagelet.Pagelet{
			s.pagelet("searchhead", "Search", 100, skelSearchHead(), pagelet.Static(searchHead(q, sec))),
			decidesHead(s.pagelet("results", "Search", 50, skelResults(), results)),
			s.pagelet("suggestions", "The suggestions panel", 10, skelSuggestions(),
				pagelet.Fetch(func(ctx context.Context) (suggestionData, error) { return s.suggestionData(ctx, q, sec) },
					func(d suggestionData) templ.Component { return suggestions(d, now) })),
		}, s.accountPagelets(w, r)...),
	}, nil
}

// resultsTitle is the title of a search's page once its results are in.
func resultsTitle(q, sec string, n int) string {
	count := fmt.Sprintf("%d results", n)
	switch {
	case n == 1:
		count = "1 result"
	case n >= searchLimit:
		count = fmt.Sprintf("%d+ results", searchLimit)
	}
	return "Search: " + strings.TrimSpace(q) + inSection(sec) + " (" + count + ") — " + siteName
}

// decidesHead marks p as deciding part of its page's head.
func decidesHead(p pagelet.Pagelet) pagelet.Pagelet {
	p.DecidesHead = true
	return p
}

// search returns the newest searchLimit matches of q, only those of section
// sec unless sec is "".
func (s *Site) search(ctx context.Context, q, sec string) ([]store.Article, error) {
	if sec == "" {
		return s.st.Search(ctx, q, searchLimit)
	}
	arts, err := s.st.Search(ctx, q, 0)
	if err != nil {
		return nil, err
	}
	arts = slices.DeleteFunc(arts, func(a store.Article) bool { return a.Section != sec })
	return arts[:min(len(arts), searchLimit)], nil
}

// sectionURL is the search for q narrowed to section id.
func sectionURL(q, id string) string { return searchURL(q) + "&section=" + url.QueryEscape(id) }

// inSection is " in <section title>" for a search narrowed to sec, else "".
func inSection(sec string) string {
	if sec == "" {
		return ""
	}
	return " in " + sectionTitle(sec)
}

func isSectionID(id string) bool { return slices.Contains(sectionIDs(), id) }

func sectionIDs() []string {
	var out []string
	for _, sec := range sections() {
		out = append(out, sec.ID)
	}
	return out
}

// suggestionData fetches how many matches each section has and the latest
// headlines, concurrently.
func (s *Site) suggestionData(ctx context.Context, q, sec string) (suggestionData, error) {
	counts, latest, err := both(ctx, "suggestions",
		func(ctx context.Context) ([]sectionCount, error) {
			if isBlank(q) {
				return nil, nil
			}
			arts, err := s.st.Search(ctx, q, 0)
			return countSections(arts), err
		},
		s.section("hotnews", 4))
	return suggestionData{Query: q, Section: sec, Sections: counts, Latest: latest}, err
}

// countSections counts articles per section, most matches first.
func countSections(arts []store.Article) []sectionCount {
	var out []sectionCount
	for _, sec := range sections() {
		n := 0
		for _, a := range arts {
			if a.Section == sec.ID {
				n++
			}
		}
		if n > 0 {
			out = append(out, sectionCount{ID: sec.ID, Title: sec.Title, Count: n})
		}
	}
	slices.SortStableFunc(out, func(a, b sectionCount) int { return cmp.Compare(b.Count, a.Count) })
	return out
}

// topics are the suggested searches.
func topics() []string {
	return []string{"rail", "inflation", "storm", "housing", "energy", "schools", "football", "chips"}
}

func isBlank(q string) bool { return strings.TrimSpace(q) == "" }

// sameQuery reports whether a suggested topic is the current query.
func sameQuery(topic, q string) bool { return strings.EqualFold(topic, strings.TrimSpace(q)) }
