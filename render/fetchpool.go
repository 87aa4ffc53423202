package render

import (
	"sync"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// fetchesPool recycles the fetches of pages that nothing outlives (see
// recycle): a page's results, slots and cache fills are a few kilobytes,
// allocated for every request, the fully cached page's too.
var fetchesPool = sync.Pool{New: func() any { return new(fetches) }}

// newFetches returns the fetches of page, empty, with room for its
// pagelets: a recycled one when the pool has one.
func newFetches(x *response, page *pagelet.Page, maxFetches int) *fetches {
	n := len(page.Pagelets)
	f := fetchesPool.Get().(*fetches)
	results := grow(f.all, 3*n)
	slots := grow(f.slots, n)
	ch := f.results
	if cap(ch) < n || len(ch) > 0 {
		ch = make(chan int, n)
	}
	*f = fetches{
		x: x, page: page,
		results: ch,
		all:     results,
		sent:    results[2*n:],
		slots:   slots,
		left:    n,
		max:     maxFetches,
		batch:   results[:0:n],
		held:    results[n : 2*n],
		// Kept for reuse, cleared by grow before use.
		timing:  f.timing[:0],
		spans:   f.spans[:0],
		fills:   f.fills[:0],
		sources: f.sources[:0],
		ints:    f.ints[:0],
		cancels: f.cancels[:0],
	}
	return f
}

// grow returns s with length n, every element zero, reusing its array
// when it is big enough.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// recycle puts f back in the pool once stop has settled everything, if
// nothing can touch it any more: no pagelet's goroutine was started (each
// holds f until it returns, and one whose Load ignores its context may
// outlive the page) and the cache was only read (a load it runs, a miss's
// or a stale fragment's refresh, holds the pagelet's Fill and Source,
// which point into f, for as long as it runs). That is the fully cached
// page, served from fresh fragments alone.
func (f *fetches) recycle() {
	if f.launched > 0 || len(f.queue) > 0 || f.escaped {
		return
	}
	f.x, f.page = nil, nil
	clear(f.all)
	clear(f.fills)
	clear(f.sources)
	clear(f.timing)
	clear(f.spans)
	clear(f.cancels)
	fetchesPool.Put(f)
}
