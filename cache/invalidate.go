package cache

import (
	"context"

	"github.com/maypok86/otter/v2"
)

// InvalidateTags expires every fragment with one of tags, here and, through
// the bus ([Cache.Join]), on every instance: the next request for one
// loads it again, and serves the old one only if that fails, within its
// StaleIfError. A load running meanwhile stores its result as expired too:
// it may have read the data before the change. The error is the bus's;
// this instance's fragments are expired whatever it is.
func (c *Cache) InvalidateTags(ctx context.Context, tags ...string) error {
	names := prefixed("t", tags)
	c.invalidate(names)
	c.m.invalidations.WithLabelValues("tag", "local").Add(float64(len(tags)))
	return c.send(ctx, &message{Op: opInvalidate, Names: names})
}

// InvalidateKeys expires the fragments stored under keys (a policy's Key:
// a personal pagelet's for every reader), here and on every instance, as
// [Cache.InvalidateTags] does.
func (c *Cache) InvalidateKeys(ctx context.Context, keys ...string) error {
	names := prefixed("k", keys)
	c.invalidate(names)
	c.m.invalidations.WithLabelValues("key", "local").Add(float64(len(keys)))
	return c.send(ctx, &message{Op: opInvalidate, Names: names})
}

// Published tells the cache of a publication on a live channel, here and
// on every instance (the live engine calls it: live.WithCache). A state
// publication (state true) is the new content of every pagelet showing
// the channel: html, at pos in the channel's stream, replaces their
// fragments, unless they were read at a later position; any other
// publication (a stream item, or a state one that not every page
// receives) expires them.
func (c *Cache) Published(ctx context.Context, channel string, state bool, html []byte, pos Position) error {
	m := &message{Op: opInvalidate, Names: []string{"c" + channel}}
	if state {
		m = &message{Op: opPublish, Names: m.Names, HTML: html, Pos: &pos}
	}
	c.apply(m)
	c.m.invalidations.WithLabelValues("publication", "local").Inc()
	return c.send(ctx, m)
}

// prefixed returns names with prefix added to each.
func prefixed(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

// apply carries out m on this instance's fragments.
func (c *Cache) apply(m *message) {
	switch m.Op {
	case opInvalidate:
		c.invalidate(m.Names)
	case opPublish:
		if m.Pos != nil && len(m.Names) == 1 {
			c.publish(m.Names[0], m.HTML, m.Pos)
		}
	}
}

// invalidate expires the fragments under names, and marks the loads
// running for them.
func (c *Cache) invalidate(names []string) {
	var keys []key
	c.mu.Lock()
	for _, n := range names {
		keys = c.lookupIndex(n, keys)
		c.flightsUnder(n, func(fl *flight) {
			fl.invalidated = true
			if fl.published != nil { // the flight's own: it expires the publication too
				fl.published.invalid = true
			}
		})
	}
	c.mu.Unlock()
	for _, k := range keys {
		// Compute, not ComputeIfPresent: that one skips the key's lock when
		// it finds no entry, and a put that indexed the key has it locked
		// until its entry is in (see put).
		c.frags.Compute(k, func(old *Entry, found bool) (*Entry, otter.ComputeOp) {
			if !found || old.invalid {
				return old, otter.CancelOp
			}
			e := *old
			e.invalid = true
			return &e, otter.WriteOp
		})
		c.changed()
	}
}

// publish replaces the fragments under name (a channel's) with html at
// pos, and hands it to the loads running for them.
func (c *Cache) publish(name string, html []byte, pos *Position) {
	now := c.now()
	var keys []key
	c.mu.Lock()
	keys = c.lookupIndex(name, keys)
	c.flightsUnder(name, func(fl *flight) {
		if fl.published == nil || pos.newer(fl.published.Live) {
			fl.published = &Entry{HTML: html, Live: pos}
		}
	})
	c.mu.Unlock()
	for _, k := range keys {
		c.frags.Compute(k, func(old *Entry, found bool) (*Entry, otter.ComputeOp) { // not ComputeIfPresent: see invalidate
			if !found {
				return old, otter.CancelOp
			}
			if old.Live != nil && !pos.newer(old.Live) {
				return old, otter.CancelOp // read after this publication
			}
			e := *old
			e.HTML, e.Live, e.invalid, e.stored = html, pos, false, now
			return &e, otter.WriteOp
		})
		c.changed()
	}
}
