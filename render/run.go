package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/a-h/templ"

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
// both steps.
func load(ctx context.Context, i int, p *pagelet.Pagelet) (res result) {
	res.index = i
	t0 := time.Now()
	defer func() {
		if v := recover(); v != nil {
			putBuf(res.html)
			res = result{index: i, err: &PanicError{ID: p.ID, Value: v, Stack: debug.Stack()}, fetch: time.Since(t0)}
		}
	}()
	c, err := p.Load(ctx)
	t1 := time.Now()
	res.fetch = t1.Sub(t0)
	if err == nil && c == nil {
		err = ErrNilComponent
	}
	if err != nil {
		res.err = fmt.Errorf("render: pagelet %q: %w", p.ID, err)
		return res
	}
	res.html = getBuf()
	err = c.Render(ctx, res.html)
	res.render = time.Since(t1)
	if err != nil {
		putBuf(res.html)
		res.html = nil
		res.err = fmt.Errorf("render: pagelet %q: component: %w", p.ID, err)
	}
	return res
}

// ctxErr explains why a pagelet's context ended, given the page's context:
// if the page is still on, the pagelet's own timeout fired.
func ctxErr(page context.Context, id string, timeout time.Duration) error {
	if page.Err() == nil {
		return fmt.Errorf("render: pagelet %q: %w after %v", id, ErrTimeout, timeout)
	}
	return fmt.Errorf("render: pagelet %q: %w", id, context.Cause(page))
}

// defaultFallback is shown for a failed pagelet that has no Fallback of its own.
const defaultFallback = `<div class="pagelet-error" role="status"><p>This section could not be loaded.</p></div>`

// fallback renders p's fallback for err; if that fails too, the generic one.
func (h *Handler) fallback(ctx context.Context, p *pagelet.Pagelet, err error) *bytes.Buffer {
	var pe *PanicError
	if errors.As(err, &pe) {
		h.log.LogAttrs(ctx, slog.LevelError, "pagelet panicked", slog.String("request_id", RequestID(ctx)), slog.String("pagelet", p.ID),
			slog.String("panic", fmt.Sprint(pe.Value)), slog.String("stack", string(pe.Stack)))
	} else {
		h.log.LogAttrs(ctx, slog.LevelWarn, "pagelet failed", slog.String("request_id", RequestID(ctx)), slog.String("pagelet", p.ID),
			slog.String("failure", string(failure(err))), slog.Any("err", err))
	}
	buf := getBuf()
	if p.Fallback != nil {
		if renderSafely(context.WithoutCancel(ctx), p.Fallback, err, buf) == nil {
			return buf
		}
		buf.Reset()
	}
	buf.WriteString(defaultFallback)
	return buf
}

func renderSafely(ctx context.Context, f func(error) templ.Component, cause error, buf *bytes.Buffer) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("fallback panicked: %v", v)
		}
	}()
	c := f(cause)
	if c == nil {
		return ErrNilComponent
	}
	return c.Render(ctx, buf)
}
