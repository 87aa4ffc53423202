package render

import (
	"bytes"
	"context"
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
	page     *pagelet.Page
	parent   context.Context // the page's: when it ends, nobody sees a fallback
	results  chan result     // buffered for every pagelet: a sender never blocks
	cancel   []context.CancelFunc
	deadline []time.Time
	settled  []bool // result handed out (content, fallback or timeout)
	left     int    // not settled yet
	timer    *time.Timer
}

// start begins loading every pagelet of page under ctx, each bounded by its
// own timeout. The caller must call stop.
func (h *Handler) start(ctx context.Context, page *pagelet.Page) *fetches {
	n := len(page.Pagelets)
	f := &fetches{
		h: h, page: page, parent: ctx,
		results:  make(chan result, n),
		cancel:   make([]context.CancelFunc, n),
		deadline: make([]time.Time, n),
		settled:  make([]bool, n),
		left:     n,
	}
	now := time.Now()
	for i := range page.Pagelets {
		p := &page.Pagelets[i]
		// The pagelet's own deadline: an earlier one of the page ends the
		// page, not the pagelet (see poll).
		f.deadline[i] = now.Add(p.EffectiveTimeout())
		pctx, cancel := context.WithDeadline(ctx, f.deadline[i])
		f.cancel[i] = cancel
		go func() { f.results <- load(pctx, i, p) }()
	}
	return f
}

// poll returns a result that is ready now, if there is one. Once the
// page's context has ended there is none: the page cannot be completed.
func (f *fetches) poll() (result, bool) {
	for f.left > 0 && f.parent.Err() == nil {
		select {
		case res := <-f.results:
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
		return res, true
	}
	// Load gave up because its context had ended (the page's, or its own
	// deadline): say why.
	if p := &f.page.Pagelets[i]; f.parent.Err() != nil || !time.Now().Before(f.deadline[i]) {
		res.err = ctxErr(f.parent, p.ID, p.EffectiveTimeout())
	}
	res.html = f.fallback(i, res.err)
	return res, true
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
		f.cancel[i]()
		p := &f.page.Pagelets[i]
		err := ctxErr(f.parent, p.ID, p.EffectiveTimeout())
		return result{index: i, err: err, html: f.fallback(i, err)}, true
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
	for i, c := range f.cancel {
		if !f.settled[i] {
			c()
		}
	}
	for f.left > 0 {
		select {
		case res := <-f.results:
			if !f.settled[res.index] {
				f.settled[res.index] = true
				f.left--
			}
			putBuf(res.html)
		case now := <-f.alarm():
			for i, d := range f.deadline {
				if !f.settled[i] && !now.Before(d) {
					f.settled[i] = true
					f.left--
				}
			}
		}
	}
	if f.timer != nil {
		f.timer.Stop()
	}
}
