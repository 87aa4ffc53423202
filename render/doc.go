// Package render is the BigPipe streaming engine: it turns a
// [pagelet.Page] into an HTTP response that flushes the page skeleton at once
// and then streams every pagelet as soon as its data is ready.
//
//	files, err := assets.New(static.FS) // the site's CSS and JS
//	rd, err := render.New(files)        // the client runtime is built in
//	mux.Handle("GET /{$}", rd.Page(func(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
//		return &pagelet.Page{Title: "Home", Layout: HomeLayout, Pagelets: []pagelet.Pagelet{news, weather}}, nil
//	}))
//	mux.Handle("GET /static/", files) // the CSS and JS the pages link
//	mux.Handle(rd.Path(), rd)         // the runtime and the no-JS redirect
//
// # Modes
//
// Browsers get [Pipelined] (BigPipe), or [Native] (BigPipe that the
// browser's parser assembles, with or without JavaScript) when they are
// Chrome 156 or later. In both, a pagelet already done when the skeleton is
// written is placed in its slot as HTML (see [WithPayloadsOnly]). Crawlers,
// text-mode browsers and browsers without JavaScript get [InOrder]: the same
// document as plain HTML,
// still streamed and still fetched concurrently. [Serial] is the classic
// render, kept as a benchmark baseline. See [Renderer.DetectMode].
//
// # Failure
//
// A pagelet that fails, panics or times out renders its fallback; the rest
// of the page is unaffected. A client that disconnects cancels every fetch.
// A failure of the page itself after the first byte aborts the connection
// with [http.ErrAbortHandler], so no client mistakes a truncated page for a
// whole one. Each write has a deadline ([WithWriteTimeout]): a client that
// stops reading is cut off instead of holding the page forever.
//
// # Overload
//
// [WithLimits] bounds the pagelet loads running at once, per page and
// across the process, handing free slots out by priority; a page that does
// not fit in the budget is shed with 503 and Retry-After before any work
// starts, and so is a page or fragment beyond [Limits].Pages answered at
// once (which also bounds pages whose pagelets are all cached, and take
// no budget). [WithPageTimeout] bounds a whole response.
//
// # Observability
//
// Every request gets an id ([RequestID], from a sane X-Request-Id or
// fresh), carried by every log line about it; each page ends with one
// structured log line (mode, status, outcome, time to skeleton, duration,
// failed pagelets), and each pagelet with a debug line of its queue, fetch
// and render times. An [Observer] ([WithObserver]) gets the same figures
// for metrics. [WithServerTiming] shows them in the browser's developer
// tools.
//
// # Checks
//
// [Renderer.Check], [Renderer.CheckPage] and [Renderer.CheckMounted] find
// at start what would otherwise fail every request, or only show in the
// browser: an unknown asset name, a layout that misses or invents a
// pagelet, a live pagelet without a live engine or on a channel no feed
// declares, an endpoint the site did not mount (check.go, mounted.go). A
// request's page that fails for such a mistake still gets a 500, and each
// of its mistakes is logged once per route, not per request (problems.go).
// docs/checks.md is the guide.
//
// # Lifecycle of a response
//
// [Handler.ServeHTTP] takes each request through the same steps, each in a
// file of its own: the request's record and deadline (response.go), the
// mode (mode.go), the preflight (preflight.go), the page's assets
// (resources.go), admission ([Limits], limits.go), Early Hints (hints.go),
// the fetches (fetch.go, load.go, settle.go), the layout (layout.go), the
// skeleton (skeleton.go, head.go), the pagelets in the mode's order
// (pipelined.go, plain.go, payload.go), and the end: a complete page, or
// one that cannot look whole (end.go).
//
// Each pagelet's Load runs in a goroutine of its own, which ends when Load
// and the rendering of its component return; the handler waits for all of
// them before it returns, except a Load that ignores its context, which it
// waits for only until the pagelet's deadline. No other goroutine is
// started, and only the handler's goroutine writes the response.
//
// # Why not errgroup
//
// The engine keeps this lifecycle of its own (fetch.go, settle.go) rather
// than an [golang.org/x/sync/errgroup.Group], which it used until
// commit c26d5ae. A group's Wait returns when every goroutine has returned,
// so a Load that ignores its context would hold the response behind it,
// past the pagelet's deadline and the page's, which the engine promises
// never to do: a pagelet past its deadline gets its fallback at once and
// the page ends without waiting for that Load. Nor do a page's pagelets
// share the group's fate: one failing renders its fallback and cancels
// nothing else.
//
// Leaving errgroup was not what made the engine faster. c26d5ae took a
// zero-delay six-pagelet page (BenchmarkPage, n=6: go test -run '^$'
// -bench 'BenchmarkPage/n=6' ./render) from 60 to 31 µs in the pipelined
// mode and from 47 to 25 µs in the serial one, and that came from the
// redesign: one goroutine per pagelet instead of two (a runner that kept
// the deadline and the Load it waited for), deadlines kept by the handler
// goroutine, and pagelets ready with the skeleton written in its write.
// Measured with a [sync.WaitGroup] in errgroup's place, the old design cost
// the same. Where group semantics fit, the demo uses errgroup: its pagelets
// that make two fetches at once (pages' both).
package render
