// Command bigpipe serves the demo news site, rendered the BigPipe way.
//
//	go run .                       # http://localhost:8080
//	go run . -addr 127.0.0.1:9000 -latency hotnews=300ms,finance=1.2s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/compress"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
	"github.com/bigpipe-go/bigpipe/static"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], nil); err != nil {
		fmt.Fprintln(os.Stderr, "bigpipe:", err)
		os.Exit(1)
	}
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
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("bigpipe", flag.ContinueOnError)
	fs.StringVar(&c.addr, "addr", envOr("ADDR", ":8080"), "listen address (env ADDR)")
	fs.StringVar(&c.db, "db", envOr("BIGPIPE_DB", filepath.Join("data", "news.db")), "news store file, created and seeded on first run (env BIGPIPE_DB)")
	fs.StringVar(&c.latency, "latency", os.Getenv("BIGPIPE_LATENCY"),
		"emulated backend latency per source, e.g. hotnews=200ms,finance=1.5s (env BIGPIPE_LATENCY; sources: "+fmt.Sprint(store.Sections())+")")
	fs.DurationVar(&c.drain, "drain", 30*time.Second, "on SIGINT/SIGTERM, how long running streams may take to finish")
	fs.TextVar(&c.logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
	fs.StringVar(&c.tlsCert, "tls-cert", os.Getenv("BIGPIPE_TLS_CERT"), "TLS certificate file (PEM): serve HTTPS with HTTP/2 and HTTP/1.1 (env BIGPIPE_TLS_CERT)")
	fs.StringVar(&c.tlsKey, "tls-key", os.Getenv("BIGPIPE_TLS_KEY"), "TLS private key file (PEM) for -tls-cert (env BIGPIPE_TLS_KEY)")
	fs.StringVar(&c.dev, "dev", "", "development: serve CSS/JS from this directory (e.g. static), re-minified when a file changes, instead of the embedded copies")
	fs.StringVar(&c.hints, "early-hints", "http2", "103 Early Hints: http2 (browsers use them only there; over HTTP/1.1 nginx before 1.29 mangles them), always (HTTP/1.1 too), off")
	fs.BoolVar(&c.compress, "compress", true, "compress pages (br or gzip, negotiated), flushing every chunk")
	fs.BoolVar(&c.forceModes, "force-modes", false, "debugging: let a request force its mode with the X-BigPipe-Force-Mode header or ?bigpipe_mode= (pipelined, inorder, serial); keep off in production")
	fs.BoolVar(&c.csp, "csp", true, "send a strict nonce-based Content-Security-Policy with every page (script-src 'nonce-…' 'strict-dynamic')")
	fs.BoolVar(&c.h2c, "h2c", false, "also accept unencrypted HTTP/2 (prior knowledge), for a proxy in front that speaks h2c")
	if err := fs.Parse(args); err != nil {
		return c, err
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
// closes at once and running streams get up to -drain to finish. ready, if
// not nil, is told the address once the server listens.
func run(ctx context.Context, args []string, ready func(addr string)) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.logLevel}))

	latency, err := store.ParseLatency(cfg.latency)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.db), 0o755); err != nil {
		return fmt.Errorf("store directory: %w", err)
	}
	st, err := store.Open(cfg.db, store.WithLatency(latency))
	if err != nil {
		return err
	}
	defer st.Close()

	reg, err := newAssets(cfg.dev)
	if err != nil {
		return err
	}
	hints, err := render.ParseEarlyHints(cfg.hints)
	if err != nil {
		return err
	}
	opts := []render.Option{render.WithLogger(log), render.WithEarlyHints(hints)}
	if cfg.csp {
		opts = append(opts, render.WithCSP())
	}
	if cfg.forceModes {
		opts = append(opts, render.WithModeOverride())
	}
	rd, err := render.New(reg, opts...)
	if err != nil {
		return err
	}

	srv := &http.Server{
		Addr:              cfg.addr,
		Handler:           pages.Routes(rd, reg, pages.NewSite(st), cfg.middleware()...),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		Protocols:         cfg.protocols(),
		// No WriteTimeout: it would cut long streams. Pagelet timeouts bound them.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	scheme := "http"
	if cfg.tlsCert != "" {
		scheme = "https"
	}
	log.Info("serving", "addr", scheme+"://"+ln.Addr().String(), "db", cfg.db, "h2c", cfg.h2c)
	if ready != nil {
		ready(ln.Addr().String())
	}

	errc := make(chan error, 1)
	go func() {
		if cfg.tlsCert != "" {
			errc <- srv.ServeTLS(ln, cfg.tlsCert, cfg.tlsKey)
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: letting running streams finish", "drain", cfg.drain)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.drain)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close() // drain deadline passed: cut what is left
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
