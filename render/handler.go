package render

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// Handler serves the pages of one [PageFunc]. Create it with [Renderer.Page].
type Handler struct {
	config
	rd    *Renderer
	pages PageFunc
}

var _ http.Handler = (*Handler)(nil)

// ServeHTTP runs the preflight, flushes the skeleton, runs every pagelet
// concurrently and streams them in the request's [Mode]. Nothing it starts
// outlives it, except a pagelet Load that ignores its context: the handler
// waits for such a Load until the pagelet's deadline, then leaves it behind.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := &tally{start: time.Now(), status: http.StatusOK}
	id := requestID(r)
	ctx := context.WithValue(r.Context(), requestIDKey{}, id)
	var nonce string
	if h.csp {
		nonce = newNonce()
		ctx = templ.WithNonce(ctx, nonce)
	}
	r = r.WithContext(ctx)
	w.Header().Set(RequestIDHeader, id)
	if h.observer != nil {
		h.observer.PageStarted(r)
	}
	defer h.finish(r, t)

	mode, err := h.decide(r)
	if err != nil {
		t.end(Rejected, http.StatusBadRequest)
		http.Error(w, "400 bad request: "+err.Error(), http.StatusBadRequest)
		return
	}
	t.mode = mode
	pw := &t.pw
	pw.ResponseWriter = w
	page, err := h.pages(pw, r)
	t.preflight = time.Since(t.start)
	if err != nil {
		h.internalError(w, r, t, err)
		return
	}
	if page == nil { // the preflight answered
		t.end(Complete, cmp.Or(pw.status, http.StatusOK))
		if pw.status >= 400 && pw.status < 500 {
			t.outcome = Rejected
		}
		return
	}
	if err := page.Validate(); err != nil {
		h.internalError(w, r, t, err)
		return
	}
	t.pagelets = len(page.Pagelets)
	res, err := h.resolve(page, mode)
	if err != nil {
		h.internalError(w, r, t, err)
		return
	}
	res.nonce = nonce
	if r.Method == http.MethodHead {
		h.setHeaders(w.Header(), mode, nonce)
		t.end(Complete, http.StatusOK)
		w.WriteHeader(http.StatusOK)
		return
	}
	if !h.rd.limiter.admit(len(page.Pagelets)) {
		h.shed(w, r, t)
		return
	}

	h.earlyHints(w, r, res, mode)
	h.setHeaders(w.Header(), mode, nonce)

	// Start every fetch before anything else: the skeleton must not delay them.
	pageCtx, cancelPage := r.Context(), context.CancelFunc(func() {})
	if h.pageTimeout > 0 {
		pageCtx, cancelPage = context.WithTimeout(pageCtx, h.pageTimeout)
	}
	defer cancelPage()
	ctx, cancel := context.WithCancel(pageCtx)
	f := h.start(ctx, r, mode, page)
	defer func() { cancel(); f.stop(); t.failed = f.failed }()

	l, err := h.rd.renderLayout(r.Context(), page)
	if err != nil {
		h.internalError(w, r, t, err)
		return
	}
	defer l.release()
	t.layout = time.Since(t.start) - t.preflight

	s := &stream{w: w, rc: http.NewResponseController(w), buf: getStreamBuf(), t: t, writeTimeout: h.writeTimeout}
	defer s.release()
	defer s.abortOnPanic(h, r)
	p := &pass{h: h, r: r, ctx: pageCtx, page: page, res: res, l: l, s: s, f: f, mode: mode}
	if h.serverTiming {
		s.beforeFirst = p.serverTiming
	}
	switch mode {
	case Pipelined:
		p.pipelined()
	case InOrder:
		p.plain(true)
	default:
		p.plain(false)
	}
	t.outcome = Complete
}

// setHeaders sets the headers of a page response.
func (h *Handler) setHeaders(hdr http.Header, mode Mode, nonce string) {
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Accel-Buffering", "no") // nginx: do not buffer this stream
	hdr.Set("X-BigPipe-Mode", mode.String())
	hdr.Add("Vary", "User-Agent, Cookie")
	if nonce != "" {
		hdr.Add("Content-Security-Policy", fmt.Sprintf(CSPHeader, nonce))
	}
}

// internalError answers a failure that happened before the first byte.
func (h *Handler) internalError(w http.ResponseWriter, r *http.Request, t *tally, err error) {
	t.end(Failed, http.StatusInternalServerError)
	h.log.LogAttrs(r.Context(), slog.LevelError, "page failed", slog.String("request_id", RequestID(r.Context())),
		slog.String("path", r.URL.Path), slog.Any("err", err))
	http.Error(w, "500 internal server error", http.StatusInternalServerError)
}

// shed answers a page that does not fit in the fetch budget (see [Limits]).
func (h *Handler) shed(w http.ResponseWriter, r *http.Request, t *tally) {
	t.end(Shed, http.StatusServiceUnavailable)
	retry := max(1, int((h.rd.limits.RetryAfter+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", strconv.Itoa(retry))
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "page shed: over the fetch limit", slog.String("request_id", RequestID(r.Context())),
		slog.String("path", r.URL.Path), slog.Int("pagelets", t.pagelets))
	http.Error(w, "503 service unavailable: the server is at capacity, retry in "+strconv.Itoa(retry)+"s", http.StatusServiceUnavailable)
}

// pass is the state of one response being written.
type pass struct {
	h    *Handler
	r    *http.Request
	ctx  context.Context // the page's context: the request's, bounded by the page timeout
	page *pagelet.Page
	res  *resources
	l    *layout
	s    *stream
	f    *fetches
	mode Mode
}

// pipelined writes the BigPipe response: skeleton with placeholders and the
// resource map, then each pagelet as a payload script in completion order.
// Pagelets that are ready together go out in priority order, in one write.
func (p *pass) pipelined() {
	s, page, l := p.s, p.page, p.l
	s.buf = p.h.appendHead(s.buf, page, p.res, Pipelined, p.r.URL.RequestURI())
	for k, i := range l.order {
		s.buf = append(s.buf, l.segs[k]...)
		s.buf = appendOpen(s.buf, page.Pagelets[i].ID, Pipelined)
		if ph := page.Pagelets[i].Placeholder; ph != nil {
			if err := s.renderInto(p.r.Context(), ph); err != nil {
				p.h.log.LogAttrs(p.r.Context(), slog.LevelWarn, "placeholder failed", slog.String("request_id", RequestID(p.r.Context())),
					slog.String("pagelet", page.Pagelets[i].ID), slog.Any("err", err))
			}
		}
		s.buf = append(s.buf, "</div>"...)
	}
	s.buf = append(s.buf, l.segs[len(l.segs)-1]...)
	s.buf = appendSetup(s.buf, page, p.res, l.order)
	// Pagelets ready by now ride with the skeleton: one write fewer, and
	// the skeleton is not held back for any of them beyond one yield, which
	// lets fetches already runnable (answered from memory, say) finish.
	runtime.Gosched()
	batch := p.ready(make([]result, 0, len(page.Pagelets)))
	sent := make(map[*assets.Asset]bool) // stylesheets a payload carried inline
	for first := true; ; first = false {
		slices.SortStableFunc(batch, func(a, b result) int {
			return page.Pagelets[b.index].Priority - page.Pagelets[a.index].Priority
		})
		// One script element for the whole batch: the browser runs it in
		// one go, so the pagelets it shows reach the screen in the same
		// frame instead of one frame each.
		if len(batch) > 0 {
			s.buf = appendScriptOpen(s.buf, p.res.nonce)
			s.buf = append(s.buf, '>')
		}
		for k, res := range batch {
			var tm *result
			if p.h.serverTiming {
				tm = &res
			}
			if k > 0 {
				s.buf = append(s.buf, ';')
			}
			css := p.res.css[res.index]
			s.buf = appendArrive(s.buf, page.Pagelets[res.index].ID, res.html.Bytes(), css, p.res.js[res.index], inlineStyles(css, p.res, sent), tm)
			putBuf(res.html)
		}
		if len(batch) > 0 {
			s.buf = append(s.buf, "</script>\n"...)
		}
		if first {
			s.buf = append(s.buf, `<template id="`+firstPaintID+`"></template>`...)
		}
		if p.f.left == 0 { // the end of the document rides with the last pagelets
			s.buf = append(s.buf, closeDocument...)
			if err := s.end(); err != nil {
				s.fail(err)
			}
			return
		}
		if err := s.flush(); err != nil {
			s.fail(err)
		}
		res := p.next()
		s.more()
		// Let pagelets finishing at this very moment deliver too: a batch
		// goes out in one write, and a write is the costliest step here.
		runtime.Gosched()
		batch = p.ready(append(batch[:0], res))
	}
}

// next waits for the next pagelet result; if the page ends first (client
// gone, page deadline) the response fails, never looking whole.
func (p *pass) next() result {
	res, ok, err := p.f.next(p.ctx)
	switch {
	case err != nil:
		// The cause tells a client gone (net/http cancels with none) from
		// a server that cancelled the request, shutting down, say.
		p.s.fail(context.Cause(p.ctx))
	case !ok:
		p.s.fail(errors.New("render: no pagelet left to wait for")) // a bug: callers wait only for pending pagelets
	}
	return res
}

// ready appends to batch every result that is ready now.
func (p *pass) ready(batch []result) []result {
	for {
		res, ok := p.f.poll()
		if !ok {
			return batch
		}
		batch = append(batch, res)
	}
}

// plain writes plain HTML in document order. Streaming (InOrder), it
// flushes whenever the next pagelet is not ready yet, so the client gets
// each pagelet as soon as it and all before it are done; otherwise
// (Serial) it waits for every pagelet and writes the whole document once.
func (p *pass) plain(stream bool) {
	s, page, l := p.s, p.page, p.l
	ready := make([]*result, len(page.Pagelets))
	s.buf = p.h.appendHead(s.buf, page, p.res, p.mode, "")
	if hasNoJSCookie(p.r) {
		s.buf = appendClearNoJS(s.buf, p.res.nonce)
	}
	for k, i := range l.order {
		s.buf = append(s.buf, l.segs[k]...)
		for ready[i] == nil {
			if res, ok := p.f.poll(); ok {
				ready[res.index] = &res
				continue
			}
			if stream {
				if err := s.flush(); err != nil {
					s.fail(err)
				}
			}
			res := p.next()
			ready[res.index] = &res
			s.more()
		}
		s.buf = appendOpen(s.buf, page.Pagelets[i].ID, p.mode)
		s.buf = append(s.buf, ready[i].html.Bytes()...)
		s.buf = append(s.buf, "</div>"...)
		putBuf(ready[i].html)
	}
	s.buf = append(s.buf, l.segs[len(l.segs)-1]...)
	s.buf = appendScripts(s.buf, p.res, l.order)
	s.buf = append(s.buf, closeDocument...)
	if err := s.end(); err != nil {
		s.fail(err)
	}
}

// errClientGone marks a write that failed because the client went away.
var errClientGone = errors.New("render: client gone")

// stream batches writes to the response: everything between two flushes is
// one Write, then one Flush. Only the handler goroutine touches it.
type stream struct {
	w            http.ResponseWriter
	rc           *http.ResponseController
	buf          []byte
	started      bool // a byte has been handed to the ResponseWriter
	err          error
	t            *tally
	writeTimeout time.Duration // for each write and flush; <= 0 means none
	beforeFirst  func()        // called once, before the first byte (to set headers)
}

func (s *stream) flush() error {
	if s.err != nil {
		return s.err
	}
	if s.write() != nil {
		return s.err
	}
	if err := s.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.err = fmt.Errorf("%w: %w", errClientGone, err)
	}
	return s.err
}

// end writes and flushes the last bytes of the document, so that they
// reach the connection under this write's deadline and a failure is known
// here (counted, not taken for a complete page). Then it gives the
// deadline a fresh term for what net/http still writes once the handler
// returns (the end of a chunked body, a compressor's last block).
func (s *stream) end() error {
	if err := s.flush(); err != nil {
		return err
	}
	if s.writeTimeout > 0 {
		_ = s.rc.SetWriteDeadline(time.Now().Add(s.writeTimeout))
	}
	return nil
}

// write hands the pending bytes to the ResponseWriter in one Write and
// gives the buffer back: a page may now wait long, holding none meanwhile.
//
// Each write gets a deadline: a client that does not take the bytes in time
// fails it, instead of holding the handler forever. The deadline stays for
// the flush that follows and for what net/http writes after the handler
// returns; net/http clears it before the next request on the connection.
func (s *stream) write() error {
	if len(s.buf) > 0 {
		if !s.started {
			s.started = true
			if s.beforeFirst != nil {
				s.beforeFirst()
			}
			s.t.skeleton = time.Since(s.t.start)
		}
		if s.writeTimeout > 0 {
			if err := s.rc.SetWriteDeadline(time.Now().Add(s.writeTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
				s.err = fmt.Errorf("%w: %w", errClientGone, err)
				s.release()
				return s.err
			}
		}
		n, err := s.w.Write(s.buf)
		s.t.bytes += int64(n)
		if err != nil {
			s.err = fmt.Errorf("%w: %w", errClientGone, err)
		}
	}
	s.release()
	return s.err
}

// more makes sure there is a write buffer to append to after a flush.
func (s *stream) more() {
	if s.buf == nil {
		s.buf = getStreamBuf()
	}
}

// streamBufs recycles the write buffers of finished responses: a page's
// skeleton and payloads are assembled in one buffer, so after warm-up a
// response allocates none.
var streamBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

func getStreamBuf() []byte { return (*streamBufs.Get().(*[]byte))[:0] }

// release returns the write buffer to the pool, unless it grew huge.
func (s *stream) release() {
	if s.buf != nil && cap(s.buf) <= 1<<20 {
		b := s.buf[:0]
		streamBufs.Put(&b)
	}
	s.buf = nil
}

// fail ends a response that cannot be completed. Once bytes are out it
// aborts the connection (http.ErrAbortHandler), so that neither the client
// nor a cache in between sees a clean end of a truncated page; before that
// it answers 503.
func (s *stream) fail(cause error) {
	// Aborted: the page deadline, or a server cancelling with a cause.
	outcome := Aborted
	if errors.Is(cause, errClientGone) || cause == context.Canceled { //nolint:errorlint // a bare cancel, as net/http's on disconnect
		outcome = ClientGone
	}
	if s.started {
		s.t.outcome = outcome
		panic(http.ErrAbortHandler)
	}
	s.err = cause
	s.t.end(outcome, http.StatusServiceUnavailable)
	http.Error(s.w, "503 page could not be completed in time", http.StatusServiceUnavailable)
	panic(unwind{})
}

// unwind is the panic value fail uses to leave the writing loops after it has
// answered; abortOnPanic swallows it.
type unwind struct{}

// renderInto renders a component (a placeholder) into the pending buffer,
// through a scratch buffer so that a failing component adds nothing.
func (s *stream) renderInto(ctx context.Context, c templ.Component) error {
	b := getBuf()
	defer putBuf(b)
	if err := c.Render(ctx, b); err != nil {
		return err
	}
	s.buf = append(s.buf, b.Bytes()...)
	return nil
}

// abortOnPanic turns a panic while writing into a 500 if nothing was sent
// yet, or into an aborted connection if the page was already under way, so
// that a truncated page never looks like a whole one.
func (s *stream) abortOnPanic(h *Handler, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if _, ok := v.(unwind); ok {
		return
	}
	if v == http.ErrAbortHandler { //nolint:errorlint // compared by identity, as net/http does
		panic(v)
	}
	h.log.LogAttrs(r.Context(), slog.LevelError, "page panicked", slog.String("request_id", RequestID(r.Context())),
		slog.String("path", r.URL.Path), slog.String("panic", fmt.Sprint(v)))
	if !s.started {
		s.t.end(Failed, http.StatusInternalServerError)
		http.Error(s.w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	s.t.outcome = Aborted
	panic(http.ErrAbortHandler)
}
