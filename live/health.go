package live

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/centrifugal/centrifuge"
	"github.com/prometheus/client_golang/prometheus"
)

// Timing of the broker probe.
const (
	// probeInterval is how often the engine reads a reserved channel's
	// position on each Redis shard to learn whether the broker answers.
	probeInterval = time.Second
	// probeTimeout is how long a probe may take before the shard counts
	// as down: a Redis on the same network answers in well under a
	// millisecond; one that hangs (paused, swapping, failing over) answers
	// only after centrifuge's own timeout of about 4 s.
	probeTimeout = time.Second
	// probeChannelPrefix names the probe's channels, one per shard. No
	// feed declares them, so no client may subscribe to them.
	probeChannelPrefix = "_bigpipe.probe."
)

// ErrBrokerDown is what [Engine.Position] and [Feed.Publish] return at once,
// wrapped, while the engine's probe knows the broker (the Redis shard of
// the channel) does not answer: a page is then rendered with that
// pagelet's position unknown instead of waiting (its client refetches it
// once connected), and a publisher may retry later.
var ErrBrokerDown = errors.New("live: broker unreachable")

// Health is what the engine knows of its broker, from its probe.
type Health struct {
	// Broker is "memory" or "redis" (with the number of shards when
	// there are several, "redis (2 shards)").
	Broker string
	// BrokerUp is true when every shard answered the last probe. The
	// memory broker is always up.
	BrokerUp bool
	// Since is when BrokerUp became what it is (the engine's start, at
	// first).
	Since time.Time
	// Down lists the shards (indexes in WithRedis's order) that did not
	// answer the last probe.
	Down []int
	// LastError is the last probe failure, "" if there was none.
	LastError string
	// Outages counts the times the broker went from up to down.
	Outages int
}

// String is one line for a health endpoint: "ok", or "degraded: …" saying
// since when and why.
func (h Health) String() string {
	if h.BrokerUp {
		return "ok"
	}
	return fmt.Sprintf("degraded: live broker unreachable since %s (shards %v down: %s)",
		h.Since.UTC().Format(time.RFC3339), h.Down, h.LastError)
}

// health is the engine's knowledge of its shards, updated by the probe.
type health struct {
	broker string
	up     prometheus.Gauge
	fails  *prometheus.CounterVec // by shard
	outs   prometheus.Counter

	mu      sync.RWMutex
	down    []bool // by shard
	since   time.Time
	lastErr string
	outages int
}

func newHealth(broker string, shards int, m *metrics, now time.Time) *health {
	h := &health{broker: broker, up: m.brokerUp, fails: m.brokerFailures, outs: m.brokerOutages,
		down: make([]bool, max(shards, 1)), since: now}
	h.up.Set(1)
	return h
}

// report records shard i's probe: err nil when it answered.
func (h *health) report(i int, err error, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	wasUp := !h.anyDown()
	h.down[i] = err != nil
	if err != nil {
		h.lastErr = fmt.Sprintf("shard %d: %v", i, err)
		h.fails.WithLabelValues(fmt.Sprint(i)).Inc()
	}
	switch isUp := !h.anyDown(); {
	case wasUp && !isUp:
		h.since = now
		h.outages++
		h.outs.Inc()
		h.up.Set(0)
	case !wasUp && isUp:
		h.since = now
		h.up.Set(1)
	}
}

// startDown records that no shard could be reached at start: the broker
// is down from the start, which counts as no outage (it was never up).
func (h *health) startDown(err error, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.down {
		h.down[i] = true
	}
	h.lastErr = err.Error()
	h.since = now
	h.up.Set(0)
}

func (h *health) anyDown() bool {
	for _, d := range h.down {
		if d {
			return true
		}
	}
	return false
}

// check returns ErrBrokerDown, wrapped with since when and why, if shard i
// is known down.
func (h *health) check(i int) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if !h.down[i] {
		return nil
	}
	return fmt.Errorf("%w since %s: %s", ErrBrokerDown, h.since.Format(time.RFC3339), h.lastErr)
}

// checkAny returns ErrBrokerDown, as check does, if any shard is known
// down: a message that goes to whichever shard (a control message) may
// go to that one.
func (h *health) checkAny() error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if !h.anyDown() {
		return nil
	}
	return fmt.Errorf("%w since %s: %s", ErrBrokerDown, h.since.Format(time.RFC3339), h.lastErr)
}

func (h *health) get() Health {
	h.mu.RLock()
	defer h.mu.RUnlock()
	r := Health{Broker: h.broker, BrokerUp: !h.anyDown(), Since: h.since, LastError: h.lastErr, Outages: h.outages}
	for i, d := range h.down {
		if d {
			r.Down = append(r.Down, i)
		}
	}
	return r
}

// Health reports what the engine's probe knows of its broker.
func (e *Engine) Health() Health { return e.health.get() }

// brokerCheck returns ErrBrokerDown if the shard that holds channel is
// known down.
func (e *Engine) brokerCheck(channel string) error {
	return e.health.check(ShardOf(channel, e.redis.n()))
}

// probeChannels returns one reserved channel per shard, each held by that
// shard (see [ShardOf]).
func probeChannels(n int) []string {
	out := make([]string, n)
	found := 0
	for k := 0; found < n; k++ {
		ch := fmt.Sprint(probeChannelPrefix, k)
		if i := ShardOf(ch, n); out[i] == "" {
			out[i] = ch
			found++
		}
	}
	return out
}

// probe reads each shard's probe channel position every probeInterval
// until stop is closed, and reports the outcome to e.health. A read that
// takes longer than probeTimeout marks its shard down at once; it is not
// asked again until it returns (centrifuge bounds every Redis command).
// When a shard comes back, or its probe channel's epoch changes (Redis
// lost its data), its channels are checked for lost publications for a
// while (see [resyncWindow]); and every positionCheck in any case, in
// place of centrifuge's check of each client (see
// [redisLink.ReliableDelivery]). probe returns once none of the reads and
// checks it started runs any more.
func (e *Engine) probe(stop <-chan struct{}) {
	type answer struct {
		epoch string
		err   error
	}
	n := e.redis.n()
	channels := probeChannels(n)
	pending := make([]chan answer, n) // a read running for the shard; nil: none
	wasDown := make([]bool, n)
	epochs := make([]string, n)
	until := make([]time.Time, n)        // when each shard's resync checks end
	emptied := make([]bool, n)           // each shard's window began with its data lost (a new epoch)
	resyncs := make([]resync, n)         // each touched by its shard's round only, or while none runs
	checking := make([]chan struct{}, n) // a resync round running for the shard; nil or closed: none
	nextCheck := make([]time.Time, n)    // when each shard's next position round is due (see positionCheck)
	var work sync.WaitGroup
	defer work.Wait()
	read := func(ch string) chan answer {
		done := make(chan answer, 1) // never blocks: the read ends whether anyone waits or not
		work.Go(func() {
			res, err := e.node.History(ch, centrifuge.WithLimit(0), centrifuge.WithHistoryMetaTTL(time.Hour))
			done <- answer{res.Epoch, err}
		})
		return done
	}
	tick := time.NewTicker(probeInterval)
	defer tick.Stop()
	for {
		for i, ch := range channels {
			if pending[i] == nil {
				pending[i] = read(ch)
			}
		}
		deadline := time.NewTimer(probeTimeout)
		late := false
		for i := range pending {
			var a answer
			if !late {
				select {
				case a = <-pending[i]:
				case <-deadline.C:
					late = true
				case <-stop:
					deadline.Stop()
					return
				}
			}
			if late {
				select {
				case a = <-pending[i]:
				default:
					e.health.report(i, fmt.Errorf("no answer within %v", probeTimeout), e.cfg.now())
					wasDown[i] = true
					continue // still pending: asked again once it returns
				}
			}
			pending[i] = nil
			e.health.report(i, a.err, e.cfg.now())
			if a.err != nil {
				wasDown[i] = true
				continue
			}
			now := time.Now()
			if wasDown[i] || epochs[i] != "" && epochs[i] != a.epoch {
				if !now.Before(until[i]) { // a new window
					emptied[i] = false
				}
				emptied[i] = emptied[i] || epochs[i] != "" && epochs[i] != a.epoch
				until[i] = now.Add(resyncWindow)
			}
			wasDown[i], epochs[i] = false, a.epoch
			periodic := !now.Before(nextCheck[i])
			if (periodic || now.Before(until[i])) && !running(checking[i]) {
				if periodic {
					nextCheck[i] = now.Add(e.positionCheck())
				}
				done := make(chan struct{})
				checking[i] = done
				resyncs[i].emptied = emptied[i] // no round runs: see resyncs
				work.Go(func() {
					defer close(done)
					e.resyncRound(i, n, &resyncs[i], stop, &work)
				})
			}
		}
		deadline.Stop()
		select {
		case <-tick.C:
		case <-stop:
			return
		}
	}
}

// running reports whether done is a round not finished yet.
func running(done chan struct{}) bool {
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}
