package page

import (
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// WireStats is one mode of one scenario on the wire: every run, and the
// median and p90 of each figure over them.
type WireStats struct {
	Runs    []WireRun      `json:"runs"`
	TTFB    measure.Stat   `json:"ttfb"`
	Markers []measure.Stat `json:"markers"` // by pagelet
	Last    measure.Stat   `json:"last"`
	Bytes   int            `json:"bytes"`  // median
	Chunks  int            `json:"chunks"` // median
}

// wireStats summarises runs of a page with n pagelets.
func wireStats(runs []WireRun, n int) *WireStats {
	st := &WireStats{Runs: runs, Markers: make([]measure.Stat, n)}
	pick := func(f func(WireRun) time.Duration) []time.Duration {
		out := make([]time.Duration, len(runs))
		for i, r := range runs {
			out[i] = f(r)
		}
		return out
	}
	st.TTFB = measure.StatOf(pick(func(r WireRun) time.Duration { return r.TTFB }))
	st.Last = measure.StatOf(pick(func(r WireRun) time.Duration { return r.Last }))
	for i := range n {
		st.Markers[i] = measure.StatOf(pick(func(r WireRun) time.Duration {
			if i < len(r.Markers) {
				return r.Markers[i]
			}
			return 0
		}))
	}
	bytes := make([]int, len(runs))
	chunks := make([]int, len(runs))
	for i, r := range runs {
		bytes[i], chunks[i] = r.Bytes, r.Chunks
	}
	st.Bytes, st.Chunks = measure.Median(bytes), measure.Median(chunks)
	return st
}

// BrowserStats is one mode of one scenario in Chromium: every run, and the
// median and p90 of each figure over them.
type BrowserStats struct {
	Runs         []BrowserRun   `json:"runs"`
	RequestStart measure.Stat   `json:"request_start"`
	FCP          measure.Stat   `json:"fcp"`
	LCP          measure.Stat   `json:"lcp"`
	Visible      []measure.Stat `json:"visible"` // by pagelet
}

// browserStats summarises runs of a page with n pagelets.
func browserStats(runs []BrowserRun, n int) *BrowserStats {
	st := &BrowserStats{Runs: runs, Visible: make([]measure.Stat, n)}
	var req, fcp, lcp []time.Duration
	for _, r := range runs {
		req, fcp, lcp = append(req, r.RequestStart), append(fcp, r.FCP), append(lcp, r.LCP)
	}
	st.RequestStart, st.FCP, st.LCP = measure.StatOf(req), measure.StatOf(fcp), measure.StatOf(lcp)
	for i := range n {
		var vis []time.Duration
		for _, r := range runs {
			if i < len(r.Visible) {
				vis = append(vis, r.Visible[i])
			}
		}
		st.Visible[i] = measure.StatOf(vis)
	}
	return st
}
