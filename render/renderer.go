package render

import (
	"cmp"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/maypok86/otter/v2"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/internal/crawler"
	"github.com/bigpipe-go/bigpipe/internal/gate"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// runtimeFS holds the client runtime, bigpipe.js, and the form enhancer,
// form.js: the library ships them, so a site's own files need not.
//
//go:embed bigpipe.js form.js
var runtimeFS embed.FS

// formFS holds the form enhancer alone, for a Renderer whose runtime is the
// site's ([WithRuntime]).
//
//go:embed form.js
var formFS embed.FS

// runtimeInlineLimit is the largest built-in runtime that goes inline in
// the skeleton's head, whatever the site's own limit: every BigPipe page
// needs it before its first pagelet, so a request for it would hold them
// all.
const runtimeInlineLimit = 8 << 10

// runtimeName is the built-in runtime's asset name.
const runtimeName = "bigpipe.js"

// FormScript is the name of the form enhancer (see package form) in a
// page's or pagelet's JS: list it where a form marked data-bigpipe-form is
// shown, and the Renderer serves and loads it like the page's other JS
// (once every pagelet is shown; at the end of a plain page). It is a
// separate file, not part of the inline runtime, so that only pages with
// a form pay for it.
const FormScript = "bigpipe/form.js"

// formName is the enhancer's name in the built-in registry.
const formName = "form.js"

// PageFunc builds the page for one request. It runs before anything is sent
// (the preflight), so it may still set headers, redirect or answer 404: to
// answer the request itself it writes to w and returns a nil page and a nil
// error. A non-nil error becomes a 500. The renderer only reads the page
// (TestSharedPage), so a PageFunc may return one page to many requests at
// once: a page that does not vary need not be built for each.
type PageFunc func(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error)

// Renderer holds what every page of a site shares: assets, the client
// runtime, mode detection, limits and logging. Create it with [New]; it is
// safe for concurrent use. It is also the [http.Handler] of its own
// endpoints (see [Renderer.ServeHTTP]), mounted with mux.Handle(rd.Path(), rd).
type Renderer struct {
	config
	assets        *assets.Registry                  // the site's CSS and JS
	runtime       *assets.Registry                  // the built-in runtime and form enhancer, served under the Renderer's path; the enhancer alone with WithRuntime
	sentinel      string                            // random slot marker for layouts; unguessable by content
	sentinelBytes []byte                            // the same, to cut the layout at
	nojsNext      string                            // path+"nojs?next=", HTML-escaped: the start of the <noscript> refresh's URL
	limiter       *limiter                          // the process-wide fetch budget; nil if unbounded
	gate          *gate.Gate                        // the pages answered at once (Limits.Pages); nil if unbounded
	layouts       *otter.Cache[string, *keptLayout] // layouts kept by their pagelet.Page.LayoutKey (layoutcache.go)
	reported      problemLog[string]                // page problems logged once (problems.go)
	wildcards     problemLog[wildcardUse]           // cached pagelets under wildcard routes, warned of once (cached.go)
}

var _ http.Handler = (*Renderer)(nil)

// New returns a Renderer whose pages link the CSS and JS of reg (names such
// as "pagelets/news.css"). The client runtime is built in; [WithRuntime]
// takes one from reg instead. It fails if reg is nil or lacks the runtime
// named by WithRuntime.
func New(reg *assets.Registry, opts ...Option) (*Renderer, error) {
	if reg == nil {
		return nil, errors.New("render: New: nil asset registry")
	}
	rd := &Renderer{assets: reg}
	rd.config = config{
		log:      slog.Default(),
		detector: crawler.New(),
		path:     DefaultPath,
		page:     pageConfig{writeTimeout: DefaultWriteTimeout, headTimeout: DefaultHeadTimeout},
	}
	for _, o := range opts {
		o.applyRenderer(&rd.config)
	}
	if rd.log == nil {
		rd.log = slog.New(slog.DiscardHandler)
	}
	if !strings.HasPrefix(rd.path, "/") {
		return nil, fmt.Errorf("render: New: path %q does not start with /", rd.path)
	}
	rd.page.pageFetches = cmp.Or(rd.page.pageFetches, rd.limits.PageFetches)
	rd.limiter = newLimiter(rd.limits)
	rd.gate = gate.New(rd.limits.Pages)
	builtin := fs.FS(runtimeFS)
	if rd.runtimeName != "" {
		builtin = formFS
	}
	var err error
	if rd.runtime, err = assets.New(builtin, assets.WithPrefix(rd.path), assets.WithInlineLimit(runtimeInlineLimit)); err != nil {
		return nil, fmt.Errorf("render: client runtime: %w", err)
	}
	if _, err := rd.runtimeAsset(); err != nil {
		return nil, fmt.Errorf("render: client runtime: %w", err)
	}
	var token [12]byte
	_, _ = rand.Read(token[:]) // never fails (crypto/rand)
	rd.sentinel = "<!--bigpipe-slot-" + hex.EncodeToString(token[:]) + "-->"
	rd.sentinelBytes = []byte(rd.sentinel)
	rd.nojsNext = html.EscapeString(rd.path + "nojs?next=")
	if rd.layouts, err = newLayoutCache(); err != nil {
		return nil, fmt.Errorf("render: layout cache: %w", err)
	}
	return rd, nil
}

// runtimeAsset is the client runtime, looked up per request: a development
// registry given with [WithRuntime] may have rebuilt it.
func (rd *Renderer) runtimeAsset() (*assets.Asset, error) {
	if rd.runtimeName != "" {
		return rd.assets.Get(rd.runtimeName)
	}
	return rd.runtime.Get(runtimeName)
}

// asset looks up a page's asset by name: the site's, or the built-in
// [FormScript].
func (rd *Renderer) asset(name string) (*assets.Asset, error) {
	if name == FormScript {
		return rd.runtime.Get(formName)
	}
	return rd.assets.Get(name)
}

// Page returns the handler that serves the pages pf builds. Options given
// here override the Renderer's for this handler only. A page pf builds
// with a mistake [Renderer.Check] finds (an unknown asset, a layout that
// misses a pagelet) is answered with a 500, and each of its mistakes is
// logged once per route, not per request; run Check at start to find them
// before any request does. Like
// [http.ServeMux.Handle], it panics on a nil pf: a setup error, found when
// the route is registered rather than on every request.
func (rd *Renderer) Page(pf PageFunc, opts ...PageOption) *Handler {
	if pf == nil {
		panic("render: Page: nil PageFunc")
	}
	h := &Handler{rd: rd, pages: pf, pageConfig: rd.page}
	for _, o := range opts {
		if o == nil {
			panic("render: Page: nil PageOption")
		}
		o.applyPage(&h.pageConfig)
	}
	if h.mode == nil {
		h.mode = rd.DetectMode
	}
	return h
}

// Path is the URL path prefix of the Renderer's own endpoints ([DefaultPath]
// unless [WithPath] says otherwise).
func (rd *Renderer) Path() string { return rd.path }

// ServeHTTP serves the Renderer's own endpoints under its [Renderer.Path]:
// "nojs", where the skeleton sends a browser without JavaScript (see
// [Renderer.NoJS]), and the built-in client runtime, by its
// content-hashed URL, for pages that link it ([WithLinkedRuntime]) and the
// 103 Early Hints that announce it. Anything else is a 404.
func (rd *Renderer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == rd.path+"nojs":
		rd.NoJS().ServeHTTP(w, r)
	default:
		rd.runtime.ServeHTTP(w, r)
	}
}
