package assets

import (
	"crypto/sha256"
	"strconv"
)

// Type is the kind of an asset as the client runtime sees it.
type Type string

// Asset types with a meaning for the resource map.
const (
	CSS   Type = "css"
	JS    Type = "js"
	Other Type = "other"
)

// IDLen is the length of a resource id.
const IDLen = 5

// Asset is one static file (or [WithBundle] bundle), minified, fingerprinted
// and precompressed. It is immutable: never modify its fields or the bytes
// they hold, since every request and every copy shares them.
type Asset struct {
	Name        string // path relative to the asset root, e.g. "pagelets/news.css"
	Type        Type
	ID          string // IDLen characters of [a-z2-7], stable for the same content
	URL         string // content-hashed URL path, escaped, e.g. "/static/pagelets/news.1a2b3c4d5e.css"
	ContentType string
	ETag        string // strong ETag of Body; the encoded variants have their own, see [Registry.ServeHTTP]
	Body        []byte // served bytes without content coding (minified for CSS and JS)
	RawSize     int    // size before minification (for a bundle, the sum of its parts)

	// Gzip and Brotli are Body compressed once at start-up, gzip at best
	// compression and brotli at quality 11. Each is nil when the type does
	// not compress (images, fonts) or the result would not be smaller than
	// Body; len gives its size.
	Gzip, Brotli []byte

	// Parts names, in order, the assets a bundle joins; nil for a plain file.
	Parts []string

	path     string // URL path before escaping: what a request's URL.Path holds
	sum      [sha256.Size]byte
	inline   string // Body, when it may go inside <style> or <script>
	inlineOK bool
	hdrType  []string
	enc      [numCodings]*variant // by coding; enc[identity] is always set
}

// Sizes are an asset's byte counts at each stage; Gzip and Brotli are 0 when
// the asset has no such variant.
type Sizes struct {
	Raw, Min, Gzip, Brotli int
}

// Sizes reports the raw, minified and compressed sizes of a, for logs and
// size budgets.
func (a *Asset) Sizes() Sizes {
	return Sizes{Raw: a.RawSize, Min: len(a.Body), Gzip: len(a.Gzip), Brotli: len(a.Brotli)}
}

// variant is one content coding of an asset with its response header values,
// precomputed so serving allocates nothing. The header slices have len ==
// cap, so a later Header.Add copies instead of writing into shared memory.
type variant struct {
	coding    coding
	body      []byte
	etag      string
	hdrETag   []string
	hdrLength []string
	hdrCoding []string // nil for identity
}

func newVariant(c coding, body []byte, etag string) *variant {
	v := &variant{coding: c, body: body, etag: etag}
	v.hdrETag = []string{etag}
	v.hdrLength = []string{strconv.Itoa(len(body))}
	if c != identity {
		v.hdrCoding = []string{c.String()}
	}
	return v
}

// compressed reports whether a has at least one encoded variant, so its
// responses vary by Accept-Encoding.
func (a *Asset) compressed() bool {
	return a.enc[gzipCoding] != nil || a.enc[brCoding] != nil
}
