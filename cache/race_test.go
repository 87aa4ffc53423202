package cache

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// An invalidation or a publication that comes while a Load runs is never
// lost, however close it comes to the Load's end: whichever way the two
// interleave, the fragment the Load stores is expired (or replaced).
func TestChangeRacesLoadEnd(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(c *Cache, i int) // of fragment i alone: the test stays linear
		check  func(e *Entry, o Outcome, ok bool) bool
	}{
		{
			name:   "invalidation",
			change: func(c *Cache, i int) { _ = c.InvalidateTags(ctx, fmt.Sprint("news", i)) },
			check:  func(e *Entry, o Outcome, ok bool) bool { return !ok },
		},
		{
			name: "state publication",
			change: func(c *Cache, i int) {
				_ = c.Published(ctx, fmt.Sprint("ch", i), true, []byte("published"), *at(6, "e"))
			},
			check: func(e *Entry, o Outcome, ok bool) bool { return ok && html(e) == "published" },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTest(t)
			n := 5000
			if testing.Short() {
				n = 500
			}
			lost := 0
			for i := range n {
				started := make(chan struct{})
				src := newSource("loaded")
				src.set("loaded", at(5, "e"), nil)
				f := src.fill(fmt.Sprint("front", i), fmt.Sprint("news", i))
				f.Channel = fmt.Sprint("ch", i)
				f.Source = LoadFunc(func(ctx context.Context) ([]byte, *Position, error) {
					close(started) // it reads its data after this
					return src.load(ctx)
				})
				var wg sync.WaitGroup
				wg.Go(func() { _, _, _ = c.Get(ctx, f) })
				<-started
				tc.change(c, i)
				wg.Wait()
				if e, o, ok := c.Peek(f); !tc.check(e, o, ok) {
					lost++
				}
			}
			if lost > 0 {
				t.Errorf("%d of %d changes that came while the Load ran were lost", lost, n)
			}
		})
	}
}
