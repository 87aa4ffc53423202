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
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
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

// unescapeQuery unescapes s as a query component, copying only when it
// has something to unescape.
func unescapeQuery(s string) (string, bool) {
	if !strings.ContainsAny(s, "%+") {
		return s, true
	}
	u, err := url.QueryUnescape(s)
	return u, err == nil
}
