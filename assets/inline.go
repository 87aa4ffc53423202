package assets

import (
	"bytes"
	"strings"
)

// Inline returns the body to put inside a <style> element (CSS) or a
// <script> element (JS) instead of linking the file, and whether that is
// allowed: only for a stylesheet or script of at most the registry's inline
// limit ([DefaultInlineLimit], see [WithInlineLimit]) that cannot end or
// corrupt its element: no NUL byte, no "</style" (CSS) or "</script" (JS)
// in any letter case, and for JS no "<!--", which would put an HTML parser
// into the script's escaped states. The string is made once, at start-up,
// so Inline does not allocate.
//
// The caller still owes the element its CSP nonce, if any; the asset's URL
// is then not fetched, so a page that inlines a file should not also list it
// for the client runtime to load.
func (a *Asset) Inline() (string, bool) {
	return a.inline, a.inlineOK
}

// inlinable reports whether a's minified body may be placed verbatim inside
// the element its type calls for.
func inlinable(a *Asset, limit int) bool {
	switch a.Type {
	case CSS:
		return safeRaw(a.Body, limit, "</style")
	case JS:
		return safeRaw(a.Body, limit, "</script") && !bytes.Contains(a.Body, []byte("<!--"))
	}
	return false
}

// safeRaw reports whether body fits limit and may stand inside a raw-text
// element that end (such as "</style") would close: an HTML parser ends the
// element at the first end, whatever its case, and replaces NUL bytes.
func safeRaw(body []byte, limit int, end string) bool {
	if limit <= 0 || len(body) > limit || bytes.IndexByte(body, 0) >= 0 {
		return false
	}
	for i := bytes.Index(body, []byte("</")); i >= 0; {
		if len(body)-i >= len(end) && strings.EqualFold(string(body[i:i+len(end)]), end) {
			return false
		}
		j := bytes.Index(body[i+2:], []byte("</"))
		if j < 0 {
			break
		}
		i += 2 + j
	}
	return true
}
