package page

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestFrontPageVisits visits the demo's front page in headless Chromium in
// both modes, cold and warm (3 runs each; BIGPIPE_FRONT_RUNS sets another
// number), and logs the figures and the target's verdict. It asserts what
// holds on any machine, however loaded: every pagelet of both modes is
// displayed, never before the first paint nor unstyled; timings are bench
// figures (go run ./bench -front-only), not asserted here.
func TestFrontPageVisits(t *testing.T) {
	requireChromium(t)
	runs := 3
	if s := os.Getenv("BIGPIPE_FRONT_RUNS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("BIGPIPE_FRONT_RUNS=%q: want a positive number", s)
		}
		runs = n
	}
	srv := testServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	fp, err := measureFrontPage(ctx, srv.URL, runs, nil)
	if err != nil {
		t.Fatalf("measureFrontPage: %v", err)
	}
	if len(fp.Figures) != 4 {
		t.Fatalf("%d figures, want 4 (2 modes × cold, warm)", len(fp.Figures))
	}
	for _, fg := range fp.Figures {
		t.Logf("%-9s %s: FCP %s first %s last %s (medians of %d)", fg.Mode, fg.Visit,
			fmtMS(fg.FCP.Median), fmtMS(fg.First.Median), fmtMS(fg.Last.Median), len(fg.Runs))
		if len(fg.Runs) != runs {
			t.Errorf("%s %s: %d runs, want %d", fg.Mode, fg.Visit, len(fg.Runs), runs)
		}
		for i, r := range fg.Runs {
			if len(r.Unstyled) > 0 {
				t.Errorf("%s %s run %d: shown unstyled: %v", fg.Mode, fg.Visit, i, r.Unstyled)
			}
			for k, at := range r.Shown {
				// Element Timing and FCP share a clock coarsened to 4 ms.
				if at+4*time.Millisecond < r.FCP {
					t.Errorf("%s %s run %d: %s shown at %v, before the first paint at %v", fg.Mode, fg.Visit, i, FrontPagelets[k], at, r.FCP)
				}
			}
		}
	}
	tg := frontTarget(fp)
	t.Logf("%s %s: %s", tg.Status, tg.Goal, tg.Figure)
	if tg.Status == Skipped {
		t.Errorf("target skipped: %s", tg.Figure)
	}
}
