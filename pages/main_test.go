package pages_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives its tests: the demo
// pages stream through render, so a leaked fetch or loopback server shows
// up here.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		// Polled for up to five seconds: a closed live engine's broker
		// unsubscriptions end a second after its last client left
		// (centrifuge's dissolver sleeps that long first).
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
