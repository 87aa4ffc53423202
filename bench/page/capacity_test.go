package page

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestMeasureCapacity(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var log []string
	res, err := measureCapacity(ctx, []int{200}, time.Second, func(s string) { log = append(log, s) })
	if err != nil {
		t.Fatalf("measureCapacity: %v", err)
	}
	t.Logf("progress:\n%s", strings.Join(log, "\n"))
	if len(res) != 1 {
		t.Fatalf("got %d results, want 1", len(res))
	}
	r := res[0]
	t.Logf("%+v", r)
	if r.Conns != 200 || r.Held != 200 || r.Completed != 200 || r.Errors != 0 {
		t.Errorf("conns %d, held %d, completed %d, errors %d; want 200 held and completed, no errors", r.Conns, r.Held, r.Completed, r.Errors)
	}
	if r.BaseRSS == 0 || r.PeakRSS <= r.BaseRSS || r.RSSPerPage <= 0 {
		t.Errorf("RSS base %d, peak %d, per page %.0f; want it to grow with the pages", r.BaseRSS, r.PeakRSS, r.RSSPerPage)
	}
	// The GC trace gives whole MB: 200 pages of some 37 KiB are 7 MB.
	if r.PeakHeap <= r.BaseHeap || r.HeapPerPage <= 0 {
		t.Errorf("heap base %d, peak %d, per page %.0f; want it to grow with the pages", r.BaseHeap, r.PeakHeap, r.HeapPerPage)
	}
}

func TestMeasureCapacityBadLevels(t *testing.T) {
	ctx := context.Background()
	if _, err := measureCapacity(ctx, []int{0}, time.Second, nil); err == nil {
		t.Error("level 0: no error")
	}
	if _, err := measureCapacity(ctx, []int{1 << 30}, time.Second, nil); err == nil {
		t.Error("a level beyond the open-file limit: no error")
	}
}

func TestCapacityHold(t *testing.T) {
	for _, tc := range []struct {
		hold  time.Duration
		level int
		rate  float64
		want  time.Duration
	}{
		{2 * time.Second, 1000, 3000, 2 * time.Second},          // 2×0.25 s + 1.5 s fits in 2 s
		{2 * time.Second, 10000, 4000, 6000 * time.Millisecond}, // 2×2.5 s + 1 s
		{2 * time.Second, 10000, 3000, 7700 * time.Millisecond}, // 2×3.33 s + 1 s, rounded up
		{time.Second, 1e6, 100, time.Minute},                    // capped
	} {
		if got := capacityHold(tc.hold, tc.level, tc.rate); got != tc.want {
			t.Errorf("capacityHold(%v, %d, %v) = %v, want %v", tc.hold, tc.level, tc.rate, got, tc.want)
		}
	}
}

func TestGCTrace(t *testing.T) {
	var skels atomic.Int64
	skels.Store(42)
	tr := &capGCTrace{skels: &skels}
	// Lines as GODEBUG=gctrace=1 writes them, split across writes.
	in := "gc 1 @0.012s 2%: 0.019+0.45+0.003 ms clock, 0.038+0.11/0.32/0.18+0.007 ms cpu, 3->3->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n" +
		"time=… level=ERROR msg=oops\n" +
		"gc 2 @1.5s 1%: 0.02+1.2+0.01 ms clock, 0.04+0.3/1.1/0.9+0.02 ms cpu, 250->260->120 MB, 251 MB goal, 1 MB stacks, 0 MB globals, 2 P\n"
	for len(in) > 0 {
		k := min(len(in), 37)
		if _, err := tr.Write([]byte(in[:k])); err != nil {
			t.Fatal(err)
		}
		in = in[k:]
	}
	n, last := tr.collections()
	if n != 2 || last.live != 120<<20 || last.skels != 42 {
		t.Errorf("collections = %d, last %+v; want 2, live 120 MiB at 42 skeletons", n, last)
	}
	if got := tr.tail(); !strings.Contains(got, "oops") || strings.Contains(got, "gc ") {
		t.Errorf("tail = %q; want the other line only", got)
	}
	// Scaled from the last collection: 119 MiB over 42 pages, to 84 pages.
	if got, want := capacityHeap(tr, 1<<20, time.Time{}, 84), uint64(1<<20+2*(119<<20)); got != want {
		t.Errorf("capacityHeap = %d, want %d", got, want)
	}
}

func TestMarkScan(t *testing.T) {
	m := capScan{marker: "bigPipe.setup("}
	for i, piece := range []string{"<html>…<script>big", "Pipe.se", "tup({…"} {
		if got, want := m.feed([]byte(piece)), i == 2; got != want {
			t.Errorf("after piece %d: found %v, want %v", i, got, want)
		}
	}
	m = capScan{marker: "</html>"}
	if m.feed([]byte("</ht")) || m.feed([]byte("ml")) || !m.feed([]byte(">")) {
		t.Error("</html> split in three pieces not found")
	}
}

func TestMeasureCapacityCancelled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancelled while the pages are held for a minute: it must not wait for
	// them. Only the time from the cancel counts (building and starting the
	// server take what the machine gives them), against half the hold.
	const hold = time.Minute
	var cancelled atomic.Int64
	_, err := measureCapacity(ctx, []int{100}, hold, func(s string) {
		if strings.Contains(s, "nudging") && cancelled.Load() == 0 {
			cancelled.Store(time.Now().UnixNano())
			cancel()
		}
	})
	if err == nil {
		t.Error("no error from a cancelled run")
	}
	if at := cancelled.Load(); at == 0 {
		t.Error("cancelled before the pages were held (no nudging step)")
	} else if d := time.Since(time.Unix(0, at)); d > hold/2 {
		t.Errorf("took %v after being cancelled with pages held for %v", d, hold)
	}
}
