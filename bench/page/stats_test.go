package page

import (
	"slices"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

func TestWireStats(t *testing.T) {
	runs := []WireRun{
		{TTFB: 1, Markers: []time.Duration{10, 20}, Last: 30, Bytes: 100, Chunks: 3},
		{TTFB: 3, Markers: []time.Duration{12, 22}, Last: 34, Bytes: 100, Chunks: 4},
		{TTFB: 2, Markers: []time.Duration{11, 21}, Last: 32, Bytes: 100, Chunks: 3},
	}
	got := wireStats(runs, 2)
	if got.TTFB != (measure.Stat{Median: 2, P90: 3}) || got.Last != (measure.Stat{Median: 32, P90: 34}) {
		t.Errorf("TTFB %+v, Last %+v; want {2 3}, {32 34}", got.TTFB, got.Last)
	}
	if want := []measure.Stat{{Median: 11, P90: 12}, {Median: 21, P90: 22}}; !slices.Equal(got.Markers, want) {
		t.Errorf("Markers = %+v, want %+v", got.Markers, want)
	}
	if got.Bytes != 100 || got.Chunks != 3 {
		t.Errorf("Bytes, Chunks = %d, %d; want 100, 3", got.Bytes, got.Chunks)
	}
}
