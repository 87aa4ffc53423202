package render

import (
	"strconv"

	"github.com/bigpipe-go/bigpipe/assets"
)

// The native mode ([Native]) is the pipelined mode with the browser's
// parser as its runtime: the skeleton wraps each placeholder in
// <?start name=SLOT>…<?end> markers, and each pagelet finished later is
// written as
//
//	<link rel="stylesheet" href=…>  (each of its files not applied yet)
//	<template for=SLOT><div id=ID …shown>content</div></template>
//	<script>bigPipe.onPageletPatched({"id":ID,"slot":SLOT,…})</script>
//
// directly in <body>. A supporting parser replaces what lies between the
// markers with the template's content as the template ends, with or
// without JavaScript; a stylesheet linked in the body before it holds the
// rendering of what follows until it has loaded, so content is never
// shown unstyled. The script, where JavaScript runs, tells the runtime
// the pagelet is in (for the JS barrier and live updates), and lets it
// place the template's content itself in a browser that claimed support
// and did not patch.
//
// The template's content is the pagelet's HTML as the plain page has it:
// templ escapes every text, so no text can end the template or the
// document's markup around it. SLOT is "bp" and the pagelet's index, never
// the id, which could hold any character.

// appendSlotName writes the marker name of pagelet i.
func appendSlotName(dst []byte, i int) []byte {
	dst = append(dst, "bp"...)
	return strconv.AppendInt(dst, int64(i), 10)
}

// appendMarkerStart and appendMarkerEnd wrap pagelet i's placeholder.
func appendMarkerStart(dst []byte, i int) []byte {
	dst = append(dst, `<?start name="`...)
	dst = appendSlotName(dst, i)
	return append(dst, `">`...)
}

func appendMarkerEnd(dst []byte) []byte { return append(dst, "<?end>"...) }

// appendPatch writes pagelet i's stylesheets not applied yet (sent lists
// those the page has: the head's, placed pagelets', earlier patches') and
// its template, and returns sent with the new ones.
func appendPatch(dst []byte, res *resources, i int, id string, content []byte, sent []*assets.Asset) ([]byte, []*assets.Asset) {
	for _, a := range res.css[i] {
		if res.applied(a, sent) {
			continue
		}
		sent = append(sent, a)
		dst = append(dst, `<link rel="stylesheet" href="`...)
		dst = appendHTMLEscaped(dst, a.URL)
		dst = append(dst, `">`...)
	}
	dst = append(dst, `<template for="`...)
	dst = appendSlotName(dst, i)
	dst = append(dst, `">`...)
	dst = appendOpenAs(dst, id, placedAttrs)
	dst = append(dst, content...)
	dst = append(dst, "</div></template>"...)
	return dst, sent
}
