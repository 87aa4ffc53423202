package metrics_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives its tests: a
// loopback server, a handler or a pagelet fetch left running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
