package render

import (
	"time"

	"github.com/bigpipe-go/bigpipe/cache"
)

// hitMemo is what a handler's last fully cached page was served from:
// for each pagelet, by index, the key it was looked up under and the
// fresh entry the cache gave, with the cache's generation read before
// those lookups. While the generation is the same (nothing stored,
// replaced, invalidated or evicted since, under any key) and every entry
// is still fresh, the next page whose pagelets have the same keys is
// served from it with no lookup: the lookups were most of what a fully
// cached page cost the renderer beyond writing it. It is never changed
// once made.
type hitMemo struct {
	gen   uint64
	until time.Time // the first entry's end of freshness
	slots []memoSlot
}

// memoSlot is one pagelet of a hitMemo.
type memoSlot struct {
	key, name string // its fill's Policy.Key and Name: with no reader (no personal pagelet), the whole key
	entry     *cache.Entry
}

// remembered serves every pagelet of the page from the handler's memo, if
// it holds for the page at now: each sent[i] is then its hit, and each hit
// is counted (cache.Served).
func (f *fetches) remembered(now time.Time) bool {
	m := f.x.h.hits.Load()
	n := len(f.page.Pagelets)
	c := f.x.h.rd.cache
	if m == nil || len(m.slots) != n || !now.Before(m.until) || m.gen != c.Generation() {
		return false
	}
	for i := range n {
		fill := f.fill(i)
		if fill == nil || fill.Personal || fill.Policy.Key != m.slots[i].key || fill.Name != m.slots[i].name {
			return false
		}
	}
	for i := range n {
		e := m.slots[i].entry
		c.Served(&f.fills[i], e)
		f.sent[i] = f.fromCache(i, e, cache.Hit)
	}
	return true
}

// remember keeps, as the handler's memo, the entries a page was just
// served from, if every pagelet was a fresh hit and none is personal; gen
// is the cache's generation read before the lookups.
func (f *fetches) remember(gen uint64) {
	n := len(f.page.Pagelets)
	if n == 0 || f.escaped {
		return
	}
	for i := range n {
		if fill := &f.fills[i]; fill.Source == nil || fill.Personal || f.sent[i].entry == nil || f.sent[i].cache != cache.Hit {
			return
		}
	}
	m := &hitMemo{gen: gen, slots: make([]memoSlot, n)}
	for i := range n {
		fill, e := &f.fills[i], f.sent[i].entry
		if until := e.FreshUntil(); i == 0 || until.Before(m.until) {
			m.until = until
		}
		m.slots[i] = memoSlot{key: fill.Policy.Key, name: fill.Name, entry: e}
	}
	f.x.h.hits.Store(m)
}
