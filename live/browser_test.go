package live_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser harness of this package's tests: one headless Chromium per
// test binary, started as e2e/main_test.go starts it, and a tab per test.

// chromeUA is an ordinary desktop Chrome User-Agent: headless Chromium's own
// says "HeadlessChrome", which the renderer serves plain HTML, without live
// updates, as it serves crawlers.
const chromeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// tabTimeout bounds everything one test does in its tab.
const tabTimeout = 60 * time.Second

// shared is the one headless Chromium of this test binary, started by the
// first test that needs it and stopped by TestMain.
var shared struct {
	once sync.Once
	ctx  context.Context
	stop func()
	err  error
}

// browser returns the shared Chromium's context, starting it on first use.
// Without Chromium the test is skipped, unless CI=true: then it fails.
func browser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, n := range []string{"chromium", "/usr/bin/chromium", "chromium-browser"} {
		if p, err := exec.LookPath(n); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatal("Chromium is not installed; CI=true requires it (scripts/install-test-deps.sh)")
		}
		t.Skip("Chromium is not installed; skipping (set CI=true to make this a failure)")
	}
	shared.once.Do(func() { shared.ctx, shared.stop, shared.err = startBrowser(path) })
	if shared.err != nil {
		t.Fatalf("start Chromium: %v", shared.err)
	}
	return shared.ctx
}

func startBrowser(path string) (context.Context, func(), error) {
	dir, err := os.MkdirTemp("", "bigpipe-live-chromium-*")
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
		chromedp.WindowSize(1000, 800),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	stop := func() {
		bcancel()
		acancel() // waits for the process to exit
		_ = os.RemoveAll(dir)
	}
	if err := chromedp.Do(bctx); err != nil {
		stop()
		return nil, nil, err
	}
	return bctx, stop, nil
}

// tab is one test's browser tab, in a browser context of its own.
type tab struct {
	ctx context.Context

	mu      sync.Mutex
	console []string
}

// newTab opens a tab for t, closed when t ends; the page's console output
// is logged if t failed.
func newTab(t *testing.T) *tab {
	t.Helper()
	tctx, closeTab := chromedp.NewContext(browser(t), chromedp.WithNewBrowserContext())
	if err := chromedp.Do(tctx); err != nil {
		closeTab()
		t.Fatalf("open tab: %v", err)
	}
	ctx, cancel := context.WithTimeout(tctx, tabTimeout)
	tb := &tab{ctx: ctx}
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
		if t.Failed() {
			for _, m := range tb.console {
				t.Logf("browser console: %s", m)
			}
		}
	})
	return tb
}

// logs returns the page's console output so far.
func (tb *tab) logs() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.console...)
}

// navigate loads url and waits for the load event.
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

// waitTrue polls expr until it yields true, or fails t at the tab's
// deadline.
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
		case <-time.After(10 * time.Millisecond):
		}
	}
}
