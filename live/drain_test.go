package live_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestDrain: a drain refuses new connections at once (503, Retry-After),
// reports Draining, and disconnects every client with the reconnect code
// 3001 at moments spread over the whole window, none after it; then the
// engine is closed. The moments are when the clients read their
// disconnects, which a starved machine (-race, other tests) delays: the
// checks allow for a stall of up to a second (slack; and halves of the
// window, not finer buckets). The engine's own schedule is uniform within
// the window (disconnectSpread); what they catch is a drain that
// disconnects everyone at once, or waits past the window.
func TestDrain(t *testing.T) {
	checkLeaks(t)
	const (
		clients = 50
		window  = 2 * time.Second
		slack   = time.Second
	)
	f := newFixture(t)
	tok := f.token(t, "scores")
	type end struct {
		after time.Duration
		code  uint32
	}
	var (
		mu   sync.Mutex
		ends []end
		wg   sync.WaitGroup
	)
	streams := make([]*sseStream, clients)
	for i := range streams {
		streams[i] = f.dialSSE(t, connectCmd(t, tok, nil))
		streams[i].connected(t)
	}
	if f.eng.Draining() {
		t.Fatal("Draining before Drain")
	}
	start := time.Now()
	for _, s := range streams {
		wg.Go(func() {
			var code uint32
			for frame := range s.frames {
				for _, r := range parseReplies(t, frame) {
					if r.Push != nil && r.Push.Disconnect != nil && code == 0 {
						code = r.Push.Disconnect.Code
					}
				}
			}
			mu.Lock()
			ends = append(ends, end{time.Since(start), code})
			mu.Unlock()
		})
	}
	drained := make(chan error, 1)
	go func() { drained <- f.eng.Drain(context.Background(), window) }()
	for !f.eng.Draining() {
		time.Sleep(time.Millisecond)
	}
	res, err := f.srv.Client().Get(f.srv.URL + f.eng.Path() + "sse")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("a connection during the drain: %s, Retry-After %q; want 503 with Retry-After", res.Status, res.Header.Get("Retry-After"))
	}
	select {
	case err := <-drained:
		if err != nil {
			t.Errorf("Drain: %v", err)
		}
	case <-time.After(window + 10*time.Second):
		t.Fatal("Drain did not return")
	}
	wg.Wait()

	if len(ends) != clients {
		t.Fatalf("%d streams ended, want %d", len(ends), clients)
	}
	slices.SortFunc(ends, func(a, b end) int { return int(a.after - b.after) })
	buckets := make([]int, 2) // halves of the window: 50 uniform draws leave one empty with p ≈ 2e-15
	for _, e := range ends {
		if e.code != 3001 {
			t.Errorf("disconnect code %d, want 3001 (shutdown: reconnect)", e.code)
		}
		buckets[min(int(e.after*2/window), 1)]++
	}
	if last := ends[len(ends)-1].after; last > window+slack {
		t.Errorf("last disconnect %v after the drain began, past the window %v and %v of slack", last, window, slack)
	}
	if slices.Contains(buckets, 0) {
		t.Errorf("disconnects per half of the window: %v; want them spread over all of it (first %v, last %v)",
			buckets, ends[0].after, ends[len(ends)-1].after)
	}
	t.Logf("disconnects per half of the %v window: %v (first %v, last %v)", window, buckets, ends[0].after.Round(time.Millisecond), ends[len(ends)-1].after.Round(time.Millisecond))
	waitMetric(t, f.reg, "bigpipe_live_drained_total", nil, clients, time.Second)
}
