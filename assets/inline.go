package assets

import (
	"bytes"
	"strings"
)

// Inline returns the stylesheet to put inside a <style> element instead of
// linking it, and whether that is allowed: only for CSS of at most the
// registry's inline limit ([DefaultInlineLimit], see [WithInlineLimit]) that
// contains neither "</style" in any letter case nor a NUL byte, either of
// which would end or corrupt the element. The string is made once, at
// start-up, so Inline does not allocate.
//
// The caller still owes the element its CSP nonce, if any; the asset's URL
// is then not fetched, so a page that inlines a stylesheet should not also
// list it for the client runtime to load.
func (a *Asset) Inline() (string, bool) {
	return a.inline, a.inlineOK
}

// inlinable reports whether body may be placed verbatim inside <style>: an
// HTML parser ends the element at the first "</style" whatever the case,
// and replaces NUL bytes.
func inlinable(body []byte, limit int) bool {
	if limit <= 0 || len(body) > limit || bytes.IndexByte(body, 0) >= 0 {
		return false
	}
	const end = "</style"
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
