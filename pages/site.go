package pages

import (
	"net/http"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/render"
)

// Routes returns the demo site's handler: the news pages (the front page
// and each section's, /section/{id}), the search page,
// articles and their comment form's POST, a reader's messages (the
// conversations, a conversation and its form's POST) and the
// notifications' mark-all-read POST, with [WithAccounts] the account
// forms under /account/ (every page and post then read with its reader), the benchmark page, the sitemaps, robots.txt and the Atom feeds (syndication.go), assets, the no-JS endpoint and a health check;
// any other path gets the site's 404 page ([Site.NotFound]). Middleware
// wraps the pages only (response compression, say): assets carry their own
// precompressed variants.
func Routes(rd *render.Renderer, reg *assets.Registry, site *Site, middleware ...func(http.Handler) http.Handler) http.Handler {
	// With accounts, every page and form post learns its reader from its
	// session (inside the site's middleware); nothing else sets it.
	withReader := func(h http.Handler) http.Handler { return h }
	if site.acc != nil {
		withReader = site.acc.Middleware
	}
	wrap := func(h http.Handler) http.Handler {
		h = withReader(h)
		for i := len(middleware) - 1; i >= 0; i-- {
			h = middleware[i](h)
		}
		return h
	}
	page := func(pf render.PageFunc, opts ...render.PageOption) http.Handler { return wrap(rd.Page(pf, opts...)) }
	mux := http.NewServeMux()
	mux.Handle("GET /", wrap(http.HandlerFunc(site.NotFound)))
	mux.Handle("GET /{$}", page(site.Home))
	mux.Handle("GET /search", page(site.Search))
	mux.Handle("GET /section/{id}", page(site.Section))
	mux.Handle("GET /article/{slug}", page(site.Article))
	mux.Handle("POST /article/{slug}/comments", withReader(http.HandlerFunc(site.PostComment)))
	mux.Handle("GET /messages", page(site.Messages))
	mux.Handle("GET /messages/{name}", page(site.Conversation))
	mux.Handle("POST /messages/{name}", withReader(http.HandlerFunc(site.PostMessage)))
	mux.Handle("POST /notifications/read", withReader(http.HandlerFunc(site.MarkNoticesRead)))
	mux.Handle("GET /desk", page(site.Desk))
	mux.Handle("GET /desk/rules", wrap(http.HandlerFunc(site.Rules)))
	mux.Handle("POST /desk/rules", withReader(http.HandlerFunc(site.PostRules)))
	mux.Handle("POST /desk/comments/{id}/{action}", withReader(http.HandlerFunc(site.DeskAction)))
	if site.acc != nil {
		site.acc.Routes(mux, wrap)
	}
	// The sitemaps, robots.txt and the Atom feeds: the same for every
	// reader, so without the reader's session (compressed all the same).
	site.routeSyndication(mux, func(h http.Handler) http.Handler {
		for i := len(middleware) - 1; i >= 0; i-- {
			h = middleware[i](h)
		}
		return h
	}, rd.Path())
	mux.Handle("GET /bench", page((&benchMemo{}).page, render.WithModeFunc(BenchMode(rd))))
	mux.Handle("GET /static/", reg)
	mux.Handle("GET "+rd.Path(), rd) // the runtime and the no-JS redirect
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400") // no icon; stop browsers asking on every page
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}
