package render

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// fetches runs every pagelet of one page concurrently and hands their
// results to the handler goroutine, which alone uses it.
//
// Each pagelet gets one goroutine, which loads and renders it into a buffer
// of its own (see load). Deadlines are kept here, not in those goroutines:
// the handler waits for the next result or the earliest pending deadline,
// whichever comes first, and a pagelet whose deadline passes gets its
// fallback at once, so a Load that ignores its context never holds up the
// page. One goroutine and one context per pagelet is what this costs; a page
// that waits on nothing costs little more than rendering it in turn.
type fetches struct {
	h        *Handler
	r        *http.Request // for the observer
	mode     Mode
	page     *pagelet.Page
	parent   context.Context // the page's: when it ends, nobody sees a fallback
	results  chan result     // buffered for every pagelet: a sender never blocks
	ctx      []context.Context
	cancel   []context.CancelFunc
	deadline []time.Time
	settled  []bool // result handed out (content, fallback or timeout)
	left     int    // not settled yet
	failed   int    // settled with a fallback
	timer    *time.Timer

	// The per-page bound (Limits.PageFetches): pagelets not launched yet,
	// highest priority first, and goroutines launched whose result has not
	// come back yet.
	queue   []int
	running int
	max     int

	// timing keeps each settled pagelet's times for Server-Timing (only
	// with WithServerTiming); index -1 marks one not settled.
	timing []result
}

// start begins loading every pagelet of page under ctx, each bounded by its
// own timeout, at most Limits.PageFetches at once. The caller must call
// stop.
func (h *Handler) start(ctx context.Context, r *http.Request, mode Mode, page *pagelet.Page) *fetches {
	n := len(page.Pagelets)
	f := &fetches{
		h: h, r: r, mode: mode, page: page, parent: ctx,
		results:  make(chan result, n),
		ctx:      make([]context.Context, n),
		cancel:   make([]context.CancelFunc, n),
		deadline: make([]time.Time, n),
		settled:  make([]bool, n),
		left:     n,
		queue:    make([]int, n),
		max:      h.limits.PageFetches,
	}
	now := time.Now()
	for i := range page.Pagelets {
		// The pagelet's own deadline, counted from the start of the page
		// even if it waits for a slot: an earlier one of the page ends the
		// page, not the pagelet (see poll).
		f.deadline[i] = now.Add(page.Pagelets[i].EffectiveTimeout())
		f.ctx[i], f.cancel[i] = context.WithDeadline(ctx, f.deadline[i])
		f.queue[i] = i
	}
	if f.max > 0 && f.max < n {
		slices.SortStableFunc(f.queue, func(a, b int) int {
			return page.Pagelets[b].Priority - page.Pagelets[a].Priority
		})
	}
	if h.serverTiming {
		f.timing = make([]result, n)
		for i := range f.timing {
			f.timing[i].index = -1
		}
	}
	f.launch()
	return f
}

// launch starts the queued pagelets the per-page bound lets run.
func (f *fetches) launch() {
	for len(f.queue) > 0 && (f.max <= 0 || f.running < f.max) {
		i := f.queue[0]
		f.queue = f.queue[1:]
		if f.settled[i] { // timed out while queued
			f.h.rd.limiter.dismiss(1)
			continue
		}
		f.running++
		go f.run(i)
	}
}

// run is pagelet i's goroutine: a process-wide fetch slot, then load. It
// sends exactly one result, and gives back the pagelet's share of the
// budget only when Load has returned, however late: until then it still
// holds whatever Load holds.
func (f *fetches) run(i int) {
	lim := f.h.rd.limiter
	defer lim.dismiss(1)
	p := &f.page.Pagelets[i]
	t0 := time.Now()
	if err := lim.acquire(f.ctx[i], p.Priority); err != nil {
		f.results <- result{index: i, err: err, queue: time.Since(t0)}
		return
	}
	defer lim.release()
	queued := time.Since(t0)
	res := load(f.ctx[i], i, p)
	res.queue = queued
	f.results <- res
}

// received accounts for a result that came back from a goroutine and lets
// the next queued pagelet run.
func (f *fetches) received() {
	f.running--
	f.launch()
}

// poll returns a result that is ready now, if there is one. Once the
// page's context has ended there is none: the page cannot be completed.
func (f *fetches) poll() (result, bool) {
	for f.left > 0 && f.parent.Err() == nil {
		select {
		case res := <-f.results:
			f.received()
			if r, ok := f.settle(res); ok {
				return r, true
			}
		default:
			return f.expired(time.Now())
		}
	}
	return result{}, false
}

// next waits for the next result: a pagelet done, or one whose deadline
// passed. It returns ctx's error if ctx ends first, and false once every
// pagelet is settled.
func (f *fetches) next(ctx context.Context) (result, bool, error) {
	for f.left > 0 {
		if err := ctx.Err(); err != nil {
			return result{}, false, err
		}
		if r, ok := f.poll(); ok {
			return r, true, nil
		}
		select {
		case res := <-f.results:
			f.timer.Stop()
			f.received()
			if r, ok := f.settle(res); ok {
				return r, true, nil
			}
		case <-f.alarm():
		case <-ctx.Done():
			f.timer.Stop()
			return result{}, false, ctx.Err()
		}
	}
	return result{}, false, nil
}

// settle turns what a pagelet's goroutine sent into the result to write:
// its content, or its fallback explaining what went wrong. A result that
// comes after the pagelet's deadline was already handled is dropped.
func (f *fetches) settle(res result) (result, bool) {
	i := res.index
	if f.settled[i] {
		putBuf(res.html)
		return result{}, false
	}
	f.settled[i] = true
	f.left--
	f.cancel[i]()
	if res.err == nil {
		f.observe(res)
		return res, true
	}
	// Load gave up because its context had ended (the page's, or its own
	// deadline): say why.
	if p := &f.page.Pagelets[i]; f.parent.Err() != nil || !time.Now().Before(f.deadline[i]) {
		res.err = ctxErr(f.parent, p.ID, p.EffectiveTimeout())
	}
	f.failed++
	f.observe(res)
	res.html = f.fallback(i, res.err)
	return res, true
}

// observe tells the observer and the debug log how a settled pagelet went.
func (f *fetches) observe(res result) {
	p := &f.page.Pagelets[res.index]
	fail := failure(res.err)
	if f.timing != nil {
		f.timing[res.index] = result{index: res.index, queue: res.queue, fetch: res.fetch, render: res.render, err: res.err}
	}
	if o := f.h.observer; o != nil {
		o.PageletDone(f.r, PageletStats{ID: p.ID, Mode: f.mode, Queue: res.queue, Fetch: res.fetch, Render: res.render, Failure: fail, Err: res.err})
	}
	if f.h.log.Enabled(f.parent, slog.LevelDebug) {
		f.h.log.LogAttrs(f.parent, slog.LevelDebug, "pagelet", slog.String("request_id", RequestID(f.r.Context())),
			slog.String("pagelet", p.ID), slog.Duration("queue", res.queue), slog.Duration("fetch", res.fetch),
			slog.Duration("render", res.render), slog.String("failure", string(fail)))
	}
}

// failure classifies why a pagelet failed.
func failure(err error) Failure {
	var pe *PanicError
	switch {
	case err == nil:
		return FailNone
	case errors.As(err, &pe):
		return FailPanic
	case errors.Is(err, ErrTimeout):
		return FailTimeout
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return FailCanceled
	}
	return FailError
}

// expired settles the first pending pagelet whose deadline is not after
// now, with a timeout.
func (f *fetches) expired(now time.Time) (result, bool) {
	for i, d := range f.deadline {
		if f.settled[i] || now.Before(d) {
			continue
		}
		f.settled[i] = true
		f.left--
		f.failed++
		f.cancel[i]()
		p := &f.page.Pagelets[i]
		res := result{index: i, err: ctxErr(f.parent, p.ID, p.EffectiveTimeout()), fetch: now.Sub(d.Add(-p.EffectiveTimeout()))}
		f.observe(res)
		res.html = f.fallback(i, res.err)
		return res, true
	}
	return result{}, false
}

// fallback renders pagelet i's fallback for err, unless the page is over
// (client gone, deadline), when nobody would see it.
func (f *fetches) fallback(i int, err error) *bytes.Buffer {
	if f.parent.Err() != nil {
		return getBuf()
	}
	return f.h.fallback(f.parent, &f.page.Pagelets[i], err)
}

// giveUp settles pagelet i, if it is not yet, as given up with the page.
func (f *fetches) giveUp(i int) {
	if f.settled[i] {
		return
	}
	f.settled[i] = true
	f.left--
	f.failed++
	f.cancel[i]()
	err := context.Cause(f.parent)
	if err == nil { // the response failed (a write): the page ends here
		err = context.Canceled
	}
	f.observe(result{index: i, err: err})
}

// alarm sets the timer to the nearest deadline of a pagelet not settled
// yet and returns its channel. One timer serves the whole page.
func (f *fetches) alarm() <-chan time.Time {
	wait := time.Until(f.earliest())
	if f.timer == nil {
		f.timer = time.NewTimer(wait)
	} else {
		f.timer.Reset(wait)
	}
	return f.timer.C
}

// earliest is the nearest deadline of a pagelet not settled yet.
func (f *fetches) earliest() time.Time {
	var t time.Time
	for i, d := range f.deadline {
		if !f.settled[i] && (t.IsZero() || d.Before(t)) {
			t = d
		}
	}
	return t
}

// stop cancels every pagelet still loading and waits for those within
// their deadline to return, so that nothing of the page outlives the
// handler but a Load that ignores its context (and that only until its
// deadline has passed here). What it collects is discarded.
func (f *fetches) stop() {
	for _, i := range f.queue { // never launched
		f.h.rd.limiter.dismiss(1)
		f.giveUp(i)
	}
	f.queue = nil
	for i, c := range f.cancel {
		if !f.settled[i] {
			c()
		}
	}
	for f.left > 0 {
		select {
		case res := <-f.results:
			f.running--
			f.giveUp(res.index)
			putBuf(res.html)
		case now := <-f.alarm():
			for i, d := range f.deadline {
				if !now.Before(d) {
					f.giveUp(i)
				}
			}
		}
	}
	if f.timer != nil {
		f.timer.Stop()
	}
}
