// Package gate bounds how many of something are under way at once: pages
// answered (render.Limits.Pages), live connections open
// (live.Limits.Connections). Past the bound the caller sheds the newcomer
// at once (a 503, a 429) rather than queue it.
package gate

import "sync/atomic"

// Gate admits at most a fixed number at once. A nil *Gate admits
// everything, so an unbounded limit costs one nil check.
type Gate struct {
	max int64
	n   atomic.Int64
}

// New returns a Gate admitting max at once, or nil (no bound) if max is
// zero or less.
func New(max int) *Gate {
	if max <= 0 {
		return nil
	}
	return &Gate{max: int64(max)}
}

// Enter takes a place, or reports false if every place is taken. One who
// entered calls Leave once done.
func (g *Gate) Enter() bool {
	if g == nil {
		return true
	}
	if g.n.Add(1) > g.max {
		g.n.Add(-1)
		return false
	}
	return true
}

// Leave gives a place back.
func (g *Gate) Leave() {
	if g != nil {
		g.n.Add(-1)
	}
}
