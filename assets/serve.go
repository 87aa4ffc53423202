package assets

import (
	"bytes"
	"github.com/bigpipe-go/bigpipe/internal/header"
	"net/http"
	"strings"
	"time"
)

// Cache-Control values for fingerprinted and plain asset URLs.
const (
	CacheImmutable = "public, max-age=31536000, immutable"
	CachePlain     = "public, max-age=300"
	CacheDev       = "no-cache" // plain URLs of a NewDev registry: revalidate every time
)

var _ http.Handler = (*Registry)(nil)

// ServeHTTP serves an asset by its hashed URL (cached for a year, immutable)
// or by its plain name under the prefix (cached briefly, for hand-written
// links). A URL whose hash is stale or unknown is a 404, never another
// file's bytes; a method other than GET or HEAD is a 405. Every response
// carries "X-Content-Type-Options: nosniff".
//
// # Content coding
//
// The coding is chosen from Accept-Encoding among those the asset has
// (RFC 9110, section 12.5.3):
//   - no header, or an empty one: identity;
//   - br and gzip (or x-gzip) take their own q-value, else that of "*",
//     else are not acceptable; q=0 refuses; a coding listed twice takes its
//     lowest q-value; a malformed q-value counts as q=0;
//   - the acceptable coding with the highest q-value wins, br before gzip
//     at equal q-values; identity beats it only when listed with a
//     strictly higher q-value;
//   - when nothing is acceptable, even if "identity;q=0" or "*;q=0" refuses
//     identity, identity is sent rather than a 406: a client copes better
//     with plain bytes than with an error.
//
// Every response for an asset with a compressed variant, 304s and identity
// responses included, carries "Vary: Accept-Encoding". Each coding has its
// own strong ETag, the identity ETag with "-br" or "-gz" inside the quotes,
// so caches never mix them up.
//
// # Conditional and range requests
//
// If-None-Match is compared (weakly) with the ETag of the chosen coding and
// answered with a 304; If-Match (strongly), with a 412 when it fails.
// Range requests are honoured for identity responses only. A compressed
// response is always the whole 200 (RFC 9110 lets a server ignore Range)
// and does not send Accept-Ranges; clients that resume downloads ask for
// identity.
//
// Serving a whole response allocates nothing in ServeHTTP: header values are
// made once per asset and the body is written directly.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	a, cache := r.current().match(req.URL.Path, r.cfg.prefix, &r.hdr)
	if a == nil {
		http.NotFound(w, req)
		return
	}
	var have [numCodings]bool
	for c, v := range a.enc {
		have[c] = v != nil
	}
	v := a.enc[negotiate(req.Header["Accept-Encoding"], have)]

	h := w.Header()
	h["Cache-Control"] = cache
	h["X-Content-Type-Options"] = r.hdr.nosniff
	if a.compressed() {
		switch vary := h["Vary"]; {
		case len(vary) == 0:
			h["Vary"] = r.hdr.vary
		case !header.ListsToken(vary, "accept-encoding"):
			h.Add("Vary", "Accept-Encoding")
		}
	}
	h["Etag"] = v.hdrETag
	if im := req.Header["If-Match"]; len(im) > 0 && !etagListMatches(im, v.etag, true) {
		w.WriteHeader(http.StatusPreconditionFailed)
		return
	}
	if inm := req.Header["If-None-Match"]; len(inm) > 0 && etagListMatches(inm, v.etag, false) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = a.hdrType
	if v.coding == identity {
		if len(req.Header["Range"]) > 0 {
			// Ranges, If-Range and 416s are ServeContent's business; it
			// finds If-None-Match already answered and the ETag set.
			http.ServeContent(w, req, "", time.Time{}, bytes.NewReader(v.body))
			return
		}
		h["Accept-Ranges"] = r.hdr.ranges
	} else {
		h["Content-Encoding"] = v.hdrCoding
	}
	h["Content-Length"] = v.hdrLength
	w.WriteHeader(http.StatusOK)
	if req.Method != http.MethodHead {
		_, _ = w.Write(v.body)
	}
}

// match finds the asset for a URL path and the Cache-Control it deserves.
func (s *snapshot) match(p, prefix string, hdr *headerValues) (*Asset, []string) {
	if a, ok := s.byURL[p]; ok {
		return a, hdr.immutable
	}
	if a, ok := s.stale[p]; ok {
		return a, hdr.immutable
	}
	name, ok := strings.CutPrefix(p, prefix)
	if !ok {
		return nil, nil
	}
	if a, ok := s.byName[name]; ok {
		return a, hdr.plain
	}
	return nil, nil
}
