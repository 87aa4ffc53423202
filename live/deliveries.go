package live

import (
	"github.com/centrifugal/centrifuge"
	"github.com/prometheus/client_golang/prometheus"
)

// The engine's metrics in a monitor's shape: how many clients each
// publication reached, connects and disconnects by reason, errors by kind.
// Every label has a fixed set of values: no reader, channel or article id
// ever becomes one, so readers coming and going do not grow the series.

// monitor is those metrics.
type monitor struct {
	perPublication prometheus.Histogram   // clients here a publication was delivered to
	connects       *prometheus.CounterVec // connections accepted, by transport
	disconnects    *prometheus.CounterVec // by disconnectReason
	errors         *prometheus.CounterVec // by errorKind
}

func newMonitor() monitor {
	return monitor{
		perPublication: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "bigpipe_live_deliveries_per_publication",
			Help:    "Clients on this instance each publication the broker delivered here reached (subscribers of its channel when it arrived; a filter or Except may leave some out).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 7), // 1, 2, 4, …, 64, +Inf
		}),
		connects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bigpipe_live_connects_total", Help: "Live connections accepted, by transport.",
		}, []string{"transport"}),
		disconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bigpipe_live_disconnects_total", Help: "Live connections ended, by reason (" + reasonList + ").",
		}, []string{"reason"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bigpipe_live_errors_total", Help: "Live engine errors, by kind (" + errorList + ").",
		}, []string{"kind"}),
	}
}

// Error kinds of bigpipe_live_errors_total.
const (
	errPublish  = "publish"       // a Publish the broker refused or that was over a limit
	errPresence = "presence"      // a presence count not read
	errSession  = "session_check" // a session check that failed (not a refusal)
	errPosition = "position"      // a channel position not read for a page
	errorList   = "publish, presence, session_check, position"
)

// reasonList names disconnectReason's values.
const reasonList = "closed, shutdown, drained, expired, slow, resync, no_pong, session_ended, refused, server_error, other"

// disconnectReason maps a disconnect code to a fixed set of reasons.
func disconnectReason(code uint32) string {
	switch code {
	case centrifuge.DisconnectConnectionClosed.Code:
		return "closed"
	case centrifuge.DisconnectShutdown.Code:
		return "shutdown"
	case centrifuge.DisconnectForceReconnect.Code:
		return "drained"
	case centrifuge.DisconnectExpired.Code:
		return "expired"
	case centrifuge.DisconnectSlow.Code, centrifuge.DisconnectWriteError.Code:
		return "slow"
	case centrifuge.DisconnectInsufficientState.Code:
		return "resync"
	case centrifuge.DisconnectNoPong.Code, centrifuge.DisconnectStale.Code:
		return "no_pong"
	case DisconnectSessionEnded.Code:
		return "session_ended"
	case centrifuge.DisconnectInvalidToken.Code, centrifuge.DisconnectPermissionDenied.Code, centrifuge.DisconnectChannelLimit.Code,
		centrifuge.DisconnectBadRequest.Code:
		return "refused"
	case centrifuge.DisconnectServerError.Code:
		return "server_error"
	}
	return "other"
}
