package e2e_test

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
	"github.com/bigpipe-go/bigpipe/static"
)

// TestTimingsInDevTools loads the home page with Server-Timing on, one
// backend slow, in Chromium: the navigation's serverTiming lists the
// preflight and the layout, and the slow pagelet, which arrives after the
// first byte, leaves a bigpipe:arrive mark carrying its server-side fetch
// time, next to the runtime's bigpipe:shown mark.
func TestTimingsInDevTools(t *testing.T) {
	st, err := store.OpenMemory(store.WithLatency(map[string]time.Duration{"finance": 300 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	reg, err := assets.New(static.FS, pages.Bundles()...)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := render.New(reg, render.WithLogger(slog.New(slog.DiscardHandler)), render.WithCSP(true), render.WithServerTiming(true))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pages.Routes(rd, reg, pages.NewSite(st)))
	t.Cleanup(srv.Close)

	tb := newTab(t)
	tb.Navigate(t, srv.URL+"/")
	requireBigPipe(t, tb)
	tb.waitDone(t)

	names := eval[string](t, tb, `performance.getEntriesByType("navigation")[0].serverTiming.map(e => e.name).join(",")`)
	for _, want := range []string{"preflight", "layout"} {
		if !strings.Contains(names, want) {
			t.Errorf("navigation serverTiming %q lacks %q", names, want)
		}
	}
	fetch := eval[float64](t, tb, `(() => {
		const m = performance.getEntriesByName("bigpipe:arrive:finance", "mark")[0];
		return m && m.detail ? m.detail.fetch : -1;
	})()`)
	if fetch < 300 {
		t.Errorf("bigpipe:arrive:finance fetch = %v ms, want a mark with the 300ms latency or more", fetch)
	}
	if n := eval[int](t, tb, `performance.getEntriesByName("bigpipe:shown:finance", "mark").length`); n != 1 {
		t.Errorf("%d bigpipe:shown:finance marks, want 1", n)
	}
}
