package render

import (
	"context"
	"slices"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// fetches runs every pagelet of one page concurrently and hands their
// results to the handler goroutine, which alone uses it.
//
// Each pagelet gets one goroutine, which loads and renders it into a buffer
// of its own (see load) and ends when both return. Deadlines are kept here,
// not in those goroutines: the handler waits for the next result or the
// earliest pending deadline, whichever comes first, and a pagelet whose
// deadline passes gets its fallback at once, so a Load that ignores its
// context never holds up the page (settle.go).
type fetches struct {
	x       *response // the page's handler, context and mode
	page    *pagelet.Page
	results chan int    // pagelet indexes whose goroutine is done; buffered for every pagelet, so a sender never blocks
	sent    []result    // by pagelet index: what its goroutine sent, written before it sends the index
	slots   []fetchSlot // by pagelet index
	cancels []context.CancelFunc
	left    int // not settled yet
	failed  int // settled with a fallback
	timer   *time.Timer

	// The per-page bound ([WithPageFetches]): pagelets not launched yet,
	// highest priority first (nil without a bound), and goroutines launched
	// whose result has not come back yet.
	queue   []int
	running int
	max     int

	// launched counts the goroutines started so far (by the handler),
	// begun those of them that have begun to run (each adds one as it
	// starts): the pipelined mode waits for a scheduler to have run them
	// before it writes the skeleton alone (see pass.pipelined).
	launched int
	begun    atomic.Int32

	// Result slices the writers reuse: batch for the pagelets the
	// pipelined mode writes together, held for those the plain modes keep
	// until their turn in document order (by index; html nil until then).
	batch, held []result

	// timing keeps each settled pagelet's times for Server-Timing (only
	// with WithServerTiming; empty without); index -1 marks one not
	// settled. timing, spans and fills may hold a recycled array with
	// length 0 (see newFetches): their length, not nil, says whether they
	// are in use.
	timing []result

	// spans are the pagelets' spans, by index, started before their
	// goroutines and ended as each settles (observe); empty without tracing.
	spans []trace.Span

	// fills are, by index, what the cache needs to find and load the
	// cached pagelets (the zero Fill for the others; empty without a cache),
	// sources their Sources; hits
	// the pagelets the cache served before any goroutine started, in sent
	// and not settled yet: poll hands them out first.
	fills   []cache.Fill
	sources []cachedSource
	hits    []int

	// all is the array of sent, held and batch, ints that of the pagelet
	// indexes lookup returns and hits: kept for reuse (see recycle).
	all  []result
	ints []int

	// escaped is set once something that may outlive the page holds f:
	// a load or refresh the cache runs (see recycle).
	escaped bool
}

// fetchSlot is one pagelet's place in its page's fetches.
type fetchSlot struct {
	ctx      context.Context // ends at deadline, or with the page; nil for a pagelet the cache served at once
	deadline time.Time       // counted from the start of the page
	settled  bool            // result handed out (content, fallback or timeout)
}

// start begins loading every pagelet of page under the response's
// context, each bounded by its own timeout, at most pageFetches at once.
// Pagelets with the same timeout share one context, since they share its
// deadline. The caller must call stop.
func (h *Handler) start(x *response, page *pagelet.Page) *fetches {
	n := len(page.Pagelets)
	f := newFetches(x, page, h.pageFetches)
	now := time.Now()
	for i := range page.Pagelets {
		// The pagelet's own deadline, counted from the start of the page
		// even if it waits for a slot: an earlier one of the page ends the
		// page, not the pagelet (see poll).
		f.slots[i].deadline = now.Add(page.Pagelets[i].EffectiveTimeout())
	}
	if h.serverTiming {
		f.timing = grow(f.timing, n)
		for i := range f.timing {
			f.timing[i].index = -1
		}
	}
	if t := h.rd.tracer; t != nil {
		f.spans = grow(f.spans, n)
		for i := range f.spans {
			f.spans[i] = startPageletSpan(x.ctx, t, &page.Pagelets[i], now)
		}
	}
	todo := f.lookup(now)
	f.escaped = f.escaped || len(todo) > 0
	// A context per pagelet left to load; pagelets with the same timeout
	// share one, since they share its deadline.
	for k, i := range todo {
		sl := &f.slots[i]
		if j := slices.IndexFunc(todo[:k], func(j int) bool { return f.slots[j].deadline.Equal(sl.deadline) }); j >= 0 {
			sl.ctx = f.slots[todo[j]].ctx
			continue
		}
		ctx, cancel := context.WithDeadline(x.ctx, sl.deadline)
		sl.ctx = ctx
		f.cancels = append(f.cancels, cancel)
	}
	if f.max <= 0 || f.max >= len(todo) {
		f.running, f.launched = len(todo), len(todo)
		for _, i := range todo {
			go f.run(i)
		}
		return f
	}
	f.queue = todo
	slices.SortStableFunc(f.queue, func(a, b int) int {
		return page.Pagelets[b].Priority - page.Pagelets[a].Priority
	})
	f.launch()
	return f
}

// lookup asks the cache, if the Renderer has one, for every cached
// pagelet: those it serves at once are done (hits), with no goroutine and
// nothing of the process-wide budget held. It returns the indexes of the
// pagelets left to load.
func (f *fetches) lookup(now time.Time) []int {
	n := len(f.page.Pagelets)
	todo := grow(f.ints, 2*n)[:0]
	f.ints = todo
	if f.x.h.rd.cache == nil {
		for i := range n {
			todo = append(todo, i)
		}
		return todo
	}
	f.hits = todo[n:n]
	todo = todo[:0:n]
	f.fills = grow(f.fills, n)
	f.sources = grow(f.sources, n)
	if f.remembered(now) { // every pagelet a hit, as the last fully cached page of this handler
		for i := range n {
			f.hits = append(f.hits, i)
		}
		return todo
	}
	gen := f.x.h.rd.cache.Generation() // before the lookups (see cache.Generation)
	for i := range n {
		if fill := f.fill(i); fill != nil {
			if res, ok := f.peek(i, fill, now); ok {
				f.sent[i] = res
				f.hits = append(f.hits, i)
				continue
			}
		}
		todo = append(todo, i)
	}
	f.remember(gen)
	return todo
}

// launch starts the queued pagelets the per-page bound lets run.
func (f *fetches) launch() {
	for len(f.queue) > 0 && f.running < f.max {
		i := f.queue[0]
		f.queue = f.queue[1:]
		if f.slots[i].settled { // timed out while queued
			f.dismiss(i)
			continue
		}
		f.running++
		f.launched++
		go f.run(i)
	}
}

// run is pagelet i's goroutine: a process-wide fetch slot, then load. It
// sends exactly one result, and gives back the pagelet's share of the
// budget only when Load has returned, however late: until then it still
// holds whatever Load holds. A cached pagelet holds neither budget nor
// slot while it waits for the cache: the load the cache runs takes a slot
// of its own (cachedSource.Load), so that requests that share a load do
// not each hold one.
func (f *fetches) run(i int) {
	f.begun.Add(1)
	p := &f.page.Pagelets[i]
	ctx := f.slots[i].ctx
	if len(f.fills) > 0 && f.fills[i].Source != nil {
		t0 := time.Now()
		f.sent[i] = f.getCached(ctx, i, &f.fills[i])
		f.sent[i].fetch = time.Since(t0)
		f.results <- i
		return
	}
	lim := f.x.h.rd.limiter
	defer lim.dismiss(1)
	var sp trace.Span // nil without tracing
	if len(f.spans) > 0 {
		sp = f.spans[i]
		ctx = trace.ContextWithSpan(ctx, sp) // Load's backend calls join the trace
	}
	t0 := time.Now()
	if err := lim.acquire(ctx, p.Priority); err != nil {
		f.sent[i] = result{index: i, err: err, queue: time.Since(t0)}
		f.results <- i
		return
	}
	defer lim.release()
	queued := time.Since(t0)
	pos, _ := f.x.position(ctx, p) // before Load: what is published after it reaches the page
	f.sent[i] = load(ctx, i, p, sp)
	f.sent[i].live = pos
	f.sent[i].queue = queued
	f.results <- i
}

// dismiss gives back pagelet i's share of the process-wide budget, unless
// it is cached, which the budget does not count (see admitted).
func (f *fetches) dismiss(i int) {
	if len(f.fills) == 0 || f.fills[i].Source == nil {
		f.x.h.rd.limiter.dismiss(1)
	}
}

// admitted is how much of the process-wide budget page needs: one for
// each pagelet that is not cached (a cached one waits for the cache, whose
// loads take fetch slots of their own).
func (h *Handler) admitted(page *pagelet.Page) int {
	if h.rd.cache == nil {
		return len(page.Pagelets)
	}
	n := 0
	for i := range page.Pagelets {
		if !page.Pagelets[i].Cache.On() {
			n++
		}
	}
	return n
}

// unbegun reports whether a goroutine launched has not begun to run yet.
func (f *fetches) unbegun() bool { return int(f.begun.Load()) < f.launched }

// received accounts for a result that came back from a goroutine and lets
// the next queued pagelet run.
func (f *fetches) received() {
	f.running--
	f.launch()
}

// stop cancels every pagelet still loading and waits for those within
// their deadline to return, so that nothing of the page outlives the
// handler but a Load that ignores its context (and that only until its
// deadline has passed here). What it collects is discarded.
func (f *fetches) stop() {
	for _, i := range f.hits { // served by the cache, never handed out
		f.giveUp(i)
		putBuf(f.sent[i].html)
	}
	f.hits = nil
	for _, i := range f.queue { // never launched
		f.dismiss(i)
		f.giveUp(i)
	}
	f.queue = nil
	for _, c := range f.cancels {
		c()
	}
	for f.left > 0 {
		select {
		case i := <-f.results:
			f.running--
			f.giveUp(i)
			putBuf(f.sent[i].html)
		case now := <-f.alarm():
			for i := range f.slots {
				if !now.Before(f.slots[i].deadline) {
					f.giveUp(i)
				}
			}
		}
	}
	if f.timer != nil {
		f.timer.Stop()
	}
	for i := range f.held { // settled but never written: the page ended first
		putBuf(f.held[i].html)
	}
	f.x.failed = f.failed
	f.recycle()
}
