package main

import (
	"math"
	"slices"
	"time"
)

// Stat is the median and 90th percentile of one figure over the runs.
type Stat struct {
	Median time.Duration `json:"median"`
	P90    time.Duration `json:"p90"`
}

// statOf summarises ds; the zero Stat for none.
func statOf(ds []time.Duration) Stat {
	return Stat{Median: median(ds), P90: percentile(ds, 90)}
}

// median is the middle value of ds, the mean of the middle two for an even
// count, 0 for none. ds is not modified.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(ds))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile is the p-th percentile (0 < p <= 100) of ds by the
// nearest-rank method: the smallest value such that at least p % of the
// values are at or below it. With 5 runs, p90 is the slowest run. It
// returns 0 for none; ds is not modified.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(ds))
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = max(1, min(rank, len(s)))
	return s[rank-1]
}

// medianInt is the median of xs, rounded down for an even count.
func medianInt(xs []int) int {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ms is d in milliseconds, for tables and charts.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// WireStats is one mode of one scenario on the wire: every run, and the
// median and p90 of each figure over them.
type WireStats struct {
	Runs    []WireRun `json:"runs"`
	TTFB    Stat      `json:"ttfb"`
	Markers []Stat    `json:"markers"` // by pagelet
	Last    Stat      `json:"last"`
	Bytes   int       `json:"bytes"`  // median
	Chunks  int       `json:"chunks"` // median
}

// wireStats summarises runs of a page with n pagelets.
func wireStats(runs []WireRun, n int) *WireStats {
	st := &WireStats{Runs: runs, Markers: make([]Stat, n)}
	pick := func(f func(WireRun) time.Duration) []time.Duration {
		out := make([]time.Duration, len(runs))
		for i, r := range runs {
			out[i] = f(r)
		}
		return out
	}
	st.TTFB = statOf(pick(func(r WireRun) time.Duration { return r.TTFB }))
	st.Last = statOf(pick(func(r WireRun) time.Duration { return r.Last }))
	for i := range n {
		st.Markers[i] = statOf(pick(func(r WireRun) time.Duration {
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
	st.Bytes, st.Chunks = medianInt(bytes), medianInt(chunks)
	return st
}

// BrowserStats is one mode of one scenario in Chromium: every run, and the
// median and p90 of each figure over them.
type BrowserStats struct {
	Runs         []BrowserRun `json:"runs"`
	RequestStart Stat         `json:"request_start"`
	FCP          Stat         `json:"fcp"`
	LCP          Stat         `json:"lcp"`
	Visible      []Stat       `json:"visible"` // by pagelet
}

// browserStats summarises runs of a page with n pagelets.
func browserStats(runs []BrowserRun, n int) *BrowserStats {
	st := &BrowserStats{Runs: runs, Visible: make([]Stat, n)}
	var req, fcp, lcp []time.Duration
	for _, r := range runs {
		req, fcp, lcp = append(req, r.RequestStart), append(fcp, r.FCP), append(lcp, r.LCP)
	}
	st.RequestStart, st.FCP, st.LCP = statOf(req), statOf(fcp), statOf(lcp)
	for i := range n {
		var vis []time.Duration
		for _, r := range runs {
			if i < len(r.Visible) {
				vis = append(vis, r.Visible[i])
			}
		}
		st.Visible[i] = statOf(vis)
	}
	return st
}
