package render

import (
	"net/http"
	"sync/atomic"
)

// Handler serves the pages of one [PageFunc]. Create it with [Renderer.Page].
type Handler struct {
	pageConfig
	rd     *Renderer
	pages  PageFunc
	hits   atomic.Pointer[hitMemo]    // its last fully cached page's fragments (memo.go)
	layout atomic.Pointer[lastLayout] // its last page's kept layout (layoutcache.go)
}

var _ http.Handler = (*Handler)(nil)

// ServeHTTP answers one request: it decides the mode, runs the preflight,
// starts every pagelet's fetch, flushes the skeleton and streams the
// pagelets in the request's [Mode] (see "Lifecycle of a response" in the
// package documentation). Nothing it starts outlives it, except a pagelet
// Load that ignores its context: the handler waits for such a Load until the
// pagelet's deadline, then leaves it behind.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := h.begin(w, r) // response.go: request id, nonce, page deadline
	defer x.finish()   // the page's log line and the observer's PageDone
	defer x.recover()  // a panic while writing: a 500, or an aborted page
	x.end(x.respond())
}

// respond runs the steps of a response in order. The first that fails ends
// the response with its error, which end turns into a status before the
// first byte or an aborted page after it.
func (x *response) respond() error {
	h := x.h
	mode, err := h.decide(x.r)
	if err != nil {
		return err
	}
	x.mode = mode
	if !h.rd.gate.Enter() { // at capacity: shed before any work
		return errShed
	}
	defer h.rd.gate.Leave()
	if id := fragmentID(x.r); id != "" {
		return x.fragment(id)
	}
	page, err := x.preflight()
	if page == nil || err != nil { // the PageFunc answered, or failed
		return err
	}
	res, err := h.resolve(page, mode, x.nonce)
	if err != nil {
		return x.checkFailed(page, err)
	}
	defer putResources(res)
	if x.r.Method == http.MethodHead {
		x.setHeaders(mode, page.Personal())
		x.w.WriteHeader(http.StatusOK)
		return nil
	}
	if err := h.rd.limiter.admit(h.admitted(page)); err != nil {
		return err
	}
	if mode.outOfOrder() {
		x.grantLive(page)
	}
	h.earlyHints(x.w, x.r, res, mode)
	x.setHeaders(mode, page.Personal())

	// Every fetch starts before anything is written: the skeleton must not
	// delay them.
	f := h.start(x, page)
	defer f.stop()
	defer x.l.release()
	if k, ok := h.keptLayout(page); ok { // layoutcache.go
		x.l = layout{segs: k.segs, order: k.order}
	} else {
		if err := h.rd.renderLayout(x.ctx, page, &x.l); err != nil {
			return x.checkFailed(page, err)
		}
		x.keepLayout(page, &x.l)
	}
	x.layout = x.since() - x.preflightTime
	p := pass{x: x, page: page, res: res, f: f}
	if h.serverTiming {
		x.s.beforeFirst = p.serverTiming
	}
	if mode.outOfOrder() {
		return p.pipelined()
	}
	return p.plain(mode == InOrder)
}

// setHeaders sets the headers of a page response: a personal page (one
// holding a [pagelet.Pagelet].Personal) for no cache but its reader's
// browser, and that only while it is shown.
func (x *response) setHeaders(mode Mode, personal bool) {
	hdr := x.w.Header()
	if personal {
		hdr["Cache-Control"] = headerPrivate
	}
	hdr["Content-Type"] = headerHTML
	hdr["X-Content-Type-Options"] = headerNoSniff
	hdr["X-Accel-Buffering"] = headerNo // nginx: do not buffer this stream
	hdr["X-Bigpipe-Mode"] = headerMode[mode]
	if _, ok := hdr["Vary"]; ok {
		hdr.Add("Vary", headerVary[0])
	} else {
		hdr["Vary"] = headerVary // shared: one who adds to it (Header.Add) appends to a copy, its capacity being its length
	}
	if x.csp != "" {
		x.hv[hvCSP] = x.csp
		hdr["Content-Security-Policy"] = x.hv[hvCSP : hvCSP+1 : hvCSP+1]
	}
}

// Header values every page shares, made once: a header set per request
// would otherwise allocate each.
var (
	headerHTML    = []string{"text/html; charset=utf-8"}
	headerNoSniff = []string{"nosniff"}
	headerNo      = []string{"no"}
	headerPrivate = []string{"private, no-store"}
	headerVary    = []string{"User-Agent, Cookie"}
	headerMode    = [...][]string{Pipelined: {"pipelined"}, InOrder: {"inorder"}, Serial: {"serial"}, Native: {"native"}}
)
