// The Prometheus metrics: one registry for the renderer's, the live
// engine's and the Go runtime's, served at /metrics (-metrics, -admin).

package main

import (
	"net/http"

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
