package jaegertest_test

import (
	"testing"

	"github.com/bigpipe-go/bigpipe/internal/jaegertest"
)

// TestStart builds Jaeger if the cache lacks it (make tools runs this test
// alone, with a long timeout, before the rest, so that the build never
// counts against another test binary's timeout), starts it and checks that
// its query API answers.
func TestStart(t *testing.T) {
	j := jaegertest.Start(t)
	traces, err := j.Traces(t.Context(), "nobody")
	if err != nil {
		t.Fatal(err)
	}
	if len(traces) != 0 {
		t.Errorf("got %d traces of a service that sent none", len(traces))
	}
}
