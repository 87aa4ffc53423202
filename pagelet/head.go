package pagelet

import "github.com/a-h/templ"

// Head is what a pagelet's data decides of the document's <head>: what
// only a slow data source may know (the title of the thing the URL names,
// its price, its description), so that a search engine or a link preview
// finds it in the head rather than in the body or not at all. A Load
// returns it with its content through [WithHead]; the pagelet must be
// marked [Pagelet].DecidesHead.
//
// The renderer writes it into the head of a plain page (crawlers, link
// previews, no JavaScript), which waits for the pagelets that decide it, up
// to a head timeout; in the BigPipe modes the skeleton does not wait, and
// the runtime applies it when the pagelet arrives: the title replaced,
// each meta tag updated in place (or added), the canonical link set, the
// JSON-LD added. Every string is escaped wherever it is written.
type Head struct {
	// Title replaces the document's title. Empty: the page's stays.
	Title string

	// Meta tags, each replacing one of the same name or property, the
	// page's own (Page.Head) included: a page may carry a default
	// description that a pagelet decides better.
	Meta []Meta

	// Canonical is the page's canonical URL, absolute, replacing the
	// page's own. Empty: the page's stays.
	Canonical string

	// JSONLD are structured data objects, each written as a
	// <script type="application/ld+json"> (data, never run): values
	// encoding/json can marshal.
	JSONLD []any
}

// Meta is a <meta> tag: Name (such as "description") or Property (such
// as "og:title"), and Content.
type Meta struct {
	Name, Property, Content string
}

// headed is a component that carries the head its Load decided.
type headed struct {
	templ.Component
	head Head
}

// WithHead returns c carrying h: a pagelet's Load returns it to decide h
// of the document's head (see [Head]). It renders as c.
func WithHead(c templ.Component, h Head) templ.Component {
	return headed{Component: c, head: h}
}

// HeadOf returns the head c carries, if a Load made it with [WithHead].
func HeadOf(c templ.Component) (Head, bool) {
	h, ok := c.(headed)
	return h.head, ok
}
