package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives its tests: run's
// server, its shutdown or a streamed response left running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
