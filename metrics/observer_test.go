package metrics_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/a-h/templ"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

const chromeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// renderServer serves the pages pf builds on loopback, observed by fresh
// metrics. Closing the server (done by its cleanup, or by the test) waits
// for every handler, so the metrics are final afterwards.
func renderServer(t *testing.T, pf render.PageFunc, opts ...render.Option) (*httptest.Server, *prometheus.Registry) {
	t.Helper()
	files, err := assets.New(fstest.MapFS{"bigpipe.js": {Data: []byte("window.bigPipe = {};")}})
	if err != nil {
		t.Fatal(err)
	}
	m, reg := newMetrics(t)
	opts = append([]render.Option{render.WithObserver(m), render.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	rd, err := render.New(files, opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rd.Page(pf))
	t.Cleanup(srv.Close)
	return srv, reg
}

// get requests url as Chrome (pipelined), reading the whole body.
func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	req.Header.Set("User-Agent", chromeUA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestObservedPage renders a real page of one good and one failing pagelet
// through a loopback server and checks what the metrics counted.
func TestObservedPage(t *testing.T) {
	page := &pagelet.Page{
		Title: "Observed",
		Layout: func(slot pagelet.Slot) templ.Component {
			return templ.Join(slot("good"), slot("bad"))
		},
		Pagelets: []pagelet.Pagelet{
			{ID: "good", Load: pagelet.Static(templ.Raw("<p>good</p>"))},
			{ID: "bad", Load: func(context.Context) (templ.Component, error) { return nil, errors.New("backend down") }},
		},
	}
	srv, reg := renderServer(t, func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return page, nil })
	const n = 3
	for range n {
		if resp, body := get(t, srv.URL); resp.StatusCode != 200 || !strings.HasSuffix(body, "</html>") {
			t.Fatalf("GET: %d, body ends %q", resp.StatusCode, body[max(0, len(body)-20):])
		}
	}
	srv.Close() // every handler has returned: PageDone has run

	const want = `
# HELP bigpipe_requests_total Requests answered by the renderer, by mode, HTTP status and outcome.
# TYPE bigpipe_requests_total counter
bigpipe_requests_total{mode="pipelined",outcome="complete",status="200"} 3
# HELP bigpipe_pagelet_failures_total Pagelets that showed their fallback, by pagelet id and kind of failure.
# TYPE bigpipe_pagelet_failures_total counter
bigpipe_pagelet_failures_total{kind="error",pagelet="bad"} 3
# HELP bigpipe_pages_in_flight Requests the renderer is answering now.
# TYPE bigpipe_pages_in_flight gauge
bigpipe_pages_in_flight 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "bigpipe_requests_total", "bigpipe_pagelet_failures_total", "bigpipe_pages_in_flight"); err != nil {
		t.Error(err)
	}
	for _, tc := range []struct {
		metric, pagelet string
		want            uint64
	}{
		{"bigpipe_pagelet_fetch_seconds", "good", n},
		{"bigpipe_pagelet_fetch_seconds", "bad", n},
		{"bigpipe_pagelet_render_seconds", "good", n},
		{"bigpipe_pagelet_render_seconds", "bad", 0},
		{"bigpipe_pagelet_queue_seconds", "good", n},
	} {
		if got := sampleCount(t, reg, tc.metric, tc.pagelet); got != tc.want {
			t.Errorf("%s{pagelet=%q}: %d samples, want %d", tc.metric, tc.pagelet, got, tc.want)
		}
	}
	if got := histCount(t, reg, "bigpipe_skeleton_seconds"); got != n {
		t.Errorf("bigpipe_skeleton_seconds: %d samples, want %d", got, n)
	}
	if got := histCount(t, reg, "bigpipe_page_duration_seconds"); got != n {
		t.Errorf("bigpipe_page_duration_seconds: %d samples, want %d", got, n)
	}
}

// TestObservedShed runs a renderer with room for one page's fetches: while
// a page waits on its gated pagelet, the next is shed with a 503, and the
// metrics count one shed and one complete page.
func TestObservedShed(t *testing.T) {
	gate := make(chan struct{})
	page := &pagelet.Page{
		Title:  "Gated",
		Layout: func(slot pagelet.Slot) templ.Component { return templ.Join(slot("a"), slot("b")) },
		Pagelets: []pagelet.Pagelet{
			{ID: "a", Load: waitFor(gate), Timeout: 10 * time.Second},
			{ID: "b", Load: waitFor(gate), Timeout: 10 * time.Second},
		},
	}
	srv, reg := renderServer(t, func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return page, nil },
		render.WithLimits(render.Limits{Fetches: 1, Queue: 1}))

	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL, nil)
	req.Header.Set("User-Agent", chromeUA)
	first, err := http.DefaultClient.Do(req) // returns once the skeleton is out: the page is admitted
	if err != nil {
		t.Fatal(err)
	}
	defer first.Body.Close()
	if got := gathered(t, reg, "bigpipe_pages_in_flight"); got != 1 {
		t.Errorf("in flight with the first page waiting = %v, want 1", got)
	}

	resp, _ := get(t, srv.URL)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("second page: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	close(gate)
	if b, err := io.ReadAll(first.Body); err != nil || !strings.HasSuffix(string(b), "</html>") {
		t.Errorf("first page: %v, incomplete", err)
	}
	srv.Close()

	for name, want := range map[string]float64{
		"bigpipe_shed_requests_total": 1,
		"bigpipe_pages_in_flight":     0,
		"bigpipe_requests_total":      2,
	} {
		if got := gathered(t, reg, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}

// waitFor is a Load that renders once gate is closed.
func waitFor(gate <-chan struct{}) func(context.Context) (templ.Component, error) {
	return func(ctx context.Context) (templ.Component, error) {
		select {
		case <-gate:
			return templ.Raw("<p>ready</p>"), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// histCount returns the samples of every series of a histogram family.
func histCount(t *testing.T, reg *prometheus.Registry, name string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				n += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return n
}
