package pages_test

import (
	"os"
	"testing"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

// TestMain fails the package if any goroutine outlives its tests: the demo
// pages stream through render, so a leaked fetch or loopback server shows
// up here.
func TestMain(m *testing.M) {
	os.Exit(testenv.CheckLeaks(m.Run()))
}
