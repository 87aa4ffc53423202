package live_test

import (
	"os"
	"testing"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

// TestMain runs the tests, stops the shared browser, then fails the binary
// if any goroutine is left: an engine not closed, a server, a proxy pipe or
// a chromedp tab. The browser goes first, so its own goroutines are gone by
// the check. It polls for up to five seconds: a closed engine's broker
// unsubscriptions end a second after its last client left (centrifuge's
// dissolver sleeps that long first).
func TestMain(m *testing.M) {
	code := m.Run()
	chromium.Stop()
	os.Exit(testenv.CheckLeaks(code))
}
