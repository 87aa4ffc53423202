// The admin server (-admin): pprof, the metrics and the editors'
// breaking-news endpoint, on a listener of its own.

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pages"
)

// newAdminServer returns the opt-in admin server (-admin): net/http/pprof
// under /debug/pprof/, the metrics at /metrics and the editors' publishing
// endpoint, POST /admin/breaking ([breakingHandler]; nil news: none). It is
// meant for a private address: nothing on it asks who is calling, so
// neither pprof nor publishing is ever served on the main one.
//
// Importing net/http/pprof also registers its handlers on
// http.DefaultServeMux (the package's init does). That is harmless here
// because no server of this program serves DefaultServeMux: both have a
// ServeMux of their own, and the handlers are registered on this one
// explicitly.
func newAdminServer(g prometheus.Gatherer, news breakingNews, log *slog.Logger) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // also the named profiles: heap, goroutine, allocs…
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("GET /metrics", metricsHandler(g))
	if news != nil {
		// A page on another site, open in an editor's browser, must not
		// post here: cross-origin browser POSTs are refused (403).
		mux.Handle("POST /admin/breaking", http.NewCrossOriginProtection().Handler(breakingHandler(news, log)))
	}
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       120 * time.Second,
		// No WriteTimeout: a CPU profile or trace streams for ?seconds=.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// breakingNews is what the publishing endpoint changes: the breaking-news
// banner in the store that every instance reads, and its live channel.
type breakingNews interface {
	newsStore
	// PublishBreaking publishes the banner as stored to every open page.
	PublishBreaking(ctx context.Context) error
}

// newsStore is the part of the store the publishing endpoint uses.
type newsStore interface {
	// Headline looks up an article (store.ErrNotFound if there is none).
	Headline(ctx context.Context, slug string) (store.Article, error)
	// SetBreaking stores the banner.
	SetBreaking(ctx context.Context, b store.Breaking) error
}

// siteNews is the [breakingNews] of a store and the site that shows it.
type siteNews struct {
	newsStore
	site interface {
		PublishBreaking(ctx context.Context) error
	}
}

// PublishBreaking publishes through the site.
func (n siteNews) PublishBreaking(ctx context.Context) error { return n.site.PublishBreaking(ctx) }

// Limits of the publishing endpoint's fields.
const (
	maxHeadline     = 200 // runes
	maxBreakingBody = 8 << 10
	publishDeadline = 5 * time.Second
)

// breakingHandler handles POST /admin/breaking, the editors' way to break
// news: form fields headline (required, at most maxHeadline characters of
// text on one line) and slug (optional: the article the banner links to,
// which must exist). It stores the banner, then publishes it; answers 200
// with the headline as stored, 400 with the reason for bad input, 502
// when it was stored but could not be published (open pages then show it
// on their next load).
func breakingHandler(news breakingNews, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		r.Body = http.MaxBytesReader(w, r.Body, maxBreakingBody)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "admin: the request is not a form of at most 8 KiB: "+err.Error(), http.StatusBadRequest)
			return
		}
		b, err := breakingFromForm(r.PostForm.Get("headline"), r.PostForm.Get("slug"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), publishDeadline)
		defer cancel()
		if b.Slug != "" {
			if _, err := news.Headline(ctx, b.Slug); errors.Is(err, store.ErrNotFound) {
				http.Error(w, fmt.Sprintf("admin: slug: no article %q", b.Slug), http.StatusBadRequest)
				return
			} else if err != nil {
				log.Error("admin: breaking news: article lookup", "slug", b.Slug, "err", err)
				http.Error(w, "admin: the article could not be looked up: "+err.Error(), http.StatusInternalServerError)
				return
			}
		}
		if err := news.SetBreaking(ctx, b); err != nil {
			log.Error("admin: breaking news not stored", "err", err)
			http.Error(w, "admin: the headline could not be stored: "+err.Error(), http.StatusInternalServerError)
			return
		}
		if err := news.PublishBreaking(ctx); err != nil {
			log.Warn("admin: breaking news stored but not published: pages show it when they load", "err", err)
			http.Error(w, "admin: the headline is stored but could not be published: "+err.Error(), http.StatusBadGateway)
			return
		}
		log.Info("admin: breaking news published", "headline", b.Headline, "slug", b.Slug)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "published: %s\n", b.Headline)
	})
}

// breakingFromForm checks the publishing endpoint's fields and returns the
// banner they make, broken now.
func breakingFromForm(headline, slug string) (store.Breaking, error) {
	headline, slug = strings.TrimSpace(headline), strings.TrimSpace(slug)
	switch n := utf8.RuneCountInString(headline); {
	case !utf8.ValidString(headline):
		return store.Breaking{}, errors.New("admin: headline: not valid UTF-8")
	case n == 0:
		return store.Breaking{}, errors.New("admin: headline: missing or empty")
	case n > maxHeadline:
		return store.Breaking{}, fmt.Errorf("admin: headline: %d characters; at most %d are allowed", n, maxHeadline)
	}
	if i := strings.IndexFunc(headline, func(r rune) bool {
		return unicode.IsControl(r) || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
	}); i >= 0 {
		return store.Breaking{}, fmt.Errorf("admin: headline: control character %U is not allowed", []rune(headline[i:])[0])
	}
	if slug != "" && !pages.ValidSlug(slug) {
		return store.Breaking{}, fmt.Errorf("admin: slug: %q is not an article slug (lower-case letters, digits, single inner hyphens, at most %d)", slug, pages.MaxSlugLen)
	}
	return store.Breaking{Headline: headline, Slug: slug, At: time.Now()}, nil
}
