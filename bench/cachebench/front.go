package cachebench

// The front page with its backends at realistic latencies, at
// FrontConns concurrent readers (browsers: the pipelined page), cached
// and uncached (-cache=false), against the zero-latency uncached page
// served serially (the classic render with instant backends), three
// servers loaded in turn.

import (
	"context"
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
	return res, nil
}
