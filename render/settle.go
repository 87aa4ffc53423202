package render

import (
	"bytes"
	"context"
	"log/slog"
	"time"
)

// poll returns a result that is ready now, if there is one. Once the
// page's context has ended there is none: the page cannot be completed.
func (f *fetches) poll() (result, bool) {
	for len(f.hits) > 0 && f.x.ctx.Err() == nil {
		i := f.hits[0]
		f.hits = f.hits[1:]
		if r, ok := f.settle(f.sent[i]); ok {
			return r, true
		}
	}
	for f.left > 0 && f.x.ctx.Err() == nil {
		select {
		case i := <-f.results:
			f.received()
			if r, ok := f.settle(f.sent[i]); ok {
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
		case i := <-f.results:
			f.timer.Stop()
			f.received()
			if err := f.x.ctx.Err(); err != nil {
				// The page ended as this came (both were ready): it is not
				// written, or a page cut short would end as a whole one,
				// its pagelets' fallbacks in place of what they were
				// cancelled for.
				f.giveUp(i)
				putBuf(f.sent[i].html)
				return result{}, false, err
			}
			if r, ok := f.settle(f.sent[i]); ok {
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
	sl := &f.slots[i]
	if sl.settled {
		putBuf(res.html)
		return result{}, false
	}
	sl.settled = true
	f.left--
	if res.err == nil {
		f.observe(res)
		return res, true
	}
	// Load gave up because its context had ended (the page's, or its own
	// deadline): say why.
	if p := &f.page.Pagelets[i]; f.x.ctx.Err() != nil || !time.Now().Before(sl.deadline) {
		res.err = ctxErr(f.x.ctx, p.ID, p.EffectiveTimeout())
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
	if len(f.timing) > 0 {
		f.timing[res.index] = result{index: res.index, queue: res.queue, fetch: res.fetch, render: res.render, err: res.err, cache: res.cache}
	}
	if len(f.spans) > 0 {
		endPageletSpan(f.spans[res.index], &res, fail)
	}
	if o := f.x.h.rd.observer; o != nil {
		o.PageletDone(f.x.r, PageletStats{ID: p.ID, Mode: f.x.mode, Queue: res.queue, Fetch: res.fetch, Render: res.render, Failure: fail, Err: res.err, Cache: string(res.cache)})
	}
	if log := f.x.h.rd.log; log.Enabled(f.x.ctx, slog.LevelDebug) {
		log.LogAttrs(f.x.ctx, slog.LevelDebug, "pagelet", slog.String("request_id", f.x.id),
			slog.String("pagelet", p.ID), slog.Duration("queue", res.queue), slog.Duration("fetch", res.fetch),
			slog.Duration("render", res.render), slog.String("failure", string(fail)))
	}
}

// expired settles the first pending pagelet whose deadline is not after
// now, with a timeout.
func (f *fetches) expired(now time.Time) (result, bool) {
	for i := range f.slots {
		sl := &f.slots[i]
		if sl.settled || now.Before(sl.deadline) {
			continue
		}
		sl.settled = true
		f.left--
		f.failed++
		p := &f.page.Pagelets[i]
		res := result{index: i, err: ctxErr(f.x.ctx, p.ID, p.EffectiveTimeout()), fetch: now.Sub(sl.deadline.Add(-p.EffectiveTimeout()))}
		f.observe(res)
		res.html = f.fallback(i, res.err)
		return res, true
	}
	return result{}, false
}

// fallback renders pagelet i's fallback for err, unless the page is over
// (client gone, deadline), when nobody would see it.
func (f *fetches) fallback(i int, err error) *bytes.Buffer {
	if f.x.ctx.Err() != nil {
		return getBuf()
	}
	return f.x.h.fallback(f.x.ctx, &f.page.Pagelets[i], err)
}

// giveUp settles pagelet i, if it is not yet, as given up with the page.
func (f *fetches) giveUp(i int) {
	sl := &f.slots[i]
	if sl.settled {
		return
	}
	sl.settled = true
	f.left--
	f.failed++
	err := context.Cause(f.x.ctx)
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
	for i := range f.slots {
		if sl := &f.slots[i]; !sl.settled && (t.IsZero() || sl.deadline.Before(t)) {
			t = sl.deadline
		}
	}
	return t
}
