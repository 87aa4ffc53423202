package render

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// Limits bounds the work a [Renderer]'s pages do at once, so that a burst of
// slow pages cannot exhaust memory. The zero value bounds nothing.
//
// Each page reserves one unit of the process-wide budget per pagelet when
// it is admitted, and gives it back as each pagelet settles. A page whose
// pagelets do not fit in the budget left is shed: it gets 503 Service
// Unavailable with Retry-After before any work starts, rather than a place
// in a queue that could grow forever. Within the budget at most Fetches
// pagelet loads run at once across the process, and at most PageFetches
// within one page; the others wait, highest Priority first, then oldest
// first, each no longer than its own Timeout.
//
// A cached pagelet (see [WithCache]) counts toward neither: a request that
// waits for the cache holds no budget and no slot, and the load the cache
// runs for all of them takes a slot of its own. So a thousand readers of a
// cold page of cached pagelets are not shed for what one load does.
//
// Pages bounds what the fetch budget cannot see: a page whose pagelets are
// all cached takes no budget, so without Pages nothing stops a flood of
// them from queueing for the CPU until every one is late. With it, the
// pages (and fragments) beyond Pages answered at once are shed the same
// way, before their PageFunc runs.
type Limits struct {
	// Pages bounds the pages and fragments being answered at once across
	// the Renderer, from before the PageFunc until the last byte. Zero
	// means no bound.
	Pages int
	// PageFetches bounds the loads running at once within one page.
	// Zero means no bound.
	PageFetches int
	// Fetches bounds the loads running at once across all pages of the
	// Renderer. Zero means no bound.
	Fetches int
	// Queue is how many pagelets may wait for one of Fetches across the
	// process; the budget is Fetches+Queue. Zero means as many as Fetches.
	// It has no effect when Fetches is zero.
	Queue int
	// RetryAfter is what a shed response tells the client to wait
	// (rounded up to whole seconds). Zero means one second.
	RetryAfter time.Duration
}

// limiter is the process-wide fetch budget shared by all pages of a
// Renderer: admission by the page, then a slot per running load, handed
// out by priority.
type limiter struct {
	mu       sync.Mutex
	slots    int // loads allowed to run at once
	budget   int // pagelets admitted at once: slots + queue
	running  int
	admitted int
	waiting  waiters
	seq      uint64
}

func newLimiter(l Limits) *limiter {
	if l.Fetches <= 0 {
		return nil
	}
	q := l.Queue
	if q <= 0 {
		q = l.Fetches
	}
	return &limiter{slots: l.Fetches, budget: l.Fetches + q}
}

// admit reserves n pagelets of the budget, or fails with errShed if they
// do not fit. A nil limiter admits everything.
func (l *limiter) admit(n int) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.admitted > 0 && l.admitted+n > l.budget {
		return errShed
	}
	l.admitted += n
	return nil
}

// dismiss gives back n admitted pagelets.
func (l *limiter) dismiss(n int) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.admitted -= n
	l.mu.Unlock()
}

// acquire waits for a slot to run a load, ahead of every waiter of lower
// priority, until ctx ends (then it returns ctx's error).
func (l *limiter) acquire(ctx context.Context, priority int) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	if l.running < l.slots && len(l.waiting) == 0 {
		l.running++
		l.mu.Unlock()
		return nil
	}
	l.seq++
	w := &waiter{priority: priority, seq: l.seq, ready: make(chan struct{})}
	heap.Push(&l.waiting, w)
	l.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		granted := w.index < 0
		if !granted {
			heap.Remove(&l.waiting, w.index)
		}
		l.mu.Unlock()
		if granted { // handed a slot just as ctx ended: pass it on
			l.release()
		}
		return ctx.Err()
	}
}

// release frees a slot, handing it to the first waiter if there is one.
func (l *limiter) release() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.waiting) > 0 {
		w := heap.Pop(&l.waiting).(*waiter)
		close(w.ready) // the slot passes to w: running stays the same
		return
	}
	l.running--
}

// waiter is a load waiting for a slot.
type waiter struct {
	priority int
	seq      uint64
	index    int // in the heap; -1 once granted
	ready    chan struct{}
}

// waiters is a heap: highest priority first, then first come.
type waiters []*waiter

func (h waiters) Len() int { return len(h) }
func (h waiters) Less(i, j int) bool {
	if h[i].priority != h[j].priority {
		return h[i].priority > h[j].priority
	}
	return h[i].seq < h[j].seq
}
func (h waiters) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *waiters) Push(x any) {
	w := x.(*waiter)
	w.index = len(*h)
	*h = append(*h, w)
}
func (h *waiters) Pop() any {
	old := *h
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	w.index = -1
	return w
}
