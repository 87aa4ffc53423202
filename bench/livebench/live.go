package livebench

// The live section: what the live engine (package live) costs and how fast
// it delivers, on one instance, and across three through Redis
// (livecluster.go).
//
//   - Connections held: for each transport (SSE, WebSocket) a fresh server
//     (liveserver.go, a child process) and load clients (liveclient.go,
//     child processes of up to liveConnsPerProc connections each, sockets
//     bound to several loopback source addresses) that open -live-conns
//     idle connections, each authenticated with a token from the engine and
//     subscribed to a channel. The server's RSS (/proc/<pid>/status) and
//     Go heap and stacks (runtime.MemStats after two forced collections)
//     are read before (after a warm-up of a few connections, closed again)
//     and with every connection open; the difference over the connections
//     held is the cost of one.
//   - Fan-out: the first -live-fanout of those connections are on one
//     channel; the bench publishes to it FanoutRuns times, one at a
//     time, and takes the time from the publish (the server's clock, just
//     before the engine's Publish) until the last connection received it
//     (the clients' clocks: the same machine's), and deliveries per second.
//   - Publish → visible: livebrowser.go.
//
// Everything is bounded in time and stops by itself: a child ends when its
// standard input closes, that is when the bench ends it or dies.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

const (
	// ConnsDefault is how many idle connections of each transport are
	// held; FanoutDefault how many of them get the fan-out
	// publications.
	ConnsDefault  = 20_000
	FanoutDefault = 10_000
	// FanoutRuns is how many fan-out publications are timed.
	FanoutRuns = 5
	// liveConnsPerProc is the most connections one client process opens;
	// liveConnsPerSource the most bound to one source address (each has
	// some 28,000 ephemeral ports).
	liveConnsPerProc   = 10_000
	liveConnsPerSource = 5_000
	// liveClientConcurrency is how many connections a client process
	// opens at once.
	liveClientConcurrency = 200
	// liveFDReserve is what a process needs of its open-file limit besides
	// the connections: listeners, pipes, the binary, epoll.
	liveFDReserve = 64
	// liveWarmConns is how many connections warm the server up before its
	// memory is read.
	liveWarmConns = 100
	// liveFanoutTimeout bounds one fan-out publication; liveStartTimeout a
	// child's start; liveSettle the pause before memory is read.
	liveFanoutTimeout = 20 * time.Second
	liveStartTimeout  = 15 * time.Second
	liveSettle        = time.Second
	// RSSTarget is the target RSS per idle connection.
	RSSTarget = 16 << 10
	// RSSMinConns is the fewest connections the RSS target is judged
	// on: with fewer the per-connection figure is mostly noise.
	RSSMinConns = 10_000
)

// Transports are the transports measured, in order.
var Transports = []string{"sse", "ws"}

// LiveResult is the live section's figures.
type LiveResult struct {
	FDLimit uint64        `json:"fd_limit"` // the open-file limit of the bench and its children
	Conns   []LiveConns   `json:"conns"`
	Fanout  []LiveFanout  `json:"fanout"`
	Visible []LiveVisible `json:"visible,omitempty"` // by transport
	Cluster *LiveCluster  `json:"cluster,omitempty"` // across instances through Redis (livecluster.go)
	Readers *LiveReaders  `json:"readers,omitempty"` // signed-in readers, presence, messages (readers.go)
	Errors  []string      `json:"errors,omitempty"`  // parts that failed
	Elapsed time.Duration `json:"elapsed"`
}

// LiveConns is one transport's idle connections on one server.
type LiveConns struct {
	Transport      string        `json:"transport"`
	Asked          int           `json:"asked"` // -live-conns
	Conns          int           `json:"conns"` // tried: Asked, or fewer if the open-file limit is lower
	Held           int           `json:"held"`  // open and subscribed when the memory was read
	Errors         int           `json:"errors"`
	FirstError     string        `json:"first_error,omitempty"`
	ClientProcs    int           `json:"client_procs"`
	Sources        int           `json:"sources"` // source addresses
	Open           time.Duration `json:"open"`    // until every connection was open (or had failed)
	BaseRSS        uint64        `json:"base_rss"`
	PeakRSS        uint64        `json:"peak_rss"`
	BaseHeap       uint64        `json:"base_heap"`
	PeakHeap       uint64        `json:"peak_heap"`
	BaseStack      uint64        `json:"base_stack"`
	PeakStack      uint64        `json:"peak_stack"`
	BaseGoroutines int           `json:"base_goroutines"`
	PeakGoroutines int           `json:"peak_goroutines"`
	RSSPerConn     float64       `json:"rss_per_conn"`   // bytes
	HeapPerConn    float64       `json:"heap_per_conn"`  // bytes
	StackPerConn   float64       `json:"stack_per_conn"` // bytes
}

// LiveFanout is one publication to many subscribers, timed several times.
type LiveFanout struct {
	Transport   string          `json:"transport"`
	Subscribers int             `json:"subscribers"`
	Runs        []LiveFanoutRun `json:"runs"`
	Last        time.Duration   `json:"last"` // median of the runs' Last
	Rate        float64         `json:"rate"` // deliveries per second at the median
}

// LiveFanoutRun is one fan-out publication.
type LiveFanoutRun struct {
	Received int           `json:"received"`
	Last     time.Duration `json:"last"` // from the publish to the last receipt
}

// Options is what the flags ask of the live section.
type Options struct {
	Conns    int           // idle connections per transport
	Fanout   int           // of which on the fan-out channel
	Pubs     int           // publications to the page in Chromium
	Browser  bool          // measure publish → visible in Chromium
	Cluster  bool          // measure across instances through Redis
	Subs     int           // the cluster's fan-out subscribers
	Storm    int           // the cluster's reconnect storm connections
	StormGap time.Duration // between publications during the storm
	// Readers, if not nil, runs the readers section (readers.go) after
	// the others; with ReadersOnly, alone.
	Readers     *ReadersOptions
	ReadersOnly bool
}

// Measure runs the live section: each transport's connections and
// fan-out, then publish → visible in Chromium when o.Browser. A part that
// fails is noted in the result's Errors and the rest goes on; the error
// returned joins them. progress, if not nil, is told before each step.
func Measure(ctx context.Context, o Options, progress func(string)) (*LiveResult, error) {
	if progress == nil {
		progress = func(string) {}
	}
	start := time.Now()
	res := &LiveResult{}
	limit, err := measure.RaiseNofile()
	if err != nil {
		return res, err
	}
	res.FDLimit = limit
	exe, err := os.Executable()
	if err != nil {
		return res, fmt.Errorf("live: %w", err)
	}
	var errs []error
	fail := func(what string, err error) {
		err = fmt.Errorf("live %s: %w", what, err)
		errs = append(errs, err)
		res.Errors = append(res.Errors, err.Error())
	}
	octet := 10 + rand.IntN(240) // the source addresses' second octet, new each run
	if !o.ReadersOnly {
		if err := measureEngine(ctx, exe, o, res, octet, progress, fail); err != nil {
			return res, err
		}
	}
	if o.Readers != nil {
		rd, err := MeasureReaders(ctx, liveRig{exe: exe, limit: limit, source: fmt.Sprintf("127.%d.", octet), progress: progress}, *o.Readers)
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		res.Readers = rd
		if err != nil {
			errs = append(errs, err)
			res.Errors = append(res.Errors, err.Error())
		}
	}
	res.Elapsed = time.Since(start).Round(time.Millisecond)
	return res, errors.Join(errs...)
}

// measureEngine runs the engine's parts of the live section: each
// transport's connections and fan-out, publish → visible, the cluster. A
// part that fails is told to fail; it returns only ctx's error.
func measureEngine(ctx context.Context, exe string, o Options, res *LiveResult, octet int, progress func(string), fail func(string, error)) error {
	limit := res.FDLimit
	for i, tr := range Transports {
		conns, fan, err := liveTransport(ctx, liveRig{exe: exe, limit: limit, source: fmt.Sprintf("127.%d.%d.", octet, i+1), progress: progress},
			transportRun{transport: tr, conns: o.Conns, fanout: o.Fanout, fanRuns: FanoutRuns})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if conns != nil {
			res.Conns = append(res.Conns, *conns)
		}
		if fan != nil {
			res.Fanout = append(res.Fanout, *fan)
		}
		if err != nil {
			fail(tr, err)
		}
	}
	for _, tr := range Transports {
		if !o.Browser {
			break
		}
		vis, err := measureLiveVisible(ctx, exe, tr, o.Pubs, progress)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if vis != nil {
			res.Visible = append(res.Visible, *vis)
		}
		if err != nil {
			fail("publish → visible over "+tr, err)
		}
	}
	if o.Cluster {
		cl, err := MeasureCluster(ctx, exe, ClusterOptions{Subs: o.Subs, Storm: o.Storm, StormGap: o.StormGap, Conns: o.Conns, Pubs: o.Pubs, Browser: o.Browser},
			limit, octet, progress)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		res.Cluster = cl
		if err != nil {
			fail("cluster", err)
		}
	}
	return nil
}

// transportRun is one transport's part: conns idle connections, then
// fanRuns fan-out publications to fanout of them, on a fresh server
// started with env (the server role's extra environment).
type transportRun struct {
	transport string
	conns     int
	fanout    int
	fanRuns   int
	env       []string
}

// liveTransport measures o on rig's clients. It returns what it measured,
// if anything, and why it stopped short.
func liveTransport(ctx context.Context, rig liveRig, o transportRun) (*LiveConns, *LiveFanout, error) {
	t := &transportBench{rig: rig, o: o, name: map[string]string{"sse": "SSE", "ws": "WebSocket"}[o.transport]}
	if o.env != nil {
		t.name += " (Redis)"
	}
	t.lc = &LiveConns{Transport: o.transport, Asked: o.conns, Conns: o.conns}
	if max := int(rig.limit) - liveFDReserve; t.lc.Conns > max {
		t.lc.Conns = max
		rig.progress(fmt.Sprintf("live %s: the open-file limit is %d: holding %d connections, not %d", t.name, rig.limit, max, o.conns))
	}
	if t.lc.Conns < 1 {
		return nil, nil, fmt.Errorf("the open-file limit %d leaves no room for connections", rig.limit)
	}
	rig.progress(fmt.Sprintf("live %s: starting the server", t.name))
	srv, err := startLiveServer(ctx, rig.exe, o.env...)
	if err != nil {
		return nil, nil, err
	}
	defer srv.stop()
	t.srv = srv
	if err := t.warmUp(ctx); err != nil {
		return nil, nil, err
	}
	clients, err := t.open(ctx)
	if clients != nil {
		defer clients.stop()
	}
	if err != nil {
		return t.lc, nil, err
	}
	if err := t.peak(ctx, clients); err != nil {
		return t.lc, nil, err
	}
	if o.fanRuns == 0 {
		srv.stop()
		return t.lc, nil, nil
	}
	fan, err := t.fanOut(ctx, clients)
	// The server goes first: its sockets take the TIME_WAIT, not the
	// clients' bound ports.
	srv.stop()
	return t.lc, fan, err
}

// transportBench is one transport's part under way.
type transportBench struct {
	rig    liveRig
	o      transportRun
	name   string // the transport as the progress names it
	srv    *liveServer
	grants map[string]liveGrant
	lc     *LiveConns
}

// config is a client process's: n connections, the first fan of them on
// the fan-out channel, bound to sources.
func (t *transportBench) config(n, fan int, sources []string) liveClientConfig {
	return liveClientConfig{Addr: t.srv.addr, Transport: t.o.transport, Conns: n, Fan: fan, Sources: sources,
		Concurrency: liveClientConcurrency, Grants: t.grants}
}

// warmUp gets the channels' grants, warms the server up (a few
// connections and a publication, then gone again) and reads its memory.
func (t *transportBench) warmUp(ctx context.Context) error {
	t.grants = map[string]liveGrant{}
	for _, ch := range []string{liveFanChan, liveIdle} {
		var g liveGrant
		if err := t.srv.get(ctx, "/_bench/token?ch="+ch, &g); err != nil {
			return err
		}
		t.grants[ch] = g
	}
	t.rig.progress(fmt.Sprintf("live %s: warming up the server", t.name))
	warm, err := startLiveClients(ctx, t.rig.exe, []liveClientConfig{t.config(liveWarmConns, liveWarmConns, []string{t.rig.source + "250"})})
	if err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	if _, err := warm.ready(ctx, time.Minute, nil); err != nil {
		warm.stop()
		return fmt.Errorf("warm-up: %w", err)
	}
	if _, err := liveFanoutOnce(ctx, t.srv, warm, 0); err != nil {
		warm.stop()
		return fmt.Errorf("warm-up: %w", err)
	}
	warm.stop()

	var base liveMem
	if err := t.srv.get(ctx, "/_bench/mem", &base); err != nil {
		return err
	}
	time.Sleep(200 * time.Millisecond)
	if t.lc.BaseRSS, _, err = t.srv.status(); err != nil {
		return err
	}
	t.lc.BaseHeap, t.lc.BaseStack, t.lc.BaseGoroutines = base.Heap, base.Stack, base.Goroutines
	return nil
}

// open opens the connections: client processes of up to liveConnsPerProc
// each, the fan-out channel's first. It returns the clients (to stop) even
// when they did not all open.
func (t *transportBench) open(ctx context.Context) (*liveClients, error) {
	lc := t.lc
	perProc := min(liveConnsPerProc, int(t.rig.limit)-liveFDReserve)
	var cfgs []liveClientConfig
	fanLeft := min(t.o.fanout, lc.Conns)
	src := 1
	for left := lc.Conns; left > 0; {
		n := min(left, perProc)
		var sources []string
		for k := 0; k < n; k += liveConnsPerSource {
			sources = append(sources, t.rig.source+strconv.Itoa(src))
			src++
		}
		fan := min(fanLeft, n)
		cfgs = append(cfgs, t.config(n, fan, sources))
		fanLeft -= fan
		left -= n
	}
	lc.ClientProcs, lc.Sources = len(cfgs), src-1
	t.rig.progress(fmt.Sprintf("live %s: opening %d connections from %d processes, %d source addresses", t.name, lc.Conns, len(cfgs), lc.Sources))
	t0 := time.Now()
	clients, err := startLiveClients(ctx, t.rig.exe, cfgs)
	if err != nil {
		return nil, err
	}
	ready, err := clients.ready(ctx, time.Minute+time.Duration(lc.Conns)*time.Millisecond, func(open, failed int) {
		t.rig.progress(fmt.Sprintf("live %s: %d of %d open, %d failed", t.name, open, lc.Conns, failed))
	})
	lc.Open = time.Since(t0).Round(time.Millisecond)
	if err != nil {
		return clients, err
	}
	lc.Errors, lc.FirstError = ready.failed, ready.firstErr
	return clients, nil
}

// peak reads the server's memory with every connection open, and what
// each cost.
func (t *transportBench) peak(ctx context.Context, clients *liveClients) error {
	lc := t.lc
	time.Sleep(liveSettle)
	var peak liveMem
	if err := t.srv.get(ctx, "/_bench/mem", &peak); err != nil {
		return err
	}
	time.Sleep(200 * time.Millisecond)
	var threads int
	var err error
	if lc.PeakRSS, threads, err = t.srv.status(); err != nil {
		return err
	}
	if lc.Held, err = clients.alive(ctx); err != nil {
		return err
	}
	lc.PeakHeap, lc.PeakStack, lc.PeakGoroutines = peak.Heap, peak.Stack, peak.Goroutines
	if lc.Held > 0 {
		per := func(peak, base uint64) float64 {
			if peak <= base {
				return 0
			}
			return float64(peak-base) / float64(lc.Held)
		}
		lc.RSSPerConn, lc.HeapPerConn, lc.StackPerConn = per(lc.PeakRSS, lc.BaseRSS), per(lc.PeakHeap, lc.BaseHeap), per(lc.PeakStack, lc.BaseStack)
	}
	t.rig.progress(fmt.Sprintf("live %s: %d held after %v; server RSS %.1f MiB (%.1f KiB a connection), %d goroutines, %d threads",
		t.name, lc.Held, lc.Open, float64(lc.PeakRSS)/(1<<20), lc.RSSPerConn/1024, lc.PeakGoroutines, threads))
	return nil
}

// fanOut times the fan-out publications.
func (t *transportBench) fanOut(ctx context.Context, clients *liveClients) (*LiveFanout, error) {
	fan := &LiveFanout{Transport: t.o.transport, Subscribers: min(t.o.fanout, t.lc.Conns)}
	var short []error
	for i := range t.o.fanRuns {
		t.rig.progress(fmt.Sprintf("live %s: fan-out %d/%d to %d subscribers", t.name, i+1, t.o.fanRuns, fan.Subscribers))
		run, err := liveFanoutOnce(ctx, t.srv, clients, i+1)
		if err != nil {
			return fan, fmt.Errorf("fan-out: %w", err)
		}
		fan.Runs = append(fan.Runs, run)
		if run.Received < fan.Subscribers { // a connection lost: the others still count
			short = append(short, fmt.Errorf("fan-out %d: %d of %d subscribers received it within %v", i+1, run.Received, fan.Subscribers, liveFanoutTimeout))
		}
		time.Sleep(100 * time.Millisecond)
	}
	fan.Last, fan.Rate = liveFanoutMedian(fan.Runs)
	return fan, errors.Join(short...)
}

// liveFanoutMedian is the median run's time to the last receipt, and its
// deliveries per second.
func liveFanoutMedian(runs []LiveFanoutRun) (time.Duration, float64) {
	if len(runs) == 0 {
		return 0, 0
	}
	s := slices.Clone(runs)
	slices.SortFunc(s, func(a, b LiveFanoutRun) int { return int(a.Last - b.Last) })
	m := s[(len(s)-1)/2]
	if m.Last <= 0 {
		return m.Last, 0
	}
	return m.Last, float64(m.Received) / m.Last.Seconds()
}

// liveFanoutOnce publishes seq to the fan-out channel and waits until every
// client has it on every fan-out connection, or liveFanoutTimeout.
func liveFanoutOnce(ctx context.Context, srv *liveServer, clients *liveClients, seq int) (LiveFanoutRun, error) {
	ms := liveFanoutTimeout.Milliseconds()
	for _, c := range clients.procs {
		if err := c.send(fmt.Sprintf("wait %d %d", seq, ms)); err != nil {
			return LiveFanoutRun{}, err
		}
	}
	var pub struct{ Sent int64 }
	if err := srv.get(ctx, fmt.Sprintf("/_bench/publish?ch=%s&seq=%d", liveFanChan, seq), &pub); err != nil {
		return LiveFanoutRun{}, err
	}
	var run LiveFanoutRun
	var last int64
	for _, c := range clients.procs {
		f, err := c.expect(ctx, "got", liveFanoutTimeout+5*time.Second)
		if err != nil {
			return run, err
		}
		if len(f) != 4 || f[1] != strconv.Itoa(seq) {
			return run, fmt.Errorf("client: %q, want got %d …", strings.Join(f, " "), seq)
		}
		n, _ := strconv.Atoi(f[2])
		t, _ := strconv.ParseInt(f[3], 10, 64)
		run.Received += n
		last = max(last, t)
	}
	if last > 0 {
		run.Last = time.Duration(last - pub.Sent)
	}
	return run, nil
}

// liveProc is one child process of the live section: its standard input,
// and its output by lines.
type liveProc struct {
	cmd    *exec.Cmd
	name   string // its role, or what it is
	stdin  io.WriteCloser
	lines  chan string
	stderr *tailWriter
	exited chan struct{}
	once   sync.Once
}

// startLiveProc starts exe in role with extra environment.
func startLiveProc(ctx context.Context, exe, role string, env ...string) (*liveProc, error) {
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(append(os.Environ(), RoleEnv+"="+role), env...)
	return startProc(cmd, role)
}

// startProc starts cmd, a child of the live section called name, with
// its standard input and output as pipes.
func startProc(cmd *exec.Cmd, name string) (*liveProc, error) {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &liveProc{cmd: cmd, name: name, stdin: stdin, lines: make(chan string, 64), stderr: &tailWriter{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20) // a "receipts" line lists every receipt
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		_ = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// send writes a command line.
func (p *liveProc) send(line string) error {
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		return fmt.Errorf("to the %s: %w; %s", p.role(), err, p.stderr.tail())
	}
	return nil
}

func (p *liveProc) role() string { return p.name }

// expect returns the fields of the next line whose first field is word,
// passing the others to skip (if not nil); it fails after timeout or when
// the process ends first.
func (p *liveProc) expect(ctx context.Context, word string, timeout time.Duration, skip ...func([]string)) ([]string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				<-p.exited
				return nil, fmt.Errorf("the %s ended before %q: %v; %s", p.role(), word, p.cmd.ProcessState, p.stderr.tail())
			}
			f := strings.Fields(line)
			if len(f) > 0 && f[0] == word {
				return f, nil
			}
			for _, s := range skip {
				s(f)
			}
		case <-t.C:
			return nil, fmt.Errorf("no %q from the %s within %v; %s", word, p.role(), timeout, p.stderr.tail())
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// stop closes the child's input, which ends it, and waits for it; a child
// still running after 5 s is killed.
func (p *liveProc) stop() {
	p.once.Do(func() {
		_ = p.stdin.Close()
		go func() { // drain what it still says
			for range p.lines {
			}
		}()
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
}

// liveServer is the server child.
type liveServer struct {
	*liveProc
	addr   string
	client *http.Client
}

// startLiveServer starts the server role and waits for its address.
func startLiveServer(ctx context.Context, exe string, env ...string) (*liveServer, error) {
	p, err := startLiveProc(ctx, exe, liveRoleServer, append([]string{"GODEBUG="}, env...)...)
	if err != nil {
		return nil, err
	}
	f, err := p.expect(ctx, "listening", liveStartTimeout)
	if err != nil || len(f) != 2 {
		p.stop()
		return nil, fmt.Errorf("server: %w", err)
	}
	return &liveServer{liveProc: p, addr: f[1], client: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 2}}}, nil
}

// stop ends the server and closes the bench's idle connections to it.
func (s *liveServer) stop() {
	s.liveProc.stop()
	s.client.CloseIdleConnections()
}

// get fetches path from the server and decodes its JSON into v.
func (s *liveServer) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.addr+path, nil)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("server %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return fmt.Errorf("server %s: %s: %s", path, resp.Status, strings.TrimSpace(string(b)))
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("server %s: %w", path, err)
	}
	return nil
}

// status reads the server's VmRSS and thread count.
func (s *liveServer) status() (uint64, int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0, fmt.Errorf("server status: %w", err)
	}
	return measure.ProcStatus(b)
}

// liveClients is the client children of one run.
type liveClients struct{ procs []*liveProc }

// startLiveClients starts a client child per config.
func startLiveClients(ctx context.Context, exe string, cfgs []liveClientConfig) (*liveClients, error) {
	c := &liveClients{}
	for _, cfg := range cfgs {
		b, err := json.Marshal(cfg)
		if err != nil {
			c.stop()
			return nil, err
		}
		p, err := startLiveProc(ctx, exe, liveRoleClient, liveClientEnv+"="+string(b))
		if err != nil {
			c.stop()
			return nil, err
		}
		c.procs = append(c.procs, p)
	}
	return c, nil
}

// liveReady is what the clients report once every connection is open or
// has failed.
type liveReady struct {
	open, failed int
	firstErr     string
}

// ready waits for every client's "ready", telling progress (if not nil)
// the totals as they come.
func (c *liveClients) ready(ctx context.Context, timeout time.Duration, progress func(open, failed int)) (liveReady, error) {
	var mu sync.Mutex
	open, failed := make([]int, len(c.procs)), make([]int, len(c.procs))
	report := func() {
		if progress == nil {
			return
		}
		var o, f int
		for i := range open {
			o, f = o+open[i], f+failed[i]
		}
		progress(o, f)
	}
	var r liveReady
	errs := make([]error, len(c.procs))
	var wg sync.WaitGroup
	var last time.Time
	for i, p := range c.procs {
		wg.Go(func() {
			f, err := p.expect(ctx, "ready", timeout, func(f []string) {
				if len(f) == 3 && f[0] == "progress" {
					mu.Lock()
					defer mu.Unlock()
					open[i], _ = strconv.Atoi(f[1])
					failed[i], _ = strconv.Atoi(f[2])
					if time.Since(last) > 2*time.Second {
						last = time.Now()
						report()
					}
				}
			})
			if err == nil && len(f) < 4 {
				err = fmt.Errorf("client: %q", strings.Join(f, " "))
			}
			if err != nil {
				errs[i] = err
				return
			}
			mu.Lock()
			defer mu.Unlock()
			open[i], _ = strconv.Atoi(f[1])
			failed[i], _ = strconv.Atoi(f[2])
			if e := strings.Join(f[3:], " "); e != "-" && r.firstErr == "" {
				r.firstErr = e
			}
		})
	}
	wg.Wait()
	for i := range open {
		r.open, r.failed = r.open+open[i], r.failed+failed[i]
	}
	return r, errors.Join(errs...)
}

// alive asks every client how many of its connections are still open.
func (c *liveClients) alive(ctx context.Context) (int, error) {
	total := 0
	for _, p := range c.procs {
		if err := p.send("alive"); err != nil {
			return total, err
		}
		f, err := p.expect(ctx, "alive", 10*time.Second)
		if err != nil {
			return total, err
		}
		n, _ := strconv.Atoi(f[1])
		total += n
	}
	return total, nil
}

// stop ends every client.
func (c *liveClients) stop() {
	var wg sync.WaitGroup
	for _, p := range c.procs {
		wg.Go(p.stop)
	}
	wg.Wait()
}
