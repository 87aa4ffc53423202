package cache

import "slices"

// The index finds the keys an invalidation or a publication concerns: by
// tag, by live channel, and by policy key (which a personal pagelet's
// fragments share, one per reader). Its names are prefixed by what they
// index, so that a tag never meets a channel of the same name. It holds
// the keys stored; flights, the loads running, so that an invalidation
// that comes while a fragment loads is not lost when it is stored.

// names returns e's index names.
func (e *Entry) names() []string {
	n := make([]string, 0, len(e.tags)+2)
	for _, t := range e.tags {
		n = append(n, "t"+t)
	}
	if e.channel != "" {
		n = append(n, "c"+e.channel)
	}
	return append(n, "k"+e.base)
}

// index adds key, holding e, to e's names. The caller holds c.mu.
func (c *Cache) index(k key, e *Entry) {
	for _, n := range e.names() {
		keys := c.idx[n]
		if keys == nil {
			keys = make(map[key]struct{}, 1)
			c.idx[n] = keys
		}
		keys[k] = struct{}{}
	}
}

// unindex removes key, which held old, from old's names, but for those of
// next, which replaces it (nil: none). The caller holds c.mu.
func (c *Cache) unindex(key key, old, next *Entry) {
	var keep []string
	if next != nil {
		keep = next.names()
	}
	for _, n := range old.names() {
		if slices.Contains(keep, n) {
			continue
		}
		if keys := c.idx[n]; keys != nil {
			delete(keys, key)
			if len(keys) == 0 {
				delete(c.idx, n)
			}
		}
	}
}

// lookupIndex returns the keys stored under name. The caller holds c.mu.
func (c *Cache) lookupIndex(name string, into []key) []key {
	for k := range c.idx[name] {
		into = append(into, k)
	}
	return into
}

// flight is a load running: what it is for, and what happened to it
// meanwhile.
type flight struct {
	names       []string // its index names
	invalidated bool     // one of its names was invalidated
	published   *Entry   // the latest state publication on its channel; invalid if one of its names was invalidated after it
}

// fly registers the load of key for fill.
func (c *Cache) fly(key key, fill *Fill) *flight {
	e := Entry{channel: fill.Channel, tags: fill.Policy.Tags, base: fill.Policy.Key}
	fl := &flight{names: e.names()}
	c.mu.Lock()
	c.flights[key] = fl
	c.mu.Unlock()
	return fl
}

// land unregisters the load of key.
func (c *Cache) land(key key, fl *flight) {
	c.mu.Lock()
	if c.flights[key] == fl {
		delete(c.flights, key)
	}
	c.mu.Unlock()
}

// flightsUnder calls f for every load running for name. The caller holds
// c.mu.
func (c *Cache) flightsUnder(name string, f func(*flight)) {
	for _, fl := range c.flights {
		if slices.Contains(fl.names, name) {
			f(fl)
		}
	}
}
