package render_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// TestShedding fills the fetch budget with one page and checks that the
// next page is shed at once with 503, Retry-After and a message, and that
// pages are admitted again once the budget is free.
func TestShedding(t *testing.T) {
	gate := make(chan struct{})
	obs := newPageRecorder()
	srv := servePage(t, pageOf(gated("a", gate), gated("b", gate)),
		render.WithLimits(render.Limits{Fetches: 1, Queue: 1, RetryAfter: 1500 * time.Millisecond}), render.WithObserver(obs))

	first := open(t, srv.URL, chromeUA)
	if _, err := first.Until("bigPipe.setup"); err != nil { // skeleton: the page is admitted and running
		t.Fatal(err)
	}
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "2" || !strings.Contains(string(body), "capacity") {
		t.Errorf("over budget: %d, Retry-After %q, body %q; want 503, 2, a message about capacity", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	obs.wait(t, 1)
	if got := obs.last(); got.Outcome != render.Shed || got.Status != 503 {
		t.Errorf("observed %q %d, want shed 503", got.Outcome, got.Status)
	}

	close(gate)
	if err := first.ReadAll(); err != nil {
		t.Fatal(err)
	}
	obs.wait(t, 1)
	if s := get(t, srv.URL, chromeUA); s.Status != 200 {
		t.Errorf("after the budget freed: status %d, want 200", s.Status)
	}
}

// TestPageFetchesByPriority checks that with PageFetches 1 the pagelets of
// a page load one at a time, highest priority first, then in document order.
func TestPageFetchesByPriority(t *testing.T) {
	var mu sync.Mutex
	var order []string
	var running, most atomic.Int32
	pl := func(id string, prio int) pagelet.Pagelet {
		return pagelet.Pagelet{ID: id, Priority: prio, Load: func(context.Context) (templ.Component, error) {
			n := running.Add(1)
			defer running.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			mu.Lock()
			order = append(order, id)
			mu.Unlock()
			return text(marker(id)), nil
		}}
	}
	srv := servePage(t, pageOf(pl("a", 0), pl("b", 2), pl("c", 0), pl("d", 5)), render.WithLimits(render.Limits{PageFetches: 1}))
	s := get(t, srv.URL, chromeUA)
	for _, id := range []string{"a", "b", "c", "d"} {
		if !strings.Contains(string(s.Body()), marker(id)) {
			t.Errorf("pagelet %s missing", id)
		}
	}
	if got, want := strings.Join(order, ","), "d,b,a,c"; got != want {
		t.Errorf("load order %s, want %s", got, want)
	}
	if most.Load() != 1 {
		t.Errorf("%d loads ran at once, want 1", most.Load())
	}
}

// TestProcessFetchBound runs several pages at once against a process-wide
// bound of two loads: never more run at once, and every page completes.
func TestProcessFetchBound(t *testing.T) {
	var running, most atomic.Int32
	pl := func(id string) pagelet.Pagelet {
		return pagelet.Pagelet{ID: id, Load: func(ctx context.Context) (templ.Component, error) {
			n := running.Add(1)
			defer running.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			select {
			case <-time.After(10 * time.Millisecond):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return text(marker(id)), nil
		}}
	}
	srv := servePage(t, pageOf(pl("a"), pl("b"), pl("c")), render.WithLimits(render.Limits{Fetches: 2, Queue: 100}))
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			s := get(t, srv.URL, chromeUA)
			for _, id := range []string{"a", "b", "c"} {
				if !strings.Contains(string(s.Body()), marker(id)) {
					t.Errorf("pagelet %s missing", id)
				}
			}
		})
	}
	wg.Wait()
	if m := most.Load(); m > 2 {
		t.Errorf("%d loads ran at once, want at most 2", m)
	}
}

// TestQueuedPageletTimesOut checks that a pagelet waiting for a fetch slot
// gives up at its own deadline with its fallback, counted as a timeout
// with its time in the queue.
func TestQueuedPageletTimesOut(t *testing.T) {
	gate := make(chan struct{})
	t.Cleanup(func() { close(gate) })
	obs := newPageRecorder()
	hog := gated("hog", gate)
	hog.Priority = 1 // takes the only slot first
	hog.Timeout = 5 * time.Second
	waiting := delayed("waiting", 0)
	waiting.Timeout = 50 * time.Millisecond
	srv := servePage(t, pageOf(hog, waiting), render.WithLimits(render.Limits{Fetches: 1, PageFetches: 1}), render.WithObserver(obs))
	s := open(t, srv.URL, chromeUA)
	if _, err := s.Until(payloadOf("waiting")); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(s.Body()), marker("waiting")) {
		t.Error("the queued pagelet rendered although no slot was free")
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.pagelets) == 0 || obs.pagelets[0].ID != "waiting" || obs.pagelets[0].Failure != render.FailTimeout {
		t.Fatalf("pagelets observed %+v, want waiting timed out first", obs.pagelets)
	}
}

// TestPageLimit holds one page open against Limits.Pages 1 (and no fetch
// budget, as for a page whose pagelets are all cached) and checks that
// another page and a fragment of it are shed at once with 503 and
// Retry-After, and that pages are admitted again once the first is done.
func TestPageLimit(t *testing.T) {
	gate := make(chan struct{})
	obs := newPageRecorder()
	srv := servePage(t, pageOf(gated("a", gate), delayed("b", 0)),
		render.WithLimits(render.Limits{Pages: 1}), render.WithObserver(obs))

	first := open(t, srv.URL, chromeUA)
	if _, err := first.Until("bigPipe.setup"); err != nil { // the page is admitted and running
		t.Fatal(err)
	}
	for _, u := range []string{srv.URL, srv.URL + "/?" + render.FragmentParam + "=b"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
			t.Errorf("GET %s over the page limit: %d, Retry-After %q; want 503, 1", u, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		obs.wait(t, 1)
		if got := obs.last(); got.Outcome != render.Shed {
			t.Errorf("GET %s observed %q, want shed", u, got.Outcome)
		}
	}

	close(gate)
	if err := first.ReadAll(); err != nil {
		t.Fatal(err)
	}
	obs.wait(t, 1)
	if s := get(t, srv.URL, chromeUA); s.Status != 200 {
		t.Errorf("after the first page: status %d, want 200", s.Status)
	}
}
