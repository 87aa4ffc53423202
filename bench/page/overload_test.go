package page

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/render"
)

// overloadBurst is what one burst of slow pages did to the server.
type overloadBurst struct {
	complete, shed, other int
	retryAfter            string
	firstShed             time.Duration // from the burst's start to the first 503
	peakHeap              uint64        // highest HeapInuse sampled during the burst
	took                  time.Duration
}

// burst fires n concurrent requests for a page of six 1-second pagelets
// (gzip accepted, as browsers do, so every admitted stream also holds a
// compressor) against a fresh in-process server with the given limits.
func burst(t *testing.T, n int, limits render.Limits) overloadBurst {
	t.Helper()
	srv, err := measure.StartLocal(render.WithLimits(limits))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	url := srv.URL + "/bench?delays=1000,1000,1000,1000,1000,1000"

	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})

	var b overloadBurst
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
			req.Header.Set("User-Agent", ChromeUA)
			resp, err := client.Do(req)
			if err != nil {
				mu.Lock()
				b.other++
				mu.Unlock()
				t.Errorf("request failed: %v", err)
				return
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && resp.StatusCode == 200 && strings.HasSuffix(strings.TrimSpace(string(body)), "</html>"):
				b.complete++
			case err == nil && resp.StatusCode == 503 && resp.Header.Get("Retry-After") != "":
				if b.shed == 0 {
					b.firstShed = time.Since(start)
				}
				b.shed++
				b.retryAfter = resp.Header.Get("Retry-After")
			default:
				b.other++
				t.Errorf("unexpected answer: %d, %v, %.80q", resp.StatusCode, err, body)
			}
		})
	}
	wg.Wait()
	b.took = time.Since(start)
	close(stop)
	sampler.Wait()
	b.peakHeap = peak.Load()
	return b
}

// TestOverloadSheds sends one burst of slow pages far beyond the fetch
// budget, then the same burst with no limits: with limits, the pages that
// fit complete, every other one is shed at once with 503 and Retry-After
// (none waits, none fails otherwise), and the heap at the burst's peak is a
// fraction of what the unlimited server holds.
//
// Figures: go test -run TestOverloadSheds -v ./bench
func TestOverloadSheds(t *testing.T) {
	const n = 300
	limits := render.Limits{Fetches: 36, Queue: 36} // 72 pagelets: 12 pages of 6
	limited := burst(t, n, limits)
	unlimited := burst(t, n, render.Limits{})

	t.Logf("burst of %d pages of six 1 s pagelets, gzip, in-process server on loopback", n)
	t.Logf("%-32s %9s %5s %5s %10s %12s %9s", "", "complete", "shed", "other", "first 503", "peak heap", "took")
	for _, r := range []struct {
		name string
		b    overloadBurst
	}{{fmt.Sprintf("limits %d fetches + %d queued", limits.Fetches, limits.Queue), limited}, {"no limits", unlimited}} {
		t.Logf("%-32s %9d %5d %5d %10v %12s %9v", r.name, r.b.complete, r.b.shed, r.b.other,
			r.b.firstShed.Round(time.Millisecond), fmt.Sprintf("%.1f MiB", float64(r.b.peakHeap)/(1<<20)), r.b.took.Round(time.Millisecond))
	}

	// The bound itself is checked exactly by render's TestProcessFetchBound
	// and TestShedding; here, with a budget of 12 pages, most of a burst of
	// 300 one-second pages must be shed even if a slow machine spreads the
	// burst over a few seconds.
	if limited.complete < 1 || limited.shed < n/2 {
		t.Errorf("with limits: %d pages completed and %d shed; want at least 1 completed and most of %d shed", limited.complete, limited.shed, n)
	}
	if limited.shed+limited.complete != n || limited.retryAfter != "1" {
		t.Errorf("with limits: %d complete + %d shed (Retry-After %q) of %d; want every other page shed with Retry-After 1",
			limited.complete, limited.shed, limited.retryAfter, n)
	}
	if unlimited.complete != n {
		t.Errorf("without limits: %d of %d pages completed", unlimited.complete, n)
	}
	if limited.peakHeap*2 > unlimited.peakHeap {
		t.Errorf("peak heap with limits %d MiB, without %d MiB: want the limits to hold it under half", limited.peakHeap>>20, unlimited.peakHeap>>20)
	}
}
