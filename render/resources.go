package render

import (
	"fmt"
	"slices"
	"sync"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// resources are a page's assets, resolved once per request.
type resources struct {
	inlineCSS       []string        // minified stylesheets for <style>, in order
	headCSS         []*assets.Asset // stylesheets linked in <head>: unique, bundled
	preloadCSS      []*assets.Asset // BigPipe mode: pagelet stylesheets preloaded from <head>, each once (see preloadCSS)
	pageCSS, pageJS []*assets.Asset
	css, js         [][]*assets.Asset // per pagelet, by index
	runtime         *assets.Asset     // looked up per request: a dev-mode registry may have rebuilt it
	runtimeJS       string            // the runtime's code, when the skeleton carries it inline
	runtimeInline   bool              // see Handler.resolve
	nonce           string            // the request's CSP nonce for every script element; "" without a policy

	// The arrays of the lists above, kept for the next page when the
	// resources go back to the pool (see putResources).
	lists              [][]*assets.Asset
	all, head, preload []*assets.Asset
}

// resourcesPool recycles resources: a page's lists are made for every
// request, the fully cached page's too.
var resourcesPool = sync.Pool{New: func() any { return new(resources) }}

// putResources gives res back once its page is written: nothing keeps it
// past the response (no pagelet's goroutine reads it).
func putResources(res *resources) {
	clear(res.lists)
	resourcesPool.Put(res)
}

// resolve resolves page's assets for one request in mode, with this
// handler's choice of inline or linked runtime ([WithLinkedRuntime]): the
// runtime is inline unless linked on purpose or unsafe or too big to inline.
func (h *Handler) resolve(page *pagelet.Page, mode Mode, nonce string) (*resources, error) {
	rd := h.rd
	n := len(page.Pagelets)
	res := resourcesPool.Get().(*resources)
	lists := grow(res.lists, 2*n)
	*res = resources{css: lists[:n:n], js: lists[n:], nonce: nonce,
		inlineCSS: res.inlineCSS[:0], lists: lists, all: res.all, head: res.head, preload: res.preload}
	var err error
	if res.runtime, err = rd.runtimeAsset(); err != nil {
		return nil, fmt.Errorf("render: client runtime: %w", err)
	}
	if mode.outOfOrder() && !h.linkRuntime {
		res.runtimeJS, res.runtimeInline = res.runtime.Inline()
	}
	// Every list is a window of one array: one allocation for the page.
	total := len(page.InlineCSS) + len(page.CSS) + len(page.JS)
	for i := range page.Pagelets {
		total += len(page.Pagelets[i].CSS) + len(page.Pagelets[i].JS)
	}
	all := grow(res.all, total)[:0]
	res.all = all
	next := func(names []string) ([]*assets.Asset, error) {
		start := len(all)
		for _, name := range names {
			a, err := rd.asset(name)
			if err != nil {
				return nil, fmt.Errorf("render: page assets: %w", err)
			}
			all = append(all, a)
		}
		return all[start:len(all):len(all)], nil
	}
	inline, err := next(page.InlineCSS)
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
	linked, err := next(page.CSS)
	if err != nil {
		return nil, err
	}
	if res.pageCSS == nil {
		res.pageCSS = linked
	} else {
		res.pageCSS = append(res.pageCSS, linked...)
	}
	if res.pageJS, err = next(page.JS); err != nil {
		return nil, err
	}
	for i := range page.Pagelets {
		if res.css[i], err = next(page.Pagelets[i].CSS); err != nil {
			return nil, err
		}
		if res.js[i], err = next(page.Pagelets[i].JS); err != nil {
			return nil, err
		}
	}
	res.headCSS = rd.headCSS(res, mode)
	res.head = res.headCSS
	if mode.outOfOrder() {
		res.preloadCSS = preloadCSS(res)
		res.preload = res.preloadCSS
	}
	return res, nil
}

// preloadCSS lists the pagelet stylesheets of a BigPipe page that <head>
// does not link and that are too big or unsafe to travel inline in a
// payload (see inlineStyles), each once, in pagelet order: the skeleton
// preloads them (and the 103 Early Hints announce them), so that they
// download while the pagelets' data is fetched instead of only once each
// payload has arrived. A preload does not block the skeleton's first paint,
// and the runtime's <link rel=stylesheet> for the same URL reuses the
// preloaded response.
func preloadCSS(res *resources) []*assets.Asset {
	list := res.preload[:0]
	for _, css := range res.css {
		for _, a := range css {
			if _, inline := a.Inline(); !inline && !slices.Contains(list, a) && !slices.Contains(res.headCSS, a) {
				list = append(list, a)
			}
		}
	}
	return list
}

// inlineStyles appends to sent, and returns, the stylesheets of css that
// the payload about to be written carries inline: those small and safe
// enough to inline ([assets.Asset.Inline]) that no earlier payload of this
// response carried (sent holds those) and that <head> does not link. The
// runtime applies them as <style> elements at once, so such a pagelet
// waits on no request and no load event; later pagelets that need the same
// file find it applied.
func inlineStyles(css []*assets.Asset, res *resources, sent []*assets.Asset) (styles, all []*assets.Asset) {
	start := len(sent)
	for _, a := range css {
		if _, ok := a.Inline(); !ok || res.applied(a, sent) {
			continue
		}
		sent = append(sent, a)
	}
	return sent[start:], sent
}

// applied reports whether stylesheet a is in the page already: linked by
// <head>, or among sent (those a placed pagelet, a payload or a patch of
// this response carried). Each stylesheet goes out once per page.
func (res *resources) applied(a *assets.Asset, sent []*assets.Asset) bool {
	return slices.Contains(sent, a) || slices.Contains(res.headCSS, a)
}

// headCSS lists the stylesheets to link in <head>: the page's, and in the
// plain modes, where content arrives inline, every pagelet's too; each once,
// and with every declared bundle whose parts are all needed standing in for
// them, so that files that travel together cost one request.
func (rd *Renderer) headCSS(res *resources, mode Mode) []*assets.Asset {
	list := res.head[:0]
	seen := make(map[string]int, len(res.pageCSS)+len(res.css)) // name -> index in list
	add := func(as []*assets.Asset) {
		for _, a := range as {
			if _, dup := seen[a.Name]; !dup {
				seen[a.Name] = len(list)
				list = append(list, a)
			}
		}
	}
	add(res.pageCSS)
	if !mode.outOfOrder() {
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

// list is the j-th of the asset lists the resource map walks: pagelet i's
// CSS at 2i, its JS at 2i+1, the page's JS at 2n for n pagelets.
func (res *resources) list(j int) []*assets.Asset {
	switch n := len(res.css); {
	case j == 2*n:
		return res.pageJS
	case j%2 == 0:
		return res.css[j/2]
	}
	return res.js[j/2]
}

// listedBefore reports whether a is among the assets the resource map walks
// before the k-th of list j: a file several pagelets use is listed once.
// A page has a few dozen files at most, so a scan costs less than a set.
func (res *resources) listedBefore(j, k int, a *assets.Asset) bool {
	if slices.Contains(res.list(j)[:k], a) {
		return true
	}
	for i := range j {
		if slices.Contains(res.list(i), a) {
			return true
		}
	}
	return false
}
