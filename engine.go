// The live engine (package live): what keeps the live pagelets of open pages
// current, over an in-memory broker or Redis (-redis) shared by the
// instances of a site, with its secret (-live-secret).

package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/internal/accounts"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// liveEngine is the live engine as run serves it.
type liveEngine struct {
	*live.Engine
	secret    []byte // -live-secret, or a random one for this process
	log       *slog.Logger
	closeOnce sync.Once
}

// startEngine makes the live engine: with -live-secret, or a random secret
// (and a warning); on Redis with -redis, in memory without; checking the
// sessions in sessions when a signed-in page connects, keeping pc's cache
// current. It logs which broker it uses. The caller must call close.
func startEngine(cfg config, reg *assets.Registry, sessions store.Accounts, pc *pageCache, metricsReg prometheus.Registerer, tp trace.TracerProvider, log *slog.Logger) (*liveEngine, error) {
	secret := []byte(cfg.liveSecret)
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret) // never fails (crypto/rand)
		log.Warn("no -live-secret (or BIGPIPE_LIVE_SECRET): made a random one for this process; " +
			"open pages served by another instance, or before a restart, refetch their live pagelets for a fresh token, and forms served then are refused here")
	}
	liveOpts := []live.Option{live.WithLogger(log), live.WithRegistry(metricsReg), live.WithSecret(secret), live.WithOrigins(cfg.liveOrigins...), live.WithTracerProvider(tp),
		// A signed-in page connects while its reader's session lasts.
		live.WithSessions(accounts.SessionCheck(sessions)),
		// Past -live-max-conns a connect is shed (503, Retry-After).
		live.WithLimits(live.Limits{Connections: cfg.liveMaxConns})}
	// Its publications keep the pagelet cache current, on every instance.
	liveOpts = append(liveOpts, pc.liveOptions()...)
	if len(cfg.redis) > 0 {
		liveOpts = append(liveOpts, live.WithRedis(cfg.redis...))
	}
	eng, err := live.New(reg, liveOpts...)
	if err != nil && len(cfg.redis) > 0 {
		return nil, fmt.Errorf("live engine on -redis %s: %w", strings.Join(redactURLs(cfg.redis), ","), err)
	}
	if err != nil {
		return nil, err
	}
	if len(cfg.redis) > 0 {
		log.Info("live broker: Redis, shared with the other instances", "broker", eng.Health().Broker, "redis", strings.Join(redactURLs(cfg.redis), ","),
			"health", eng.Health().String()) // degraded while Redis is unreachable: the engine connects when it answers
		if !isDatabaseURL(cfg.db) {
			log.Warn("-redis with a file -db: comments and the simulated news are this instance's own, so instances " +
				"behind one load balancer show different pages and each runs its own simulator; give every instance the same -db postgres://…")
		}
	} else {
		log.Info("live broker: in memory, this instance only (-redis for several)")
	}
	return &liveEngine{Engine: eng, secret: secret, log: log}, nil
}

// engineCloseTimeout bounds the live engine's shutdown after its drain
// window: telling the clients left to reconnect elsewhere and stopping the
// node.
const engineCloseTimeout = 5 * time.Second

// close closes the engine, within engineCloseTimeout: at the end of the
// stop sequence's live drain (drain.go), or on an early return of run. It
// may be called more than once; every call returns once the engine is
// closed.
func (e *liveEngine) close() {
	e.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), engineCloseTimeout)
		defer cancel()
		if err := e.Close(ctx); err != nil {
			e.log.Warn("live engine: closed before every client was told to go", "err", err)
		}
	})
}

// redactURLs returns urls with their passwords hidden, for the log.
func redactURLs(urls []string) []string {
	out := make([]string, len(urls))
	for i, raw := range urls {
		if _, err := url.Parse(raw); err == nil {
			out[i] = live.RedactRedisURL(raw) // the user's password and a sentinel_password hidden
		} else {
			out[i] = "(unparsable URL)"
		}
	}
	return out
}

// signedOut closes the live connections of r's session on every instance
// (accounts.WithSignOut). A failure is logged: the session is gone, so
// the pages' next connect is refused anyway.
func (e *liveEngine) signedOut(ctx context.Context, r pagelet.Reader) {
	if err := e.Disconnect(ctx, r); err != nil {
		e.log.Warn("signed out, but the live connections of the session were not closed", "reader", r.ID, "err", err)
	}
}
