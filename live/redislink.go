package live

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/centrifugal/centrifuge"
)

// redisLink is an engine's Redis: its shards, and the broker, controller
// and presence manager the node uses over them. It is connected by
// [useRedis] when every shard answers then; otherwise a goroutine tries
// again every [RedisRetry] until they do, and meanwhile every operation
// fails at once with [ErrBrokerDown] (the probe reports the broker down,
// a page renders without live updates, a client's subscription fails and
// it tries again later). Once connected it is centrifuge's Redis broker,
// started with the handlers the node registered meanwhile, exactly as if
// it had been there from the start.
type redisLink struct {
	e     *Engine
	urls  []string // as given, for errors (redacted there)
	confs []centrifuge.RedisShardConfig

	mu       sync.RWMutex
	shards   []*centrifuge.RedisShard // nil until connected
	broker   *trackingBroker          // nil until connected
	presence *centrifuge.RedisPresenceManager
	brokerH  centrifuge.BrokerEventHandler  // the node's, kept until connected
	controlH centrifuge.ControlEventHandler // the node's, kept until connected
	lastErr  error                          // why the last connect failed
	// dropped counts PublishControl calls while not connected: the first
	// is node.Run's announcement of the node, which must not fail it.
	dropped int
	closed  bool

	stop      chan struct{} // closed by close: keepTrying ends
	done      chan struct{} // closed once keepTrying has ended, or at once if it never ran
	closeOnce sync.Once
}

var (
	_ centrifuge.Broker          = (*redisLink)(nil)
	_ centrifuge.Controller      = (*redisLink)(nil)
	_ centrifuge.PresenceManager = (*redisLink)(nil)
	_ centrifuge.Closer          = (*redisLink)(nil)
)

// n is the number of shards, connected or not; 0 for a nil link (the
// memory broker).
func (l *redisLink) n() int {
	if l == nil {
		return 0
	}
	return len(l.confs)
}

// connect makes the shards, the broker and the presence manager, and
// starts the broker with the handlers the node registered, if any. It
// fails, leaving nothing open, when a shard cannot be reached.
func (l *redisLink) connect() error {
	var shards []*centrifuge.RedisShard
	fail := func(err error) error {
		for _, s := range shards {
			s.Close()
		}
		l.mu.Lock()
		l.lastErr = err
		l.mu.Unlock()
		return err
	}
	for i, c := range l.confs {
		s, err := centrifuge.NewRedisShard(l.e.node, c)
		if err != nil {
			return fail(fmt.Errorf("live: Redis shard %s: %w", RedactRedisURL(l.urls[i]), err))
		}
		shards = append(shards, s)
	}
	rb, err := centrifuge.NewRedisBroker(l.e.node, centrifuge.RedisBrokerConfig{Shards: shards})
	if err != nil {
		return fail(fmt.Errorf("live: Redis broker: %w", err))
	}
	presence, err := centrifuge.NewRedisPresenceManager(l.e.node, centrifuge.RedisPresenceManagerConfig{Shards: shards})
	if err != nil {
		return fail(fmt.Errorf("live: Redis presence manager: %w", err))
	}
	broker := &trackingBroker{RedisBroker: rb, e: l.e}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		for _, s := range shards {
			s.Close()
		}
		return errLinkClosed
	}
	// The node's handlers first, then the broker is published: an
	// operation that finds it finds it started.
	if l.controlH != nil {
		if err := broker.RegisterControlEventHandler(l.controlH); err != nil {
			return l.failLocked(shards, err)
		}
	}
	if l.brokerH != nil {
		if err := broker.RegisterBrokerEventHandler(l.brokerH); err != nil {
			return l.failLocked(shards, err)
		}
	}
	l.shards, l.broker, l.presence, l.lastErr = shards, broker, presence, nil
	return nil
}

// failLocked closes shards after a broker that would not start; l.mu is
// held.
func (l *redisLink) failLocked(shards []*centrifuge.RedisShard, err error) error {
	for _, s := range shards {
		s.Close()
	}
	l.lastErr = fmt.Errorf("live: Redis broker: %w", err)
	return l.lastErr
}

var errLinkClosed = fmt.Errorf("%w: the engine is closed", ErrBrokerDown)

// keepTrying connects every RedisRetry until it succeeds or close is
// called.
func (l *redisLink) keepTrying() {
	defer close(l.done)
	t := time.NewTicker(RedisRetry)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		if err := l.connect(); err == nil {
			l.e.cfg.log.Info("live: connected to Redis: live updates are on")
			return
		}
	}
}

// close stops keepTrying and closes the shards. The node must be shut
// down first: its unsubscriptions use them. It may be called more than
// once, and on a nil link.
func (l *redisLink) close() {
	if l == nil {
		return
	}
	l.closeOnce.Do(func() {
		close(l.stop)
		l.mu.Lock()
		l.closed = true // a connect that ends now closes what it made
		l.mu.Unlock()
		<-l.done // a connect in progress ends within its dial timeout
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, s := range l.shards {
			s.Close()
		}
	})
}

// reportStart tells h that the broker is down from the start if the link
// is not connected when the engine starts. Nothing on a nil link.
func (l *redisLink) reportStart(h *health, now time.Time) {
	if l == nil {
		return
	}
	l.mu.RLock()
	err := l.lastErr
	connected := l.broker != nil
	l.mu.RUnlock()
	if !connected && err != nil {
		h.startDown(err, now)
	}
}

// get returns the broker, or ErrBrokerDown while not connected.
func (l *redisLink) get() (*trackingBroker, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.broker == nil {
		return nil, l.downLocked()
	}
	return l.broker, nil
}

// downLocked is the error of an operation while not connected.
func (l *redisLink) downLocked() error {
	if l.lastErr == nil {
		return fmt.Errorf("%w: not connected to Redis yet", ErrBrokerDown)
	}
	return fmt.Errorf("%w: not connected to Redis yet: %v", ErrBrokerDown, l.lastErr)
}

// RegisterBrokerEventHandler keeps the node's handler, and starts the
// broker with it if connected.
func (l *redisLink) RegisterBrokerEventHandler(h centrifuge.BrokerEventHandler) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.brokerH = h
	if l.broker != nil {
		return l.broker.RegisterBrokerEventHandler(h)
	}
	return nil
}

// RegisterControlEventHandler keeps the node's control handler, and
// starts the broker's control channel with it if connected.
func (l *redisLink) RegisterControlEventHandler(h centrifuge.ControlEventHandler) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.controlH = h
	if l.broker != nil {
		return l.broker.RegisterControlEventHandler(h)
	}
	return nil
}

// PublishControl sends a control message to the other nodes. While not
// connected the first one, node.Run's announcement of this node (repeated
// every few seconds by the node anyway), is dropped so that the engine
// starts; the others fail.
func (l *redisLink) PublishControl(data []byte, nodeID, shardKey string) error {
	l.mu.Lock()
	b := l.broker
	if b == nil {
		l.dropped++
		first, err := l.dropped == 1, l.downLocked()
		l.mu.Unlock()
		if first {
			return nil
		}
		return err
	}
	l.mu.Unlock()
	return b.PublishControl(data, nodeID, shardKey)
}

func (l *redisLink) Subscribe(channels ...string) error {
	b, err := l.get()
	if err != nil {
		return err
	}
	return b.Subscribe(channels...)
}

func (l *redisLink) Unsubscribe(channels ...string) error {
	b, err := l.get()
	if err != nil {
		return err
	}
	return b.Unsubscribe(channels...)
}

func (l *redisLink) Publish(ch string, data []byte, opts centrifuge.PublishOptions) (centrifuge.PublishResult, error) {
	b, err := l.get()
	if err != nil {
		return centrifuge.PublishResult{}, err
	}
	return b.Publish(ch, data, opts)
}

func (l *redisLink) PublishJoin(ch string, info *centrifuge.ClientInfo) error {
	b, err := l.get()
	if err != nil {
		return err
	}
	return b.PublishJoin(ch, info)
}

func (l *redisLink) PublishLeave(ch string, info *centrifuge.ClientInfo) error {
	b, err := l.get()
	if err != nil {
		return err
	}
	return b.PublishLeave(ch, info)
}

func (l *redisLink) History(ch string, opts centrifuge.HistoryOptions) ([]*centrifuge.Publication, centrifuge.StreamPosition, error) {
	b, err := l.get()
	if err != nil {
		return nil, centrifuge.StreamPosition{}, err
	}
	return b.History(ch, opts)
}

func (l *redisLink) RemoveHistory(ch string) error {
	b, err := l.get()
	if err != nil {
		return err
	}
	return b.RemoveHistory(ch)
}

// presenceManager returns the presence manager, or ErrBrokerDown while
// not connected.
func (l *redisLink) presenceManager() (*centrifuge.RedisPresenceManager, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.presence == nil {
		return nil, l.downLocked()
	}
	return l.presence, nil
}

func (l *redisLink) Presence(ch string) (map[string]*centrifuge.ClientInfo, error) {
	p, err := l.presenceManager()
	if err != nil {
		return nil, err
	}
	return p.Presence(ch)
}

func (l *redisLink) PresenceStats(ch string) (centrifuge.PresenceStats, error) {
	p, err := l.presenceManager()
	if err != nil {
		return centrifuge.PresenceStats{}, err
	}
	return p.PresenceStats(ch)
}

func (l *redisLink) AddPresence(ch, clientID string, info *centrifuge.ClientInfo) error {
	p, err := l.presenceManager()
	if err != nil {
		return err
	}
	return p.AddPresence(ch, clientID, info)
}

func (l *redisLink) RemovePresence(ch, clientID, userID string) error {
	p, err := l.presenceManager()
	if err != nil {
		return err
	}
	return p.RemovePresence(ch, clientID, userID)
}

// Close is the node's shutdown of its broker and presence manager (it
// calls it for each): a connect still being tried is abandoned, and the
// broker, if connected, stops its pub/sub. The shards are closed later, by
// close. It may be called more than once.
func (l *redisLink) Close(ctx context.Context) error {
	l.mu.Lock()
	l.closed = true
	b := l.broker
	l.mu.Unlock()
	if b == nil {
		return nil
	}
	return b.Close(ctx)
}
