package pagelet

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/a-h/templ"
)

// Slot returns the component that stands for the pagelet with the given id
// inside a layout. Depending on the render mode it becomes the pagelet's
// placeholder (BigPipe) or its finished content (plain HTML).
type Slot func(id string) templ.Component

// Page is what one request renders: document metadata, a layout and the
// pagelets the layout places.
//
// A Page is usually built per request (by a render.PageFunc), so it may
// depend on the URL, for example a search query.
type Page struct {
	// Title is the document title. It is escaped.
	Title string

	// Lang is the document language; empty means "en".
	Lang string

	// Head is extra markup for <head>, such as meta descriptions. Optional.
	Head templ.Component

	// InlineCSS names small critical stylesheets to put into <head> as
	// <style>, before the linked CSS: the first paint then waits for no
	// request. Files over the asset registry's inline limit (4 KiB by
	// default) are linked instead. Inline only what is small and specific to
	// this page; CSS shared across pages is better linked and cached.
	InlineCSS []string

	// CSS names the page's shared stylesheets, linked in <head> in order.
	// JS names the page's shared scripts, loaded after all pagelets are shown
	// (BigPipe) or at the end of <body> (plain HTML).
	CSS, JS []string

	// Layout renders the body. It must render slot(id) exactly once for each
	// pagelet in Pagelets.
	Layout func(slot Slot) templ.Component

	// LayoutKey, when not empty, lets the renderer render Layout once and
	// reuse its markup for every later page with the same key and the same
	// pagelet ids, instead of rendering it for each request: on a page
	// whose pagelets are cached, the layout is most of the work left. The
	// key must name everything the layout's markup depends on (the route
	// and whatever of the URL it shows); a layout that shows something of
	// the request or its reader must not have one. A layout that writes the
	// request's CSP nonce is never reused (the renderer logs it once).
	LayoutKey string

	// Pagelets lists the page's pagelets in document order.
	Pagelets []Pagelet
}

// Errors reported by [Page.Validate].
var (
	ErrNoLayout    = errors.New("pagelet: page has no layout")
	ErrEmptyID     = errors.New("pagelet: empty pagelet id")
	ErrDuplicateID = errors.New("pagelet: duplicate pagelet id")
	ErrNoLoad      = errors.New("pagelet: pagelet has no Load")
	ErrBadID       = errors.New("pagelet: pagelet id is not valid UTF-8 or has a control character")
	ErrBadChannel  = errors.New("pagelet: live channel is not valid UTF-8, has a control character or a space, or is over 255 bytes")
)

// maxChannel is the longest live channel name, the engine's own limit.
const maxChannel = 255

// Validate reports every configuration error in p, joined with
// [errors.Join]: a missing layout, an empty, duplicate or bad pagelet id
// (see [Pagelet].ID), a pagelet without Load, or a bad live channel name.
// Test for one with [errors.Is]. It does not look at assets or at what the
// layout places: render.Renderer.Check does, with the renderer's registry.
func (p *Page) Validate() error {
	var errs []error
	if p.Layout == nil {
		errs = append(errs, ErrNoLayout)
	}
	// A page function runs for every request, and so does Validate: a
	// page of a few pagelets is checked for repeated ids by looking back,
	// with no map to allocate.
	var seen map[string]struct{}
	if len(p.Pagelets) > smallPage {
		seen = make(map[string]struct{}, len(p.Pagelets))
	}
	for i := range p.Pagelets {
		pl := &p.Pagelets[i]
		var dup bool
		if seen != nil {
			_, dup = seen[pl.ID]
			seen[pl.ID] = struct{}{}
		} else {
			for j := range i {
				if p.Pagelets[j].ID == pl.ID {
					dup = true
					break
				}
			}
		}
		switch {
		case pl.ID == "":
			errs = append(errs, fmt.Errorf("%w (pagelet #%d): give every pagelet an ID", ErrEmptyID, i))
		case !printableASCII(pl.ID) && (!utf8.ValidString(pl.ID) || strings.ContainsFunc(pl.ID, unicode.IsControl)):
			errs = append(errs, fmt.Errorf("%w: %q", ErrBadID, pl.ID))
		case dup:
			errs = append(errs, fmt.Errorf("%w %q (pagelet #%d): ids must be unique within a page", ErrDuplicateID, pl.ID, i))
		}
		if pl.Load == nil {
			errs = append(errs, fmt.Errorf("%w: %q", ErrNoLoad, pl.ID))
		}
		if ch := pl.Channel; ch != "" && (len(ch) > maxChannel || !utf8.ValidString(ch) ||
			strings.ContainsFunc(ch, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) })) {
			errs = append(errs, fmt.Errorf("%w: pagelet %q: %q", ErrBadChannel, pl.ID, ch))
		}
	}
	return errors.Join(errs...)
}

// printableASCII reports whether s is printable ASCII alone (space to
// tilde): valid UTF-8 with no control character, checked without decoding
// runes, as most ids are.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// smallPage is the most pagelets Validate checks for repeated ids without
// a map.
const smallPage = 16

// Personal reports whether any of the page's pagelets is
// [Pagelet].Personal: the page is its reader's alone.
func (p *Page) Personal() bool {
	for i := range p.Pagelets {
		if p.Pagelets[i].Personal {
			return true
		}
	}
	return false
}
