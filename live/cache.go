package live

import (
	"context"
	"log/slog"

	"github.com/centrifugal/centrifuge"

	"github.com/bigpipe-go/bigpipe/cache"
)

// WithCache keeps c, the renderer's pagelet cache (render.WithCache),
// current with the engine's publications, and joins it to the engine's
// broker, so that its invalidations and publications reach the cache of
// every instance the broker reaches (every one, through Redis).
//
// A publication on a state channel is the new content of every pagelet
// showing it: it replaces their cached fragments, at its position in the
// channel's stream. A publication on a stream channel, or on a state
// channel with a filter ([WithFilter], whose pages do not all get it),
// expires them. Each costs one control message on the broker besides the
// publication (a state one carries the content again).
//
// While the broker is known down (see [Engine.Health]) a publication
// fails with [ErrBrokerDown] and changes no cache, and an invalidation
// expires this instance's fragments and fails at once with it too: the
// other instances' fragments stay as they are, up to their Fresh, since
// nothing reaches them; invalidate again once the broker is back.
func WithCache(c *cache.Cache) Option { return func(cfg *config) { cfg.cache = c } }

// cacheOp is the centrifuge notification op of the cache's messages.
const cacheOp = "bigpipe.cache"

// cacheBus is the engine as a [cache.Bus]: centrifuge's notifications go to
// every node through the broker's control channel.
type cacheBus struct{ e *Engine }

// Broadcast sends msg to every other node's cache. While the broker is
// known down it fails at once with [ErrBrokerDown], as [Feed.Publish]
// does, instead of waiting for Redis's timeout (seconds, and the control
// channel takes any shard); it gives up waiting when ctx is done.
func (b cacheBus) Broadcast(ctx context.Context, msg []byte) error {
	if err := b.e.health.checkAny(); err != nil {
		return err
	}
	_, err := await(ctx, func() (struct{}, error) {
		return struct{}{}, b.e.node.Notify(cacheOp, msg, "")
	})
	return err
}

// receiveCache hands the engine's cache, if it has one, the messages
// other nodes' caches send. [New] joins the cache to the engine's broker
// once the node runs.
func (e *Engine) receiveCache() {
	c := e.cfg.cache
	if c == nil {
		return
	}
	e.node.OnNotification(func(ev centrifuge.NotificationEvent) {
		if ev.Op != cacheOp || ev.FromNodeID == e.node.ID() { // this node's: applied as it was sent
			return
		}
		if err := c.Receive(ev.Data); err != nil {
			e.cfg.log.Warn("live: cache message refused", "from", ev.FromNodeID, "err", err)
		}
	})
}

// published tells the engine's cache, if any, of a publication on channel
// of spec at res's position: content for a state channel whose pages all
// get it. A failure to reach the other instances is logged: the
// publication itself went out.
func (e *Engine) published(ctx context.Context, spec *feedSpec, channel string, content []byte, res centrifuge.PublishResult, op string) {
	c := e.cfg.cache
	if c == nil {
		return
	}
	state := spec.kind == stateKind && spec.filter == nil && op == ""
	pos := cache.Position{Kind: spec.kind.String(), Offset: res.Offset, Epoch: res.Epoch}
	if err := c.Published(ctx, channel, state, content, pos); err != nil {
		e.cfg.log.LogAttrs(ctx, slog.LevelWarn, "live: cache: publication not sent to the other instances' caches",
			slog.String("channel", channel), slog.Any("err", err))
	}
}
