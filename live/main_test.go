package live_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain runs the tests, stops the shared browser, then fails the binary
// if any goroutine is left: an engine not closed, a server, a proxy pipe or
// a chromedp tab. The browser goes first, so its own goroutines are gone by
// the check. It polls for up to five seconds: a closed engine's broker
// unsubscriptions end a second after its last client left (centrifuge's
// dissolver sleeps that long first).
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
