package live

import (
	"sync"
	"time"

	"github.com/centrifugal/centrifuge"
)

// After a Redis outage the broker's pub/sub connection is re-established
// and its channels resubscribed by centrifuge, but a publication made in
// between reached the stream (the history) and not this instance. A
// client notices such a loss at the channel's next publication (a gap in
// offsets: it is disconnected to recover) or at the engine's periodic
// check of each channel (every positionCheck, 40 s: see
// [redisLink.ReliableDelivery]), which is this round too. A comment
// thread may have no next publication for long: the engine closes that
// hole itself, sooner after an outage. For
// resyncWindow after a shard came back (down, then up) or lost its data
// (the probe channel's epoch changed: Redis restarted empty), it compares,
// every probe interval, each local channel's position in Redis with the
// last publication delivered here, and disconnects the clients of a
// channel that missed some, at random moments within resyncJitter, with
// DisconnectInsufficientState: they reconnect and recover, or refetch. A
// channel whose position in Redis is behind what was delivered here, in
// the same epoch (a Sentinel failover to a replica that had not received
// the last publications) has its history dropped, so that its epoch
// changes, and its clients told the same: they cannot recover and refetch.
const (
	resyncWindow = 10 * time.Second
	resyncJitter = time.Second
)

// trackingBroker is the Redis broker, noting the position of every
// publication it delivers to this instance.
type trackingBroker struct {
	*centrifuge.RedisBroker
	e *Engine
}

// ReliableDelivery tells centrifuge not to check each client's position
// in Redis every 40 s (ClientChannelPositionCheckDelay): that check reads
// the client's position, then the stream's top, and a publication in the
// stream but not yet in the client's queue (a fan-out to thousands of
// connections takes seconds on a busy machine) made it disconnect clients
// that lost nothing with "insufficient state" (3010): 3-4 % of 100,000
// during a publication (issue 26). The engine checks each channel instead
// (one read per channel, not one per client), against the position read a
// round earlier, which every publication made before has had
// [positionCheck] to reach this instance: see resyncRound.
func (l *redisLink) ReliableDelivery() bool { return true }

// positionCheck is how often the engine checks each local channel for
// publications lost on their way to this instance (a PUB/SUB connection
// that dropped them): centrifuge's client position check delay.
func (e *Engine) positionCheck() time.Duration {
	if e.cfg.positionRound > 0 {
		return e.cfg.positionRound
	}
	return 40 * time.Second
}

// RegisterBrokerEventHandler hands the broker a handler that notes each
// publication's position before the node delivers it.
func (b *trackingBroker) RegisterBrokerEventHandler(h centrifuge.BrokerEventHandler) error {
	return b.RedisBroker.RegisterBrokerEventHandler(trackingHandler{h, b.e})
}

// tracingMemoryBroker is the memory broker of an engine: it counts (and,
// WithTracerProvider, traces) each delivery as the Redis broker's
// trackingHandler does.
type tracingMemoryBroker struct {
	*centrifuge.MemoryBroker
	e *Engine
}

func (b *tracingMemoryBroker) RegisterBrokerEventHandler(h centrifuge.BrokerEventHandler) error {
	return b.MemoryBroker.RegisterBrokerEventHandler(trackingHandler{h, b.e})
}

// ReliableDelivery tells centrifuge that every publication reaches this
// node's clients: the memory broker adds it to the history and hands it to
// the node under one lock, in order, and a client whose queue cannot take
// it is disconnected as slow. Centrifuge then skips its periodic position
// check, which compares a client's position with the history's top: run
// while a publication is in the history and not yet in that client's
// queue (a fan-out to thousands of connections takes seconds on a busy
// machine), it disconnected clients that lost nothing with "insufficient
// state" (3010, issue 26).
func (b *tracingMemoryBroker) ReliableDelivery() bool { return true }

// trackingHandler is the node's broker event handler, as the engine's
// broker hands it publications: it notes their positions (with Redis),
// counts how many clients here each reaches, and traces their delivery
// here (with a tracer).
type trackingHandler struct {
	centrifuge.BrokerEventHandler
	e *Engine
}

func (h trackingHandler) HandlePublication(ch string, pub *centrifuge.Publication, sp centrifuge.StreamPosition, delta bool, prev *centrifuge.Publication) error {
	if h.e.seen != nil {
		h.e.seen.note(ch, sp)
	}
	h.e.m.perPublication.Observe(float64(h.e.node.Hub().NumSubscribers(ch)))
	if t := h.e.cfg.tracer; t != nil {
		span := h.e.startDelivery(t, ch, pub, sp) // trace.go
		defer span.End()
	}
	return h.BrokerEventHandler.HandlePublication(ch, pub, sp, delta, prev)
}

// delivered is, by channel, the position of the last publication the
// broker delivered to this instance.
type delivered struct {
	mu  sync.Mutex
	pos map[string]centrifuge.StreamPosition
}

func newDelivered() *delivered { return &delivered{pos: make(map[string]centrifuge.StreamPosition)} }

func (d *delivered) note(ch string, sp centrifuge.StreamPosition) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if cur, ok := d.pos[ch]; ok && cur.Epoch == sp.Epoch && cur.Offset >= sp.Offset {
		return // a late one: the client skips it too
	}
	d.pos[ch] = sp
}

// set makes sp the position of ch's last delivery, even if it is behind
// the one noted: Redis's history went back (a failover to a replica that
// had not received the latest publications).
func (d *delivered) set(ch string, sp centrifuge.StreamPosition) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pos[ch] = sp
}

func (d *delivered) get(ch string) (centrifuge.StreamPosition, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	sp, ok := d.pos[ch]
	return sp, ok
}

// channels returns the channels noted, as a set.
func (d *delivered) channels() map[string]bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]bool, len(d.pos))
	for ch := range d.pos {
		out[ch] = true
	}
	return out
}

// keep forgets the channels not in local: this instance has no subscriber
// for them any more.
func (d *delivered) keep(local map[string]bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for ch := range d.pos {
		if !local[ch] {
			delete(d.pos, ch)
		}
	}
}

// resync is one shard's check after an outage: the positions read at its
// previous round.
type resync struct {
	prev map[string]centrifuge.StreamPosition
	// emptied: the shard lost its data (Redis restarted empty). A channel
	// nothing was delivered on here since is then taken as lost too;
	// otherwise (the shard paused, or its probe was merely slow under
	// load) it is passed over: telling its clients to resync would
	// reconnect every connection of channels nothing was published to (at
	// 100,000 connections on two cores, every slow probe did), and a
	// publication lost there is noticed by the periodic round.
	emptied bool
}

// resyncRound checks the local channels of shard i (of n) once: a channel
// whose position read at the previous round is past what was delivered
// here since (or in another epoch) lost a publication, and its clients are
// told to resync. A channel seen for the first time is only noted. It
// stops at the first read that fails: the shard is down again, and the
// probe's next round says so.
func (e *Engine) resyncRound(i, n int, r *resync, stop <-chan struct{}, spread *sync.WaitGroup) {
	local := make(map[string]bool)
	for _, ch := range e.node.Hub().Channels() {
		local[ch] = true
	}
	// The rollback check covers the channels delivered here whose clients
	// are away too (disconnected by the outage, say): they come back with
	// the offsets they saw. Those are then forgotten.
	check := e.seen.channels()
	for ch := range local {
		check[ch] = true
	}
	defer e.seen.keep(local)
	next := make(map[string]centrifuge.StreamPosition)
	var lost []string
	for ch := range check {
		spec := e.lookup(ch)
		if spec == nil || ShardOf(ch, n) != i {
			continue
		}
		// What was delivered here is read before Redis's position: a
		// publication delivered in between cannot look like a rollback.
		before, delivered := e.seen.get(ch)
		res, err := e.node.History(ch, centrifuge.WithLimit(0), centrifuge.WithHistoryMetaTTL(spec.metaTTL()))
		if err != nil {
			return
		}
		top := res.StreamPosition
		next[ch] = top
		if !delivered && local[ch] && !r.emptied {
			// Nothing delivered here yet: its clients stand at most at
			// top. What is published after must reach here, and is
			// checked from now on. (A shard that lost its data is
			// checked against the delivered position as it was.)
			e.seen.note(ch, top)
		}
		if delivered && before.Epoch == top.Epoch && before.Offset > top.Offset {
			// Redis's history went back, its epoch the same: a failover to
			// a replica that missed the latest publications. Their offsets
			// will be given again to new ones, which a client that saw the
			// lost ones would skip: its clients must refetch (their
			// offset is past the stream's top: centrifuge cannot recover
			// them).
			// The history is dropped too, so that its epoch changes: a
			// client that reconnects after a new publication took a lost
			// one's offset must not be told it recovered.
			if err := e.redis.dropHistory(i, ch); err != nil {
				e.cfg.log.Warn("live: Redis's history went back, and could not be dropped", "channel", ch, "err", err)
				return // the shard is down again: the next round sees it
			}
			e.cfg.log.Warn("live: Redis's history went back (a failover to a replica that missed publications): "+
				"its clients refetch", "channel", ch, "delivered", before.Offset, "redis", top.Offset)
			lost = append(lost, ch)
			e.seen.set(ch, centrifuge.StreamPosition{})
			continue
		}
		prev, ok := r.prev[ch]
		if !ok || !local[ch] {
			continue
		}
		got, ok := e.seen.get(ch)
		if !ok && !r.emptied {
			continue
		}
		if got.Epoch != prev.Epoch || got.Offset < prev.Offset {
			lost = append(lost, ch)
			e.seen.note(ch, top) // its clients recover up to top: not again for the same loss
		}
	}
	r.prev = next
	if len(lost) == 0 {
		return
	}
	var clients []*centrifuge.Client
	for _, c := range e.node.Hub().Connections() {
		for _, ch := range c.Channels() {
			if contains(lost, ch) {
				clients = append(clients, c)
				break
			}
		}
	}
	e.cfg.log.Warn("live: publications lost on their way to this instance (a broker outage, or PUB/SUB dropped them): "+
		"their clients reconnect to recover them",
		"channels", lost, "clients", len(clients))
	e.m.resynced.Add(float64(len(clients)))
	spread.Go(func() { disconnectSpread(clients, resyncJitter, centrifuge.DisconnectInsufficientState, stop) })
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
