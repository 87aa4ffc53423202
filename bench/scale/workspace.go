package scale

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// workspace is a run's files: this binary (the clients), the site built
// from this checkout, and a directory for the instances' stores.
type workspace struct {
	exe, bin, dir string
	dbs           int // stores made so far
}

// newWorkspace builds the site into a fresh directory.
func newWorkspace(ctx context.Context, progress func(string)) (*workspace, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "bigpipe-scale-")
	if err != nil {
		return nil, err
	}
	progress("building the site (go build .)")
	bin, err := measure.BuildSite(ctx, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &workspace{exe: exe, bin: bin, dir: dir}, nil
}

// remove deletes the workspace's files.
func (ws *workspace) remove() { _ = os.RemoveAll(ws.dir) }

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// throttled reports the clients' progress at most once a second.
func throttled(progress func(string)) func(open, failed int) {
	var last atomic.Int64
	return func(open, failed int) {
		now := time.Now().UnixNano()
		if l := last.Load(); now-l < int64(time.Second) || !last.CompareAndSwap(l, now) {
			return
		}
		progress(fmt.Sprintf("%d open, %d failed", open, failed))
	}
}
