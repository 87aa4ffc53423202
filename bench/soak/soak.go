// Package soak is the soak: the in-process server under sustained mixed
// load, watched for wrong answers and for growth of goroutines and heap.
// go run ./bench soak runs it (see Run); so does TestSoak.
//
// Load is offered open-loop at the rate the load figures report: a short
// calibration measures zero-delay pipelined pages at concurrency 16 (as
// measureLoad does), and the soak then starts requests at that rate,
// whatever the server's latency. Closed-loop at concurrency 16 would offer
// only 16 pages per slowest pagelet (about 16 / 0.3 s with delays up to
// 300 ms), a small fraction of that rate. The number of requests in flight
// is bounded so that an overloaded run cannot grow without limit: an
// arrival that finds the bound reached is skipped and counted, not queued.
// The bound is the rate times soakInFlight, at most soakConfig.Outstanding.
// A larger bound serves more pages only by queueing them, and on a busy
// machine it starves goroutines of CPU for seconds: on two shared cores,
// 3-minute runs with the rate times 300 ms and 100 ms in flight (1663 and
// 828) served 2551 and 1376 pages/s at about twice the delays' latency,
// and 38 of 471,039 and 78 of 253,594 pages reached their clients cut
// short, because a handler waited for a CPU longer than the 2 s write
// deadline it had set before its write. Most of them were counted
// complete by the observer, their last bytes (written by net/http after the
// handler returned) having missed that deadline; since then the renderer
// flushes its last write itself and counts such a page client_gone. At
// 50 ms (182 in flight): 747 pages/s at the delays' latency, none cut.
package soak

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/internal/headless"
	"github.com/bigpipe-go/bigpipe/render"
)

// Pass criteria of a soak (see soakReport.problems).
const (
	soakGoroutineSlack = 5       // goroutines at the end, over the baseline
	soakHeapGrowth     = 1.5     // last window's live heap over the first's…
	soakHeapSlack      = 8 << 20 // …plus this many bytes

	// soakInFlight times the calibrated rate bounds the requests in flight.
	soakInFlight = 50 * time.Millisecond
)

// soakConfig is one soak run.
type soakConfig struct {
	Load         time.Duration // how long load is offered
	MaxRequests  int           // open-loop requests at most
	Outstanding  int           // open-loop requests in flight at most (see the bound above)
	SlowReaders  int           // slow readers at once
	WriteTimeout time.Duration // the server's render.WithWriteTimeout
	PageTimeout  time.Duration // the server's render.WithPageTimeout
	Calibrate    time.Duration // how long the rate is measured
	SampleEvery  time.Duration // goroutines and heap are sampled this often
	Window       time.Duration // the first and last windows compared; 0 means a fifth of Load
	Progress     func(string)  // told what is happening; may be nil
}

// soakSample is the process at one moment of the load.
type soakSample struct {
	At         time.Duration // since the load started
	Goroutines int
	HeapLive   uint64 // found live by the last collection
	Requests   int64  // finished so far
}

// soakKindStats counts one kind of client's requests.
type soakKindStats struct {
	Requests int           // finished
	Errors   int           // unexpected answers
	Skipped  int           // not sent: the bound on requests in flight was reached
	Latency  time.Duration // summed over the finished requests
}

// soakReport is what a soak run found.
type soakReport struct {
	Config        soakConfig
	CalibratedRPS float64 // zero-delay pipelined pages per second at concurrency 16
	Bound         int     // open-loop requests in flight at most
	Elapsed       time.Duration
	Requests      int // finished, every kind
	Errors        int // unexpected answers seen by clients
	Skipped       int
	ByKind        map[soakKind]*soakKindStats
	ErrorSamples  []string // the first few client-side errors
	// The server's observer: outcomes by kind, pagelet failures, and
	// outcomes or failures a kind of client should not have caused.
	Outcomes      map[soakKind]map[render.Outcome]int
	Failures      map[render.Failure]int
	ServerErrors  int
	ServerSamples []string
	Samples       []soakSample
	// The process before the load and once it has drained (heap in use
	// after a forced collection), and the medians of the first and last
	// windows of the load (live heap: see heapLive).
	BaseGoroutines, EndGoroutines   int
	BaseHeap, EndHeap               uint64
	FirstGoroutines, LastGoroutines int
	FirstHeap, LastHeap             uint64
}

// runSoak starts the server, calibrates the rate, offers the load, lets it
// drain and reports. An error means the soak could not run; what it found
// is in the report.
func runSoak(ctx context.Context, cfg soakConfig) (*soakReport, error) {
	if cfg.Load <= 0 || cfg.Outstanding < 1 || cfg.Calibrate <= 0 || cfg.SampleEvery <= 0 {
		return nil, errors.New("soak: bad configuration")
	}
	sr := &soakRun{cfg: cfg, progress: cfg.Progress, obs: newSoakObserver(),
		rep:  &soakReport{Config: cfg, ByKind: map[soakKind]*soakKindStats{}},
		bufs: sync.Pool{New: func() any { return new(bytes.Buffer) }}}
	if sr.progress == nil {
		sr.progress = func(string) {}
	}
	for _, k := range soakKinds() {
		sr.rep.ByKind[k] = &soakKindStats{}
	}
	stop, err := sr.serve()
	if err != nil {
		return nil, err
	}
	defer stop()
	rep := sr.rep
	sr.progress(fmt.Sprintf("calibrating: zero-delay pipelined pages at concurrency 16 for %v", cfg.Calibrate))
	if rep.CalibratedRPS, err = calibrate(ctx, sr.srv.URL, cfg.Calibrate); err != nil {
		return nil, err
	}
	rep.Bound = min(cfg.Outstanding, max(16, int(rep.CalibratedRPS*soakInFlight.Seconds())))
	rep.BaseGoroutines = settle(ctx, 0)
	rep.BaseHeap = heapInuse()
	sr.progress(fmt.Sprintf("offering %.0f pages/s for %v, at most %d in flight (%d goroutines, heap %s before)", rep.CalibratedRPS, cfg.Load, rep.Bound, rep.BaseGoroutines, mib(rep.BaseHeap)))

	tr := &http.Transport{
		MaxIdleConns:        rep.Bound + 16,
		MaxIdleConnsPerHost: rep.Bound + 16,
		DisableCompression:  true,
		IdleConnTimeout:     30 * time.Second,
	}
	sr.client = &http.Client{Transport: tr, Timeout: cfg.PageTimeout + 10*time.Second}
	loadCtx, stopLoad := context.WithTimeout(ctx, cfg.Load)
	defer stopLoad()
	sr.start = time.Now()
	var sampling sync.WaitGroup
	sampling.Go(func() { sr.sample(loadCtx) })
	sr.slowReaders(ctx, loadCtx)
	sr.arrivals(ctx, loadCtx)
	stopLoad()
	sampling.Wait()
	sr.progress("load offered: waiting for the requests in flight")
	sr.wg.Wait()
	rep.Elapsed = time.Since(sr.start)
	tr.CloseIdleConnections()

	rep.EndGoroutines = settle(ctx, rep.BaseGoroutines+soakGoroutineSlack)
	rep.EndHeap = heapInuse()
	rep.Outcomes, rep.Failures, rep.ServerErrors, rep.ServerSamples = sr.obs.snapshot()
	for _, s := range rep.ByKind {
		rep.Requests += s.Requests
		rep.Errors += s.Errors
		rep.Skipped += s.Skipped
	}
	rep.windows()
	return rep, ctx.Err()
}

// soakRun is a soak under way.
type soakRun struct {
	cfg      soakConfig
	progress func(string)
	obs      *soakObserver
	srv      *measure.LocalServer
	slowAddr string // the listener of the slow readers, with a small send buffer
	client   *http.Client
	start    time.Time // of the load

	mu       sync.Mutex // guards rep
	rep      *soakReport
	finished atomic.Int64 // requests done
	inflight atomic.Int64 // open-loop requests in flight
	wg       sync.WaitGroup
	bufs     sync.Pool
}

// serve starts the server, on a listener of its own for the slow readers
// too; stop stops it.
func (sr *soakRun) serve() (stop func(), err error) {
	cfg := sr.cfg
	srv, err := measure.StartLocal(render.WithObserver(sr.obs), render.WithWriteTimeout(cfg.WriteTimeout), render.WithPageTimeout(cfg.PageTimeout))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	sr.srv, sr.slowAddr = srv, ln.Addr().String()
	slowDone := make(chan error, 1)
	go func() { slowDone <- srv.Serve(soakSlowListener{Listener: ln, sndbuf: 16 << 10}) }()
	return func() { _ = srv.Close(); <-slowDone }, nil
}

// record counts one request of kind k, sent at t0, that ended with err.
func (sr *soakRun) record(k soakKind, t0 time.Time, err error) {
	sr.finished.Add(1)
	sr.mu.Lock()
	defer sr.mu.Unlock()
	rep := sr.rep
	rep.ByKind[k].Requests++
	rep.ByKind[k].Latency += time.Since(t0)
	if err != nil {
		rep.ByKind[k].Errors++
		if len(rep.ErrorSamples) < 10 {
			rep.ErrorSamples = append(rep.ErrorSamples, fmt.Sprintf("%s: %v", k, err))
		}
	}
}

// sample samples goroutines and heap every SampleEvery while loadCtx lasts.
func (sr *soakRun) sample(loadCtx context.Context) {
	t := time.NewTicker(sr.cfg.SampleEvery)
	defer t.Stop()
	for {
		select {
		case <-loadCtx.Done():
			return
		case <-t.C:
			s := soakSample{At: time.Since(sr.start), Goroutines: runtime.NumGoroutine(), Requests: sr.finished.Load(), HeapLive: heapLive()}
			sr.rep.Samples = append(sr.rep.Samples, s)
			sr.progress(fmt.Sprintf("soak %v/%v: %d requests, %d in flight, %d goroutines, live heap %s",
				s.At.Round(time.Second), sr.cfg.Load, s.Requests, sr.inflight.Load(), s.Goroutines, mib(s.HeapLive)))
		}
	}
}

// slowReaders starts the slow readers: a closed loop each, as long as the
// load lasts.
func (sr *soakRun) slowReaders(ctx, loadCtx context.Context) {
	patience := sr.cfg.PageTimeout + 2*sr.cfg.WriteTimeout
	var slowID atomic.Int64
	for range sr.cfg.SlowReaders {
		sr.wg.Go(func() {
			for loadCtx.Err() == nil {
				id := strconv.FormatInt(slowID.Add(1), 10)
				t0 := time.Now()
				sr.record(kindSlow, t0, slowRead(ctx, sr.slowAddr, sr.obs, id, patience))
			}
		})
	}
}

// arrivals is the open loop: requests started at the calibrated rate
// until loadCtx ends or MaxRequests have arrived; an arrival that finds
// the bound reached is skipped and counted.
func (sr *soakRun) arrivals(ctx, loadCtx context.Context) {
	cfg, rep := sr.cfg, sr.rep
	gen := newSoakGen()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	launched := 0
	for launched < cfg.MaxRequests || cfg.MaxRequests <= 0 {
		select {
		case <-loadCtx.Done():
			return
		case <-tick.C:
		}
		due := int(time.Since(sr.start).Seconds() * rep.CalibratedRPS)
		for ; launched < due && (launched < cfg.MaxRequests || cfg.MaxRequests <= 0); launched++ {
			r := gen.next()
			if sr.inflight.Load() >= int64(rep.Bound) {
				sr.mu.Lock()
				rep.ByKind[r.kind].Skipped++
				sr.mu.Unlock()
				continue
			}
			sr.inflight.Add(1)
			sr.wg.Go(func() { sr.request(ctx, r) })
		}
	}
}

// request sends one open-loop request and records it.
func (sr *soakRun) request(ctx context.Context, r soakRequest) {
	defer sr.inflight.Add(-1)
	t0 := time.Now()
	if r.kind == kindDisconnect {
		sr.record(r.kind, t0, disconnect(ctx, sr.client, sr.srv.URL, r))
		return
	}
	b := sr.bufs.Get().(*bytes.Buffer)
	defer sr.bufs.Put(b)
	sr.record(r.kind, t0, readPage(ctx, sr.client, sr.srv.URL, r, b))
}

// zeroPage is the page calibrate times: the page bench's zero-delay page
// (six pagelets, none waits), pipelined.
const zeroPage = "/bench?delays=0,0,0,0,0,0&mode=pipelined"

// calibrate measures zero-delay pipelined pages per second at concurrency
// 16, after a short warm-up, with the load figures' own generator.
func calibrate(ctx context.Context, baseURL string, d time.Duration) (float64, error) {
	const c = 16
	tr := &http.Transport{MaxIdleConns: c + 16, MaxIdleConnsPerHost: c + 16, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: measure.LoadRequestTimeout}
	spec := measure.LoadSpec{Client: client, URL: strings.TrimRight(baseURL, "/") + zeroPage, UA: headless.ChromeUA, Workers: c, For: measure.LoadWarmup(d)}
	if _, err := measure.LoadRun(ctx, spec); err != nil {
		return 0, err
	}
	spec.For = d
	run, err := measure.LoadRun(ctx, spec)
	if err != nil {
		return 0, err
	}
	if run.Errors > 0 || run.Requests == 0 {
		return 0, fmt.Errorf("soak: calibration: %d of %d requests failed", run.Errors, run.Requests)
	}
	return float64(run.Requests) / run.Elapsed.Seconds(), nil
}

// settle waits, up to 15 s, until the number of goroutines is at most
// target (0: until it stops changing), and returns it.
func settle(ctx context.Context, target int) int {
	deadline := time.Now().Add(15 * time.Second)
	last, same := -1, 0
	for {
		runtime.GC()
		n := runtime.NumGoroutine()
		if n == last {
			same++
		} else {
			last, same = n, 0
		}
		if (target > 0 && n <= target) || (target <= 0 && same >= 3) || time.Now().After(deadline) || ctx.Err() != nil {
			return n
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// heapLive is the heap the last collection found live
// (/gc/heap/live:bytes), read without forcing one: under load a forced
// collection every few seconds stalls the process, for seconds under the
// race detector with thousands of goroutines, and the clients it stalls
// then miss the server's write deadline. The runtime collects often under
// load, so the figure is fresh.
func heapLive() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// heapInuse is the heap in use after a collection.
func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// windows sets the first and last windows' medians from the samples.
func (r *soakReport) windows() {
	w := r.Config.Window
	if w <= 0 {
		w = r.Config.Load / 5
	}
	var fg, lg []int
	var fh, lh []uint64
	for _, s := range r.Samples {
		if s.At <= w {
			fg, fh = append(fg, s.Goroutines), append(fh, s.HeapLive)
		}
		if s.At >= r.Config.Load-w {
			lg, lh = append(lg, s.Goroutines), append(lh, s.HeapLive)
		}
	}
	r.FirstGoroutines, r.LastGoroutines = medianOf(fg), medianOf(lg)
	r.FirstHeap, r.LastHeap = medianOf(fh), medianOf(lh)
}

func medianOf[T int | uint64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// problems lists how the run missed the pass criteria: an unexpected
// answer of any client or of the server, goroutines not back to the
// baseline (within soakGoroutineSlack) once the load drained, or the heap
// grown and kept: the live heap grown from the first window of the load
// to the last by more than soakHeapGrowth times plus soakHeapSlack (see
// heapLive), and the heap in use once drained grown as much over its
// baseline before the load. Growth during the load alone is what the
// requests in flight hold: on a machine that other work slows down, more
// of them wait at once, and it goes with them (a clean-clone make test
// run saw the live heap go from 15.6 to 32.7 MiB that way); a leak stays
// once they are done. None means it passed.
func (r *soakReport) problems() []string {
	var out []string
	if r.Errors > 0 {
		out = append(out, fmt.Sprintf("%d unexpected answers seen by clients, such as %q", r.Errors, r.ErrorSamples))
	}
	if r.ServerErrors > 0 {
		out = append(out, fmt.Sprintf("%d unexpected outcomes seen by the server, such as %q", r.ServerErrors, r.ServerSamples))
	}
	if r.EndGoroutines > r.BaseGoroutines+soakGoroutineSlack {
		out = append(out, fmt.Sprintf("%d goroutines once drained, %d before the load (slack %d)", r.EndGoroutines, r.BaseGoroutines, soakGoroutineSlack))
	}
	if r.FirstHeap == 0 || r.LastHeap == 0 {
		out = append(out, fmt.Sprintf("too few samples (%d) to compare the first and last windows", len(r.Samples)))
	} else if limit, kept := grown(r.FirstHeap), grown(r.BaseHeap); r.LastHeap > limit && r.EndHeap > kept {
		out = append(out, fmt.Sprintf("live heap grew from %s (first window) to %s (last), over the limit %s, and kept %s once drained (%s before the load, limit %s)",
			mib(r.FirstHeap), mib(r.LastHeap), mib(limit), mib(r.EndHeap), mib(r.BaseHeap), mib(kept)))
	}
	if n := r.Outcomes[kindSlow][render.ClientGone]; r.ByKind[kindSlow].Requests > 0 && n != r.ByKind[kindSlow].Requests {
		out = append(out, fmt.Sprintf("%d slow readers, %d cut off by the write timeout", r.ByKind[kindSlow].Requests, n))
	}
	return out
}

// grown is the most a heap of b bytes may grow to: soakHeapGrowth times
// plus soakHeapSlack.
func grown(b uint64) uint64 { return uint64(float64(b)*soakHeapGrowth) + soakHeapSlack }

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// table is the report as text: the totals, the process before, during and
// after, and each kind of client with the server's outcomes for it.
func (r *soakReport) table() string {
	var b bytes.Buffer
	secs := r.Elapsed.Seconds()
	fmt.Fprintf(&b, "soak: %v of load offered at %.0f pages/s (calibrated: zero-delay pipelined, c=16), at most %d in flight, %d slow readers\n",
		r.Config.Load, r.CalibratedRPS, r.Bound, r.Config.SlowReaders)
	fmt.Fprintf(&b, "requests %d in %.1fs (%.0f/s), unexpected: %d client-side, %d server-side; skipped (bound reached) %d\n",
		r.Requests, secs, float64(r.Requests)/max(secs, 1e-9), r.Errors, r.ServerErrors, r.Skipped)
	fmt.Fprintf(&b, "%-12s %10s %10s\n", "", "goroutines", "heap")
	fmt.Fprintf(&b, "%-12s %10d %10s   (heap in use after a GC)\n", "before", r.BaseGoroutines, mib(r.BaseHeap))
	fmt.Fprintf(&b, "%-12s %10d %10s   (medians of the first window; live heap)\n", "first", r.FirstGoroutines, mib(r.FirstHeap))
	fmt.Fprintf(&b, "%-12s %10d %10s   (medians of the last window; live heap)\n", "last", r.LastGoroutines, mib(r.LastHeap))
	fmt.Fprintf(&b, "%-12s %10d %10s   (load over, drained; heap in use after a GC)\n", "end", r.EndGoroutines, mib(r.EndHeap))
	fmt.Fprintf(&b, "%-12s %9s %7s %8s %9s   %s\n", "kind", "requests", "errors", "skipped", "mean ms", "server outcomes")
	for _, k := range soakKinds() {
		s := r.ByKind[k]
		var oc []string
		for _, o := range []render.Outcome{render.Complete, render.ClientGone, render.Aborted, render.Failed, render.Rejected, render.Shed} {
			if n := r.Outcomes[k][o]; n > 0 {
				oc = append(oc, fmt.Sprintf("%s %d", o, n))
			}
		}
		mean := 0.0
		if s.Requests > 0 {
			mean = float64(s.Latency) / float64(s.Requests) / float64(time.Millisecond)
		}
		fmt.Fprintf(&b, "%-12s %9d %7d %8d %9.0f   %s\n", k, s.Requests, s.Errors, s.Skipped, mean, strings.Join(oc, ", "))
	}
	var fs []string
	for _, f := range []render.Failure{render.FailNone, render.FailError, render.FailPanic, render.FailTimeout, render.FailCanceled} {
		name := string(f)
		if f == render.FailNone {
			name = "content"
		}
		fs = append(fs, fmt.Sprintf("%s %d", name, r.Failures[f]))
	}
	fmt.Fprintf(&b, "pagelets: %s\n", strings.Join(fs, ", "))
	return b.String()
}
