package render

import (
	"bytes"
	"log/slog"

	"github.com/maypok86/otter/v2"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// maxLayoutBytes bounds the markup of the layouts a Renderer keeps for
// [pagelet.Page.LayoutKey]: keys may name something of the URL, so their
// number is up to the requests; the least used go first.
const maxLayoutBytes = 8 << 20

// keptLayout is a layout rendered once and reused by the pages with its
// key: its markup cut at the slots, the pagelet ids it was rendered for
// (by index), and their document order. It is never changed once made.
type keptLayout struct {
	segs  [][]byte
	order []int
	ids   []string
}

// fits reports whether k was rendered for page's pagelets: the same ids at
// the same indexes, so its order means the same pagelets.
func (k *keptLayout) fits(page *pagelet.Page) bool {
	if len(k.ids) != len(page.Pagelets) {
		return false
	}
	for i := range k.ids {
		if k.ids[i] != page.Pagelets[i].ID {
			return false
		}
	}
	return true
}

// newLayoutCache is the store of kept layouts, bounded by their bytes.
func newLayoutCache() (*otter.Cache[string, *keptLayout], error) {
	return otter.New(&otter.Options[string, *keptLayout]{
		MaximumWeight: maxLayoutBytes,
		Weigher: func(key string, k *keptLayout) uint32 {
			n := len(key)
			for _, s := range k.segs {
				n += len(s)
			}
			return uint32(n + 64*len(k.ids))
		},
		Executor: func(fn func()) { fn() }, // see cache.New: no goroutine per few dozen lookups
	})
}

// keptLayout returns the layout kept for page's LayoutKey, if it fits.
func (rd *Renderer) keptLayout(page *pagelet.Page) (*keptLayout, bool) {
	if page.LayoutKey == "" {
		return nil, false
	}
	k, ok := rd.layouts.GetIfPresent(page.LayoutKey)
	if !ok || !k.fits(page) {
		return nil, false
	}
	return k, true
}

// lastLayout is the layout a handler's last page was written with, under
// its LayoutKey: a layout's markup depends on nothing its key does not
// name, so the next page with that key and the same pagelets reuses it
// without looking it up (a kept layout is never changed; one the store has
// let go since is still right).
type lastLayout struct {
	key string
	k   *keptLayout
}

// keptLayout is the Renderer's keptLayout, asked of the handler's last
// layout first.
func (h *Handler) keptLayout(page *pagelet.Page) (*keptLayout, bool) {
	if last := h.layout.Load(); last != nil && page.LayoutKey != "" && last.key == page.LayoutKey && last.k.fits(page) {
		return last.k, true
	}
	k, ok := h.rd.keptLayout(page)
	if ok {
		h.layout.Store(&lastLayout{key: page.LayoutKey, k: k})
	}
	return k, ok
}

// keepLayout keeps l, just rendered for page, under page's LayoutKey:
// a copy of its markup, which l's pooled buffer does not outlive. A layout
// that wrote the request's nonce is not kept: it differs per request.
func (x *response) keepLayout(page *pagelet.Page, l *layout) {
	if page.LayoutKey == "" {
		return
	}
	if x.nonce != "" && bytes.Contains(l.buf.Bytes(), []byte(x.nonce)) {
		x.report(slog.LevelWarn, "page layout not reused: it writes the request's CSP nonce, so its LayoutKey does not name all it depends on", []error{errLayoutNonce})
		return
	}
	all := bytes.Clone(l.buf.Bytes())
	k := &keptLayout{segs: make([][]byte, len(l.segs)), order: l.order, ids: make([]string, len(page.Pagelets))}
	off := 0
	for i, s := range l.segs {
		k.segs[i] = all[off : off+len(s) : off+len(s)]
		off += len(s) + len(x.h.rd.sentinelBytes)
	}
	for i := range page.Pagelets {
		k.ids[i] = page.Pagelets[i].ID
	}
	x.h.rd.layouts.Set(page.LayoutKey, k)
}
