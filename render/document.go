package render

import (
	"html"
	"net/url"
	"slices"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// resources are a page's assets, resolved once per request.
type resources struct {
	inlineCSS       []string        // minified stylesheets for <style>, in order
	headCSS         []*assets.Asset // stylesheets linked in <head>: unique, bundled
	preloadCSS      []*assets.Asset // BigPipe mode: pagelet stylesheets to preload from <head>, each once
	pageCSS, pageJS []*assets.Asset
	css, js         [][]*assets.Asset // per pagelet, by index
	runtime         *assets.Asset     // looked up per request: a dev-mode registry may have rebuilt it
	runtimeJS       string            // the runtime's code, when the skeleton carries it inline
	runtimeInline   bool              // see Handler.resolve
	nonce           string            // the request's CSP nonce for every script element; "" without a policy
}

// resolve resolves page's assets for one request in mode, with this
// handler's choice of inline or linked runtime ([WithLinkedRuntime]): the
// runtime is inline unless linked on purpose or unsafe or too big to inline.
func (h *Handler) resolve(page *pagelet.Page, mode Mode) (*resources, error) {
	res, err := h.rd.resolve(page, mode)
	if err != nil {
		return nil, err
	}
	if !h.linkRuntime {
		res.runtimeJS, res.runtimeInline = res.runtime.Inline()
	}
	return res, nil
}

func (rd *Renderer) resolve(page *pagelet.Page, mode Mode) (*resources, error) {
	res := &resources{
		css: make([][]*assets.Asset, len(page.Pagelets)),
		js:  make([][]*assets.Asset, len(page.Pagelets)),
	}
	var err error
	if res.runtime, err = rd.assets.Get(rd.runtimeName); err != nil {
		return nil, err
	}
	inline, err := rd.lookup(page.InlineCSS)
	if err != nil {
		return nil, err
	}
	for _, a := range inline {
		if css, ok := a.Inline(); ok {
			res.inlineCSS = append(res.inlineCSS, css)
			continue
		}
		res.pageCSS = append(res.pageCSS, a) // too big or unsafe to inline: link it
	}
	linked, err := rd.lookup(page.CSS)
	if err != nil {
		return nil, err
	}
	res.pageCSS = append(res.pageCSS, linked...)
	if res.pageJS, err = rd.lookup(page.JS); err != nil {
		return nil, err
	}
	for i := range page.Pagelets {
		if res.css[i], err = rd.lookup(page.Pagelets[i].CSS); err != nil {
			return nil, err
		}
		if res.js[i], err = rd.lookup(page.Pagelets[i].JS); err != nil {
			return nil, err
		}
	}
	res.headCSS = rd.headCSS(res, mode)
	if mode == Pipelined {
		res.preloadCSS = preloadCSS(res)
	}
	return res, nil
}

// preloadCSS lists the pagelet stylesheets of a BigPipe page that <head>
// does not link and that are too big or unsafe to travel inline in a
// payload (see inlineStyles), each once, in pagelet order: the skeleton preloads them
// (and the 103 Early Hints announce them), so that they download while the
// pagelets' data is fetched instead of only once each payload has arrived.
// A preload does not block the skeleton's first paint, and the runtime's
// <link rel=stylesheet> for the same URL reuses the preloaded response.
func preloadCSS(res *resources) []*assets.Asset {
	var list []*assets.Asset
	seen := make(map[*assets.Asset]bool, len(res.headCSS)+len(res.css))
	for _, a := range res.headCSS {
		seen[a] = true
	}
	for _, css := range res.css {
		for _, a := range css {
			if _, inline := a.Inline(); !seen[a] && !inline {
				seen[a] = true
				list = append(list, a)
			}
		}
	}
	return list
}

// inlineStyles returns the stylesheets of css that the payload about to be
// written carries inline: those small and safe enough to inline
// ([assets.Asset.Inline]) that no earlier payload of this response carried
// (sent records them), and that <head> does not link. The runtime applies
// them as <style> elements at once, so such a pagelet waits on no request
// and no load event; later pagelets that need the same file find it
// applied.
func inlineStyles(css []*assets.Asset, res *resources, sent map[*assets.Asset]bool) []*assets.Asset {
	var out []*assets.Asset
	for _, a := range css {
		if _, ok := a.Inline(); !ok || sent[a] || slices.Contains(res.headCSS, a) {
			continue
		}
		sent[a] = true
		out = append(out, a)
	}
	return out
}

// headCSS lists the stylesheets to link in <head>: the page's, and in the
// plain modes, where content arrives inline, every pagelet's too; each once,
// and with every declared bundle whose parts are all needed standing in for
// them, so that files that travel together cost one request.
func (rd *Renderer) headCSS(res *resources, mode Mode) []*assets.Asset {
	list := make([]*assets.Asset, 0, len(res.pageCSS)+len(res.css))
	seen := make(map[string]int, cap(list)) // name -> index in list
	add := func(as []*assets.Asset) {
		for _, a := range as {
			if _, dup := seen[a.Name]; !dup {
				seen[a.Name] = len(list)
				list = append(list, a)
			}
		}
	}
	add(res.pageCSS)
	if mode != Pipelined {
		for _, css := range res.css {
			add(css)
		}
	}
	for _, b := range rd.assets.Bundles() {
		if b.Type != assets.CSS || !coversAll(seen, b.Parts) {
			continue
		}
		at := seen[b.Parts[0]]
		for _, p := range b.Parts {
			list[seen[p]] = nil
		}
		list[at] = b
	}
	return slices.DeleteFunc(list, func(a *assets.Asset) bool { return a == nil })
}

func coversAll(seen map[string]int, parts []string) bool {
	for _, p := range parts {
		if _, ok := seen[p]; !ok {
			return false
		}
	}
	return true
}

func (rd *Renderer) lookup(names []string) ([]*assets.Asset, error) {
	if len(names) == 0 {
		return nil, nil
	}
	out := make([]*assets.Asset, len(names))
	for i, n := range names {
		a, err := rd.assets.Get(n)
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// appendHead writes the doctype, the whole <head> and the opening <body>.
// BigPipe mode links the page CSS, preloads every pagelet's CSS (see
// preloadCSS) and carries the runtime (inline, unless
// [WithLinkedRuntime]); plain modes link
// every pagelet's CSS too, since content arrives inline.
func (h *Handler) appendHead(dst []byte, page *pagelet.Page, res *resources, mode Mode, requestURI string) []byte {
	lang := page.Lang
	if lang == "" {
		lang = "en"
	}
	dst = append(dst, `<!DOCTYPE html><html lang="`...)
	dst = append(dst, html.EscapeString(lang)...)
	dst = append(dst, `"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>`...)
	dst = append(dst, html.EscapeString(page.Title)...)
	dst = append(dst, "</title>"...)
	for _, css := range res.inlineCSS { // Asset.Inline vouches it cannot end the element
		dst = append(dst, "<style>"...)
		dst = append(dst, css...)
		dst = append(dst, "</style>"...)
	}
	for _, a := range res.headCSS {
		dst = append(dst, `<link rel="stylesheet" href="`...)
		dst = append(dst, html.EscapeString(a.URL)...)
		dst = append(dst, `">`...)
	}
	if mode == Pipelined {
		dst = append(dst, `<link rel="expect" href="#`+firstPaintID+`" blocking="render">`...)
		for _, a := range res.preloadCSS {
			dst = append(dst, `<link rel="preload" as="style" href="`...)
			dst = append(dst, html.EscapeString(a.URL)...)
			dst = append(dst, `">`...)
		}
		dst = appendScriptOpen(dst, res.nonce)
		if res.runtimeInline { // Asset.Inline vouches it cannot end the element
			dst = append(dst, '>')
			dst = append(dst, res.runtimeJS...)
			dst = append(dst, "</script>"...)
		} else {
			dst = append(dst, ` src="`...)
			dst = append(dst, html.EscapeString(res.runtime.URL)...)
			dst = append(dst, `"></script>`...)
		}
		dst = append(dst, `<noscript><meta http-equiv="refresh" content="0; url=`...)
		dst = append(dst, html.EscapeString(h.noJSPath+"?next="+url.QueryEscape(requestURI))...)
		dst = append(dst, `"></noscript>`...)
	}
	return append(dst, "</head><body>"...)
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
// ids of the pagelets the runtime must accept.
func appendSetup(dst []byte, page *pagelet.Page, res *resources, order []int) []byte {
	dst = appendScriptOpen(dst, res.nonce)
	dst = append(dst, `>bigPipe.setup({"resources":{`...)
	seen := map[*assets.Asset]bool{}
	add := func(as []*assets.Asset) {
		for _, a := range as {
			if seen[a] {
				continue
			}
			if len(seen) > 0 {
				dst = append(dst, ',')
			}
			seen[a] = true
			dst = appendJSString(dst, a.ID)
			dst = append(dst, `:{"type":`...)
			dst = appendJSString(dst, string(a.Type))
			dst = append(dst, `,"url":`...)
			dst = appendJSString(dst, a.URL)
			dst = append(dst, '}')
		}
	}
	for i := range page.Pagelets {
		add(res.css[i])
		add(res.js[i])
	}
	add(res.pageJS)
	dst = append(dst, `},"pagelets":[`...)
	for k, i := range order {
		if k > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSString(dst, page.Pagelets[i].ID)
	}
	dst = append(dst, `],"js":`...)
	dst = appendIDs(dst, res.pageJS)
	return append(dst, "})</script>\n"...)
}

// appendPayload writes one pagelet as an onPageletArrive script, with the
// request's CSP nonce if any. Every string goes through appendJSString, so
// nothing in content, id or resource names can end the script element or
// run.
//
// styles (see inlineStyles) go in a "styles" object, resource id to the
// stylesheet's text.
//
// With timing (see [WithServerTiming]) it adds the pagelet's server-side
// queue, fetch and render times in milliseconds.
func appendPayload(dst []byte, nonce, id string, content []byte, css, js, styles []*assets.Asset, timing *result) []byte {
	dst = appendScriptOpen(dst, nonce)
	dst = append(dst, '>')
	dst = appendArrive(dst, id, content, css, js, styles, timing)
	return append(dst, "</script>\n"...)
}

// appendArrive writes the bigPipe.onPageletArrive call of appendPayload
// without its script element, so that the payloads of pagelets flushed
// together can share one (see pass.pipelined).
func appendArrive(dst []byte, id string, content []byte, css, js, styles []*assets.Asset, timing *result) []byte {
	dst = append(dst, `bigPipe.onPageletArrive({"id":`...)
	dst = appendJSString(dst, id)
	dst = append(dst, `,"content":`...)
	dst = appendJSString(dst, content)
	if len(css) > 0 {
		dst = append(dst, `,"css":`...)
		dst = appendIDs(dst, css)
	}
	if len(js) > 0 {
		dst = append(dst, `,"js":`...)
		dst = appendIDs(dst, js)
	}
	for i, a := range styles {
		if i == 0 {
			dst = append(dst, `,"styles":{`...)
		} else {
			dst = append(dst, ',')
		}
		text, _ := a.Inline()
		dst = appendJSString(dst, a.ID)
		dst = append(dst, ':')
		dst = appendJSString(dst, text)
		if i == len(styles)-1 {
			dst = append(dst, '}')
		}
	}
	if timing != nil {
		dst = append(dst, `,"timing":{"queue":`...)
		dst = appendMillis(dst, timing.queue)
		dst = append(dst, `,"fetch":`...)
		dst = appendMillis(dst, timing.fetch)
		dst = append(dst, `,"render":`...)
		dst = appendMillis(dst, timing.render)
		dst = append(dst, '}')
	}
	return append(dst, "})"...)
}

func appendIDs(dst []byte, as []*assets.Asset) []byte {
	dst = append(dst, '[')
	for i, a := range as {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSString(dst, a.ID)
	}
	return append(dst, ']')
}

// appendScripts writes the page's and pagelets' JS as plain script tags,
// each file once, for the plain-HTML modes ("JS at the bottom").
func appendScripts(dst []byte, res *resources, order []int) []byte {
	seen := map[*assets.Asset]bool{}
	add := func(as []*assets.Asset) {
		for _, a := range as {
			if !seen[a] {
				seen[a] = true
				dst = appendScriptOpen(dst, res.nonce)
				dst = append(dst, ` src="`...)
				dst = append(dst, html.EscapeString(a.URL)...)
				dst = append(dst, `"></script>`...)
			}
		}
	}
	for _, i := range order {
		add(res.js[i])
	}
	add(res.pageJS)
	return dst
}

// clearNoJS (after "<script" and its nonce) forgets the no-JS cookie in a browser that does run scripts, so
// its next page is BigPipe again.
const clearNoJS = `>document.cookie="` + NoJSCookie + `=; Max-Age=0; Path=/; SameSite=Lax"</script>`

// appendClearNoJS writes the clearNoJS script with the request's nonce.
func appendClearNoJS(dst []byte, nonce string) []byte {
	return append(appendScriptOpen(dst, nonce), clearNoJS...)
}

const closeDocument = "</body></html>"

// firstPaintID is the id of the element that ends the skeleton's write, after
// the payloads of the pagelets ready by then: the BigPipe <head> asks the
// browser (<link rel=expect blocking=render>) not to render before it has
// parsed it, so that those pagelets appear in the skeleton's first frame.
const firstPaintID = "bigpipe-first-paint"
