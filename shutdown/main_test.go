package shutdown_test

import (
	"os"
	"testing"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

// TestMain fails the package if any goroutine outlives its tests: a
// server, a handler, a client's stream or a live engine not closed.
func TestMain(m *testing.M) {
	os.Exit(testenv.CheckLeaks(m.Run()))
}
