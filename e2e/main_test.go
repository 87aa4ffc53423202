package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
	"github.com/bigpipe-go/bigpipe/static"
)

// chromeUA is an ordinary desktop Chrome User-Agent. Headless Chromium's own
// one says "HeadlessChrome", which the crawler detector rightly treats as a
// bot, so the tests that expect BigPipe would get plain HTML.
const chromeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// tabTimeout bounds everything one test does in its tab.
const tabTimeout = 30 * time.Second

// shared is the one headless Chromium of this test binary. The first test
// that needs it starts it; TestMain stops it after the last test.
var shared struct {
	once sync.Once
	ctx  context.Context // the browser's chromedp context; tabs derive from it
	stop func()
	err  error
}

// TestMain runs the tests, stops the shared browser and then fails the
// binary if any goroutine is still running: a page handler, a loopback
// server, a chromedp tab or a proxy helper left behind. The browser is
// stopped first, so its own goroutines are gone by the check. It polls for
// up to five seconds: a closed live engine's broker unsubscriptions end a
// second after its last client left (centrifuge's dissolver sleeps that
// long first).
func TestMain(m *testing.M) {
	code := m.Run()
	if shared.stop != nil {
		shared.stop()
	}
	if code == 0 {
		err := goleak.Find()
		for deadline := time.Now().Add(5 * time.Second); err != nil && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
			err = goleak.Find()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "goleak: goroutines left after the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// inCI reports whether CI is set to a true value: then a missing browser is
// a failure, not a reason to skip.
func inCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// requireProgram returns the path of the first of names found, or skips the
// test (fails it when CI=true) if none is installed.
func requireProgram(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if inCI() {
		t.Fatalf("none of %v is installed; CI=true requires it (scripts/install-test-deps.sh)", names)
	}
	t.Skipf("none of %v is installed; skipping (set CI=true to make this a failure)", names)
	return ""
}

// browser returns the shared Chromium's context, starting it on first use.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := requireProgram(t, "chromium", "/usr/bin/chromium", "chromium-browser")
	shared.once.Do(func() { shared.ctx, shared.stop, shared.err = startBrowser(path) })
	if shared.err != nil {
		t.Fatalf("start Chromium: %v", shared.err)
	}
	return shared.ctx
}

func startBrowser(path string) (context.Context, func(), error) {
	dir, err := os.MkdirTemp("", "bigpipe-e2e-chromium-*")
	if err != nil {
		return nil, nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(dir),
		chromedp.UserAgent(chromeUA),
		chromedp.WindowSize(1280, 1000),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	stop := func() {
		bcancel()
		acancel() // waits for the process to exit
		_ = os.RemoveAll(dir)
	}
	if err := chromedp.Do(bctx); err != nil { // starts the browser, with no timeout
		stop()
		return nil, nil, err
	}
	return bctx, stop, nil
}

// tab is one test's browser tab, in a browser context of its own (own
// cookies and cache), so the no-JS cookie of one test cannot leak into
// another.
type tab struct {
	ctx context.Context // bounded by tabTimeout

	mu      sync.Mutex
	console []string
	offsite []string // requests to anything but loopback
}

// newTab opens a tab for t. The tab closes when t ends; the page's console
// output and uncaught exceptions are logged if t failed. A request from the
// page to anything but loopback fails t: the site must not reach out.
func newTab(t *testing.T) *tab {
	t.Helper()
	return newTabFor(t, tabTimeout)
}

// newTabFor is newTab with a bound of its own, for a test that loads
// pages far heavier than usual.
func newTabFor(t *testing.T, timeout time.Duration) *tab {
	t.Helper()
	tctx, closeTab := chromedp.NewContext(browser(t), chromedp.WithNewBrowserContext())
	if err := chromedp.Do(tctx); err != nil {
		closeTab()
		t.Fatalf("open tab: %v", err)
	}
	ctx, cancel := context.WithTimeout(tctx, timeout)
	tb := &tab{ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		if ev, ok := ev.(*network.EventRequestWillBeSent); ok && !isLoopback(ev.Request.URL) {
			tb.mu.Lock()
			tb.offsite = append(tb.offsite, ev.Request.URL)
			tb.mu.Unlock()
		}
	})
	if err != nil {
		cancel()
		closeTab()
		t.Fatalf("listen: %v", err)
	}
	msgs := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.console = append(tb.console, m.String())
			tb.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		closeTab()
		tb.mu.Lock()
		defer tb.mu.Unlock()
		if len(tb.offsite) > 0 {
			t.Errorf("the page requested non-loopback URLs: %q", tb.offsite)
		}
		if t.Failed() {
			for _, m := range tb.console {
				t.Logf("browser console: %s", m)
			}
		}
	})
	return tb
}

// isLoopback reports whether raw is a loopback http(s) URL, or one of a
// scheme that never touches the network (data:, about:, blob:).
func isLoopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
		ip := net.ParseIP(u.Hostname())
		return u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback())
	}
	return true
}

// navigate loads url and waits for the load event (the end of the stream).
func (tb *tab) navigate(t *testing.T, url string) {
	t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigate %s: %v", url, err)
	}
}

// eval evaluates expr in the page and decodes its JSON value into T.
func eval[T any](t *testing.T, tb *tab, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitTrue polls expr from Go until it yields true. It works with page
// scripts disabled too, where an in-page poll would never run. Errors while
// a navigation replaces the document are retried.
func (tb *tab) waitTrue(t *testing.T, expr string) {
	t.Helper()
	var last error
	for {
		ok, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if err != nil {
			last = err
		}
		select {
		case <-tb.ctx.Done():
			if last == nil {
				last = errors.New("still false")
			}
			t.Fatalf("waiting for %s: %v (%v)", expr, tb.ctx.Err(), last)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitDone waits until the BigPipe runtime reports the page complete: every
// pagelet shown and every pagelet JS file run.
func (tb *tab) waitDone(t *testing.T) {
	t.Helper()
	tb.waitTrue(t, `!!(window.bigPipe && window.bigPipe.done)`)
}

// addScript makes src run in every document the tab loads from now on,
// before any script of the page.
func (tb *tab) addScript(t *testing.T, src string) {
	t.Helper()
	_, err := chromedp.Call(tb.ctx, page.AddScriptToEvaluateOnNewDocument,
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
	ctx, cancel := context.WithCancel(tb.ctx)
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
	rd, err := render.New(reg, render.WithLogger(slog.New(slog.DiscardHandler)), render.WithCSP())
	if err != nil {
		t.Fatalf("render.New: %v", err)
	}
	return pages.Routes(rd, reg, pages.NewSite(st))
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
