// Package render is the BigPipe streaming engine: it turns a
// [pagelet.Page] into an HTTP response that flushes the page skeleton at once
// and then streams every pagelet as soon as its data is ready.
//
//	reg, _ := assets.New(static.FS)
//	rd, _ := render.New(reg)
//	mux.Handle("GET /{$}", rd.Page(func(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
//		return &pagelet.Page{Title: "Home", Layout: HomeLayout, Pagelets: []pagelet.Pagelet{news, weather}}, nil
//	}))
//	mux.Handle("GET /_bigpipe/nojs", rd.NoJS())
//
// # Modes
//
// Browsers get [Pipelined] (BigPipe). Crawlers, text-mode browsers and
// browsers without JavaScript get [InOrder]: the same document as plain HTML,
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
// starts. [WithPageTimeout] bounds a whole response.
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
package render

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/internal/crawler"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// RuntimeAsset is the default asset name of the client runtime.
const RuntimeAsset = "bigpipe.js"

// DefaultNoJSPath is where [Renderer.NoJS] is expected to be mounted.
const DefaultNoJSPath = "/_bigpipe/nojs"

// PageFunc builds the page for one request. It runs before anything is sent
// (the preflight), so it may still set headers, redirect or answer 404: to
// answer the request itself it writes to w and returns a nil page and a nil
// error. A non-nil error becomes a 500.
type PageFunc func(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error)

// Renderer holds what every page of a site shares: assets, the client
// runtime, mode detection and logging. Create it with [New]; it is safe for
// concurrent use.
type Renderer struct {
	config
	assets   *assets.Registry
	sentinel string   // random slot marker for layouts; unguessable by content
	limiter  *limiter // the process-wide fetch budget; nil if unbounded
}

type config struct {
	log          *slog.Logger
	detector     Detector
	mode         ModeFunc
	noJSPath     string
	runtimeName  string
	linkRuntime  bool
	csp          bool
	override     bool
	pageTimeout  time.Duration
	hints        EarlyHints
	observer     Observer
	limits       Limits
	writeTimeout time.Duration
	serverTiming bool
}

// Option configures a [Renderer] (in [New]) or a single page (in [Renderer.Page]).
type Option func(*config)

// WithLogger sets the logger for pagelet failures. The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithDetector replaces the crawler detector used by [Renderer.DetectMode].
func WithDetector(d Detector) Option { return func(c *config) { c.detector = d } }

// WithModeFunc replaces the mode decision, for example to let a benchmark
// page choose its mode from the query string.
func WithModeFunc(f ModeFunc) Option { return func(c *config) { c.mode = f } }

// WithNoJSPath sets the path [Renderer.NoJS] is mounted at
// (default [DefaultNoJSPath]).
func WithNoJSPath(p string) Option { return func(c *config) { c.noJSPath = p } }

// WithRuntime sets the asset name of the client runtime (default [RuntimeAsset]).
func WithRuntime(name string) Option { return func(c *config) { c.runtimeName = name } }

// WithLinkedRuntime makes the skeleton load the client runtime from its
// URL (cached across pages) with a blocking <script src>. By default the
// runtime (about 2.3 KB minified, 1.2 KB gzipped) is inlined in the skeleton's
// <head> whenever [assets.Asset.Inline] allows: a cold visit then waits on no
// request before the skeleton can paint or the first pagelet can be shown,
// which on a fresh connection costs a round trip or more (measured by
// go run ./bench).
func WithLinkedRuntime() Option { return func(c *config) { c.linkRuntime = true } }

// WithCSP makes every page carry a strict Content-Security-Policy
// ([CSPHeader]) with a nonce drawn fresh for each request: every script the
// renderer writes (the runtime, the resource map, each pagelet payload, the
// plain pages' script tags) carries it, and so do templ's own scripts in
// layouts and pagelets; [Nonce] gives it to a page's own. A script or inline
// event handler inside pagelet content never runs, in either mode. The
// policy is added to any the PageFunc set: a browser enforces both.
func WithCSP() Option { return func(c *config) { c.csp = true } }

// WithPageTimeout bounds a whole response. A page still unfinished then is
// aborted (the connection is cut, so no truncated page looks whole). Pagelet
// timeouts normally end every pagelet well before; zero means no bound.
func WithPageTimeout(d time.Duration) Option { return func(c *config) { c.pageTimeout = d } }

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
func WithWriteTimeout(d time.Duration) Option { return func(c *config) { c.writeTimeout = d } }

// WithServerTiming makes pages report their timings to the browser's
// developer tools: a Server-Timing header with the preflight, the layout
// and every pagelet settled before the first byte, and, in the pipelined
// mode, each later pagelet's fetch and render time in its payload, which
// the runtime records with performance.mark("bigpipe:arrive:<id>"). Off by
// default: timings tell a visitor about the backends.
func WithServerTiming() Option { return func(c *config) { c.serverTiming = true } }

// WithEarlyHints sets when a 103 Early Hints response announces the page
// CSS and the runtime before the page itself (default [HintsHTTP2]). With
// [HintsAlways], an httptest.ResponseRecorder records the 103 as the final
// status: render into one with the default.
func WithEarlyHints(p EarlyHints) Option { return func(c *config) { c.hints = p } }

// New returns a Renderer that resolves asset names through reg. It fails if
// the client runtime is not among the assets.
func New(reg *assets.Registry, opts ...Option) (*Renderer, error) {
	rd := &Renderer{assets: reg}
	rd.config = config{
		log:          slog.Default(),
		detector:     crawler.New(),
		noJSPath:     DefaultNoJSPath,
		runtimeName:  RuntimeAsset,
		writeTimeout: DefaultWriteTimeout,
	}
	for _, o := range opts {
		o(&rd.config)
	}
	if rd.mode == nil {
		rd.mode = rd.DetectMode
	}
	rd.limiter = newLimiter(rd.limits)
	if _, err := reg.Get(rd.runtimeName); err != nil {
		return nil, fmt.Errorf("render: client runtime: %w", err)
	}
	var token [12]byte
	_, _ = rand.Read(token[:]) // never fails (crypto/rand)
	rd.sentinel = "<!--bigpipe-slot-" + hex.EncodeToString(token[:]) + "-->"
	return rd, nil
}

// Page returns the handler that serves the pages pf builds. Options given
// here override the Renderer's for this handler only.
func (rd *Renderer) Page(pf PageFunc, opts ...Option) *Handler {
	h := &Handler{rd: rd, pages: pf, config: rd.config}
	for _, o := range opts {
		o(&h.config)
	}
	return h
}
