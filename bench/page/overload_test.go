package page

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/internal/headless"
	"github.com/bigpipe-go/bigpipe/render"
)

// overloadBurst is what one burst of slow pages did to the server.
type overloadBurst struct {
	complete, shed, other int
	retryAfter            string
	firstShed             time.Duration // from the burst's start to the first 503
	peakPagelets          int           // most pagelets admitted at once, by the server's own account
	took                  time.Duration
}

// overloadWorkers is how many requests a burst has in flight at once: far
// beyond the limited server's budget of 12 pages, and few enough that the
// listen backlog and the server's accept loop keep up on a busy machine (an
// unbounded burst of 300 connections once lost one to EOF there).
const overloadWorkers = 48

// pageletSpans is a render.Observer that keeps, for every pagelet the
// server settled, when it was admitted (waiting for a fetch slot, loading,
// rendering) and when it settled: the server's own account of the work it
// held at once, which nothing else in the process moves. A shed page has
// no pagelets.
type pageletSpans struct {
	mu    sync.Mutex
	spans [][2]time.Time
}

func (o *pageletSpans) PageStarted(*http.Request)                {}
func (o *pageletSpans) PageDone(*http.Request, render.PageStats) {}
func (o *pageletSpans) PageletDone(_ *http.Request, s render.PageletStats) {
	end := time.Now()
	o.mu.Lock()
	o.spans = append(o.spans, [2]time.Time{end.Add(-(s.Queue + s.Fetch + s.Render)), end})
	o.mu.Unlock()
}

// peak is the most spans that overlap at one moment.
func (o *pageletSpans) peak() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	type edge struct {
		at time.Time
		d  int
	}
	var edges []edge
	for _, s := range o.spans {
		edges = append(edges, edge{s[0], 1}, edge{s[1], -1})
	}
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.d - b.d // an end before a start at the same instant
	})
	n, peak := 0, 0
	for _, e := range edges {
		n += e.d
		peak = max(peak, n)
	}
	return peak
}

// burst sends n requests for a page of six 1-second pagelets (gzip
// accepted, as browsers do, so every admitted stream also holds a
// compressor), overloadWorkers at a time, against a fresh in-process server
// with the given limits.
func burst(t *testing.T, n int, limits render.Limits) overloadBurst {
	t.Helper()
	obs := &pageletSpans{}
	srv, err := measure.StartLocal(render.WithLimits(limits), render.WithObserver(obs))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: overloadWorkers}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	url := srv.URL + "/bench?delays=1000,1000,1000,1000,1000,1000"

	var b overloadBurst
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan struct{})
	start := time.Now()
	for range overloadWorkers {
		wg.Go(func() {
			for range next {
				status, retryAfter, err := overloadGet(client, url)
				mu.Lock()
				b.note(t, status, retryAfter, err, start)
				mu.Unlock()
			}
		})
	}
	for range n {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	b.took = time.Since(start)
	b.peakPagelets = obs.peak()
	return b
}

// overloadGet fetches url whole: its status and Retry-After, and an error
// unless the answer is a whole page or a 503 with Retry-After.
func overloadGet(client *http.Client, url string) (int, string, error) {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	req.Header.Set("User-Agent", headless.ChromeUA)
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("request failed: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	switch {
	case err == nil && resp.StatusCode == 200 && strings.HasSuffix(strings.TrimSpace(string(body)), "</html>"):
		return 200, "", nil
	case err == nil && resp.StatusCode == 503 && resp.Header.Get("Retry-After") != "":
		return 503, resp.Header.Get("Retry-After"), nil
	}
	return resp.StatusCode, "", fmt.Errorf("unexpected answer: %d, %v, %.80q", resp.StatusCode, err, body)
}

// note counts one answer of the burst.
func (b *overloadBurst) note(t *testing.T, status int, retryAfter string, err error, start time.Time) {
	switch {
	case err != nil:
		b.other++
		t.Error(err)
	case status == 200:
		b.complete++
	default:
		if b.shed == 0 {
			b.firstShed = time.Since(start)
		}
		b.shed++
		b.retryAfter = retryAfter
	}
}

// TestOverloadSheds sends one burst of slow pages far beyond the fetch
// budget, then the same burst with no limits: with limits, the pages that
// fit complete, every other one is shed at once with 503 and Retry-After
// (none waits, none fails otherwise), and the pages the server holds at
// once (its own account of its pagelets, through an Observer) are a
// fraction of what the unlimited server holds.
//
// Figures: go test -run TestOverloadSheds -v ./bench/page
func TestOverloadSheds(t *testing.T) {
	const n = 300
	limits := render.Limits{Fetches: 36, Queue: 36} // 72 pagelets: 12 pages of 6
	limited := burst(t, n, limits)
	unlimited := burst(t, n, render.Limits{})

	t.Logf("burst of %d pages of six 1 s pagelets, %d at a time, gzip, in-process server on loopback", n, overloadWorkers)
	t.Logf("%-32s %9s %5s %5s %10s %13s %9s", "", "complete", "shed", "other", "first 503", "peak pagelets", "took")
	for _, r := range []struct {
		name string
		b    overloadBurst
	}{{fmt.Sprintf("limits %d fetches + %d queued", limits.Fetches, limits.Queue), limited}, {"no limits", unlimited}} {
		t.Logf("%-32s %9d %5d %5d %10v %13d %9v", r.name, r.b.complete, r.b.shed, r.b.other,
			r.b.firstShed.Round(time.Millisecond), r.b.peakPagelets, r.b.took.Round(time.Millisecond))
	}

	// The bound itself is checked exactly by render's TestProcessFetchBound
	// and TestShedding; here, with a budget of 12 pages, most of a burst of
	// 300 one-second pages, 48 at a time, must be shed even if a slow
	// machine spreads the burst over a few seconds.
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
	if limited.peakPagelets*2 > unlimited.peakPagelets {
		t.Errorf("pagelets held at once with limits %d, without %d: want the limits to hold them under half", limited.peakPagelets, unlimited.peakPagelets)
	}
}
