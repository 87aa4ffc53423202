package render

import (
	"fmt"
	"maps"
	"net/http"
)

// EarlyHints is when the renderer sends 103 Early Hints.
type EarlyHints int

const (
	// HintsHTTP2 sends them to HTTP/2 clients only: the default. Browsers act
	// on Early Hints only over HTTP/2 and later, while over HTTP/1.1 a proxy
	// may take the 103 for the final response: nginx before 1.29 with
	// proxy_http_version 1.1 then stalls and mangles the page.
	HintsHTTP2 EarlyHints = iota
	// HintsAlways sends them to HTTP/1.1 clients too (never to HTTP/1.0,
	// which cannot parse a 1xx), for direct clients that use them or
	// proxies known to pass them on.
	HintsAlways
	// HintsOff never sends them.
	HintsOff
)

// ParseEarlyHints parses "http2", "always" or "off".
func ParseEarlyHints(s string) (EarlyHints, error) {
	switch s {
	case "http2":
		return HintsHTTP2, nil
	case "always":
		return HintsAlways, nil
	case "off":
		return HintsOff, nil
	}
	return 0, fmt.Errorf("render: early hints %q: want http2, always or off", s)
}

// earlyHints sends a 103 Early Hints response announcing the stylesheets
// (in BigPipe mode the pagelets' too) and the runtime the skeleton will
// reference, so the browser fetches them
// while the server is still preparing the page. Only the Link headers go in
// the 103: headers the preflight set (cookies, say) belong to the final
// response alone. Clients older than HTTP/1.1 cannot parse a 1xx and get
// none; the Links stay on the final response too, where they are harmless.
// See [EarlyHints] for which clients get them.
func (h *Handler) earlyHints(w http.ResponseWriter, r *http.Request, res *resources, mode Mode) {
	switch {
	case h.hints == HintsOff, !r.ProtoAtLeast(1, 1), r.Method == http.MethodHead:
		return
	case h.hints == HintsHTTP2 && r.ProtoMajor < 2:
		return
	}
	links := make([]string, 0, len(res.headCSS)+len(res.preloadCSS)+1)
	for _, a := range res.headCSS {
		links = append(links, "<"+a.URL+">; rel=preload; as=style")
	}
	for _, a := range res.preloadCSS { // empty outside BigPipe mode
		links = append(links, "<"+a.URL+">; rel=preload; as=style")
	}
	if mode.outOfOrder() && !res.runtimeInline {
		links = append(links, "<"+res.runtime.URL+">; rel=preload; as=script")
	}
	if len(links) == 0 {
		return
	}
	hdr := w.Header()
	var saved http.Header
	if len(hdr) > 0 {
		saved = maps.Clone(hdr)
		clear(hdr)
	}
	hdr["Link"] = links
	w.WriteHeader(http.StatusEarlyHints)
	maps.Copy(hdr, saved)
	hdr["Link"] = append(saved["Link"], links...)
}
