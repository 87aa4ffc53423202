// Package cluster_test runs the demo server as several real processes
// behind real nginx and HAProxy, sharing one real Redis and one real
// PostgreSQL, and drives real Chromium tabs against them: what a site on
// many instances must survive (instance crashes, deploys, Redis faults,
// slow clients) and what it must not need (sticky sessions).
package cluster_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"

	"github.com/bigpipe-go/bigpipe/internal/pgtest"
	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

// chromeUA is an ordinary desktop Chrome User-Agent (testenv.ChromeUA):
// a bot gets the plain page without live updates.
const chromeUA = testenv.ChromeUA

// chromium is the one headless Chromium of this binary. It accepts the
// proxies' self-signed certificates (--ignore-certificate-errors): only
// loopback servers the tests started are ever visited.
var chromium = testenv.Chromium{Options: []chromedp.ExecAllocatorOption{chromedp.IgnoreCertErrors}}

// server is the bigpipe command the instances run, built on first use
// and removed by TestMain after the last test.
var server = testenv.Binary{Package: "github.com/bigpipe-go/bigpipe"}

// TestMain runs the tests, then stops the shared browser and PostgreSQL
// cluster, removes the built binary and fails the binary if a goroutine is
// still running (a tab, a process waiter, a raw client). It polls for a
// few seconds: chromedp's and exec's goroutines end a moment after their
// processes do.
func TestMain(m *testing.M) {
	code := m.Run()
	chromium.Stop()
	if err := pgtest.StopShared(); err != nil {
		fmt.Fprintln(os.Stderr, "stop PostgreSQL:", err)
		code = 1
	}
	server.Remove()
	// Toxiproxy (toxiproxy_test.go) can leave a stub of a connection that
	// ended while a toxic was being added blocked on its output channel
	// (its ToxicLink.AddToxic races the link's close; v2.5.0): a goroutine
	// of the library's own, no socket held, seen once in a clean-clone run.
	os.Exit(testenv.CheckLeaks(code, goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2/toxics.(*ToxicStub).Run")))
}
