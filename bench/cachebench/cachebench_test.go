package cachebench

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/compress"
	"github.com/bigpipe-go/bigpipe/internal/headless"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
	"github.com/bigpipe-go/bigpipe/static"
)

// sink is a ResponseWriter that counts and drops what is written, and
// counts the writes and flushes.
type sink struct {
	header          http.Header
	n               int
	writes, flushes int
}

func (s *sink) Header() http.Header         { return s.header }
func (s *sink) WriteHeader(int)             {}
func (s *sink) Write(p []byte) (int, error) { s.n += len(p); s.writes++; return len(p), nil }
func (s *sink) Flush()                      { s.flushes++ }

// siteWithCache is the limit server's site handler: the site with a
// fragment cache.
func siteWithCache(tb testing.TB) http.Handler {
	tb.Helper()
	c, err := cache.New()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close(context.Background()) })
	h, closeStore, err := measure.SiteHandler(render.WithCache(c))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = closeStore() })
	return h
}

// BenchmarkSitePage serves the limit server's pages in process, into a
// sink: the fully cached zero-delay /bench page, the same page uncached,
// and the limit handler writing the cached page's bytes. What each costs
// the server apart from the network.
func BenchmarkSitePage(b *testing.B) {
	h := siteWithCache(b)
	h.ServeHTTP(httptest.NewRecorder(), benchRequest(CachedPath)) // fills the cache
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, benchRequest(CachedPath))
	head, body := rec.Result().Header, rec.Body.Bytes()
	for _, run := range []struct {
		name string
		h    http.Handler
		path string
	}{
		{"limit", limitMux(head, body), "/"},
		{"limit-chunked", limitMux(head, body), "/chunked"},
		{"cached", h, CachedPath},
		{"uncached", h, UncachedPath},
	} {
		b.Run(run.name, func(b *testing.B) {
			req := benchRequest(run.path)
			w := &sink{header: http.Header{}}
			b.ReportAllocs()
			cpu0 := processCPU(b)
			for b.Loop() {
				clear(w.header)
				run.h.ServeHTTP(w, req)
			}
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/page")
			b.ReportMetric(float64(w.n)/float64(b.N), "B/page")
			b.ReportMetric(float64(w.writes)/float64(b.N), "writes/page")
		})
	}
}

// processCPU is the CPU time the process has used so far, the garbage
// collector's included: per page, it is steadier than ns/op on a machine
// whose other work takes the cores away (ns/op then counts the wait).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchRequest(path string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("User-Agent", headless.ChromeUA)
	return req
}

// BenchmarkFrontPage serves the demo's front page in process, its shared
// pagelets from the cache (the anonymous reader's page, as the front-page
// part of the bench reads it): what a cached front page costs the server
// apart from the network.
func BenchmarkFrontPage(b *testing.B) {
	c, err := cache.New()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close(context.Background()) })
	st, err := store.OpenMemory()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	reg, err := assets.New(static.FS, pages.Bundles()...)
	if err != nil {
		b.Fatal(err)
	}
	rd, err := render.New(reg, render.WithLogger(slog.New(slog.DiscardHandler)), render.WithCSP(true), render.WithCache(c))
	if err != nil {
		b.Fatal(err)
	}
	h := pages.Routes(rd, reg, pages.NewSite(st, pages.WithCache(c)), compress.New())
	req := benchRequest("/")
	w := &sink{header: http.Header{}}
	h.ServeHTTP(w, req) // fills the cache
	b.ReportAllocs()
	cpu0 := processCPU(b)
	w.n = 0
	for b.Loop() {
		clear(w.header)
		h.ServeHTTP(w, req)
	}
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/page")
	b.ReportMetric(float64(w.n)/float64(b.N), "B/page")
}
