// Package cache keeps rendered pagelet fragments for the renderer
// (render.WithCache): one backend call for many concurrent requests,
// stale-while-revalidate and stale-if-error, tags, and fragments kept
// current by the site's live publications on every instance.
//
// A pagelet opts in with its [pagelet.Cache] policy. For each request the
// renderer asks the cache for each such pagelet before anything is
// written: a fresh fragment, or a stale one within the policy's Stale
// bound (one refresh then runs in the background), is placed in the
// skeleton like a pagelet already done, with no goroutine and no payload.
// A missing, expired or invalidated fragment is loaded: every concurrent
// request for the same key waits for one Load (golang.org/x/sync's
// singleflight), which runs detached from them all with the pagelet's own
// timeout, so that a client that leaves cancels nothing for the others,
// and a Load that fails, panics or times out gives every waiter the
// pagelet's fallback, or the old fragment within StaleIfError; nothing
// that failed is stored, so the next request tries again.
//
// Memory is bounded by entries and by bytes ([MaxEntries], [MaxBytes]) in
// an otter cache (github.com/maypok86/otter/v2), which evicts the least
// useful entries first (W-TinyLFU).
//
// Invalidation is by tag or by key ([Cache.InvalidateTags],
// [Cache.InvalidateKeys]) from application code, and by the live engine
// (live.WithCache): a publication on a state channel is the new content
// of every pagelet showing that channel, so it replaces their fragments
// (at its position in the channel's stream, so that a page served from the
// cache recovers what comes after); one on a stream channel invalidates
// them. Through a [Bus] (the live engine's broker: Redis with several
// instances) each invalidation and publication reaches every instance's
// cache.
package cache
