package render

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/a-h/templ"

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

// fill returns what the cache needs to load pagelet i of the page, or nil
// if it is not cached.
func (f *fetches) fill(i int) *cache.Fill {
	c, p := f.x.h.rd.cache, &f.page.Pagelets[i]
	if c == nil || !p.Cache.On() {
		return nil
	}
	x := f.x
	fill := &cache.Fill{Name: p.ID, Policy: p.Cache, Channel: p.Channel, Timeout: p.EffectiveTimeout()}
	if fill.Policy.Key == "" {
		route := x.r.Pattern
		if route == "" {
			route = x.r.URL.Path
		}
		fill.Policy.Key = route + "\x00" + p.ID
	}
	// The Load serves whoever asks for the key: it sees no reader but the
	// one the key is for, and no nonce (a cached fragment is served under
	// other requests' nonces, so it cannot hold an inline script).
	vals := templ.WithNonce(context.WithoutCancel(x.ctx), "")
	if p.Personal {
		fill.Reader = "@" + pagelet.ReaderFrom(x.ctx).ID // "@" alone: the anonymous reader's
	} else {
		vals = pagelet.WithReader(vals, pagelet.Reader{})
	}
	fill.Values = vals
	live := x.h.rd.live
	fill.Load = func(ctx context.Context) ([]byte, *cache.Position, error) {
		var pos *cache.Position
		var perr error
		if live != nil && p.Channel != "" {
			// Read whatever mode asked: the fragment serves every mode.
			pctx, cancel := context.WithTimeout(ctx, LivePositionTimeout)
			lp, err := live.Position(pctx, p.Channel)
			cancel()
			if err == nil {
				pos = &cache.Position{Kind: lp.Kind, Offset: lp.Offset, Epoch: lp.Epoch}
			}
			perr = err
		}
		res := load(ctx, i, p, nil)
		if res.err != nil {
			return nil, nil, res.err
		}
		html := append([]byte(nil), res.html.Bytes()...)
		putBuf(res.html)
		if perr != nil {
			// Stored, the fragment would make every page served from it
			// static for as long as it stays: the requests waiting for it
			// show it, as an uncached page would, and the cache keeps
			// nothing (the next request loads again).
			return nil, nil, &unpositioned{html: html, err: perr}
		}
		return html, pos, nil
	}
	return fill
}

// unpositioned is the cache's error of a live pagelet loaded while its
// channel's position could not be read: its markup, for the requests that
// waited for it, not stored.
type unpositioned struct {
	html []byte
	err  error
}

func (u *unpositioned) Error() string { return "live position unknown: " + u.err.Error() }
func (u *unpositioned) Unwrap() error { return u.err }

// peek looks pagelet i up in the cache before anything is written, and
// returns it done if the cache can serve it at once.
func (f *fetches) peek(i int, fill *cache.Fill) (result, bool) {
	e, o, ok := f.x.h.rd.cache.Peek(fill)
	if !ok {
		return result{}, false
	}
	return f.fromCache(i, e, o), true
}

// getCached is run's load for a cached pagelet: the cache's entry, loaded
// once for every request that wants it now, waited for until the
// pagelet's deadline.
func (f *fetches) getCached(ctx context.Context, i int, fill *cache.Fill) result {
	t0 := time.Now()
	e, o, err := f.x.h.rd.cache.Get(ctx, fill)
	if u := (*unpositioned)(nil); e == nil && errors.As(err, &u) {
		// Shown, not live, as uncached (an old fragment within
		// StaleIfError, with its position, is better: its client
		// recovers from there once it connects).
		f.x.h.rd.log.LogAttrs(ctx, slog.LevelWarn, "live pagelet rendered without live updates: position unknown",
			slog.String("request_id", f.x.id), slog.String("pagelet", fill.Name), slog.String("channel", fill.Channel), slog.Any("err", u.err))
		e, o = &cache.Entry{HTML: u.html}, cache.Miss
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
	res := result{index: i, html: getBuf(), cache: o}
	res.html.Write(e.HTML)
	if e.Live != nil && f.x.grant != nil && f.x.h.rd.live != nil {
		res.live = &LivePosition{Kind: e.Live.Kind, Offset: e.Live.Offset, Epoch: e.Live.Epoch}
	}
	return res
}
