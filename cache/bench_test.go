package cache

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkPeekHit is the cost of serving a fresh fragment: what every
// request pays for each cached pagelet.
func BenchmarkPeekHit(b *testing.B) {
	c := newTest(b)
	src := newSource("<p>front</p>")
	f := src.fill("front", "news")
	f.Policy.Fresh = time.Hour
	get(b, c, f)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, o, ok := c.Peek(f); !ok || o != Hit {
				b.Errorf("Peek: %s, %t", o, ok)
				return
			}
		}
	})
}

// BenchmarkGetCoalesced is the cost, per request, of 64 requests for a
// cold key waiting for its one load: each op is one such key.
func BenchmarkGetCoalesced(b *testing.B) {
	const waiters = 64
	c := newTest(b, MaxEntries(1000), MaxBytes(1<<20))
	var loads atomic.Int64
	markup := []byte("<p>front</p>")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		gate := make(chan struct{})
		var joined sync.WaitGroup
		joined.Add(waiters)
		f := &Fill{
			Name: "news", Policy: policy, Timeout: time.Minute,
			Source: LoadFunc(func(context.Context) ([]byte, *Position, error) {
				loads.Add(1)
				<-gate
				return markup, nil, nil
			}),
		}
		f.Policy.Key = "front:" + strconv.Itoa(i)
		var wg sync.WaitGroup
		for range waiters {
			wg.Go(func() {
				joined.Done()
				if _, _, err := c.Get(context.Background(), f); err != nil {
					b.Error(err)
				}
			})
		}
		joined.Wait()
		close(gate)
		wg.Wait()
	}
	b.ReportMetric(float64(b.N*waiters)/float64(loads.Load()), "requests/load")
}
