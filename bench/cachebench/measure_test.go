package cachebench

import (
	"context"
	"errors"
	"maps"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

func TestMain(m *testing.M) {
	if role := os.Getenv(RoleEnv); role != "" { // the limit's server: this test binary in its role
		os.Exit(RunRole(role))
	}
	os.Exit(m.Run())
}

// TestMeasure runs every part at small settings and checks what it
// measured, not how fast: every row has requests and no errors (React's
// streaming server's among them: npm installs it on a first run), the herd
// loaded each cached pagelet once and made the backend calls of one page,
// and B showed every publication.
func TestMeasure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	o := DefaultOptions()
	o.LimitConns, o.FrontConns, o.Rounds, o.Round = 4, 8, 1, 300*time.Millisecond
	o.Wrk, o.HerdRequests, o.Pubs = false, 100, 10
	if _, err := exec.LookPath("redis-server"); err != nil {
		o.Staleness = false
		t.Log("redis-server not installed: no staleness part")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var steps []string
	res, err := Measure(ctx, o, func(s string) { steps = append(steps, s) })
	t.Logf("progress:\n%s", strings.Join(steps, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	rows := func(what string, rs []Row, names ...string) {
		t.Helper()
		if len(rs) != len(names) {
			t.Fatalf("%s: %d rows, want %d", what, len(rs), len(names))
		}
		for i, r := range rs {
			t.Logf("%s %s: %+v", what, r.Name, r)
			if r.Name != names[i] || r.Requests == 0 || r.Errors != 0 || r.RPS <= 0 || r.P99 <= 0 {
				t.Errorf("%s row %d: %s, %d requests, %d errors, %.0f/s, p99 %v; want %s with requests and no errors", what, i, r.Name, r.Requests, r.Errors, r.RPS, r.P99, names[i])
			}
		}
	}
	if res.Limit.ReactNote != "" {
		t.Errorf("React's server: %s", res.Limit.ReactNote) // install-test-deps.sh installs npm
	}
	rows("limit", res.Limit.Rows, RowLimit, RowChunked, RowCached, RowUncached, RowReact)
	if r := res.Limit.Row(RowReact); r == nil || r.Bytes < 1000 {
		t.Errorf("React's page: %+v", r)
	}
	if res.Limit.Bytes < 1000 {
		t.Errorf("the limit's page is %d bytes", res.Limit.Bytes)
	}
	rows("front page", res.Front.Rows, RowFrontCached, RowFrontUncached, RowSerialZero)

	h := res.Herd
	t.Logf("herd: %+v", h)
	if h.Whole != o.HerdRequests || len(h.Problems) > 0 {
		t.Errorf("herd: %d whole pages of %d: %v", h.Whole, o.HerdRequests, h.Problems)
	}
	if n, p := h.MaxLoads(); n != 1 || len(h.Loads) < 8 {
		t.Errorf("herd: loads %v (at most %d, %s); want one for each of the front page's cached pagelets", h.Loads, n, p)
	}
	if !maps.Equal(h.Calls, h.OnePage) || len(h.OnePage) == 0 {
		t.Errorf("herd: backend calls %v; want those of one page %v", h.Calls, h.OnePage)
	}
	if o.Staleness {
		s := res.Staleness
		t.Logf("staleness: %+v", s)
		if s.Seen != o.Pubs || s.P99 <= 0 {
			t.Errorf("staleness: %d of %d publications seen on B, p99 %v", s.Seen, o.Pubs, s.P99)
		}
	}
}

// TestMeasureNoRedis: without redis-server the staleness part is skipped
// and says why.
func TestMeasureNoRedis(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	res, err := Measure(context.Background(), Options{Staleness: true, Pubs: 1}, nil)
	if err == nil || res == nil {
		t.Fatalf("no error without go or redis-server: %+v", res)
	}
	if !errors.Is(err, measure.ErrNoRedis) && !strings.Contains(err.Error(), "build") {
		t.Errorf("error %v", err)
	}
}
