package page

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bigpipe-go/bigpipe/bench/cachebench"
	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/bench/livebench"
)

// TestMain runs this test binary as a child of the live section when
// livebench.RoleEnv says so (livebench.Measure starts os.Executable() again),
// or of the cache section when cachebench.RoleEnv does.
func TestMain(m *testing.M) {
	if role := os.Getenv(livebench.RoleEnv); role != "" {
		os.Exit(livebench.RunRole(role))
	}
	if role := os.Getenv(cachebench.RoleEnv); role != "" {
		os.Exit(cachebench.RunRole(role))
	}
	os.Exit(m.Run())
}

// liveClientReady reports whether live/live.js is the live client rather
// than the placeholder it was before the client landed: the Chromium part
// needs it.
func liveClientReady(t *testing.T) bool {
	b, err := os.ReadFile(filepath.Join("..", "..", "live", "live.js"))
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
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute) // a bound, not a figure: about 25 s on a quiet machine
	defer cancel()
	out := t.TempDir()
	args := []string{"-live-only", "-quick", "-no-live-cluster", "-no-live-readers", "-out", out} // TestLiveCluster has the cluster part; livebench.TestReaders the readers
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
	checkLiveConns(t, l)
	if browser {
		checkLiveVisible(t, l)
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

// checkLiveConns checks -quick's idle connections and fan-out: 200 held
// of each transport, 100 of them on the fan-out channel.
func checkLiveConns(t *testing.T, l *livebench.LiveResult) {
	t.Helper()
	for i, c := range l.Conns {
		if c.Transport != livebench.Transports[i] || c.Conns != 200 || c.Held != 200 || c.Errors != 0 {
			t.Errorf("%s: %d tried, %d held, %d errors (%s); want 200 held", c.Transport, c.Conns, c.Held, c.Errors, c.FirstError)
		}
		// RSS at 200 connections is within the noise of what the runtime
		// returns to the system (it has been seen to fall); the heap must
		// grow. The goroutines are read, but need not grow: on Linux an
		// idle connection has none of its own (the engine's poller waits on
		// every socket, live/poller_linux.go).
		if c.BaseRSS == 0 || c.PeakRSS == 0 || c.HeapPerConn <= 0 || c.BaseGoroutines == 0 || c.PeakGoroutines == 0 {
			t.Errorf("%s: RSS %d → %d (%.0f a connection), heap %.0f a connection, goroutines %d → %d; want RSS and goroutines read, heap grown",
				c.Transport, c.BaseRSS, c.PeakRSS, c.RSSPerConn, c.HeapPerConn, c.BaseGoroutines, c.PeakGoroutines)
		}
	}
	for _, f := range l.Fanout {
		if f.Subscribers != 100 || len(f.Runs) != livebench.FanoutRuns || f.Last <= 0 || f.Rate <= 0 {
			t.Errorf("%s fan-out = %+v; want %d runs to 100 subscribers", f.Transport, f, livebench.FanoutRuns)
		}
		for _, run := range f.Runs {
			if run.Received != 100 {
				t.Errorf("%s fan-out run %+v: want 100 received", f.Transport, run)
			}
		}
	}
}

// checkLiveVisible checks -quick's 20 publications shown over each
// transport.
func checkLiveVisible(t *testing.T, l *livebench.LiveResult) {
	t.Helper()
	if len(l.Visible) != len(livebench.Transports) {
		t.Fatalf("publish → visible = %+v; want one per transport", l.Visible)
	}
	for i, v := range l.Visible {
		if want := map[string]string{"sse": "sse", "ws": "websocket"}[livebench.Transports[i]]; v.Client != want {
			t.Errorf("the page's client used %q, want %q", v.Client, want)
		}
		if v.Transport != livebench.Transports[i] || v.Publications != 20 || v.Shown != 20 || v.P50 <= 0 || v.P99 < v.P50 {
			t.Errorf("publish → visible = %+v; want 20 shown over %s", v, livebench.Transports[i])
		}
	}
}

func TestLiveTargets(t *testing.T) {
	conns := func(tr string, n, held int, rss float64) livebench.LiveConns {
		return livebench.LiveConns{Transport: tr, Asked: n, Conns: n, Held: held, RSSPerConn: rss}
	}
	for _, tc := range []struct {
		name          string
		live          *livebench.LiveResult
		rss, p50, p99 Status
	}{
		{name: "nothing measured", rss: Skipped, p50: Skipped, p99: Skipped},
		{name: "both under", live: &livebench.LiveResult{Conns: []livebench.LiveConns{conns("sse", 20000, 20000, 15<<10), conns("ws", 20000, 20000, 12<<10)},
			Visible: []livebench.LiveVisible{{Transport: "sse", Publications: 200, Shown: 200, P50: 8 * time.Millisecond, P99: 30 * time.Millisecond},
				{Transport: "ws", Publications: 200, Shown: 200, P50: 6 * time.Millisecond, P99: 20 * time.Millisecond}}},
			rss: Met, p50: Met, p99: Met},
		{name: "one transport over, p99 over", live: &livebench.LiveResult{Conns: []livebench.LiveConns{conns("sse", 20000, 20000, 40<<10), conns("ws", 20000, 20000, 12<<10)},
			Visible: []livebench.LiveVisible{{Transport: "sse", Publications: 200, Shown: 200, P50: 8 * time.Millisecond, P99: 60 * time.Millisecond},
				{Transport: "ws", Publications: 200, Shown: 200, P50: 6 * time.Millisecond, P99: 20 * time.Millisecond}}},
			rss: Missed, p50: Met, p99: Missed},
		{name: "not all held, a publication not shown", live: &livebench.LiveResult{Conns: []livebench.LiveConns{conns("sse", 20000, 19990, 10<<10)},
			Visible: []livebench.LiveVisible{{Transport: "ws", Publications: 200, Shown: 199, P50: 8 * time.Millisecond, P99: 30 * time.Millisecond}}},
			rss: Missed, p50: Missed, p99: Missed},
		{name: "too few to judge", live: &livebench.LiveResult{Conns: []livebench.LiveConns{conns("sse", 200, 200, 10<<10), conns("ws", 200, 200, 10<<10)}},
			rss: Skipped, p50: Skipped, p99: Skipped},
		{name: "capped by the open-file limit", live: &livebench.LiveResult{FDLimit: 20000, Conns: []livebench.LiveConns{{Transport: "ws", Asked: 20000, Conns: 19936, Held: 19936, RSSPerConn: 14 << 10}}},
			rss: Met, p50: Skipped, p99: Skipped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Report{Live: tc.live}
			got := []Target{liveRSSTargetOf(r),
				liveVisibleTarget(r, "p50", maxLiveVisibleP50, func(v *livebench.LiveVisible) time.Duration { return v.P50 }),
				liveVisibleTarget(r, "p99", maxLiveVisibleP99, func(v *livebench.LiveVisible) time.Duration { return v.P99 })}
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

// TestLiveClusterTargets checks the cluster's targets, measured or not.
func TestLiveClusterTargets(t *testing.T) {
	vis := func(p50, p99 time.Duration, shown int) livebench.LiveVisible {
		return livebench.LiveVisible{Transport: "sse", Publications: 250, Shown: shown, P50: p50, P99: p99}
	}
	for _, tc := range []struct {
		name     string
		live     *livebench.LiveResult
		p50, p99 Status
		rss      Status
		figure   string
	}{
		{name: "not run", live: &livebench.LiveResult{}, p50: Skipped, p99: Skipped, rss: Skipped, figure: "-no-live-cluster"},
		{name: "no redis-server", live: &livebench.LiveResult{Cluster: &livebench.LiveCluster{Skipped: measure.ErrNoRedis.Error()}},
			p50: Skipped, p99: Skipped, rss: Skipped, figure: "apt-get install -y redis-server"},
		{name: "under", live: &livebench.LiveResult{Cluster: &livebench.LiveCluster{Visible: []livebench.LiveVisible{vis(5*time.Millisecond, 20*time.Millisecond, 250)},
			Conns: []livebench.LiveConns{{Transport: "ws", Asked: 20000, Conns: 20000, Held: 20000, RSSPerConn: 14 << 10}}}},
			p50: Met, p99: Met, rss: Met},
		{name: "between the one-instance and the cluster bounds", live: &livebench.LiveResult{Cluster: &livebench.LiveCluster{Visible: []livebench.LiveVisible{vis(22*time.Millisecond, 55*time.Millisecond, 250)}}},
			p50: Met, p99: Met, rss: Skipped},
		{name: "over, one not shown", live: &livebench.LiveResult{Cluster: &livebench.LiveCluster{Visible: []livebench.LiveVisible{vis(30*time.Millisecond, 61*time.Millisecond, 249)},
			Conns: []livebench.LiveConns{{Transport: "sse", Asked: 20000, Conns: 20000, Held: 20000, RSSPerConn: 40 << 10}}}},
			p50: Missed, p99: Missed, rss: Missed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Report{Live: tc.live}
			got := []Target{
				clusterVisibleTarget(r, "p50", maxClusterVisibleP50, func(v *livebench.LiveVisible) time.Duration { return v.P50 }),
				clusterVisibleTarget(r, "p99", maxClusterVisibleP99, func(v *livebench.LiveVisible) time.Duration { return v.P99 }),
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
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute) // a bound, not a figure: about 30 s on a quiet machine
	defer cancel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	limit, err := measure.RaiseNofile()
	if err != nil {
		t.Fatal(err)
	}
	browser := liveClientReady(t)
	if _, err := measure.ChromiumPath(); err != nil {
		browser = false
		t.Logf("no Chromium part: %v", err)
	}
	const subs, storm, conns, pubs = 300, 300, 200, 20
	o := livebench.ClusterOptions{Subs: subs, Storm: storm, StormGap: 100 * time.Millisecond, Conns: conns, Pubs: pubs, Browser: browser}
	start := time.Now()
	cl, err := livebench.MeasureCluster(ctx, exe, o, limit, 77, func(string) {})
	if errors.Is(err, measure.ErrNoRedis) {
		t.Fatal(err) // says how to install it
	}
	if err != nil {
		t.Fatalf("MeasureCluster: %v", err)
	}
	t.Logf("the cluster part took %v", time.Since(start).Round(time.Millisecond))

	checkClusterFanout(t, cl, subs)
	checkStorm(t, cl.Storm, storm)
	checkClusterConns(t, cl, conns)
	if browser {
		checkClusterVisible(t, cl, pubs)
	}
	checkClusterReport(t, cl, browser, conns)
}

// checkClusterFanout checks the fan-out through Redis to subs subscribers.
func checkClusterFanout(t *testing.T, cl *livebench.LiveCluster, subs int) {
	t.Helper()
	if f := cl.Fanout; f == nil || f.Subscribers != subs || len(f.Runs) != livebench.FanoutRuns || f.Last <= 0 || f.Rate <= 0 {
		t.Errorf("fan-out = %+v; want %d runs to %d subscribers", f, livebench.FanoutRuns, subs)
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
}

// checkStorm checks the reconnect storm of n connections.
func checkStorm(t *testing.T, s *livebench.LiveStorm, storm int) {
	t.Helper()
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
}

// checkClusterConns checks the idle connections with the Redis broker.
func checkClusterConns(t *testing.T, cl *livebench.LiveCluster, conns int) {
	t.Helper()
	if len(cl.Conns) != len(livebench.Transports) {
		t.Errorf("idle connections with Redis = %+v, want both transports", cl.Conns)
	}
	for _, c := range cl.Conns {
		if c.Held != conns || c.Errors != 0 || c.HeapPerConn <= 0 {
			t.Errorf("%s with Redis: %d held, %d errors, %.0f heap a connection; want %d held", c.Transport, c.Held, c.Errors, c.HeapPerConn, conns)
		}
	}
}

// checkClusterVisible checks publish → visible across instances.
func checkClusterVisible(t *testing.T, cl *livebench.LiveCluster, pubs int) {
	t.Helper()
	if len(cl.Visible) != len(livebench.Transports) {
		t.Fatalf("publish → visible across instances = %+v; want one per transport", cl.Visible)
	}
	for _, v := range cl.Visible {
		if v.Publications != pubs || v.Shown != pubs || v.P50 <= 0 || v.P99 < v.P50 {
			t.Errorf("publish → visible across instances = %+v; want %d shown", v, pubs)
		}
	}
}

// checkClusterReport checks the table and the targets of the figures.
func checkClusterReport(t *testing.T, cl *livebench.LiveCluster, browser bool, conns int) {
	t.Helper()
	r := &Report{Live: &livebench.LiveResult{Cluster: cl}}
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
