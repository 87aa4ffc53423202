package render

import (
	"html"
	"slices"

	"github.com/bigpipe-go/bigpipe/assets"
)

// plain writes plain HTML in document order. Streaming (InOrder), it
// flushes whenever the next pagelet is not ready yet, so the client gets
// each pagelet as soon as it and all before it are done; otherwise
// (Serial) it waits for every pagelet and writes the whole document once.
func (p *pass) plain(stream bool) error {
	s, page, l, mode := &p.x.s, p.page, &p.x.l, p.x.mode
	s.more()
	ready := p.f.held // by pagelet index; html nil until settled
	if err := p.x.h.head(p.x.ctx, s, page, p.res, mode); err != nil {
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
			dst = append(dst, html.EscapeString(a.URL)...)
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
