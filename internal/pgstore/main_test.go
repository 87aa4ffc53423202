package pgstore_test

import (
	"fmt"
	"os"
	"testing"

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
	os.Exit(testenv.CheckLeaks(code))
}
