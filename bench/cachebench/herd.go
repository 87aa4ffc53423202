package cachebench

// The thundering herd: HerdRequests requests sent at once to the cold
// front page of a server whose every backend takes 300 ms, each on a
// connection of its own, half as a browser (pipelined) and half as a
// crawler (in order). The cache should run each pagelet's Load once for
// them all: the backend calls of the herd are compared with those of one
// front page of a server without the cache.

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/internal/headless"
)

// HerdResult is the herd's figures.
type HerdResult struct {
	Requests int            `json:"requests"`
	Latency  string         `json:"latency"` // the server's -latency
	Whole    int            `json:"whole"`   // pages 200, ending with </html>, no fallback
	Modes    map[string]int `json:"modes"`   // pages by X-BigPipe-Mode
	Problems []string       `json:"problems,omitempty"`
	Elapsed  time.Duration  `json:"elapsed"` // the first request sent → the last page read
	P50      time.Duration  `json:"p50"`     // request sent → last byte
	Max      time.Duration  `json:"max"`
	// Loads is the cache's loads by pagelet (bigpipe_cache_refreshes_total,
	// result ok), LoadsFailed those that failed; Lookups the lookups by
	// outcome, every pagelet together.
	Loads       map[string]uint64 `json:"loads"`
	LoadsFailed map[string]uint64 `json:"loads_failed,omitempty"`
	Lookups     map[string]uint64 `json:"lookups"`
	// Calls is the backend calls of the herd by source
	// (bigpipe_demo_backend_calls_total); OnePage those of one front page
	// on a server without the cache.
	Calls   map[string]uint64 `json:"calls"`
	OnePage map[string]uint64 `json:"one_page"`
}

// MaxLoads is the most loads of any one pagelet (the target is 1), and
// which.
func (h *HerdResult) MaxLoads() (uint64, string) {
	var n uint64
	which := ""
	for _, p := range slices.Sorted(maps.Keys(h.Loads)) {
		if h.Loads[p] > n {
			n, which = h.Loads[p], p
		}
	}
	return n, which
}

func measureHerd(ctx context.Context, sv sites, o Options, progress func(string)) (*HerdResult, error) {
	res := &HerdResult{Requests: o.HerdRequests, Latency: o.HerdLatency, Modes: map[string]int{}}
	// One front page without the cache: the backend calls of a page.
	progress("herd: one front page without the cache")
	off, err := sv.start(ctx, false, "-cache=false", "-live-sim=false")
	if err != nil {
		return nil, err
	}
	before, err := backendCalls(ctx, off.Addr)
	if err == nil {
		err = frontOnce(ctx, "http://"+off.Addr)
	}
	var after map[string]uint64
	if err == nil {
		after, err = backendCalls(ctx, off.Addr)
	}
	off.Stop()
	if err != nil {
		return nil, fmt.Errorf("one page without the cache: %w", err)
	}
	res.OnePage = callsSince(before, after)

	progress(fmt.Sprintf("herd: %d concurrent cold front pages, backends %s", o.HerdRequests, o.HerdLatency))
	srv, err := sv.start(ctx, false, "-latency", o.HerdLatency, "-live-sim=false")
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	base := "http://" + srv.Addr
	if before, err = backendCalls(ctx, srv.Addr); err != nil {
		return nil, err
	}
	if err := res.run(ctx, base, o.HerdRequests); err != nil {
		return nil, err
	}
	if after, err = backendCalls(ctx, srv.Addr); err != nil {
		return nil, err
	}
	res.Calls = callsSince(before, after)
	ss, err := scrape(ctx, base, metricRefreshes, metricLookups)
	if err != nil {
		return nil, err
	}
	res.Loads = byLabel(filter(ss, metricRefreshes), "pagelet", map[string]string{"result": "ok"})
	res.LoadsFailed = byLabel(filter(ss, metricRefreshes), "pagelet", map[string]string{"result": "failed"})
	if len(res.LoadsFailed) == 0 {
		res.LoadsFailed = nil
	}
	res.Lookups = byLabel(filter(ss, metricLookups), "outcome", nil)
	return res, nil
}

// run sends n requests at once to base's front page, each on a connection
// of its own, and reads every page to the end.
func (h *HerdResult) run(ctx context.Context, base string, n int) error {
	tr := &http.Transport{MaxConnsPerHost: n, MaxIdleConnsPerHost: n, IdleConnTimeout: time.Minute, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	rctx, cancel := context.WithTimeout(ctx, 90*time.Second) // the pages': one still unread then fails
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		problems = map[string]int{}
		lat      = make([]time.Duration, 0, n)
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			ua := headless.ChromeUA
			if i%2 == 1 {
				ua = measure.GooglebotUA
			}
			req, _ := http.NewRequestWithContext(rctx, http.MethodGet, base+"/", nil)
			req.Header.Set("User-Agent", ua)
			<-start
			t0 := time.Now()
			mode, problem := "", ""
			resp, err := client.Do(req)
			if err != nil {
				problem = err.Error()
			} else {
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				mode = resp.Header.Get("X-BigPipe-Mode")
				switch {
				case err != nil:
					problem = err.Error()
				default:
					problem = pageProblem(resp, b)
				}
			}
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			h.Modes[mode]++
			if problem != "" {
				problems[problem]++
				return
			}
			h.Whole++
			lat = append(lat, d)
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	h.Elapsed = time.Since(t0)
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, p := range slices.Sorted(maps.Keys(problems)) {
		h.Problems = append(h.Problems, fmt.Sprintf("%d pages: %.200s", problems[p], p))
	}
	h.P50 = measure.Percentile(lat, 50)
	h.Max = measure.Percentile(lat, 100)
	return nil
}

// pageProblem says what is wrong with a front page, "" if nothing: not
// 200, not whole, or a pagelet's fallback shown.
func pageProblem(resp *http.Response, body []byte) string {
	switch {
	case resp.StatusCode != http.StatusOK:
		return "status " + resp.Status
	case !strings.HasSuffix(strings.TrimSpace(string(body)), "</html>"):
		return "does not end with </html>"
	case strings.Contains(string(body), "pl-fallback"):
		return "a pagelet's fallback"
	}
	return ""
}

// frontOnce reads base's front page once, as a browser.
func frontOnce(ctx context.Context, base string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", headless.ChromeUA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if p := pageProblem(resp, b); p != "" {
		return fmt.Errorf("front page: %s", p)
	}
	return nil
}

// backendCalls is the server's backend calls so far, by source.
func backendCalls(ctx context.Context, addr string) (map[string]uint64, error) {
	ss, err := scrape(ctx, "http://"+addr, metricBackendCalls)
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, fmt.Errorf("%s/metrics has no %s", addr, metricBackendCalls)
	}
	return byLabel(ss, "source", nil), nil
}

// callsSince is after minus before, the sources with none left out.
func callsSince(before, after map[string]uint64) map[string]uint64 {
	d := map[string]uint64{}
	for s, n := range after {
		if n != before[s] {
			d[s] = n - before[s]
		}
	}
	return d
}

// filter returns the series of ss named name.
func filter(ss []series, name string) []series {
	var out []series
	for _, s := range ss {
		if s.name == name {
			out = append(out, s)
		}
	}
	return out
}
