package livebench

// Signed-in readers held on one instance: -live-readers connections over
// SSE, each of a reader of its own (a token from eng.Grant with that
// reader in the context, on their private channel benchr#<id>), against
// as many anonymous connections (eng.Token, all on one public channel) on
// another fresh server in the same run. Memory per connection is measured
// as live.go's idle connections are (the anonymous run is exactly that
// part, without fan-out). Then the cost of one message to one reader:
// -live-reader-pubs PublishTo calls, one at a time, each to a random
// connected reader, timed on the server around the call, and until the
// reader's client process received it; with readersFew readers connected,
// then with all of them.

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// ReadersHeld is signed-in readers against anonymous connections.
type ReadersHeld struct {
	Transport string         `json:"transport"`
	Anonymous *LiveConns     `json:"anonymous,omitempty"`
	Readers   *LiveConns     `json:"readers,omitempty"`
	RSSRatio  float64        `json:"rss_ratio,omitempty"` // the readers' RSS per connection over the anonymous
	PublishTo []PublishToRun `json:"publish_to,omitempty"`
}

// PublishToRun is publications to one reader each, with Connected readers
// connected.
type PublishToRun struct {
	Connected int           `json:"connected"`
	Pubs      int           `json:"pubs"`
	P50       time.Duration `json:"p50"` // the PublishTo call, on the server
	P99       time.Duration `json:"p99"`
	Max       time.Duration `json:"max"`
	Received  int           `json:"received"`
	RecvP50   time.Duration `json:"recv_p50"` // from just before PublishTo to the receipt by the reader's client process
	RecvP99   time.Duration `json:"recv_p99"`
}

// readersHeld measures the anonymous connections, then the readers'.
func readersHeld(ctx context.Context, rig liveRig, o ReadersOptions) (*ReadersHeld, error) {
	h := &ReadersHeld{Transport: readersTransport}
	anon := rig
	anon.source += "7."
	conns, _, err := liveTransport(ctx, anon, transportRun{transport: readersTransport, conns: o.Readers})
	h.Anonymous = conns
	if err != nil {
		return h, fmt.Errorf("anonymous: %w", err)
	}
	signed := rig
	signed.source += "8."
	h.Readers, h.PublishTo, err = readersSigned(ctx, signed, o)
	if h.Readers != nil && h.Anonymous.RSSPerConn > 0 {
		h.RSSRatio = h.Readers.RSSPerConn / h.Anonymous.RSSPerConn
	}
	return h, err
}

// readersSigned opens readersFew readers and times PublishTo, opens the
// others, reads the server's memory and times PublishTo again.
func readersSigned(ctx context.Context, rig liveRig, o ReadersOptions) (*LiveConns, []PublishToRun, error) {
	t := &transportBench{rig: rig, o: transportRun{transport: readersTransport, conns: o.Readers}, name: "SSE signed-in readers"}
	t.lc = &LiveConns{Transport: readersTransport, Asked: o.Readers, Conns: min(o.Readers, int(rig.limit)-liveFDReserve)}
	if t.lc.Conns < 1 {
		return nil, nil, fmt.Errorf("the open-file limit %d leaves no room for connections", rig.limit)
	}
	rig.progress(fmt.Sprintf("readers: %d signed-in readers: starting the server", t.lc.Conns))
	srv, err := startLiveServer(ctx, rig.exe)
	if err != nil {
		return nil, nil, err
	}
	defer srv.stop()
	t.srv = srv
	if err := t.warmUp(ctx); err != nil {
		return nil, nil, err
	}
	var runs []PublishToRun
	few := min(readersFew, t.lc.Conns)
	t0 := time.Now()
	all, err := t.openReaders(ctx, 0, few)
	defer all.stop()
	if err != nil {
		return t.lc, nil, err
	}
	run, err := publishTo(ctx, srv, all, few, o.Pubs, 1)
	runs = append(runs, run)
	if err != nil {
		return t.lc, runs, err
	}
	rest, err := t.openReaders(ctx, few, t.lc.Conns-few)
	all.procs = append(all.procs, rest.procs...)
	t.lc.Open = time.Since(t0).Round(time.Millisecond)
	if err != nil {
		return t.lc, runs, err
	}
	if err := t.peak(ctx, all); err != nil {
		return t.lc, runs, err
	}
	run, err = publishTo(ctx, srv, all, t.lc.Conns, o.Pubs, 1+o.Pubs)
	runs = append(runs, run)
	srv.stop() // before the clients: the TIME_WAIT sockets are the server's
	return t.lc, runs, err
}

// openReaders opens n readers' connections, readers first to first+n-1,
// and adds their failures to t.lc. It returns the clients (to stop) even
// when they did not all open.
func (t *transportBench) openReaders(ctx context.Context, first, n int) (*liveClients, error) {
	if n <= 0 {
		return &liveClients{}, nil
	}
	next := first
	cfgs := liveSplit(n, t.rig.limit, t.rig.source, func(k int, sources []string) liveClientConfig {
		c := liveClientConfig{Addr: t.srv.addr, Transport: readersTransport, Conns: k, Sources: sources,
			Concurrency: liveClientConcurrency, Reader: readerPrefix, First: next}
		next += k
		return c
	})
	t.lc.ClientProcs += len(cfgs)
	t.rig.progress(fmt.Sprintf("readers: opening readers %d to %d from %d processes", first, first+n-1, len(cfgs)))
	clients, err := startLiveClients(ctx, t.rig.exe, cfgs)
	if err != nil {
		return &liveClients{}, err
	}
	ready, err := clients.ready(ctx, time.Minute+time.Duration(n)*time.Millisecond, func(open, failed int) {
		t.rig.progress(fmt.Sprintf("readers: %d of %d open, %d failed", open, n, failed))
	})
	if err != nil {
		return clients, err
	}
	t.lc.Errors += ready.failed
	if t.lc.FirstError == "" {
		t.lc.FirstError = ready.firstErr
	}
	return clients, nil
}

// publishTo makes pubs publications on srv, each to one of the first
// connected readers at random, numbered from seq, and collects their
// receipts from clients.
func publishTo(ctx context.Context, srv *liveServer, clients *liveClients, connected, pubs, seq int) (PublishToRun, error) {
	run := PublishToRun{Connected: connected, Pubs: pubs}
	var resp struct{ Took []int64 }
	if err := srv.get(ctx, fmt.Sprintf("/_bench/publishto?prefix=%s&readers=%d&pubs=%d&seq=%d", readerPrefix, connected, pubs, seq), &resp); err != nil {
		return run, err
	}
	took := make([]time.Duration, len(resp.Took))
	for i, ns := range resp.Took {
		took[i] = time.Duration(ns)
	}
	run.P50, run.P99, run.Max = measure.Percentile(took, 50), measure.Percentile(took, 99), measure.Percentile(took, 100)
	var recv []time.Duration
	for deadline := time.Now().Add(liveFanoutTimeout); len(recv) < pubs && time.Now().Before(deadline); {
		for _, p := range clients.procs {
			if err := p.send("receipts"); err != nil {
				return run, err
			}
			f, err := p.expect(ctx, "receipts", 10*time.Second)
			if err != nil {
				return run, err
			}
			lats, err := parseReceipts(f)
			if err != nil {
				return run, err
			}
			recv = append(recv, lats...)
		}
		time.Sleep(50 * time.Millisecond)
	}
	run.Received = len(recv)
	run.RecvP50, run.RecvP99 = measure.Percentile(recv, 50), measure.Percentile(recv, 99)
	if run.Received != pubs {
		return run, fmt.Errorf("%d of %d publications to one reader received within %v", run.Received, pubs, liveFanoutTimeout)
	}
	return run, nil
}

// ratio is a over b, or 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 || math.IsNaN(a) {
		return 0
	}
	return a / b
}
