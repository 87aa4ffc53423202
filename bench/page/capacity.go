package page

// Capacity figures: how many in-flight pipelined pages the server holds at
// once, and what each costs it in memory.
//
// The server runs as a child process (the real binary, built from the
// module), so that its memory is its own to measure and its file
// descriptors are not the load generator's. Each level gets a fresh server.
// Its memory is measured from outside:
//
//   - RSS from /proc/<pid>/status (VmRSS): before (after a warm-up) and with
//     every page in flight; RSS per page is the difference over the pages
//     held.
//   - Heap from the Go runtime's own GC trace (GODEBUG=gctrace=1, one line
//     on stderr per collection, with the live heap it marked, in MB): the
//     server has no metrics endpoint and the benchmark adds none. A
//     collection does not come when it is wanted, so once every page is in
//     flight the benchmark nudges one: it requests pages that allocate and
//     are thrown away, until the next collection reports the live heap with
//     every held page in it. If none comes in time, the last collection
//     during the ramp-up is used and scaled to the pages held (see
//     capacityHeap); if the idle server's heap could not be had either, the
//     heap figures are 0. The trace gives whole MB (truncated), so they are
//     good to about 1 MiB: 100 bytes a page at 10,000 pages, 5 KiB at 200.
//   - Goroutines are not measurable from outside without an endpoint and are
//     reported as 0; the progress line gives the thread count instead.
//
// Each in-flight page is /bench?delays=<hold>&mode=pipelined: the skeleton
// is flushed at once and one slow pagelet holds the page open for hold. The
// client side is raw TCP, one goroutine and a small buffer per connection:
// it dials, sends the GET, reads until the skeleton's bigPipe.setup( call
// has arrived and waits; when every connection has its skeleton (or has
// failed) the server is measured, then every page is read to its end.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

const (
	// capacityDefaultHold is how long each page is held open when the
	// caller gives no hold.
	capacityDefaultHold = 2 * time.Second
	// capacityBatch is how many connections are being opened at once.
	capacityBatch = 500
	// capacityDialTimeout bounds one dial; capacitySkeletonTimeout the
	// time from the request to its skeleton.
	capacityDialTimeout     = 5 * time.Second
	capacitySkeletonTimeout = 15 * time.Second
	// capacityFinishSlack is how long past its hold a page may take to end.
	capacityFinishSlack = 30 * time.Second
	// capacityAssumedRate is the opening rate (connections per second with
	// their skeletons) assumed before one has been measured, and the most
	// a measured one is trusted: a burst of 1,000 on an idle loopback opens
	// at 10,000/s, 10,000 on the same machine have taken from 1 s to 2.8 s.
	capacityAssumedRate = 3000.0
	// capacityMeasureWindow is what the hold must leave, after every
	// connection is open, for measuring: RSS samples and the nudged
	// collection.
	capacityMeasureWindow = time.Second
	// capacityStartTimeout bounds the server's start (it seeds its store).
	capacityStartTimeout = 30 * time.Second
	// capacityNudgeMax bounds the requests of one nudge.
	capacityNudgeMax = 100_000
	// capacityNudgeDelays is the size of the page the nudge requests: a
	// serial page of that many zero-delay pagelets, which allocates plenty
	// and holds nothing.
	capacityNudgeDelays = 64
	// capSetupMarker is what the skeleton ends with; capEndMarker the page.
	capSetupMarker = "bigPipe.setup("
	capEndMarker   = "</html>"
)

// measureCapacity builds the server, and for each level starts it as a child
// process, opens level concurrent connections each holding an in-flight
// pipelined page, measures the server with all of them in flight, then reads
// every page to its end and stops the server. hold (0: 2 s) is how long the
// slow pagelet holds each page; a level whose connections would take too
// long to open for that gets a longer hold, chosen as twice the time opening
// them is expected to take (at the rate measured by the previous level, but
// at most capacityAssumedRate, which is also the first level's) plus
// capacityMeasureWindow, so that the first page opened is still in flight
// when the last one is, with time left to measure: 2 s stays 2 s at 1,000,
// and 10,000 get 7.7 s. progress, if not nil, is told before each step: once
// for the build, then five times per level.
//
// An error is returned when the server cannot be built or started, when a
// level needs more file descriptors than this process may open, or when ctx
// is done; failed connections are counted, not returned.
func measureCapacity(ctx context.Context, levels []int, hold time.Duration, progress func(string)) ([]CapacityResult, error) {
	if progress == nil {
		progress = func(string) {}
	}
	if hold <= 0 {
		hold = capacityDefaultHold
	}
	limit, err := measure.RaiseNofile()
	if err != nil {
		return nil, err
	}
	for _, level := range levels {
		if level < 1 {
			return nil, fmt.Errorf("capacity: level %d is below 1", level)
		}
		if uint64(level)+256 > limit {
			return nil, fmt.Errorf("capacity: level %d needs more open files than this process may have (%d); raise ulimit -n", level, limit)
		}
	}
	dir, err := os.MkdirTemp("", "bigpipe-capacity-*")
	if err != nil {
		return nil, fmt.Errorf("capacity: %w", err)
	}
	defer os.RemoveAll(dir)
	progress("capacity: building the server")
	bin, err := buildCapServer(ctx, dir)
	if err != nil {
		return nil, err
	}

	rate := capacityAssumedRate
	var out []CapacityResult
	for _, level := range levels {
		h := capacityHold(hold, level, rate)
		res, openRate, err := capacityLevel(ctx, bin, dir, level, h, progress)
		if err != nil {
			return out, err
		}
		if openRate > 0 {
			rate = min(openRate, capacityAssumedRate)
		}
		out = append(out, res)
	}
	return out, nil
}

// capacityHold is the hold for a level: at least hold, and at least twice
// the time opening level connections at rate (per second) is expected to
// take plus capacityMeasureWindow, rounded up to 100 ms and at most a minute.
func capacityHold(hold time.Duration, level int, rate float64) time.Duration {
	open := time.Duration(float64(level) / rate * float64(time.Second))
	h := max(hold, 2*open+capacityMeasureWindow)
	h = (h + 99*time.Millisecond).Truncate(100 * time.Millisecond)
	return min(h, time.Minute)
}

// buildCapServer builds the server binary of the module this benchmark belongs
// to into dir.
func buildCapServer(ctx context.Context, dir string) (string, error) {
	bin, err := measure.BuildSite(ctx, dir)
	if err != nil {
		return "", fmt.Errorf("capacity: %w", err)
	}
	return bin, nil
}

// capServer is one running child server.
type capServer struct {
	cmd    *exec.Cmd
	addr   string
	trace  *capGCTrace
	exited chan struct{}
}

// startCapServer starts bin on a free loopback port, with its store in dir,
// and waits until it answers /healthz. With skels nil the child runs
// without a GC trace (the load figure's server: nothing counts its
// collections); extra flags follow the defaults.
func startCapServer(ctx context.Context, bin, dir string, skels *atomic.Int64, extra ...string) (*capServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("capacity: free port: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()

	tr := &capGCTrace{skels: skels}
	args := append([]string{"-addr", addr, "-db", filepath.Join(dir, "news.db"), "-log-level", "error", "-compress=false"}, extra...)
	cmd := exec.CommandContext(ctx, bin, args...)
	if skels != nil {
		cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1")
	}
	cmd.Stdout = io.Discard
	cmd.Stderr = tr
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("capacity: start server: %w", err)
	}
	s := &capServer{cmd: cmd, addr: addr, trace: tr, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.exited) }()

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(capacityStartTimeout)
	for {
		resp, err := client.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("capacity: server exited at start: %s", tr.tail())
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("capacity: server not answering /healthz after %v: %s", capacityStartTimeout, tr.tail())
		}
	}
}

// stop kills the server and waits for it.
func (s *capServer) stop() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// status reads the server's VmRSS (bytes) and thread count.
func (s *capServer) status() (rss uint64, threads int, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0, fmt.Errorf("capacity: server status: %w", err)
	}
	return measure.ProcStatus(b)
}

// capGCTrace is the server's stderr: it keeps the collections the runtime's GC
// trace reports and the last lines of anything else.
type capGCTrace struct {
	skels *atomic.Int64 // skeletons arrived so far, noted with each collection

	mu     sync.Mutex
	buf    []byte
	gcs    []capGCEvent
	others []string
}

// capGCEvent is one collection: the heap it found live, when its line arrived,
// and how many skeletons had arrived by then.
type capGCEvent struct {
	live  uint64 // bytes (the trace gives whole MB)
	at    time.Time
	skels int64
}

// capGCLine matches a line of GODEBUG=gctrace=1: "gc 12 @3.4s 1%: …, 8->9->4
// MB, 9 MB goal, …"; the third figure is the heap marked live.
var capGCLine = regexp.MustCompile(`^gc \d+ @[0-9.]+s .*?(\d+)->(\d+)->(\d+) MB`)

func (t *capGCTrace) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	for {
		i := bytes.IndexByte(t.buf, '\n')
		if i < 0 {
			break
		}
		line := string(t.buf[:i])
		t.buf = t.buf[i+1:]
		if m := capGCLine.FindStringSubmatch(line); m != nil {
			mb, _ := strconv.ParseUint(m[3], 10, 64)
			t.gcs = append(t.gcs, capGCEvent{live: mb << 20, at: time.Now(), skels: t.skels.Load()})
			continue
		}
		if len(t.others) == 20 {
			t.others = t.others[1:]
		}
		t.others = append(t.others, line)
	}
	if len(t.buf) > 64<<10 { // no newline in sight: not a trace line
		t.buf = t.buf[:0]
	}
	return len(p), nil
}

// collections returns how many collections have been reported, and the last.
func (t *capGCTrace) collections() (int, capGCEvent) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.gcs) == 0 {
		return 0, capGCEvent{}
	}
	return len(t.gcs), t.gcs[len(t.gcs)-1]
}

// tail is the last lines the server wrote that were not GC trace.
func (t *capGCTrace) tail() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.others) == 0 {
		return "(no output)"
	}
	return strings.Join(t.others, "\n")
}

// capNudgeGC requests throwaway pages from the server until it reports a
// collection after the n-th, or until deadline; it reports the collection.
func capNudgeGC(ctx context.Context, s *capServer, n int, deadline time.Time) (capGCEvent, bool) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	tr := &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	u := "http://" + s.addr + "/bench?mode=serial&delays=0" + strings.Repeat(",0", capacityNudgeDelays-1)
	var (
		wg    sync.WaitGroup
		sent  atomic.Int64
		found = make(chan capGCEvent, 1)
	)
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil && sent.Add(1) <= capacityNudgeMax {
				if k, last := s.trace.collections(); k > n {
					select {
					case found <- last:
					default:
					}
					cancel()
					return
				}
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
				if err != nil {
					return
				}
				req.Header.Set("User-Agent", ChromeUA)
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	select {
	case ev := <-found:
		return ev, true
	default:
	}
	if k, last := s.trace.collections(); k > n && !last.at.After(deadline) {
		return last, true
	}
	return capGCEvent{}, false
}

// capConn is one in-flight page of the capacity run.
type capConn struct {
	sent time.Time // request written
	skel time.Time // skeleton arrived; zero if it did not
	done bool      // the page arrived to its end
	err  error
}

// capScan finds a marker in a stream read piece by piece.
type capScan struct {
	marker string
	tail   []byte
}

// feed reports whether the marker is in what has been fed so far, p
// included.
func (m *capScan) feed(p []byte) bool {
	buf := append(m.tail, p...)
	if bytes.Contains(buf, []byte(m.marker)) {
		return true
	}
	keep := min(len(buf), len(m.marker)-1)
	m.tail = append(m.tail[:0], buf[len(buf)-keep:]...)
	return false
}

// capacityLevel runs one level against a fresh server and returns its
// result and the rate (connections per second) at which they opened.
func capacityLevel(ctx context.Context, bin, dir string, level int, hold time.Duration, progress func(string)) (CapacityResult, float64, error) {
	l := &capLevel{level: level, hold: hold, progress: progress, res: CapacityResult{Conns: level}}
	progress(fmt.Sprintf("capacity %d: starting the server", level))
	// -max-fetches 0: the figure is what a page in flight costs, so no page
	// may be shed; the server's default fetch budget (1024 + 1024 queued)
	// would shed every page beyond 2048, and TestOverloadSheds checks it.
	s, err := startCapServer(ctx, bin, dir, &l.skels, "-max-fetches", "0")
	if err != nil {
		return l.res, 0, err
	}
	defer s.stop()
	l.s = s
	base, haveBase, err := l.warmUp(ctx)
	if err != nil {
		return l.res, 0, err
	}
	start, openDur, earliest := l.open(ctx)
	threads, err := l.peakRSS(earliest)
	if err != nil {
		close(l.release)
		l.all.Wait()
		return l.res, 0, err
	}
	res := &l.res
	progress(fmt.Sprintf("capacity %d: %d held after %v; server RSS %.1f MiB, %d threads; nudging a collection",
		level, res.Held, openDur.Round(time.Millisecond), float64(res.PeakRSS)/(1<<20), threads))
	n, _ := s.trace.collections()
	if ev, ok := capNudgeGC(ctx, s, n, earliest.Add(-200*time.Millisecond)); ok && haveBase {
		res.PeakHeap = ev.live
	} else if haveBase {
		res.PeakHeap = capacityHeap(s.trace, base, start, int64(res.Held))
	}
	if err := l.finish(ctx); err != nil {
		return l.res, 0, err
	}
	rate := 0.0
	if opened := l.skels.Load(); opened > 0 && openDur > 0 {
		rate = float64(opened) / openDur.Seconds()
	}
	return l.res, rate, nil
}

// capLevel is one level of the capacity run under way.
type capLevel struct {
	level    int
	hold     time.Duration
	progress func(string)
	s        *capServer
	skels    atomic.Int64 // skeletons arrived so far
	conns    []capConn
	release  chan struct{} // closed: read every page to its end
	all      sync.WaitGroup
	res      CapacityResult
}

// warmUp warms the server up, has the runtime report the heap of the idle
// server (base, when a collection came) and reads its RSS.
func (l *capLevel) warmUp(ctx context.Context) (base uint64, haveBase bool, err error) {
	l.progress(fmt.Sprintf("capacity %d: warming up the server", l.level))
	n, _ := l.s.trace.collections()
	ev, haveBase := capNudgeGC(ctx, l.s, n, time.Now().Add(5*time.Second))
	if ctx.Err() != nil {
		return 0, false, ctx.Err()
	}
	l.res.BaseHeap = ev.live           // whole MB: an idle server's is 0 or 1
	time.Sleep(200 * time.Millisecond) // let the warm-up connections go
	if l.res.BaseRSS, _, err = l.s.status(); err != nil {
		return 0, false, err
	}
	return ev.live, haveBase, nil
}

// open opens every connection, capacityBatch at a time, each until its
// skeleton arrived, and counts the pages held. It returns when it started,
// how long opening took, and when the first held page is due to end.
func (l *capLevel) open(ctx context.Context) (start time.Time, openDur time.Duration, earliest time.Time) {
	l.progress(fmt.Sprintf("capacity %d: opening %d connections, each page held %v", l.level, l.level, l.hold))
	dial := capDial{
		addr: l.s.addr,
		req: []byte("GET /bench?delays=" + strconv.FormatInt(l.hold.Milliseconds(), 10) + "&mode=pipelined HTTP/1.1\r\n" +
			"Host: " + l.s.addr + "\r\nUser-Agent: " + ChromeUA + "\r\nConnection: close\r\n\r\n"),
		hold:  l.hold,
		skels: &l.skels,
	}
	l.conns = make([]capConn, l.level)
	l.release = make(chan struct{})
	dial.release = l.release
	var opened sync.WaitGroup
	sem := make(chan struct{}, capacityBatch)
	start = time.Now()
	for i := range l.conns {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		l.all.Add(1)
		opened.Add(1)
		go func() {
			defer l.all.Done()
			capacityConn(ctx, dial, &l.conns[i], func() { <-sem; opened.Done() })
		}()
	}
	opened.Wait()
	allOpen := time.Now()

	// Every page still in flight now was in flight together with every
	// other: the server ends a page no sooner than hold after its request.
	for _, c := range l.conns {
		if c.skel.IsZero() {
			continue
		}
		end := c.sent.Add(l.hold)
		if end.After(allOpen) {
			l.res.Held++
		}
		if earliest.IsZero() || end.Before(earliest) {
			earliest = end
		}
	}
	return start, allOpen.Sub(start), earliest
}

// peakRSS reads the server's RSS with every page in flight, sampling a few
// times while they surely are, and returns its threads.
func (l *capLevel) peakRSS(earliest time.Time) (int, error) {
	var threads int
	var err error
	if l.res.PeakRSS, threads, err = l.s.status(); err != nil {
		return 0, err
	}
	// A few more samples while everything is surely in flight: RSS lags a
	// little behind the allocations that fault pages in.
	for range 4 {
		if time.Until(earliest) < 400*time.Millisecond {
			break
		}
		time.Sleep(50 * time.Millisecond)
		if rss, th, err := l.s.status(); err == nil {
			l.res.PeakRSS, threads = max(l.res.PeakRSS, rss), max(threads, th)
		}
	}
	return threads, nil
}

// finish has every page read to its end, counts them, and works out the
// cost of a page.
func (l *capLevel) finish(ctx context.Context) error {
	l.progress(fmt.Sprintf("capacity %d: reading every page to its end", l.level))
	close(l.release)
	l.all.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	res := &l.res
	for _, c := range l.conns {
		if c.done {
			res.Completed++
		} else {
			res.Errors++
		}
	}
	if res.Held > 0 {
		if res.PeakRSS > res.BaseRSS {
			res.RSSPerPage = float64(res.PeakRSS-res.BaseRSS) / float64(res.Held)
		}
		if res.PeakHeap > res.BaseHeap {
			res.HeapPerPage = float64(res.PeakHeap-res.BaseHeap) / float64(res.Held)
		}
	}
	return nil
}

// capacityHeap estimates the heap with held pages in flight when no
// collection came while they were: the live heap of the last collection
// since start with some pages in flight, scaled from the skeletons arrived
// by then to held. It returns 0 when there was none.
func capacityHeap(t *capGCTrace, base uint64, start time.Time, held int64) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.gcs) - 1; i >= 0; i-- {
		ev := t.gcs[i]
		if ev.at.Before(start) {
			break
		}
		if ev.skels > 0 && ev.live > base {
			return base + uint64(float64(ev.live-base)*float64(held)/float64(ev.skels))
		}
	}
	return 0
}

// capDial is what every connection of a capacity level does.
type capDial struct {
	addr    string
	req     []byte        // the request sent
	hold    time.Duration // how long the server holds the page
	release <-chan struct{}
	skels   *atomic.Int64 // skeletons arrived so far
}

// capacityConn opens one connection, sends d.req and reads until the
// skeleton has arrived, calls opened (in every case), waits for d.release
// and reads the page to its end.
func capacityConn(ctx context.Context, d capDial, c *capConn, opened func()) {
	var once sync.Once
	open := func() { once.Do(opened) }
	defer open()
	dialer := net.Dialer{Timeout: capacityDialTimeout}
	conn, err := dialer.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		c.err = err
		return
	}
	defer conn.Close()
	c.sent = time.Now()
	_ = conn.SetDeadline(c.sent.Add(capacitySkeletonTimeout))
	if _, err := conn.Write(d.req); err != nil {
		c.err = err
		return
	}
	setup, end := capScan{marker: capSetupMarker}, capScan{marker: capEndMarker}
	buf := make([]byte, 4<<10)
	for {
		k, err := conn.Read(buf)
		if k > 0 && end.feed(buf[:k]) {
			c.skel, c.done = time.Now(), true // whole page at once: hold had passed
			d.skels.Add(1)
			return
		}
		if k > 0 && setup.feed(buf[:k]) {
			break
		}
		if err != nil {
			c.err = fmt.Errorf("before the skeleton: %w", err)
			return
		}
	}
	c.skel = time.Now()
	d.skels.Add(1)
	buf = nil
	open()

	select {
	case <-d.release:
	case <-ctx.Done():
		c.err = ctx.Err()
		return
	}
	finish := c.sent.Add(d.hold)
	if now := time.Now(); now.After(finish) {
		finish = now
	}
	_ = conn.SetDeadline(finish.Add(capacityFinishSlack))
	buf = make([]byte, 4<<10)
	for {
		k, err := conn.Read(buf)
		if k > 0 && end.feed(buf[:k]) {
			c.done = true
			return
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			c.err = fmt.Errorf("before the end of the page: %w", err)
			return
		}
	}
}
