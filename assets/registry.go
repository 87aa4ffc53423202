// Package assets holds a page's static files: it minifies every CSS and JS
// file once at start-up, content-hashes it into its URL, gives it a short
// resource id for the BigPipe resource map, precompresses it with gzip and
// brotli, and serves it with long-lived cache headers.
//
//	reg, err := assets.New(static.FS,       // minify, hash, compress everything once
//		assets.WithBundle("css/page.css", "css/site.css", "pagelets/stories.css"))
//	a, ok := reg.Lookup("pagelets/news.css")  // a.URL = "/static/pagelets/news.1a2b3c4d5e.css", a.ID = "k3n9q"
//	mux.Handle("/static/", reg)               // serves hashed and plain URLs, br/gzip/identity
//
// # Ids
//
// An asset's 5-character id is derived from its content hash, so it is the
// same for the same bytes across restarts and across instances. Two files
// whose ids would collide are detected at start-up and given the next
// distinct window of their hashes, deterministically.
//
// # Compression
//
// Text assets (CSS, JS, SVG, JSON, ...) are compressed once, in [New], with
// gzip and brotli at their best settings; a variant is kept only if it is
// smaller. [Registry.ServeHTTP] picks one per request from Accept-Encoding;
// nothing is compressed per request.
//
// # Development
//
// [NewDev] serves a directory from disk and rebuilds when a file changes, so
// edits show without a restart.
package assets

import (
	"errors"
	"fmt"
	"io/fs"
	"sync/atomic"
)

var (
	// ErrUnknown is returned for an asset name the registry does not hold.
	ErrUnknown = errors.New("assets: unknown asset")
	// ErrBundle is returned by [New] for a [WithBundle] bundle that cannot be built.
	ErrBundle = errors.New("assets: invalid bundle")
)

// Registry maps asset names and URLs to assets. Build it with [New] or
// [NewDev]; it is safe for concurrent use. A [New] registry never changes; a
// [NewDev] one swaps in a whole new, finished set of assets at once.
type Registry struct {
	cfg  config
	snap atomic.Pointer[snapshot]
	dev  *dev // nil unless made by NewDev
	hdr  headerValues
}

// snapshot is one immutable, complete set of assets.
type snapshot struct {
	all    []*Asset          // sorted by name
	byName map[string]*Asset // name -> asset
	byURL  map[string]*Asset // hashed URL path (unescaped) -> asset
	stale  map[string]*Asset // dev: hashed URL paths of the snapshot this one replaced
	bundle []*Asset          // the bundles among all, by name
}

// headerValues are the response header values every asset shares, made once
// so serving allocates nothing.
type headerValues struct {
	immutable, plain, vary, nosniff, ranges []string
}

// New reads every regular file of fsys, minifies CSS and JS, compresses text
// files, builds the [WithBundle] bundles and returns the registry. Files
// whose name starts with "." or "_" and Go sources are skipped. It fails if
// a file cannot be read or minified, or a bundle cannot be built.
func New(fsys fs.FS, opts ...Option) (*Registry, error) {
	cfg := newConfig(opts)
	s, err := newBuilder(cfg, false).build(fsys)
	if err != nil {
		return nil, err
	}
	r := newRegistry(cfg, CachePlain)
	r.snap.Store(s)
	return r, nil
}

func newRegistry(cfg config, plainCache string) *Registry {
	return &Registry{cfg: cfg, hdr: headerValues{
		immutable: []string{CacheImmutable},
		plain:     []string{plainCache},
		vary:      []string{"Accept-Encoding"},
		nosniff:   []string{"nosniff"},
		ranges:    []string{"bytes"},
	}}
}

func newSnapshot(all []*Asset) (*snapshot, error) {
	if err := assignIDs(all); err != nil { // also sorts by name
		return nil, err
	}
	s := &snapshot{all: all, byName: make(map[string]*Asset, len(all)), byURL: make(map[string]*Asset, len(all))}
	for _, a := range all {
		s.byName[a.Name] = a
		s.byURL[a.path] = a
		if a.Parts != nil {
			s.bundle = append(s.bundle, a)
		}
	}
	return s, nil
}

// current returns the snapshot to use, after a [NewDev] registry has looked
// for changes if one is due.
func (r *Registry) current() *snapshot {
	if r.dev != nil {
		r.dev.refresh(r)
	}
	return r.snap.Load()
}

// Lookup returns the asset with the given name ("pagelets/news.css").
func (r *Registry) Lookup(name string) (*Asset, bool) {
	a, ok := r.current().byName[name]
	return a, ok
}

// Get is like Lookup but returns an error naming the missing asset.
func (r *Registry) Get(name string) (*Asset, error) {
	if a, ok := r.Lookup(name); ok {
		return a, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknown, name)
}

// Bundles returns the bundles declared with [WithBundle], sorted by name.
// The slice is shared: do not modify it.
func (r *Registry) Bundles() []*Asset { return r.current().bundle }

// All returns every asset, sorted by name. The slice is the caller's.
func (r *Registry) All() []*Asset {
	return append([]*Asset(nil), r.current().all...)
}
