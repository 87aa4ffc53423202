package pgstore_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/bigpipe-go/bigpipe/internal/pgtest"
	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

// TestMain runs the tests on one shared PostgreSQL cluster (each test takes
// a database of its own), stops it, and fails the binary if a goroutine is
// left: a pool not closed, a Lead still running.
func TestMain(m *testing.M) {
	code := m.Run()
	if err := pgtest.StopShared(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	// Toxiproxy's toxic stubs (v2.5.0) can stay blocked on a channel send
	// after their link is closed: its goroutines, not ours.
	os.Exit(testenv.CheckLeaks(code,
		goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2/toxics.(*ToxicStub).Run")))
}
