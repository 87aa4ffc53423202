package cachebench

// Closed-loop rounds against several targets in turn (the page bench's
// load method, bench/page/load.go, with the raw client of
// measure.RawLoadRun rather than Go's HTTP client, whose own cost on the
// shared cores would hide much of the difference between a cheap server
// and a dearer one): at one concurrency, the targets take
// turns in rounds that alternate their order, each round after a short
// warm-up; a target's RPS is the median of its rounds, its latency
// percentiles are over every sample of every round, and the server's CPU
// time per request is read from /proc across each round.

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// target is one thing the rounds load: a URL, sent with a User-Agent and
// extra headers, served by the process pid (0: no CPU figure).
type target struct {
	name   string
	url    string
	ua     string
	header http.Header
	pid    int
}

// Row is one target's figures over its rounds.
type Row struct {
	Name     string        `json:"name"`
	Requests int           `json:"requests"`
	Errors   int           `json:"errors"`
	RPS      float64       `json:"rps"`             // median over the rounds
	RoundRPS []float64     `json:"round_rps"`       // each round's
	P50      time.Duration `json:"p50"`             // request sent → last byte read
	P99      time.Duration `json:"p99"`             //
	CPU      time.Duration `json:"cpu_per_req"`     // the server's CPU time per request (user and system), median over the rounds
	Bytes    int           `json:"bytes,omitempty"` // body bytes of one response
}

// roundsPlan is what runRounds measures.
type roundsPlan struct {
	targets  []target
	workers  int
	rounds   int
	round    time.Duration // each round of each target
	maxReq   int           // requests per round at most; 0: no limit
	pace     time.Duration // each worker's least time between requests (measure.RawSpec.Pace); 0: back to back
	progress func(string)
}

// runRounds runs p. It returns an error only when ctx ends.
func runRounds(ctx context.Context, p roundsPlan) ([]Row, error) {
	rows := make([]Row, len(p.targets))
	samples := make([][]time.Duration, len(p.targets))
	cpus := make([][]time.Duration, len(p.targets))
	for r := range p.rounds {
		order := make([]int, len(p.targets))
		for i := range order {
			order[i] = i
		}
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, i := range order {
			t := p.targets[i]
			h := t.header.Clone()
			if h == nil {
				h = http.Header{}
			}
			h.Set("User-Agent", t.ua)
			spec := measure.RawSpec{URL: t.url, Header: h, Workers: p.workers, For: p.round, MaxRequests: p.maxReq, Pace: p.pace}
			warm := spec
			warm.For = measure.LoadWarmup(p.round)
			if p.maxReq > 0 {
				warm.MaxRequests = max(p.workers, p.maxReq/10)
			}
			p.progress(fmt.Sprintf("%s c=%d round %d/%d: warm-up", t.name, p.workers, r+1, p.rounds))
			if _, err := measure.RawLoadRun(ctx, warm); err != nil {
				return nil, err
			}
			p.progress(fmt.Sprintf("%s c=%d round %d/%d: %v", t.name, p.workers, r+1, p.rounds, p.round))
			cpu0 := procCPU(t.pid)
			run, err := measure.RawLoadRun(ctx, spec)
			if err != nil {
				return nil, err
			}
			cpu1 := procCPU(t.pid)
			row := &rows[i]
			row.Name = t.name
			row.Requests += run.Requests
			row.Errors += run.Errors
			ok := run.Requests - run.Errors
			if run.Elapsed > 0 {
				row.RoundRPS = append(row.RoundRPS, float64(ok)/run.Elapsed.Seconds())
			}
			if t.pid != 0 && ok > 0 && cpu1 > cpu0 {
				cpus[i] = append(cpus[i], (cpu1-cpu0)/time.Duration(ok))
			}
			samples[i] = append(samples[i], run.Samples...)
		}
	}
	for i := range rows {
		rows[i].RPS = median(rows[i].RoundRPS)
		rows[i].P50 = measure.Percentile(samples[i], 50)
		rows[i].P99 = measure.Percentile(samples[i], 99)
		rows[i].CPU = measure.Median(cpus[i])
	}
	return rows, nil
}

// procCPU is process pid's CPU time so far, 0 if unknown.
func procCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	d, err := measure.ProcCPU(pid)
	if err != nil {
		return 0
	}
	return d
}

// median is the median of xs (the mean of the middle two for an even
// count), 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
