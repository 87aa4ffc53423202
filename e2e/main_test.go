package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/internal/testenv"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
	"github.com/bigpipe-go/bigpipe/static"
)

// chromeUA is an ordinary desktop Chrome User-Agent (testenv.ChromeUA):
// with headless Chromium's own the tests that expect BigPipe would get
// plain HTML.
const chromeUA = testenv.ChromeUA

// tabTimeout bounds everything one test does in its tab.
const tabTimeout = 30 * time.Second

// chromium is the one headless Chromium of this test binary. The first
// test that needs it starts it; TestMain stops it after the last test.
var chromium = testenv.Chromium{Width: 1280, Height: 1000}

// server is the bigpipe command the tests that need a real process run.
var server = testenv.Binary{Package: "github.com/bigpipe-go/bigpipe"}

// TestMain runs the tests, stops the shared browser and then fails the
// binary if any goroutine is still running: a page handler, a loopback
// server, a chromedp tab or a proxy helper left behind (the browser goes
// first, so its own goroutines are gone by the check).
func TestMain(m *testing.M) {
	code := m.Run()
	chromium.Stop()
	server.Remove()
	os.Exit(testenv.CheckLeaks(code))
}

// tab is one test's browser tab, in a browser context of its own (own
// cookies and cache), so the no-JS cookie of one test cannot leak into
// another.
type tab struct{ *testenv.Tab }

// newTab opens a tab for t, bounded by tabTimeout (see testenv.NewTab:
// closed when t ends, console logged if t failed, non-loopback requests
// fail t).
func newTab(t *testing.T) *tab {
	t.Helper()
	return newTabFor(t, tabTimeout)
}

// newTabFor is newTab with a bound of its own, for a test that loads
// pages far heavier than usual.
func newTabFor(t *testing.T, timeout time.Duration) *tab {
	t.Helper()
	return &tab{chromium.NewTab(t, "", timeout)}
}

// eval evaluates expr in the page and decodes its JSON value into T.
func eval[T any](t *testing.T, tb *tab, expr string) T {
	t.Helper()
	return testenv.Eval[T](t, tb.Tab, expr)
}

// waitDone waits until the BigPipe runtime reports the page complete: every
// pagelet shown and every pagelet JS file run.
func (tb *tab) waitDone(t *testing.T) {
	t.Helper()
	tb.WaitTrue(t, `!!(window.bigPipe && window.bigPipe.done)`)
}

// addScript makes src run in every document the tab loads from now on,
// before any script of the page.
func (tb *tab) addScript(t *testing.T, src string) {
	t.Helper()
	_, err := chromedp.Call(tb.Ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: src})
	if err != nil {
		t.Fatalf("Page.addScriptToEvaluateOnNewDocument: %v", err)
	}
}

// countRequests counts the requests the tab sends from now on, by URL. The
// returned func stops counting and returns the counts; every request the
// browser reported before that func's own round trip is included.
func (tb *tab) countRequests(t *testing.T) func() map[string]int {
	t.Helper()
	ctx, cancel := context.WithCancel(tb.Ctx)
	var (
		mu     sync.Mutex
		counts = map[string]int{}
	)
	err := chromedp.Listen(ctx, func(ev any) {
		if ev, ok := ev.(*network.EventRequestWillBeSent); ok && ev.RedirectResponse == nil {
			mu.Lock()
			counts[ev.Request.URL]++
			mu.Unlock()
		}
	})
	if err != nil {
		cancel()
		t.Fatalf("listen: %v", err)
	}
	return func() map[string]int {
		t.Helper()
		_ = eval[bool](t, tb, "true") // events arrive in order: all earlier ones are counted now
		cancel()
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(counts)
	}
}

// newServer serves the demo site as main.go wires it (CSP on), from a fresh in-memory
// store opened with opts, on a loopback port that httptest picks.
func newServer(t *testing.T, opts ...store.Option) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(newHandler(t, opts...))
	t.Cleanup(srv.Close)
	return srv
}

// newHandler is the handler of [newServer]: the demo site from a fresh
// in-memory store opened with opts, for a test that wraps it.
func newHandler(t *testing.T, opts ...store.Option) http.Handler {
	t.Helper()
	st, err := store.OpenMemory(opts...)
	if err != nil {
		t.Fatalf("store.OpenMemory: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	reg, err := assets.New(static.FS)
	if err != nil {
		t.Fatalf("assets.New: %v", err)
	}
	rd, err := render.New(reg, render.WithLogger(slog.New(slog.DiscardHandler)), render.WithCSP(true))
	if err != nil {
		t.Fatalf("render.New: %v", err)
	}
	return pages.Routes(rd, reg, pages.NewSite(st, pages.WithAssets(reg))) // as the binary: the pages name the fingerprinted pictures
}

// jsString quotes s as a JavaScript string literal: JSON, which escapes
// U+2028 and U+2029 too.
func jsString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// normalizeSpace collapses every run of whitespace into one space.
func normalizeSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// containsNormalized reports whether s contains sub, ignoring differences in
// whitespace.
func containsNormalized(s, sub string) bool {
	return strings.Contains(normalizeSpace(s), normalizeSpace(sub))
}

// benchIDs returns p0 … p(n-1).
func benchIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("p%d", i)
	}
	return ids
}
