package page

import (
	"context"
	"testing"
	"time"
)

func TestMeasureLoad(t *testing.T) {
	srv := testServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var steps int
	modes := []Mode{Pipelined, Serial, Crawler}
	res, err := measureLoad(ctx, loadPlan{baseURL: srv.URL, modes: modes, concurrency: []int{1, 4}, dur: 300 * time.Millisecond, progress: func(string) { steps++ }})
	if err != nil {
		t.Fatalf("measureLoad: %v", err)
	}
	if len(res) != 2*len(modes) {
		t.Fatalf("got %d results, want %d", len(res), 2*len(modes))
	}
	if steps == 0 {
		t.Error("progress was never told anything")
	}
	for i, r := range res {
		wantC := []int{1, 4}[i/len(modes)]
		if r.Mode != modes[i%len(modes)] || r.Concurrency != wantC {
			t.Errorf("result %d is %s c=%d, want %s c=%d", i, r.Mode, r.Concurrency, modes[i%len(modes)], wantC)
		}
		if r.Requests <= 0 || r.Errors != 0 || r.RPS <= 0 || r.Duration <= 0 {
			t.Errorf("%s c=%d: requests %d, errors %d, rps %.1f, duration %v; want requests and rps > 0, no errors",
				r.Mode, r.Concurrency, r.Requests, r.Errors, r.RPS, r.Duration)
		}
		if r.P50 <= 0 || r.P50 > r.P99 {
			t.Errorf("%s c=%d: p50 %v, p99 %v; want 0 < p50 <= p99", r.Mode, r.Concurrency, r.P50, r.P99)
		}
	}
}

func TestMeasureLoadMaxRequests(t *testing.T) {
	srv := testServer(t)
	res, err := measureLoad(context.Background(), loadPlan{baseURL: srv.URL, modes: []Mode{Pipelined}, concurrency: []int{3}, dur: 10 * time.Second, maxReq: 20})
	if err != nil {
		t.Fatalf("measureLoad: %v", err)
	}
	// 10 s is three rounds: each gets a third of the count.
	if r := res[0]; r.Requests != 18 || r.Errors != 0 || r.Duration > 5*time.Second {
		t.Errorf("requests %d, errors %d in %v; want 18 (3 rounds of 20/3), none, well within the time", r.Requests, r.Errors, r.Duration)
	}
}

func TestMeasureLoadCountsErrors(t *testing.T) {
	srv := testServer(t)
	// A base URL whose /bench is not found: every request is an error.
	res, err := measureLoad(context.Background(), loadPlan{baseURL: srv.URL + "/nowhere", modes: []Mode{Serial}, concurrency: []int{2}, dur: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("measureLoad: %v", err)
	}
	if r := res[0]; r.Requests == 0 || r.Errors != r.Requests || r.RPS != 0 {
		t.Errorf("requests %d, errors %d, rps %.1f; want every request an error and rps 0", r.Requests, r.Errors, r.RPS)
	}
}

func TestMeasureLoadBadArgs(t *testing.T) {
	ctx := context.Background()
	for name, f := range map[string]func() error{
		"no modes": func() error {
			_, err := measureLoad(ctx, loadPlan{baseURL: "http://x", concurrency: []int{1}, dur: time.Second})
			return err
		},
		"no levels": func() error {
			_, err := measureLoad(ctx, loadPlan{baseURL: "http://x", modes: Modes, dur: time.Second})
			return err
		},
		"zero c": func() error {
			_, err := measureLoad(ctx, loadPlan{baseURL: "http://x", modes: Modes, concurrency: []int{0}, dur: time.Second})
			return err
		},
		"zero duration": func() error {
			_, err := measureLoad(ctx, loadPlan{baseURL: "http://x", modes: Modes, concurrency: []int{1}})
			return err
		},
	} {
		if f() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestMeasureLoadCancelled(t *testing.T) {
	srv := testServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := measureLoad(ctx, loadPlan{baseURL: srv.URL, modes: []Mode{Serial}, concurrency: []int{1}, dur: time.Second}); err == nil {
		t.Error("no error from a cancelled context")
	}
}

func TestLoadURL(t *testing.T) {
	for _, tc := range []struct {
		m       Mode
		url, ua string
	}{
		{Serial, "http://h/bench?delays=0,0,0,0,0,0&mode=serial", ChromeUA},
		{InOrder, "http://h/bench?delays=0,0,0,0,0,0&mode=inorder", ChromeUA},
		{Pipelined, "http://h/bench?delays=0,0,0,0,0,0&mode=pipelined", ChromeUA},
		{Crawler, "http://h/bench?delays=0,0,0,0,0,0", GooglebotUA},
	} {
		if got := loadURL("http://h/", tc.m); got != tc.url {
			t.Errorf("loadURL(%s) = %q, want %q", tc.m, got, tc.url)
		}
		if got := modeUA(tc.m); got != tc.ua {
			t.Errorf("modeUA(%s) = %q, want %q", tc.m, got, tc.ua)
		}
	}
}

func TestLoadPercentile(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(1, 2), 50, 1 * time.Millisecond},
		{ms(1, 2), 51, 2 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{ms(1, 2, 3, 4), 75, 3 * time.Millisecond},
		{ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{ms(1, 2, 3, 4, 5), 99, 5 * time.Millisecond},
		{ms(1, 2, 3, 4, 5), 100, 5 * time.Millisecond},
		{ms(1, 2, 3, 4, 5), 0, 1 * time.Millisecond},
		{ms(hundred...), 50, 50 * time.Millisecond},
		{ms(hundred...), 99, 99 * time.Millisecond},
		{ms(hundred...), 99.5, 100 * time.Millisecond},
	} {
		if got := loadPercentile(tc.samples, tc.p); got != tc.want {
			t.Errorf("loadPercentile(%v, %v) = %v, want %v", tc.samples, tc.p, got, tc.want)
		}
	}
}

func TestLoadMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{5, 1}, 3},
		{[]float64{9, 1, 4}, 4},
	} {
		if got := loadMedian(tc.xs); got != tc.want {
			t.Errorf("loadMedian(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}

func TestLoadRounds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{
		{300 * time.Millisecond, 1},
		{time.Second, 1},
		{2500 * time.Millisecond, 2},
		{5 * time.Second, 3},
		{time.Minute, 3},
	} {
		if got := loadRounds(tc.d); got != tc.want {
			t.Errorf("loadRounds(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}
