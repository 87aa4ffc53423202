// Package query reads one parameter of a URL's raw query without building
// url.Values: the renderer and the demo's page functions read a few
// parameters for every request, and most requests carry nothing to
// unescape.
package query

import (
	"net/url"
	"strings"
)

// Get returns the first value of the parameter name in raw (a URL's
// RawQuery) and whether raw has it, as url.ParseQuery(raw)[name] would,
// without building the map. A pair ParseQuery rejects (a semicolon, a bad
// escape) is skipped as URL.Query skips it.
func Get(raw, name string) (string, bool) {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(pair, "=")
		if pair == "" || k != name && !escaped(k) { // a key with nothing to unescape is itself: not name
			continue
		}
		if strings.IndexByte(pair, ';') >= 0 {
			continue
		}
		k, ok := unescapeQuery(k)
		if !ok || k != name {
			continue
		}
		if v, ok = unescapeQuery(v); ok {
			return v, true
		}
	}
	return "", false
}

// escaped reports whether s has something to unescape as a query
// component: a %-escape or a + (a loop: cheaper than strings.ContainsAny
// for the short keys of a query).
func escaped(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '%' || c == '+' {
			return true
		}
	}
	return false
}

// unescapeQuery unescapes s as a query component, copying only when it
// has something to unescape.
func unescapeQuery(s string) (string, bool) {
	if !escaped(s) {
		return s, true
	}
	u, err := url.QueryUnescape(s)
	return u, err == nil
}
