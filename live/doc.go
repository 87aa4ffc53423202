// Package live keeps a BigPipe page's pagelets current after the page has
// loaded: the server pushes each publication to every open page that shows
// its channel, over SSE (the default) or WebSocket, and the page swaps it in
// place the way it showed the pagelet first.
//
// The engine is github.com/centrifugal/centrifuge (channels with a bounded
// history, offsets and epochs, recovery of what a client missed while it
// reconnected, slow-client disconnection, ping/pong), with its memory
// broker: nothing to install. Its JSON protocol is spoken by the small
// client this package serves (live.js, loaded by the runtime after every
// pagelet is shown) and by any official Centrifugo SDK.
//
// A site declares its channels once, as feeds:
//
//	eng, _ := live.New(reg)
//	scores := live.State(eng, "scores", ScoresView) // each publication replaces the pagelet
//	comments := live.Stream(eng, "comments:", CommentView, live.Key(Comment.ID))
//
// marks a pagelet live with its channel (pagelet.Pagelet.Channel, or
// [Feed.Pagelet]), gives the engine to the renderer (render.WithLive(eng)),
// mounts it (mux.Handle(eng.Path(), eng)), and publishes from anywhere:
//
//	scores.Publish(ctx, "scores", latest)
//
// A publication is rendered once, with the feed's view, and the same bytes
// go to every subscriber.
//
// # Closing the gap
//
// The renderer reads each live channel's position before it runs that
// pagelet's Load and sends it with the pagelet; the client subscribes from
// there, so a publication made between the render and the subscription is
// recovered, not lost. When the engine cannot recover (history trimmed,
// epoch changed after a restart), the client fetches that pagelet afresh
// (render.FragmentParam) instead of leaving a hole.
//
// # Channels
//
// A feed's name is a channel ("scores") or, ending in ':', a family of them
// ("comments:" covers "comments:harbour-bridge"). A state channel's
// publications replace the pagelet's content, and a client that missed
// several gets only the latest; a stream channel's publications are items
// appended in order, each shown once (by offset, and by [Key] across
// retries).
//
// # Security
//
// A page gets a token, an HMAC of its channels and an expiry signed with
// the engine's secret ([WithSecret]; a random one per process otherwise), and
// a connection is granted exactly the channels its token names. WebSocket
// upgrades must come from the same host or an allowed origin
// ([WithOrigins]); [Limits] bound channels per connection, message sizes and
// connections per client address.
package live
