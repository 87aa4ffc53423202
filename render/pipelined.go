package render

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"time"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// pass is the state of one page being written, in either mode.
type pass struct {
	x    *response // its mode, layout and stream too
	page *pagelet.Page
	res  *resources
	f    *fetches
}

// pipelined writes the BigPipe response: the skeleton, with the pagelets
// already done in their slots (see Handler.skeleton), then each other
// pagelet as a payload script in completion order, or in the native mode
// as a template the parser patches into its slot (see appendPatch) and a
// script that tells the runtime. Pagelets that are ready together
// go out in priority order, in one write; the end of the document rides
// with the last of them. The first-paint marker (see firstPaintID) ends
// the write that leaves no pagelet pending, or comes alone once
// firstPaintGrace has passed since the skeleton's write.
func (p *pass) pipelined() error {
	s, page := &p.x.s, p.page
	s.more()
	sent, err := p.x.h.skeleton(p.x.ctx, s, page, p.res, &p.x.l, p.placeReady)
	if err != nil {
		return err
	}
	// Pagelets done while the skeleton was written ride with it: one
	// write fewer.
	batch := p.ready(p.f.batch[:0])
	// Their payloads report their own times: the Server-Timing header,
	// made at that write, leaves them out (index -1: not settled for it),
	// so that each pagelet is reported once.
	if len(p.f.timing) > 0 {
		for k := range batch {
			p.f.timing[batch[k].index].index = -1
		}
	}
	var hold time.Time // while the first-paint marker is held: until when
	for first := true; ; first = false {
		slices.SortStableFunc(batch, func(a, b result) int {
			return page.Pagelets[b.index].Priority - page.Pagelets[a.index].Priority
		})
		if p.x.mode == Native {
			for k := range batch {
				res := &batch[k]
				s.buf, sent = appendPatch(s.buf, p.res, res.index, page.Pagelets[res.index].ID, res.html.Bytes(), sent)
				putBuf(res.html)
			}
		}
		// One script element for the whole batch: the browser runs it in
		// one go, so the pagelets it shows reach the screen in the same
		// frame instead of one frame each.
		if len(batch) > 0 {
			s.buf = appendScriptOpen(s.buf, p.res.nonce)
			s.buf = append(s.buf, '>')
		}
		for k := range batch {
			res := &batch[k]
			var tm *result
			if p.x.h.serverTiming {
				tm = res
			}
			if k > 0 {
				s.buf = append(s.buf, ';')
			}
			css := p.res.css[res.index]
			pl := &page.Pagelets[res.index]
			if p.x.mode == Native {
				s.buf = appendPatched(s.buf, pl.ID, res.index, css, p.res.js[res.index], tm, pl.Channel, res.live, res.head)
				continue
			}
			var styles []*assets.Asset
			styles, sent = inlineStyles(css, p.res, sent)
			s.buf = appendArrive(s.buf, pl.ID, res.html.Bytes(), css, p.res.js[res.index], styles, tm, pl.Channel, res.live, res.head)
			putBuf(res.html)
		}
		if len(batch) > 0 {
			s.buf = append(s.buf, "</script>\n"...)
		}
		switch {
		case p.f.left == 0 && (first || !hold.IsZero()):
			s.buf = append(s.buf, firstPaintMarker...)
		case first:
			hold = time.Now().Add(firstPaintGrace)
		}
		if p.f.left == 0 {
			s.buf = append(s.buf, closeDocument...)
			return s.end()
		}
		if err := s.flush(); err != nil {
			return err
		}
		res, ok, err := p.nextBefore(hold)
		if err != nil {
			return err
		}
		if !ok { // the grace is over: let the browser render what it has
			hold = time.Time{}
			s.more()
			s.buf = append(s.buf, firstPaintMarker...)
			if err := s.flush(); err != nil {
				return err
			}
			if res, err = p.next(); err != nil {
				return err
			}
		}
		s.more()
		// Let pagelets finishing at this very moment deliver too: a batch
		// goes out in one write, and a write is the costliest step here.
		runtime.Gosched()
		batch = p.ready(append(batch[:0], res))
	}
}

// nextBefore is next, giving up with false at until, unless until is zero.
func (p *pass) nextBefore(until time.Time) (result, bool, error) {
	if until.IsZero() {
		res, err := p.next()
		return res, err == nil, err
	}
	ctx, cancel := context.WithDeadline(p.x.ctx, until)
	defer cancel()
	res, ok, err := p.f.next(ctx)
	switch {
	case err != nil && p.x.ctx.Err() == nil:
		return result{}, false, nil // until passed, not the page's end
	case err != nil:
		return result{}, false, &pageEnded{context.Cause(p.x.ctx)}
	case !ok:
		return result{}, false, errors.New("render: no pagelet left to wait for")
	}
	return res, true, nil
}

// next waits for the next pagelet result. If the page ends first (client
// gone, page deadline, the server cancelling) it returns why.
func (p *pass) next() (result, error) {
	res, ok, err := p.f.next(p.x.ctx)
	switch {
	case err != nil:
		// The cause tells a client gone (net/http cancels with none) from
		// a server that cancelled the request, shutting down, say.
		return result{}, &pageEnded{context.Cause(p.x.ctx)}
	case !ok:
		return result{}, errors.New("render: no pagelet left to wait for") // a bug: callers wait only for pending pagelets
	}
	return res, nil
}

// placeReady returns, by pagelet index (html nil for the others), the
// pagelets done by the time the skeleton's head is written: the skeleton
// places them in their slots. It waits for no pagelet that is running: it
// yields once, which lets fetches already runnable (answered from memory,
// say) finish, and again, at most skeletonYields times in all, only while
// some pagelet's goroutine has not even begun (on a busy server, still in
// a run queue behind other requests' work). With [WithPayloadsOnly] it
// places none.
func (p *pass) placeReady() []result {
	for k := 0; k < skeletonYields && p.f.launched > 0; k++ {
		runtime.Gosched()
		if !p.f.unbegun() {
			break
		}
	}
	if p.x.h.payloadsOnly {
		return nil // they ride with the skeleton as payloads
	}
	placed := p.f.held
	for {
		res, ok := p.f.poll()
		if !ok {
			return placed
		}
		placed[res.index] = res
	}
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

const closeDocument = "</body></html>"

// skeletonYields bounds the yields before the skeleton places the pagelets
// done (see pass.placeReady): each lets the scheduler run what is queued, so a
// pagelet goroutine not begun after a few is waiting for a slot or for
// a busy machine, and the skeleton does not wait for it.
const skeletonYields = 4
