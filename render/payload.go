package render

import "github.com/bigpipe-go/bigpipe/assets"

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
	dst = appendArrive(dst, id, content, css, js, styles, timing, "", nil)
	return append(dst, "</script>\n"...)
}

// appendArrive writes the bigPipe.onPageletArrive call of appendPayload
// without its script element, so that the payloads of pagelets flushed
// together can share one (see pass.pipelined).
//
// A live pagelet's payload carries its channel and the position its content
// was read at (see [Live]) in a "live" member.
func appendArrive(dst []byte, id string, content []byte, css, js, styles []*assets.Asset, timing *result, channel string, live *LivePosition) []byte {
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
	if live != nil {
		dst = appendLive(dst, channel, live)
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

// firstPaintID is the id of the element that ends the skeleton's write,
// after the payloads of the pagelets ready by then: the BigPipe <head> asks
// the browser (<link rel=expect blocking=render>) not to render before it
// has parsed it, so that those pagelets appear in the skeleton's first
// frame rather than one frame after a bare skeleton. The skeleton waits for
// no pagelet still being fetched: the marker is in its own write.
const firstPaintID = "bigpipe-first-paint"
