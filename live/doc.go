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
//	comments := live.Stream(eng, "comments:", CommentView)
//
// marks a pagelet live with its channel (pagelet.Pagelet.Channel, or
// [Feed.Pagelet]), gives the engine to the renderer (render.WithLive(eng)),
// mounts it (mux.Handle(eng.Path(), eng)), and publishes from anywhere:
//
//	scores.Publish(ctx, "scores", latest)
//	comments.Publish(ctx, "comments:"+slug, c, live.WithKey(c.ID))
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
// appended in order, each shown once (by offset, and by [WithKey] across
// retries).
//
// # The browser client
//
// live.js (about 3.4 KB gzipped) runs once every pagelet is shown. It opens
// one connection per tab for all the page's channels: SSE by default,
// WebSocket when bigPipe.liveCfg.transport, the query parameter
// bigpipe_live_transport=websocket or, in the page's Head,
// <meta name="bigpipe-live-transport" content="websocket"> asks for it. It sends the page's token
// and, per channel, the position the page was rendered at, and on every
// reconnect the last position it showed, so that the server sends what it
// missed. A publication at or below the offset a pagelet shows is ignored.
// A state publication replaces the pagelet's content; a stream publication
// is appended inside the pagelet's [data-live-items] element (at its start
// if the attribute's value is "prepend"), unless an element with its key
// (data-live-key, which the client sets on the item) is there already, or
// replaces, pins or removes the item with its key ([Replace], [Pin],
// [Feed.Remove]); items marked data-live-pinned stay first, and a
// data-live-max="N" on the element keeps at most N items. The
// publication's stylesheets are applied first, with the runtime's
// bigPipe.css, and its HTML is inserted inert (through a template, scripts
// and on* attributes dropped). While focus is inside a pagelet, or a
// selection touches it, its content is not replaced: the latest waits until
// the user leaves; stream items are appended beside the focused element,
// which keeps its value and caret.
//
// When the server cannot recover what a pagelet missed (a new epoch, history
// trimmed), the client refetches that pagelet ([render.FragmentParam]) and
// resumes from the position the fragment was read at. It reconnects with
// exponential backoff and full jitter (500 ms doubling up to 20 s), after a
// network failure or a disconnect that allows it. A token the server
// refuses as expired (109, 3005) or invalid (3500: signed with another
// secret, as after a restart without [WithSecret] or a deploy that
// changed it) is replaced: the client refetches the pagelets of the
// reader's private channels and of its first channel through the page's
// own fragment endpoint, which answers with a fresh token for what the
// page grants its reader now (its session cookie, its checks), then
// connects, recovering the other channels or refetching them. It
// connects at once the first time, with backoff after that. A pagelet the
// refetched page no longer has live (its reader signed out) leaves its
// channel. On a refusal (a fragment answered 401 or 403, the session
// ended, permission denied, bad request) it stops, with a console warning
// and a note on the page (a <p role="alert" class="bigpipe-live-stopped">
// at the bottom of the window). Over WebSocket it answers the server's
// pings.
//
// For tests and the bench it reports what it did in bigPipe.liveState
// (connects, errors, refetches, publications applied and held, and per
// channel the offset and epoch shown) and fires bigpipe:live events on the
// document (detail.type "connected", "update" with channel, id and offset,
// "refetch" with id, "disconnected" with code). With bigPipe.liveHold set,
// or the query parameter bigpipe_live_hold, it does not (re)connect until
// bigPipe.liveConnect() is called.
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
