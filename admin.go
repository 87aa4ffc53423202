package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bigpipe-go/bigpipe/metrics"
)

// newMetrics returns a registry holding the renderer's metrics (which it
// also returns, to observe the renderer) plus the Go runtime and process
// collectors. The live engine registers its own, and centrifuge's, in it
// too (live.WithRegistry).
func newMetrics() (*prometheus.Registry, *metrics.Metrics, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, nil, err
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, nil, err
	}
	m, err := metrics.New(reg)
	if err != nil {
		return nil, nil, err
	}
	return reg, m, nil
}

// metricsHandler serves what g gathers in the Prometheus text (or
// negotiated) format.
func metricsHandler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}

// newAdminServer returns the opt-in admin server (-admin): net/http/pprof
// under /debug/pprof/ and the metrics at /metrics. It is meant for a
// private address; pprof is never served on the main one.
//
// Importing net/http/pprof also registers its handlers on
// http.DefaultServeMux (the package's init does). That is harmless here
// because no server of this program serves DefaultServeMux: both have a
// ServeMux of their own, and the handlers are registered on this one
// explicitly.
func newAdminServer(g prometheus.Gatherer, log *slog.Logger) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // also the named profiles: heap, goroutine, allocs…
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("GET /metrics", metricsHandler(g))
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       120 * time.Second,
		// No WriteTimeout: a CPU profile or trace streams for ?seconds=.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// tracker counts the requests a handler is serving, so that shutdown can
// say how many it cut and wait for them to return. The zero value is ready.
type tracker struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0
}

// wrap counts every request h serves. It hands h the ResponseWriter as it
// is, so flushing and http.ResponseController keep working.
func (t *tracker) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.mu.Lock()
		if t.n == 0 {
			t.idle = make(chan struct{})
		}
		t.n++
		t.mu.Unlock()
		defer func() { // also when h aborts with http.ErrAbortHandler
			t.mu.Lock()
			t.n--
			if t.n == 0 {
				close(t.idle)
			}
			t.mu.Unlock()
		}()
		h.ServeHTTP(w, r)
	})
}

// count returns the requests being served now.
func (t *tracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// wait waits until no request is being served or ctx ends, and returns how
// many still are.
func (t *tracker) wait(ctx context.Context) int {
	t.mu.Lock()
	n, idle := t.n, t.idle
	t.mu.Unlock()
	if n == 0 {
		return 0
	}
	select {
	case <-idle:
	case <-ctx.Done():
	}
	return t.count()
}
