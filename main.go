// Command bigpipe serves the demo news site, rendered the BigPipe way.
//
//	go run .                       # http://localhost:8080, metrics at /metrics
//	go run . -addr 127.0.0.1:9000 -latency hotnews=300ms,finance=1.2s
//	go run . -admin 127.0.0.1:6060 # pprof and metrics on a separate listener
//	go run . -live-sim=false       # live pagelets, but no simulated scores, markets or news
//	go run . -redis redis://127.0.0.1:6379/0 -live-secret "$SECRET"  # one of several instances
//
// The front page's breaking news, markets and sports scores and each
// article's comments are live: open pages are kept current over SSE or
// WebSocket (package live, mounted at /_live/).
package main

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/compress"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
	"github.com/bigpipe-go/bigpipe/static"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := exitCode(run(ctx, os.Args[1:], nil), os.Stderr)
	stop()
	os.Exit(code)
}

// exitCode reports err, if any, on stderr and returns the process's exit
// status: 0 for nil and for -h or -help ([flag.ErrHelp]: the flag package has
// already printed the usage), 1 for any other error.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	}
	fmt.Fprintln(stderr, "bigpipe:", err)
	return 1
}

// config is what the flags and environment set.
type config struct {
	addr       string
	db         string
	latency    string
	drain      time.Duration
	logLevel   slog.Level
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

	liveSecret  string   // signs the live tokens and keys the comment form's CSRF tokens; "" = random per process
	liveOrigins []string // origins allowed to open a live WebSocket besides the page's own host

	trustedProxies []netip.Prefix // peers whose X-Forwarded-For names the client
	liveSim        bool           // run the demo's simulator (scores, markets, breaking news)

	redis           []string      // Redis URLs of the live broker, one per shard; none: in memory, one instance
	liveDrainWindow time.Duration // on SIGTERM, the window over which live clients are told to reconnect elsewhere
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("bigpipe", flag.ContinueOnError)
	fs.StringVar(&c.addr, "addr", envOr("ADDR", ":8080"), "listen address (env ADDR)")
	fs.StringVar(&c.db, "db", envOr("BIGPIPE_DB", filepath.Join("data", "news.db")), "news store: a file, created and seeded on first run; or a postgres:// URL, where several instances share comments and live news, the schema created on first start (env BIGPIPE_DB)")
	fs.StringVar(&c.latency, "latency", os.Getenv("BIGPIPE_LATENCY"),
		"emulated backend latency per source, e.g. hotnews=200ms,finance=1.5s (env BIGPIPE_LATENCY; sources: "+strings.Join(store.Sources(), ", ")+", or * for every other one)")
	fs.DurationVar(&c.drain, "drain", 30*time.Second, "on SIGINT/SIGTERM, how long running streams may take to finish")
	fs.TextVar(&c.logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
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
	fs.DurationVar(&c.writeTimeout, "write-timeout", render.DefaultWriteTimeout, "how long a client may take to accept one chunk of a page before it is cut off; negative: no bound")
	fs.IntVar(&c.limits.Fetches, "max-fetches", 1024, "pagelet loads running at once across the server; 0: no bound (and no shedding). "+
		"With the default queue that admits about 340 six-pagelet pages at once, each holding ~1 MiB while compressed (go test -run TestOverloadSheds -v ./bench)")
	fs.IntVar(&c.limits.PageFetches, "page-fetches", 0, "pagelet loads running at once within one page; 0: no bound")
	fs.IntVar(&c.limits.Queue, "fetch-queue", 0, "pagelet loads that may wait for one of -max-fetches; pages beyond get 503 with Retry-After; 0: as many as -max-fetches")
	fs.BoolVar(&c.serverTiming, "server-timing", true, "report page and pagelet timings to the browser (Server-Timing header, performance marks)")
	fs.StringVar(&c.liveSecret, "live-secret", os.Getenv("BIGPIPE_LIVE_SECRET"),
		"secret that signs live connection tokens and comment-form tokens; every instance of a site must share it; empty: a random one per process (env BIGPIPE_LIVE_SECRET)")
	proxies := fs.String("trusted-proxies", os.Getenv("BIGPIPE_TRUSTED_PROXIES"),
		"comma-separated addresses or networks of the load balancers in front (e.g. 10.0.0.0/8): a request from one counts against the client address its X-Forwarded-For gives "+
			"(live connections per address, the comment rate), not the proxy's; empty: none (env BIGPIPE_TRUSTED_PROXIES)")
	origins := fs.String("live-origins", "", "comma-separated origins (such as https://news.example) also allowed to open live WebSockets; the page's own host always is")
	fs.BoolVar(&c.liveSim, "live-sim", true, "simulate the front page's live news: market prices, match scores and breaking headlines change and are published")
	redis := fs.String("redis", os.Getenv("BIGPIPE_REDIS"),
		"comma-separated Redis URLs (redis://[:password@]host:port[/db]) of the live broker, for several instances; several URLs shard the channels; "+
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
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	for u := range strings.SplitSeq(*redis, ",") {
		if u = strings.TrimSpace(u); u != "" {
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
	var err error
	if c.trustedProxies, err = parseTrustedProxies(*proxies); err != nil {
		return c, err
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
	if c.limits.Fetches < 0 || c.limits.PageFetches < 0 || c.limits.Queue < 0 {
		return c, errors.New("-max-fetches, -page-fetches and -fetch-queue cannot be negative")
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

// middleware is what wraps every page: response compression unless off.
func (c config) middleware() []func(http.Handler) http.Handler {
	if !c.compress {
		return nil
	}
	return []func(http.Handler) http.Handler{compress.New()}
}

// newAssets builds the asset registry: from the binary's embedded files, or
// in development from dir on disk, rebuilt when a file changes.
func newAssets(dir string) (*assets.Registry, error) {
	if dir != "" {
		return assets.NewDev(dir, pages.Bundles()...)
	}
	return assets.New(static.FS, pages.Bundles()...)
}

// protocols is what the server speaks: HTTP/1.1 always, HTTP/2 over TLS,
// and HTTP/2 without TLS only when asked (-h2c).
func (c config) protocols() *http.Protocols {
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetHTTP2(c.tlsCert != "")
	p.SetUnencryptedHTTP2(c.h2c)
	return &p
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// run serves until ctx is done, then shuts down gracefully: the listener
// closes at once, running requests get up to -drain to finish, and those
// still running then are cancelled (a page is aborted, so that no client
// takes it for a whole one). ready, if not nil, is told the addresses once
// the server listens: the main one, and the admin one ("" without -admin).
func run(ctx context.Context, args []string, ready func(addr, admin string)) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.logLevel}))

	latency, err := store.ParseLatency(cfg.latency)
	if err != nil {
		return fmt.Errorf("-latency: %w", err)
	}
	log.Info("emulated backend latency", "latency", cmp.Or(store.FormatLatency(latency), "none"))
	st, pg, closeStore, err := openStore(ctx, cfg.db, []store.Option{store.WithLatency(latency)}, log)
	if err != nil {
		return err
	}
	defer closeStore()

	reg, err := newAssets(cfg.dev)
	if err != nil {
		return err
	}
	hints, err := render.ParseEarlyHints(cfg.hints)
	if err != nil {
		return err
	}
	gatherer, observer, err := newMetrics()
	if err != nil {
		return err
	}
	opts := []render.Option{
		render.WithLogger(log),
		render.WithEarlyHints(hints),
		render.WithObserver(observer),
		render.WithPageTimeout(cfg.pageTimeout),
		render.WithWriteTimeout(cfg.writeTimeout),
		render.WithLimits(cfg.limits),
	}
	if cfg.csp {
		opts = append(opts, render.WithCSP(true))
	}
	if cfg.forceModes {
		opts = append(opts, render.WithModeOverride(true))
	}
	if cfg.serverTiming {
		opts = append(opts, render.WithServerTiming(true))
	}
	secret := []byte(cfg.liveSecret)
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret) // never fails (crypto/rand)
		log.Warn("no -live-secret (or BIGPIPE_LIVE_SECRET): made a random one for this process; " +
			"pages and comment forms served by another instance, or before a restart, are refused here")
	}
	liveOpts := []live.Option{live.WithLogger(log), live.WithRegistry(gatherer), live.WithSecret(secret), live.WithOrigins(cfg.liveOrigins...)}
	if len(cfg.redis) > 0 {
		liveOpts = append(liveOpts, live.WithRedis(cfg.redis...))
	}
	eng, err := live.New(reg, liveOpts...)
	if err != nil && len(cfg.redis) > 0 {
		return fmt.Errorf("live engine on -redis %s: %w", strings.Join(redactURLs(cfg.redis), ","), err)
	}
	if err != nil {
		return err
	}
	if len(cfg.redis) > 0 {
		log.Info("live broker: Redis, shared with the other instances", "broker", eng.Health().Broker, "redis", strings.Join(redactURLs(cfg.redis), ","))
		if !isDatabaseURL(cfg.db) {
			log.Warn("-redis with a file -db: comments and the simulated news are this instance's own, so instances " +
				"behind one load balancer show different pages and each runs its own simulator; give every instance the same -db postgres://…")
		}
	} else {
		log.Info("live broker: in memory, this instance only (-redis for several)")
	}
	// engineClosed is closed once the engine is: by the live drain
	// (below), or on an early return.
	engineClosed := make(chan struct{})
	var closeOnce sync.Once
	closeEngine := func() {
		closeOnce.Do(func() {
			cctx, cancel := context.WithTimeout(context.Background(), engineCloseTimeout)
			defer cancel()
			if err := eng.Close(cctx); err != nil {
				log.Warn("live engine: closed before every client was told to go", "err", err)
			}
			close(engineClosed)
		})
	}
	defer closeEngine()
	opts = append(opts, render.WithLive(eng))
	rd, err := render.New(reg, opts...)
	if err != nil {
		return err
	}
	site := pages.NewSite(st, pages.WithAssets(reg), pages.WithLive(eng), pages.WithLogger(log), pages.WithSecret(siteKey(secret)))

	// draining is set as soon as the stop signal arrives: /readyz then
	// tells the load balancer to send no more requests here.
	var draining atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		plainText(w)
		if draining.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "draining\n")
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	// /healthz says 200 while the process serves pages: a Redis outage
	// degrades live updates only, and must not take the instance out of
	// the load balancer. Its body says which: "ok", or "degraded: …".
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		plainText(w)
		_, _ = io.WriteString(w, eng.Health().String()+"\n")
	})
	if cfg.metrics {
		mux.Handle("GET /metrics", metricsHandler(gatherer))
	}
	mux.Handle(eng.Path(), eng) // not compressed: SSE flushes each message
	mux.Handle("/", pages.Routes(rd, reg, site, cfg.middleware()...))
	// Behind trusted proxies, a request's client address is the one they
	// saw (before anything else looks at it: the live engine's limits, the
	// comment rate).
	handler := trustProxies(cfg.trustedProxies)(mux)
	var active tracker
	// Every request's context derives from base: cancelling it when the
	// drain deadline passes ends every page still running.
	base, cancelBase := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelBase(nil)
	srv := &http.Server{
		Addr:              cfg.addr,
		Handler:           active.wrap(handler),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		Protocols:         cfg.protocols(),
		// No WriteTimeout: it would cut long streams. The renderer bounds
		// each write (-write-timeout) and each page (-page-timeout).
		BaseContext: func(net.Listener) context.Context { return base },
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	var admin *http.Server
	var adminLn net.Listener
	if cfg.admin != "" {
		if adminLn, err = net.Listen("tcp", cfg.admin); err != nil {
			ln.Close()
			return fmt.Errorf("admin: %w", err)
		}
		admin = newAdminServer(gatherer, siteNews{st, site}, log)
	}
	scheme := "http"
	if cfg.tlsCert != "" {
		scheme = "https"
	}
	log.Info("serving", "addr", scheme+"://"+ln.Addr().String(), "db", dbLabel(cfg.db), "h2c", cfg.h2c, "metrics", cfg.metrics)
	adminAddr := ""
	if admin != nil {
		adminAddr = adminLn.Addr().String()
		log.Info("admin serving", "addr", "http://"+adminAddr, "paths", "/debug/pprof/ /metrics POST /admin/breaking")
	}
	// The simulator runs until shutdown starts; run waits for it to end
	// before the store closes.
	simCtx, stopSim := context.WithCancel(ctx)
	simDone := make(chan struct{})
	if cfg.liveSim {
		go func() {
			defer close(simDone)
			runSim(simCtx, site, pg, log)
		}()
		log.Info("live demo simulator on: market prices, match scores and breaking news change (-live-sim=false: off)")
	} else {
		close(simDone)
	}
	defer func() { stopSim(); <-simDone }()
	if ready != nil {
		ready(ln.Addr().String(), adminAddr)
	}

	errc := make(chan error, 2)
	go func() {
		if cfg.tlsCert != "" {
			errc <- srv.ServeTLS(ln, cfg.tlsCert, cfg.tlsKey)
			return
		}
		errc <- srv.Serve(ln)
	}()
	if admin != nil {
		go func() { errc <- admin.Serve(adminLn) }()
	}
	var serveErr error
	select {
	case serveErr = <-errc: // a listener failed: shut the rest down too
	case <-ctx.Done():
	}
	// The stop sequence, each step where it is for a reason:
	// 1. Readiness first, at once: the load balancer stops sending new
	//    pages and live connections here while this instance still serves
	//    those it gets meanwhile.
	draining.Store(true)
	log.Info("stopping: /readyz says draining", "live_drain_window", cfg.liveDrainWindow)
	// 2. The simulator, before the engine it publishes through closes (with
	//    several instances another one runs it).
	stopSim()
	<-simDone
	// 3. The live clients, spread over the window: each is told to
	//    reconnect at a random moment, so the other instances take them
	//    gradually. Pages are still served meanwhile (the listener still
	//    accepts), and their live pagelets connect elsewhere: the engine
	//    answers them 503. Their SSE requests end here, and WebSockets,
	//    which the HTTP server does not track, close: the HTTP drain
	//    below waits only for pages.
	drainLive(eng, cfg.liveDrainWindow, log)
	closeEngine() // a no-op after the drain; waits for it to finish
	<-engineClosed
	// 4. The HTTP server: it stops accepting and lets the page streams
	//    running finish within -drain.
	drain(srv, &active, cfg.drain, cancelBase, log)
	if admin != nil {
		// The admin server stayed up through the drain, so it could be watched.
		actx, cancel := context.WithTimeout(context.Background(), time.Second)
		if admin.Shutdown(actx) != nil {
			_ = admin.Close() // a long profile, say
		}
		cancel()
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return nil
}

// engineCloseTimeout bounds the live engine's shutdown after its drain
// window: telling the clients left to reconnect elsewhere and stopping the
// node.
const engineCloseTimeout = 5 * time.Second

// drainLive drains the live engine over window (see [live.Engine.Drain]),
// bounded by window and engineCloseTimeout.
func drainLive(eng *live.Engine, window time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), window+engineCloseTimeout)
	defer cancel()
	if err := eng.Drain(ctx, window); err != nil {
		log.Warn("live engine: drained before every client was told to go", "err", err)
	}
}

// plainText sets the headers of a probe's answer (/readyz, /healthz).
func plainText(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
}

// redactURLs returns urls with their passwords hidden, for the log.
func redactURLs(urls []string) []string {
	out := make([]string, len(urls))
	for i, raw := range urls {
		if u, err := url.Parse(raw); err == nil {
			out[i] = u.Redacted()
		} else {
			out[i] = "(unparsable URL)"
		}
	}
	return out
}

// siteKey derives the comment form's CSRF key from the live secret, so one
// secret configures both and neither key can stand in for the other.
func siteKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("bigpipe demo: comment form CSRF key"))
	return m.Sum(nil)
}

// abortGrace is how long requests cancelled at the drain deadline get to
// return before their connections are closed under them.
const abortGrace = 2 * time.Second

// drain shuts srv down: it stops accepting at once, lets running requests
// finish for up to d, then cancels the ones left (through cancelBase, which
// ends their contexts: the renderer aborts each page, so no client takes a
// cut page for a whole one) and closes every connection.
func drain(srv *http.Server, active *tracker, d time.Duration, cancelBase context.CancelCauseFunc, log *slog.Logger) {
	start := time.Now()
	log.Info("shutting down: no new connections; running requests may finish", "drain", d, "running", active.count())
	dctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if srv.Shutdown(dctx) == nil {
		log.Info("drained: every request finished", "took", time.Since(start).Round(time.Millisecond))
		return
	}
	cut := active.count()
	cancelBase(errDrainDeadline)
	gctx, cancel := context.WithTimeout(context.Background(), abortGrace)
	defer cancel()
	stuck := active.wait(gctx)
	_ = srv.Close()
	log.Warn("drain deadline passed: cancelled the requests still running", "cut", cut, "stuck", stuck,
		"took", time.Since(start).Round(time.Millisecond))
}

// errDrainDeadline is why the requests still running at the drain deadline
// are cancelled.
var errDrainDeadline = errors.New("server shutting down: drain deadline passed")
