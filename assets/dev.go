package assets

import (
	"encoding/binary"
	"hash/fnv"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// NewDev returns a registry for development that serves the files under dir
// from disk, like [New] does for an embedded tree, and rebuilds when one of
// them is added, removed or changed, so edits show on the next page load
// without a restart.
//
// At most every poll interval ([DefaultPollInterval], see
// [WithPollInterval]) a call of Lookup, Get, All or ServeHTTP compares the
// size and modification time of every file with the last build; if any
// differs, it rebuilds while the calls that arrive meanwhile wait, then swaps
// the whole new set in at once. Files whose bytes did not change are not
// minified or compressed again. A request never sees a half-built set.
//
// Hashed URLs of the set just replaced keep working until the next change, so
// a page rendered a moment before an edit still loads; older ones are 404.
// Assets already looked up keep their old contents: a caller that holds an
// *Asset (a renderer's client runtime, say) must look it up again to see an
// edit. Plain names are served with Cache-Control [CacheDev].
//
// A rebuild that fails (a syntax error while typing) keeps the last good set;
// [Registry.Err] reports the failure until the files build again. NewDev
// itself fails if the first build does.
func NewDev(dir string, opts ...Option) (*Registry, error) {
	cfg := newConfig(opts)
	d := &dev{fsys: os.DirFS(dir), poll: cfg.poll, b: newBuilder(cfg, true)}
	stamp, err := fingerprint(d.fsys)
	if err != nil {
		return nil, err
	}
	s, err := d.b.build(d.fsys)
	if err != nil {
		return nil, err
	}
	d.stamp = stamp
	d.next.Store(time.Now().Add(d.poll).UnixNano())
	r := newRegistry(cfg, CacheDev)
	r.dev = d
	r.snap.Store(s)
	return r, nil
}

// dev is the reloading state of a NewDev registry.
type dev struct {
	fsys fs.FS
	poll time.Duration
	next atomic.Int64 // UnixNano before which no check is due

	mu    sync.Mutex // serialises checks and rebuilds; guards the fields below
	b     *builder
	stamp uint64 // fingerprint of the tree last built, or last failed to build
	err   error  // why that build failed; nil when the snapshot is current
}

// refresh rebuilds r's snapshot if a check is due and the tree changed.
func (d *dev) refresh(r *Registry) {
	if time.Now().UnixNano() < d.next.Load() {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	if now.UnixNano() < d.next.Load() {
		return // checked while this call waited for the lock
	}
	d.next.Store(now.Add(d.poll).UnixNano())
	stamp, err := fingerprint(d.fsys)
	if err != nil {
		d.err = err
		return
	}
	if stamp == d.stamp {
		return
	}
	d.stamp = stamp
	s, err := d.b.build(d.fsys)
	if err != nil {
		d.err = err
		return
	}
	d.err = nil
	old := r.snap.Load()
	s.stale = make(map[string]*Asset)
	for p, a := range old.byURL {
		if _, ok := s.byURL[p]; !ok {
			s.stale[p] = a
		}
	}
	r.snap.Store(s)
}

// Err reports why a [NewDev] registry serves an older set of assets than the
// files on disk: the error of the last rebuild, or nil if the set is current.
// It is always nil for a [New] registry.
func (r *Registry) Err() error {
	if r.dev == nil {
		return nil
	}
	r.dev.refresh(r)
	r.dev.mu.Lock()
	defer r.dev.mu.Unlock()
	return r.dev.err
}

// fingerprint hashes the name, size and modification time of every file
// served from fsys: a cheap stand-in for its contents.
func fingerprint(fsys fs.FS) (uint64, error) {
	h := fnv.New64a()
	var buf [16]byte
	err := walk(fsys, func(name string) error {
		fi, err := fs.Stat(fsys, name)
		if err != nil {
			return err
		}
		h.Write([]byte(name))
		h.Write([]byte{0})
		binary.LittleEndian.PutUint64(buf[:8], uint64(fi.Size()))
		binary.LittleEndian.PutUint64(buf[8:], uint64(fi.ModTime().UnixNano()))
		h.Write(buf[:])
		return nil
	})
	return h.Sum64(), err
}
