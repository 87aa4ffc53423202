package livebench

import (
	"testing"
	"time"
)

func TestLivePushSeq(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  string
		ch   string
		seq  int
		ok   bool
	}{
		{"publication", `{"push":{"channel":"bench:fan","pub":{"data":{"content":"<p class=\"bench-live\" data-seq=\"7\" data-sent=\"1\">publication 7</p>"},"offset":8}}}`, liveFanChan, 7, true},
		{"other channel", `{"push":{"channel":"bench:idle","pub":{"data":{"content":"<p data-seq=\"7\">"}}}}`, liveFanChan, 0, false},
		{"not a publication", `{"push":{"channel":"bench:fan","disconnect":{"code":3001}}}`, liveFanChan, 0, false},
		{"a reply", `{"id":1,"connect":{"client":"x"}}`, liveFanChan, 0, false},
		{"no seq", `{"push":{"channel":"bench:fan","pub":{"data":{"content":"<p>x</p>"}}}}`, liveFanChan, 0, false},
		{"bad seq", `{"push":{"channel":"bench:fan","pub":{"data":{"content":"<p data-seq=\"x\">"}}}}`, liveFanChan, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seq, ok := livePushSeq([]byte(tc.msg), tc.ch)
			if seq != tc.seq || ok != tc.ok {
				t.Errorf("livePushSeq = %d, %v; want %d, %v", seq, ok, tc.seq, tc.ok)
			}
		})
	}
}

func TestLiveFanoutMedian(t *testing.T) {
	runs := []LiveFanoutRun{{100, 30 * time.Millisecond}, {100, 10 * time.Millisecond}, {100, 20 * time.Millisecond}, {90, 50 * time.Millisecond}}
	last, rate := liveFanoutMedian(runs)
	if last != 20*time.Millisecond || rate != 5000 {
		t.Errorf("liveFanoutMedian = %v, %.0f/s; want 20ms, 5000/s", last, rate)
	}
	if last, rate := liveFanoutMedian(nil); last != 0 || rate != 0 {
		t.Errorf("liveFanoutMedian(nil) = %v, %v", last, rate)
	}
}
