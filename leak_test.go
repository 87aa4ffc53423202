package main

import (
	"os"
	"testing"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
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
	os.Exit(testenv.CheckLeaks(m.Run()))
}
