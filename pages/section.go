package pages

import (
	"net/http"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// Section is a section's page, "/section/{id}": the section's block of the
// front page (the same pagelet, sharing its cached fragment) and the
// most-read rail, with the section's own title, canonical link and
// structured data (a CollectionPage). It is where an article's kicker and
// breadcrumbs lead. An unknown id gets the 404 page ([Site.NotFound]).
func (s *Site) Section(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
	id := r.PathValue("id")
	if !isSectionID(id) {
		s.NotFound(w, r)
		return nil, nil
	}
	now := s.now()
	c := chrome{Now: now}
	notices, nb := s.noticesPagelet(w, r)
	desc := sectionDescription(id)
	return &pagelet.Page{
		Title: sectionTitle(id) + " — " + siteName,
		Lang:  "en",
		Head:  templ.Join(headMeta(desc, false), seoTags(s.sectionSEO(r, id, desc, nil)), sectionFeedLink(id)),
		CSS:   []string{SiteCSS},
		JS:    noticesJS(nb),
		Layout: func(slot pagelet.Slot) templ.Component {
			return sectionLayout(s.withAccountSlot(c, slot), id, nb, slot)
		},
		Pagelets: append([]pagelet.Pagelet{
			s.sectionPagelet(id, now),
			s.mostReadPagelet(),
			notices,
		}, s.accountPagelets(w, r)...),
	}, nil
}

// sectionDescription is a section page's description.
func sectionDescription(id string) string {
	switch id {
	case "hotnews":
		return "The top stories of the day from " + siteName + "."
	case "finance":
		return "Business news and the markets from " + siteName + "."
	}
	return "The latest " + sectionTitle(id) + " stories from " + siteName + "."
}
