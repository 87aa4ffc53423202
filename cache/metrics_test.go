package cache

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The cache counts its lookups by outcome, its loads by result, its
// evictions by cause and its invalidations by what and whence, on the
// registry it is given.
func TestMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := prometheus.NewRegistry()
		c := newTest(t, WithRegisterer(reg), MaxEntries(2), MaxBytes(1<<20))
		ctx := context.Background()
		src := newSource("v1")
		f := src.fill("front", "news")

		get(t, c, f) // miss, refresh ok
		c.Peek(f)    // hit
		time.Sleep(policy.Fresh + time.Second)
		src.set("", nil, errBackend)
		c.Peek(f) // stale, and a refresh that fails
		synctest.Wait()
		time.Sleep(policy.Stale)
		if _, o, _ := c.Get(ctx, f); o != StaleOnError { // a refresh that fails
			t.Fatalf("Get: %s", o)
		}

		// Two requests for a cold key: one miss, one coalesced.
		src.set("v1", nil, nil)
		release := src.hold()
		g := src.fill("story", "news")
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { get(t, c, g) })
		}
		synctest.Wait()
		release()
		wg.Wait()

		// A failure with nothing to serve instead.
		src.set("", nil, errBackend)
		if _, o, _ := c.Get(ctx, src.fill("sports")); o != Failed {
			t.Fatalf("Get: %s", o)
		}

		_ = c.InvalidateTags(ctx, "news", "home")
		_ = c.InvalidateKeys(ctx, "front")
		_ = c.Published(ctx, "ch", true, []byte("x"), *at(1, "e"))
		for _, m := range []*message{
			{Origin: "peer", Op: opInvalidate, Names: []string{"tnews"}},
			{Origin: "peer", Op: opInvalidate, Names: []string{"kfront", "kstory"}},
			{Origin: "peer", Op: opInvalidate, Names: []string{"cch"}},
			{Origin: "peer", Op: opPublish, Names: []string{"cch"}, Pos: at(2, "e")},
		} {
			if err := c.Receive(mustJSON(t, m)); err != nil {
				t.Fatal(err)
			}
		}

		if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP bigpipe_cache_lookups_total Cached pagelets served, by pagelet and outcome: hit, stale (served while one refresh runs), miss (loaded for this request), coalesced (waited for a load another request started), stale-if-error, failed (the fallback).
# TYPE bigpipe_cache_lookups_total counter
bigpipe_cache_lookups_total{outcome="coalesced",pagelet="news"} 1
bigpipe_cache_lookups_total{outcome="failed",pagelet="news"} 1
bigpipe_cache_lookups_total{outcome="hit",pagelet="news"} 1
bigpipe_cache_lookups_total{outcome="miss",pagelet="news"} 2
bigpipe_cache_lookups_total{outcome="stale",pagelet="news"} 1
bigpipe_cache_lookups_total{outcome="stale-if-error",pagelet="news"} 1
# HELP bigpipe_cache_refreshes_total Loads the cache ran (for a miss, an expiry or in the background), by pagelet and result (ok, failed).
# TYPE bigpipe_cache_refreshes_total counter
bigpipe_cache_refreshes_total{pagelet="news",result="failed"} 3
bigpipe_cache_refreshes_total{pagelet="news",result="ok"} 2
# HELP bigpipe_cache_invalidations_total Invalidations and publications applied, by what (tag, key, publication) and origin (local, or a peer on the bus).
# TYPE bigpipe_cache_invalidations_total counter
bigpipe_cache_invalidations_total{by="key",origin="local"} 1
bigpipe_cache_invalidations_total{by="key",origin="peer"} 2
bigpipe_cache_invalidations_total{by="publication",origin="local"} 1
bigpipe_cache_invalidations_total{by="publication",origin="peer"} 2
bigpipe_cache_invalidations_total{by="tag",origin="local"} 2
bigpipe_cache_invalidations_total{by="tag",origin="peer"} 1
`), "bigpipe_cache_lookups_total", "bigpipe_cache_refreshes_total", "bigpipe_cache_invalidations_total"); err != nil {
			t.Error(err)
		}
		if n := histogramCount(t, reg, "bigpipe_cache_load_seconds"); n != 5 {
			t.Errorf("load_seconds observations: %d, want one per load (5)", n)
		}

		// Evictions: a third fragment in a cache of two, then every one
		// past its lifetime.
		src.set("v1", nil, nil)
		get(t, c, src.fill("a"))
		get(t, c, src.fill("b"))
		get(t, c, src.fill("c"))
		c.frags.CleanUp()
		overflow := testutil.ToFloat64(c.m.evictions.WithLabelValues("overflow"))
		if overflow < 1 {
			t.Errorf("overflow evictions: %v, want at least 1", overflow)
		}
		time.Sleep(policy.Fresh + policy.StaleIfError + time.Second)
		c.frags.CleanUp()
		if got := testutil.ToFloat64(c.m.evictions.WithLabelValues("expiration")); got+overflow != 3+2 {
			t.Errorf("evictions: %v overflow, %v expiration; want 5 in all (a, b, c, front, story)", overflow, got)
		}
		if n, err := testutil.GatherAndCount(reg, "bigpipe_cache_evictions_total"); err != nil || n != 2 {
			t.Errorf("eviction series: %d, %v; want overflow and expiration", n, err)
		}
	})
}

// One registry takes one cache's metrics: a second cache on it is an
// error; on a registry of its own, or on none, it is not.
func TestMetricsRegisteredTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	newTest(t, WithRegisterer(reg))
	_, err := New(WithRegisterer(reg))
	var already prometheus.AlreadyRegisteredError
	if !errors.As(err, &already) || !strings.Contains(err.Error(), "registered twice") {
		t.Errorf("a second cache on one registry: %v", err)
	}
	newTest(t, WithRegisterer(prometheus.NewRegistry()))
	newTest(t)
	newTest(t)
}

func histogramCount(t *testing.T, reg *prometheus.Registry, name string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				n += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return n
}
