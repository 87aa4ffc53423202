package soak

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

// TestSoak runs the soak (see soak.go): 30 s of sustained mixed load
// (10 s with -short), or as long as BIGPIPE_SOAK says:
//
//	BIGPIPE_SOAK=10m go test -run TestSoak -timeout 20m -v ./bench
//
// It passes when no client got an answer it should not have, the server
// saw no outcome it should not have, every slow reader was cut off by the
// write timeout, goroutines came back to their baseline once the load
// drained, and the heap was not grown and kept: grown from the first
// window of the load (its first minute, or fifth for a run under five
// minutes) to the last beyond the documented tolerance, and still so once
// the load drained (TestHeapRule). It asserts nothing about timings.
func TestSoak(t *testing.T) {
	cfg := soakConfig{
		Load:         30 * time.Second,
		MaxRequests:  1_000_000,
		Outstanding:  4096,
		SlowReaders:  4,
		WriteTimeout: 2 * time.Second,
		PageTimeout:  10 * time.Second,
		Calibrate:    2 * time.Second,
		SampleEvery:  3 * time.Second,
		Progress:     func(s string) { t.Log(s) },
	}
	if testenv.RaceEnabled() {
		// The race detector allows 8128 goroutines; a request in flight
		// holds about nine (client, connection, handler, pagelets).
		cfg.Outstanding = 640
	}
	if testing.Short() {
		cfg.Load = 10 * time.Second
		cfg.SampleEvery = time.Second
	}
	if v := os.Getenv("BIGPIPE_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("BIGPIPE_SOAK=%q: want a duration such as 10m", v)
		}
		cfg.Load = d
		cfg.MaxRequests = int(d/time.Second) * 50_000 // bounded in count too (arrivals, skipped ones included): far above the calibrated rate
		if d >= 5*time.Minute {
			cfg.Window = time.Minute
			cfg.SampleEvery = 5 * time.Second
		}
	}
	rep, err := runSoak(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", rep.table())
	for _, p := range rep.problems() {
		t.Error(p)
	}
}

// TestHeapRule checks the soak's leak rule on made-up reports: growth
// during the load that goes once the load drains is the requests in
// flight; growth that stays is a leak.
func TestHeapRule(t *testing.T) {
	const mb = 1 << 20
	for _, tc := range []struct {
		name                   string
		base, first, last, end uint64
		leak                   bool
	}{
		{"flat", 20 * mb, 30 * mb, 32 * mb, 21 * mb, false},
		{"grew in flight, went once drained", 20 * mb, 15 * mb, 33 * mb, 22 * mb, false},
		{"grew and stayed", 20 * mb, 15 * mb, 40 * mb, 45 * mb, true},
		{"drained heap above base, load flat", 20 * mb, 30 * mb, 31 * mb, 45 * mb, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &soakReport{BaseHeap: tc.base, FirstHeap: tc.first, LastHeap: tc.last, EndHeap: tc.end,
				ByKind: map[soakKind]*soakKindStats{kindSlow: {}}}
			var leak bool
			for _, p := range r.problems() {
				leak = leak || strings.Contains(p, "live heap grew")
			}
			if leak != tc.leak {
				t.Errorf("reported a leak: %v, want %v (%q)", leak, tc.leak, r.problems())
			}
		})
	}
}
