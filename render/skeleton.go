package render

import (
	"context"
	"html"
	"log/slog"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// skeleton writes the BigPipe skeleton: the head, the layout with each
// pagelet's placeholder in its slot, and the resource map that tells the
// runtime which pagelets to expect and which files they may need. A
// placeholder that fails to render is left empty (and logged): the
// pagelet's content replaces it anyway.
func (h *Handler) skeleton(ctx context.Context, s *stream, page *pagelet.Page, res *resources, l *layout) error {
	if err := h.head(ctx, s, page, res, Pipelined); err != nil {
		return err
	}
	for k, i := range l.order {
		p := &page.Pagelets[i]
		s.buf = append(s.buf, l.segs[k]...)
		s.buf = appendOpen(s.buf, p.ID, Pipelined)
		if p.Placeholder != nil {
			if err := s.render(ctx, p.Placeholder); err != nil {
				h.rd.log.LogAttrs(ctx, slog.LevelWarn, "placeholder failed", slog.String("request_id", RequestID(ctx)),
					slog.String("pagelet", p.ID), slog.Any("err", err))
			}
		}
		s.buf = append(s.buf, "</div>"...)
	}
	s.buf = append(s.buf, l.segs[len(l.segs)-1]...)
	s.buf = appendSetup(s.buf, page, res, l.order, s.x.grant)
	return nil
}

// appendOpen opens a pagelet's container element.
func appendOpen(dst []byte, id string, mode Mode) []byte {
	dst = append(dst, `<div id="`...)
	dst = append(dst, html.EscapeString(id)...)
	if mode == Pipelined {
		return append(dst, `" class="pagelet" data-bigpipe="pending" aria-busy="true" aria-live="polite">`...)
	}
	return append(dst, `" class="pagelet" data-bigpipe="inline">`...)
}

// appendSetup writes the resource map script that ends the BigPipe skeleton:
// every CSS/JS file a pagelet of this page may need, by short id, and the
// ids of the pagelets the runtime must accept, and, for a page with live
// pagelets, the live client's grant.
func appendSetup(dst []byte, page *pagelet.Page, res *resources, order []int, grant *LiveGrant) []byte {
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
	if grant != nil {
		dst = appendGrant(dst, grant)
	}
	return append(dst, "})</script>\n"...)
}
