package scale

// The instances of the real server binary a run starts, and what is read
// from outside of them: RSS from /proc, and the Go runtime's and the live
// engine's series from their /metrics.

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// Sample is one instance seen from outside at one moment.
type Sample struct {
	RSS         uint64  // VmRSS, bytes
	Goroutines  float64 // go_goroutines
	HeapInuse   float64 // go_memstats_heap_inuse_bytes
	StackInuse  float64 // go_memstats_stack_inuse_bytes
	Connections float64 // bigpipe_live_connections, every transport
	Disconnects string  // bigpipe_live_disconnects_total by reason, "reason=n …"
}

// sample reads s's RSS and its /metrics series.
func sample(ctx context.Context, s *measure.Site) (Sample, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.Pid()))
	if err != nil {
		return Sample{}, err
	}
	rss, _, err := measure.ProcStatus(b)
	if err != nil {
		return Sample{}, err
	}
	out := Sample{RSS: rss}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.Addr+"/metrics", nil)
	if err != nil {
		return Sample{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Sample{}, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	var ends []string
	for sc.Scan() {
		if r, ok := strings.CutPrefix(sc.Text(), `bigpipe_live_disconnects_total{reason="`); ok {
			if reason, n, ok := strings.Cut(r, `"} `); ok && n != "0" {
				ends = append(ends, reason+"="+n)
			}
		}
		name, v, ok := series(sc.Text())
		if !ok {
			continue
		}
		switch name {
		case "go_goroutines":
			out.Goroutines = v
		case "go_memstats_heap_inuse_bytes":
			out.HeapInuse = v
		case "go_memstats_stack_inuse_bytes":
			out.StackInuse = v
		case "bigpipe_live_connections":
			out.Connections += v
		}
	}
	out.Disconnects = strings.Join(ends, " ")
	return out, sc.Err()
}

// series reads a line of the text exposition format: the metric's name
// (labels dropped) and its value.
func series(line string) (string, float64, bool) {
	if line == "" || line[0] == '#' {
		return "", 0, false
	}
	i := strings.LastIndexByte(line, ' ')
	if i < 0 {
		return "", 0, false
	}
	v, err := strconv.ParseFloat(line[i+1:], 64)
	if err != nil {
		return "", 0, false
	}
	name := line[:i]
	if j := strings.IndexByte(name, '{'); j >= 0 {
		name = name[:j]
	}
	return name, v, true
}

// PerConn is what an instance holds per connection: after less before,
// divided by the connections it holds.
type PerConn struct {
	Conns                       int
	RSS, Heap, Stack, Goroutine float64 // bytes, bytes, bytes, goroutines
}

// perConn divides the growth from before to after by after's connections.
func perConn(before, after Sample) PerConn {
	n := after.Connections
	if n <= 0 {
		return PerConn{}
	}
	return PerConn{
		Conns:     int(n),
		RSS:       (float64(after.RSS) - float64(before.RSS)) / n,
		Heap:      (after.HeapInuse - before.HeapInuse) / n,
		Stack:     (after.StackInuse - before.StackInuse) / n,
		Goroutine: (after.Goroutines - before.Goroutines) / n,
	}
}

// targetOf reads s's front page and makes the Target clients connect with.
func targetOf(ctx context.Context, s *measure.Site) (Target, []string, error) {
	g, err := frontGrant(ctx, "http://"+s.Addr)
	if err != nil {
		return Target{}, nil, err
	}
	return Target{Addr: s.Addr, URL: g.URL, Connect: string(g.connectCommand()), Subs: len(g.Channels)}, g.channelNames(), nil
}
