package measure

import (
	"slices"
	"testing"
	"time"
)

func TestMedianPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		in       []time.Duration
		med, p90 time.Duration
	}{
		{"none", nil, 0, 0},
		{"one", ms(7), 7 * time.Millisecond, 7 * time.Millisecond},
		{"two", ms(10, 20), 15 * time.Millisecond, 20 * time.Millisecond},
		{"odd unsorted", ms(30, 10, 20), 20 * time.Millisecond, 30 * time.Millisecond},
		{"even unsorted", ms(4, 1, 3, 2), 2500 * time.Microsecond, 4 * time.Millisecond},
		{"five runs: p90 is the slowest", ms(5, 1, 4, 2, 3), 3 * time.Millisecond, 5 * time.Millisecond},
		{"ten: p90 is the ninth", ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 5500 * time.Microsecond, 9 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.in)
			got := StatOf(tc.in)
			if got.Median != tc.med || got.P90 != tc.p90 {
				t.Errorf("StatOf(%v) = %+v, want median %v, p90 %v", tc.in, got, tc.med, tc.p90)
			}
			if !slices.Equal(in, tc.in) {
				t.Errorf("StatOf sorted its input: %v, was %v", tc.in, in)
			}
		})
	}
}

func TestMedianOfCounts(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		want int
	}{
		{nil, 0},
		{[]int{3}, 3},
		{[]int{3, 1, 2}, 2},
		{[]int{1, 2, 3, 10}, 2},
	} {
		if got := Median(tc.in); got != tc.want {
			t.Errorf("Median(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
