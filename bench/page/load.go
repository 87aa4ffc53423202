package page

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
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

const (
	// loadRoundMin is the shortest measuring round worth a round of its
	// own: dur is split into up to loadMaxRounds rounds of at least this.
	loadRoundMin  = time.Second
	loadMaxRounds = 3
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

// loadPlan is what measureLoad measures: against baseURL, each of modes at
// each level of concurrency, for dur or maxReq requests (see measureLoad).
type loadPlan struct {
	baseURL     string
	modes       []Mode
	concurrency []int
	dur         time.Duration
	maxReq      int
	progress    func(string) // may be nil
}

// measureLoad runs the closed-loop load generator against p.baseURL for each
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
func measureLoad(ctx context.Context, p loadPlan) ([]LoadResult, error) {
	if len(p.modes) == 0 || len(p.concurrency) == 0 {
		return nil, errors.New("load: no modes or no concurrency levels")
	}
	if p.dur <= 0 {
		return nil, fmt.Errorf("load: duration %v is not positive", p.dur)
	}
	for _, c := range p.concurrency {
		if c < 1 {
			return nil, fmt.Errorf("load: concurrency %d is below 1", c)
		}
	}
	if p.progress == nil {
		p.progress = func(string) {}
	}
	var out []LoadResult
	for _, c := range p.concurrency {
		res, err := p.level(ctx, c)
		out = append(out, res...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// loadAcc is one mode's rounds at one level, summed.
type loadAcc struct {
	res     LoadResult
	rps     []float64
	samples []time.Duration
}

// level measures every mode at concurrency c, in rounds that alternate
// their order.
func (p loadPlan) level(ctx context.Context, c int) ([]LoadResult, error) {
	rounds := loadRounds(p.dur)
	roundDur := p.dur / time.Duration(rounds)
	roundMax := 0
	if p.maxReq > 0 {
		roundMax = max(1, p.maxReq/rounds)
	}
	tr := &http.Transport{
		MaxIdleConns:        c + 16,
		MaxIdleConnsPerHost: c + 16,
		DisableCompression:  true,
		IdleConnTimeout:     30 * time.Second,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: measure.LoadRequestTimeout}
	accs := make([]*loadAcc, len(p.modes))
	for i, m := range p.modes {
		accs[i] = &loadAcc{res: LoadResult{Mode: m, Concurrency: c}}
	}
	for r := range rounds {
		order := make([]int, len(p.modes))
		for i := range order {
			order[i] = i
		}
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, i := range order {
			spec := measure.LoadSpec{Client: client, URL: loadURL(p.baseURL, p.modes[i]), UA: modeUA(p.modes[i]), Workers: c, For: roundDur, MaxRequests: roundMax}
			if err := p.round(ctx, spec, accs[i], fmt.Sprintf("load %s c=%d round %d/%d", p.modes[i], c, r+1, rounds)); err != nil {
				return nil, err
			}
		}
	}
	var out []LoadResult
	for _, a := range accs {
		a.res.RPS = loadMedian(a.rps)
		slices.Sort(a.samples)
		a.res.P50 = loadPercentile(a.samples, 50)
		a.res.P99 = loadPercentile(a.samples, 99)
		out = append(out, a.res)
	}
	return out, nil
}

// round is one round of one mode (spec), after its unreported warm-up,
// added to a.
func (p loadPlan) round(ctx context.Context, spec measure.LoadSpec, a *loadAcc, what string) error {
	warm := spec
	warm.For = measure.LoadWarmup(spec.For)
	if spec.MaxRequests > 0 {
		warm.MaxRequests = max(spec.Workers, spec.MaxRequests/10)
	}
	p.progress(fmt.Sprintf("%s: warm-up %v", what, warm.For))
	if _, err := measure.LoadRun(ctx, warm); err != nil {
		return err
	}
	p.progress(fmt.Sprintf("%s: %v", what, spec.For))
	run, err := measure.LoadRun(ctx, spec)
	if err != nil {
		return err
	}
	a.res.Requests += run.Requests
	a.res.Errors += run.Errors
	a.res.Duration += run.Elapsed
	if run.Elapsed > 0 {
		a.rps = append(a.rps, float64(run.Requests-run.Errors)/run.Elapsed.Seconds())
	}
	a.samples = append(a.samples, run.Samples...)
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
		res, err := measureLoad(ctx, loadPlan{baseURL: cfg.url, modes: Modes, concurrency: cfg.concurrency, dur: cfg.loadDuration, maxReq: cfg.loadMax, progress: progress})
		return res, cfg.url, err
	}
	base, stop, err := startLoadServer(ctx, progress)
	if err != nil {
		return nil, "", err
	}
	defer stop()
	res, err := measureLoad(ctx, loadPlan{baseURL: base, modes: Modes, concurrency: cfg.concurrency, dur: cfg.loadDuration, maxReq: cfg.loadMax, progress: progress})
	return res, "the server built from this checkout, in a child process, " + base, err
}
