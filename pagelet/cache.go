package pagelet

import "time"

// Cache is a pagelet's cache policy: how long the markup its Load renders
// may be served to other requests instead of running Load again. The zero
// Cache caches nothing. A renderer caches only with a cache of its own
// (render.WithCache); see package cache for how entries are shared,
// refreshed and invalidated.
//
// A cached pagelet's Load runs detached from any one request (many
// requests share it), with the pagelet's Timeout, in a context that
// carries no reader unless the pagelet is [Pagelet].Personal: a shared
// fragment cannot show one reader's data to another. A Personal pagelet is
// cached per reader, its key prefixed with the reader's id.
type Cache struct {
	// Fresh is how long a stored fragment is served as it is. Zero or
	// less: the pagelet is not cached.
	Fresh time.Duration

	// Stale is how long after Fresh the fragment is still served, at once,
	// while one refresh runs in the background (stale-while-revalidate).
	Stale time.Duration

	// StaleIfError is how long after Fresh the fragment is served when a
	// refresh fails (the backend down, a timeout, a panic), instead of the
	// pagelet's fallback (stale-if-error).
	StaleIfError time.Duration

	// Key names the fragment. Empty: the request's route (its ServeMux
	// pattern, or its path without one) and the pagelet's ID. A pagelet
	// whose content depends on something in the request besides the
	// route, such as an article's slug or a query parameter, must name it
	// in its key; the page function, which builds the pagelet per request,
	// does. The renderer logs (once per route) a pagelet cached under the
	// default key on a route with wildcards, such as /article/{slug},
	// where every article would share one fragment.
	Key string

	// Tags name groups of fragments that one invalidation can expire
	// together, such as "stories" or "article:"+slug.
	Tags []string
}

// On reports whether the policy caches anything.
func (c Cache) On() bool { return c.Fresh > 0 }
