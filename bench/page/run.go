// Package page is the page bench: the /bench page in each mode (serial,
// in-order, pipelined, native and the crawler fallback) on the wire and in
// headless Chromium, the demo's front page, JavaScript-off first visits,
// load and capacity; it runs the live bench (package livebench) as its live
// sections, and prints the table, writes latest.json and the charts, and
// checks the project's targets. go run ./bench runs it (see bench/main.go).
package page

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/cachebench"
	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/bench/livebench"
)

// Run parses args (the flags of go run ./bench) and runs the page bench
// with the live sections, writing the table to stdout and progress to
// stderr.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if cfg.replot != "" {
		return replot(cfg, stdout, stderr)
	}
	if cfg.frontProbe {
		_, err := io.WriteString(stdout, frontProbe(FrontPagelets, frontBudget))
		return err
	}
	_, err = runBench(ctx, cfg, stdout, stderr)
	return err
}

// replot prints the table and draws the charts of a saved report.
func replot(cfg config, stdout, stderr io.Writer) error {
	r, err := readJSON(cfg.replot)
	if err != nil {
		return err
	}
	r.Targets = evaluateTargets(r)
	writeTable(stdout, r)
	return writeOutputs(r, cfg.out, false, stderr)
}

// runBench measures everything cfg asks for and writes the outputs. A
// failed browser, load or capacity part is reported and the rest goes on;
// the error returned then says what failed, after every output is written.
func runBench(ctx context.Context, cfg config, stdout, stderr io.Writer) (*Report, error) {
	scs, err := selectScenarios(cfg.scenarios, cfg.delays, cfg.quick)
	if err != nil {
		return nil, err
	}
	if cfg.frontOnly {
		scs, cfg.noLoad, cfg.noLive, cfg.nojsRuns = nil, true, true, 0
	}
	if cfg.readersOnly { // a part of the live section
		cfg.liveOnly = true
	}
	if cfg.liveOnly {
		scs, cfg.noLoad, cfg.frontRuns, cfg.nojsRuns, cfg.noCache = nil, true, 0, 0, true
	}
	if cfg.noLoad && !cfg.cacheOnly { // the cache section is load figures too
		cfg.noCache = true
	}
	if cfg.cacheOnly {
		scs, cfg.noLoad, cfg.noLive, cfg.frontRuns, cfg.nojsRuns = nil, true, true, 0, 0
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return nil, err
	}
	start := time.Now()
	b := &benchRun{cfg: cfg, r: &Report{
		Machine: measure.MachineInfo(ctx, start),
		Flags:   cfg.flags,
		Started: start,
		Modes:   Modes,
		Runs:    cfg.runs,
	}}
	stop, err := b.server()
	if err != nil {
		return nil, err
	}
	defer stop()

	phases := plan(cfg, scs)
	total, parts := summary(phases)
	fmt.Fprintf(stderr, "bench: %d scenarios × %d modes × %d runs against %s; estimated %s (%s)\n",
		len(scs), len(Modes), cfg.runs, b.r.Server, measure.RoundDur(total), parts)
	tty, width := measure.Terminal(stderr)
	b.bar = measure.NewProgress(stderr, tty, width, phases)
	finished := false
	defer func() {
		if !finished {
			b.bar.Finish(false)
		}
	}()
	for _, step := range []func(context.Context, []Scenario) error{b.wire, b.browser, b.frontPage, b.noJS, b.load, b.cache, b.live} {
		if err := step(ctx, scs); err != nil {
			return nil, err
		}
	}
	finished = true
	b.bar.Finish(true)
	r := b.r
	r.Elapsed = time.Since(start).Round(time.Millisecond)
	r.Targets = evaluateTargets(r)
	writeTable(stdout, r)
	if err := writeOutputs(r, cfg.out, true, stderr); err != nil {
		return r, err
	}
	return r, errors.Join(b.failed...)
}

// benchRun is one run of the bench: what it asks, what it measured so far,
// and the parts that failed. Each of its steps measures one part into r;
// an error it returns ends the run (a cancelled ctx, a wire failure), while
// a part that fails is noted in r and failed and the run goes on.
type benchRun struct {
	cfg    config
	r      *Report
	base   string // the server measured
	bar    *measure.Progress
	failed []error
}

// server picks the server to measure: -url, or one started in-process
// (none for -live-only); stop stops it.
func (b *benchRun) server() (stop func(), err error) {
	b.base = b.cfg.url
	switch {
	case b.cfg.liveOnly:
		b.r.Server = "the live engine in a child process"
	case b.cfg.cacheOnly:
		b.r.Server = "the cache section's servers, child processes"
	case b.base == "":
		srv, err := measure.StartLocal()
		if err != nil {
			return nil, fmt.Errorf("in-process server: %w", err)
		}
		b.base = srv.URL
		b.r.Server = "in-process, " + b.base
		return func() { _ = srv.Close() }, nil
	default:
		b.r.Server = b.base
	}
	return func() {}, nil
}

// fail notes a part that failed, in failed and on the progress bar.
func (b *benchRun) fail(err error, note string) {
	b.failed = append(b.failed, err)
	b.bar.Note("bench: " + note)
}

// wire warms the server up and measures every scenario on the wire.
func (b *benchRun) wire(ctx context.Context, scs []Scenario) error {
	if !b.cfg.liveOnly && !b.cfg.cacheOnly {
		b.bar.Begin("warm-up")
		if err := warmUp(ctx, b.base, Modes, b.bar.Step); err != nil {
			return err
		}
	}
	for _, sc := range scs {
		b.bar.Begin("wire " + sc.Name)
		runs, err := measureWire(ctx, b.base, sc, Modes, b.cfg.runs, b.bar.Step)
		if err != nil {
			return err
		}
		res := &ScenarioResult{Scenario: sc, Wire: map[Mode]*WireStats{}}
		for m, rs := range runs {
			res.Wire[m] = wireStats(rs, len(sc.Delays))
		}
		b.r.Scenarios = append(b.r.Scenarios, res)
	}
	return nil
}

// browser measures every scenario in Chromium, unless -no-browser.
func (b *benchRun) browser(ctx context.Context, _ []Scenario) error {
	if b.cfg.noBrowser {
		return nil
	}
	var fatal error // Chromium is missing: no use trying the next scenario
	for _, res := range b.r.Scenarios {
		b.bar.Begin("browser " + res.Name)
		if fatal != nil {
			res.BrowserError = fatal.Error()
			continue
		}
		runs, floor, err := measureBrowser(ctx, b.base, res.Scenario, Modes, b.cfg.runs, b.bar.Step)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			res.BrowserError = err.Error()
			b.fail(fmt.Errorf("browser %s: %w", res.Name, err), fmt.Sprintf("browser %s: %v", res.Name, err))
			if errors.Is(err, measure.ErrNoChromium) {
				fatal = err
			}
			continue
		}
		res.BrowserFloor = &floor
		res.Browser = map[Mode]*BrowserStats{}
		for m, rs := range runs {
			res.Browser[m] = browserStats(rs, len(res.Delays))
		}
	}
	return nil
}

// frontPage measures the demo's front page in Chromium.
func (b *benchRun) frontPage(ctx context.Context, _ []Scenario) error {
	if b.cfg.noBrowser || b.cfg.frontRuns == 0 {
		return nil
	}
	b.bar.Begin("front-page")
	fp, err := measureFrontPage(ctx, b.base, b.cfg.frontRuns, b.bar.Step)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		fp = &FrontPage{Pagelets: FrontPagelets, Error: err.Error()}
		b.fail(err, err.Error()) // measureFrontPage names the front page in its errors
	}
	b.r.FrontPage = fp
	return nil
}

// noJS measures the JavaScript-off first visits in Chromium.
func (b *benchRun) noJS(ctx context.Context, _ []Scenario) error {
	if b.cfg.noBrowser || b.cfg.nojsRuns == 0 {
		return nil
	}
	b.bar.Begin("nojs")
	figs, err := measureNoJS(ctx, b.base, b.cfg.nojsRuns, b.bar.Step)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		b.r.NoJSError = err.Error()
		b.fail(fmt.Errorf("no-JS first visit: %w", err), "no-JS first visit: "+err.Error())
	}
	b.r.NoJS = figs
	return nil
}

// load measures the load and capacity figures, unless -no-load.
func (b *benchRun) load(ctx context.Context, _ []Scenario) error {
	if b.cfg.noLoad {
		return nil
	}
	b.bar.Begin("load")
	load, where, err := loadFigure(ctx, b.cfg, b.bar.Step)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	b.r.Load, b.r.LoadServer = load, where
	if err != nil {
		b.r.LoadError = err.Error()
		b.fail(fmt.Errorf("load: %w", err), "load: "+err.Error())
	}
	b.bar.Begin("capacity")
	capacity, err := measureCapacity(ctx, b.cfg.capacity, b.cfg.capacityHold, b.bar.Step)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	b.r.Capacity = capacity
	if err != nil {
		b.r.CapacityError = err.Error()
		b.fail(fmt.Errorf("capacity: %w", err), "capacity: "+err.Error())
	}
	return nil
}

// cache runs the cache section (package cachebench), unless -no-cache.
// It starts servers of its own whatever -url says.
func (b *benchRun) cache(ctx context.Context, _ []Scenario) error {
	if b.cfg.noCache {
		return nil
	}
	b.bar.Begin("cache")
	cr, err := cachebench.Measure(ctx, cacheOptions(b.cfg), b.bar.Step)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	b.r.Cache = cr
	if err != nil {
		b.r.CacheError = err.Error()
		b.fail(err, err.Error())
	}
	return nil
}

// cacheOptions is what cfg asks of the cache section.
func cacheOptions(cfg config) cachebench.Options {
	o := cachebench.DefaultOptions()
	o.Rounds, o.Round, o.MaxRequests = cfg.cacheRounds, cfg.cacheRound, cfg.loadMax
	o.HerdRequests, o.Pubs, o.FrontLatency = cfg.cacheHerd, cfg.cachePubs, cfg.cacheLatency
	return o
}

// live runs the live bench (package livebench), unless -no-live.
func (b *benchRun) live(ctx context.Context, _ []Scenario) error {
	if b.cfg.noLive {
		return nil
	}
	cfg := b.cfg
	b.bar.Begin("live")
	o := livebench.Options{Conns: cfg.liveConns, Fanout: cfg.liveFanout, Pubs: cfg.livePubs, Browser: !cfg.noBrowser,
		Cluster: !cfg.noLiveCluster, Subs: cfg.liveClusterSubs, Storm: cfg.liveStorm, StormGap: cfg.liveStormGap, ReadersOnly: cfg.readersOnly}
	if !cfg.noLiveReaders {
		o.Readers = &livebench.ReadersOptions{Readers: cfg.liveReaders, Pubs: cfg.liveReaderPubs, Presence: cfg.livePresence,
			Messages: cfg.liveMessages, Browser: !cfg.noBrowser, SocketIO: true}
	}
	lr, err := livebench.Measure(ctx, o, b.bar.Step)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	b.r.Live = lr
	if err != nil {
		b.r.LiveError = err.Error()
		b.fail(err, err.Error())
	}
	return nil
}

// writeOutputs writes the charts of r into dir, and with them latest.json
// and latest.txt (the table as printed) when withJSON.
func writeOutputs(r *Report, dir string, withJSON bool, stderr io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if withJSON {
		f := filepath.Join(dir, "latest.json")
		if err := writeJSON(r, f); err != nil {
			return err
		}
		txt := filepath.Join(dir, "latest.txt")
		if err := writeText(r, txt); err != nil {
			return err
		}
		fmt.Fprintln(stderr, "bench: wrote", f, "and", txt)
	}
	files, err := writeCharts(r, dir)
	if len(files) > 0 {
		fmt.Fprintf(stderr, "bench: wrote %d charts in %s\n", len(files), dir)
	}
	return errors.Join(err, recordCharts(dir, files, r.Machine))
}
