package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestLiveCluster runs the cluster part at a small scale, with real
// processes and a real redis-server: 300 fan-out subscribers over the three
// instances, a storm of 300 connections, 200 idle connections of each
// transport with the Redis broker, and 20 publications to the page in
// Chromium on B and C made through A. Every delivery must arrive, and the
// report must show the figures.
func TestLiveCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("runs redis-server, three live servers and their clients as child processes")
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	limit, err := capRaiseNofile()
	if err != nil {
		t.Fatal(err)
	}
	browser := liveClientReady(t)
	if _, err := chromiumPath(); err != nil {
		browser = false
		t.Logf("no Chromium part: %v", err)
	}
	const subs, storm, conns, pubs = 300, 300, 200, 20
	o := liveClusterOptions{subs: subs, storm: storm, stormGap: 100 * time.Millisecond, conns: conns, pubs: pubs, browser: browser}
	start := time.Now()
	cl, err := measureLiveCluster(ctx, exe, o, limit, 77, func(string) {})
	if errors.Is(err, errNoRedis) {
		t.Fatal(err) // says how to install it
	}
	if err != nil {
		t.Fatalf("measureLiveCluster: %v", err)
	}
	t.Logf("the cluster part took %v", time.Since(start).Round(time.Millisecond))

	if f := cl.Fanout; f == nil || f.Subscribers != subs || len(f.Runs) != liveFanoutRuns || f.Last <= 0 || f.Rate <= 0 {
		t.Errorf("fan-out = %+v; want %d runs to %d subscribers", f, liveFanoutRuns, subs)
	} else {
		for _, run := range f.Runs {
			if run.Received != subs {
				t.Errorf("fan-out run %+v: want %d received", run, subs)
			}
		}
	}
	if got, want := cl.FanoutPer, []int{100, 100, 100}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("subscribers per instance = %v, want %v", got, want)
	}
	s := cl.Storm
	switch {
	case s == nil:
		t.Error("no storm figures")
	case s.Resumed < storm || s.Recovered+s.Refetched != s.Resumed || s.AllResumed <= 0 || s.Window <= 0:
		t.Errorf("storm: %d resumed (%d recovered, %d refetched) after %v; want %d resumed", s.Resumed, s.Recovered, s.Refetched, s.AllResumed, storm)
	case s.Ends[3001] != storm:
		t.Errorf("storm: connection ends %v; want %d with code 3001 (shutdown: C's close)", s.Ends, storm)
	case s.Complete != storm || s.Gaps != 0 || s.Dups != 0 || s.Publications < 2:
		t.Errorf("storm: %d of %d had the last of %d publications, %d missing, %d twice", s.Complete, storm, s.Publications, s.Gaps, s.Dups)
	case len(s.CPU) < 5 || s.RedisCommands <= 0:
		t.Errorf("storm CPU = %+v, Redis commands %d; want Redis, A, B, C and the clients", s.CPU, s.RedisCommands)
	}
	if len(cl.Conns) != len(liveTransports) {
		t.Errorf("idle connections with Redis = %+v, want both transports", cl.Conns)
	}
	for _, c := range cl.Conns {
		if c.Held != conns || c.Errors != 0 || c.HeapPerConn <= 0 {
			t.Errorf("%s with Redis: %d held, %d errors, %.0f heap a connection; want %d held", c.Transport, c.Held, c.Errors, c.HeapPerConn, conns)
		}
	}
	if browser {
		if len(cl.Visible) != len(liveTransports) {
			t.Fatalf("publish → visible across instances = %+v; want one per transport", cl.Visible)
		}
		for _, v := range cl.Visible {
			if v.Publications != pubs || v.Shown != pubs || v.P50 <= 0 || v.P99 < v.P50 {
				t.Errorf("publish → visible across instances = %+v; want %d shown", v, pubs)
			}
		}
	}

	r := &Report{Live: &LiveResult{Cluster: cl}}
	var out bytes.Buffer
	writeTable(&out, r)
	for _, want := range []string{"== live across 3 instances", "fan-out from A", "reconnect storm", "all resumed on A and B", "redis-server", "idle, Redis broker"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	for _, tg := range evaluateTargets(r) {
		switch {
		case strings.HasPrefix(tg.Goal, "live across instances") && browser && tg.Status == Skipped:
			t.Errorf("%s = SKIPPED (%s), want it judged", tg.Goal, tg.Figure)
		case strings.HasPrefix(tg.Goal, "live with the Redis broker") && tg.Status != Skipped:
			t.Errorf("%s = %s at %d connections, want SKIPPED", tg.Goal, tg.Status, conns)
		}
	}
}

// TestLiveClusterTargets checks the cluster's targets, measured or not.
func TestLiveClusterTargets(t *testing.T) {
	vis := func(p50, p99 time.Duration, shown int) LiveVisible {
		return LiveVisible{Transport: "sse", Publications: 250, Shown: shown, P50: p50, P99: p99}
	}
	for _, tc := range []struct {
		name     string
		live     *LiveResult
		p50, p99 Status
		rss      Status
		figure   string
	}{
		{name: "not run", live: &LiveResult{}, p50: Skipped, p99: Skipped, rss: Skipped, figure: "-no-live-cluster"},
		{name: "no redis-server", live: &LiveResult{Cluster: &LiveCluster{Skipped: errNoRedis.Error()}},
			p50: Skipped, p99: Skipped, rss: Skipped, figure: "apt-get install -y redis-server"},
		{name: "under", live: &LiveResult{Cluster: &LiveCluster{Visible: []LiveVisible{vis(5*time.Millisecond, 20*time.Millisecond, 250)},
			Conns: []LiveConns{{Transport: "ws", Asked: 20000, Conns: 20000, Held: 20000, RSSPerConn: 14 << 10}}}},
			p50: Met, p99: Met, rss: Met},
		{name: "between the one-instance and the cluster bounds", live: &LiveResult{Cluster: &LiveCluster{Visible: []LiveVisible{vis(22*time.Millisecond, 55*time.Millisecond, 250)}}},
			p50: Met, p99: Met, rss: Skipped},
		{name: "over, one not shown", live: &LiveResult{Cluster: &LiveCluster{Visible: []LiveVisible{vis(30*time.Millisecond, 61*time.Millisecond, 249)},
			Conns: []LiveConns{{Transport: "sse", Asked: 20000, Conns: 20000, Held: 20000, RSSPerConn: 40 << 10}}}},
			p50: Missed, p99: Missed, rss: Missed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Report{Live: tc.live}
			got := []Target{
				clusterVisibleTarget(r, "p50", maxClusterVisibleP50, func(v *LiveVisible) time.Duration { return v.P50 }),
				clusterVisibleTarget(r, "p99", maxClusterVisibleP99, func(v *LiveVisible) time.Duration { return v.P99 }),
				clusterRSSTargetOf(r),
			}
			for i, want := range []Status{tc.p50, tc.p99, tc.rss} {
				if got[i].Status != want {
					t.Errorf("%s = %s (%s), want %s", got[i].Goal, got[i].Status, got[i].Figure, want)
				}
				if tc.figure != "" && !strings.Contains(got[i].Figure, tc.figure) {
					t.Errorf("figure %q does not say %q", got[i].Figure, tc.figure)
				}
			}
		})
	}
}

func TestLiveConnectReply(t *testing.T) {
	for _, tc := range []struct {
		name      string
		msg       string
		nilReply  bool
		err       string
		recovered bool
		pubs      int
		offset    uint64
	}{
		{name: "recovered", msg: `{"id":1,"connect":{"client":"x","subs":{"benchs:storm":{"recoverable":true,"epoch":"e","offset":7,"publications":[{"data":{"content":"<p data-seq=\"6\">"},"offset":6},{"data":{"content":"<p data-seq=\"7\">"},"offset":7}],"recovered":true}}}}`,
			recovered: true, pubs: 2, offset: 7},
		{name: "not recovered", msg: `{"id":1,"connect":{"subs":{"benchs:storm":{"epoch":"f","offset":9}}}}`, offset: 9},
		{name: "a ping first", msg: `{}`, nilReply: true},
		{name: "refused", msg: `{"id":1,"error":{"code":103,"message":"permission denied"}}`, err: "connect refused: 103"},
		{name: "disconnected", msg: `{"disconnect":{"code":3001,"reason":"shutdown"}}`, err: "3001 shutdown"},
		{name: "another channel", msg: `{"id":1,"connect":{"subs":{"bench:fan":{}}}}`, err: "without a subscription"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseLiveConnectReply([]byte(tc.msg), liveStormChan)
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("err = %v, want %q", err, tc.err)
				}
			case err != nil:
				t.Errorf("err = %v", err)
			case tc.nilReply:
				if r != nil {
					t.Errorf("reply = %+v, want none", r)
				}
			case r == nil || r.Recovered != tc.recovered || len(r.Publications) != tc.pubs || r.Offset != tc.offset:
				t.Errorf("reply = %+v, want recovered %v, %d publications, offset %d", r, tc.recovered, tc.pubs, tc.offset)
			}
		})
	}
}

func TestLiveReconnects(t *testing.T) {
	for code, want := range map[int]bool{0: true, 111: true, 3001: true, 3005: true, 3499: true, 101: false, 2999: false, 3500: false, 3999: false, 4000: true, 4500: false, 5000: true} {
		if got := liveReconnects(code); got != want {
			t.Errorf("liveReconnects(%d) = %v, want %v", code, got, want)
		}
	}
	for n := range 10 {
		if d := liveBackoff(n); d < 0 || d > 20*time.Second || n == 0 && d > 500*time.Millisecond {
			t.Errorf("liveBackoff(%d) = %v", n, d)
		}
	}
}

func TestParseProcStatCPU(t *testing.T) {
	// The name may hold spaces and parentheses; utime and stime are 14 and 15.
	line := "4242 (redis-server *:6) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 130 0 0 20 0 5 0 100 1000000 2000 18446744073709551615\n"
	got, err := parseProcStatCPU([]byte(line))
	if err != nil || got != 3800*time.Millisecond {
		t.Errorf("parseProcStatCPU = %v, %v; want 3.8s", got, err)
	}
	if _, err := parseProcStatCPU([]byte("4242 (x) S 1 2")); err == nil {
		t.Error("a short line parsed")
	}
}
