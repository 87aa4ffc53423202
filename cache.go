// The pagelet cache (-cache, package cache): one per process, bounded by
// -cache-entries and -cache-bytes, shared by the renderer (which serves
// the cached pagelets from it), the live engine (whose publications keep
// it current on every instance) and the site (whose writes that no
// publication reports expire what they change); closed after the HTTP
// drain.

package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
)

// pageCache is the process's pagelet cache, or none (-cache=false).
type pageCache struct {
	c         *cache.Cache // nil: off
	log       *slog.Logger
	closeOnce sync.Once
}

// newPageCache makes the pagelet cache cfg asks for, its metrics
// (bigpipe_cache_*) in reg, and logs its bounds. The caller must call
// close.
func newPageCache(cfg config, reg prometheus.Registerer, log *slog.Logger) (*pageCache, error) {
	pc := &pageCache{log: log}
	if !cfg.cache {
		log.Info("pagelet cache off (-cache=false): every request loads every pagelet")
		return pc, nil
	}
	c, err := cache.New(cache.MaxEntries(cfg.cacheEntries), cache.MaxBytes(cfg.cacheBytes),
		cache.WithRegisterer(reg), cache.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("-cache: %w", err)
	}
	pc.c = c
	log.Info("pagelet cache on: shared pagelets served from memory, kept current by the live publications (-cache=false: off)",
		"max_entries", cfg.cacheEntries, "max_bytes", cfg.cacheBytes)
	if isDatabaseURL(cfg.db) && len(cfg.redis) == 0 {
		log.Warn("pagelet cache with a shared -db but no -redis: each instance's cache hears only of its own writes and publications; " +
			"another instance shows them once its fragments expire (within about a minute); give every instance the same -redis")
	}
	return pc, nil
}

// cacheCloseTimeout bounds the wait, when the cache closes, for the loads
// it runs (each cancelled first).
const cacheCloseTimeout = 5 * time.Second

// close closes the cache, if any, within cacheCloseTimeout: after the
// HTTP drain (drain.go), or on an early return of run. It may be called
// more than once.
func (pc *pageCache) close() {
	if pc.c == nil {
		return
	}
	pc.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cacheCloseTimeout)
		defer cancel()
		if err := pc.c.Close(ctx); err != nil {
			pc.log.Warn("pagelet cache: closed with loads still running", "err", err)
		}
	})
}

// liveOptions are the live engine's options for the cache: none without one.
func (pc *pageCache) liveOptions() []live.Option {
	if pc == nil || pc.c == nil {
		return nil
	}
	return []live.Option{live.WithCache(pc.c)}
}

// renderOptions are the renderer's.
func (pc *pageCache) renderOptions() []render.Option {
	if pc == nil || pc.c == nil {
		return nil
	}
	return []render.Option{render.WithCache(pc.c)}
}

// siteOptions are the site's.
func (pc *pageCache) siteOptions() []pages.Option {
	if pc == nil || pc.c == nil {
		return nil
	}
	return []pages.Option{pages.WithCache(pc.c)}
}
