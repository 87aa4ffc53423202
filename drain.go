// The stop sequence: when the stop signal comes (SIGINT or SIGTERM, main),
// readiness first, then the simulator, the live clients over a window, and
// last the HTTP drain of the page streams still running (package shutdown).

package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/bigpipe-go/bigpipe/shutdown"
)

// newDrainer makes the stop sequence of srv, the main server, which also
// answers its probes (site.go). The steps, each where it is for a reason:
//
//  1. Readiness first, at once: /readyz says 503 "draining", and the load
//     balancer stops sending new pages and live connections here while
//     this instance still serves those it gets meanwhile.
//  2. The simulator (registered by run with OnShutdown), before the engine
//     it publishes through closes (with several instances another one
//     runs it).
//  3. The live clients, spread over the window (-live-drain-window): each
//     is told to reconnect at a random moment, so the other instances take
//     them gradually. Pages are still served meanwhile (the listener still
//     accepts), and their live pagelets connect elsewhere: the engine
//     answers them 503. Their SSE requests end here, and WebSockets, which
//     the HTTP server does not track, close: the HTTP drain below waits
//     only for pages.
//  4. The HTTP server: it stops accepting and lets the page streams running
//     finish within -drain; then it cancels those still running (through
//     the server's BaseContext: the renderer aborts each page, so no client
//     takes a cut page for a whole one) and closes every connection.
//
// /healthz says 200 while the process serves pages: a Redis outage
// degrades live updates only, and must not take the instance out of the
// load balancer. Its body says which: "ok", or "degraded: …". So does a
// shared database that does not answer (dbHealth, stores.go): pages still
// render, with the pagelets that need it showing their fallback.
func newDrainer(cfg config, srv *http.Server, eng *liveEngine, dbHealth func() string, log *slog.Logger) *shutdown.Drainer {
	return shutdown.New(srv,
		shutdown.WithLive(eng.Engine),
		shutdown.WithWindow(cfg.liveDrainWindow),
		shutdown.WithTimeout(cfg.drain),
		shutdown.WithLogger(log),
		shutdown.WithHealth(func() string { return joinHealth(eng.Health().String(), dbHealth()) }))
}

// drain runs the stop sequence (see newDrainer), then waits for the live
// engine to be closed, closes the pagelet cache (no page needs it any
// more: the loads it still runs are cancelled) and shuts the admin server
// down: it stayed up through the drain, so that the drain could be
// watched.
func drain(sd *shutdown.Drainer, eng *liveEngine, pc *pageCache, srv *servers, log *slog.Logger) {
	log.Info("stopping: /readyz says draining")
	if err := sd.Shutdown(context.Background()); err != nil {
		log.Warn("stopped, not cleanly", "err", err)
	}
	eng.close() // closed by the live drain already, unless it was cut short
	pc.close()
	srv.closeAdmin()
}
