package render

import (
	"time"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

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
	dst = appendArrive(dst, id, content, css, js, styles, timing, "", nil, nil)
	return append(dst, "</script>\n"...)
}

// appendArrive writes the bigPipe.onPageletArrive call of appendPayload
// without its script element, so that the payloads of pagelets flushed
// together can share one (see pass.pipelined).
//
// A live pagelet's payload carries its channel and the position its content
// was read at (see [Live]) in a "live" member.
func appendArrive(dst []byte, id string, content []byte, css, js, styles []*assets.Asset, timing *result, channel string, live *LivePosition, head *pagelet.Head) []byte {
	dst = append(dst, `bigPipe.onPageletArrive({"id":`...)
	dst = appendJSString(dst, id)
	dst = append(dst, `,"content":`...)
	dst = appendJSString(dst, content)
	return appendFields(dst, css, js, styles, timing, channel, live, head)
}

// appendPatched writes the bigPipe.onPageletPatched call that follows a
// pagelet's <template for> in the native mode (see appendPatch): what the
// runtime needs besides the content, which the parser has placed, and
// slot, the marker name, so that the runtime can place the template's
// content itself if the parser did not.
func appendPatched(dst []byte, id string, slot int, css, js []*assets.Asset, timing *result, channel string, live *LivePosition, head *pagelet.Head) []byte {
	dst = append(dst, `bigPipe.onPageletPatched({"id":`...)
	dst = appendJSString(dst, id)
	dst = append(dst, `,"slot":"`...)
	dst = appendSlotName(dst, slot)
	dst = append(dst, '"')
	return appendFields(dst, css, js, nil, timing, channel, live, head)
}

// appendFields writes the members a pagelet's call carries after its id
// and content, and closes the call.
func appendFields(dst []byte, css, js, styles []*assets.Asset, timing *result, channel string, live *LivePosition, head *pagelet.Head) []byte {
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
	if head != nil {
		dst = appendHeadJSON(dst, head)
	}
	if timing != nil {
		dst = append(dst, `,"timing":{"queue":`...)
		dst = appendMillis(dst, timing.queue)
		dst = append(dst, `,"fetch":`...)
		dst = appendMillis(dst, timing.fetch)
		dst = append(dst, `,"render":`...)
		dst = appendMillis(dst, timing.render)
		if timing.cache != "" {
			dst = append(dst, `,"cache":`...)
			dst = appendJSString(dst, string(timing.cache))
		}
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

// firstPaintID is the id of the element the BigPipe <head> asks the
// browser (<link rel=expect blocking=render>) to parse before it renders
// anything, so that the pagelets sent with the skeleton, or just after it,
// appear in the page's first frame rather than one frame after a bare
// skeleton. It follows the payloads of the write that leaves no pagelet
// pending, or, once firstPaintGrace has passed since the skeleton's
// write, comes alone. The skeleton itself waits for no pagelet: only the
// browser's first rendering is held, and for at most the grace.
const firstPaintID = "bigpipe-first-paint"

// firstPaintMarker is the element firstPaintID names.
const firstPaintMarker = `<template id="` + firstPaintID + `"></template>`

// firstPaintGrace bounds how long after the skeleton's write its first
// rendering is held for pagelets still being fetched: on a page whose
// pagelets all take a millisecond or two (answered from memory or a local
// store) the skeleton goes out before the last of them, and without the
// hold the browser may render the skeleton with some pagelets and show the
// rest one frame later. It is well under a frame (16.7 ms at 60 Hz), and
// a browser that has the skeleton's CSS still to fetch takes longer than
// that anyway.
const firstPaintGrace = 8 * time.Millisecond
