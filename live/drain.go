package live

import (
	"context"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/centrifugal/centrifuge"
)

// disconnectSpread disconnects each client with d at a uniformly random
// moment within window from now, so that their reconnects do not all land
// at once. It returns once every client has been told, or at once when
// stop is closed (the rest are then left to whoever stops the engine).
func disconnectSpread(clients []*centrifuge.Client, window time.Duration, d centrifuge.Disconnect, stop <-chan struct{}) {
	type slot struct {
		at time.Duration
		c  *centrifuge.Client
	}
	slots := make([]slot, len(clients))
	for i, c := range clients {
		var at time.Duration
		if window > 0 {
			at = rand.N(window)
		}
		slots[i] = slot{at, c}
	}
	slices.SortFunc(slots, func(a, b slot) int { return int(a.at - b.at) })
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for _, s := range slots {
		if wait := s.at - time.Since(start); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-stop:
				return
			}
		}
		s.c.Disconnect(d)
	}
}

// drainCode is what a drained client is told: centrifuge's shutdown
// disconnect (3001), on which live.js, like centrifuge's own SDKs,
// reconnects after its first backoff (0–500 ms, full jitter), through
// the load balancer to another instance.
var drainCode = centrifuge.DisconnectShutdown

// Drain is the live half of a deploy's graceful stop. From its call the
// engine refuses new live connections (503 with Retry-After, so that a
// client or proxy tries another instance) and [Engine.Draining] reports
// true; each client connected then is disconnected with centrifuge's
// shutdown code (3001, "reconnect") at a uniformly random moment within
// window, so that the other instances take the reconnects gradually
// rather than all at once; then the engine is closed ([Engine.Close]).
// Pages keep being served meanwhile (their live pagelets connect
// elsewhere). A ctx done early cuts the window short: the clients left are
// disconnected at once by Close.
func (e *Engine) Drain(ctx context.Context, window time.Duration) error {
	e.closed.Store(true)
	var clients []*centrifuge.Client
	for _, c := range e.node.Hub().Connections() {
		clients = append(clients, c)
	}
	e.cfg.log.Info("live: draining: new connections refused; connected clients told to reconnect elsewhere over the window",
		"clients", len(clients), "window", window)
	start := time.Now()
	e.m.drained.Add(float64(len(clients)))
	disconnectSpread(clients, window, drainCode, ctx.Done())
	err := e.Close(ctx)
	e.cfg.log.Info("live: drained", "clients", len(clients), "took", time.Since(start).Round(time.Millisecond))
	return err
}

// Draining reports whether the engine refuses new connections: [Engine.Drain]
// or [Engine.Close] has begun.
func (e *Engine) Draining() bool { return e.closed.Load() }
