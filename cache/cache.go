package cache

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"
)

// Defaults for [New].
const (
	DefaultMaxEntries = 10_000
	DefaultMaxBytes   = 64 << 20
)

// entryOverhead is what an entry costs beyond its markup and key: the
// Entry, its tags and the index's share, roughly. It counts toward
// MaxBytes.
const entryOverhead = 256

// Cache holds rendered fragments under keys. Create it with [New]; it is
// safe for concurrent use. Close it when the site stops: it waits for the
// refreshes running in the background.
type Cache struct {
	frags  *otter.Cache[key, *Entry]
	group  singleflight.Group
	m      *metrics
	log    *slog.Logger
	minW   uint32 // the least an entry weighs: MaxBytes/MaxEntries, so that neither bound is passed
	now    func() time.Time
	bus    Bus // set once by Join; nil: this instance alone
	busMu  sync.RWMutex
	origin string // this cache's id on the bus

	gen atomic.Uint64 // counts the changes of what keys hold (see Generation)

	mu      sync.Mutex                  // guards the index and the flights
	idx     map[string]map[key]struct{} // "t"+tag, "c"+channel, "k"+policy key → keys stored
	flights map[key]*flight             // loads running, by key

	ctx    context.Context // ends with Close: every Load the cache runs ends with it
	cancel context.CancelFunc
	wg     sync.WaitGroup // Loads running
}

// Option configures a Cache.
type Option func(*config)

type config struct {
	maxEntries int
	maxBytes   int64
	reg        prometheus.Registerer
	log        *slog.Logger
}

// MaxEntries bounds how many fragments the cache holds; [DefaultMaxEntries]
// without it.
func MaxEntries(n int) Option { return func(c *config) { c.maxEntries = n } }

// MaxBytes bounds the bytes the cache's fragments take (their markup,
// keys, and a fixed overhead each); [DefaultMaxBytes] without it.
func MaxBytes(n int64) Option { return func(c *config) { c.maxBytes = n } }

// WithRegisterer registers the cache's metrics (bigpipe_cache_*) with reg.
func WithRegisterer(reg prometheus.Registerer) Option { return func(c *config) { c.reg = reg } }

// WithLogger logs through l; slog.Default() without it.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// New returns an empty cache. Both bounds hold at once: each entry weighs
// at least MaxBytes/MaxEntries, so that no more than MaxEntries fit.
func New(opts ...Option) (*Cache, error) {
	cfg := config{maxEntries: DefaultMaxEntries, maxBytes: DefaultMaxBytes, log: slog.Default()}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.maxEntries <= 0 || cfg.maxBytes <= 0 {
		return nil, fmt.Errorf("cache: bounds must be positive: %d entries, %d bytes", cfg.maxEntries, cfg.maxBytes)
	}
	minW := cfg.maxBytes / int64(cfg.maxEntries)
	if cfg.maxBytes%int64(cfg.maxEntries) != 0 {
		minW++ // rounded up: MaxEntries+1 entries of the least weight are past MaxBytes
	}
	if minW > 1<<31 {
		minW = 1 << 31
	}
	m, err := newMetrics(cfg.reg)
	if err != nil {
		return nil, err
	}
	c := &Cache{
		m: m, log: cfg.log, minW: uint32(max(minW, 1)), now: time.Now,
		idx: make(map[string]map[key]struct{}), flights: make(map[key]*flight),
		origin: newOrigin(),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	store, err := otter.New(&otter.Options[key, *Entry]{
		MaximumWeight: uint64(cfg.maxBytes),
		Weigher:       c.weigh,
		// Counted from when the content was stored, not from the write: an
		// invalidation rewrites the entry, and must not lengthen its life.
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[key, *Entry]) time.Duration {
			return max(e.Value.stored.Add(e.Value.lifetime()).Sub(c.now()), time.Nanosecond)
		}),
		OnAtomicDeletion: c.deleted,
		// Maintenance (draining the read buffer, evicting, expiring) runs
		// on the goroutine that triggered it, amortised over the lookups,
		// as Caffeine's same-thread executor does: otter's default starts
		// a goroutine for it, which on a fully cached page cost more than
		// the lookups (a goroutine and a wakeup every few dozen reads).
		Executor: func(fn func()) { fn() },
	})
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	c.frags = store
	return c, nil
}

// weigh is an entry's weight against MaxBytes.
func (c *Cache) weigh(k key, e *Entry) uint32 {
	w := uint64(len(k.base)+len(k.name)+len(k.reader)) + uint64(len(e.HTML)) + entryOverhead
	for _, t := range e.tags {
		w += uint64(len(t))
	}
	return uint32(min(max(w, uint64(c.minW)), 1<<31))
}

// deleted keeps the indexes in step as an entry leaves the cache (an
// eviction, an expiry, an invalidation), under the lock of its key: a
// replacement keeps the key in the indexes, which store updates itself.
func (c *Cache) deleted(ev otter.DeletionEvent[key, *Entry]) {
	if ev.Cause == otter.CauseReplacement {
		return
	}
	defer c.changed()
	c.mu.Lock()
	c.unindex(ev.Key, ev.Value, nil)
	c.mu.Unlock()
	if ev.WasEvicted() {
		c.m.evictions.WithLabelValues(strings.ToLower(ev.Cause.String())).Inc() // otter's are capitalized
	}
}

// Len returns the number of fragments held (an estimate while entries are
// being added or evicted).
func (c *Cache) Len() int { return c.frags.EstimatedSize() }

// Weight returns what the fragments held weigh against MaxBytes.
func (c *Cache) Weight() uint64 { return c.frags.WeightedSize() }

// Close stops the cache: every Load it runs is cancelled, and Close waits
// for them to return, or for ctx to end.
func (c *Cache) Close(ctx context.Context) error {
	c.mu.Lock() // begin counts loads in under it: none after this
	c.cancel()
	c.mu.Unlock()
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
		c.frags.StopAllGoroutines()
		return nil
	case <-ctx.Done():
		return fmt.Errorf("cache: close: loads still running: %w", ctx.Err())
	}
}
