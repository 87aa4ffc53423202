package main

// Load figures: whole zero-delay pages served back to back at fixed
// concurrency levels, per mode.
//
// The load generator is closed-loop: c workers, each with a keep-alive
// connection of its own, send a request, read the whole page, check it and
// send the next, for a bounded time and a bounded number of requests. The
// figure is the pure rendering and serving cost of each mode, because the
// zero-delay page waits on nothing.
//
// Modes are interleaved so that machine noise hits them alike: at each
// concurrency level the modes run in turn, in rounds that alternate their
// order; the reported RPS is the median over the rounds, the latency
// percentiles are over every sample of every round.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// loadRoundMin is the shortest measuring round worth a round of its
	// own: dur is split into up to loadMaxRounds rounds of at least this.
	loadRoundMin  = time.Second
	loadMaxRounds = 3
	// loadRequestTimeout bounds one request of the load generator.
	loadRequestTimeout = 10 * time.Second
)

// loadURL is the zero-delay page of mode m: six pagelets, none waits.
func loadURL(baseURL string, m Mode) string {
	return scenarioURL(baseURL, Scenario{Name: "zero", Delays: make([]time.Duration, 6)}, m)
}

// loadRounds splits a measuring time into rounds: up to loadMaxRounds of at
// least loadRoundMin each, or one round when dur is shorter.
func loadRounds(dur time.Duration) int {
	n := int(dur / loadRoundMin)
	return max(1, min(n, loadMaxRounds))
}

// loadWarmup is how long the unreported warm-up before a round lasts.
func loadWarmup(round time.Duration) time.Duration {
	return max(50*time.Millisecond, min(250*time.Millisecond, round/10))
}

// measureLoad runs the closed-loop load generator against baseURL for each
// mode at each concurrency level: c workers issuing whole-page requests of
// the zero-delay scenario back to back on keep-alive connections, for dur
// or until maxReq requests (whichever comes first; maxReq <= 0 means no
// count limit beyond the time). dur and maxReq are split over the rounds
// (see loadRounds); every round is preceded by a short warm-up that is not
// reported. A request counts as an error unless it answers 200 with a body
// that ends with </html>. RPS is pages served without error per second of a
// round, the median over the rounds; P50 and P99 are nearest-rank
// percentiles of the latency (request sent to last body byte read) of every
// page served without error in every round. progress, if not nil, is told
// before each step.
//
// Results come in concurrency order, and within a level in the order of
// modes. An error is returned only for bad arguments or a cancelled ctx.
func measureLoad(ctx context.Context, baseURL string, modes []Mode, concurrency []int, dur time.Duration, maxReq int, progress func(string)) ([]LoadResult, error) {
	if len(modes) == 0 || len(concurrency) == 0 {
		return nil, errors.New("load: no modes or no concurrency levels")
	}
	if dur <= 0 {
		return nil, fmt.Errorf("load: duration %v is not positive", dur)
	}
	for _, c := range concurrency {
		if c < 1 {
			return nil, fmt.Errorf("load: concurrency %d is below 1", c)
		}
	}
	if progress == nil {
		progress = func(string) {}
	}
	rounds := loadRounds(dur)
	roundDur := dur / time.Duration(rounds)
	roundMax := 0
	if maxReq > 0 {
		roundMax = max(1, maxReq/rounds)
	}
	warm := loadWarmup(roundDur)

	var out []LoadResult
	for _, c := range concurrency {
		tr := &http.Transport{
			MaxIdleConns:        c + 16,
			MaxIdleConnsPerHost: c + 16,
			DisableCompression:  true,
			IdleConnTimeout:     30 * time.Second,
		}
		client := &http.Client{Transport: tr, Timeout: loadRequestTimeout}
		type acc struct {
			res     LoadResult
			rps     []float64
			samples []time.Duration
		}
		accs := make([]*acc, len(modes))
		for i, m := range modes {
			accs[i] = &acc{res: LoadResult{Mode: m, Concurrency: c}}
		}
		for r := range rounds {
			order := make([]int, len(modes))
			for i := range order {
				order[i] = i
			}
			if r%2 == 1 {
				slices.Reverse(order)
			}
			for _, i := range order {
				m := modes[i]
				u := loadURL(baseURL, m)
				progress(fmt.Sprintf("load %s c=%d round %d/%d: warm-up %v", m, c, r+1, rounds, warm))
				warmMax := 0
				if roundMax > 0 {
					warmMax = max(c, roundMax/10)
				}
				if _, err := loadRun(ctx, client, u, modeUA(m), c, warm, warmMax); err != nil {
					tr.CloseIdleConnections()
					return out, err
				}
				progress(fmt.Sprintf("load %s c=%d round %d/%d: %v", m, c, r+1, rounds, roundDur))
				run, err := loadRun(ctx, client, u, modeUA(m), c, roundDur, roundMax)
				if err != nil {
					tr.CloseIdleConnections()
					return out, err
				}
				a := accs[i]
				a.res.Requests += run.requests
				a.res.Errors += run.errors
				a.res.Duration += run.elapsed
				if run.elapsed > 0 {
					a.rps = append(a.rps, float64(run.requests-run.errors)/run.elapsed.Seconds())
				}
				a.samples = append(a.samples, run.samples...)
			}
		}
		tr.CloseIdleConnections()
		for _, a := range accs {
			a.res.RPS = loadMedian(a.rps)
			slices.Sort(a.samples)
			a.res.P50 = loadPercentile(a.samples, 50)
			a.res.P99 = loadPercentile(a.samples, 99)
			out = append(out, a.res)
		}
	}
	return out, nil
}

// loadRunResult is one round of one mode at one concurrency level.
type loadRunResult struct {
	requests int             // requests sent, failed ones included
	errors   int             // requests that failed
	elapsed  time.Duration   // from the first request to the last response
	samples  []time.Duration // latency of each successful request
}

// loadRun is the closed loop: c workers, each sending requests for url back
// to back until d has passed since the start or maxReq requests have been
// sent (maxReq <= 0: no count limit). It returns an error only when ctx is
// done.
func loadRun(ctx context.Context, client *http.Client, url, ua string, c int, d time.Duration, maxReq int) (loadRunResult, error) {
	var (
		sent    atomic.Int64
		wg      sync.WaitGroup
		res     loadRunResult
		start   = time.Now()
		stopAt  = start.Add(d)
		workers = make([][]time.Duration, c)
		errs    = make([]int, c)
	)
	for w := range c {
		wg.Go(func() {
			var body bytes.Buffer
			samples := make([]time.Duration, 0, 1024)
			for ctx.Err() == nil && time.Now().Before(stopAt) {
				if n := sent.Add(1); maxReq > 0 && n > int64(maxReq) {
					sent.Add(-1)
					break
				}
				t0 := time.Now()
				if err := loadOne(ctx, client, url, ua, &body); err != nil {
					errs[w]++
					continue
				}
				samples = append(samples, time.Since(t0))
			}
			workers[w] = samples
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	res.requests = int(sent.Load())
	for w := range c {
		res.errors += errs[w]
		res.samples = append(res.samples, workers[w]...)
	}
	return res, nil
}

// loadOne sends one request and reads the whole page into body (reused),
// failing unless the status is 200 and the page ends with </html>.
func loadOne(ctx context.Context, client *http.Client, url, ua string, body *bytes.Buffer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", ua)
	return readWhole(client, req, body)
}

// readWhole sends req and reads the whole page into body (reused), failing
// unless the status is 200 and the page ends with </html>.
func readWhole(client *http.Client, req *http.Request, body *bytes.Buffer) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body.Reset()
	if _, err := io.Copy(body, resp.Body); err != nil {
		return fmt.Errorf("after %d bytes: %w", body.Len(), err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	if !bytes.HasSuffix(bytes.TrimRight(body.Bytes(), " \t\r\n"), []byte("</html>")) {
		return fmt.Errorf("page of %d bytes does not end with </html>", body.Len())
	}
	return nil
}

// loadPercentile returns the p-th percentile (0 < p <= 100) of sorted by
// the nearest-rank method: the smallest sample such that at least p % of the
// samples are at or below it. It returns 0 for no samples; p <= 0 gives the
// smallest sample.
func loadPercentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

// loadMedian returns the median of xs (the mean of the middle two for an
// even count), 0 for none.
func loadMedian(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// startLoadServer starts the server the load figure measures when no -url
// is given: the server built from this checkout, in a child process of its
// own (as the capacity figure's), not the in-process one the other figures
// use. A load generator in the server's own process shares its two
// processors' scheduler and its garbage collector with it: its goroutines
// queue behind the server's and its allocations trigger the server's
// collections, which weighs unevenly on modes that hand work between
// goroutines. A server and its clients are separate processes everywhere
// else, so they are here. The child serves the demo with compression and
// the live simulator off and logs errors only. stop ends it.
func startLoadServer(ctx context.Context, progress func(string)) (base string, stop func(), err error) {
	dir, err := os.MkdirTemp("", "bigpipe-load-*")
	if err != nil {
		return "", nil, fmt.Errorf("load: %w", err)
	}
	progress("load: building the server")
	bin, err := buildCapServer(ctx, dir)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	s, err := startCapServer(ctx, bin, dir, nil, "-live-sim=false")
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return "http://" + s.addr, func() { s.stop(); os.RemoveAll(dir) }, nil
}

// loadFigure measures load against -url, or else against a child server
// (startLoadServer), and says which in its second result.
func loadFigure(ctx context.Context, cfg config, progress func(string)) ([]LoadResult, string, error) {
	if cfg.url != "" {
		res, err := measureLoad(ctx, cfg.url, Modes, cfg.concurrency, cfg.loadDuration, cfg.loadMax, progress)
		return res, cfg.url, err
	}
	base, stop, err := startLoadServer(ctx, progress)
	if err != nil {
		return nil, "", err
	}
	defer stop()
	res, err := measureLoad(ctx, base, Modes, cfg.concurrency, cfg.loadDuration, cfg.loadMax, progress)
	return res, "the server built from this checkout, in a child process, " + base, err
}
