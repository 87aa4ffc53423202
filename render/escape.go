package render

import "html"

// appendHTMLEscaped appends s escaped as html.EscapeString escapes it
// (TestAppendHTMLEscaped holds it to that), copying s as it is when it has
// nothing to escape, as ids, titles and asset URLs mostly have: the
// skeleton escapes a dozen of them for every page.
func appendHTMLEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '&', '\'', '<', '>', '"':
			return append(dst, html.EscapeString(s)...)
		}
	}
	return append(dst, s...)
}
