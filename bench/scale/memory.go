package scale

// The memory part: one instance of the real binary with the flags `go run
// .` has (the simulator on, the memory broker), idle connections on the
// front page's channels held for a while, RSS and the runtime's series
// read from outside before the connections and after.

import (
	"context"
	"fmt"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// MemoryResult is what the memory part measured, per transport.
type MemoryResult struct {
	Transport     string
	Asked         int
	Open, Failed  int
	FirstErr      string
	Channels      []string
	Idle          time.Duration
	Before, After Sample
	PerConn       PerConn
	Sim           bool
	Alive         int // open at the end
	Reconnects    int // connections the server ended, connected again
}

// measureMemory runs the memory part for one transport on a fresh
// instance.
func measureMemory(ctx context.Context, ws *workspace, o Options, transport string, progress func(string)) (*MemoryResult, error) {
	nofile, err := measure.RaiseNofile()
	if err != nil {
		return nil, err
	}
	if room := int(nofile) - 64; o.Conns > room {
		return nil, fmt.Errorf("%d connections on one instance: the open-file limit (%d) allows %d", o.Conns, nofile, room)
	}
	args := []string{fmt.Sprintf("-live-sim=%v", o.Sim)}
	if o.Admin != "" {
		args = append(args, "-admin", o.Admin)
	}
	ss, err := ws.startSites(ctx, 1, false, args...)
	if err != nil {
		return nil, err
	}
	defer ss.stop()
	s := ss[0]
	res := &MemoryResult{Transport: transport, Asked: o.Conns, Idle: o.Idle, Sim: o.Sim}
	t, chans, err := targetOf(ctx, s)
	if err != nil {
		return nil, err
	}
	res.Channels = chans
	if err := sleep(ctx, 2*time.Second); err != nil { // the start's garbage collected, as an idle server's is
		return nil, err
	}
	if res.Before, err = sample(ctx, s); err != nil {
		return nil, err
	}
	progress(fmt.Sprintf("%s: opening %d connections (pid %d)", transport, o.Conns, s.Pid()))
	base := clientConfig{Targets: []Target{t}, Transport: transport, Count: o.Conns, PerSource: o.PerSource, Concurrency: o.Concurrency}
	cs, open, failed, why, err := startClients(ctx, ws.exe, base, o.Conns, throttled(progress))
	if err != nil {
		return nil, err
	}
	defer cs.stop()
	res.Open, res.Failed, res.FirstErr = open, failed, why
	progress(fmt.Sprintf("%s: %d open, %d failed; idle for %v", transport, open, failed, o.Idle))
	if err := sleep(ctx, o.Idle); err != nil {
		return nil, err
	}
	if res.After, err = sample(ctx, s); err != nil {
		return nil, err
	}
	res.PerConn = perConn(res.Before, res.After)
	// The figure is per connection the instance holds at the end; one it
	// ended meanwhile (a resync, say) connects again, and is reported.
	if res.Alive, res.Reconnects, err = cs.alive(); err != nil {
		return res, err
	}
	return res, nil
}
