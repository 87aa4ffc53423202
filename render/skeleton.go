package render

import (
	"context"
	"log/slog"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// skeleton writes the BigPipe skeleton: the head, the layout with each
// pagelet's placeholder in its slot (in the native mode between the
// markers its template patches), and the resource map that tells the
// runtime which pagelets to expect and which files they may need. A
// placeholder that fails to render is left empty (and logged): the
// pagelet's content replaces it anyway.
//
// Pagelets already done once the head is written are placed: place (nil
// for none) returns them by pagelet index, html nil for the others, and
// the skeleton writes their content in their slots as the plain page has
// it, with their stylesheets at the end of <head> (see placedStyles), so
// that nothing of theirs waits for a payload script, the JSON around it or
// a stylesheet's load event. It returns the stylesheets the head applied,
// which no payload needs to carry again.
func (h *Handler) skeleton(ctx context.Context, s *stream, page *pagelet.Page, res *resources, l *layout, place func() []result) ([]*assets.Asset, error) {
	mode := s.x.mode // Pipelined or Native
	if err := h.head(ctx, s, page, res, mode, nil); err != nil {
		return nil, err
	}
	var placed []result
	if place != nil {
		placed = place()
	}
	var applied []*assets.Asset
	s.buf, applied = appendPlacedStyles(s.buf, res, l.order, placed)
	h.headEnd(s, mode)
	for k, i := range l.order {
		p := &page.Pagelets[i]
		s.buf = append(s.buf, l.segs[k]...)
		if placed != nil && placed[i].html != nil {
			s.buf = appendOpenAs(s.buf, p.ID, placedAttrs)
			s.buf = append(s.buf, placed[i].html.Bytes()...)
			s.buf = append(s.buf, "</div>"...)
			continue
		}
		if mode == Native {
			s.buf = appendMarkerStart(s.buf, i)
		}
		s.buf = appendOpen(s.buf, p.ID, mode)
		if p.Placeholder != nil {
			if err := s.render(ctx, p.Placeholder); err != nil {
				h.rd.log.LogAttrs(ctx, slog.LevelWarn, "placeholder failed", slog.String("request_id", RequestID(ctx)),
					slog.String("pagelet", p.ID), slog.Any("err", err))
			}
		}
		s.buf = append(s.buf, "</div>"...)
		if mode == Native {
			s.buf = appendMarkerEnd(s.buf)
		}
	}
	s.buf = append(s.buf, l.segs[len(l.segs)-1]...)
	s.buf = appendSetup(s.buf, page, res, l.order, placed, s.x.grant)
	for i := range placed {
		if placed[i].html != nil {
			putBuf(placed[i].html)
			placed[i].html = nil
		}
	}
	return applied, nil
}

// appendPlacedStyles writes, for the head, the stylesheets of the placed
// pagelets (html not nil in placed, by pagelet index) in document order,
// each once and none that the head links already: one small and safe enough
// to inline as a <style>, any other as a <link rel=stylesheet>, which holds
// the first rendering until it is in, as the plain page's links do. It
// returns them too.
func appendPlacedStyles(dst []byte, res *resources, order []int, placed []result) ([]byte, []*assets.Asset) {
	var applied []*assets.Asset
	for _, i := range order {
		if placed == nil || placed[i].html == nil {
			continue
		}
		for _, a := range res.css[i] {
			if res.applied(a, applied) {
				continue
			}
			applied = append(applied, a)
			if text, ok := a.Inline(); ok { // Asset.Inline vouches it cannot end the element
				dst = append(dst, `<style data-href="`...)
				dst = appendHTMLEscaped(dst, a.URL)
				dst = append(dst, `">`...)
				dst = append(dst, text...)
				dst = append(dst, "</style>"...)
				continue
			}
			dst = append(dst, `<link rel="stylesheet" href="`...)
			dst = appendHTMLEscaped(dst, a.URL)
			dst = append(dst, `">`...)
		}
	}
	return dst, applied
}

// appendOpen opens a pagelet's container element: a placeholder's in the
// BigPipe modes, content's in the plain modes.
func appendOpen(dst []byte, id string, mode Mode) []byte {
	if mode.outOfOrder() {
		return appendOpenAs(dst, id, pendingAttrs)
	}
	return appendOpenAs(dst, id, inlineAttrs)
}

// The attributes after a pagelet container's id: a placeholder waiting for
// its payload, a pagelet the pipelined skeleton placed (as the runtime
// leaves one it has shown), and a pagelet of a plain page.
const (
	pendingAttrs = `" class="pagelet" data-bigpipe="pending" aria-busy="true" aria-live="polite">`
	placedAttrs  = `" class="pagelet" data-bigpipe="shown" aria-busy="false" aria-live="polite">`
	inlineAttrs  = `" class="pagelet" data-bigpipe="inline">`
)

// appendOpenAs opens a pagelet's container element with attrs.
func appendOpenAs(dst []byte, id, attrs string) []byte {
	dst = append(dst, `<div id="`...)
	dst = appendHTMLEscaped(dst, id)
	return append(dst, attrs...)
}

// appendSetup writes the resource map script that ends the BigPipe skeleton:
// every CSS/JS file a pagelet of this page may need, by short id, and the
// ids of the pagelets the runtime must accept, and, for a page with live
// pagelets, the live client's grant. The pagelets the skeleton placed
// (html not nil in placed) are listed as shown, each with its CSS (which
// the head applied: the runtime takes it as loaded), its JS and its live
// position.
func appendSetup(dst []byte, page *pagelet.Page, res *resources, order []int, placed []result, grant *LiveGrant) []byte {
	dst = appendScriptOpen(dst, res.nonce)
	dst = append(dst, `>bigPipe.setup({"resources":{`...)
	first := true
	add := func(i int, as []*assets.Asset) {
		for k, a := range as {
			if res.listedBefore(i, k, a) {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendJSString(dst, a.ID)
			dst = append(dst, `:{"type":`...)
			dst = appendJSString(dst, string(a.Type))
			dst = append(dst, `,"url":`...)
			dst = appendJSString(dst, a.URL)
			dst = append(dst, '}')
		}
	}
	for i := range page.Pagelets {
		add(2*i, res.css[i])
		add(2*i+1, res.js[i])
	}
	add(2*len(page.Pagelets), res.pageJS)
	dst = append(dst, `},"pagelets":[`...)
	for k, i := range order {
		if k > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSString(dst, page.Pagelets[i].ID)
	}
	dst = append(dst, `],"js":`...)
	dst = appendIDs(dst, res.pageJS)
	first = true
	for _, i := range order {
		if placed == nil || placed[i].html == nil {
			continue
		}
		if first {
			dst = append(dst, `,"shown":[`...)
		} else {
			dst = append(dst, ',')
		}
		first = false
		p := &page.Pagelets[i]
		dst = append(dst, `{"id":`...)
		dst = appendJSString(dst, p.ID)
		if css := res.css[i]; len(css) > 0 {
			dst = append(dst, `,"css":`...)
			dst = appendIDs(dst, css)
		}
		if js := res.js[i]; len(js) > 0 {
			dst = append(dst, `,"js":`...)
			dst = appendIDs(dst, js)
		}
		if live := placed[i].live; live != nil {
			dst = appendLive(dst, p.Channel, live)
		}
		if head := placed[i].head; head != nil {
			dst = appendHeadJSON(dst, head)
		}
		dst = append(dst, '}')
	}
	if !first {
		dst = append(dst, ']')
	}
	if grant != nil {
		dst = appendGrant(dst, grant)
	}
	return append(dst, "})</script>\n"...)
}
