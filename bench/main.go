// Command bench measures the BigPipe renderer: the /bench page in each mode
// (serial, in-order, pipelined, native and the crawler fallback), on the
// wire and in headless Chromium, under load, and with thousands of pages in
// flight (package page); and the live engine (package live): idle SSE and
// WebSocket connections, fan-out and publish → visible in Chromium, on one
// instance and across three through Redis (package livebench); and the
// pagelet cache: the fully cached page against a plain handler writing its
// bytes, the thundering herd, the front page at realistic backend
// latencies, staleness across two instances (package cachebench). It prints a
// table, writes bench/results/latest.json and the charts, and checks the
// project's targets. go run ./bench soak runs the soak instead (package
// soak), go run ./bench scale the scale section (package scale), go run
// ./bench overload the mixed overload, twice the server's capacity for 10
// minutes (package overload).
//
//	go run ./bench                       # everything: 12 minutes on 2 cores (610 s measured before the cache section, which adds about 2 minutes)
//	go run ./bench -live-only            # the live engine only, on one instance and on three through Redis: under 2 minutes
//	go run ./bench -cache-only           # the pagelet cache only: about 2 minutes
//	go run ./bench -quick -no-browser    # a smoke run in seconds
//	go run ./bench soak -load 10m        # the soak
//	go run ./bench scale                 # 100,000 live connections over instances behind Redis (package scale)
//	go run ./bench scale -part memory    # RSS per idle live connection of the real binary
//	go run ./bench overload              # capacity, then 2× for 10 minutes: about 13 minutes
//	go run ./bench overload -quick       # the same in about a minute
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
	"os"
	"os/signal"
	"syscall"

	"github.com/bigpipe-go/bigpipe/bench/cachebench"
	"github.com/bigpipe-go/bigpipe/bench/livebench"
	"github.com/bigpipe-go/bigpipe/bench/overload"
	"github.com/bigpipe-go/bigpipe/bench/page"
	"github.com/bigpipe-go/bigpipe/bench/scale"
	"github.com/bigpipe-go/bigpipe/bench/soak"
)

func main() {
	if role := os.Getenv(livebench.RoleEnv); role != "" { // a child of the live section
		os.Exit(livebench.RunRole(role))
	}
	if role := os.Getenv(cachebench.RoleEnv); role != "" { // a child of the cache section
		os.Exit(cachebench.RunRole(role))
	}
	if role := os.Getenv(scale.RoleEnv); role != "" { // a client of the scale section
		os.Exit(scale.RunRole(role))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	run := page.Run
	args := os.Args[1:]
	switch {
	case len(args) > 0 && args[0] == "soak":
		run, args = soak.Run, args[1:]
	case len(args) > 0 && args[0] == "scale":
		run, args = scale.Run, args[1:]
	case len(args) > 0 && args[0] == "overload":
		run, args = overload.Main, args[1:]
	}
	if err := run(ctx, args, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		stop()
		os.Exit(1)
	}
}
