package testenv_test

import (
	"testing"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

// TestStartJaeger builds Jaeger if the cache lacks it (make tools runs this
// test alone, with a long timeout, before the others, so that the build
// never counts against another test binary's timeout), starts it and
// checks that its query API answers.
func TestStartJaeger(t *testing.T) {
	j := testenv.StartJaeger(t)
	traces, err := j.Traces(t.Context(), "nobody")
	if err != nil {
		t.Fatal(err)
	}
	if len(traces) != 0 {
		t.Errorf("got %d traces of a service that sent none", len(traces))
	}
}
