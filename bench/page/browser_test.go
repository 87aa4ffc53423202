package page

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// requireChromium skips t when no Chromium is installed, or fails it when
// CI=true.
func requireChromium(t *testing.T) {
	t.Helper()
	if _, err := measure.ChromiumPath(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v; CI=true requires it", err)
		}
		t.Skipf("%v; skipping (set CI=true to make this a failure)", err)
	}
}

// TestBrowserMeasure loads a two-pagelet page (50 ms, 1500 ms) pipelined and
// serial. Only what follows from the modes themselves is asserted, with no
// upper bound tighter than the slow pagelet: the pipelined fast pagelet must
// not wait for the slow one; serial shows nothing before both are ready.
func TestBrowserMeasure(t *testing.T) {
	requireChromium(t)
	srv := testServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	const slow = 1500 * time.Millisecond // far above the browser's floor, even on a loaded machine
	sc := Scenario{Name: "test", Delays: []time.Duration{50 * time.Millisecond, slow}}
	var msgs []string
	start := time.Now()
	res, floor, err := measureBrowser(ctx, srv.URL, sc, []Mode{Pipelined, Serial}, 1, func(s string) { msgs = append(msgs, s) })
	if err != nil {
		t.Fatalf("measureBrowser: %v", err)
	}
	t.Logf("took %v; floor FCP %v LCP %v", time.Since(start), floor.FCP, floor.LCP)
	for _, m := range []Mode{Pipelined, Serial} {
		for _, r := range res[m] {
			t.Logf("%-9s FCP %v LCP %v visible %v", m, r.FCP, r.LCP, r.Visible)
		}
	}

	if floor.FCP <= 0 {
		t.Errorf("floor FCP = %v, want > 0", floor.FCP)
	}
	if want := []string{
		"browser warm-up",
		"browser floor (zero-delay pipelined) run 1/1",
		"browser test pipelined run 1/1",
		"browser test serial run 1/1",
	}; strings.Join(msgs, "|") != strings.Join(want, "|") {
		t.Errorf("progress messages = %q, want %q", msgs, want)
	}
	for _, m := range []Mode{Pipelined, Serial} {
		if len(res[m]) != 1 {
			t.Fatalf("%s: %d runs, want 1", m, len(res[m]))
		}
		r := res[m][0]
		if len(r.Visible) != 2 {
			t.Fatalf("%s: %d visible times, want 2", m, len(r.Visible))
		}
		if r.FCP <= 0 {
			t.Errorf("%s: FCP = %v, want > 0", m, r.FCP)
		}
		if r.Visible[1] < slow {
			t.Errorf("%s: p1 visible at %v, before its %v delay", m, r.Visible[1], slow)
		}
		if r.RequestStart < 0 || r.RequestStart >= r.FCP {
			t.Errorf("%s: request sent at %v, want from 0 to before FCP (%v)", m, r.RequestStart, r.FCP)
		}
	}
	p := res[Pipelined][0]
	// Before p1, not before a fixed time: how long Chromium takes to paint
	// is the machine's to decide.
	if p.Visible[0] < 50*time.Millisecond || p.Visible[0] >= p.Visible[1] {
		t.Errorf("pipelined: p0 visible at %v, want from 50ms to before p1 (%v): it must not wait for p1", p.Visible[0], p.Visible[1])
	}
	s := res[Serial][0]
	if s.Visible[0] < slow {
		t.Errorf("serial: p0 visible at %v, want ≥ %v (serial sends nothing before every pagelet is ready)", s.Visible[0], slow)
	}
	if s.FCP < slow {
		t.Errorf("serial: FCP %v, want ≥ %v", s.FCP, slow)
	}
}

// TestBrowserCancelled checks a cancelled context stops the measurement
// before any browser starts.
func TestBrowserCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	sc := Scenario{Name: "x", Delays: []time.Duration{0}}
	if _, _, err := measureBrowser(ctx, "http://127.0.0.1:1", sc, []Mode{Pipelined}, 1, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestBrowserArgs(t *testing.T) {
	sc := Scenario{Name: "x", Delays: []time.Duration{0}}
	if _, _, err := measureBrowser(t.Context(), "http://127.0.0.1:1", sc, []Mode{"fast"}, 1, nil); err == nil {
		t.Error("unknown mode: no error")
	}
	if _, _, err := measureBrowser(t.Context(), "http://127.0.0.1:1", sc, Modes, 0, nil); err == nil {
		t.Error("runs 0: no error")
	}
	if _, _, err := measureBrowser(t.Context(), "http://127.0.0.1:1", Scenario{}, Modes, 1, nil); err == nil {
		t.Error("no delays: no error")
	}
}

func TestBrowserServedMode(t *testing.T) {
	tests := []struct {
		header string
		mode   Mode
		ok     bool
	}{
		{"", Pipelined, true},
		{"pipelined", Pipelined, true},
		{"inorder", Pipelined, false},
		{"inorder", Crawler, true},
		{"pipelined", Crawler, false},
	}
	for _, tc := range tests {
		h := network.Headers{}
		if tc.header != "" {
			h["x-bigpipe-mode"] = tc.header
		}
		if err := checkServedMode(h, tc.mode); (err == nil) != tc.ok {
			t.Errorf("checkServedMode(%q, %s) = %v, want ok=%v", tc.header, tc.mode, err, tc.ok)
		}
	}
}

func TestBrowserMedian(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{3 * ms}, 3 * ms},
		{[]time.Duration{5 * ms, 1 * ms, 3 * ms}, 3 * ms},
		{[]time.Duration{4 * ms, 1 * ms, 2 * ms, 3 * ms}, 2500 * time.Microsecond},
	} {
		if got := browserMedian(tc.in); got != tc.want {
			t.Errorf("browserMedian(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestProbeCountsOnlyVisible loads a page whose markers are present from the
// start but not visible: p0 in a <template> until 300 ms, p1 under a
// display:none ancestor until 500 ms, p2 at opacity 0 until 700 ms. The
// probe must report each no earlier than it was revealed.
func TestProbeCountsOnlyVisible(t *testing.T) {
	requireChromium(t)
	const page = `<!DOCTYPE html><html><head><title>probe</title></head><body>
<h1>probe test</h1>
<template id="t"><p>PAGELET-p0-READY</p></template>
<div id="h" style="display:none"><p>PAGELET-p1-READY</p></div>
<div id="o" style="opacity:0"><p>PAGELET-p2-READY</p></div>
<div id="slot"></div>
<script>
setTimeout(() => document.getElementById('slot').append(document.getElementById('t').content.cloneNode(true)), 300);
setTimeout(() => { document.getElementById('h').style.display = 'block'; }, 500);
setTimeout(() => { document.getElementById('o').style.opacity = '1'; }, 700);
</script></body></html>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, page)
	}))
	defer srv.Close()
	path, err := measure.ChromiumPath()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	b, err := startBenchBrowser(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	tctx, tcancel := chromedp.NewContext(b.Ctx, chromedp.WithNewBrowserContext())
	defer tcancel()
	if _, err := chromedp.Call(tctx, cdppage.AddScriptToEvaluateOnNewDocument,
		cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: browserProbe(3, 10*time.Second)}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tctx, chromedp.NavigateResponse(srv.URL)); err != nil {
		t.Fatal(err)
	}
	res, err := chromedp.Run(tctx, chromedp.Evaluate[probeResult](`window.__bpMeasure.done`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	run, err := res.run(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("request %v, FCP %v, visible %v (in the document at %v ms)", run.RequestStart, run.FCP, run.Visible, res.DOM)
	for i, shown := range []time.Duration{300 * time.Millisecond, 500 * time.Millisecond, 700 * time.Millisecond} {
		if run.Visible[i] < shown {
			t.Errorf("p%d visible at %v, before it was revealed at %v", i, run.Visible[i], shown)
		}
	}
	if res.DOM[1] < 0 || time.Duration(res.DOM[1]*float64(time.Millisecond)) >= 500*time.Millisecond {
		t.Errorf("p1 found in the document at %v ms, want before it was shown (it is there from the start)", res.DOM[1])
	}
}
