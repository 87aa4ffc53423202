package cache

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// Entry is one stored fragment. It is never changed once stored: a
// refresh or a publication stores a new one.
type Entry struct {
	// HTML is the fragment's markup, as the pagelet's Load rendered it or
	// a publication replaced it. Read it, never change it.
	HTML []byte

	// Live is where the fragment's live channel stood when its content
	// was read; nil when the pagelet is not live.
	Live *Position

	// Head is what the fragment's Load decided of the document's head
	// (pagelet.WithHead); nil: nothing. A publication that replaces the
	// markup keeps it.
	Head *pagelet.Head

	channel string
	tags    []string
	base    string // the policy's key: a personal fragment's key adds the reader
	policy  pagelet.Cache
	stored  time.Time          // loaded, or replaced by a publication
	invalid bool               // invalidated: served only as stale-if-error
	hits    prometheus.Counter // its pagelet's hits (metrics.hitCounter); nil: looked up on a hit
}

// Position is a live channel's kind ("state" or "stream") and a place in
// its stream, as render.LivePosition has them.
type Position struct {
	Kind   string
	Offset uint64
	Epoch  string
}

// newer reports whether p is past q in the same stream; a position of
// another epoch (the stream began again) counts as newer.
func (p *Position) newer(q *Position) bool {
	if q == nil {
		return true
	}
	return p.Epoch != q.Epoch || p.Offset > q.Offset
}

// lifetime is how long e may stay in the cache: past it, it could be
// served neither stale nor on error.
func (e *Entry) lifetime() time.Duration {
	return e.policy.Fresh + max(e.policy.Stale, e.policy.StaleIfError, 0)
}

// state is what e is good for at now.
func (e *Entry) state(now time.Time) State {
	age := now.Sub(e.stored)
	switch p := e.policy; {
	case e.invalid:
		if age < p.Fresh+p.StaleIfError {
			return Expired
		}
	case age < p.Fresh:
		return Fresh
	case age < p.Fresh+p.Stale:
		return Stale
	case age < p.Fresh+p.StaleIfError:
		return Expired
	}
	return Missing
}

// State is what a stored fragment is good for at a moment.
type State int

const (
	// Missing: nothing usable is stored; the fragment must be loaded.
	Missing State = iota
	// Fresh: served as it is.
	Fresh
	// Stale: served at once while one refresh runs.
	Stale
	// Expired: past its Stale bound, or invalidated; it must be loaded,
	// and is served only if that fails, within StaleIfError.
	Expired
)

// Outcome is how a fragment was served, as Server-Timing and the metrics
// say it.
type Outcome string

// Outcomes.
const (
	Hit          Outcome = "hit"            // fresh from the cache
	StaleHit     Outcome = "stale"          // stale from the cache, while one refresh runs
	Miss         Outcome = "miss"           // loaded for this request (which others may have shared)
	Coalesced    Outcome = "coalesced"      // waited for a Load another request had started
	StaleOnError Outcome = "stale-if-error" // loading failed: the old fragment, within StaleIfError
	Failed       Outcome = "failed"         // loading failed, nothing to serve instead: the fallback
)
