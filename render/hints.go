package render

import (
	"maps"
	"net/http"

	"github.com/bigpipe-go/bigpipe/assets"
)

// earlyHints sends a 103 Early Hints response announcing the stylesheets
// and the runtime the skeleton will reference, so the browser fetches them
// while the server is still preparing the page. Only the Link headers go in
// the 103: headers the preflight set (cookies, say) belong to the final
// response alone. Clients older than HTTP/1.1 cannot parse a 1xx and get
// none; the Links stay on the final response too, where they are harmless.
func (h *Handler) earlyHints(w http.ResponseWriter, r *http.Request, res *resources, mode Mode) {
	if !h.hints || !r.ProtoAtLeast(1, 1) || r.Method == http.MethodHead {
		return
	}
	links := make([]string, 0, len(res.pageCSS)+2)
	seen := map[*assets.Asset]bool{}
	style := func(as []*assets.Asset) {
		for _, a := range as {
			if !seen[a] && !res.inlined[a] {
				seen[a] = true
				links = append(links, "<"+a.URL+">; rel=preload; as=style")
			}
		}
	}
	style(res.pageCSS)
	if mode == Pipelined {
		links = append(links, "<"+h.rd.runtime.URL+">; rel=preload; as=script")
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
