package compress

import (
	"net/http"

	"github.com/bigpipe-go/bigpipe/internal/header"
)

// The codings the middleware produces, as package header names them.
type coding = header.Coding

const (
	identity   = header.Identity
	gzipCoding = header.Gzip
	brCoding   = header.Brotli
)

// negotiate picks the coding for a response from the request's
// Accept-Encoding field lines, by the rules of package header (the same the
// asset server follows).
func negotiate(values []string) coding { return header.Negotiate(values, header.All) }

// addVary adds Accept-Encoding to Vary unless it is there already or Vary
// is "*".
func addVary(h http.Header) {
	vary := h["Vary"] // canonical already: as Values and Add, without canonicalizing the key for each call
	if header.ListsToken(vary, "*") || header.ListsToken(vary, "accept-encoding") {
		return
	}
	h["Vary"] = append(vary[:len(vary):len(vary)], "Accept-Encoding") // a copy: vary may be shared (a renderer's)
}
