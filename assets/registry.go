// Package assets holds a page's static files: it minifies every CSS and JS
// file once at start-up, content-hashes it into its URL, gives it a short
// resource id for the BigPipe resource map, and serves it with long-lived
// cache headers.
//
//	reg, err := assets.New(static.FS)       // minify + hash everything once
//	a, ok := reg.Lookup("pagelets/news.css")  // a.URL = "/static/pagelets/news.1a2b3c4d5e.css", a.ID = "k3n9q"
//	mux.Handle("/static/", reg)               // serves hashed and plain URLs
//
// # Ids
//
// An asset's 5-character id is derived from its content hash, so it is the
// same for the same bytes across restarts and across instances. Two files
// whose ids would collide are detected at start-up and given the next
// distinct window of their hashes, deterministically.
package assets

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/css"
	"github.com/tdewolff/minify/v2/js"
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

// Asset is one static file, minified and fingerprinted. It is immutable.
type Asset struct {
	Name        string // path relative to the asset root, e.g. "pagelets/news.css"
	Type        Type
	ID          string // IDLen characters of [a-z2-7], stable for the same content
	URL         string // content-hashed URL path, escaped, e.g. "/static/pagelets/news.1a2b3c4d5e.css"
	ContentType string
	ETag        string // strong ETag of Body
	Body        []byte // served bytes (minified for CSS and JS)
	RawSize     int    // size before minification

	path string // URL path before escaping: what a request's URL.Path holds
}

// Registry maps asset names and URLs to assets. Build it with [New]; it is
// safe for concurrent use because it is never modified afterwards.
type Registry struct {
	prefix string
	byName map[string]*Asset
	byURL  map[string]*Asset // hashed URL path (unescaped) -> asset
}

// Option configures [New].
type Option func(*Registry)

// WithPrefix sets the URL path prefix the registry is mounted at.
// The default is "/static/".
func WithPrefix(prefix string) Option {
	return func(r *Registry) {
		if !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		r.prefix = prefix
	}
}

// ErrUnknown is returned for an asset name the registry does not hold.
var ErrUnknown = errors.New("assets: unknown asset")

// hashLen is the number of hex digits of the content hash put in URLs.
const hashLen = 10

// New reads every regular file of fsys, minifies CSS and JS, and returns the
// registry. Files whose name starts with "." or "_" and Go sources are
// skipped. It fails if a file cannot be read or minified.
func New(fsys fs.FS, opts ...Option) (*Registry, error) {
	r := &Registry{prefix: "/static/", byName: map[string]*Asset{}, byURL: map[string]*Asset{}}
	for _, o := range opts {
		o(r)
	}
	m := minify.New()
	m.AddFunc("text/css", css.Minify)
	m.AddFunc("text/javascript", js.Minify)

	var all []*Asset
	sums := map[*Asset][sha256.Size]byte{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := path.Base(name)
		if d.IsDir() {
			if name != "." && (strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") || strings.HasSuffix(base, ".go") {
			return nil
		}
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("assets: read %s: %w", name, err)
		}
		a, err := build(m, name, raw)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(a.Body)
		a.path = r.prefix + hashedName(name, hex.EncodeToString(sum[:])[:hashLen])
		a.URL = (&url.URL{Path: a.path}).EscapedPath()
		a.ETag = `"` + hex.EncodeToString(sum[:16]) + `"`
		sums[a] = sum
		all = append(all, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := assignIDs(all, sums); err != nil {
		return nil, err
	}
	for _, a := range all {
		r.byName[a.Name] = a
		r.byURL[a.path] = a
	}
	return r, nil
}

// build classifies and minifies one file.
func build(m *minify.M, name string, raw []byte) (*Asset, error) {
	a := &Asset{Name: name, Type: Other, RawSize: len(raw)}
	ext := path.Ext(name)
	a.ContentType = mime.TypeByExtension(ext)
	if a.ContentType == "" {
		a.ContentType = "application/octet-stream"
	}
	var mediatype string
	switch ext {
	case ".css":
		a.Type, mediatype, a.ContentType = CSS, "text/css", "text/css; charset=utf-8"
	case ".js", ".mjs":
		a.Type, mediatype, a.ContentType = JS, "text/javascript", "text/javascript; charset=utf-8"
	}
	if mediatype == "" {
		a.Body = raw
		return a, nil
	}
	// m.Bytes may modify its input: hand it a copy.
	out, err := m.Bytes(mediatype, bytes.Clone(raw))
	if err != nil {
		return nil, fmt.Errorf("assets: minify %s: %w", name, err)
	}
	a.Body = out
	return a, nil
}

// hashedName inserts hash before the extension: "a/b.css" -> "a/b.<hash>.css".
func hashedName(name, hash string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hash + ext
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// assignIDs gives every asset an IDLen-character id taken from its content
// hash. Identical contents share an id (they are the same resource to the
// browser). When two different contents collide, the one with the larger
// name moves to the next window of its hash; the order is by name, so every
// instance with the same files computes the same ids.
func assignIDs(all []*Asset, sums map[*Asset][sha256.Size]byte) error {
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	owner := map[string][sha256.Size]byte{}
	for _, a := range all {
		sum := sums[a]
		enc := idEncoding.EncodeToString(sum[:])
		placed := false
		for off := 0; off+IDLen <= len(enc); off += IDLen {
			id := enc[off : off+IDLen]
			if prev, taken := owner[id]; taken && prev != sum {
				continue
			}
			owner[id], a.ID, placed = sum, id, true
			break
		}
		if !placed {
			return fmt.Errorf("assets: no free id for %s", a.Name)
		}
	}
	return nil
}

// Lookup returns the asset with the given name ("pagelets/news.css").
func (r *Registry) Lookup(name string) (*Asset, bool) {
	a, ok := r.byName[name]
	return a, ok
}

// Get is like Lookup but returns an error naming the missing asset.
func (r *Registry) Get(name string) (*Asset, error) {
	if a, ok := r.byName[name]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknown, name)
}

// All returns every asset, sorted by name.
func (r *Registry) All() []*Asset {
	out := make([]*Asset, 0, len(r.byName))
	for _, a := range r.byName {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
