package cachebench

// The limit: the zero-delay /bench page served fully cached, against the
// same bytes written from memory by a plain http.HandlerFunc, and against
// the same page uncached, by one child process (limitserver.go), loaded
// in turn by the same closed-loop generator at the same concurrency.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/headless"
)

// LimitResult is the limit part's figures: one row per target, in the
// order limit, limit-chunked, cached, uncached.
type LimitResult struct {
	Conns  int           `json:"conns"`
	Rounds int           `json:"rounds"`
	Round  time.Duration `json:"round"`
	Bytes  int           `json:"bytes"` // the page's body
	Rows   []Row         `json:"rows"`
	// Wrk is the same targets loaded by wrk (-c Conns -t2) in as many
	// rounds, when wrk is installed: a cross-check by a load generator
	// that costs less per request than Go's HTTP client.
	Wrk     []WrkRow `json:"wrk,omitempty"`
	WrkNote string   `json:"wrk_note,omitempty"`
	// ReactNote says why React's streaming server has no row, when it has
	// none (Options.React and no Node, say).
	ReactNote string `json:"react_note,omitempty"`
}

// The limit part's targets, in the order of its rows.
const (
	RowLimit    = "limit"         // the plain handler writing the cached page's bytes
	RowChunked  = "limit-chunked" // the same without Content-Length: chunked, as a handler's write is by default
	RowCached   = "cached"        // /bench?…&cache=1, every pagelet from the cache
	RowUncached = "uncached"      // the same page without cache=1
	RowReact    = "react"         // React's streaming server, the same page (react/server.mjs), when Options.React
)

// Row returns the row named name, nil if none.
func (r *LimitResult) Row(name string) *Row {
	for i := range r.Rows {
		if r.Rows[i].Name == name {
			return &r.Rows[i]
		}
	}
	return nil
}

// limitStartTimeout bounds the limit's server's start: it compresses the
// site's assets (slow under the race detector on a busy machine) and
// loads the page twice.
const limitStartTimeout = 2 * time.Minute

// limitProc is the limit's server, a child process.
type limitProc struct {
	*child
	site  string // host:port of the site
	limit string // host:port of the plain handler
	bytes int
}

// startLimitServer starts exe in the limit role and waits for its
// addresses.
func startLimitServer(ctx context.Context, exe string) (*limitProc, error) {
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), RoleEnv+"="+roleLimit, "GODEBUG=")
	c, f, err := startChild(ctx, "the limit's server", cmd, limitStartTimeout)
	if err != nil {
		return nil, err
	}
	if len(f) != 3 {
		c.stop()
		return nil, fmt.Errorf("the limit's server said %q after listening", f)
	}
	p := &limitProc{child: c, site: f[0], limit: f[1]}
	p.bytes, _ = strconv.Atoi(f[2])
	return p, nil
}

// measureLimit runs the limit part.
func measureLimit(ctx context.Context, exe string, o Options, progress func(string)) (*LimitResult, error) {
	progress("limit: starting its server")
	srv, err := startLimitServer(ctx, exe)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	pid := srv.pid()
	ts := []target{
		{name: RowLimit, url: "http://" + srv.limit + "/", ua: headless.ChromeUA, pid: pid},
		{name: RowChunked, url: "http://" + srv.limit + "/chunked", ua: headless.ChromeUA, pid: pid},
		{name: RowCached, url: "http://" + srv.site + CachedPath, ua: headless.ChromeUA, pid: pid},
		{name: RowUncached, url: "http://" + srv.site + UncachedPath, ua: headless.ChromeUA, pid: pid},
	}
	res := &LimitResult{Conns: o.LimitConns, Rounds: o.Rounds, Round: o.Round, Bytes: srv.bytes}
	reactBody := 0
	if o.React {
		progress("limit: starting React's streaming server")
		rp, body, err := startReactRow(ctx)
		if err != nil {
			res.ReactNote = "not measured: " + err.Error()
		} else {
			defer rp.stop()
			reactBody = body
			ts = append(ts, target{name: RowReact, url: "http://" + rp.addr + "/", ua: headless.ChromeUA, pid: rp.pid()})
		}
	}
	res.Rows, err = runRounds(ctx, roundsPlan{targets: ts, workers: o.LimitConns, rounds: o.Rounds, round: o.Round, maxReq: o.MaxRequests,
		progress: func(s string) { progress("limit: " + s) }})
	if err != nil {
		return nil, err
	}
	for i := range res.Rows {
		res.Rows[i].Bytes = srv.bytes
		if res.Rows[i].Name == RowReact {
			res.Rows[i].Bytes = reactBody
		}
	}
	if o.Wrk {
		res.Wrk, res.WrkNote = wrkRows(ctx, ts, o.LimitConns, o.Rounds, o.Round, func(s string) { progress("limit: " + s) })
	}
	return res, nil
}

// startReactRow starts React's server and reads one page of it: its body's
// size.
func startReactRow(ctx context.Context) (*reactProc, int, error) {
	rp, err := startReact(ctx)
	if err != nil {
		return nil, 0, err
	}
	n, err := reactBytes(ctx, rp.addr)
	if err != nil {
		rp.stop()
		return nil, 0, err
	}
	return rp, n, nil
}
