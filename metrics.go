// The Prometheus metrics: one registry for the renderer's, the live
// engine's, the pagelet cache's, the demo store's backend calls and the Go
// runtime's, served at /metrics (-metrics, -admin).

package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bigpipe-go/bigpipe/internal/store"
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

// registerBackendCalls registers bigpipe_demo_backend_calls_total in reg:
// the reads of each of st's emulated backends (store.Calls), which the
// pagelet cache (-cache) saves.
func registerBackendCalls(reg prometheus.Registerer, st *store.Store) error {
	for _, src := range store.Sources() {
		c := prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "bigpipe_demo_backend_calls_total",
			Help:        "Reads of the demo store's emulated backends (each waits its -latency), by source.",
			ConstLabels: prometheus.Labels{"source": src},
		}, func() float64 { return float64(st.Calls(src)) })
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
