package render

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// WithCache keeps the fragments of pagelets that have a cache policy
// ([pagelet.Pagelet].Cache) in c. Before a page is written, each such
// pagelet is looked up: one fresh or stale is placed in the skeleton (in
// the plain modes, in its place) with no goroutine and no payload, so that
// a page whose pagelets are all cached goes out as one document in one
// write; one missing or expired is loaded once for every request that
// wants it at the same time (see package cache). The fragment endpoint
// ([FragmentParam]), which a live page calls when it cannot recover what
// it missed, always loads afresh.
func WithCache(c *cache.Cache) Option { return rendererOption(func(cfg *config) { cfg.cache = c }) }

// fill sets f.fills[i] to what the cache needs to find and load pagelet i,
// and returns it, or nil if the pagelet is not cached. It allocates
// nothing: the cache asks the source for the Load's context values only
// when it loads.
func (f *fetches) fill(i int) *cache.Fill {
	p := &f.page.Pagelets[i]
	if !p.Cache.On() {
		return nil
	}
	x := f.x
	fill := &f.fills[i]
	*fill = cache.Fill{Name: p.ID, Policy: p.Cache, Channel: p.Channel, Timeout: p.EffectiveTimeout(), Personal: p.Personal}
	if fill.Policy.Key == "" {
		route := cmp.Or(x.r.Pattern, x.r.URL.Path) // as problems.go names a route
		if hasWildcard(x.r.Pattern) && x.h.rd.firstWildcard(x.r.Pattern, p.ID) {
			// Likely a mistake: /article/{slug} would show one article's
			// fragment on every article. Say so, once per route (the error
			// is made only then: the route serves many requests).
			x.report(slog.LevelWarn, "cached pagelet keyed by a route with wildcards (logged once)",
				[]error{fmt.Errorf("pagelet %q is cached under its route %q: every request the route matches shares one fragment; "+
					"name what its content depends on in its Cache.Key (a fixed Key if nothing)", p.ID, x.r.Pattern)})
		}
		fill.Policy.Key = route
	}
	if p.Personal {
		fill.Reader = pagelet.ReaderFrom(x.ctx).ID
	}
	f.sources[i] = cachedSource{f: f, i: i}
	fill.Source = &f.sources[i]
	return fill
}

// hasWildcard reports whether a ServeMux pattern has a wildcard that
// matches part of a path ({slug}, {rest...}); {$}, which only anchors the
// path's end, is none.
func hasWildcard(pattern string) bool {
	return strings.Count(pattern, "{") > strings.Count(pattern, "{$}")
}

// wildcardUse is a cached pagelet keyed by a route with wildcards.
type wildcardUse struct{ pattern, id string }

// firstWildcard reports whether pagelet id, cached under the route
// pattern with wildcards, is met for the first time: past maxReported
// distinct ones, no more are warned of.
func (rd *Renderer) firstWildcard(pattern, id string) bool {
	isNew, _ := rd.wildcards.first(wildcardUse{pattern, id})
	return isNew
}

// cachedSource loads pagelet i of a page for the cache.
type cachedSource struct {
	f *fetches
	i int
}

// Values is the request's context but for what a fragment served to
// others must not depend on: the reader (unless the pagelet is personal,
// when the fragment is that reader's alone) and the CSP nonce (a cached
// fragment is served under other requests' nonces). It starts from the
// context as it was before the nonce was set (response.vals): templ keeps
// the nonce in a value its WithNonce changes in place, which the page's
// own rendering and its other pagelets' Loads share.
func (s *cachedSource) Values() context.Context {
	x, p := s.f.x, &s.f.page.Pagelets[s.i]
	if p.Personal {
		return x.vals
	}
	return pagelet.WithReader(x.vals, pagelet.Reader{})
}

// Load reads the pagelet's live position, if it is live (whatever mode
// asked: the fragment serves every mode), then loads and renders it.
func (s *cachedSource) Load(ctx context.Context) (cache.Fragment, error) {
	x, p := s.f.x, &s.f.page.Pagelets[s.i]
	// A fetch slot for the load itself, however many requests wait for
	// it: the process-wide bound on loads holds for cached pagelets too.
	lim := x.h.rd.limiter
	if err := lim.acquire(ctx, p.Priority); err != nil {
		return cache.Fragment{}, &PageletError{ID: p.ID, Err: fmt.Errorf("waiting for a fetch slot: %w", err)}
	}
	defer lim.release()
	var pos *cache.Position
	var perr error
	var kind string // the channel's kind, when its position is unknown
	if live := x.h.rd.live; live != nil && p.Channel != "" {
		pctx, cancel := context.WithTimeout(ctx, LivePositionTimeout)
		lp, err := live.Position(pctx, p.Channel)
		cancel()
		if err == nil {
			pos = &cache.Position{Kind: lp.Kind, Offset: lp.Offset, Epoch: lp.Epoch}
		}
		perr, kind = err, lp.Kind
	}
	res := load(ctx, s.i, p, nil)
	if res.err != nil {
		return cache.Fragment{}, res.err
	}
	frag := cache.Fragment{HTML: append([]byte(nil), res.html.Bytes()...), Live: pos, Head: res.head}
	putBuf(res.html)
	if perr != nil {
		// Stored, the fragment would make every page served from it
		// static for as long as it stays: the requests waiting for it
		// show it, as an uncached page would, and the cache keeps
		// nothing (the next request loads again).
		return cache.Fragment{}, &unpositioned{frag: frag, kind: kind, err: perr}
	}
	return frag, nil
}

// unpositioned is the cache's error of a live pagelet loaded while its
// channel's position could not be read: its markup, for the requests that
// waited for it, not stored, and its channel's kind if the engine told it.
type unpositioned struct {
	frag cache.Fragment
	kind string
	err  error
}

func (u *unpositioned) Error() string { return "live position unknown: " + u.err.Error() }
func (u *unpositioned) Unwrap() error { return u.err }

// peek looks pagelet i up in the cache before anything is written (now:
// when the page's lookups began), and returns it done if the cache can
// serve it at once.
func (f *fetches) peek(i int, fill *cache.Fill, now time.Time) (result, bool) {
	e, o, ok := f.x.h.rd.cache.PeekAt(fill, now)
	if !ok {
		return result{}, false
	}
	if o != cache.Hit { // a stale fragment's refresh holds fill (see fetches.recycle)
		f.escaped = true
	}
	res := f.fromCache(i, e, o)
	res.entry = e
	return res, true
}

// getCached is run's load for a cached pagelet: the cache's entry, loaded
// once for every request that wants it now, waited for until the
// pagelet's deadline.
func (f *fetches) getCached(ctx context.Context, i int, fill *cache.Fill) result {
	t0 := time.Now()
	e, o, err := f.x.h.rd.cache.Get(ctx, fill)
	if u := (*unpositioned)(nil); e == nil && errors.As(err, &u) {
		// Shown with an unknown position, as uncached: its client
		// refetches it once connected (an old fragment within
		// StaleIfError, with its position, is better: its client
		// recovers from there).
		f.x.logUnknown(ctx, fill.Name, fill.Channel, u.kind, u.err)
		e, o = &cache.Entry{HTML: u.frag.HTML, Head: u.frag.Head}, cache.Miss
		if u.kind != "" {
			e.Live = &cache.Position{Kind: u.kind}
		}
	}
	if e == nil {
		var pe *PageletError
		if !errors.As(err, &pe) { // the wait's end, or the cache's own
			err = &PageletError{ID: f.page.Pagelets[i].ID, Err: err}
		}
		return result{index: i, err: err, fetch: time.Since(t0), cache: o}
	}
	res := f.fromCache(i, e, o)
	res.fetch = time.Since(t0)
	return res
}

// fromCache makes a result of a cache entry: its markup in a buffer of the
// page's own (the entry is shared and never changed), and its live
// position if the page is live.
func (f *fetches) fromCache(i int, e *cache.Entry, o cache.Outcome) result {
	res := result{index: i, html: getBuf(), cache: o, head: e.Head}
	res.html.Write(e.HTML)
	if e.Live != nil && f.x.grant != nil && f.x.h.rd.live != nil {
		res.live = &LivePosition{Kind: e.Live.Kind, Offset: e.Live.Offset, Epoch: e.Live.Epoch}
	}
	return res
}
