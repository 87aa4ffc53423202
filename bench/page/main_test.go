package page

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestUnknownScenarioFails(t *testing.T) {
	var stdout bytes.Buffer
	err := Run(t.Context(), []string{"-scenarios", "nope", "-no-browser", "-no-load", "-out", t.TempDir()}, &stdout, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `unknown scenario "nope"`) {
		t.Fatalf("err = %v, want an unknown scenario", err)
	}
}

// TestFrontProbeFlag: -front-probe prints the probe TestFrontPageVisits
// runs in Chromium, filled in, for another browser's driver.
func TestFrontProbeFlag(t *testing.T) {
	var stdout bytes.Buffer
	if err := Run(t.Context(), []string{"-front-probe"}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	got := stdout.String()
	if got != frontProbe(FrontPagelets, frontBudget) {
		t.Errorf("-front-probe printed %d bytes, not the probe the bench installs", len(got))
	}
	for _, want := range []string{"window.__bpFront", `"hotnews"`, `"weather"`} {
		if !strings.Contains(got, want) {
			t.Errorf("probe lacks %s", want)
		}
	}
	if strings.Contains(got, "__IDS__") || strings.Contains(got, "__BUDGET__") {
		t.Error("probe has a placeholder left")
	}
}

func TestPlan(t *testing.T) {
	c, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	scs, err := selectScenarios("", "", false)
	if err != nil {
		t.Fatal(err)
	}
	var total time.Duration
	var names []string
	for _, ph := range plan(c, scs) {
		total += ph.Est
		names = append(names, ph.Name)
		if ph.Steps < 1 || ph.Est <= 0 {
			t.Errorf("phase %s: %d steps, %v", ph.Name, ph.Steps, ph.Est)
		}
	}
	if want := []string{"warm-up",
		"wire default", "wire reversed", "wire equal", "wire one-slow", "wire many", "wire zero",
		"browser default", "browser reversed", "browser equal", "browser one-slow", "browser many", "browser zero",
		"front-page", "nojs", "load", "capacity", "cache", "live"}; !slices.Equal(names, want) {
		t.Errorf("phases = %q, want %q", names, want)
	}
	// 10 minutes before the cache section (issue 24), which adds about 2.
	if total > 12*time.Minute {
		t.Errorf("the default run is estimated at %v, want it within 12 minutes", total)
	}
}

// TestSmoke runs the whole pipeline in-process with tiny settings: one
// run of a 10 ms, 30 ms page in every mode, no browser and no load.
func TestSmoke(t *testing.T) {
	out := t.TempDir()
	cfg, err := parseFlags([]string{"-quick", "-no-browser", "-no-load", "-no-live", "-delays", "10,30", "-runs", "1", "-out", out}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	r, err := runBench(t.Context(), cfg, &stdout, &stderr)
	if err != nil {
		t.Fatalf("runBench: %v\n%s", err, stderr.String())
	}
	if len(r.Scenarios) != 1 || r.Scenarios[0].Name != "custom" {
		t.Fatalf("scenarios = %+v, want the custom one", r.Scenarios)
	}
	sc := r.Scenarios[0]
	for _, m := range Modes {
		ws := sc.Wire[m]
		if ws == nil || len(ws.Runs) != 1 || len(ws.Markers) != 2 {
			t.Fatalf("%s: wire figures %+v, want 1 run with 2 markers", m, ws)
		}
		if ws.Bytes == 0 || ws.Chunks == 0 || ws.Last.Median < ws.TTFB.Median {
			t.Errorf("%s: bytes %d, chunks %d, first byte %v, last %v", m, ws.Bytes, ws.Chunks, ws.TTFB, ws.Last)
		}
	}
	if p := sc.Wire[Pipelined]; p.Markers[0].Median < 10*time.Millisecond || p.Markers[1].Median < 30*time.Millisecond {
		t.Errorf("pipelined markers %v, %v: before their delays (10 ms, 30 ms)", p.Markers[0].Median, p.Markers[1].Median)
	}
	if p := sc.Wire[Pipelined]; p.TTFB.Median >= p.Markers[0].Median {
		t.Errorf("pipelined first byte %v not before the first marker %v", p.TTFB, p.Markers[0].Median)
	}
	if s := sc.Wire[Serial]; s.TTFB.Median < 30*time.Millisecond {
		t.Errorf("serial first byte %v, want at least the slowest delay, 30 ms", s.TTFB.Median)
	}
	if len(r.Targets) != 21 {
		t.Errorf("%d targets, want 21", len(r.Targets))
	}
	for _, tg := range r.Targets {
		if strings.HasPrefix(tg.Goal, "Chromium") || strings.Contains(tg.Goal, "throughput") || strings.Contains(tg.Goal, "in-flight") || strings.HasPrefix(tg.Goal, "live") || strings.HasPrefix(tg.Goal, "cache") {
			if tg.Status != Skipped {
				t.Errorf("%s = %s without the browser and load parts, want SKIPPED", tg.Goal, tg.Status)
			}
		}
	}
	for _, f := range []string{"latest.json", "latest.txt", "waterfall-custom.svg", "waterfall-custom.png", "modes-custom.svg", "modes-custom.png"} {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := readJSON(filepath.Join(out, "latest.json")); err != nil {
		t.Error(err)
	}
	for _, want := range []string{"== custom: delays 10,30 ms", "== Targets", "SKIPPED"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, stdout.String())
		}
	}
	if !strings.Contains(stderr.String(), "estimated") || !strings.Contains(stderr.String(), "wire custom pipelined run 1/1") {
		t.Errorf("progress on stderr lacks the estimate or a step:\n%s", stderr.String())
	}
}
