package live

import (
	"cmp"
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/centrifugal/centrifuge"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/internal/gate"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// clientFS holds the browser client, live.js, which the engine serves.
//
//go:embed live.js
var clientFS embed.FS

const clientName = "live.js"

// wsReadBufferSize is the read buffer of a WebSocket connection that
// centrifuge's own handler serves (HTTP/2, TLS, Protobuf: see wsHandler).
// A client sends little after its connect command (pongs, a few bytes
// each), and what is bigger takes more reads: every idle connection holds
// this buffer, so it is small (the WebSocket minimum is a control frame,
// 125 bytes).
const wsReadBufferSize = 256

// addressRetryAfter is the Retry-After, in seconds, of a connection
// refused because its address holds the most already
// (Limits.ConnectionsPerAddress).
const addressRetryAfter = "5"

// Engine is one server instance's live engine: a centrifuge node, the
// site's feeds, and the HTTP endpoints clients connect to. It implements
// [render.Live] for render.WithLive, and is the [http.Handler] of its
// endpoints under [Engine.Path]: "sse" and "ws" (the two transports) and
// the client script. Create it with [New]; stop it with [Engine.Close].
type Engine struct {
	cfg    config
	node   *centrifuge.Node
	site   *assets.Registry // the site's files: feeds' stylesheets
	client *assets.Registry // live.js, under cfg.path
	sse    http.Handler
	ws     http.Handler
	conns  *addrLimiter
	total  *gate.Gate // Limits.Connections; nil: no bound
	m      *metrics
	redis  *redisLink // WithRedis's shards, closed after the node; nil with the memory broker
	health *health
	poll   *poller    // reads the held connections (SSE, WebSocket); nil: a goroutine each
	seen   *delivered // with Redis: what the broker delivered here, by channel
	// stopProbe ends the broker probe (closed by Close); probeDone is
	// closed once it has ended. Both nil with the memory broker.
	stopProbe, probeDone chan struct{}
	stopOnce             sync.Once
	done                 chan struct{} // closed when Close begins: see Done
	doneOnce             sync.Once

	lastLeave atomic.Int64 // when a connected client last disconnected, in Unix nanoseconds
	closed    atomic.Bool  // Close has begun: new connections are refused

	mu    sync.RWMutex
	feeds map[string]*feedSpec // by feed name: a channel, or a family ending in ':'

	misuseMu sync.Mutex
	misuses  map[string]struct{} // Feed.Pagelet mistakes logged, by feed and channel (feed.go)

	presence     presence      // channels due to be counted (presence.go)
	presenceOn   atomic.Bool   // a feed reports presence: reportPresence runs
	presenceOnce sync.Once     // starts reportPresence, with the first such feed
	presenceDone chan struct{} // closed when reportPresence has ended
}

var _ render.Live = (*Engine)(nil)

// New starts a live engine whose feeds link stylesheets from site (the
// registry the renderer uses). It runs until [Engine.Close].
func New(site *assets.Registry, opts ...Option) (*Engine, error) {
	if site == nil {
		return nil, errors.New("live: New: nil asset registry")
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.registry)
	if err != nil {
		return nil, err
	}
	client, err := assets.New(clientFS, assets.WithPrefix(cfg.path))
	if err != nil {
		return nil, fmt.Errorf("live: client: %w", err)
	}
	node, err := centrifuge.New(cfg.nodeConfig())
	if err != nil {
		return nil, fmt.Errorf("live: engine: %w", err)
	}
	e := &Engine{cfg: cfg, node: node, site: site, client: client, m: m, feeds: make(map[string]*feedSpec),
		conns: newAddrLimiter(cfg.limits.ConnectionsPerAddress), total: gate.New(cfg.limits.Connections), done: make(chan struct{})}
	if err := e.useBroker(); err != nil {
		return nil, err
	}
	e.receiveCache() // a node's handlers are set before it runs
	node.OnConnecting(e.connecting)
	node.OnConnect(e.connected)
	node.OnTransportWrite(e.transportWrite)
	e.transports()
	if err := e.run(); err != nil {
		return nil, err
	}
	return e, nil
}

// newConfig applies opts to the defaults and checks the result; without
// a secret (and without Redis, which needs one) it makes a random one.
func newConfig(opts []Option) (config, error) {
	cfg := config{
		log:          slog.Default(),
		path:         DefaultPath,
		tokenTTL:     DefaultTokenTTL,
		pingInterval: DefaultPingInterval,
		now:          time.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.limits = cfg.limits.withDefaults()
	if cfg.log == nil {
		cfg.log = slog.New(slog.DiscardHandler)
	}
	if !strings.HasPrefix(cfg.path, "/") || !strings.HasSuffix(cfg.path, "/") {
		return config{}, fmt.Errorf("live: New: path %q must start and end with /", cfg.path)
	}
	switch cfg.transport {
	case "", "sse", "websocket":
	default:
		return config{}, fmt.Errorf("live: New: unknown transport %q (sse or websocket)", cfg.transport)
	}
	if len(cfg.secret) == 0 && len(cfg.redis) > 0 {
		return config{}, errRedisNoSecret
	}
	if len(cfg.secret) == 0 {
		cfg.secret = make([]byte, 32)
		_, _ = rand.Read(cfg.secret) // never fails (crypto/rand)
		cfg.log.Warn("live: no token secret given: made a random one for this process; " +
			"a page rendered by another instance, or before a restart, is refused its token here and " +
			"refetches its live pagelets for a fresh one")
	}
	if cfg.registry == nil {
		cfg.registry = prometheus.NewRegistry()
	}
	return cfg, nil
}

// nodeConfig is the centrifuge node's configuration for cfg.
func (cfg config) nodeConfig() centrifuge.Config {
	nc := centrifuge.Config{
		LogLevel:           centrifuge.LogLevelInfo,
		LogHandler:         logHandler(cfg.log),
		ClientQueueMaxSize: cfg.limits.QueueSize,
		ClientChannelLimit: cfg.limits.ChannelsPerConnection,
		Metrics:            centrifuge.MetricsConfig{RegistererGatherer: registererGatherer(cfg.registry)},
	}
	if cfg.positionCheck > 0 {
		nc.ClientChannelPositionCheckDelay = cfg.positionCheck
		nc.ClientPresenceUpdateInterval = cfg.positionCheck / 10
	}
	return nc
}

// useBroker gives the node its broker: Redis's shards with WithRedis, else
// the memory broker, whose deliveries are counted (and traced) as Redis's
// are (trackingHandler).
func (e *Engine) useBroker() error {
	if len(e.cfg.redis) > 0 {
		e.seen = newDelivered()
		var err error
		e.redis, err = useRedis(e, e.cfg.redis)
		return err
	}
	mem, err := centrifuge.NewMemoryBroker(e.node, centrifuge.MemoryBrokerConfig{})
	if err != nil {
		return fmt.Errorf("live: engine: %w", err)
	}
	e.node.SetBroker(&tracingMemoryBroker{MemoryBroker: mem, e: e})
	return nil
}

// transports makes the engine's SSE and WebSocket handlers, and the
// poller they share.
func (e *Engine) transports() {
	cfg, node := &e.cfg, e.node
	// A WebSocket client must answer a ping within half the interval
	// (centrifuge's own 10 s default would exceed a short interval).
	ping := centrifuge.PingPongConfig{PingInterval: cfg.pingInterval, PongTimeout: cfg.pingInterval / 2}
	// An SSE client cannot answer pings: do not wait for its pongs.
	ssePing := centrifuge.PingPongConfig{PingInterval: cfg.pingInterval, PongTimeout: -1}
	// One goroutine waits on every held connection's socket instead of one
	// each (poller.go); without it each connection reads from its own.
	if !cfg.noPoller {
		var err error
		if e.poll, err = newPoller(); err != nil {
			cfg.log.Debug("live: connections read by a goroutine each", "why", err)
		}
	}
	e.sse = &sseHandler{node: node, ping: ssePing, poll: e.poll, maxBody: cfg.limits.MessageSize, maxQueue: cfg.limits.QueueSize,
		fallback: centrifuge.NewSSEHandler(node, centrifuge.SSEConfig{PingPongConfig: ssePing, MaxRequestBodySize: cfg.limits.MessageSize})}
	wsFallback := centrifuge.NewWebsocketHandler(node, centrifuge.WebsocketConfig{
		CheckOrigin:      e.checkOrigin,
		MessageSizeLimit: cfg.limits.MessageSize,
		PingPongConfig:   ping,
		// An idle connection holds no write buffer (a pooled one is taken
		// per write) and a small read buffer instead of net/http's 4 KiB:
		// a client sends little (the connect command, pongs).
		UseWriteBufferPool: true,
		ReadBufferSize:     wsReadBufferSize,
		// The read loop of an idle connection keeps a shallow stack: the
		// commands run on a goroutine of their own, whose deep stack goes
		// back to the runtime when it ends.
		ProcessCommandsOffReadLoop: true,
	})
	e.ws = &wsHandler{node: node, ping: ping, maxBody: cfg.limits.MessageSize, maxQueue: cfg.limits.QueueSize,
		checkOrigin: e.checkOrigin, fallback: wsFallback, poll: e.poll}
}

// run starts the node, then what watches it: the health its broker
// reports, the broker probe (with Redis), the cache's bus. If the node
// does not start, what it started is stopped.
func (e *Engine) run() error {
	if err := e.node.Run(); err != nil {
		// The broker's goroutines may have started: stop them.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = e.node.Shutdown(ctx)
		cancel()
		e.redis.close()
		e.poll.close()
		return fmt.Errorf("live: engine: %w", err)
	}
	broker := "memory"
	switch n := e.redis.n(); {
	case n == 1:
		broker = "redis"
	case n > 1:
		broker = fmt.Sprintf("redis (%d shards)", n)
	}
	e.health = newHealth(broker, e.redis.n(), e.m, e.cfg.now())
	e.redis.reportStart(e.health, e.cfg.now())
	if e.redis != nil {
		e.stopProbe, e.probeDone = make(chan struct{}), make(chan struct{})
		go func() {
			defer close(e.probeDone)
			e.probe(e.stopProbe)
		}()
	}
	e.presenceDone = make(chan struct{})
	if c := e.cfg.cache; c != nil {
		c.Join(cacheBus{e}) // once the engine runs: not if New fails
	}
	return nil
}

// Close refuses new connections (503), tells every client to reconnect
// elsewhere and stops the engine, waiting until ctx is done at most. It
// returns once nothing of the engine runs any more (see
// [brokerUnsubscribeDelay]).
func (e *Engine) Close(ctx context.Context) error {
	e.closed.Store(true)
	e.doneOnce.Do(func() { close(e.done) })
	if e.stopProbe != nil {
		e.stopOnce.Do(func() { close(e.stopProbe) })
	}
	err := e.node.Shutdown(ctx)
	// The connections are closed, or closing: a WebSocket waits for its
	// client's close frame, which its poller no longer reads, wsCloseWait
	// at most.
	e.poll.close()
	if last := e.lastLeave.Load(); last != 0 {
		wait := time.NewTimer(time.Until(time.Unix(0, last).Add(brokerUnsubscribeDelay)))
		defer wait.Stop()
		select {
		case <-wait.C:
		case <-ctx.Done():
			err = cmp.Or(err, ctx.Err())
		}
	}
	if e.presenceOn.Load() {
		<-e.presenceDone // ends at e.done; a report in progress waits a second at most
	}
	// The shards last: the node's broker unsubscriptions above use them.
	// Closing them ends a probe read still waiting on a Redis that hangs.
	e.redis.close()
	if e.probeDone != nil {
		select {
		case <-e.probeDone:
		case <-ctx.Done():
			err = cmp.Or(err, ctx.Err())
		}
	}
	return err
}

// Done is closed when [Engine.Close] begins (a drain's end too): work that
// publishes later, such as a publication being retried, stops then.
func (e *Engine) Done() <-chan struct{} { return e.done }

// brokerUnsubscribeDelay is how long after a channel's last local
// subscriber leaves centrifuge unsubscribes the node from the channel in
// its broker: a goroutine of its own sleeps that long first
// (Node.unsubscribeFromBrokerWhenEmpty), and Shutdown does not wait for
// it. Close does, from the last client's disconnect, so that a process (or
// a test) that closes the engine is left with none of its goroutines.
const brokerUnsubscribeDelay = time.Second

// Path is the URL path prefix of the engine's endpoints.
func (e *Engine) Path() string { return e.cfg.path }

// Node is the engine's centrifuge node, for what this package does not
// wrap (presence, server-side unsubscribe, its own handlers).
func (e *Engine) Node() *centrifuge.Node { return e.node }

// ServeHTTP serves the engine's endpoints: "sse" and "ws", at most
// [Limits].ConnectionsPerAddress of them open at once per client address,
// and the client script by its content-hashed URL.
func (e *Engine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, e.cfg.path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	var h http.Handler
	var transport string
	switch rest {
	case "sse":
		h, transport = e.sse, "sse"
	case "ws":
		h, transport = e.ws, "websocket"
	default:
		e.client.ServeHTTP(w, r)
		return
	}
	if e.closed.Load() {
		// A client told to reconnect must reach another instance, not
		// this one's node, which is shutting down.
		w.Header().Set("Retry-After", "1")
		http.Error(w, "503 live engine draining: connect to another instance", http.StatusServiceUnavailable)
		return
	}
	if !e.total.Enter() {
		e.m.refused.WithLabelValues("capacity").Inc()
		w.Header().Set("Retry-After", "1")
		http.Error(w, "503 live engine at capacity: try again shortly", http.StatusServiceUnavailable)
		return
	}
	release, ok := e.conns.acquire(clientAddr(r))
	if !ok {
		e.total.Leave()
		e.m.refused.WithLabelValues("address_limit").Inc()
		// Its connections end as its tabs close: a client that can read
		// the header waits a little longer than for a full engine.
		w.Header().Set("Retry-After", addressRetryAfter)
		http.Error(w, "429 too many live connections from this address", http.StatusTooManyRequests)
		return
	}
	g := e.m.connections.WithLabelValues(transport)
	g.Inc()
	hw := &holdingWriter{ResponseWriter: w, done: sync.OnceFunc(func() { g.Dec(); release(); e.total.Leave() })}
	defer func() { // deferred: a handler's panic, recovered by net/http, must not keep the slot
		if !hw.hijacked {
			hw.done()
		}
	}()
	if transport == "sse" && r.ProtoMajor != 1 { // over HTTP/1.x sseHandler takes the connection over
		sw := &streamWriter{ResponseWriter: hw}
		defer sw.end()
		h.ServeHTTP(sw, r)
		return
	}
	h.ServeHTTP(hw, r)
}

// Grant returns the token and URLs a page showing channels needs to
// connect for them (see [render.Live]). The token binds the reader ctx
// carries ([pagelet.ReaderFrom]): a private channel is granted to its own
// reader only ([ErrNotYours]), a [SignedIn] feed's to a signed-in one only,
// and a [WithFilter] feed's with the filter it returns for that reader.
func (e *Engine) Grant(ctx context.Context, channels []string) (render.LiveGrant, error) {
	if len(channels) > e.cfg.limits.ChannelsPerConnection {
		return render.LiveGrant{}, fmt.Errorf("live: %d channels, over the limit of %d per connection", len(channels), e.cfg.limits.ChannelsPerConnection)
	}
	reader := pagelet.ReaderFrom(ctx)
	if !reader.Anonymous() && !validReaderID(reader.ID) {
		return render.LiveGrant{}, fmt.Errorf("live: reader %q: %w", reader.ID, ErrBadReaderID)
	}
	var filters map[string]*filterNode
	for _, ch := range channels {
		spec := e.lookup(ch)
		if spec == nil {
			return render.LiveGrant{}, fmt.Errorf("live: channel %q: %w", ch, errNoFeed)
		}
		if err := spec.allows(ch, reader.ID); err != nil {
			return render.LiveGrant{}, fmt.Errorf("live: channel %q for reader %q: %w", ch, reader.ID, err)
		}
		if spec.filter == nil {
			continue
		}
		f, err := spec.filter(ctx, reader, ch)
		if err == nil && !f.IsZero() {
			err = f.n.check()
		}
		if err != nil {
			return render.LiveGrant{}, fmt.Errorf("live: filter of channel %q for reader %q: %w", ch, reader.ID, err)
		}
		if !f.IsZero() {
			if filters == nil {
				filters = make(map[string]*filterNode)
			}
			filters[ch] = f.n
		}
	}
	tok, err := signToken(e.cfg.secret, claims{Channels: channels, Expires: e.cfg.now().Add(e.cfg.tokenTTL).Unix(),
		Reader: reader.ID, Session: reader.Session, Filters: filters})
	if err != nil {
		return render.LiveGrant{}, err
	}
	a, err := e.client.Get(clientName)
	if err != nil {
		return render.LiveGrant{}, fmt.Errorf("live: client: %w", err)
	}
	return render.LiveGrant{Script: a.URL, URL: e.cfg.path, Token: tok, Transport: e.cfg.transport}, nil
}

// Token returns a token granting channels to an anonymous reader, for a
// client other than a page (an SDK, a test): the same the renderer embeds.
// [Engine.Grant] with a context carrying a reader grants theirs.
func (e *Engine) Token(channels ...string) (string, error) {
	g, err := e.Grant(context.Background(), channels)
	return g.Token, err
}

// Position returns channel's kind and current stream position (see
// [render.Live]). It gives up when ctx is done. When the position cannot
// be read (the broker down: [ErrBrokerDown]) it returns the error with the
// channel's kind and an empty Epoch, an unknown position: the renderer
// sends the pagelet live anyway, and its client refetches it once it
// connects.
func (e *Engine) Position(ctx context.Context, channel string) (render.LivePosition, error) {
	spec := e.lookup(channel)
	if spec == nil {
		return render.LivePosition{}, fmt.Errorf("live: channel %q: %w", channel, errNoFeed)
	}
	unknown := render.LivePosition{Kind: spec.kind.String()}
	if err := e.brokerCheck(channel); err != nil {
		return unknown, fmt.Errorf("live: position of %q: %w", channel, err)
	}
	res, err := await(ctx, func() (centrifuge.HistoryResult, error) {
		return e.node.History(channel, centrifuge.WithLimit(0), centrifuge.WithHistoryMetaTTL(spec.metaTTL()))
	})
	if err != nil {
		if ctx.Err() == nil {
			e.m.errors.WithLabelValues(errPosition).Inc()
		}
		return unknown, fmt.Errorf("live: position of %q: %w", channel, err)
	}
	return render.LivePosition{Kind: spec.kind.String(), Offset: res.Offset, Epoch: res.Epoch}, nil
}

// errNoFeed is a channel no feed declares.
var errNoFeed = errors.New("no feed declares it")

// lookup returns the feed that declares channel: one named channel, a
// family named by channel's prefix up to its first ':', or a per-reader
// feed named by its prefix up to its '#' followed by valid reader ids.
func (e *Engine) lookup(channel string) *feedSpec {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if i := strings.IndexByte(channel, '#'); i >= 0 {
		if s := e.feeds[channel[:i+1]]; s != nil && s.private && validOwners(channel[i+1:]) {
			return s
		}
		return nil
	}
	if s, ok := e.feeds[channel]; ok {
		return s
	}
	if i := strings.IndexByte(channel, ':'); i >= 0 && i < len(channel)-1 {
		return e.feeds[channel[:i+1]]
	}
	return nil
}

// connecting authorises a connection: its token must be valid, its
// reader's session current ([WithSessions]), and it must grant every
// channel the client asks for; it is then subscribed, server-side, to
// exactly the granted channels its reader may have, recovering from the
// positions the client sent.
func (e *Engine) connecting(ctx context.Context, ev centrifuge.ConnectEvent) (centrifuge.ConnectReply, error) {
	// A client that can send commands (WebSocket) is told why with a reply
	// error, and may ask again (with a fresh token after 109). An SSE
	// client cannot send another command: it is disconnected, with the
	// codes centrifuge gives its one-way transports, so that its stream
	// ends at once instead of holding a connection until the stale timeout.
	oneWay := ev.Transport != nil && (ev.Transport.Emulation() || ev.Transport.Unidirectional())
	refuse := func(reason string, reply *centrifuge.Error, d centrifuge.Disconnect) (centrifuge.ConnectReply, error) {
		e.m.refused.WithLabelValues(reason).Inc()
		if oneWay || reply == nil {
			return centrifuge.ConnectReply{}, d
		}
		return centrifuge.ConnectReply{}, reply
	}
	c, err := verifyToken(e.cfg.secret, ev.Token, e.cfg.now())
	switch {
	case errors.Is(err, errTokenExpired):
		return refuse("token_expired", centrifuge.ErrorTokenExpired, centrifuge.DisconnectExpired)
	case err != nil:
		return refuse("token_invalid", nil, centrifuge.DisconnectInvalidToken)
	case len(c.Channels) > e.cfg.limits.ChannelsPerConnection:
		return refuse("channel_limit", nil, centrifuge.DisconnectChannelLimit)
	}
	if err := e.checkSession(ctx, c); errors.Is(err, errSessionUnknown) {
		return refuse("session_unknown", centrifuge.ErrorInternal, centrifuge.DisconnectServerError)
	} else if err != nil {
		return refuse("session_ended", nil, DisconnectSessionEnded)
	}
	granted := make(map[string]centrifuge.SubscribeOptions, len(c.Channels))
	// One filter for every channel of the connection: it is only read, and
	// each subscription holds it as long as the connection lives.
	except := exceptFilter(ev.ClientID)
	for _, ch := range c.Channels {
		spec := e.lookup(ch)
		if spec == nil || spec.allows(ch, c.Reader) != nil { // a feed gone since the token was signed
			continue
		}
		granted[ch] = spec.subscribeOptions(except, c.Filters[ch])
	}
	for _, ch := range ev.Channels {
		if _, ok := granted[ch]; !ok {
			return refuse("not_granted", centrifuge.ErrorPermissionDenied, centrifuge.DisconnectPermissionDenied)
		}
	}
	reply := centrifuge.ConnectReply{
		Credentials:   &centrifuge.Credentials{UserID: c.Reader},
		Subscriptions: granted,
	}
	heldWriteOptions(ev.Transport, &reply)
	if c.Session != "" {
		reply.Labels = map[string]string{sessionLabel: c.Session}
	}
	return reply, nil
}

// checkSession returns nil for an anonymous token or one whose session
// [WithSessions] finds current, errSessionUnknown when the check fails,
// and another error when the session has ended.
func (e *Engine) checkSession(ctx context.Context, c claims) error {
	if c.Reader == "" || e.cfg.sessions == nil {
		return nil
	}
	ok, err := e.cfg.sessions(ctx, pagelet.Reader{ID: c.Reader, Session: c.Session})
	switch {
	case err != nil:
		e.m.errors.WithLabelValues(errSession).Inc()
		e.cfg.log.Warn("live: session check failed: connection refused for now", "reader", c.Reader, "err", err)
		return fmt.Errorf("%w: %w", errSessionUnknown, err)
	case !ok:
		return errors.New("live: session ended")
	}
	return nil
}

// connected counts a connection's disconnect reasons, notes when it left
// (see [Engine.Close]) and that its channels' presence changed as it came
// and as it went.
func (e *Engine) connected(c *centrifuge.Client) {
	channels := c.Channels()
	e.comeOrGo(channels, 1)
	e.m.connects.WithLabelValues(c.Transport().Name()).Inc()
	c.OnDisconnect(func(ev centrifuge.DisconnectEvent) {
		e.comeOrGo(channels, -1)
		e.m.disconnects.WithLabelValues(disconnectReason(ev.Code)).Inc()
		e.lastLeave.Store(time.Now().UnixNano())
		if ev.Code == centrifuge.DisconnectSlow.Code {
			e.m.slow.Inc()
		}
	})
}

// checkOrigin allows a WebSocket upgrade from the request's own host or an
// allowed origin; a request without Origin (not a browser) is allowed.
func (e *Engine) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	for _, o := range e.cfg.origins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	_, host, ok := strings.Cut(origin, "://")
	ok = ok && strings.EqualFold(host, r.Host)
	if !ok {
		e.m.refused.WithLabelValues("origin").Inc()
	}
	return ok
}

// logHandler sends the engine's log lines to log.
func logHandler(log *slog.Logger) centrifuge.LogHandler {
	return func(entry centrifuge.LogEntry) {
		level := slog.LevelInfo
		switch entry.Level {
		case centrifuge.LogLevelError:
			level = slog.LevelError
		case centrifuge.LogLevelWarn:
			level = slog.LevelWarn
		case centrifuge.LogLevelDebug, centrifuge.LogLevelTrace:
			level = slog.LevelDebug
		}
		attrs := make([]slog.Attr, 0, len(entry.Fields))
		for k, v := range entry.Fields {
			attrs = append(attrs, slog.Any(k, v))
		}
		log.LogAttrs(context.Background(), level, "live: "+cmp.Or(entry.Message, "engine"), attrs...)
	}
}
