package render

import (
	"context"
	"fmt"
	"net/url"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// head writes the doctype and the <head> up to its end (see headEnd): the
// title, the page's own head markup ([pagelet.Page].Head), in the pipelined
// mode the first-paint hold, the preloads of the pagelets' CSS (see
// preloadCSS) and the runtime (inline unless [WithLinkedRuntime]), before
// the page's inline and linked CSS. The plain modes
// link every pagelet's CSS instead, since content arrives inline.
//
// heads are what the pagelets done so far decided of the head, in document
// order (a plain page's, see pass.waitHead; nil for the BigPipe skeleton,
// whose runtime applies them as they arrive): the last title decided
// replaces the page's, and their meta tags, canonical link and JSON-LD
// follow the page's own Head.
func (h *Handler) head(ctx context.Context, s *stream, page *pagelet.Page, res *resources, mode Mode, heads []*pagelet.Head) error {
	lang := page.Lang
	if lang == "" {
		lang = "en"
	}
	s.buf = append(s.buf, `<!DOCTYPE html><html lang="`...)
	s.buf = appendHTMLEscaped(s.buf, lang)
	s.buf = append(s.buf, `"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>`...)
	s.buf = appendHTMLEscaped(s.buf, decidedTitle(page, heads))
	s.buf = append(s.buf, "</title>"...)
	if page.Head != nil {
		n := len(s.buf)
		if err := s.render(ctx, page.Head); err != nil {
			return fmt.Errorf("render: page head: %w", err)
		}
		if len(heads) > 0 { // what the pagelets decided replaces the page's own, as the runtime does
			s.buf = append(s.buf[:n], withoutDecided(s.buf[n:], heads)...)
		}
	}
	s.buf = appendHeadTags(s.buf, heads)
	if mode.outOfOrder() {
		// Hold the first rendering until the end of the skeleton's own
		// write (see firstPaintID), fetch every pagelet stylesheet that
		// cannot travel inline while the pagelets' data is fetched, and
		// run the runtime before any stylesheet is linked: a classic script
		// after a pending <link rel=stylesheet> waits for it, and the parser
		// with it, so the skeleton would be parsed only once the CSS is in.
		// Before the links, the skeleton is parsed while its CSS downloads,
		// as a plain page is.
		s.buf = append(s.buf, `<link rel="expect" href="#`+firstPaintID+`" blocking="render">`...)
		for _, a := range res.preloadCSS {
			s.buf = append(s.buf, `<link rel="preload" as="style" href="`...)
			s.buf = appendHTMLEscaped(s.buf, a.URL)
			s.buf = append(s.buf, `">`...)
		}
		s.buf = appendScriptOpen(s.buf, res.nonce)
		if res.runtimeInline { // Asset.Inline vouches it cannot end the element
			s.buf = append(s.buf, '>')
			s.buf = append(s.buf, res.runtimeJS...)
			s.buf = append(s.buf, "</script>"...)
		} else {
			s.buf = append(s.buf, ` src="`...)
			s.buf = appendHTMLEscaped(s.buf, res.runtime.URL)
			s.buf = append(s.buf, `"></script>`...)
		}
	}
	for _, css := range res.inlineCSS { // Asset.Inline vouches it cannot end the element
		s.buf = append(s.buf, "<style>"...)
		s.buf = append(s.buf, css...)
		s.buf = append(s.buf, "</style>"...)
	}
	for _, a := range res.headCSS {
		s.buf = append(s.buf, `<link rel="stylesheet" href="`...)
		s.buf = appendHTMLEscaped(s.buf, a.URL)
		s.buf = append(s.buf, `">`...)
	}
	return nil
}

// headEnd ends the <head> that head began, in the pipelined mode with the
// <noscript> refresh that sends a browser without JavaScript to the plain
// page (not in the native mode, which needs no JavaScript), and opens the
// <body>. Between the two, the pipelined skeleton
// writes the stylesheets of the pagelets it places (see placedStyles).
func (h *Handler) headEnd(s *stream, mode Mode) {
	if mode == Pipelined {
		s.buf = append(s.buf, `<noscript><meta http-equiv="refresh" content="0; url=`...)
		s.buf = append(s.buf, h.rd.nojsNext...)
		s.buf = appendRequestURIEscaped(s.buf, s.x.r.URL) // nothing in it to escape for HTML: letters, digits, %-_.~+
		s.buf = append(s.buf, `"></noscript>`...)
	}
	s.buf = append(s.buf, "</head><body>"...)
}

// appendRequestURIEscaped appends u.RequestURI() query-escaped
// (appendQueryEscaped), without the string RequestURI would put together:
// the escaping is byte by byte, so its parts are escaped in turn.
func appendRequestURIEscaped(dst []byte, u *url.URL) []byte {
	if u.Opaque != "" {
		return appendQueryEscaped(dst, u.RequestURI()) // rare: as it is
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	dst = appendQueryEscaped(dst, path)
	if u.ForceQuery || u.RawQuery != "" {
		dst = append(dst, "%3F"...) // ?
		dst = appendQueryEscaped(dst, u.RawQuery)
	}
	return dst
}

// appendQueryEscaped appends s escaped as url.QueryEscape escapes it
// (FuzzAppendQueryEscaped holds it to that), without the string
// QueryEscape would allocate.
func appendQueryEscaped(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', hex[c>>4], hex[c&15])
		}
	}
	return dst
}
