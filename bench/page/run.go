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
	if cfg.liveOnly {
		scs, cfg.noLoad, cfg.frontRuns, cfg.nojsRuns = nil, true, 0, 0
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return nil, err
	}
	start := time.Now()
	r := &Report{
		Machine: measure.MachineInfo(ctx, start),
		Flags:   cfg.flags,
		Started: start,
		Modes:   Modes,
		Runs:    cfg.runs,
	}
	base := cfg.url
	if cfg.liveOnly {
		r.Server = "the live engine in a child process"
	} else if base == "" {
		srv, err := measure.StartLocal()
		if err != nil {
			return nil, fmt.Errorf("in-process server: %w", err)
		}
		defer srv.Close()
		base = srv.URL
		r.Server = "in-process, " + base
	} else {
		r.Server = base
	}

	phases := plan(cfg, scs)
	total, parts := summary(phases)
	fmt.Fprintf(stderr, "bench: %d scenarios × %d modes × %d runs against %s; estimated %s (%s)\n",
		len(scs), len(Modes), cfg.runs, r.Server, measure.RoundDur(total), parts)
	tty, width := measure.Terminal(stderr)
	bar := measure.NewProgress(stderr, tty, width, phases)
	finished := false
	defer func() {
		if !finished {
			bar.Finish(false)
		}
	}()

	if !cfg.liveOnly {
		bar.Begin("warm-up")
		if err := warmUp(ctx, base, Modes, bar.Step); err != nil {
			return nil, err
		}
	}
	for _, sc := range scs {
		bar.Begin("wire " + sc.Name)
		runs, err := measureWire(ctx, base, sc, Modes, cfg.runs, bar.Step)
		if err != nil {
			return nil, err
		}
		res := &ScenarioResult{Scenario: sc, Wire: map[Mode]*WireStats{}}
		for m, rs := range runs {
			res.Wire[m] = wireStats(rs, len(sc.Delays))
		}
		r.Scenarios = append(r.Scenarios, res)
	}

	var failed []error
	if !cfg.noBrowser {
		var fatal error // Chromium is missing: no use trying the next scenario
		for _, res := range r.Scenarios {
			bar.Begin("browser " + res.Name)
			if fatal != nil {
				res.BrowserError = fatal.Error()
				continue
			}
			runs, floor, err := measureBrowser(ctx, base, res.Scenario, Modes, cfg.runs, bar.Step)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				res.BrowserError = err.Error()
				failed = append(failed, fmt.Errorf("browser %s: %w", res.Name, err))
				bar.Note(fmt.Sprintf("bench: browser %s: %v", res.Name, err))
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
	}
	if !cfg.noBrowser && cfg.frontRuns > 0 {
		bar.Begin("front-page")
		fp, err := measureFrontPage(ctx, base, cfg.frontRuns, bar.Step)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			fp = &FrontPage{Pagelets: FrontPagelets, Error: err.Error()}
			failed = append(failed, err) // measureFrontPage names the front page in its errors
			bar.Note("bench: " + err.Error())
		}
		r.FrontPage = fp
	}
	if !cfg.noBrowser && cfg.nojsRuns > 0 {
		bar.Begin("nojs")
		figs, err := measureNoJS(ctx, base, cfg.nojsRuns, bar.Step)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			r.NoJSError = err.Error()
			failed = append(failed, fmt.Errorf("no-JS first visit: %w", err))
			bar.Note("bench: no-JS first visit: " + err.Error())
		}
		r.NoJS = figs
	}
	if !cfg.noLoad {
		bar.Begin("load")
		load, where, err := loadFigure(ctx, cfg, bar.Step)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.Load, r.LoadServer = load, where
		if err != nil {
			r.LoadError = err.Error()
			failed = append(failed, fmt.Errorf("load: %w", err))
			bar.Note("bench: load: " + err.Error())
		}
		bar.Begin("capacity")
		capacity, err := measureCapacity(ctx, cfg.capacity, cfg.capacityHold, bar.Step)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.Capacity = capacity
		if err != nil {
			r.CapacityError = err.Error()
			failed = append(failed, fmt.Errorf("capacity: %w", err))
			bar.Note("bench: capacity: " + err.Error())
		}
	}
	if !cfg.noLive {
		bar.Begin("live")
		lr, err := livebench.Measure(ctx, livebench.Options{Conns: cfg.liveConns, Fanout: cfg.liveFanout, Pubs: cfg.livePubs, Browser: !cfg.noBrowser,
			Cluster: !cfg.noLiveCluster, Subs: cfg.liveClusterSubs, Storm: cfg.liveStorm, StormGap: cfg.liveStormGap}, bar.Step)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.Live = lr
		if err != nil {
			r.LiveError = err.Error()
			failed = append(failed, err)
			bar.Note("bench: " + err.Error())
		}
	}
	finished = true
	bar.Finish(true)
	r.Elapsed = time.Since(start).Round(time.Millisecond)

	r.Targets = evaluateTargets(r)
	writeTable(stdout, r)
	if err := writeOutputs(r, cfg.out, true, stderr); err != nil {
		return r, err
	}
	return r, errors.Join(failed...)
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
