package soak

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// Run parses args (the flags of go run ./bench soak) and runs the soak,
// printing its table to stdout and its progress to stderr. It fails when
// the soak found a problem (see soakReport.problems), naming each.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := soakConfig{
		Outstanding:  4096,
		SlowReaders:  4,
		WriteTimeout: 2 * time.Second,
		PageTimeout:  10 * time.Second,
		Calibrate:    2 * time.Second,
	}
	fs := flag.NewFlagSet("bench soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&cfg.Load, "load", 30*time.Second, "how long load is offered")
	fs.IntVar(&cfg.Outstanding, "outstanding", cfg.Outstanding, "open-loop requests in flight at most")
	fs.IntVar(&cfg.SlowReaders, "slow-readers", cfg.SlowReaders, "slow readers at once")
	fs.DurationVar(&cfg.SampleEvery, "sample-every", 0, "goroutines and heap are sampled this often (0: 3 s, 5 s from 5 minutes of load)")
	fs.DurationVar(&cfg.Window, "window", 0, "the first and last windows compared (0: a fifth of -load, a minute from 5 minutes)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./bench soak [flags]\n\nThe in-process server under sustained mixed load (see bench/soak).\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || cfg.Load <= 0 || cfg.Outstanding < 1 || cfg.SlowReaders < 0 {
		return fmt.Errorf("soak: want -load > 0, -outstanding ≥ 1, -slow-readers ≥ 0 and no arguments (%q)", fs.Args())
	}
	cfg.MaxRequests = int(cfg.Load/time.Second) * 50_000 // bounded in count too: far above the calibrated rate
	if cfg.SampleEvery == 0 {
		cfg.SampleEvery = 3 * time.Second
		if cfg.Load >= 5*time.Minute {
			cfg.SampleEvery = 5 * time.Second
		}
	}
	if cfg.Window == 0 && cfg.Load >= 5*time.Minute {
		cfg.Window = time.Minute
	}
	cfg.Progress = func(s string) { fmt.Fprintln(stderr, s) }
	rep, err := runSoak(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, rep.table())
	if p := rep.problems(); len(p) > 0 {
		return errors.New("soak: " + strings.Join(p, "; "))
	}
	return nil
}
