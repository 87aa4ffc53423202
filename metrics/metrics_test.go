package metrics_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/bigpipe-go/bigpipe/metrics"
	"github.com/bigpipe-go/bigpipe/render"
)

// newMetrics returns metrics on a fresh registry.
func newMetrics(t *testing.T, opts ...metrics.Option) (*metrics.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

// TestPageDone feeds finished pages and checks every page-level metric.
func TestPageDone(t *testing.T) {
	for _, tc := range []struct {
		name       string
		stats      render.PageStats
		want       string // bigpipe_requests_total and its friends, in text format
		skeletons  int    // samples in bigpipe_skeleton_seconds
		shed, gone float64
	}{
		{
			name:      "complete",
			stats:     render.PageStats{Mode: render.Pipelined, Status: 200, Outcome: render.Complete, Skeleton: 3 * time.Millisecond, Duration: 120 * time.Millisecond},
			want:      `bigpipe_requests_total{mode="pipelined",outcome="complete",status="200"} 1`,
			skeletons: 1,
		},
		{
			name:  "shed",
			stats: render.PageStats{Mode: render.InOrder, Status: 503, Outcome: render.Shed, Duration: time.Millisecond},
			want:  `bigpipe_requests_total{mode="inorder",outcome="shed",status="503"} 1`,
			shed:  1,
		},
		{
			name:      "client gone",
			stats:     render.PageStats{Mode: render.Serial, Status: 200, Outcome: render.ClientGone, Skeleton: time.Second, Duration: 2 * time.Second},
			want:      `bigpipe_requests_total{mode="serial",outcome="client_gone",status="200"} 1`,
			skeletons: 1,
			gone:      1,
		},
		{
			name:  "rejected",
			stats: render.PageStats{Mode: render.Pipelined, Status: 400, Outcome: render.Rejected},
			want:  `bigpipe_requests_total{mode="pipelined",outcome="rejected",status="400"} 1`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, reg := newMetrics(t)
			r := httptest.NewRequest("GET", "/", nil)
			m.PageStarted(r)
			m.PageDone(r, tc.stats)

			const head = "# HELP bigpipe_requests_total Requests answered by the renderer, by mode, HTTP status and outcome.\n# TYPE bigpipe_requests_total counter\n"
			if err := testutil.GatherAndCompare(reg, strings.NewReader(head+tc.want+"\n"), "bigpipe_requests_total"); err != nil {
				t.Error(err)
			}
			for name, want := range map[string]float64{
				"bigpipe_shed_requests_total":      tc.shed,
				"bigpipe_client_disconnects_total": tc.gone,
				"bigpipe_pages_in_flight":          0,
			} {
				if got := gathered(t, reg, name); got != want {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			if got := testutil.CollectAndCount(reg, "bigpipe_skeleton_seconds"); got != tc.skeletons {
				t.Errorf("bigpipe_skeleton_seconds: %d series, want %d", got, tc.skeletons)
			}
			if got := testutil.CollectAndCount(reg, "bigpipe_page_duration_seconds"); got != 1 {
				t.Errorf("bigpipe_page_duration_seconds: %d series, want 1", got)
			}
		})
	}
}

// TestInFlight checks the gauge follows PageStarted and PageDone.
func TestInFlight(t *testing.T) {
	m, reg := newMetrics(t)
	r := httptest.NewRequest("GET", "/", nil)
	for _, step := range []struct {
		start bool
		want  float64
	}{{true, 1}, {true, 2}, {false, 1}, {true, 2}, {false, 1}, {false, 0}} {
		if step.start {
			m.PageStarted(r)
		} else {
			m.PageDone(r, render.PageStats{Status: 200, Outcome: render.Complete})
		}
		if got := gathered(t, reg, "bigpipe_pages_in_flight"); got != step.want {
			t.Fatalf("in flight = %v, want %v", got, step.want)
		}
	}
}

// TestPageletDone feeds settled pagelets and checks which histograms and
// failure counters each one reaches.
func TestPageletDone(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		stats                  render.PageletStats
		queue, fetch, rendered uint64 // samples per histogram
		failure                string // kind counted, if any
	}{
		{"ok", render.PageletStats{ID: "news", Queue: time.Millisecond, Fetch: 40 * time.Millisecond, Render: time.Millisecond}, 1, 1, 1, ""},
		{"error", render.PageletStats{ID: "news", Fetch: 10 * time.Millisecond, Failure: render.FailError, Err: errors.New("down")}, 1, 1, 0, "error"},
		{"panic", render.PageletStats{ID: "news", Failure: render.FailPanic}, 1, 1, 0, "panic"},
		{"timeout", render.PageletStats{ID: "news", Fetch: time.Second, Failure: render.FailTimeout}, 1, 1, 0, "timeout"},
		{"no fetch slot", render.PageletStats{ID: "news", Queue: time.Second, Failure: render.FailTimeout}, 1, 1, 0, "timeout"},
		{"canceled", render.PageletStats{ID: "news", Failure: render.FailCanceled}, 0, 0, 0, "canceled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, reg := newMetrics(t)
			m.PageletDone(httptest.NewRequest("GET", "/", nil), tc.stats)
			for name, want := range map[string]uint64{
				"bigpipe_pagelet_queue_seconds":  tc.queue,
				"bigpipe_pagelet_fetch_seconds":  tc.fetch,
				"bigpipe_pagelet_render_seconds": tc.rendered,
			} {
				if got := sampleCount(t, reg, name, "news"); got != want {
					t.Errorf("%s{pagelet=news}: %d samples, want %d", name, got, want)
				}
			}
			var want float64
			if tc.failure != "" {
				want = 1
			}
			if got := gathered(t, reg, "bigpipe_pagelet_failures_total"); got != want {
				t.Errorf("failures = %v, want %v", got, want)
			}
			if tc.failure != "" {
				if got := labelOf(t, reg, "bigpipe_pagelet_failures_total", "kind"); got != tc.failure {
					t.Errorf("failure kind = %q, want %q", got, tc.failure)
				}
			}
		})
	}
}

// TestMaxPagelets checks that ids beyond the cap share the "other" label,
// while ids already seen keep their own.
func TestMaxPagelets(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  int
		ids  []string
		want map[string]uint64 // fetch samples by label
	}{
		{"under the cap", 3, []string{"a", "b", "a"}, map[string]uint64{"a": 2, "b": 1}},
		{"over the cap", 2, []string{"a", "b", "c", "a", "d"}, map[string]uint64{"a": 2, "b": 1, metrics.OtherPagelet: 2}},
		{"no cap", 0, []string{"a", "b", "c"}, map[string]uint64{"a": 1, "b": 1, "c": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, reg := newMetrics(t, metrics.WithMaxPagelets(tc.max))
			r := httptest.NewRequest("GET", "/", nil)
			for _, id := range tc.ids {
				m.PageletDone(r, render.PageletStats{ID: id, Fetch: time.Millisecond})
			}
			if got := testutil.CollectAndCount(reg, "bigpipe_pagelet_fetch_seconds"); got != len(tc.want) {
				t.Errorf("%d series, want %d", got, len(tc.want))
			}
			for id, want := range tc.want {
				if got := sampleCount(t, reg, "bigpipe_pagelet_fetch_seconds", id); got != want {
					t.Errorf("pagelet %q: %d samples, want %d", id, got, want)
				}
			}
		})
	}
}

// TestNew checks the setup errors: no registry, and registering twice.
func TestNew(t *testing.T) {
	if _, err := metrics.New(nil); err == nil {
		t.Error("New(nil): no error")
	}
	reg := prometheus.NewRegistry()
	if _, err := metrics.New(reg); err != nil {
		t.Fatal(err)
	}
	var are prometheus.AlreadyRegisteredError
	if _, err := metrics.New(reg); !errors.As(err, &are) {
		t.Errorf("second New on one registry: %v, want an AlreadyRegisteredError", err)
	}
}

// series gathers reg and returns the series of the family name.
func series(t *testing.T, reg *prometheus.Registry, name string) []*dto.Metric {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()
		}
	}
	return nil
}

// gathered returns the sum of the values of a counter or gauge family.
func gathered(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	var sum float64
	for _, m := range series(t, reg, name) {
		sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
	}
	return sum
}

// sampleCount returns the sample count of a histogram's series for pagelet.
func sampleCount(t *testing.T, reg *prometheus.Registry, name, pagelet string) uint64 {
	t.Helper()
	for _, m := range series(t, reg, name) {
		for _, l := range m.GetLabel() {
			if l.GetName() == "pagelet" && l.GetValue() == pagelet {
				return m.GetHistogram().GetSampleCount()
			}
		}
	}
	return 0
}

// labelOf returns the value of label on the first series of a family.
func labelOf(t *testing.T, reg *prometheus.Registry, name, label string) string {
	t.Helper()
	for _, m := range series(t, reg, name) {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				return l.GetValue()
			}
		}
	}
	return ""
}
