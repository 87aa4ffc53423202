// The stop sequence: when the stop signal comes (SIGINT or SIGTERM, main),
// readiness first, then the simulator, the live clients over a window, and
// last the HTTP drain of the page streams still running.

package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/bigpipe-go/bigpipe/live"
)

// shutdown runs the stop sequence, each step where it is for a reason:
//
//  1. Readiness first, at once: the load balancer stops sending new pages
//     and live connections here while this instance still serves those it
//     gets meanwhile.
//  2. The simulator, before the engine it publishes through closes (with
//     several instances another one runs it).
//  3. The live clients, spread over the window (-live-drain-window): each
//     is told to reconnect at a random moment, so the other instances take
//     them gradually. Pages are still served meanwhile (the listener still
//     accepts), and their live pagelets connect elsewhere: the engine
//     answers them 503. Their SSE requests end here, and WebSockets, which
//     the HTTP server does not track, close: the HTTP drain below waits
//     only for pages.
//  4. The HTTP server: it stops accepting and lets the page streams running
//     finish within -drain (see drain). The admin server stays up through
//     it, so that it can be watched, and closes last.
func shutdown(cfg config, s *site, sim *simulator, eng *liveEngine, srv *servers, log *slog.Logger) {
	s.draining.Store(true)
	log.Info("stopping: /readyz says draining", "live_drain_window", cfg.liveDrainWindow)
	sim.stop()
	drainLive(eng.Engine, cfg.liveDrainWindow, log)
	eng.close() // waits for the engine to close
	drain(srv.main, &srv.active, cfg.drain, srv.cancelBase, log)
	srv.closeAdmin()
}

// drainLive drains the live engine over window (see [live.Engine.Drain]),
// bounded by window and engineCloseTimeout.
func drainLive(eng *live.Engine, window time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), window+engineCloseTimeout)
	defer cancel()
	if err := eng.Drain(ctx, window); err != nil {
		log.Warn("live engine: drained before every client was told to go", "err", err)
	}
}

// abortGrace is how long requests cancelled at the drain deadline get to
// return before their connections are closed under them.
const abortGrace = 2 * time.Second

// drain shuts srv down: it stops accepting at once, lets running requests
// finish for up to d, then cancels the ones left (through cancelBase, which
// ends their contexts: the renderer aborts each page, so no client takes a
// cut page for a whole one) and closes every connection.
func drain(srv *http.Server, active *tracker, d time.Duration, cancelBase context.CancelCauseFunc, log *slog.Logger) {
	start := time.Now()
	log.Info("shutting down: no new connections; running requests may finish", "drain", d, "running", active.count())
	dctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if srv.Shutdown(dctx) == nil {
		log.Info("drained: every request finished", "took", time.Since(start).Round(time.Millisecond))
		return
	}
	cut := active.count()
	cancelBase(errDrainDeadline)
	gctx, cancel := context.WithTimeout(context.Background(), abortGrace)
	defer cancel()
	stuck := active.wait(gctx)
	_ = srv.Close()
	log.Warn("drain deadline passed: cancelled the requests still running", "cut", cut, "stuck", stuck,
		"took", time.Since(start).Round(time.Millisecond))
}

// errDrainDeadline is why the requests still running at the drain deadline
// are cancelled.
var errDrainDeadline = errors.New("server shutting down: drain deadline passed")
