package live

import (
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
