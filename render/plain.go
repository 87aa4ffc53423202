package render

import (
	"slices"
	"time"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// plain writes plain HTML in document order. Streaming (InOrder), it
// flushes whenever the next pagelet is not ready yet, so the client gets
// each pagelet as soon as it and all before it are done; otherwise
// (Serial) it waits for every pagelet and writes the whole document once.
func (p *pass) plain(stream bool) error {
	s, page, l, mode := &p.x.s, p.page, &p.x.l, p.x.mode
	s.more()
	ready := p.f.held // by pagelet index; html nil until settled
	heads, err := p.waitHead(ready)
	if err != nil {
		return err
	}
	if err := p.x.h.head(p.x.ctx, s, page, p.res, mode, heads); err != nil {
		return err
	}
	p.x.h.headEnd(s, mode)
	if hasNoJSCookie(p.x.r) {
		s.buf = appendClearNoJS(s.buf, p.res.nonce)
	}
	for k, i := range l.order {
		s.buf = append(s.buf, l.segs[k]...)
		for ready[i].html == nil {
			if res, ok := p.f.poll(); ok {
				ready[res.index] = res
				continue
			}
			if stream {
				if err := s.flush(); err != nil {
					return err
				}
			}
			res, err := p.next()
			if err != nil {
				return err
			}
			ready[res.index] = res
			s.more()
		}
		s.buf = appendOpen(s.buf, page.Pagelets[i].ID, mode)
		s.buf = append(s.buf, ready[i].html.Bytes()...)
		s.buf = append(s.buf, "</div>"...)
		putBuf(ready[i].html)
		ready[i].html = nil
	}
	s.buf = append(s.buf, l.segs[len(l.segs)-1]...)
	s.buf = appendScripts(s.buf, p.res, l.order)
	s.buf = append(s.buf, closeDocument...)
	return s.end()
}

// waitHead waits, before the plain page's head is written, for the
// pagelets that decide part of it ([pagelet.Pagelet].DecidesHead), until
// the head timeout ([WithHeadTimeout]) at most, keeping what settles in
// ready (by pagelet index) for the body. It returns what the settled ones
// decided, in document order: a pagelet not done by then, or failed, adds
// nothing, and the head is complete without it.
func (p *pass) waitHead(ready []result) ([]*pagelet.Head, error) {
	page := p.page
	pending := func() bool {
		for i := range page.Pagelets {
			if page.Pagelets[i].DecidesHead && ready[i].html == nil {
				return true
			}
		}
		return false
	}
	if pending() {
		until := time.Now().Add(p.x.h.headTimeout)
		for pending() {
			if res, ok := p.f.poll(); ok {
				ready[res.index] = res
				continue
			}
			res, ok, err := p.nextBefore(until)
			if err != nil {
				return nil, err
			}
			if !ok {
				break // the head timeout: written without the rest
			}
			ready[res.index] = res
		}
	}
	var heads []*pagelet.Head
	for _, i := range p.x.l.order {
		if ready[i].head != nil {
			heads = append(heads, ready[i].head)
		}
	}
	return heads, nil
}

// appendScripts writes the page's and pagelets' JS as plain script tags,
// each file once, for the plain-HTML modes ("JS at the bottom").
func appendScripts(dst []byte, res *resources, order []int) []byte {
	add := func(as []*assets.Asset, before func(*assets.Asset) bool) {
		for j, a := range as {
			if slices.Contains(as[:j], a) || before(a) {
				continue
			}
			dst = appendScriptOpen(dst, res.nonce)
			dst = append(dst, ` src="`...)
			dst = appendHTMLEscaped(dst, a.URL)
			dst = append(dst, `"></script>`...)
		}
	}
	for k, i := range order {
		add(res.js[i], func(a *assets.Asset) bool { return jsAmong(res, order[:k], a) })
	}
	add(res.pageJS, func(a *assets.Asset) bool { return jsAmong(res, order, a) })
	return dst
}

// jsAmong reports whether a is the JS of one of the pagelets at indexes.
func jsAmong(res *resources, indexes []int, a *assets.Asset) bool {
	for _, i := range indexes {
		if slices.Contains(res.js[i], a) {
			return true
		}
	}
	return false
}

// clearNoJS (after "<script" and its nonce) forgets the no-JS cookie in a browser that does run scripts, so
// its next page is BigPipe again.
const clearNoJS = `>document.cookie="` + NoJSCookie + `=; Max-Age=0; Path=/; SameSite=Lax"</script>`

// appendClearNoJS writes the clearNoJS script with the request's nonce.
func appendClearNoJS(dst []byte, nonce string) []byte {
	return append(appendScriptOpen(dst, nonce), clearNoJS...)
}
