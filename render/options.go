package render

import (
	"log/slog"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/bigpipe-go/bigpipe/cache"
)

// Option configures a [Renderer]: given to [New], it applies to every page
// the Renderer serves. Options that make sense for a single page are
// [PageOption]s too, which [Renderer.Page] also takes; the others
// (the logger, the detector, the observer, the process-wide limits, the
// runtime) belong to the Renderer alone, so a page cannot be given one and
// have it silently ignored.
type Option interface {
	applyRenderer(*config)
}

// PageOption configures how pages are served: given to [New], every page;
// given to [Renderer.Page], the pages of that handler, overriding the
// Renderer's.
//
// How they combine: a handler starts from the Renderer's page options (all
// of New's, in order) and then applies its own (Page's, in order), so the
// page wins over the site, and within either list the later option wins
// over an earlier one. That is why the switches take a bool: a site with
// WithCSP(true) serves one page without the policy with
// rd.Page(pf, WithCSP(false)), and a site without it turns it on for one
// page with rd.Page(pf, WithCSP(true)).
type PageOption interface {
	Option
	applyPage(*pageConfig)
}

// config is what a Renderer's options set.
type config struct {
	log         *slog.Logger
	detector    Detector
	observer    Observer
	limits      Limits
	runtimeName string       // asset name of a runtime that replaces the built-in one; "" for the built-in
	path        string       // where the Renderer's own endpoints are mounted
	live        Live         // keeps live pagelets current; nil: none are
	tracer      trace.Tracer // traces pages and pagelets; nil: no tracing (WithTracerProvider)
	cache       *cache.Cache // keeps the fragments of pagelets with a cache policy; nil: none are kept
	page        pageConfig
}

// pageConfig is what a PageOption sets: the Renderer's defaults, copied into
// each Handler and overridden there.
type pageConfig struct {
	mode         ModeFunc // nil: the Renderer's DetectMode
	override     bool
	linkRuntime  bool
	payloadsOnly bool
	csp          bool
	pageTimeout  time.Duration
	writeTimeout time.Duration
	hints        EarlyHints
	serverTiming bool
	pageFetches  int
	headTimeout  time.Duration
}

type rendererOption func(*config)

func (o rendererOption) applyRenderer(c *config) { o(c) }

type pageOption func(*pageConfig)

func (o pageOption) applyRenderer(c *config) { o(&c.page) }
func (o pageOption) applyPage(p *pageConfig) { o(p) }

// WithLogger sets the logger for page and pagelet failures and the one line
// each page ends with. The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return rendererOption(func(c *config) { c.log = l }) }

// WithDetector replaces the crawler detector used by [Renderer.DetectMode].
func WithDetector(d Detector) Option { return rendererOption(func(c *config) { c.detector = d }) }

// WithObserver sets the Observer told about every request and pagelet.
// The default observes nothing.
func WithObserver(o Observer) Option { return rendererOption(func(c *config) { c.observer = o }) }

// WithLimits sets the Renderer's [Limits]. Limits.PageFetches is the
// default per-page bound, which [WithPageFetches] overrides for one handler.
func WithLimits(l Limits) Option { return rendererOption(func(c *config) { c.limits = l }) }

// WithRuntime makes the Renderer use the asset called name, from the
// registry given to [New], as the client runtime instead of the one built
// into this package: a runtime of one's own, or the built-in one edited in
// a development registry ([assets.NewDev]) that rebuilds it on change.
func WithRuntime(name string) Option { return rendererOption(func(c *config) { c.runtimeName = name }) }

// DefaultPath is where a Renderer's own endpoints live unless [WithPath]
// says otherwise: see [Renderer.ServeHTTP].
const DefaultPath = "/_bigpipe/"

// WithPath sets the URL path prefix of the Renderer's own endpoints
// (default [DefaultPath]); mount the Renderer there with
// mux.Handle(rd.Path(), rd).
func WithPath(prefix string) Option {
	return rendererOption(func(c *config) {
		if !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		c.path = prefix
	})
}

// WithModeFunc replaces the mode decision, for example to let a benchmark
// page choose its mode from the query string.
func WithModeFunc(f ModeFunc) PageOption { return pageOption(func(p *pageConfig) { p.mode = f }) }

// Names an operator uses to force a mode with [WithModeOverride].
const (
	// ForceModeHeader is the request header that forces a mode.
	ForceModeHeader = "X-BigPipe-Force-Mode"
	// ForceModeParam is the query parameter that forces a mode.
	ForceModeParam = "bigpipe_mode"
)

// WithModeOverride(true) lets a request force its mode, for debugging: the header
// X-BigPipe-Force-Mode or the query parameter bigpipe_mode, set to
// pipelined, native, inorder or serial, wins over the [ModeFunc] (the header over
// the parameter). An unknown name is a 400. Leave it off in production, where
// anyone could ask for the costlier serial page; it is off by default.
// WithModeOverride(false) turns it off again, for one page of a site that
// has it on (see [PageOption] for how options combine).
func WithModeOverride(on bool) PageOption { return pageOption(func(p *pageConfig) { p.override = on }) }

// WithLinkedRuntime(true) makes the skeleton load the client runtime from its
// URL (cached across pages) with a blocking <script src>. By default the
// runtime (about 3.8 KB minified, 1.7 KB gzipped) is inlined in the skeleton's
// <head> whenever [assets.Asset.Inline] allows: a cold visit then waits on no
// request before the skeleton can paint or the first pagelet can be shown,
// which on a fresh connection costs a round trip or more (measured by
// go run ./bench). The linked runtime is served by the Renderer itself
// (see [Renderer.ServeHTTP]). WithLinkedRuntime(false) is the default,
// the runtime inlined where it can be.
func WithLinkedRuntime(on bool) PageOption {
	return pageOption(func(p *pageConfig) { p.linkRuntime = on })
}

// WithPayloadsOnly(true) makes a BigPipe page send every pagelet as a payload
// script, revealed by the runtime, even one that is done before the
// skeleton is written. By default such a pagelet is placed: written in its
// slot as HTML, with its stylesheets in <head>, as the plain page has it,
// so that it shows in the skeleton's first frame without waiting on the
// runtime (on a cold visit to the demo's front page with its backends at
// 0 ms, every pagelet; see bench/README.md). Turn placing off where every
// pagelet must go through the runtime's reveal. WithPayloadsOnly(false) is
// the default, placing on.
func WithPayloadsOnly(on bool) PageOption {
	return pageOption(func(p *pageConfig) { p.payloadsOnly = on })
}

// WithCSP(true) makes every page carry a strict Content-Security-Policy
// ([CSPHeader]) with a nonce drawn fresh for each request: every script the
// renderer writes (the runtime, the resource map, each pagelet payload, the
// plain pages' script tags) carries it, and so do templ's own scripts in
// layouts and pagelets; [Nonce] gives it to a page's own. A script or inline
// event handler inside pagelet content never runs, in either mode. The
// policy is added to any the PageFunc set: a browser enforces both.
// WithCSP(false), the default, sends no policy and no nonce: given to
// [Renderer.Page] it exempts that handler's pages from a site-wide
// WithCSP(true).
func WithCSP(on bool) PageOption { return pageOption(func(p *pageConfig) { p.csp = on }) }

// WithPageTimeout bounds a whole response, the PageFunc and the layout
// included. A page past it before its first byte gets a 503; one past it
// later is aborted (the connection is cut, so no truncated page looks
// whole). Pagelet timeouts normally end every pagelet well before; zero
// means no bound.
func WithPageTimeout(d time.Duration) PageOption {
	return pageOption(func(p *pageConfig) { p.pageTimeout = d })
}

// DefaultHeadTimeout is how long a plain page's head waits for the
// pagelets that decide part of it ([pagelet.Pagelet].DecidesHead) unless
// [WithHeadTimeout] says otherwise.
const DefaultHeadTimeout = time.Second

// WithHeadTimeout bounds how long a plain page (crawlers, link previews,
// no JavaScript) holds its head back for the pagelets that decide part of
// it ([pagelet.Pagelet].DecidesHead, [pagelet.WithHead]): past d the head
// is written without those not done yet, whose content follows in its
// place as usual. The BigPipe modes never hold the skeleton: the runtime
// applies a pagelet's head when it arrives.
func WithHeadTimeout(d time.Duration) PageOption {
	return pageOption(func(p *pageConfig) { p.headTimeout = d })
}

// DefaultWriteTimeout is how long a client may take to accept one chunk of
// a page unless [WithWriteTimeout] says otherwise.
const DefaultWriteTimeout = 30 * time.Second

// WithWriteTimeout bounds each write of a page: a client that does not
// take a chunk within d (it stopped reading, or reads too slowly) is cut
// off, so that it cannot hold a goroutine, the page's buffers and its
// fetches forever. The deadline is set on the connection before each write
// through [http.ResponseController], which http.Server.WriteTimeout cannot
// do without cutting long streams. The default is [DefaultWriteTimeout];
// a negative d means no bound.
func WithWriteTimeout(d time.Duration) PageOption {
	return pageOption(func(p *pageConfig) { p.writeTimeout = d })
}

// WithServerTiming(true) makes pages report their timings to the browser's
// developer tools: a Server-Timing header with the preflight, the layout
// and every pagelet settled before the first byte, and, in the pipelined
// mode, each later pagelet's fetch and render time in its payload, which
// the runtime records with performance.mark("bigpipe:arrive:<id>"). Off by
// default (WithServerTiming(false)): timings tell a visitor about the
// backends.
func WithServerTiming(on bool) PageOption {
	return pageOption(func(p *pageConfig) { p.serverTiming = on })
}

// WithEarlyHints sets when a 103 Early Hints response announces the page
// CSS and the runtime before the page itself (default [HintsHTTP2]). With
// [HintsAlways], an httptest.ResponseRecorder records the 103 as the final
// status: render into one with the default.
func WithEarlyHints(e EarlyHints) PageOption { return pageOption(func(p *pageConfig) { p.hints = e }) }

// WithPageFetches bounds the pagelet loads running at once within one page
// (overriding Limits.PageFetches); the others wait, highest priority first.
// Zero means no bound.
func WithPageFetches(n int) PageOption { return pageOption(func(p *pageConfig) { p.pageFetches = n }) }
