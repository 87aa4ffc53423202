// Package cachebench is the bench's cache section (issue 24): the
// pagelet fragment cache measured on the demo site.
//
//   - The limit (limit.go): the zero-delay /bench page served fully
//     cached, against a plain http.HandlerFunc writing the same bytes from
//     memory and against the same page uncached, in one child process,
//     loaded in turn at the same concurrency.
//   - The thundering herd (herd.go): backend calls per pagelet for 1,000
//     concurrent requests to the cold front page, every backend at 300 ms.
//   - The front page with its backends at realistic latencies (front.go):
//     requests per second and p99 time to the last byte, cached against
//     uncached, and against the zero-latency serial page.
//   - Staleness across two instances (stale.go): from a publication on
//     instance A until instance B serves the new fragment, through one
//     redis-server.
//
// Every server is a child process on a loopback port (the site built from
// this checkout, or this binary in the limit's role); every part is bounded
// in requests and time, and its servers are stopped when it ends.
package cachebench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// Options is what the flags ask of the section.
type Options struct {
	Limit, Herd, Front, Staleness bool // the parts to run

	LimitConns  int           // the limit's concurrency (32: the wrk -c32)
	FrontConns  int           // the front page's concurrent readers (64)
	Rounds      int           // rounds of each target, in turn
	Round       time.Duration // each round's measuring time
	MaxRequests int           // requests per round at most; 0: no limit
	Wrk         bool          // cross-check the limit with wrk when installed
	React       bool          // load React's streaming server beside the limit (Node and npm; installed once per machine)

	HerdRequests int    // concurrent requests to the cold front page (1,000)
	HerdLatency  string // the herd's -latency (*=300ms)
	FrontLatency string // the front page's -latency (FrontLatencyDefault)
	Pubs         int    // publications timed across the two instances
}

// Defaults.
const (
	LimitConnsDefault   = 32
	FrontConnsDefault   = 64
	RoundsDefault       = 3
	RoundDefault        = 2 * time.Second
	HerdDefault         = 1000
	HerdLatencyDefault  = "*=300ms"
	PubsDefault         = 200
	FrontLatencyDefault = "hotnews=50ms,breaking=60ms,society=80ms,tech=100ms,finance=120ms,markets=150ms,sports=200ms,scores=250ms,mostread=300ms,weather=300ms,*=100ms"
)

// DefaultOptions runs every part with the defaults.
func DefaultOptions() Options {
	return Options{Limit: true, Herd: true, Front: true, Staleness: true,
		LimitConns: LimitConnsDefault, FrontConns: FrontConnsDefault, Rounds: RoundsDefault, Round: RoundDefault,
		MaxRequests: 200_000, Wrk: true, React: true, HerdRequests: HerdDefault, HerdLatency: HerdLatencyDefault,
		FrontLatency: FrontLatencyDefault, Pubs: PubsDefault}
}

// Result is the section's figures; a part that did not run or failed is
// nil, and Errors says why.
type Result struct {
	Limit     *LimitResult  `json:"limit,omitempty"`
	Herd      *HerdResult   `json:"herd,omitempty"`
	Front     *FrontResult  `json:"front,omitempty"`
	Staleness *StaleResult  `json:"staleness,omitempty"`
	Errors    []string      `json:"errors,omitempty"`
	Elapsed   time.Duration `json:"elapsed"`
}

// Measure runs the parts o asks for. A part that fails is noted in the
// result's Errors and the rest go on; the error returned joins them, or
// is ctx's.
func Measure(ctx context.Context, o Options, progress func(string)) (*Result, error) {
	if progress == nil {
		progress = func(string) {}
	}
	start := time.Now()
	res := &Result{}
	var errs []error
	fail := func(what string, err error) {
		err = fmt.Errorf("cache %s: %w", what, err)
		errs = append(errs, err)
		res.Errors = append(res.Errors, err.Error())
	}
	if _, err := measure.RaiseNofile(); err != nil { // the herd's connections, before any child inherits the limit
		return res, err
	}
	if o.Limit {
		exe, err := os.Executable()
		if err == nil {
			res.Limit, err = measureLimit(ctx, exe, o, progress)
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if err != nil {
			fail("limit", err)
		}
	}
	if o.Herd || o.Front || o.Staleness {
		dir, err := os.MkdirTemp("", "bigpipe-cache-*")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(dir)
		progress("building the server")
		bin, err := measure.BuildSite(ctx, dir)
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if err != nil {
			fail("build", err)
			o.Herd, o.Front, o.Staleness = false, false, false
		}
		sv := sites{bin: bin, dir: dir}
		if o.Herd {
			res.Herd, err = measureHerd(ctx, sv, o, progress)
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			if err != nil {
				fail("herd", err)
			}
		}
		if o.Front {
			res.Front, err = measureFront(ctx, sv, o, progress)
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			if err != nil {
				fail("front page", err)
			}
		}
		if o.Staleness {
			res.Staleness, err = measureStaleness(ctx, sv, o, progress)
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			if err != nil {
				fail("staleness", err)
			}
		}
	}
	res.Elapsed = time.Since(start).Round(time.Millisecond)
	return res, errors.Join(errs...)
}

// sites starts instances of the demo server built into dir.
type sites struct {
	bin, dir string
	n        int
}

// start starts an instance with args after the defaults (see
// measure.StartSite), its store a file of its own.
func (s *sites) start(ctx context.Context, admin bool, args ...string) (*measure.Site, error) {
	s.n++
	return measure.StartSite(ctx, s.bin, fmt.Sprintf("%s/news-%d.db", s.dir, s.n), admin, args...)
}
