package page

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/cachebench"
	"github.com/bigpipe-go/bigpipe/bench/livebench"
)

const msec = time.Millisecond

// wireOf is the wire figures of one mode whose every run measured the same.
func wireOf(ttfb time.Duration, markers []time.Duration, last time.Duration) *WireStats {
	run := WireRun{TTFB: ttfb, Markers: markers, Last: last, Bytes: 1000, Chunks: len(markers) + 1}
	return wireStats([]WireRun{run, run, run}, len(markers))
}

// browserOf is the browser figures of one mode whose every run measured the
// same, with the document request sent 5 ms after navigation start.
func browserOf(fcp time.Duration, visible []time.Duration) *BrowserStats {
	run := BrowserRun{RequestStart: 5 * msec, FCP: fcp, LCP: fcp, Visible: visible}
	return browserStats([]BrowserRun{run, run, run}, len(visible))
}

// goodScenario is a 50 ms, 100 ms scenario that meets every target.
func goodScenario(name string) *ScenarioResult {
	return &ScenarioResult{
		Scenario: Scenario{Name: name, Delays: []time.Duration{50 * msec, 100 * msec}},
		Wire: map[Mode]*WireStats{
			Serial:    wireOf(101*msec, []time.Duration{101 * msec, 101 * msec}, 101*msec),
			Pipelined: wireOf(1*msec, []time.Duration{51 * msec, 101 * msec}, 102*msec),
		},
		Browser: map[Mode]*BrowserStats{
			Pipelined: browserOf(130*msec, []time.Duration{130 * msec, 150 * msec}),
		},
		BrowserFloor: &BrowserFloor{FCP: 125 * msec, LCP: 125 * msec},
	}
}

func goodReport() *Report {
	return &Report{
		Modes:     Modes,
		Scenarios: []*ScenarioResult{goodScenario("a"), goodScenario("b")},
		Load: []LoadResult{
			{Mode: Serial, Concurrency: 1, RPS: 1000}, {Mode: Pipelined, Concurrency: 1, RPS: 900},
			{Mode: Serial, Concurrency: 16, RPS: 2000}, {Mode: Pipelined, Concurrency: 16, RPS: 1900},
		},
		Capacity: []CapacityResult{
			{Conns: 1000, Held: 1000, Completed: 1000, RSSPerPage: 30 << 10},
			{Conns: 10000, Held: 10000, Completed: 10000, RSSPerPage: 40 << 10},
		},
		FrontPage: goodFrontPage(),
		Live: &livebench.LiveResult{
			Conns: []livebench.LiveConns{
				{Transport: "sse", Asked: 20000, Conns: 20000, Held: 20000, RSSPerConn: 15 << 10},
				{Transport: "ws", Asked: 20000, Conns: 20000, Held: 20000, RSSPerConn: 12 << 10},
			},
			Visible: []livebench.LiveVisible{{Transport: "sse", Publications: 200, Shown: 200, P50: 8 * msec, P99: 30 * msec}},
			Cluster: &livebench.LiveCluster{
				Visible: []livebench.LiveVisible{{Transport: "sse", Publications: 200, Shown: 200, P50: 10 * msec, P99: 40 * msec}},
				Conns:   []livebench.LiveConns{{Transport: "ws", Asked: 20000, Conns: 20000, Held: 20000, RSSPerConn: 12 << 10}},
			},
		},
		Cache: goodCache(),
	}
}

// goodCache meets every cache target: the cached page at 70 % of the
// limit, one load per pagelet, the front page cached at 150 % of the
// serial page with a p99 of 15 ms, staleness p99 30 ms.
func goodCache() *cachebench.Result {
	calls := map[string]uint64{"hotnews": 2, "weather": 1}
	return &cachebench.Result{
		Limit: &cachebench.LimitResult{Conns: 32, Rows: []cachebench.Row{
			{Name: cachebench.RowLimit, Requests: 100, RPS: 10000}, {Name: cachebench.RowCached, Requests: 70, RPS: 7000}, {Name: cachebench.RowUncached, Requests: 50, RPS: 5000}}},
		Herd: &cachebench.HerdResult{Requests: 1000, Whole: 1000, Loads: map[string]uint64{"hotnews": 1, "weather": 1}, Calls: calls, OnePage: maps.Clone(calls)},
		Front: &cachebench.FrontResult{Conns: 64, Rows: []cachebench.Row{
			{Name: cachebench.RowFrontCached, RPS: 1500, P50: 5 * msec, P99: 15 * msec},
			{Name: cachebench.RowFrontUncached, RPS: 100, P99: 400 * msec},
			{Name: cachebench.RowSerialZero, RPS: 1000, P99: 50 * msec}},
			PacedRate: 750, Paced: []cachebench.Row{
				{Name: cachebench.RowFrontCached, RPS: 750, P50: 2 * msec, P99: 8 * msec},
				{Name: cachebench.RowFrontUncached, RPS: 100, P99: 400 * msec}}},
		Staleness: &cachebench.StaleResult{Instances: 2, Pubs: 200, Seen: 200, P50: 5 * msec, P99: 30 * msec, Max: 40 * msec},
	}
}

// goodFrontPage has pipelined showing its last pagelet 10 ms after plain
// HTML, within a frame, cold and warm.
func goodFrontPage() *FrontPage {
	visits := func(first, last time.Duration) []FrontVisit {
		shown := make([]time.Duration, len(FrontPagelets))
		for i := range shown {
			shown[i] = first
		}
		shown[len(shown)-1] = last
		return []FrontVisit{{FCP: first, Shown: shown}}
	}
	return &FrontPage{Pagelets: FrontPagelets, Figures: []*FrontFigure{
		frontFigure(FrontPipelined, VisitCold, visits(130*msec, 150*msec)),
		frontFigure(FrontPlain, VisitCold, visits(130*msec, 140*msec)),
		frontFigure(FrontPipelined, VisitWarm, visits(100*msec, 110*msec)),
		frontFigure(FrontPlain, VisitWarm, visits(100*msec, 100*msec)),
	}}
}

// targetCase is one case of TestEvaluateTargets: a change to goodReport
// and the status it gives each target.
type targetCase struct {
	name   string
	change func(r *Report)
	want   []Status // by target, in order
	figure string   // part of the figure of the first target not MET; "" to skip
}

func TestEvaluateTargets(t *testing.T) {
	for _, tc := range append(wireTargetCases(), otherTargetCases()...) {
		t.Run(tc.name, func(t *testing.T) { checkTargets(t, tc) })
	}
}

// checkTargets evaluates the targets of goodReport changed by tc.
func checkTargets(t *testing.T, tc targetCase) {
	r := goodReport()
	tc.change(r)
	got := evaluateTargets(r)
	// The live targets, met in every case here, have TestLiveTargets;
	// the native one, not measured here, TestNativeVisibleTarget; the
	// cache's, met here, TestCacheTargets.
	tc.want = append(tc.want, Met, Met, Met, Met, Met, Met, Skipped, Met, Met, Met, Met, Met)
	if len(got) != len(tc.want) {
		t.Fatalf("%d targets, want %d", len(got), len(tc.want))
	}
	for i, tg := range got {
		if tg.Status != tc.want[i] {
			t.Errorf("target %d (%s) = %s (%s), want %s", i, tg.Goal, tg.Status, tg.Figure, tc.want[i])
		}
	}
	if tc.figure == "" {
		return
	}
	for _, tg := range got {
		if tg.Status != Met {
			if !strings.Contains(tg.Figure, tc.figure) {
				t.Errorf("figure of %q = %q, want it to contain %q", tg.Goal, tg.Figure, tc.figure)
			}
			return
		}
	}
}

// wireTargetCases are the cases of the wire and browser targets.
func wireTargetCases() []targetCase {
	return []targetCase{
		{"all met", func(*Report) {}, []Status{Met, Met, Met, Met, Met, Met, Met, Met, Met}, ""},
		{"slow pipelined first byte", func(r *Report) {
			r.Scenarios[1].Wire[Pipelined] = wireOf(6*msec, []time.Duration{51 * msec, 101 * msec}, 102*msec)
		}, []Status{Missed, Met, Met, Met, Met, Met, Met, Met, Met}, "worst b: 6.0 ms"},
		{"serial first byte before the slowest delay", func(r *Report) {
			r.Scenarios[0].Wire[Serial] = wireOf(99*msec, []time.Duration{99 * msec, 99 * msec}, 99*msec)
		}, []Status{Met, Missed, Met, Met, Met, Met, Met, Met, Met}, "99.0 ms for a slowest delay of 100.0 ms"},
		{"late marker", func(r *Report) {
			r.Scenarios[0].Wire[Pipelined] = wireOf(1*msec, []time.Duration{56 * msec, 101 * msec}, 102*msec)
		}, []Status{Met, Met, Missed, Met, Met, Met, Met, Met, Met}, "p0 +6.0 ms"},
		{"late last byte", func(r *Report) {
			r.Scenarios[0].Wire[Pipelined] = wireOf(1*msec, []time.Duration{51 * msec, 101 * msec}, 111*msec)
		}, []Status{Met, Met, Met, Missed, Met, Met, Met, Met, Met}, "+11.0 ms"},
		{"FCP over the floor", func(r *Report) {
			r.Scenarios[1].Browser[Pipelined] = browserOf(146*msec, []time.Duration{146 * msec, 150 * msec})
		}, []Status{Met, Met, Met, Met, Missed, Met, Met, Met, Met}, "+21.0 ms over the floor"},
		{"pagelet late after the floor", func(r *Report) {
			r.Scenarios[1].Browser[Pipelined] = browserOf(130*msec, []time.Duration{130 * msec, 156 * msec})
		}, []Status{Met, Met, Met, Met, Met, Missed, Met, Met, Met}, "p1 +31.0 ms after it was due at 125.0 ms"},
		{"pagelet late after its request and delay", func(r *Report) {
			r.Scenarios[1].BrowserFloor = &BrowserFloor{FCP: 40 * msec, LCP: 40 * msec}
			r.Scenarios[1].Browser[Pipelined] = browserOf(50*msec, []time.Duration{60 * msec, 136 * msec}) // due at 5+100
		}, []Status{Met, Met, Met, Met, Met, Missed, Met, Met, Met}, "p1 +31.0 ms after it was due at 105.0 ms"},
		{"pagelet in time after its request and delay", func(r *Report) {
			r.Scenarios[1].BrowserFloor = &BrowserFloor{FCP: 40 * msec, LCP: 40 * msec}
			r.Scenarios[1].Browser[Pipelined] = browserOf(50*msec, []time.Duration{60 * msec, 134 * msec})
		}, []Status{Met, Met, Met, Met, Met, Met, Met, Met, Met}, ""},
		{"no browser", func(r *Report) {
			for _, sc := range r.Scenarios {
				sc.Browser, sc.BrowserFloor = nil, nil
			}
		}, []Status{Met, Met, Met, Met, Skipped, Skipped, Met, Met, Met}, "not measured: a, b"},
		{"browser failed in one scenario", func(r *Report) {
			r.Scenarios[1].Browser, r.Scenarios[1].BrowserFloor, r.Scenarios[1].BrowserError = nil, nil, "boom"
		}, []Status{Met, Met, Met, Met, Skipped, Skipped, Met, Met, Met}, "not measured: b"},
		{"missed beats skipped", func(r *Report) {
			r.Scenarios[1].Browser, r.Scenarios[1].BrowserFloor = nil, nil
			r.Scenarios[0].Browser[Pipelined] = browserOf(200*msec, []time.Duration{130 * msec, 150 * msec})
		}, []Status{Met, Met, Met, Met, Missed, Skipped, Met, Met, Met}, "+75.0 ms"},
	}
}

// otherTargetCases are the cases of the load, capacity and front-page targets.
func otherTargetCases() []targetCase {
	return []targetCase{
		{"throughput below 90 %", func(r *Report) {
			r.Load[3].RPS = 1300
		}, []Status{Met, Met, Met, Met, Met, Met, Missed, Met, Met}, "c=16: 65 %"},
		{"pipelined load errors", func(r *Report) {
			r.Load[1].Errors = 3
		}, []Status{Met, Met, Met, Met, Met, Met, Missed, Met, Met}, "3 pipelined errors"},
		{"no load", func(r *Report) {
			r.Load, r.LoadError = nil, "not built yet"
		}, []Status{Met, Met, Met, Met, Met, Met, Skipped, Met, Met}, "not built yet"},
		{"capacity errors", func(r *Report) {
			r.Capacity[1].Errors, r.Capacity[1].Held = 5, 9995
		}, []Status{Met, Met, Met, Met, Met, Met, Met, Missed, Met}, "9995 of 10000 held, 5 errors"},
		{"capacity too much RSS", func(r *Report) {
			r.Capacity[1].RSSPerPage = 64 << 10
		}, []Status{Met, Met, Met, Met, Met, Met, Met, Missed, Met}, "64.0 KiB RSS"},
		{"capacity only small", func(r *Report) {
			r.Capacity = r.Capacity[:1]
		}, []Status{Met, Met, Met, Met, Met, Met, Met, Skipped, Met}, "only 1000 pages tried"},
		{"no capacity", func(r *Report) {
			r.Capacity = nil
		}, []Status{Met, Met, Met, Met, Met, Met, Met, Skipped, Met}, "no data"},
		{"front page: pipelined cold a frame late", func(r *Report) {
			r.FrontPage.Figures[0].Last.Median = 157 * msec
		}, []Status{Met, Met, Met, Met, Met, Met, Met, Met, Missed}, "cold: +17.0 ms (pipelined 157.0 ms, plain 140.0 ms"},
		{"front page: shown unstyled", func(r *Report) {
			r.FrontPage.Figures[2].Unstyled = 1
		}, []Status{Met, Met, Met, Met, Met, Met, Met, Met, Missed}, "1 runs showed a pagelet unstyled"},
		{"front page: no warm figures", func(r *Report) {
			r.FrontPage.Figures = r.FrontPage.Figures[:2]
		}, []Status{Met, Met, Met, Met, Met, Met, Met, Met, Skipped}, "not measured: warm"},
		{"front page failed", func(r *Report) {
			r.FrontPage = &FrontPage{Error: "boom"}
		}, []Status{Met, Met, Met, Met, Met, Met, Met, Met, Skipped}, "not measured: cold, warm (boom)"},
		{"no scenarios", func(r *Report) {
			r.Scenarios = nil
		}, []Status{Skipped, Skipped, Skipped, Skipped, Skipped, Skipped, Met, Met, Met}, "no data"},
	}
}

// TestNativeVisibleTarget: the native mode's pagelets are held to the
// pipelined ones' rule, in the scenarios with native figures.
func TestNativeVisibleTarget(t *testing.T) {
	for _, tc := range []struct {
		name    string
		visible []time.Duration
		want    Status
	}{
		{"in time", []time.Duration{130 * msec, 150 * msec}, Met},
		{"late", []time.Duration{130 * msec, 156 * msec}, Missed}, // p1 due at 125 (the floor): +31
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := goodReport()
			for _, sc := range r.Scenarios {
				sc.Browser[Native] = browserOf(130*msec, tc.visible)
			}
			got := evaluateTargets(r)
			last := got[len(got)-6] // before the cache's five
			if !strings.Contains(last.Goal, "native") || last.Status != tc.want {
				t.Errorf("%s = %s (%s), want %s", last.Goal, last.Status, last.Figure, tc.want)
			}
		})
	}
}

// TestPaintLag checks the browser's share of a late pagelet is given for
// the pipelined and the inline-HTML page alike, from the wire time plus
// the request start to the paint.
func TestPaintLag(t *testing.T) {
	sc := goodScenario("a")
	sc.Wire[InOrder] = wireOf(1*msec, []time.Duration{51 * msec, 101 * msec}, 102*msec)
	sc.Browser[InOrder] = browserOf(130*msec, []time.Duration{100 * msec, 140 * msec})
	got := paintLag(sc, 1)
	// pipelined: 150 - (5 + 101); inorder: 140 - (5 + 101)
	if want := "; from its bytes to its paint: pipelined +44.0 ms, inline HTML (inorder) +34.0 ms"; got != want {
		t.Errorf("paintLag = %q, want %q", got, want)
	}
	delete(sc.Browser, InOrder)
	delete(sc.Browser, Pipelined)
	if got := paintLag(sc, 1); got != "" {
		t.Errorf("paintLag without browser figures = %q, want empty", got)
	}
}

// TestCacheTargets: each cache target missed or skipped as its figures say.
func TestCacheTargets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(c *cachebench.Result)
		want   []Status
		figure string
	}{
		{"all met", func(*cachebench.Result) {}, []Status{Met, Met, Met, Met, Met}, ""},
		{"cached page under 60 % of the limit", func(c *cachebench.Result) { c.Limit.Rows[1].RPS = 5900 },
			[]Status{Missed, Met, Met, Met, Met}, "59 % (5900 vs 10000 rps at c=32)"},
		{"wrk's ratio is the lower", func(c *cachebench.Result) {
			c.Limit.Wrk = []cachebench.WrkRow{{Name: cachebench.RowLimit, RPS: 20000}, {Name: cachebench.RowCached, RPS: 9000}, {Name: cachebench.RowUncached, RPS: 7000}}
		}, []Status{Missed, Met, Met, Met, Met}, "wrk 45 % (9000 vs 20000 rps)"},
		{"errors on the cached page", func(c *cachebench.Result) { c.Limit.Rows[1].Errors = 1 },
			[]Status{Missed, Met, Met, Met, Met}, "1 errors"},
		{"a pagelet loaded twice", func(c *cachebench.Result) { c.Herd.Loads["weather"] = 2; c.Herd.Calls["weather"] = 2 },
			[]Status{Met, Missed, Met, Met, Met}, "at most 2 load of a pagelet (weather)"},
		{"a page not whole", func(c *cachebench.Result) { c.Herd.Whole = 999 },
			[]Status{Met, Missed, Met, Met, Met}, "999 whole"},
		{"front page cached under 90 % of serial", func(c *cachebench.Result) { c.Front.Rows[0].RPS = 800 },
			[]Status{Met, Met, Missed, Met, Met}, "80 % (800 vs 1000 rps)"},
		{"front page p99 at 20 ms", func(c *cachebench.Result) { c.Front.Paced[0].P99 = 20 * msec },
			[]Status{Met, Met, Met, Missed, Met}, "p99 20.0 ms (p50 2.0 ms) at 750 pages/s"},
		{"front page saturated p99 not judged", func(c *cachebench.Result) { c.Front.Rows[0].P99 = 50 * msec },
			[]Status{Met, Met, Met, Met, Met}, ""},
		{"front page not paced", func(c *cachebench.Result) { c.Front.Paced = nil },
			[]Status{Met, Met, Met, Skipped, Met}, "not measured: c=64"},
		{"a publication not served", func(c *cachebench.Result) { c.Staleness.Seen = 199 },
			[]Status{Met, Met, Met, Met, Missed}, "199 of 200"},
		{"staleness p99 over 100 ms", func(c *cachebench.Result) { c.Staleness.P99 = 101 * msec },
			[]Status{Met, Met, Met, Met, Missed}, "p99 101.0 ms"},
		{"no redis-server", func(c *cachebench.Result) {
			c.Staleness = &cachebench.StaleResult{Skipped: "redis-server not installed"}
		},
			[]Status{Met, Met, Met, Met, Skipped}, "not measured: redis-server not installed"},
		{"no herd, no front page", func(c *cachebench.Result) { c.Herd, c.Front = nil, nil },
			[]Status{Met, Skipped, Skipped, Skipped, Met}, "no data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := goodReport()
			tc.change(r.Cache)
			got := cacheTargets(r)
			if len(got) != len(tc.want) {
				t.Fatalf("%d targets, want %d", len(got), len(tc.want))
			}
			for i, tg := range got {
				if tg.Status != tc.want[i] {
					t.Errorf("target %d (%s) = %s (%s), want %s", i, tg.Goal, tg.Status, tg.Figure, tc.want[i])
				}
				if tg.Status != Met && tc.figure != "" && !strings.Contains(tg.Figure, tc.figure) {
					t.Errorf("figure of %q = %q, want it to contain %q", tg.Goal, tg.Figure, tc.figure)
				}
			}
		})
	}
	r := &Report{CacheError: "boom"}
	for _, tg := range cacheTargets(r) {
		if tg.Status != Skipped || tg.Figure != "no data: boom" {
			t.Errorf("%s = %s (%s) without a cache section, want SKIPPED, no data: boom", tg.Goal, tg.Status, tg.Figure)
		}
	}
}
