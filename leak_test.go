package main

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives its tests: run's
// server, its shutdown or a streamed response left running. With
// BIGPIPE_TEST_MAIN=1 the test binary is the command itself instead: it runs
// main with its arguments, for tests that check the exit status.
func TestMain(m *testing.M) {
	if os.Getenv("BIGPIPE_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
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
