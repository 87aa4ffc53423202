package cache

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the cache's, by pagelet where they concern one: a site has
// few pagelets, and a key would make a series per article.
type metrics struct {
	lookups       *prometheus.CounterVec   // by pagelet and outcome
	hits          sync.Map                 // pagelet name → its hit counter: every cached pagelet of every page counts one, without the vector's label hashing
	refreshes     *prometheus.CounterVec   // loads run, by pagelet and result
	loadSeconds   *prometheus.HistogramVec // by pagelet
	evictions     *prometheus.CounterVec   // by cause
	invalidations *prometheus.CounterVec   // by what (tag, key, publication) and origin (local, peer)
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bigpipe_cache_lookups_total",
			Help: "Cached pagelets served, by pagelet and outcome: hit, stale (served while one refresh runs), miss (loaded for this request), " +
				"coalesced (waited for a load another request started), stale-if-error, failed (the fallback).",
		}, []string{"pagelet", "outcome"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bigpipe_cache_refreshes_total", Help: "Loads the cache ran (for a miss, an expiry or in the background), by pagelet and result (ok, failed).",
		}, []string{"pagelet", "result"}),
		loadSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bigpipe_cache_load_seconds", Help: "Time the cache's loads took, by pagelet.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"pagelet"}),
		evictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bigpipe_cache_evictions_total", Help: "Fragments the cache let go, by cause: overflow (the bounds), expiration (past every use).",
		}, []string{"cause"}),
		invalidations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bigpipe_cache_invalidations_total", Help: "Invalidations and publications applied, by what (tag, key, publication) and origin (local, or a peer on the bus).",
		}, []string{"by", "origin"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.lookups, m.refreshes, m.loadSeconds, m.evictions, m.invalidations} {
		if err := reg.Register(c); err != nil {
			var already prometheus.AlreadyRegisteredError
			if errors.As(err, &already) {
				return nil, fmt.Errorf("cache: metrics registered twice (one cache per registry): %w", err)
			}
			return nil, fmt.Errorf("cache: metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) lookup(pagelet string, o Outcome) {
	if o != Hit {
		m.lookups.WithLabelValues(pagelet, string(o)).Inc()
		return
	}
	m.hitCounter(pagelet).Inc()
}

// hitCounter is pagelet's counter of hits. A stored entry keeps its own
// (Entry.hits), so that a hit costs no lookup of it.
func (m *metrics) hitCounter(pagelet string) prometheus.Counter {
	c, ok := m.hits.Load(pagelet)
	if !ok {
		c, _ = m.hits.LoadOrStore(pagelet, m.lookups.WithLabelValues(pagelet, string(Hit)))
	}
	return c.(prometheus.Counter)
}

func (m *metrics) refresh(pagelet string, ok bool, d time.Duration) {
	result := "ok"
	if !ok {
		result = "failed"
	}
	m.refreshes.WithLabelValues(pagelet, result).Inc()
	m.loadSeconds.WithLabelValues(pagelet).Observe(d.Seconds())
}
