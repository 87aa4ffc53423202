package assets

import (
	"crypto/sha256"
	"sync"
)

// variants is one body's compressed forms, gzip and brotli.
type variants struct{ gz, br []byte }

// memoLimit bounds the bytes [compressed] keeps: several times a site's
// compressed assets, so that every registry a process builds from the same
// files finds them, while a development server's edits (each a new body)
// cannot grow it without end: once full, it keeps what it has and adds
// nothing.
const memoLimit = 16 << 20

// compressed remembers the compressed variants of every body this process
// has compressed, by the body's SHA-256, up to memoLimit bytes. A process
// builds registries from the same bytes more than once: the renderer's
// runtime, the live engine's client and the site's files on every start of
// a server in a test, the live client once per engine; and brotli at
// quality 11 is the dearest step of a build (nearly all of a server's
// start-up under the race detector). Compression is a pure function of the
// body (gzip's header carries no name or time, brotli's settings are
// constants), so a hit is the bytes a fresh compression would give, shared
// read-only like an asset's Body.
var compressed = &memo{m: make(map[[sha256.Size]byte]variants)}

// memo is a bounded map from a body's sum to its compressed variants, safe
// for concurrent use.
type memo struct {
	mu   sync.Mutex
	m    map[[sha256.Size]byte]variants
	size int // bytes of every variant kept
}

// get returns the variants kept for sum.
func (c *memo) get(sum [sha256.Size]byte) (variants, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[sum]
	return v, ok
}

// put keeps v for sum unless that would pass memoLimit.
func (c *memo) put(sum [sha256.Size]byte, v variants) {
	n := len(v.gz) + len(v.br)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[sum]; ok || c.size+n > memoLimit {
		return
	}
	c.m[sum] = v
	c.size += n
}
