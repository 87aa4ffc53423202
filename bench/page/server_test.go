package page

import (
	"testing"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// testServer starts the in-process site the bench itself measures
// (StartLocal) for the length of a test.
func testServer(t *testing.T) *measure.LocalServer {
	t.Helper()
	s, err := measure.StartLocal()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
