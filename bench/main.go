// Command bench measures the BigPipe renderer: the /bench page in each mode
// (serial, in-order, pipelined and the crawler fallback), on the wire and in
// headless Chromium, under load, and with thousands of pages in flight; and
// the live engine (package live): idle SSE and WebSocket connections, fan-out
// and publish → visible in Chromium (live.go), on one instance and across
// three through Redis (livecluster.go). It prints a table, writes bench/results/latest.json and charts, and checks
// the project's targets.
//
//	go run ./bench                       # everything, about 8 minutes on 2 cores (1 of them across instances)
//	go run ./bench -live-only            # the live engine only, on one instance and on three through Redis: about 2 minutes
//	go run ./bench -quick -no-browser    # a smoke run in seconds
//	go run ./bench -scenarios reversed -no-load
//	go run ./bench -delays 30,1000 -url http://127.0.0.1:8080
//
// See bench/README.md for how to read the results.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	if role := os.Getenv(liveRoleEnv); role != "" { // a child of the live section
		os.Exit(liveRole(role))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		os.Exit(1)
	}
}

// run parses args and runs the benchmark, writing the table to stdout and
// progress to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
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
		Machine: machineInfo(ctx, start),
		Flags:   cfg.flags,
		Started: start,
		Modes:   Modes,
		Runs:    cfg.runs,
	}
	base := cfg.url
	if cfg.liveOnly {
		r.Server = "the live engine in a child process"
	} else if base == "" {
		srv, err := startLocal()
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
		len(scs), len(Modes), cfg.runs, r.Server, roundDur(total), parts)
	tty, width := terminal(stderr)
	bar := newProgress(stderr, tty, width, phases)
	finished := false
	defer func() {
		if !finished {
			bar.finish(false)
		}
	}()

	if !cfg.liveOnly {
		bar.begin("warm-up")
		if err := warmUp(ctx, base, Modes, bar.step); err != nil {
			return nil, err
		}
	}
	for _, sc := range scs {
		bar.begin("wire " + sc.Name)
		runs, err := measureWire(ctx, base, sc, Modes, cfg.runs, bar.step)
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
			bar.begin("browser " + res.Name)
			if fatal != nil {
				res.BrowserError = fatal.Error()
				continue
			}
			runs, floor, err := measureBrowser(ctx, base, res.Scenario, Modes, cfg.runs, bar.step)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				res.BrowserError = err.Error()
				failed = append(failed, fmt.Errorf("browser %s: %w", res.Name, err))
				bar.note(fmt.Sprintf("bench: browser %s: %v", res.Name, err))
				if errors.Is(err, errNoChromium) {
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
		bar.begin("front-page")
		fp, err := measureFrontPage(ctx, base, cfg.frontRuns, bar.step)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			fp = &FrontPage{Pagelets: FrontPagelets, Error: err.Error()}
			failed = append(failed, err) // measureFrontPage names the front page in its errors
			bar.note("bench: " + err.Error())
		}
		r.FrontPage = fp
	}
	if !cfg.noBrowser && cfg.nojsRuns > 0 {
		bar.begin("nojs")
		figs, err := measureNoJS(ctx, base, cfg.nojsRuns, bar.step)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			r.NoJSError = err.Error()
			failed = append(failed, fmt.Errorf("no-JS first visit: %w", err))
			bar.note("bench: no-JS first visit: " + err.Error())
		}
		r.NoJS = figs
	}
	if !cfg.noLoad {
		bar.begin("load")
		load, where, err := loadFigure(ctx, cfg, bar.step)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.Load, r.LoadServer = load, where
		if err != nil {
			r.LoadError = err.Error()
			failed = append(failed, fmt.Errorf("load: %w", err))
			bar.note("bench: load: " + err.Error())
		}
		bar.begin("capacity")
		capacity, err := measureCapacity(ctx, cfg.capacity, cfg.capacityHold, bar.step)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.Capacity = capacity
		if err != nil {
			r.CapacityError = err.Error()
			failed = append(failed, fmt.Errorf("capacity: %w", err))
			bar.note("bench: capacity: " + err.Error())
		}
	}
	if !cfg.noLive {
		bar.begin("live")
		lr, err := measureLive(ctx, liveOptions{conns: cfg.liveConns, fanout: cfg.liveFanout, pubs: cfg.livePubs, browser: !cfg.noBrowser,
			cluster: !cfg.noLiveCluster, subs: cfg.liveClusterSubs, storm: cfg.liveStorm, stormGap: cfg.liveStormGap}, bar.step)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.Live = lr
		if err != nil {
			r.LiveError = err.Error()
			failed = append(failed, err)
			bar.note("bench: " + err.Error())
		}
	}
	finished = true
	bar.finish(true)
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
	return err
}
