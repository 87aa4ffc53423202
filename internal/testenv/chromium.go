package testenv

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/bigpipe-go/bigpipe/internal/headless"
)

// ChromeUA and NativeUA are the User-Agents a tab presents (see package
// headless): every tab's by default, and one the server serves the native
// mode ([Tab.SetUserAgent]).
const (
	ChromeUA = headless.ChromeUA
	NativeUA = headless.NativeUA
)

// Chromium is the one headless Chromium of a test binary: the first test
// that needs it starts it ([Chromium.Context]); TestMain stops it after
// the last test ([Chromium.Stop]). Options, if any, are added to the
// common flags; Width and Height set the window (1000×800 without).
type Chromium struct {
	Options       []chromedp.ExecAllocatorOption
	Width, Height int

	once sync.Once
	ctx  context.Context // the browser's chromedp context; tabs derive from it
	stop func()
	err  error
}

// Context returns the browser's chromedp context, starting the browser on
// first use. Without Chromium t is skipped, unless CI=true: then it fails.
func (c *Chromium) Context(t testing.TB) context.Context {
	t.Helper()
	path := RequireProgram(t, "chromium", "/usr/bin/chromium", "chromium-browser")
	c.once.Do(func() { c.ctx, c.stop, c.err = c.start(path) })
	if c.err != nil {
		t.Fatalf("start Chromium: %v", c.err)
	}
	return c.ctx
}

// Stop stops the browser, if it was started, and waits for it to exit.
func (c *Chromium) Stop() {
	if c.stop != nil {
		c.stop()
	}
}

// start runs headless Chromium with a fresh profile, quiet (no background
// networking toward the closed network) and with background tabs kept
// running (their timers and connections are what the tests watch).
func (c *Chromium) start(path string) (context.Context, func(), error) {
	dir, err := os.MkdirTemp("", "bigpipe-chromium-*")
	if err != nil {
		return nil, nil, err
	}
	w, h := c.Width, c.Height
	if w == 0 || h == 0 {
		w, h = 1000, 800
	}
	opts := append(headless.Options(path, dir, w, h),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
	)
	opts = append(opts, c.Options...)
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

// Tab is one test's browser tab, in a browser context of its own (own
// cookies and cache). Ctx is bounded by the tab's timeout.
type Tab struct {
	Name string // in the log lines about it; "" for a test's only tab
	Ctx  context.Context

	mu      sync.Mutex
	console []string
	offsite []string // requests to anything but loopback
}

// NewTab opens a tab for t in c, bounded by timeout. It closes when t
// ends; the page's console output is logged if t failed, and a request
// from the page to anything but loopback fails t: the site must not reach
// out.
func (c *Chromium) NewTab(t testing.TB, name string, timeout time.Duration) *Tab {
	t.Helper()
	tctx, closeTab := chromedp.NewContext(c.Context(t), chromedp.WithNewBrowserContext())
	if err := chromedp.Do(tctx); err != nil {
		closeTab()
		t.Fatalf("open tab %s: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(tctx, timeout)
	tb := &Tab{Name: name, Ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		if ev, ok := ev.(*network.EventRequestWillBeSent); ok && !IsLoopback(ev.Request.URL) {
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
	go func() { // ends when the tab's context does (cancel, below)
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
			t.Errorf("tab %s requested non-loopback URLs: %q", tb.Name, tb.offsite)
		}
		if t.Failed() {
			for _, m := range tb.console {
				t.Logf("tab %s console: %s", tb.Name, m)
			}
		}
	})
	return tb
}

// IsLoopback reports whether raw is a loopback URL, or one of a scheme
// that never touches the network (data:, about:, blob:).
func IsLoopback(raw string) bool {
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

// Console returns the page's console output so far.
func (tb *Tab) Console() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.console...)
}

// SetUserAgent makes tb present itself as ua from its next request on.
func (tb *Tab) SetUserAgent(t testing.TB, ua string) {
	t.Helper()
	if _, err := chromedp.Call(tb.Ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua}); err != nil {
		t.Fatalf("tab %s: Emulation.setUserAgentOverride: %v", tb.Name, err)
	}
}

// Navigate loads url and waits for the load event (the end of the stream).
func (tb *Tab) Navigate(t testing.TB, url string) {
	t.Helper()
	if err := chromedp.Do(tb.Ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("tab %s: navigate %s: %v", tb.Name, url, err)
	}
}

// Eval evaluates expr in tb's page and decodes its JSON value into T.
func Eval[T any](t testing.TB, tb *Tab, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tb.Ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("tab %s: evaluate %s: %v", tb.Name, expr, err)
	}
	return v
}

// WaitTrue polls expr from Go until it yields true, or fails t at the
// tab's deadline. It works with page scripts disabled too, where an
// in-page poll would never run; errors while a navigation replaces the
// document are retried.
func (tb *Tab) WaitTrue(t testing.TB, expr string) {
	t.Helper()
	if err := tb.Poll(tb.Ctx, expr); err != nil {
		t.Fatalf("tab %s: %v", tb.Name, err)
	}
}

// Poll polls expr every 10 ms until it yields true or ctx ends.
func (tb *Tab) Poll(ctx context.Context, expr string) error {
	err := Poll(ctx, 10*time.Millisecond, func() (bool, error) { return chromedp.Run(tb.Ctx, chromedp.Evaluate[bool](expr)) })
	if err != nil {
		return fmt.Errorf("waiting for %s: %w", expr, err)
	}
	return nil
}
