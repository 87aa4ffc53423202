package cache

import (
	"math/rand/v2"
	"time"
)

// Generation counts the changes of what the cache's keys hold: a fragment
// stored, replaced by a publication, invalidated, evicted or expired. It
// grows after each change is in place, so that a caller may keep the
// entries that [Cache.Peek] served as hits together with the generation it
// read before those lookups, and serve them again, without looking them up,
// while the generation is the same and each is fresh ([Entry.FreshUntil]):
// any change since then, to any key, makes the generation move on. Count
// each such serve with [Cache.Served].
func (c *Cache) Generation() uint64 { return c.gen.Load() }

// changed moves the generation on, once a change is in place.
func (c *Cache) changed() { c.gen.Add(1) }

// FreshUntil is when e stops being fresh: the zero time if it is not
// (invalidated).
func (e *Entry) FreshUntil() time.Time {
	if e.invalid {
		return time.Time{}
	}
	return e.stored.Add(e.policy.Fresh)
}

// Served counts e, fresh under fill's key, served again without a lookup
// (see Generation) as a hit, as Peek would: in the metrics, and one time in
// readSample, at random, as a read for the eviction policy.
func (c *Cache) Served(fill *Fill, e *Entry) {
	if e.hits != nil {
		e.hits.Inc()
	} else {
		c.m.lookup(fill.Name, Hit)
	}
	if rand.Uint32()%readSample == 0 {
		c.frags.GetIfPresent(fill.key())
	}
}
