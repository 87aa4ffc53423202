package overload

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// Main parses args (the flags of go run ./bench overload; those after
// "--" go to the server), builds the server, runs the bench and prints its
// report to stdout, its progress to stderr. It fails when the run found a
// problem (see Report.Problems), naming each.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench overload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "a smoke run: 4 s capacity steps, 20 s of overload, live connections held 5 s")
	var server []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, server = args[:i], args[i+1:]
	}
	// -quick sets the defaults of the other flags: parse it first.
	for _, a := range args {
		if a == "-quick" || a == "--quick" || a == "-quick=true" {
			*quick = true
		}
	}
	cfg := DefaultConfig(*quick)
	fs.Float64Var(&cfg.Rate, "rate", 0, "the capacity to load at -factor times (requests of the mix a second); 0: measure it first")
	fs.Float64Var(&cfg.Factor, "factor", cfg.Factor, "the overload's rate over the capacity")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long the overload lasts")
	fs.DurationVar(&cfg.Step, "step", cfg.Step, "each step of the capacity search")
	fs.DurationVar(&cfg.P99, "p99", cfg.P99, "a page p99 above this is past capacity")
	fs.DurationVar(&cfg.Hold, "hold", cfg.Hold, "how long each live connection is held")
	fs.IntVar(&cfg.MaxInFlight, "in-flight", cfg.MaxInFlight, "the client's requests and live connections in flight at most")
	fs.DurationVar(&cfg.SampleEvery, "sample-every", cfg.SampleEvery, "the server's memory and goroutines are sampled this often")
	fs.DurationVar(&cfg.Window, "window", cfg.Window, "the first and last windows of the trends")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./bench overload [flags] [-- server flags]\n\nThe server under mixed load at twice its capacity (see bench/overload).\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || cfg.Duration <= 0 || cfg.Factor <= 0 || cfg.Rate < 0 || cfg.Hold <= 0 || cfg.MaxInFlight < 1 {
		return fmt.Errorf("overload: want -duration, -factor, -hold > 0, -rate ≥ 0, -in-flight ≥ 1 and no arguments (%q)", fs.Args())
	}
	if _, err := measure.RaiseNofile(); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bigpipe-overload-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintln(stderr, "overload: building the server")
	if cfg.Bin, err = measure.BuildSite(ctx, dir); err != nil {
		return err
	}
	cfg.Dir, cfg.ServerArgs = dir, server
	cfg.Progress = func(s string) { fmt.Fprintln(stderr, s) }
	rep, err := Run(ctx, cfg)
	if rep != nil && rep.Load != nil {
		fmt.Fprint(stdout, rep.Table())
	}
	if err != nil {
		return err
	}
	if p := rep.Problems(); len(p) > 0 {
		return errors.New("overload: " + strings.Join(p, "; "))
	}
	return nil
}

// Table is the report as text.
func (r *Report) Table() string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "Mixed overload — %s, %d CPUs (%s), %s, commit %s\n", m.Date.UTC().Format("2006-01-02 15:04 UTC"), m.NumCPU, m.CPU, m.GoVersion, m.Commit)
	fmt.Fprintf(&b, "mix per unit of rate: front page %.2f, article %.2f, fragment %.2f, comment %.2f, message %.2f, live connect %.2f (held %v)\n",
		mix[kindHome], mix[kindArticle], mix[kindFragment], mix[kindComment], mix[kindMessage], mix[kindLive], r.Config.Hold)
	if len(r.Steps) > 0 {
		b.WriteString("\ncapacity search (fresh server, its default limits):\n")
		w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(w, "rate/s\tpage p50\tpage p99\tpost p99\twhole\tshed\tfailed\tskipped\tsane\t")
		for _, s := range r.Steps {
			fmt.Fprintf(w, "%.0f\t%v\t%v\t%v\t%d\t%d\t%d\t%d\t%v\t\n", s.Rate, s.P50.Round(time.Millisecond), s.P99.Round(time.Millisecond), s.PostP99.Round(time.Millisecond),
				s.Whole, s.Shed, s.Failed, s.Skipped, s.Sane)
		}
		w.Flush()
	}
	fmt.Fprintf(&b, "\ncapacity %.0f/s; overload %.0f/s (%.1f×) for %v on a fresh server sized for the capacity: -max-pages %d -max-posts %d -live-max-conns %d %s\n",
		r.Capacity, r.Rate, r.Config.Factor, r.Config.Duration, r.PagesCap, r.PostsCap, r.LiveCap, strings.Join(r.Config.ServerArgs, " "))
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "kind\twhole\tfallback\tshed 503\tfailed\tskipped\tretried\tp50\tp99\t")
	t := r.Load
	for k := range kinds {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%v\t%v\t\n", k, t.n[k][okWhole], t.n[k][okFallback], t.n[k][shed], t.n[k][failed], t.skipped[k], t.retried[k],
			measure.Percentile(t.latency[k], 50).Round(time.Millisecond), measure.Percentile(t.latency[k], 99).Round(time.Millisecond))
	}
	w.Flush()
	for _, f := range slices.Sorted(maps.Keys(t.failures)) {
		fmt.Fprintf(&b, "  failed: %s × %d\n", f, t.failures[f])
	}
	for _, s := range t.samples {
		fmt.Fprintf(&b, "  e.g. %s\n", s)
	}
	mib := func(v float64) string { return fmt.Sprintf("%.1f MiB", v/(1<<20)) }
	fmt.Fprintf(&b, "\nserver over the load (first %v median → last %v median, max; %d samples every %v):\n", r.Config.Window, r.Config.Window, len(r.Samples), r.Config.SampleEvery)
	fmt.Fprintf(&b, "  RSS        %s → %s, max %s\n", mib(r.RSS.First), mib(r.RSS.Last), mib(r.RSS.Max))
	fmt.Fprintf(&b, "  heap inuse %s → %s, max %s\n", mib(r.Heap.First), mib(r.Heap.Last), mib(r.Heap.Max))
	fmt.Fprintf(&b, "  goroutines %.0f → %.0f, max %.0f; %d before the load, %d after it\n", r.Goroutines.First, r.Goroutines.Last, r.Goroutines.Max, r.BaseGoroutines, r.EndGoroutines)
	s := r.Store
	fmt.Fprintf(&b, "\nstore after the run: %d posts answered 2xx, %d stored once, %d missing, %d twice; %d answered 503, %d of them stored; %d unanswered\n",
		s.Answered, s.Stored, s.Missing, s.Twice, s.Shed, s.ShedStored, s.Unknown)
	for _, x := range s.Samples {
		fmt.Fprintf(&b, "  %s\n", x)
	}
	if p := r.Problems(); len(p) > 0 {
		fmt.Fprintf(&b, "\nPROBLEMS: %s\n", strings.Join(p, "; "))
	} else {
		b.WriteString("\nno problem: only 2xx and 503 with Retry-After, every post answered 2xx stored once\n")
	}
	fmt.Fprintf(&b, "elapsed %v\n", r.Elapsed.Round(time.Second))
	return b.String()
}
