package render

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"sync"

	"github.com/a-h/templ"

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
// outlives it, except a pagelet Load that ignores its context.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var nonce string
	if h.csp {
		nonce = newNonce()
		r = r.WithContext(templ.WithNonce(r.Context(), nonce))
	}
	mode, err := h.decide(r)
	if err != nil {
		http.Error(w, "400 bad request: "+err.Error(), http.StatusBadRequest)
		return
	}
	page, err := h.pages(w, r)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if page == nil { // the preflight answered
		return
	}
	if err := page.Validate(); err != nil {
		h.internalError(w, r, err)
		return
	}
	res, err := h.resolve(page, mode)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	res.nonce = nonce

	h.earlyHints(w, r, res, mode)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Accel-Buffering", "no") // nginx: do not buffer this stream
	hdr.Set("X-BigPipe-Mode", mode.String())
	hdr.Add("Vary", "User-Agent, Cookie")
	if nonce != "" {
		hdr.Add("Content-Security-Policy", fmt.Sprintf(CSPHeader, nonce))
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}

	// Start every fetch before anything else: the skeleton must not delay them.
	pageCtx, cancelPage := r.Context(), context.CancelFunc(func() {})
	if h.pageTimeout > 0 {
		pageCtx, cancelPage = context.WithTimeout(pageCtx, h.pageTimeout)
	}
	defer cancelPage()
	ctx, cancel := context.WithCancel(pageCtx)
	f := h.start(ctx, page)
	defer func() { cancel(); f.stop() }()

	l, err := h.rd.renderLayout(r.Context(), page)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	defer l.release()

	s := &stream{w: w, rc: http.NewResponseController(w), buf: getStreamBuf()}
	defer s.release()
	defer s.abortOnPanic(h, r)
	p := &pass{h: h, r: r, ctx: pageCtx, page: page, res: res, l: l, s: s, f: f, mode: mode}
	switch mode {
	case Pipelined:
		p.pipelined()
	case InOrder:
		p.plain(true)
	default:
		p.plain(false)
	}
}

// internalError answers a failure that happened before the first byte.
func (h *Handler) internalError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
	http.Error(w, "500 internal server error", http.StatusInternalServerError)
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
				p.h.log.WarnContext(p.r.Context(), "placeholder failed", "pagelet", page.Pagelets[i].ID, "err", err)
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
	for {
		slices.SortStableFunc(batch, func(a, b result) int {
			return page.Pagelets[b.index].Priority - page.Pagelets[a.index].Priority
		})
		for _, res := range batch {
			s.buf = appendPayload(s.buf, p.res.nonce, page.Pagelets[res.index].ID, res.html.Bytes(), p.res.css[res.index], p.res.js[res.index])
			putBuf(res.html)
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
		p.s.fail(err)
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
	w       http.ResponseWriter
	rc      *http.ResponseController
	buf     []byte
	started bool // a byte has been handed to the ResponseWriter
	err     error
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

// end writes the last bytes of the document without flushing: net/http
// sends them together with the end of the response when the handler
// returns, one write instead of two.
func (s *stream) end() error {
	if s.err != nil {
		return s.err
	}
	return s.write()
}

// write hands the pending bytes to the ResponseWriter in one Write and
// gives the buffer back: a page may now wait long, holding none meanwhile.
func (s *stream) write() error {
	if len(s.buf) > 0 {
		s.started = true
		if _, err := s.w.Write(s.buf); err != nil {
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
	if s.started {
		panic(http.ErrAbortHandler)
	}
	s.err = cause
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
	h.log.ErrorContext(r.Context(), "page panicked", "path", r.URL.Path, "panic", fmt.Sprint(v))
	if !s.started {
		http.Error(s.w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	panic(http.ErrAbortHandler)
}
