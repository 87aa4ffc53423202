package render_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives its tests: a
// pagelet fetch, a handler or a loopback server or client left running.
// Tests that leave one behind on purpose (a Load that ignores its context)
// release it in their own cleanup.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
