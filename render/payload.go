package render

import "github.com/bigpipe-go/bigpipe/assets"

// appendPayload writes one pagelet as an onPageletArrive script, with the
// request's CSP nonce if any. Every string goes through appendJSString, so
// nothing in content, id or resource names can end the script element or
// run.
//
// With timing (see [WithServerTiming]) it adds the pagelet's server-side
// queue, fetch and render times in milliseconds.
func appendPayload(dst []byte, nonce, id string, content []byte, css, js []*assets.Asset, timing *result) []byte {
	dst = appendScriptOpen(dst, nonce)
	dst = append(dst, `>bigPipe.onPageletArrive({"id":`...)
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
	if timing != nil {
		dst = append(dst, `,"timing":{"queue":`...)
		dst = appendMillis(dst, timing.queue)
		dst = append(dst, `,"fetch":`...)
		dst = appendMillis(dst, timing.fetch)
		dst = append(dst, `,"render":`...)
		dst = appendMillis(dst, timing.render)
		dst = append(dst, '}')
	}
	return append(dst, "})</script>\n"...)
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
