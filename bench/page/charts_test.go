package page

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestWriteCharts(t *testing.T) {
	r := goodReport()
	noBrowser := goodScenario("wire-only")
	noBrowser.Browser, noBrowser.BrowserFloor = nil, nil
	r.Scenarios = append(r.Scenarios, noBrowser)
	dir := t.TempDir()
	files, err := writeCharts(r, dir)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, sc := range []string{"a", "b", "wire-only"} {
		for _, c := range []string{"waterfall", "modes"} {
			want = append(want, filepath.Join(dir, c+"-"+sc+".svg"), filepath.Join(dir, c+"-"+sc+".png"))
		}
	}
	slices.Sort(want)
	slices.Sort(files)
	if !slices.Equal(files, want) {
		t.Fatalf("files = %q, want %q", files, want)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(f) {
		case ".svg":
			head := b[:min(len(b), 200)]
			if !bytes.HasPrefix(head, []byte("<?xml")) || !bytes.Contains(head, []byte("<svg")) || !bytes.HasSuffix(bytes.TrimSpace(b), []byte("</svg>")) {
				t.Errorf("%s is not an SVG document: %q…", f, head)
			}
		case ".png":
			if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 1000 {
				t.Errorf("%s is not a PNG (%d bytes)", f, len(b))
			}
		}
	}
}

func TestWaterfallNothingToDraw(t *testing.T) {
	p, _, err := waterfallChart(&ScenarioResult{Scenario: Scenario{Name: "x", Delays: []time.Duration{msec}}})
	if err != nil || p != nil {
		t.Errorf("waterfallChart without figures = %v, %v; want nil, nil", p, err)
	}
}

func TestMSTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   []string // labelled ticks
	}{
		{0, 2080, []string{"0", "500", "1000", "1500", "2000"}},
		{0, 260, []string{"0", "50", "100", "150", "200", "250"}},
		{0, 1, []string{"0", "0.2", "0.4", "0.6", "0.8", "1"}},
		{5, 5, []string{"5"}},
	} {
		var got []string
		for _, tk := range (msTicks{}).Ticks(tc.lo, tc.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Ticks(%g, %g) = %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
}
