package live_test

import (
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

// The browser harness of this package's tests: one headless Chromium per
// test binary (testenv.Chromium, as e2e starts it) and a tab per test.

// chromeUA is an ordinary desktop Chrome User-Agent (testenv.ChromeUA):
// headless Chromium's own says "HeadlessChrome", which the renderer serves
// plain HTML, without live updates, as it serves crawlers.
const chromeUA = testenv.ChromeUA

// tabTimeout bounds everything one test does in its tab.
const tabTimeout = 60 * time.Second

// chromium is the one headless Chromium of this test binary, started by
// the first test that needs it and stopped by TestMain.
var chromium testenv.Chromium

// tab is one test's browser tab, in a browser context of its own.
type tab struct{ *testenv.Tab }

// newTab opens a tab for t, closed when t ends; the page's console output
// is logged if t failed.
func newTab(t *testing.T) *tab {
	t.Helper()
	return &tab{chromium.NewTab(t, "", tabTimeout)}
}

// eval evaluates expr in the page and decodes its JSON value into T.
func eval[T any](t *testing.T, tb *tab, expr string) T {
	t.Helper()
	return testenv.Eval[T](t, tb.Tab, expr)
}
