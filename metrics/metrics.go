// Package metrics exports what the render engine observes to Prometheus:
// requests by mode, status and outcome, shed requests, client disconnects,
// pages in flight, time to the skeleton, page duration, and each pagelet's
// queue, fetch and render latency and failures.
//
//	reg := prometheus.NewRegistry()
//	m, err := metrics.New(reg)
//	if err != nil { … }
//	rd, _ := render.New(assets, render.WithObserver(m))
//	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// # Metrics
//
// Every name starts with bigpipe_. Durations are in seconds.
//
//   - bigpipe_requests_total{mode,status,outcome}: answered requests.
//   - bigpipe_shed_requests_total: requests answered 503 because the
//     renderer was over its [render.Limits].
//   - bigpipe_client_disconnects_total: pages the client left (or stopped
//     reading) before they were complete.
//   - bigpipe_pages_in_flight: pages being answered now.
//   - bigpipe_skeleton_seconds{mode}: from the start of the request to its
//     first byte, for responses that sent one.
//   - bigpipe_page_duration_seconds{mode,outcome}: whole responses.
//   - bigpipe_pagelet_queue_seconds{pagelet}, bigpipe_pagelet_fetch_seconds{pagelet},
//     bigpipe_pagelet_render_seconds{pagelet}: each pagelet's wait for a
//     fetch slot, its Load, and the rendering of its component.
//   - bigpipe_pagelet_failures_total{pagelet,kind}: pagelets that showed
//     their fallback, by [render.Failure].
//
// # Cardinality
//
// The pagelet label takes pagelet ids, so the ids must come from a small,
// fixed set: never build them from request data. The pages of this
// repository use fixed ids, except /bench whose ids p0…pN are bounded by
// its own cap (64). As insurance, once [WithMaxPagelets] distinct ids
// (default 200) have been seen, any further id is counted as
// [OtherPagelet].
package metrics

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bigpipe-go/bigpipe/render"
)

// OtherPagelet is the pagelet label of every id beyond the first
// [WithMaxPagelets] distinct ones.
const OtherPagelet = "other"

// DefaultMaxPagelets is how many distinct pagelet ids get a label of their
// own unless [WithMaxPagelets] says otherwise.
const DefaultMaxPagelets = 200

// DefaultBuckets are the histogram buckets, in seconds: web latencies from
// 1 ms to 30 s.
var DefaultBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// Option configures [New].
type Option func(*Metrics)

// WithMaxPagelets sets how many distinct pagelet ids get a label of their
// own; later ids are counted as [OtherPagelet]. n <= 0 means no cap.
func WithMaxPagelets(n int) Option { return func(m *Metrics) { m.ids.max = n } }

// Metrics is a [render.Observer] that counts into Prometheus collectors.
// Create it with [New]; it is safe for concurrent use.
type Metrics struct {
	requests   *prometheus.CounterVec
	shed       prometheus.Counter
	clientGone prometheus.Counter
	inFlight   prometheus.Gauge
	skeleton   *prometheus.HistogramVec
	duration   *prometheus.HistogramVec
	queue      *prometheus.HistogramVec
	fetch      *prometheus.HistogramVec
	render     *prometheus.HistogramVec
	failures   *prometheus.CounterVec
	ids        idSet
}

var _ render.Observer = (*Metrics)(nil)

// New creates the metrics and registers them with reg. It fails if reg is
// nil or already holds metrics of the same names (a second New on one
// registry, say).
func New(reg prometheus.Registerer, opts ...Option) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("metrics: nil Registerer")
	}
	hist := func(name, help string, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: DefaultBuckets}, labels)
	}
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bigpipe_requests_total",
			Help: "Requests answered by the renderer, by mode, HTTP status and outcome.",
		}, []string{"mode", "status", "outcome"}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bigpipe_shed_requests_total",
			Help: "Requests answered 503 with Retry-After because the renderer was over its limits.",
		}),
		clientGone: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bigpipe_client_disconnects_total",
			Help: "Pages whose client went away or stopped reading before they were complete.",
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bigpipe_pages_in_flight",
			Help: "Requests the renderer is answering now.",
		}),
		skeleton: hist("bigpipe_skeleton_seconds", "Time from the start of a request to its first byte (the skeleton), by mode.", "mode"),
		duration: hist("bigpipe_page_duration_seconds", "Time from the start of a request to the end of its response, by mode and outcome.", "mode", "outcome"),
		queue:    hist("bigpipe_pagelet_queue_seconds", "Time a pagelet waited for a fetch slot, by pagelet id.", "pagelet"),
		fetch:    hist("bigpipe_pagelet_fetch_seconds", "Time a pagelet spent loading its data, by pagelet id.", "pagelet"),
		render:   hist("bigpipe_pagelet_render_seconds", "Time a pagelet spent rendering its component, by pagelet id.", "pagelet"),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bigpipe_pagelet_failures_total",
			Help: "Pagelets that showed their fallback, by pagelet id and kind of failure.",
		}, []string{"pagelet", "kind"}),
		ids: idSet{max: DefaultMaxPagelets},
	}
	for _, o := range opts {
		o(m)
	}
	for _, c := range []prometheus.Collector{m.requests, m.shed, m.clientGone, m.inFlight, m.skeleton, m.duration, m.queue, m.fetch, m.render, m.failures} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	return m, nil
}

// PageStarted counts a page in flight.
func (m *Metrics) PageStarted(*http.Request) { m.inFlight.Inc() }

// PageletDone records a settled pagelet's latencies and failure. Its
// queue wait and fetch time are recorded unless the page gave it up
// half-way ([render.FailCanceled]); its render time only if its content is
// shown.
func (m *Metrics) PageletDone(_ *http.Request, s render.PageletStats) {
	id := m.ids.label(s.ID)
	if s.Failure != render.FailNone {
		m.failures.WithLabelValues(id, string(s.Failure)).Inc()
	}
	if s.Failure == render.FailCanceled { // its times say nothing
		return
	}
	m.queue.WithLabelValues(id).Observe(s.Queue.Seconds())
	m.fetch.WithLabelValues(id).Observe(s.Fetch.Seconds())
	if s.Failure == render.FailNone {
		m.render.WithLabelValues(id).Observe(s.Render.Seconds())
	}
}

// PageDone counts a finished request and records its timings.
func (m *Metrics) PageDone(_ *http.Request, s render.PageStats) {
	m.inFlight.Dec()
	mode := s.Mode.String()
	m.requests.WithLabelValues(mode, strconv.Itoa(s.Status), string(s.Outcome)).Inc()
	switch s.Outcome {
	case render.Shed:
		m.shed.Inc()
	case render.ClientGone:
		m.clientGone.Inc()
	}
	if s.Skeleton > 0 {
		m.skeleton.WithLabelValues(mode).Observe(s.Skeleton.Seconds())
	}
	m.duration.WithLabelValues(mode, string(s.Outcome)).Observe(s.Duration.Seconds())
}

// idSet caps the distinct values of the pagelet label.
type idSet struct {
	max  int      // distinct ids allowed; <= 0 means no cap
	seen sync.Map // id → struct{}: read without locking once an id is known
	mu   sync.Mutex
	n    int // ids in seen
}

// label returns id if it is known or there is room for it, else OtherPagelet.
func (s *idSet) label(id string) string {
	if s.max <= 0 {
		return id
	}
	if _, ok := s.seen.Load(id); ok {
		return id
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen.Load(id); ok {
		return id
	}
	if s.n >= s.max {
		return OtherPagelet
	}
	s.seen.Store(id, struct{}{})
	s.n++
	return id
}
