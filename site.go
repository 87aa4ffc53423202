// The site: the renderer, the demo's pages (package pages) and the routes
// of the main address around them: the probes (/readyz, /healthz), the
// metrics, the live engine's endpoint and the pages.

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/compress"
	"github.com/bigpipe-go/bigpipe/internal/accounts"
	"github.com/bigpipe-go/bigpipe/internal/realip"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/metrics"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
	"github.com/bigpipe-go/bigpipe/shutdown"
	"github.com/bigpipe-go/bigpipe/static"
)

// site is the demo site as the main address serves it.
type site struct {
	*pages.Site
	handler http.Handler // every route of the main address
	log     *slog.Logger
}

// siteParts are what the earlier steps of run made that the site is built
// on: the news store (stores.go), the assets and Early Hints, the metrics
// (metrics.go), the live engine (engine.go), the stop sequence that
// answers the probes (drain.go) and the logger.
type siteParts struct {
	news     *store.Store
	assets   *assets.Registry
	hints    render.EarlyHints
	engine   *liveEngine
	gatherer prometheus.Gatherer
	registry prometheus.Registerer // where the site's own metrics go (the desk's); nil: not exported
	observer *metrics.Metrics
	probes   *shutdown.Drainer
	log      *slog.Logger
	tracer   trace.TracerProvider // nil: no tracing (metrics.go)
	cache    *pageCache           // the pagelet cache (cache.go), off or on
}

// newSite makes the renderer (with cfg's options and p's hints, observed by
// p's observer) and the site's pages on the news store, and routes them
// with the probes, the metrics (-metrics) and the live engine's endpoint.
// It fails if the site's start-up check does (checkSite).
func newSite(cfg config, p siteParts) (*site, error) {
	reg, eng, log := p.assets, p.engine, p.log
	rd, err := render.New(reg, rendererOptions(cfg, p)...)
	if err != nil {
		return nil, err
	}
	key, err := formKey(cfg, eng.secret)
	if err != nil {
		return nil, err
	}
	s := &site{log: log}
	s.Site = pages.NewSite(p.news, append([]pages.Option{pages.WithAssets(reg), pages.WithLive(eng.Engine), pages.WithLogger(log), pages.WithSecret(key),
		// Signing out closes the session's live connections on every instance.
		pages.WithAccounts(accounts.WithSignOut(eng.signedOut)),
		pages.WithDirectory(accounts.NewDirectory(p.news)),
		pages.WithOnReply(s.notifyReply),
		pages.WithEditors(cfg.editors...),
		pages.WithPublicURL(cfg.publicURL),
		pages.WithPostLimit(cfg.maxPosts),
		pages.WithTimeout(cfg.pageletTO),
		pages.WithMetrics(p.registry)},
		// The shared pagelets cached, and the writes no publication
		// reports expiring what they change.
		p.cache.siteOptions()...)...)
	mux := http.NewServeMux()
	// /readyz says 503 "draining" once the stop signal arrives; /healthz
	// says 200 while the process serves pages (see newDrainer).
	mux.Handle("GET /readyz", p.probes.Ready())
	mux.Handle("GET /healthz", p.probes.Health())
	if cfg.metrics {
		mux.Handle("GET /metrics", metricsHandler(p.gatherer))
	}
	mux.Handle(eng.Path(), eng.Engine) // not compressed: SSE flushes each message
	mux.Handle("/", pages.Routes(rd, reg, s.Site, cfg.middleware()...))
	// Behind trusted proxies, a request's client address is the one they
	// saw (before anything else looks at it: the live engine's limits, the
	// comment rate).
	s.handler = realip.Middleware(cfg.trustedProxies)(mux)
	if err := checkSite(rd, s.Site, s.handler); err != nil {
		return nil, err
	}
	return s, nil
}

// rendererOptions are the renderer's options that cfg sets. The switches
// are given either way, so that what the renderer does reads off the flags.
func rendererOptions(cfg config, p siteParts) []render.Option {
	return append([]render.Option{
		render.WithLogger(p.log),
		render.WithEarlyHints(p.hints),
		render.WithObserver(p.observer),
		render.WithPageTimeout(cfg.pageTimeout),
		render.WithWriteTimeout(cfg.writeTimeout),
		render.WithLimits(cfg.limits),
		render.WithCSP(cfg.csp),
		render.WithModeOverride(cfg.forceModes),
		render.WithServerTiming(cfg.serverTiming),
		render.WithLive(p.engine.Engine),
		render.WithTracerProvider(p.tracer),
	}, p.cache.renderOptions()...)
}

// newAssets builds the asset registry: from the binary's embedded files, or
// in development from dir on disk, rebuilt when a file changes.
func newAssets(dir string) (*assets.Registry, error) {
	if dir != "" {
		return assets.NewDev(dir, pages.Bundles()...)
	}
	return assets.New(static.FS, pages.Bundles()...)
}

// middleware is what wraps every page: response compression unless off.
func (c config) middleware() []func(http.Handler) http.Handler {
	if !c.compress {
		return nil
	}
	return []func(http.Handler) http.Handler{compress.New()}
}

// checkTimeout bounds the start-up check: it reads the store once (an
// article to check the article page with).
const checkTimeout = 10 * time.Second

// checkSite checks every page site serves with rd ([pages.Site.Check]) and
// that h, the main address's whole handler, mounts what those pages link
// ([render.Renderer.CheckMounted]): the renderer's endpoints, the assets
// and the live engine's client. Any mistake it finds would otherwise be a
// 500 on every request for a page, or a 404 only the browser sees, so the
// server refuses to start with it.
func checkSite(rd *render.Renderer, site *pages.Site, h http.Handler) error {
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	if err := errors.Join(site.Check(ctx, rd), rd.CheckMounted(ctx, h)); err != nil {
		return fmt.Errorf("the site's start-up check failed; not serving until this is fixed:\n%w", err)
	}
	return nil
}

// notifyReply tells the reader whose comment reply answers, in their
// notifications on every instance (pages.WithOnReply). A failure is
// logged: the reply is stored and shown either way.
func (s *site) notifyReply(ctx context.Context, reply, to store.Comment) {
	if err := s.NotifyReply(ctx, to.Reader, reply.Reader, reply); err != nil {
		s.log.Warn("reply stored, but its notification was not", "comment", reply.ID, "to", to.Reader, "err", err)
	}
}
