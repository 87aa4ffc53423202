package pages

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// Limits of the benchmark page's parameters.
const (
	MaxBenchPagelets = 64
	MaxBenchDelay    = 60 * time.Second
)

// DefaultBenchDelays is the delay list of /bench without a delays parameter.
const DefaultBenchDelays = "50,100,200,400,800,1600"

// ParseDelays parses a comma-separated list of millisecond delays, such as
// "50,100,200": 1 to MaxBenchPagelets whole numbers from 0 to 60000.
func ParseDelays(s string) ([]time.Duration, error) {
	fields := strings.Split(s, ",")
	if len(fields) > MaxBenchPagelets {
		return nil, fmt.Errorf("delays: %d values, at most %d pagelets allowed", len(fields), MaxBenchPagelets)
	}
	out := make([]time.Duration, len(fields))
	for i, f := range fields {
		ms, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("delays: value %d (%.20q) is not a whole number of milliseconds", i+1, f)
		}
		if ms < 0 || int64(ms) > MaxBenchDelay.Milliseconds() { // before converting: a huge ms overflows a Duration
			return nil, fmt.Errorf("delays: value %d (%d ms) is outside 0 to %d ms", i+1, ms, MaxBenchDelay.Milliseconds())
		}
		out[i] = time.Duration(ms) * time.Millisecond
	}
	return out, nil
}

// BenchMode is the ModeFunc of the benchmark page: mode=pipelined, inorder
// or serial chooses the mode; without it the usual detection decides.
func BenchMode(rd *render.Renderer) render.ModeFunc {
	return func(r *http.Request) (render.Mode, error) {
		if m := r.URL.Query().Get("mode"); m != "" {
			return render.ParseMode(m)
		}
		return rd.DetectMode(r)
	}
}

// Bench builds /bench?delays=50,100,…: one pagelet per delay, ids p0, p1, …,
// pagelet pI ready after its delay and showing the text PAGELET-pI-READY.
// The page is what the benchmarks measure; its URL and markers are stable.
func Bench(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
	spec := DefaultBenchDelays
	if v, ok := r.URL.Query()["delays"]; ok {
		spec = v[0]
	}
	delays, err := ParseDelays(spec)
	if err != nil {
		http.Error(w, "400 bad request: "+err.Error(), http.StatusBadRequest)
		return nil, nil
	}
	pls := make([]pagelet.Pagelet, len(delays))
	for i, d := range delays {
		pls[i] = pagelet.Pagelet{
			ID:          fmt.Sprintf("p%d", i),
			Load:        pagelet.Fetch(sleep(i, d), func(i int) templ.Component { return BenchPagelet(i, d) }),
			Placeholder: BenchPlaceholder(),
			Timeout:     d + 5*time.Second,
		}
	}
	return &pagelet.Page{
		Title:     "BigPipe benchmark",
		InlineCSS: []string{"css/bench.css"}, // 1 KB: first paint waits for no request
		Layout:    func(slot pagelet.Slot) templ.Component { return BenchLayout(delays, slot) },
		Pagelets:  pls,
	}, nil
}

// sleep is the benchmark's backend: ready after d, or gone with ctx.
func sleep(i int, d time.Duration) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		if d <= 0 {
			return i, nil
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return i, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}
