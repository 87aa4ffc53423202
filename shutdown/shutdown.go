// Package shutdown stops a site's HTTP server the way a deploy needs it
// stopped: readiness first, then the live clients spread over a window, then
// the pages still streaming, cancelled whole if they overrun.
//
//	srv := &http.Server{Addr: ":8080", Handler: mux}
//	sd := shutdown.New(srv, shutdown.WithLive(eng), shutdown.WithWindow(10*time.Second))
//	mux.Handle("GET /readyz", sd.Ready())
//	mux.Handle("GET /healthz", sd.Health())
//	go srv.ListenAndServe()
//	<-ctx.Done() // signal.NotifyContext(…, os.Interrupt, syscall.SIGTERM)
//	err := sd.Shutdown(context.Background())
//
// # The sequence
//
// [Drainer.Shutdown] runs these steps, each where it is for a reason:
//
//  1. Readiness answers 503 "draining" at once: the load balancer stops
//     sending new pages and live connections here, while the server still
//     serves those it gets meanwhile.
//  2. The functions registered with [Drainer.OnShutdown] run: stop there
//     what publishes through the live engine.
//  3. The live engine ([WithLive]) refuses new connections and tells each
//     of its clients to reconnect, at a random moment within the window
//     ([WithWindow]), so that the other instances take them gradually.
//     Without an engine the server keeps serving for the window, for the
//     load balancer to notice.
//  4. The HTTP server stops accepting and lets running requests finish
//     within the drain timeout ([WithTimeout]); then it cancels the
//     contexts of those still running (the server's BaseContext, with the
//     cause [ErrDeadline]), so that a BigPipe page is aborted, not ended
//     like a whole one, gives them a moment to return and closes every
//     connection.
//
// # Pitfalls
//
// New takes over srv's BaseContext and ConnState (calling those already
// set), so it must be called before srv serves. Like [http.Server.Shutdown],
// it does not wait for hijacked connections (WebSockets): the live engine
// ends its own, and the contexts of any others are cancelled, with the
// cause [http.ErrServerClosed], when Shutdown returns.
package shutdown

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Live is what a live engine offers a shutdown: a drain that refuses new
// connections, tells each connected client to reconnect elsewhere at a
// moment spread over window, and closes the engine, cut short when ctx is
// done. *live.Engine satisfies it.
type Live interface {
	Drain(ctx context.Context, window time.Duration) error
}

// DefaultTimeout is how long running requests may take to finish once the
// server stops accepting, unless [WithTimeout] says otherwise.
const DefaultTimeout = 30 * time.Second

// Bounds of the steps past what the options set.
const (
	// liveCloseTimeout bounds the live engine's close after its window:
	// telling the clients left to reconnect and stopping the engine.
	liveCloseTimeout = 5 * time.Second
	// abortGrace is how long requests cancelled at the drain deadline get
	// to return before their connections are closed under them.
	abortGrace = 2 * time.Second
)

// ErrDeadline is the cause with which the contexts of requests still
// running at the drain deadline are cancelled (see [context.Cause]), and
// what [Drainer.Shutdown] returns, wrapped, when it cut any.
var ErrDeadline = errors.New("shutdown: drain deadline passed")

// Option configures [New].
type Option func(*config)

type config struct {
	live    Live
	window  time.Duration
	timeout time.Duration
	log     *slog.Logger
	health  func() string
}

// WithLive drains l, a live engine, before the HTTP server: see [Live].
func WithLive(l Live) Option { return func(c *config) { c.live = l } }

// WithWindow sets how long, after readiness turns 503, the server keeps
// accepting: the live clients are told to reconnect at moments spread over
// it. Zero (the default) tells them all at once and stops accepting
// straight away.
func WithWindow(d time.Duration) Option { return func(c *config) { c.window = max(d, 0) } }

// WithTimeout sets how long running requests may take to finish once the
// server stops accepting ([DefaultTimeout]). Zero or less cancels them at
// once.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = max(d, 0) } }

// WithLogger sets the logger of the steps; the default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithHealth sets what [Drainer.Health] says: report's line, such as a
// live engine's health ("ok", or "degraded: …"). The default says "ok".
func WithHealth(report func() string) Option { return func(c *config) { c.health = report } }

// Drainer shuts an [http.Server] down in the order a site with live
// clients needs, and answers its readiness and health probes. Create it
// with [New]; the zero value is not usable.
type Drainer struct {
	srv      *http.Server
	cfg      config
	conns    conns
	draining atomic.Bool
	cancel   context.CancelCauseFunc // ends the base of every request's context
	once     sync.Once
	err      error // Shutdown's

	mu    sync.Mutex
	hooks []func() // OnShutdown's
}

// New returns a Drainer for srv. It sets srv.BaseContext and
// srv.ConnState, wrapping those already set, so that it can cancel the
// requests still running at the drain deadline and wait for them: call it
// once srv is configured, before it serves.
func New(srv *http.Server, opts ...Option) *Drainer {
	cfg := config{timeout: DefaultTimeout, log: slog.Default()}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.log == nil {
		cfg.log = slog.New(slog.DiscardHandler)
	}
	base, cancel := context.WithCancelCause(context.Background())
	d := &Drainer{srv: srv, cfg: cfg, cancel: cancel}
	d.conns.active = make(map[net.Conn]struct{})
	if parent := srv.BaseContext; parent != nil {
		srv.BaseContext = func(ln net.Listener) context.Context {
			ctx, cancel := context.WithCancelCause(parent(ln))
			context.AfterFunc(base, func() { cancel(context.Cause(base)) })
			return ctx
		}
	} else {
		srv.BaseContext = func(net.Listener) context.Context { return base }
	}
	next := srv.ConnState
	srv.ConnState = func(c net.Conn, s http.ConnState) {
		d.conns.track(c, s)
		if next != nil {
			next(c, s)
		}
	}
	return d
}

// OnShutdown registers f to run when [Drainer.Shutdown] begins, once
// readiness answers 503 and before the live drain; Shutdown runs the
// functions in the order registered and waits for each. Stop there what
// publishes through the live engine, before the engine closes.
func (d *Drainer) OnShutdown(f func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.hooks = append(d.hooks, f)
}

// Draining reports whether [Drainer.Shutdown] has begun.
func (d *Drainer) Draining() bool { return d.draining.Load() }

// Shutdown runs the stop sequence (see the package documentation) and
// returns once the server is closed: within the window, plus the live
// engine's close, plus the drain timeout, plus a moment for cancelled
// requests, at most. ctx bounds it all: once ctx is done the window is cut
// short and requests still running are cancelled at once. It returns an
// error wrapping [ErrDeadline] when requests were cut, and the live
// drain's error, if any. Later calls wait for the first and return its
// result.
func (d *Drainer) Shutdown(ctx context.Context) error {
	d.once.Do(func() { d.err = d.shutdown(ctx) })
	return d.err
}

func (d *Drainer) shutdown(ctx context.Context) error {
	start := time.Now()
	d.draining.Store(true)
	log := d.cfg.log
	log.Info("shutdown: draining: readiness answers 503", "window", d.cfg.window, "live", d.cfg.live != nil)
	d.mu.Lock()
	hooks := d.hooks
	d.mu.Unlock()
	for _, f := range hooks {
		f()
	}
	liveErr := d.drainLive(ctx)
	httpErr := d.drainHTTP(ctx)
	// What is left derives from the base too: hijacked connections such as
	// WebSockets, which the server neither waits for nor closes.
	d.cancel(http.ErrServerClosed)
	log.Info("shutdown: done", "took", time.Since(start).Round(time.Millisecond))
	return errors.Join(liveErr, httpErr)
}

// drainLive drains the live engine over the window, or without one waits
// the window out; either ends early when ctx is done.
func (d *Drainer) drainLive(ctx context.Context) error {
	if d.cfg.live == nil {
		if d.cfg.window > 0 {
			t := time.NewTimer(d.cfg.window)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
			}
		}
		return nil
	}
	lctx, cancel := context.WithTimeout(ctx, d.cfg.window+liveCloseTimeout)
	defer cancel()
	if err := d.cfg.live.Drain(lctx, d.cfg.window); err != nil {
		d.cfg.log.Warn("shutdown: live engine drained before every client was told to go", "err", err)
		return fmt.Errorf("shutdown: live drain: %w", err)
	}
	return nil
}

// drainHTTP shuts the server down: it stops accepting at once, lets running
// requests finish within the timeout, then cancels the ones left, waits a
// moment for them and closes every connection.
func (d *Drainer) drainHTTP(ctx context.Context) error {
	start, log := time.Now(), d.cfg.log
	log.Info("shutdown: no new connections; running requests may finish",
		"timeout", d.cfg.timeout, "busy_connections", d.conns.count())
	hctx, cancel := context.WithTimeout(ctx, d.cfg.timeout)
	defer cancel()
	err := d.srv.Shutdown(hctx)
	if err == nil {
		log.Info("shutdown: drained: every request finished", "took", time.Since(start).Round(time.Millisecond))
		return nil
	}
	if hctx.Err() == nil { // a listener failed to close; the requests all finished
		return fmt.Errorf("shutdown: %w", err)
	}
	cut := d.conns.count()
	d.cancel(ErrDeadline)
	gctx, cancelGrace := context.WithTimeout(context.Background(), abortGrace)
	defer cancelGrace()
	stuck := d.conns.wait(gctx)
	_ = d.srv.Close() // its error is the listeners', closed already
	log.Warn("shutdown: drain deadline passed: cancelled the requests still running",
		"cut_connections", cut, "stuck_connections", stuck, "took", time.Since(start).Round(time.Millisecond))
	return fmt.Errorf("shutdown: requests on %d connections cancelled after %v (%d did not return): %w",
		cut, d.cfg.timeout, stuck, ErrDeadline)
}
