package compress_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives its tests: a
// streaming handler, encoder or loopback server or client left running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
