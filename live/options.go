package live

import (
	"github.com/bigpipe-go/bigpipe/cache"

	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

// DefaultPath is where an Engine's endpoints are mounted unless [WithPath]
// says otherwise.
const DefaultPath = "/_live/"

// Defaults of the engine's timing.
const (
	// DefaultTokenTTL is how long a page's token lets it connect.
	DefaultTokenTTL = time.Hour
	// DefaultPingInterval is how often the server pings an idle
	// connection: well under the 60 s idle timeout of common proxies and
	// load balancers.
	DefaultPingInterval = 20 * time.Second
	// DefaultStreamHistory and DefaultStreamTTL bound a stream channel's
	// history: a client away longer, or further behind, refetches.
	DefaultStreamHistory = 200
	DefaultStreamTTL     = 10 * time.Minute
	// DefaultStateTTL is how long a state channel keeps its latest
	// publication for clients that reconnect.
	DefaultStateTTL = 24 * time.Hour
)

// Limits bound what one client may take. A zero field means its default.
type Limits struct {
	// ChannelsPerConnection is the most channels one connection (one page)
	// may be granted; a token granting more is refused. Default 32.
	ChannelsPerConnection int
	// MessageSize is the largest message a client may send (a WebSocket
	// frame, an SSE connect request) and the largest publication a feed
	// may publish. Default 64 KiB.
	MessageSize int
	// ConnectionsPerAddress is the most live connections open at once
	// from one client address; more get 429. Default 64. Negative: no bound.
	ConnectionsPerAddress int
	// Connections is the most live connections open at once on the
	// engine, from every address: one more gets 503 with Retry-After (the
	// client backs off and tries again) rather than taking the open files
	// and memory the process needs for what it serves already. Zero (the
	// default) or negative: no bound.
	Connections int
	// QueueSize is how many bytes may wait for a client that reads too
	// slowly before it is disconnected, so that it delays nobody else.
	// Default 1 MiB.
	QueueSize int
}

func (l Limits) withDefaults() Limits {
	if l.ChannelsPerConnection <= 0 {
		l.ChannelsPerConnection = 32
	}
	if l.MessageSize <= 0 {
		l.MessageSize = 64 << 10
	}
	if l.ConnectionsPerAddress == 0 {
		l.ConnectionsPerAddress = 64
	}
	if l.QueueSize <= 0 {
		l.QueueSize = 1 << 20
	}
	return l
}

// Option configures [New].
type Option func(*config)

type config struct {
	secret       []byte
	log          *slog.Logger
	path         string
	origins      []string
	limits       Limits
	tokenTTL     time.Duration
	pingInterval time.Duration
	registry     prometheus.Registerer
	transport    string
	now          func() time.Time
	redis        []string     // WithRedis: one shard per URL; none: the memory broker
	tracer       trace.Tracer // WithTracerProvider's; nil: no tracing
	sessions     SessionCheck // WithSessions's; nil: tokens are not checked against sessions
	cache        *cache.Cache // WithCache's; nil: publications update no pagelet cache
	// positionCheck, when positive, is centrifuge's position check delay
	// and the clients' tick (the presence update interval) is a tenth of
	// it; positionRound, the engine's own (see Engine.positionCheck).
	// Tests shorten them (export_test.go). Zero: the defaults.
	positionCheck, positionRound time.Duration
	// noPoller has each held connection read by a goroutine of its own, as
	// where there is no poller (tests of that path: export_test.go).
	noPoller bool
}

// WithSecret sets the key that signs the pages' connection tokens. Every
// instance that serves the same site must share it. Without it a random
// key is made per process (and logged as such): tokens then work only on
// the instance that issued them, and a page open across a restart (or
// connecting to another instance) has its token refused (3500), so its
// client refetches live pagelets through the page's fragment endpoint for
// a fresh one: it stays live, at the cost of those refetches.
func WithSecret(key []byte) Option { return func(c *config) { c.secret = key } }

// WithLogger sets the logger; the default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithPath mounts the engine's endpoints under path ([DefaultPath] by
// default), which must start and end with '/'.
func WithPath(path string) Option { return func(c *config) { c.path = path } }

// WithOrigins allows WebSocket upgrades from these origins (such as
// "https://example.com") besides the request's own host.
func WithOrigins(origins ...string) Option {
	return func(c *config) { c.origins = append(c.origins, origins...) }
}

// WithTransport sets the transport pages connect with: "sse" (the
// default: one long GET, through any proxy) or "websocket". A page may
// still ask for the other (see the client's documentation in doc.go).
func WithTransport(t string) Option { return func(c *config) { c.transport = t } }

// WithLimits sets the per-client [Limits].
func WithLimits(l Limits) Option { return func(c *config) { c.limits = l } }

// WithTokenTTL sets how long a page's token lets it connect
// ([DefaultTokenTTL]). A page open longer gets a fresh one when it
// refetches a pagelet.
func WithTokenTTL(d time.Duration) Option { return func(c *config) { c.tokenTTL = d } }

// WithPingInterval sets how often idle connections are pinged
// ([DefaultPingInterval]).
func WithPingInterval(d time.Duration) Option { return func(c *config) { c.pingInterval = d } }

// WithRegistry registers the engine's metrics, and centrifuge's own, with
// reg, as [github.com/bigpipe-go/bigpipe/metrics.New] does the renderer's:
// a *prometheus.Registry, or any Registerer, such as one from
// prometheus.WrapRegistererWith that labels this engine's metrics. Without
// it (or with nil) they are kept in a registry of the engine's own, not
// served.
func WithRegistry(reg prometheus.Registerer) Option { return func(c *config) { c.registry = reg } }
