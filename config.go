// The configuration: the command line's flags and the environment variables
// they default to, read into a config and checked (parseFlags).

package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/internal/accounts"
	"github.com/bigpipe-go/bigpipe/internal/realip"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
)

// config is what the flags and environment set.
type config struct {
	addr       string
	db         string
	latency    string
	drain      time.Duration
	logLevel   slog.Level
	logRepeat  time.Duration
	pageletTO  time.Duration // each pagelet's timeout (pages.WithTimeout)
	tlsCert    string
	tlsKey     string
	h2c        bool
	dev        string
	hints      string
	csp        bool
	forceModes bool
	compress   bool

	metrics      bool          // serve /metrics on the main address
	admin        string        // address of the admin listener (pprof, metrics); "" = none
	pageTimeout  time.Duration // bound on a whole response
	writeTimeout time.Duration // bound on each write of a response
	serverTiming bool
	limits       render.Limits

	liveSecret  string   // signs the live tokens and keys the comment form's CSRF tokens; "" = random per process (the forms' key then kept beside a file store: formkey.go)
	liveOrigins []string // origins allowed to open a live WebSocket besides the page's own host

	trustedProxies []netip.Prefix // peers whose X-Forwarded-For names the client (and X-Forwarded-Proto the scheme)
	publicURL      string         // the site's public origin for absolute URLs (canonical, Open Graph, JSON-LD, sitemaps, feeds); "": each request's
	liveSim        bool           // run the demo's simulator (scores, markets, breaking news)

	redis           []string      // Redis URLs of the live broker, one per shard; none: in memory, one instance
	liveDrainWindow time.Duration // on SIGTERM, the window over which live clients are told to reconnect elsewhere

	otlp string // URL traces are exported to over OTLP/HTTP (metrics.go); "": OTEL_EXPORTER_OTLP_ENDPOINT, or none

	editors []string // reader ids of the accounts that are editors (the moderation desk)

	cache        bool  // cache the shared pagelets' fragments (cache.go)
	cacheEntries int   // at most this many fragments
	cacheBytes   int64 // taking at most this many bytes

	maxPosts     int // comment posts, and message posts, being stored at once (pages.WithPostLimit)
	liveMaxConns int // live connections open at once (live.Limits.Connections); 0: no bound
}

// parseFlags reads the command line args, with the environment variables
// some flags default to, into a config, and checks it.
func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("bigpipe", flag.ContinueOnError)
	fs.StringVar(&c.addr, "addr", envOr("ADDR", ":8080"), "listen address (env ADDR)")
	fs.StringVar(&c.db, "db", envOr("BIGPIPE_DB", filepath.Join("data", "news.db")), "news store: a file, created and seeded on first run; or a postgres:// URL, where several instances share comments and live news, the schema created on first start (env BIGPIPE_DB)")
	fs.StringVar(&c.latency, "latency", os.Getenv("BIGPIPE_LATENCY"),
		"emulated backend latency per source, e.g. hotnews=200ms,finance=1.5s (env BIGPIPE_LATENCY; sources: "+strings.Join(store.Sources(), ", ")+", or * for every other one)")
	fs.DurationVar(&c.drain, "drain", 30*time.Second, "on SIGINT/SIGTERM, how long running streams may take to finish")
	fs.TextVar(&c.logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
	fs.DurationVar(&c.logRepeat, "log-repeat", time.Minute, "a warning or error that repeats (everything in it alike: Redis down, say) is logged at most once per this window, with the number held back since; 0 logs every one")
	fs.StringVar(&c.tlsCert, "tls-cert", os.Getenv("BIGPIPE_TLS_CERT"), "TLS certificate file (PEM): serve HTTPS with HTTP/2 and HTTP/1.1 (env BIGPIPE_TLS_CERT)")
	fs.StringVar(&c.tlsKey, "tls-key", os.Getenv("BIGPIPE_TLS_KEY"), "TLS private key file (PEM) for -tls-cert (env BIGPIPE_TLS_KEY)")
	fs.StringVar(&c.dev, "dev", "", "development: serve CSS/JS from this directory (e.g. static), re-minified when a file changes, instead of the embedded copies")
	fs.StringVar(&c.hints, "early-hints", "http2", "103 Early Hints: http2 (browsers use them only there; over HTTP/1.1 nginx before 1.29 mangles them), always (HTTP/1.1 too), off")
	fs.BoolVar(&c.compress, "compress", true, "compress pages (br or gzip, negotiated), flushing every chunk")
	fs.BoolVar(&c.forceModes, "force-modes", false, "debugging: let a request force its mode with the X-BigPipe-Force-Mode header or ?bigpipe_mode= (pipelined, native, inorder, serial); keep off in production")
	fs.BoolVar(&c.csp, "csp", true, "send a strict nonce-based Content-Security-Policy with every page (script-src 'nonce-…' 'strict-dynamic')")
	fs.BoolVar(&c.h2c, "h2c", false, "also accept unencrypted HTTP/2 (prior knowledge), for a proxy in front that speaks h2c")
	fs.BoolVar(&c.metrics, "metrics", true, "serve Prometheus metrics at /metrics on the main address")
	fs.StringVar(&c.admin, "admin", os.Getenv("BIGPIPE_ADMIN"), "address of a separate admin listener serving /debug/pprof/, /metrics and the editors' POST /admin/breaking, e.g. 127.0.0.1:6060; empty: none (env BIGPIPE_ADMIN)")
	fs.DurationVar(&c.pageTimeout, "page-timeout", 60*time.Second, "bound on a whole page: one still unfinished then is aborted; 0: no bound")
	fs.DurationVar(&c.pageletTO, "pagelet-timeout", pages.DefaultTimeout, "how long each pagelet's backends may take before it shows its fallback")
	fs.DurationVar(&c.writeTimeout, "write-timeout", render.DefaultWriteTimeout, "how long a client may take to accept one chunk of a page before it is cut off; negative: no bound")
	fs.IntVar(&c.limits.Fetches, "max-fetches", 1024, "pagelet loads running at once across the server; 0: no bound (and no shedding). "+
		"With the default queue that admits about 340 six-pagelet pages at once, each holding ~1 MiB while compressed (go test -run TestOverloadSheds -v ./bench/page)")
	fs.IntVar(&c.limits.PageFetches, "page-fetches", 0, "pagelet loads running at once within one page; 0: no bound")
	fs.IntVar(&c.limits.Queue, "fetch-queue", 0, "pagelet loads that may wait for one of -max-fetches; pages beyond get 503 with Retry-After; 0: as many as -max-fetches")
	fs.IntVar(&c.limits.Pages, "max-pages", 1024, "pages and fragments being answered at once; more get 503 with Retry-After. "+
		"It sheds what -max-fetches cannot see: pages whose pagelets are all cached take no fetches; 0: no bound")
	fs.IntVar(&c.maxPosts, "max-posts", pages.DefaultPostLimit, "comment posts, and as many message posts, being stored at once; more get 503 with Retry-After (the form keeps the text); 0: no bound")
	fs.IntVar(&c.liveMaxConns, "live-max-conns", 0, "live connections open at once; more get 503 with Retry-After and the client retries later; 0: no bound but the open-file limit")
	fs.BoolVar(&c.serverTiming, "server-timing", true, "report page and pagelet timings to the browser (Server-Timing header, performance marks)")
	fs.StringVar(&c.liveSecret, "live-secret", os.Getenv("BIGPIPE_LIVE_SECRET"),
		"secret that signs live connection tokens and comment-form tokens; every instance of a site must share it; empty: a random one per process, and the forms' key kept beside a file -db (form.key) (env BIGPIPE_LIVE_SECRET)")
	proxies := fs.String("trusted-proxies", os.Getenv("BIGPIPE_TRUSTED_PROXIES"),
		"comma-separated addresses or networks of the load balancers in front (e.g. 10.0.0.0/8): a request from one counts against the client address its X-Forwarded-For gives "+
			"(live connections per address, the comment rate), not the proxy's; empty: none (env BIGPIPE_TRUSTED_PROXIES)")
	origins := fs.String("live-origins", "", "comma-separated origins (such as https://news.example) also allowed to open live WebSockets; the page's own host always is")
	fs.BoolVar(&c.liveSim, "live-sim", true, "simulate the front page's live news: market prices, match scores and breaking headlines change and are published")
	redis := fs.String("redis", os.Getenv("BIGPIPE_REDIS"),
		"comma-separated Redis URLs of the live broker, for several instances: redis://[:password@]host:port[/db], or a primary that Redis Sentinel fails over, "+
			"redis+sentinel://[:password@]sentinel-host:port[/db]?sentinel_master_name=NAME&addr=sentinel2:port&addr=sentinel3:port; several URLs shard the channels; "+
			"an instance started while Redis is unreachable serves pages without live updates (/healthz says degraded) and connects when it answers; "+
			"needs -live-secret; empty: in memory, one instance (env BIGPIPE_REDIS)")
	window := 5 * time.Second
	if v := os.Getenv("BIGPIPE_LIVE_DRAIN_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return c, fmt.Errorf("BIGPIPE_LIVE_DRAIN_WINDOW: %w", err)
		}
		window = d
	}
	fs.DurationVar(&c.liveDrainWindow, "live-drain-window", window,
		"on SIGINT/SIGTERM, the window over which live clients are told to reconnect (to another instance), each at a random moment, before the HTTP drain (env BIGPIPE_LIVE_DRAIN_WINDOW)")
	fs.StringVar(&c.otlp, "otlp", "", "export OpenTelemetry traces of pages, pagelets and live publications over OTLP/HTTP to this receiver, "+
		"e.g. http://127.0.0.1:4318; empty: to OTEL_EXPORTER_OTLP_ENDPOINT if set, else no tracing (service name: OTEL_SERVICE_NAME, default bigpipe)")
	editors := fs.String("editors", os.Getenv("BIGPIPE_EDITORS"),
		"comma-separated account names of the editors: they alone reach the moderation desk (/desk), set watch rules and hide or pin comments; empty: none (env BIGPIPE_EDITORS)")
	fs.StringVar(&c.publicURL, "public-url", os.Getenv("BIGPIPE_PUBLIC_URL"),
		"the site's public origin, such as https://news.example: canonical links, Open Graph tags, structured data, sitemaps, Atom feeds and robots.txt name it; "+
			"empty: each request's own (its Host, checked, and https over TLS or with X-Forwarded-Proto: https from a -trusted-proxies peer) (env BIGPIPE_PUBLIC_URL)")
	fs.BoolVar(&c.cache, "cache", true, "cache the shared pagelets' rendered fragments: the front page's blocks, each article's story, related stories and comments, "+
		"a signed-in reader's notifications (for them alone); concurrent requests for one share one load, and the live publications keep them current on every instance; "+
		"false: every request loads every pagelet")
	fs.IntVar(&c.cacheEntries, "cache-entries", cache.DefaultMaxEntries, "most fragments the pagelet cache (-cache) holds; the least used go first")
	fs.Int64Var(&c.cacheBytes, "cache-bytes", cache.DefaultMaxBytes, "most bytes the pagelet cache's fragments take, their markup, keys and a fixed overhead each (default 64 MiB)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var err error
	if c.editors, err = parseEditors(*editors); err != nil {
		return c, err
	}
	if c.otlp != "" {
		var err error
		if c.otlp, err = parseOTLP(c.otlp); err != nil {
			return c, err
		}
	}
	for u := range strings.SplitSeq(*redis, ",") {
		if u = strings.TrimSpace(u); u != "" {
			if err := live.CheckRedisURL(u); err != nil {
				return c, fmt.Errorf("-redis: %w", err)
			}
			c.redis = append(c.redis, u)
		}
	}
	if len(c.redis) > 0 && c.liveSecret == "" {
		return c, errors.New("-redis needs -live-secret (or BIGPIPE_LIVE_SECRET), the same on every instance: " +
			"a page rendered by one instance connects to whichever the load balancer picks, which must verify its live token, " +
			"and the comment form's CSRF key derives from it too")
	}
	if c.liveDrainWindow < 0 {
		return c, errors.New("-live-drain-window cannot be negative")
	}
	if c.trustedProxies, err = realip.ParseTrusted(*proxies); err != nil {
		return c, err
	}
	if c.publicURL, err = pages.ParsePublicURL(c.publicURL); err != nil {
		return c, fmt.Errorf("-public-url: %w", err)
	}
	for o := range strings.SplitSeq(*origins, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return c, fmt.Errorf("-live-origins: %q is not an origin such as https://news.example", o)
		}
		c.liveOrigins = append(c.liveOrigins, u.Scheme+"://"+u.Host)
	}
	if c.limits.Fetches < 0 || c.limits.PageFetches < 0 || c.limits.Queue < 0 || c.limits.Pages < 0 {
		return c, errors.New("-max-fetches, -page-fetches, -fetch-queue and -max-pages cannot be negative")
	}
	if c.maxPosts < 0 || c.liveMaxConns < 0 {
		return c, errors.New("-max-posts and -live-max-conns cannot be negative")
	}
	if c.cacheEntries <= 0 || c.cacheBytes <= 0 {
		return c, errors.New("-cache-entries and -cache-bytes must be positive")
	}
	if c.pageletTO <= 0 {
		return c, errors.New("-pagelet-timeout must be positive")
	}
	if c.logRepeat < 0 {
		return c, errors.New("-log-repeat cannot be negative (0 logs every repeat)")
	}
	if c.drain < 0 {
		return c, errors.New("-drain cannot be negative")
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return c, errors.New("-tls-cert and -tls-key go together")
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return c, nil
}

// envOr returns the environment variable key, or def if it is empty.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// parseEditors reads -editors: account names separated by commas, each
// one [accounts.CheckName] accepts, as reader ids (lower case).
func parseEditors(v string) ([]string, error) {
	var ids []string
	for name := range strings.SplitSeq(v, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if msg := accounts.CheckName(name); msg != "" {
			return nil, fmt.Errorf("-editors: %q is not an account name: %s", name, msg)
		}
		ids = append(ids, accounts.ID(name))
	}
	return ids, nil
}
