package pages_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives its tests: the demo
// pages stream through render, so a leaked fetch or loopback server shows
// up here.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
