// Command bigpipe serves the demo news site, rendered the BigPipe way.
//
//	go run .                       # http://localhost:8080, metrics at /metrics
//	go run . -addr 127.0.0.1:9000 -latency hotnews=300ms,finance=1.2s
//	go run . -admin 127.0.0.1:6060 # pprof and metrics on a separate listener
//	go run . -live-sim=false       # live pagelets, but no simulated scores, markets or news
//	go run . -cache=false          # every pagelet loaded for every request (no pagelet cache)
//	go run . -redis redis://127.0.0.1:6379/0 -live-secret "$SECRET"  # one of several instances
//
// The front page's breaking news, markets and sports scores and each
// article's comments are live: open pages are kept current over SSE or
// WebSocket (package live, mounted at /_live/).
//
// [run] is the table of contents: each of its steps is a function in a file
// named after it (config.go, stores.go, cache.go, engine.go, site.go,
// servers.go, sim.go, drain.go).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/bigpipe-go/bigpipe/internal/logrepeat"
	"github.com/bigpipe-go/bigpipe/render"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := exitCode(run(ctx, os.Args[1:], nil), os.Stderr)
	stop()
	os.Exit(code)
}

// exitCode reports err, if any, on stderr and returns the process's exit
// status: 0 for nil and for -h or -help ([flag.ErrHelp]: the flag package has
// already printed the usage), 1 for any other error.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	}
	fmt.Fprintln(stderr, "bigpipe:", err)
	return 1
}

// run serves until ctx is done, then shuts down gracefully: the listener
// closes at once, running requests get up to -drain to finish, and those
// still running then are cancelled (a page is aborted, so that no client
// takes it for a whole one). ready, if not nil, is told the addresses once
// the server listens: the main one, and the admin one ("" without -admin).
//
// Each step is a function of its own, in the file named after it; the
// deferred ones undo them in reverse: the simulator stops before the live
// engine closes, the engine before the pagelet cache, and the cache (whose
// loads read the store) before the store.
func run(ctx context.Context, args []string, ready func(addr, admin string)) error {
	cfg, err := parseFlags(args) // config.go
	if err != nil {
		return err
	}
	log := slog.New(logrepeat.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.logLevel}), cfg.logRepeat))
	tr, err := startTracing(ctx, cfg, log) // tracing.go
	if err != nil {
		return err
	}
	defer tr.close()                     // last: the spans of the drain and the engine's close go too
	st, err := openStores(ctx, cfg, log) // stores.go
	if err != nil {
		return err
	}
	defer st.close()
	reg, err := newAssets(cfg.dev) // site.go
	if err != nil {
		return err
	}
	hints, err := render.ParseEarlyHints(cfg.hints)
	if err != nil {
		return err
	}
	gatherer, observer, err := newMetrics() // metrics.go
	if err != nil {
		return err
	}
	if err := registerBackendCalls(gatherer, st.news); err != nil { // metrics.go
		return err
	}
	if err := st.registerMetrics(gatherer); err != nil { // stores.go
		return err
	}
	pc, err := newPageCache(cfg, gatherer, log) // cache.go
	if err != nil {
		return err
	}
	// Closed after the HTTP drain (drain.go), or here if run returns early.
	defer pc.close()
	eng, err := startEngine(cfg, reg, st.news, pc, gatherer, tr.provider(), log) // engine.go
	if err != nil {
		return err
	}
	defer eng.close()
	mainSrv := newMainServer(ctx, cfg, log)             // servers.go
	sd := newDrainer(cfg, mainSrv, eng, st.health, log) // drain.go
	s, err := newSite(cfg, siteParts{                   // site.go
		news: st.news, assets: reg, hints: hints, engine: eng,
		gatherer: gatherer, registry: gatherer, observer: observer, probes: sd, log: log, tracer: tr.provider(), cache: pc,
	})
	if err != nil {
		return err
	}
	srv, err := listen(cfg, mainSrv, s.handler, gatherer, siteNews{st.news, s.Site}, log) // servers.go
	if err != nil {
		return err
	}
	sim := startSim(ctx, cfg.liveSim, s.Site, st.pg, log) // sim.go
	defer sim.stop()
	sd.OnShutdown(sim.stop) // before the live engine it publishes through closes
	if ready != nil {
		ready(srv.addr(), srv.adminAddr())
	}
	serveErr := srv.serve(ctx)   // servers.go: until the stop signal, or a listener fails
	drain(sd, eng, pc, srv, log) // drain.go
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return nil
}
