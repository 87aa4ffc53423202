package cachebench

// The front page with its backends at realistic latencies, at
// FrontConns concurrent readers (browsers: the pipelined page), cached
// and uncached (-cache=false), against the zero-latency uncached page
// served serially (the classic render with instant backends), three
// servers loaded in turn.
//
// The readers first read back to back (a closed loop with no pause: the
// throughput, every core busy, so that a page's time is mostly its wait
// for a core); then, cached and uncached again, each reader pausing so
// that together they ask for a quarter of the cached page's throughput
// (a page's time is then its own, and the backends' where they are not
// cached). At half, on two cores shared with the load generator and other
// work, the cached page's p99 was still its wait for a core (38–58 ms
// against 2.5–7 ms at a quarter, bench/README.md).

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/headless"
	"github.com/bigpipe-go/bigpipe/render"
)

// FrontResult is the front page's figures: one row per server, in the
// order cached, uncached, serial-zero.
type FrontResult struct {
	Latency string        `json:"latency"` // the cached and uncached servers' -latency
	Conns   int           `json:"conns"`
	Rounds  int           `json:"rounds"`
	Round   time.Duration `json:"round"`
	Rows    []Row         `json:"rows"`
	// PacedRate is the readers' pace in the second pass, pages a second
	// (a quarter of the cached page's throughput), Paced its rows: cached
	// and uncached.
	PacedRate float64 `json:"paced_rate,omitempty"`
	Paced     []Row   `json:"paced,omitempty"`
}

// The front page's rows.
const (
	RowFrontCached   = "cached"      // -latency Latency, the cache on (the default)
	RowFrontUncached = "uncached"    // -latency Latency -cache=false
	RowSerialZero    = "serial-zero" // no latency, -cache=false, the serial page
)

// Row returns the row named name, nil if none.
func (r *FrontResult) Row(name string) *Row {
	for i := range r.Rows {
		if r.Rows[i].Name == name {
			return &r.Rows[i]
		}
	}
	return nil
}

func measureFront(ctx context.Context, sv sites, o Options, progress func(string)) (*FrontResult, error) {
	progress("front page: starting three servers")
	type spec struct {
		name   string
		args   []string
		header http.Header
	}
	specs := []spec{
		{RowFrontCached, []string{"-latency", o.FrontLatency, "-live-sim=false"}, nil},
		{RowFrontUncached, []string{"-latency", o.FrontLatency, "-cache=false", "-live-sim=false"}, nil},
		{RowSerialZero, []string{"-cache=false", "-live-sim=false", "-force-modes"}, http.Header{render.ForceModeHeader: {"serial"}}},
	}
	var ts []target
	for _, s := range specs {
		srv, err := sv.start(ctx, false, s.args...)
		if err != nil {
			return nil, err
		}
		defer srv.Stop()
		ts = append(ts, target{name: s.name, url: "http://" + srv.Addr + "/", ua: headless.ChromeUA, header: s.header, pid: srv.Pid()})
	}
	res := &FrontResult{Latency: o.FrontLatency, Conns: o.FrontConns, Rounds: o.Rounds, Round: o.Round}
	var err error
	res.Rows, err = runRounds(ctx, roundsPlan{targets: ts, workers: o.FrontConns, rounds: o.Rounds, round: o.Round, maxReq: o.MaxRequests,
		progress: func(s string) { progress("front page: " + s) }})
	if err != nil {
		return nil, err
	}
	cached := res.Row(RowFrontCached)
	if cached == nil || cached.RPS <= 0 {
		return res, nil
	}
	res.PacedRate = cached.RPS / pacedShare
	pace := time.Duration(float64(o.FrontConns) / res.PacedRate * float64(time.Second))
	res.Paced, err = runRounds(ctx, roundsPlan{targets: ts[:2], workers: o.FrontConns, rounds: o.Rounds, round: o.Round, maxReq: o.MaxRequests, pace: pace,
		progress: func(s string) { progress(fmt.Sprintf("front page at %.0f pages/s: %s", res.PacedRate, s)) }})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// pacedShare is the cached page's back-to-back throughput over the paced
// readers' rate.
const pacedShare = 4

// PacedRow returns the paced row named name, nil if none.
func (r *FrontResult) PacedRow(name string) *Row {
	for i := range r.Paced {
		if r.Paced[i].Name == name {
			return &r.Paced[i]
		}
	}
	return nil
}
