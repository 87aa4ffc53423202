package pages

import "github.com/bigpipe-go/bigpipe/assets"

// HomeBundle joins the site CSS with the CSS of every front-page pagelet,
// in document order. A plain-HTML front page (crawlers, no-JS browsers)
// needs all of them in its <head>, and the renderer links this one file
// instead: one request instead of nine. BigPipe pages never use it, since
// there each pagelet's CSS is loaded, once, by the runtime.
const HomeBundle = "bundles/home.css"

// Bundles returns the asset options that declare the demo's bundles; pass
// them to assets.New.
func Bundles() []assets.Option {
	return []assets.Option{assets.WithBundle(HomeBundle,
		SiteCSS, storiesCSS, "pagelets/breaking.css",
		"pagelets/hotnews.css", "pagelets/society.css", "pagelets/finance.css", "pagelets/tech.css",
		"pagelets/sports.css", "pagelets/notifications.css", "pagelets/mostread.css", "pagelets/weather.css")}
}
