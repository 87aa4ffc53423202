package pages

import (
	"net/url"
	"strings"
)

// queryParam returns the first value of the query parameter name in raw
// (a URL's RawQuery) and whether raw has it, as url.ParseQuery(raw)[name]
// would, without building the map: /bench's page function and its
// ModeFunc read a few parameters for every request, and most requests
// carry nothing to unescape. A pair ParseQuery rejects (a semicolon, a bad
// escape) is skipped as Query skips it.
func queryParam(raw, name string) (string, bool) {
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
