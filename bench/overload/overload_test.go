package overload

import (
	"os"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

var bin = testenv.Binary{Package: "github.com/bigpipe-go/bigpipe"}

func TestMain(m *testing.M) {
	code := m.Run()
	bin.Remove()
	os.Exit(code)
}

// TestOverload runs the bench small: the server binary with a capacity
// made small by its flags (no pagelet cache, every backend 50 ms, eight
// fetches and eight waiting), under the mix at twice the rate it is told
// is its capacity, for 15 s. Every answer must be 2xx or 503 with
// Retry-After, something of every kind but pages must be shed (pages may
// also get a pagelet's fallback, shown as such), every post answered 2xx
// must be in the store once and none answered 503, and the server's
// goroutines must come back to their count before the load. It asserts no
// timing.
func TestOverload(t *testing.T) {
	cfg := DefaultConfig(true)
	cfg.Bin, cfg.Dir = bin.Path(t), t.TempDir()
	cfg.ServerArgs = []string{"-cache=false", "-latency", "*=50ms", "-max-fetches", "8", "-fetch-queue", "8"}
	cfg.Rate, cfg.Duration, cfg.Hold = 60, 15*time.Second, 3*time.Second
	cfg.Window, cfg.Readers, cfg.MaxInFlight = 3*time.Second, 3, 300
	cfg.Progress = func(s string) { t.Log(s) }
	rep, err := Run(t.Context(), cfg)
	if rep != nil && rep.Load != nil {
		t.Log("\n" + rep.Table())
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems() {
		t.Error(p)
	}
	for _, k := range []kind{kindHome, kindComment, kindMessage, kindLive} {
		if rep.Load.n[k][okWhole] == 0 {
			t.Errorf("no %s answered 2xx", k)
		}
	}
	if rep.Load.n[kindLive][shed] == 0 || rep.Load.n[kindHome][shed]+rep.Load.n[kindArticle][shed] == 0 {
		t.Errorf("live connects shed %d, pages %d: want some of each at twice the capacity",
			rep.Load.n[kindLive][shed], rep.Load.n[kindHome][shed]+rep.Load.n[kindArticle][shed])
	}
	if rep.Store.Answered == 0 {
		t.Error("no post answered 2xx to check in the store")
	}
}
