package render

import (
	"bytes"
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// result is one finished pagelet: its markup (content or fallback) and how
// it got there. Only the handler goroutine reads it, after load sent it.
type result struct {
	index  int           // position in Page.Pagelets
	html   *bytes.Buffer // rendered content or fallback; returned to bufPool once written
	err    error         // why the fallback was rendered, nil on success
	queue  time.Duration // waiting for a process-wide fetch slot
	fetch  time.Duration // in Load
	render time.Duration // rendering the component into html
	live   *LivePosition // where the pagelet's live channel stood before Load; nil if not live
	cache  cache.Outcome // how the cache served it; "" for a pagelet not cached
	head   *pagelet.Head // what its Load decided of the document's head (pagelet.WithHead); nil: nothing
	entry  *cache.Entry  // the cache's entry it was served from at once (fetches.peek); nil otherwise
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer { return bufPool.Get().(*bytes.Buffer) }

func putBuf(b *bytes.Buffer) {
	if b == nil || b.Cap() > 1<<20 { // let huge buffers go
		return
	}
	b.Reset()
	bufPool.Put(b)
}

// load runs p.Load and renders its component into a fresh buffer, so that
// a component failing half-way leaves no partial output behind. It times
// both steps, and turns a panic in either into a [PanicError]. sp, the
// pagelet's span (nil without tracing), gets an event as each step begins
// and one as the render ends.
func load(ctx context.Context, i int, p *pagelet.Pagelet, sp trace.Span) (res result) {
	res.index = i
	t0 := time.Now()
	defer func() {
		if v := recover(); v != nil {
			putBuf(res.html)
			res = result{index: i, err: &PanicError{ID: p.ID, Value: v, Stack: debug.Stack()}, fetch: time.Since(t0)}
		}
	}()
	if sp != nil {
		sp.AddEvent("load", trace.WithTimestamp(t0))
	}
	c, err := p.Load(ctx)
	t1 := time.Now()
	if sp != nil {
		sp.AddEvent("render", trace.WithTimestamp(t1))
	}
	res.fetch = t1.Sub(t0)
	if err == nil && c == nil {
		err = ErrNilComponent
	}
	if err != nil {
		res.err = &PageletError{ID: p.ID, Err: err}
		return res
	}
	if h, ok := pagelet.HeadOf(c); ok {
		if err := checkHead(&h); err != nil {
			res.err = &PageletError{ID: p.ID, Err: err}
			return res
		}
		res.head = &h
	}
	res.html = getBuf()
	err = c.Render(ctx, res.html)
	res.render = time.Since(t1)
	if sp != nil {
		sp.AddEvent("rendered", trace.WithTimestamp(t1.Add(res.render)))
	}
	if err != nil {
		putBuf(res.html)
		res.html = nil
		res.err = &PageletError{ID: p.ID, Err: fmt.Errorf("component: %w", err)}
	}
	return res
}
