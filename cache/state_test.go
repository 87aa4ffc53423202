package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// A fragment loaded at t0 is, at each age, served as its policy says
// (Fresh a minute, Stale one more, StaleIfError ten after Fresh), the
// backend either up (the refresh brings "v2") or down.
func TestGetByAge(t *testing.T) {
	for _, tc := range []struct {
		name      string
		age       time.Duration
		down      bool // the backend fails from t0 on
		invalid   bool // the fragment was invalidated at t0
		want      Outcome
		wantHTML  string
		wantErr   bool
		wantLoads int32 // Loads run, the first one's included, once the background ones are done
		thenPeek  string
	}{
		{name: "fresh is a hit", age: 30 * time.Second, want: Hit, wantHTML: "v1", wantLoads: 1, thenPeek: "v1"},
		{name: "stale is served at once and refreshed", age: 90 * time.Second, want: StaleHit, wantHTML: "v1", wantLoads: 2, thenPeek: "v2"},
		{name: "stale with the backend down stays stale", age: 90 * time.Second, down: true, want: StaleHit, wantHTML: "v1", wantLoads: 2, thenPeek: "v1"},
		{name: "past stale is loaded", age: 3 * time.Minute, want: Miss, wantHTML: "v2", wantLoads: 2, thenPeek: "v2"},
		{name: "past stale with the backend down is served on error", age: 3 * time.Minute, down: true, want: StaleOnError, wantHTML: "v1", wantErr: true, wantLoads: 2},
		{name: "past stale-if-error with the backend down fails", age: 12 * time.Minute, down: true, want: Failed, wantErr: true, wantLoads: 2},
		{name: "past stale-if-error is loaded", age: 12 * time.Minute, want: Miss, wantHTML: "v2", wantLoads: 2, thenPeek: "v2"},
		{name: "invalidated while fresh is loaded", age: 30 * time.Second, invalid: true, want: Miss, wantHTML: "v2", wantLoads: 2, thenPeek: "v2"},
		{name: "invalidated with the backend down is served on error", age: 30 * time.Second, invalid: true, down: true, want: StaleOnError, wantHTML: "v1", wantErr: true, wantLoads: 2},
		{name: "invalidated and past stale-if-error fails", age: 12 * time.Minute, invalid: true, down: true, want: Failed, wantErr: true, wantLoads: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newTest(t)
				src := newSource("v1")
				f := src.fill("front", "news")
				if _, o := get(t, c, f); o != Miss {
					t.Fatalf("first Get: %s, want miss", o)
				}
				if tc.invalid {
					if err := c.InvalidateTags(context.Background(), "news"); err != nil {
						t.Fatal(err)
					}
				}
				src.set("v2", nil, nil)
				if tc.down {
					src.set("", nil, errBackend)
				}
				time.Sleep(tc.age)

				e, o, err := c.Get(context.Background(), f)
				if o != tc.want || html(e) != tc.wantHTML || (err != nil) != tc.wantErr {
					t.Fatalf("Get at %v: %q, %s, %v; want %q, %s, error %t", tc.age, html(e), o, err, tc.wantHTML, tc.want, tc.wantErr)
				}
				if tc.wantErr && !errors.Is(err, errBackend) {
					t.Errorf("Get's error: %v, want the Load's", err)
				}
				if o == Failed && e != nil {
					t.Errorf("Failed with an entry")
				}
				synctest.Wait() // the background refresh, if any
				if n := src.calls.Load(); n != tc.wantLoads {
					t.Errorf("Loads: %d, want %d", n, tc.wantLoads)
				}
				e, o, ok := c.Peek(f)
				if got := html(e); got != tc.thenPeek || ok != (tc.thenPeek != "") {
					t.Errorf("Peek after: %q, %s, %t; want %q", got, o, ok, tc.thenPeek)
				}
			})
		})
	}
}

// Past StaleIfError, otter itself lets the entry go (its clock is the
// bubble's), and the next Get loads again.
// An invalidation on the way does not lengthen its life.
func TestExpiredEntryLeavesOtter(t *testing.T) {
	for _, invalidated := range []bool{false, true} {
		t.Run(fmt.Sprint("invalidated=", invalidated), func(t *testing.T) { testExpiredEntryLeavesOtter(t, invalidated) })
	}
}

func testExpiredEntryLeavesOtter(t *testing.T, invalidated bool) {
	synctest.Test(t, func(t *testing.T) {
		c := newTest(t)
		src := newSource("v1")
		f := src.fill("front", "stories")
		get(t, c, f)
		if invalidated {
			time.Sleep(policy.Fresh)
			if err := c.InvalidateTags(context.Background(), "stories"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(policy.StaleIfError - time.Second)
		} else {
			time.Sleep(policy.Fresh + policy.StaleIfError - time.Second)
		}
		if _, ok := c.frags.GetIfPresent(f.key()); !ok {
			t.Fatal("gone from otter before its lifetime")
		}
		time.Sleep(2 * time.Second)
		if _, ok := c.frags.GetIfPresent(f.key()); ok {
			t.Fatal("still in otter past its lifetime")
		}
		c.frags.CleanUp()
		if n := c.Len(); n != 0 {
			t.Errorf("Len: %d, want 0", n)
		}
		c.mu.Lock()
		if len(c.idx) != 0 {
			t.Errorf("index after expiry: %v", c.idx)
		}
		c.mu.Unlock()
		if _, o := get(t, c, f); o != Miss || src.calls.Load() != 2 {
			t.Errorf("Get after expiry: %s, %d Loads; want miss, 2", o, src.calls.Load())
		}
	})
}

// However many requests find a fragment stale at once, one refresh runs,
// and each of them is served the stale fragment without waiting for it.
func TestStaleRefreshesOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(c *Cache, f *Fill) (*Entry, Outcome, bool)
	}{
		{"Peek", func(c *Cache, f *Fill) (*Entry, Outcome, bool) { return c.Peek(f) }},
		{"Get", func(c *Cache, f *Fill) (*Entry, Outcome, bool) {
			e, o, err := c.Get(context.Background(), f)
			return e, o, err == nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newTest(t)
				src := newSource("v1")
				f := src.fill("front")
				get(t, c, f)
				time.Sleep(policy.Fresh + time.Second)
				src.set("v2", nil, nil)
				release := src.hold() // the refresh runs until every request is served

				const n = 50
				var wg sync.WaitGroup
				for range n {
					wg.Go(func() {
						e, o, ok := tc.call(c, f)
						if !ok || o != StaleHit || html(e) != "v1" {
							t.Errorf("%q, %s, %t; want v1, stale", html(e), o, ok)
						}
					})
				}
				wg.Wait() // none waits for the refresh
				synctest.Wait()
				if got := src.calls.Load(); got != 2 {
					t.Errorf("Loads while %d requests found it stale: %d, want 2 (the first and one refresh)", n, got)
				}
				release()
				synctest.Wait()
				if e, o, ok := c.Peek(f); !ok || o != Hit || html(e) != "v2" {
					t.Errorf("after the refresh: %q, %s, %t; want v2, hit", html(e), o, ok)
				}
				if got := src.calls.Load(); got != 2 {
					t.Errorf("Loads: %d, want 2", got)
				}
			})
		})
	}
}

// A fragment fresh again after its refresh is fresh for Fresh from then.
func TestRefreshRestartsTheClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newTest(t)
		src := newSource("v1")
		f := src.fill("front")
		get(t, c, f)
		time.Sleep(policy.Fresh + time.Second)
		c.Peek(f) // the refresh
		synctest.Wait()
		time.Sleep(policy.Fresh - 2*time.Second)
		if _, o, ok := c.Peek(f); !ok || o != Hit {
			t.Errorf("within Fresh of the refresh: %s, %t; want hit", o, ok)
		}
		time.Sleep(2 * time.Second)
		if _, o, ok := c.Peek(f); !ok || o != StaleHit {
			t.Errorf("past Fresh of the refresh: %s, %t; want stale", o, ok)
		}
		synctest.Wait()
	})
}

// Peek serves nothing it would have to load.
func TestPeekMisses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newTest(t)
		src := newSource("v1")
		f := src.fill("front")
		if e, o, ok := c.Peek(f); ok || e != nil || o != "" {
			t.Errorf("Peek of a cold key: %v, %q, %t", e, o, ok)
		}
		get(t, c, f)
		time.Sleep(policy.Fresh + policy.Stale)
		if _, _, ok := c.Peek(f); ok {
			t.Error("Peek past Stale served the fragment")
		}
		synctest.Wait()
		if n := src.calls.Load(); n != 1 {
			t.Errorf("Loads: %d; Peek loads only what it serves stale", n)
		}
	})
}
