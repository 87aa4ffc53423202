package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain runs this test binary as a child of the live section when
// liveRoleEnv says so (measureLive starts os.Executable() again).
func TestMain(m *testing.M) {
	if role := os.Getenv(liveRoleEnv); role != "" {
		os.Exit(liveRole(role))
	}
	os.Exit(m.Run())
}

// liveClientReady reports whether live/live.js is the live client rather
// than the placeholder it was before the client landed: the Chromium part
// needs it.
func liveClientReady(t *testing.T) bool {
	b, err := os.ReadFile(filepath.Join("..", "live", "live.js"))
	if err != nil {
		t.Fatal(err)
	}
	return len(b) > 100 && !bytes.Contains(b, []byte("placeholder"))
}

// TestLiveOnly runs the live section as -live-only does, at a small scale:
// 200 connections of each transport (100 of them on the fan-out channel),
// and 20 publications to the page in Chromium once live/live.js is the
// client.
func TestLiveOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the live server and clients as child processes")
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	out := t.TempDir()
	args := []string{"-live-only", "-quick", "-no-live-cluster", "-out", out} // TestLiveCluster has the cluster part
	browser := liveClientReady(t)
	if !browser {
		args = append(args, "-no-browser")
		t.Log("live/live.js is still a placeholder: no Chromium part")
	}
	cfg, err := parseFlags(args, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	r, err := runBench(ctx, cfg, &stdout, &stderr)
	if err != nil {
		t.Fatalf("runBench: %v\n%s", err, stderr.String())
	}
	if len(r.Scenarios) != 0 || r.FrontPage != nil || r.Load != nil || r.Capacity != nil {
		t.Errorf("-live-only measured more than the live section: %+v", r)
	}
	l := r.Live
	if l == nil || len(l.Conns) != 2 || len(l.Fanout) != 2 {
		t.Fatalf("live = %+v, want both transports' connections and fan-out", l)
	}
	for i, c := range l.Conns {
		if c.Transport != liveTransports[i] || c.Conns != 200 || c.Held != 200 || c.Errors != 0 {
			t.Errorf("%s: %d tried, %d held, %d errors (%s); want 200 held", c.Transport, c.Conns, c.Held, c.Errors, c.FirstError)
		}
		// RSS at 200 connections is within the noise of what the runtime
		// returns to the system (it has been seen to fall); the heap and
		// the goroutines must grow.
		if c.BaseRSS == 0 || c.PeakRSS == 0 || c.HeapPerConn <= 0 || c.PeakGoroutines < c.BaseGoroutines+200 {
			t.Errorf("%s: RSS %d → %d (%.0f a connection), heap %.0f a connection, goroutines %d → %d; want RSS read, heap and goroutines grown",
				c.Transport, c.BaseRSS, c.PeakRSS, c.RSSPerConn, c.HeapPerConn, c.BaseGoroutines, c.PeakGoroutines)
		}
	}
	for _, f := range l.Fanout {
		if f.Subscribers != 100 || len(f.Runs) != liveFanoutRuns || f.Last <= 0 || f.Rate <= 0 {
			t.Errorf("%s fan-out = %+v; want %d runs to 100 subscribers", f.Transport, f, liveFanoutRuns)
		}
		for _, run := range f.Runs {
			if run.Received != 100 {
				t.Errorf("%s fan-out run %+v: want 100 received", f.Transport, run)
			}
		}
	}
	if browser {
		if len(l.Visible) != len(liveTransports) {
			t.Fatalf("publish → visible = %+v; want one per transport", l.Visible)
		}
		for i, v := range l.Visible {
			if want := map[string]string{"sse": "sse", "ws": "websocket"}[liveTransports[i]]; v.Client != want {
				t.Errorf("the page's client used %q, want %q", v.Client, want)
			}
			if v.Transport != liveTransports[i] || v.Publications != 20 || v.Shown != 20 || v.P50 <= 0 || v.P99 < v.P50 {
				t.Errorf("publish → visible = %+v; want 20 shown over %s", v, liveTransports[i])
			}
		}
	}
	for _, want := range []string{"== live", "fan-out", "ws", "sse"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, stdout.String())
		}
	}
	saved, err := readJSON(filepath.Join(out, "latest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if saved.Live == nil || len(saved.Live.Conns) != 2 {
		t.Errorf("latest.json has no live figures: %+v", saved.Live)
	}
	for _, tg := range r.Targets {
		// 200 connections are too few to judge the memory target.
		if strings.HasPrefix(tg.Goal, "live: ≤") && tg.Status != Skipped {
			t.Errorf("%s = %s at 200 connections, want SKIPPED", tg.Goal, tg.Status)
		}
	}
}

func TestLiveTargets(t *testing.T) {
	conns := func(tr string, n, held int, rss float64) LiveConns {
		return LiveConns{Transport: tr, Asked: n, Conns: n, Held: held, RSSPerConn: rss}
	}
	for _, tc := range []struct {
		name          string
		live          *LiveResult
		rss, p50, p99 Status
	}{
		{name: "nothing measured", rss: Skipped, p50: Skipped, p99: Skipped},
		{name: "both under", live: &LiveResult{Conns: []LiveConns{conns("sse", 20000, 20000, 15<<10), conns("ws", 20000, 20000, 12<<10)},
			Visible: []LiveVisible{{Transport: "sse", Publications: 200, Shown: 200, P50: 8 * time.Millisecond, P99: 30 * time.Millisecond},
				{Transport: "ws", Publications: 200, Shown: 200, P50: 6 * time.Millisecond, P99: 20 * time.Millisecond}}},
			rss: Met, p50: Met, p99: Met},
		{name: "one transport over, p99 over", live: &LiveResult{Conns: []LiveConns{conns("sse", 20000, 20000, 40<<10), conns("ws", 20000, 20000, 12<<10)},
			Visible: []LiveVisible{{Transport: "sse", Publications: 200, Shown: 200, P50: 8 * time.Millisecond, P99: 60 * time.Millisecond},
				{Transport: "ws", Publications: 200, Shown: 200, P50: 6 * time.Millisecond, P99: 20 * time.Millisecond}}},
			rss: Missed, p50: Met, p99: Missed},
		{name: "not all held, a publication not shown", live: &LiveResult{Conns: []LiveConns{conns("sse", 20000, 19990, 10<<10)},
			Visible: []LiveVisible{{Transport: "ws", Publications: 200, Shown: 199, P50: 8 * time.Millisecond, P99: 30 * time.Millisecond}}},
			rss: Missed, p50: Missed, p99: Missed},
		{name: "too few to judge", live: &LiveResult{Conns: []LiveConns{conns("sse", 200, 200, 10<<10), conns("ws", 200, 200, 10<<10)}},
			rss: Skipped, p50: Skipped, p99: Skipped},
		{name: "capped by the open-file limit", live: &LiveResult{FDLimit: 20000, Conns: []LiveConns{{Transport: "ws", Asked: 20000, Conns: 19936, Held: 19936, RSSPerConn: 14 << 10}}},
			rss: Met, p50: Skipped, p99: Skipped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Report{Live: tc.live}
			got := []Target{liveRSSTargetOf(r),
				liveVisibleTarget(r, "p50", maxLiveVisibleP50, func(v *LiveVisible) time.Duration { return v.P50 }),
				liveVisibleTarget(r, "p99", maxLiveVisibleP99, func(v *LiveVisible) time.Duration { return v.P99 })}
			for i, want := range []Status{tc.rss, tc.p50, tc.p99} {
				if got[i].Status != want {
					t.Errorf("%s = %s (%s), want %s", got[i].Goal, got[i].Status, got[i].Figure, want)
				}
			}
			if tc.name == "capped by the open-file limit" && !strings.Contains(got[0].Figure, "open-file limit is 20000") {
				t.Errorf("figure %q does not say the count was capped", got[0].Figure)
			}
		})
	}
}

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
