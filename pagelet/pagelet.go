// Package pagelet defines the unit a BigPipe page is cut into: an independently
// fetched, independently rendered part of a page with its own CSS and JS.
//
// A pagelet is a plain struct literal:
//
//	pagelet.Pagelet{
//		ID:          "weather",
//		Load:        pagelet.Fetch(store.Weather, WeatherView), // fetch, then render
//		CSS:         []string{"pagelets/weather.css"},
//		JS:          []string{"pagelets/weather.js"},
//		Placeholder: Skeleton(3),
//		Timeout:     800 * time.Millisecond,
//	}
//
// and a [Page] is a layout plus a list of pagelets. The render package turns a
// Page into a streamed HTTP response.
package pagelet

import (
	"context"
	"time"

	"github.com/a-h/templ"
)

// DefaultTimeout bounds a pagelet whose Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Pagelet is one independently loaded part of a page.
//
// The zero value of every field except ID and Load is usable: no assets, an
// empty placeholder, the generic fallback, [DefaultTimeout] and priority 0.
type Pagelet struct {
	// ID names the pagelet. It is the id of its placeholder element and the
	// key of its payload, so it must be unique within a page. Any valid
	// UTF-8 without control characters is safe (the renderer escapes it
	// wherever it appears); anything else would read differently in the
	// markup and in the payload (a browser rewrites NUL, CR and invalid
	// UTF-8 in an attribute), so [Page.Validate] refuses it.
	ID string

	// Load fetches the pagelet's data and returns the component that renders
	// it. It runs concurrently with the other pagelets' Load, with a context
	// that is cancelled when Timeout passes or the client goes away; it should
	// return promptly once ctx is done. [Fetch] builds a Load from a typed
	// fetch function and a typed view.
	Load func(ctx context.Context) (templ.Component, error)

	// CSS and JS name asset files (paths relative to the asset root, such as
	// "pagelets/news.css"). The browser loads the CSS before showing the
	// pagelet and runs the JS only after every pagelet of the page is shown.
	CSS, JS []string

	// Placeholder is rendered inside the pagelet's element in the skeleton
	// while the data loads. It should reserve the space the content will take
	// so that nothing jumps when it arrives. Nil renders nothing.
	Placeholder templ.Component

	// Fallback renders the pagelet when Load fails, panics or times out. Nil
	// uses the renderer's generic "could not be loaded" notice.
	Fallback func(err error) templ.Component

	// Timeout bounds Load and rendering. Zero means [DefaultTimeout].
	Timeout time.Duration

	// Priority orders pagelets that are ready at the same moment: higher
	// values are flushed first. It never delays a ready pagelet behind one
	// that is not ready.
	Priority int

	// Channel names the live channel that keeps the pagelet current after
	// the page has loaded, such as "scores" or "comments:"+slug (package
	// live declares channels and publishes to them). Empty: the pagelet is
	// rendered once. A renderer without a live engine ignores it.
	Channel string

	// Personal marks a pagelet whose content depends on its reader (see
	// [ReaderFrom]): a page that holds one is answered with Cache-Control
	// "private, no-store", so that no shared cache keeps one reader's page
	// for another.
	Personal bool

	// DecidesHead marks a pagelet whose Load may decide part of the
	// document's head ([WithHead]): a plain page's head waits for it, up
	// to the renderer's head timeout, then is written without it.
	DecidesHead bool

	// Cache lets the pagelet's rendered markup be served to other requests
	// for a while instead of running Load for each (see [Cache]). The zero
	// value caches nothing.
	Cache Cache
}

// EffectiveTimeout returns p.Timeout, or [DefaultTimeout] when it is not positive.
func (p *Pagelet) EffectiveTimeout() time.Duration {
	if p.Timeout <= 0 {
		return DefaultTimeout
	}
	return p.Timeout
}

// Fetch adapts a typed data fetch and a typed view into a Pagelet's Load.
// The view is only called when fetch succeeds.
func Fetch[T any](fetch func(context.Context) (T, error), view func(T) templ.Component) func(context.Context) (templ.Component, error) {
	return func(ctx context.Context) (templ.Component, error) {
		data, err := fetch(ctx)
		if err != nil {
			return nil, err
		}
		return view(data), nil
	}
}

// Static returns a Load that renders c without fetching anything.
func Static(c templ.Component) func(context.Context) (templ.Component, error) {
	return func(context.Context) (templ.Component, error) { return c, nil }
}
