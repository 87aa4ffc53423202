package overload

// The server process watched from outside while the load runs: its
// resident memory (/proc), and its goroutines and heap (its own
// /metrics, on the admin listener).

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// sample is the server at one moment.
type sample struct {
	At         time.Duration // since the load started
	RSS        uint64        // resident memory
	Heap       uint64        // go_memstats_heap_inuse_bytes
	Goroutines int
}

// probe reads the server: pid's status and the metrics at admin.
type probe struct {
	pid    int
	admin  string // host:port of the admin listener
	client *http.Client
}

func newProbe(pid int, admin string) *probe {
	return &probe{pid: pid, admin: admin, client: &http.Client{Timeout: 10 * time.Second}}
}

// read takes one sample.
func (p *probe) read(ctx context.Context) (sample, error) {
	var s sample
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		return s, err
	}
	if s.RSS, _, err = measure.ProcStatus(b); err != nil {
		return s, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.admin+"/metrics", nil)
	if err != nil {
		return s, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return s, fmt.Errorf("overload: metrics: %w", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		switch name {
		case "go_goroutines":
			f, _ := strconv.ParseFloat(v, 64)
			s.Goroutines = int(f)
		case "go_memstats_heap_inuse_bytes":
			f, _ := strconv.ParseFloat(v, 64)
			s.Heap = uint64(f)
		}
	}
	return s, sc.Err()
}

// watch samples every every until ctx ends, and returns the samples
// through the function it returns (which waits for the last).
func (p *probe) watch(ctx context.Context, every time.Duration) func() []sample {
	var (
		mu  sync.Mutex
		out []sample
		wg  sync.WaitGroup
	)
	start := time.Now()
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if s, err := p.read(ctx); err == nil {
				s.At = time.Since(start)
				mu.Lock()
				out = append(out, s)
				mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return func() []sample {
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(out)
	}
}

// trend is a figure over the load: its median in the first and the last
// window, and its maximum.
type trend struct{ First, Last, Max float64 }

// trendOf works out f's trend over samples, windows of w at either end.
func trendOf(samples []sample, w time.Duration, f func(sample) float64) trend {
	if len(samples) == 0 {
		return trend{}
	}
	end := samples[len(samples)-1].At
	var first, last []float64
	var tr trend
	for _, s := range samples {
		v := f(s)
		tr.Max = max(tr.Max, v)
		if s.At <= samples[0].At+w {
			first = append(first, v)
		}
		if s.At >= end-w {
			last = append(last, v)
		}
	}
	tr.First, tr.Last = median(first), median(last)
	return tr
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}
