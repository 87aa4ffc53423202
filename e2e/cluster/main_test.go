// Package cluster_test runs the demo server as several real processes
// behind real nginx and HAProxy, sharing one real Redis and one real
// PostgreSQL, and drives real Chromium tabs against them: what a site on
// many instances must survive (instance crashes, deploys, Redis faults,
// slow clients) and what it must not need (sticky sessions).
package cluster_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"

	"github.com/bigpipe-go/bigpipe/internal/pgtest"
)

// chromeUA is an ordinary desktop Chrome User-Agent: headless Chromium's
// own says "HeadlessChrome", which the crawler detector rightly treats as
// a bot, and a bot gets the plain page without live updates.
const chromeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// shared is what the tests of this binary share: the one headless
// Chromium and the server binary, each made on first use and removed by
// TestMain after the last test.
var shared struct {
	browserOnce sync.Once
	browser     context.Context // the browser's chromedp context; tabs derive from it
	stopBrowser func()
	browserErr  error

	binOnce sync.Once
	binDir  string
	bin     string
	binErr  error
}

// TestMain runs the tests, then stops the shared browser and PostgreSQL
// cluster, removes the built binary and fails the binary if a goroutine is
// still running (a tab, a process waiter, a raw client). It polls for a
// few seconds: chromedp's and exec's goroutines end a moment after their
// processes do.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared.stopBrowser != nil {
		shared.stopBrowser()
	}
	if err := pgtest.StopShared(); err != nil {
		fmt.Fprintln(os.Stderr, "stop PostgreSQL:", err)
		code = 1
	}
	if shared.binDir != "" {
		_ = os.RemoveAll(shared.binDir)
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

// inCI reports whether CI is set to a true value: then a missing program
// is a failure, not a reason to skip.
func inCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// requireProgram returns the path of the first of names found, or skips t
// (fails it when CI=true) if none is installed.
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
	shared.browserOnce.Do(func() { shared.browser, shared.stopBrowser, shared.browserErr = startBrowser(path) })
	if shared.browserErr != nil {
		t.Fatalf("start Chromium: %v", shared.browserErr)
	}
	return shared.browser
}

// startBrowser starts headless Chromium. It accepts the proxies'
// self-signed certificates (--ignore-certificate-errors): only loopback
// servers the tests started are ever visited.
func startBrowser(path string) (context.Context, func(), error) {
	dir, err := os.MkdirTemp("", "bigpipe-cluster-chromium-*")
	if err != nil {
		return nil, nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.IgnoreCertErrors,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Background tabs must keep their timers and connections going.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
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
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		stop()
		return nil, nil, err
	}
	return bctx, stop, nil
}
