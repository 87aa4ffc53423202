package measure

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

// StatOf summarises ds; the zero Stat for none.
func StatOf(ds []time.Duration) Stat {
	return Stat{Median: Median(ds), P90: Percentile(ds, 90)}
}

// Median is the middle value of ds (durations or counts), the mean of the
// middle two for an even count (rounded down for integers), 0 for none. ds
// is not modified.
func Median[T ~int | ~int64](ds []T) T {
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

// Percentile is the p-th percentile (0 < p <= 100) of ds by the
// nearest-rank method: the smallest value such that at least p % of the
// values are at or below it. With 5 runs, p90 is the slowest run. It
// returns 0 for none; ds is not modified.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(ds))
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = max(1, min(rank, len(s)))
	return s[rank-1]
}

// ms is d in milliseconds, for tables and charts.
func MS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
