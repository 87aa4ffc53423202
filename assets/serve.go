package assets

import (
	"bytes"
	"net/http"
	"strings"
	"time"
)

// Cache-Control values for fingerprinted and plain asset URLs.
const (
	CacheImmutable = "public, max-age=31536000, immutable"
	CachePlain     = "public, max-age=300"
)

// ServeHTTP serves an asset by its hashed URL (cached for a year, immutable)
// or by its plain name under the prefix (cached briefly, for hand-written
// links). A URL whose hash is stale or unknown is a 404, never another
// file's bytes.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	a, cache := r.match(req.URL.Path)
	if a == nil {
		http.NotFound(w, req)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Cache-Control", cache)
	h.Set("ETag", a.ETag)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, req, "", time.Time{}, bytes.NewReader(a.Body))
}

// match finds the asset for a URL path and the Cache-Control it deserves.
func (r *Registry) match(p string) (*Asset, string) {
	if a, ok := r.byURL[p]; ok {
		return a, CacheImmutable
	}
	name, ok := strings.CutPrefix(p, r.prefix)
	if !ok {
		return nil, ""
	}
	if a, ok := r.byName[name]; ok {
		return a, CachePlain
	}
	return nil, ""
}
