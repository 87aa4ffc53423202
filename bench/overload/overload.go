// Package overload is the mixed overload bench (issue 26): the server
// binary, run as a child process on loopback with its default file store
// (bbolt), under front pages, articles, fragments, comment and message
// posts and live connections together, first stepped up to find the rate
// it serves with nothing shed and a sane p99 (its capacity), then, on a
// fresh process, at twice that rate for a long time. It checks that the
// server sheds what it cannot serve with 503 and Retry-After and fails
// nothing else (no 500, no cut page, no reset or timeout), that its memory
// and goroutines stay flat (the first minute against the last, and the
// maximum), that its goroutines come back to where they were once the load
// is gone, and, from the store file after the run, that every comment and
// message answered 2xx is stored exactly once (and none answered 503).
//
//	go run ./bench overload                  # capacity, then 2× for 10 minutes
//	go run ./bench overload -quick           # a smoke run: about a minute
//	go run ./bench overload -rate 400 -duration 2m -- -max-pages 256
//
// Flags after "--" go to the server. The load is open-loop: requests start
// at the rate whatever the latency, at most -in-flight at once (an arrival
// beyond is skipped and counted). See bench/README.md, "Mixed overload".
package overload

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// Config is one run of the bench.
type Config struct {
	Bin        string   // the server binary (measure.BuildSite)
	Dir        string   // where the store files go
	ServerArgs []string // more flags for the server

	Rate        float64       // capacity to load at Factor times; 0: measure it
	StartRate   float64       // the capacity search's first rate
	Step        time.Duration // each step of the capacity search
	MaxSteps    int           // steps of the search at most
	P99         time.Duration // a page p99 above this is past capacity
	Factor      float64       // the overload's rate over the capacity
	Duration    time.Duration // how long the overload lasts
	Hold        time.Duration // how long a live connection is held
	LiveSlack   float64       // -live-max-conns is this times the live connections held at capacity
	MaxInFlight int           // the client's requests in flight at most
	Readers     int           // signed-in readers who message each other
	SampleEvery time.Duration // the server is sampled this often
	Window      time.Duration // the first and last windows of the trends
	Settle      time.Duration // how long goroutines may take to come back after the load
	Progress    func(string)  // told what is happening; may be nil
}

// DefaultConfig is the full run's configuration, quick or not.
func DefaultConfig(quick bool) Config {
	c := Config{StartRate: 100, Step: 15 * time.Second, MaxSteps: 8, P99: 500 * time.Millisecond, Factor: 2,
		Duration: 10 * time.Minute, Hold: 30 * time.Second, LiveSlack: 1.25, MaxInFlight: 4000, Readers: 6,
		SampleEvery: 5 * time.Second, Window: time.Minute, Settle: 30 * time.Second}
	if quick {
		c.Step, c.MaxSteps, c.Duration, c.Hold, c.SampleEvery, c.Window = 4*time.Second, 5, 20*time.Second, 5*time.Second, time.Second, 5*time.Second
	}
	return c
}

// step is one rate of the capacity search.
type step struct {
	Rate    float64
	P50     time.Duration // of the pages answered 200
	P99     time.Duration
	PostP99 time.Duration // of the comments and messages answered 2xx
	Whole   int           // every kind, whole
	Shed    int
	Failed  int
	Skipped int
	Sane    bool
}

// Report is what a run found.
type Report struct {
	Config   Config
	Machine  measure.Machine
	Steps    []step
	Capacity float64 // rate of the mix served with nothing shed and a sane p99
	Rate     float64 // the overload's
	// The overload's server is sized for the capacity (Little's law: what
	// is in flight at the capacity's rate for the latency cfg.P99): its
	// -max-pages, -max-posts and -live-max-conns.
	PagesCap, PostsCap, LiveCap int
	Elapsed                     time.Duration
	Load                        *tally
	Store                       storeCheck
	Samples                     []sample
	// Goroutines before the load, and once it is gone (after up to Settle).
	BaseGoroutines, EndGoroutines int
	RSS, Heap, Goroutines         trend
}

// goroutineSlack is how many goroutines above the baseline still count as
// back to it after the load (a timer, a connection being closed).
const goroutineSlack = 10

// Problems are the ways the run failed the bench's checks.
func (r *Report) Problems() []string {
	var p []string
	if n := r.Load.total(failed); n > 0 {
		p = append(p, fmt.Sprintf("%d requests failed (neither 2xx nor 503 with Retry-After)", n))
	}
	if r.Load.total(shed) == 0 {
		p = append(p, "nothing was shed: the load did not pass the server's limits")
	}
	if !r.Store.ok() {
		p = append(p, fmt.Sprintf("store: %d answered 2xx missing, %d stored twice, %d answered 503 stored", r.Store.Missing, r.Store.Twice, r.Store.ShedStored))
	}
	if r.EndGoroutines > r.BaseGoroutines+goroutineSlack {
		p = append(p, fmt.Sprintf("goroutines %d after the load, %d before", r.EndGoroutines, r.BaseGoroutines))
	}
	return p
}

// Run measures the capacity (unless cfg.Rate is set) and runs the
// overload. An error means the bench could not run; what it found is in
// the report (see Problems).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	progress := cfg.Progress
	if progress == nil {
		progress = func(string) {}
	}
	rep := &Report{Config: cfg, Machine: measure.MachineInfo(ctx, time.Now()), Capacity: cfg.Rate}
	start := time.Now()
	if rep.Capacity == 0 {
		var err error
		if rep.Steps, rep.Capacity, err = findCapacity(ctx, cfg, progress); err != nil {
			return rep, err
		}
	}
	rep.Rate = cfg.Factor * rep.Capacity
	rep.PagesCap = int(math.Ceil(rep.Capacity * (mix[kindHome] + mix[kindArticle] + mix[kindFragment]) * cfg.P99.Seconds()))
	rep.PostsCap = int(math.Ceil(rep.Capacity * mix[kindComment] * cfg.P99.Seconds()))
	rep.LiveCap = int(math.Ceil(cfg.LiveSlack * rep.Capacity * mix[kindLive] * cfg.Hold.Seconds()))
	progress(fmt.Sprintf("overload: %.0f/s (%.1f× %.0f/s) for %v, -max-pages %d -max-posts %d -live-max-conns %d",
		rep.Rate, cfg.Factor, rep.Capacity, cfg.Duration, rep.PagesCap, rep.PostsCap, rep.LiveCap))
	err := overload(ctx, cfg, rep, progress)
	rep.Elapsed = time.Since(start)
	return rep, err
}

// server starts a fresh server, its store the file name in cfg.Dir, with
// cfg's flags and args, and learns what the clients need from it.
func server(ctx context.Context, cfg Config, name string, args ...string) (*measure.Site, *target, string, error) {
	db := filepath.Join(cfg.Dir, name+".db")
	_ = os.Remove(db)
	all := append([]string{"-trusted-proxies", "127.0.0.1/32", "-live-secret", "overload bench " + name}, args...)
	site, err := measure.StartSite(ctx, cfg.Bin, db, true, append(all, cfg.ServerArgs...)...)
	if err != nil {
		return nil, nil, "", err
	}
	t, err := discover(ctx, site.Addr, cfg.Readers, "reader"+name)
	if err != nil {
		site.Stop()
		return nil, nil, "", err
	}
	return site, t, db, nil
}

// findCapacity steps the rate up, doubling it while the server serves it
// all with a sane p99, then halving the gap to the first rate it did not,
// and returns the steps and the highest sane rate.
func findCapacity(ctx context.Context, cfg Config, progress func(string)) ([]step, float64, error) {
	site, t, _, err := server(ctx, cfg, "capacity")
	if err != nil {
		return nil, 0, err
	}
	defer site.Stop()
	var steps []step
	good, bad := 0.0, 0.0
	r := cfg.StartRate
	for range cfg.MaxSteps {
		if err := ctx.Err(); err != nil {
			return steps, good, err
		}
		s := measureStep(ctx, t, cfg, r)
		steps = append(steps, s)
		progress(fmt.Sprintf("capacity: %.0f/s: pages p50 %v p99 %v, posts p99 %v, %d whole, %d shed, %d failed, %d skipped: sane %v",
			r, s.P50, s.P99, s.PostP99, s.Whole, s.Shed, s.Failed, s.Skipped, s.Sane))
		if s.Sane {
			good = r
		} else {
			bad = r
		}
		switch {
		case bad == 0:
			r *= 2
		case good == 0:
			r /= 2
		case (bad-good)/good < 0.15:
			return steps, good, nil
		default:
			r = math.Round((good + bad) / 2)
		}
		// Let what the step left (closing connections, a collection) settle.
		if !sleep(ctx, 2*time.Second) {
			return steps, good, ctx.Err()
		}
	}
	if good == 0 {
		return steps, 0, errors.New("overload: no rate was served without shedding")
	}
	return steps, good, nil
}

// measureStep runs the mix at rate r for a step.
func measureStep(ctx context.Context, t *target, cfg Config, r float64) step {
	tl := runLoad(ctx, t, loadSpec{Rate: r, For: cfg.Step, MaxInFlight: cfg.MaxInFlight, Hold: cfg.Hold})
	s := step{Rate: r, Whole: tl.total(okWhole), Shed: tl.total(shed), Failed: tl.total(failed) + tl.total(okFallback)}
	for _, n := range tl.skipped {
		s.Skipped += n
	}
	all := append(append([]time.Duration(nil), tl.latency[kindHome]...), tl.latency[kindArticle]...)
	s.P50, s.P99 = measure.Percentile(all, 50), measure.Percentile(all, 99)
	s.PostP99 = measure.Percentile(append(append([]time.Duration(nil), tl.latency[kindComment]...), tl.latency[kindMessage]...), 99)
	s.Sane = s.Shed == 0 && s.Failed == 0 && s.Skipped == 0 && max(s.P99, s.PostP99, measure.Percentile(tl.latency[kindFragment], 99)) <= cfg.P99
	return s
}

// overload runs the mix at rep.Rate for cfg.Duration on a fresh server
// and fills in rep.
func overload(ctx context.Context, cfg Config, rep *Report, progress func(string)) error {
	site, t, db, err := server(ctx, cfg, "overload",
		"-max-pages", fmt.Sprint(rep.PagesCap), "-max-posts", fmt.Sprint(rep.PostsCap), "-live-max-conns", fmt.Sprint(rep.LiveCap))
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			site.Stop()
		}
	}()
	p := newProbe(site.Pid(), site.Admin)
	base, err := p.read(ctx)
	if err != nil {
		return err
	}
	rep.BaseGoroutines = base.Goroutines
	wctx, stopWatch := context.WithCancel(ctx)
	samples := p.watch(wctx, cfg.SampleEvery)
	rep.Load = runLoad(ctx, t, loadSpec{Rate: rep.Rate, For: cfg.Duration, MaxInFlight: cfg.MaxInFlight, Hold: cfg.Hold})
	stopWatch()
	rep.Samples = samples()
	rep.RSS = trendOf(rep.Samples, cfg.Window, func(s sample) float64 { return float64(s.RSS) })
	rep.Heap = trendOf(rep.Samples, cfg.Window, func(s sample) float64 { return float64(s.Heap) })
	rep.Goroutines = trendOf(rep.Samples, cfg.Window, func(s sample) float64 { return float64(s.Goroutines) })
	progress(fmt.Sprintf("overload: done: %d whole, %d with a fallback, %d shed, %d failed; waiting for the goroutines",
		rep.Load.total(okWhole), rep.Load.total(okFallback), rep.Load.total(shed), rep.Load.total(failed)))
	rep.EndGoroutines = settle(ctx, p, rep.BaseGoroutines+goroutineSlack, cfg.Settle)
	site.Stop()
	stopped = true
	rep.Store, err = checkStore(ctx, db, t.ledger)
	return err
}

// settle polls the server's goroutines until they are at most want, or d
// has passed, and returns the last count.
func settle(ctx context.Context, p *probe, want int, d time.Duration) int {
	deadline := time.Now().Add(d)
	n := -1
	for {
		if s, err := p.read(ctx); err == nil {
			n = s.Goroutines
		}
		if (n >= 0 && n <= want) || time.Now().After(deadline) || !sleep(ctx, 200*time.Millisecond) {
			return n
		}
	}
}

// sleep waits d, or until ctx ends: false then.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
