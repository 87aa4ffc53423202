package live

import (
	"fmt"

	"github.com/centrifugal/centrifuge"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the engine's own, beside centrifuge's (centrifuge_*), in the
// same registry.
type metrics struct {
	monitor                               // deliveries per publication, connects, disconnects, errors (deliveries.go)
	connections    *prometheus.GaugeVec   // open, by transport
	publications   *prometheus.CounterVec // by channel kind
	deliveries     *prometheus.CounterVec // publications times this instance's subscribers, by kind
	publishSeconds *prometheus.HistogramVec
	publishToWrite prometheus.Histogram   // from a Publish call, on any instance, to the write of the publication to a client here
	refetches      *prometheus.CounterVec // pagelets refetched because recovery was impossible, by kind
	refused        *prometheus.CounterVec // connections refused, by reason
	slow           prometheus.Counter     // clients disconnected for reading too slowly
	brokerUp       prometheus.Gauge       // 1 while every broker shard answers the probe
	brokerFailures *prometheus.CounterVec // probes that failed, by shard
	brokerOutages  prometheus.Counter     // times the broker went from up to down
	drained        prometheus.Counter     // clients told to reconnect elsewhere by Drain
	resynced       prometheus.Counter     // clients disconnected to recover what a broker outage lost
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		monitor: newMonitor(),
		connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bigpipe_live_connections", Help: "Live connections open, by transport.",
		}, []string{"transport"}),
		publications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bigpipe_live_publications_total", Help: "Publications made on this instance, by channel kind.",
		}, []string{"kind"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bigpipe_live_deliveries_total", Help: "Publications made on this instance times the subscribers this instance had for them, by channel kind.",
		}, []string{"kind"}),
		publishSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bigpipe_live_publish_seconds", Help: "Time from a Publish call to the publication handed to the broker (rendering included), by channel kind. " +
				"centrifuge_node_broadcast_duration_seconds is the time from the broker to every local client's queue.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25},
		}, []string{"kind"}),
		publishToWrite: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "bigpipe_live_publish_to_write_seconds", Help: "Time from a Publish call (on this instance or another: their clocks must agree) to the publication written to one client's connection here, " +
				"one observation per client written to: what a reader waits for, but for the network and the browser.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		refetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bigpipe_live_refetches_total", Help: "Live pagelets refetched over HTTP because their missed publications could not be recovered, by channel kind. " +
				"Recovered ones are centrifuge_client_recover{recovered=\"yes\"}.",
		}, []string{"kind"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bigpipe_live_refused_total", Help: "Live connections refused, by reason.",
		}, []string{"reason"}),
		slow: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bigpipe_live_slow_disconnects_total", Help: "Clients disconnected because they read too slowly.",
		}),
		brokerUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bigpipe_live_broker_up", Help: "1 while every shard of the live engine's broker answers its probe (a position read each second), 0 otherwise. The memory broker is always up.",
		}),
		brokerFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bigpipe_live_broker_failures_total", Help: "Broker probes that failed or took over a second, by Redis shard (its index among the -redis URLs).",
		}, []string{"shard"}),
		brokerOutages: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bigpipe_live_broker_outages_total", Help: "Times the live broker went from up to down (see bigpipe_live_broker_up).",
		}),
		drained: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bigpipe_live_drained_total", Help: "Live clients disconnected by a drain (deploy, SIGTERM) and told to reconnect, to another instance.",
		}),
		resynced: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bigpipe_live_resync_disconnects_total", Help: "Live clients disconnected (to reconnect and recover, or refetch) because their channel lost publications on their way to this instance (a broker outage, or a dropped PUB/SUB connection).",
		}),
	}
	for _, c := range []prometheus.Collector{m.connections, m.publications, m.deliveries, m.publishSeconds, m.publishToWrite, m.refetches, m.refused, m.slow,
		m.brokerUp, m.brokerFailures, m.brokerOutages, m.drained, m.resynced, m.perPublication, m.connects, m.disconnects, m.errors} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("live: metrics: %w", err)
		}
	}
	return m, nil
}

// Refetched counts a live pagelet refetched through the fragment endpoint
// (render.FragmentParam calls it on a Live that has it).
func (e *Engine) Refetched(channel string) {
	if s := e.lookup(channel); s != nil {
		e.m.refetches.WithLabelValues(s.kind.String()).Inc()
	}
}

// registererGatherer is reg as centrifuge takes it: a Registerer that is a
// Gatherer too. Centrifuge gathers only to aggregate a snapshot of its own
// metrics for its node-info API (every NodeInfoMetricsAggregateInterval),
// which the engine does not use; a Registerer that gathers nothing (such as
// one from prometheus.WrapRegistererWith) gets an empty Gatherer, not
// prometheus.DefaultGatherer, centrifuge's fallback.
func registererGatherer(reg prometheus.Registerer) centrifuge.RegistererGatherer {
	if rg, ok := reg.(centrifuge.RegistererGatherer); ok {
		return rg
	}
	return struct {
		prometheus.Registerer
		prometheus.Gatherer
	}{reg, prometheus.Gatherers{}}
}
