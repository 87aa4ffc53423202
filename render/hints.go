package render

import (
	"fmt"
	"maps"
	"net/http"

	"github.com/bigpipe-go/bigpipe/assets"
)

// EarlyHints is when the renderer sends 103 Early Hints.
type EarlyHints int

const (
	// HintsDirect sends them to clients that reach the server directly, and
	// not through a proxy (a request with Via, Forwarded, X-Forwarded-* or
	// X-Real-IP). Some proxies take an upstream 103 for the final response:
	// nginx before 1.29 with proxy_http_version 1.1 then serves the real page
	// as a mangled body. The default.
	HintsDirect EarlyHints = iota
	// HintsAlways sends them to every HTTP/1.1 and HTTP/2 client, for
	// proxies known to pass 1xx responses on (or to drop them).
	HintsAlways
	// HintsOff never sends them.
	HintsOff
)

// ParseEarlyHints parses "direct", "always" or "off".
func ParseEarlyHints(s string) (EarlyHints, error) {
	switch s {
	case "direct":
		return HintsDirect, nil
	case "always":
		return HintsAlways, nil
	case "off":
		return HintsOff, nil
	}
	return 0, fmt.Errorf("render: early hints %q: want direct, always or off", s)
}

// proxyHeaders mark a request that came through a proxy.
var proxyHeaders = [...]string{"Via", "Forwarded", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-Ip"}

func viaProxy(r *http.Request) bool {
	for _, k := range proxyHeaders {
		if _, ok := r.Header[k]; ok {
			return true
		}
	}
	return false
}

// earlyHints sends a 103 Early Hints response announcing the stylesheets
// and the runtime the skeleton will reference, so the browser fetches them
// while the server is still preparing the page. Only the Link headers go in
// the 103: headers the preflight set (cookies, say) belong to the final
// response alone. Clients older than HTTP/1.1 cannot parse a 1xx and get
// none; the Links stay on the final response too, where they are harmless.
func (h *Handler) earlyHints(w http.ResponseWriter, r *http.Request, res *resources, mode Mode) {
	switch {
	case h.hints == HintsOff, !r.ProtoAtLeast(1, 1), r.Method == http.MethodHead:
		return
	case h.hints == HintsDirect && viaProxy(r):
		return
	}
	links := make([]string, 0, len(res.pageCSS)+2)
	seen := map[*assets.Asset]bool{}
	style := func(as []*assets.Asset) {
		for _, a := range as {
			if !seen[a] {
				seen[a] = true
				links = append(links, "<"+a.URL+">; rel=preload; as=style")
			}
		}
	}
	style(res.pageCSS)
	if mode == Pipelined {
		links = append(links, "<"+res.runtime.URL+">; rel=preload; as=script")
	} else {
		for _, css := range res.css {
			style(css)
		}
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
