package page

import (
	"context"
	"testing"
	"time"
)

// TestNoJSVisit makes one JavaScript-off first visit in each mode in
// headless Chromium and checks what holds on any machine: the native page
// shows every pagelet, none before its delay, in one document request; the
// pipelined page needs three (itself, the no-JS redirect, the plain page)
// and shows nothing before its slowest pagelet is done. The times
// themselves are bench figures (go run ./bench), not asserted here.
func TestNoJSVisit(t *testing.T) {
	requireChromium(t)
	srv := testServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	figs, err := measureNoJS(ctx, srv.URL, 1, nil)
	if err != nil {
		t.Fatalf("measureNoJS: %v", err)
	}
	if len(figs) != 2 || figs[0].Mode != Native || figs[1].Mode != Pipelined {
		t.Fatalf("figures %+v, want native then pipelined", figs)
	}
	delays := []time.Duration{1600, 800, 400, 200, 100, 50}
	for _, f := range figs {
		t.Logf("%-9s last %s, %d documents", f.Mode, fmtMS(f.Last.Median), f.Requests[0])
		for i, s := range f.Shown {
			if d := delays[i] * time.Millisecond; s.Median < d {
				t.Errorf("%s: p%d shown at %s, before its delay %s", f.Mode, i, fmtMS(s.Median), fmtMS(d))
			}
			if f.Mode == Pipelined && s.Median < 1600*time.Millisecond {
				t.Errorf("pipelined without JavaScript: p%d shown at %s, before the slowest pagelet was done", i, fmtMS(s.Median))
			}
		}
	}
	if n := figs[0].Requests[0]; n != 1 {
		t.Errorf("native: %d document requests, want 1", n)
	}
	if n := figs[1].Requests[0]; n != 3 {
		t.Errorf("pipelined: %d document requests, want 3 (the page, /_bigpipe/nojs, the plain page)", n)
	}
}
