package scale

import (
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	for _, tc := range []struct {
		name       string
		stat       string
		busy, idle time.Duration
		wantErr    bool
	}{
		{name: "two cores", stat: "cpu  100 5 50 1000 20 3 7 2 0 0\ncpu0 50 2 25 500 10 1 3 1 0 0\n",
			busy: 167 * 10 * time.Millisecond, idle: 1020 * 10 * time.Millisecond},
		{name: "old kernel, eight counters", stat: "cpu 1 2 3 4 5 6 7 8\n", busy: 27 * 10 * time.Millisecond, idle: 9 * 10 * time.Millisecond},
		{name: "empty", stat: "", wantErr: true},
		{name: "not the total", stat: "cpu0 1 2 3 4 5 6 7 8\n", wantErr: true},
		{name: "short", stat: "cpu 1 2 3\n", wantErr: true},
		{name: "not a number", stat: "cpu 1 2 3 x 5 6 7 8\n", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			busy, idle, err := parseProcStat([]byte(tc.stat))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("parseProcStat(%q): no error", tc.stat)
				}
				return
			}
			if err != nil || busy != tc.busy || idle != tc.idle {
				t.Errorf("parseProcStat = %v, %v, %v; want %v, %v", busy, idle, err, tc.busy, tc.idle)
			}
		})
	}
}

func TestCPUBetween(t *testing.T) {
	a := cpuSample{instances: time.Second, clients: time.Second, redis: 0, busy: 10 * time.Second, idle: 5 * time.Second}
	b := cpuSample{instances: 3 * time.Second, clients: 1500 * time.Millisecond, redis: 10 * time.Millisecond, busy: 14 * time.Second, idle: 5100 * time.Millisecond}
	got := cpuBetween(a, b)
	want := PubCPU{Instances: 2 * time.Second, Clients: 500 * time.Millisecond, Redis: 10 * time.Millisecond, Other: 1490 * time.Millisecond, Idle: 100 * time.Millisecond}
	if got != want {
		t.Errorf("cpuBetween = %+v, want %+v", got, want)
	}
	// The run's processes counted a tick more than the machine: no negative other.
	b.busy = 12 * time.Second
	if got := cpuBetween(a, b); got.Other != 0 {
		t.Errorf("other = %v, want 0", got.Other)
	}
}
