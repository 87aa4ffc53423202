package cache

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// However many fragments go through it, the cache holds no more than
// MaxEntries of them and no more than MaxBytes, and its index holds the
// keys it holds and no others.
//
// otter applies its bounds in its maintenance, which runs after writes
// (in goroutines of its own) and periodically: CleanUp runs what is
// pending, under otter's eviction lock, so that once it returns every
// eviction due has been made and its OnAtomicDeletion (which unindexes the
// key) has run.
func TestBounds(t *testing.T) {
	for _, tc := range []struct {
		name       string
		keys       int
		html       int // bytes of markup each
		maxEntries int
		maxBytes   int64
	}{
		{"bytes bind", 100_000, 1 << 10, 10_000, 8 << 20},
		{"entries bind", 100_000, 16, 10_000, 8 << 20},
		{"one fragment larger than the cache", 10, 2 << 10, 10, 1 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys := tc.keys
			if (testing.Short() || raceDetector) && keys > 2*tc.maxEntries {
				keys = 2 * tc.maxEntries // -race makes each load ten times dearer
			}
			reg := prometheus.NewRegistry()
			c := newTest(t, MaxEntries(tc.maxEntries), MaxBytes(tc.maxBytes), WithRegisterer(reg))
			markup := bytes.Repeat([]byte("x"), tc.html)
			ctx := context.Background()
			for i := range keys {
				f := &Fill{
					Name: "item", Policy: policy, Timeout: policy.Fresh,
					Source: LoadFunc(func(context.Context) ([]byte, *Position, error) { return markup, nil, nil }),
				}
				f.Policy.Key = fmt.Sprint("item:", i)
				f.Policy.Tags = []string{"items", fmt.Sprint("item:", i)}
				f.Channel = fmt.Sprint("ch:", i%100)
				if _, _, err := c.Get(ctx, f); err != nil {
					t.Fatal(err)
				}
			}
			c.frags.CleanUp()

			if n := c.Len(); n > tc.maxEntries {
				t.Errorf("Len: %d, bound %d", n, tc.maxEntries)
			}
			if w := c.Weight(); w > uint64(tc.maxBytes) {
				t.Errorf("Weight: %d, bound %d", w, tc.maxBytes)
			}
			held := map[key]bool{}
			for k := range c.frags.Keys() {
				held[k] = true
			}
			if len(held) > tc.maxEntries || len(held) != c.Len() {
				t.Errorf("%d keys held, Len %d, bound %d", len(held), c.Len(), tc.maxEntries)
			}
			t.Logf("%d of %d fragments held, weighing %d", len(held), keys, c.Weight())

			// The index: each key held under its names, and nothing else.
			c.mu.Lock()
			defer c.mu.Unlock()
			indexed := map[key]bool{}
			for name, ks := range c.idx {
				if len(ks) == 0 {
					t.Errorf("an empty set left under %q", name)
				}
				for k := range ks {
					if !held[k] {
						t.Fatalf("%q indexed under %q, but not held", k, name)
					}
					indexed[k] = true
				}
			}
			if len(indexed) != len(held) || len(c.idx["titems"]) != len(held) {
				t.Errorf("%d keys indexed, %d under the shared tag, %d held", len(indexed), len(c.idx["titems"]), len(held))
			}
			// One name per key ("t" and "k" of item:i), the shared tag, the channels.
			if max := 2*len(held) + 1 + 100; len(c.idx) > max {
				t.Errorf("%d names indexed for %d keys (at most %d)", len(c.idx), len(held), max)
			}
			if len(c.flights) != 0 {
				t.Errorf("%d flights left", len(c.flights))
			}

			evicted := testutil.ToFloat64(c.m.evictions.WithLabelValues("overflow"))
			if got := int(evicted) + len(held); got != keys {
				t.Errorf("evictions (%v) and fragments held (%d) add up to %d, not the %d stored", evicted, len(held), got, keys)
			}
			if n, err := testutil.GatherAndCount(reg, "bigpipe_cache_evictions_total"); err != nil || n != 1 {
				t.Errorf("eviction series: %d, %v; want overflow alone", n, err)
			}
		})
	}
}

// New refuses bounds that hold nothing, and an entry weighs at least
// MaxBytes/MaxEntries, so that the byte bound is also the entry bound.
func TestNewBounds(t *testing.T) {
	for _, tc := range []struct {
		opts    []Option
		wantErr bool
		minW    uint32
	}{
		{nil, false, DefaultMaxBytes/DefaultMaxEntries + 1}, // rounded up
		{[]Option{MaxEntries(1000), MaxBytes(1 << 20)}, false, 1049},
		{[]Option{MaxEntries(1024), MaxBytes(1 << 20)}, false, 1024},
		{[]Option{MaxEntries(0)}, true, 0},
		{[]Option{MaxBytes(-1)}, true, 0},
		{[]Option{MaxEntries(10), MaxBytes(5)}, false, 1},
		{[]Option{MaxEntries(1), MaxBytes(1 << 40)}, false, 1 << 31},
	} {
		c, err := New(tc.opts...)
		if (err != nil) != tc.wantErr {
			t.Errorf("New(%d options): %v", len(tc.opts), err)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), "bounds must be positive") {
				t.Errorf("error: %v", err)
			}
			continue
		}
		if c.minW != tc.minW {
			t.Errorf("New(%d options): least weight %d, want %d", len(tc.opts), c.minW, tc.minW)
		}
		if err := c.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}
}
