package livebench

// The reconnect storm: n connections (load clients, liveclient.go) on one
// instance, C, subscribed to a stream channel from its position, as pages
// are; publications made on A go on all along. C's engine is then closed,
// as a deploy closes it (Engine.Close: new live connections refused with
// 503, every client told at once to reconnect elsewhere): not
// Engine.Drain, which spreads the disconnects over a window, because the
// storm is what happens without that spread, all of them at once. Each
// connection reconnects as the page's client does (live/live.js: full
// jitter, 500 ms doubling) to A or B, at random, with the last offset and
// epoch it saw, and the connect reply says whether what it missed was
// recovered; if not it takes the position afresh, as the page's client
// does when it refetches the pagelet.
//
// Figures: from the close until the last connection had resumed; the
// share recovered; every connection's publications checked at the end
// (none missing, none twice); the CPU time of Redis, each instance and
// the clients over the storm, from /proc/<pid>/stat, and Redis's own
// count of commands and CPU from INFO.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

const (
	// StormPubGapDefault is the pause between two publications during
	// the storm (each reaches every connection: n deliveries).
	StormPubGapDefault = 2 * time.Second
	// liveStormTimeout bounds the wait for every connection to resume;
	// liveStormAfter is how long publishing goes on after that.
	liveStormTimeout = time.Minute
	liveStormAfter   = time.Second
)

// LiveStorm is the reconnect storm's figures.
type LiveStorm struct {
	Transport string `json:"transport"`
	Conns     int    `json:"conns"` // connected to the instance closed
	How       string `json:"how"`   // how it was closed
	// Resumed is the reconnects done on the other instances, Recovered
	// and Refetched how they went; FailedAttempts the attempts refused or
	// failed on the way.
	Resumed        int `json:"resumed"`
	Recovered      int `json:"recovered"`
	RecoveredPubs  int `json:"recovered_pubs"` // of the recovered, those that had missed publications (listed in the reply)
	Refetched      int `json:"refetched"`
	FailedAttempts int `json:"failed_attempts"`
	// AllResumed is from the close to the last resume; Close how long C's
	// Engine.Close took (CloseError its error, if any).
	AllResumed time.Duration `json:"all_resumed"`
	Close      time.Duration `json:"close"`
	CloseError string        `json:"close_error,omitempty"`
	// FirstDrop and LastDrop are from the close to the first and the last
	// connection that saw its end; ResumeP50, P99 and Max the time from a
	// connection's end to its resume on A or B (the client's backoff, the
	// connect and the recovery), the worst of the client processes'.
	FirstDrop time.Duration `json:"first_drop"`
	LastDrop  time.Duration `json:"last_drop"`
	ResumeP50 time.Duration `json:"resume_p50"`
	ResumeP99 time.Duration `json:"resume_p99"`
	ResumeMax time.Duration `json:"resume_max"`
	// Ends counts the connections' ends by the server's disconnect code
	// (3001: shutdown, C's close; 3008: slow; 0: the stream ended without
	// one, a write timeout or a network failure).
	Ends map[int]int `json:"ends,omitempty"`
	// Publications were made on A from before the close until
	// liveStormAfter after the last resume, one every PubGap; Complete is
	// the connections that had the last one at the end, Gaps the
	// publications missing in between, Dups those seen twice (over all
	// connections).
	Publications int           `json:"publications"`
	PubGap       time.Duration `json:"pub_gap"`
	Complete     int           `json:"complete"`
	Gaps         int           `json:"gaps"`
	Dups         int           `json:"dups"`
	// Window is from the close until the bench saw every connection
	// resumed: the CPU figures' span.
	Window        time.Duration `json:"window"`
	CPU           []LiveCPU     `json:"cpu"`
	RedisCommands int64         `json:"redis_commands"` // INFO total_commands_processed over the window
	RedisCPU      time.Duration `json:"redis_cpu"`      // INFO used_cpu_sys + used_cpu_user over the window
}

// LiveCPU is one process's CPU time over the storm.
type LiveCPU struct {
	Process string        `json:"process"`
	CPU     time.Duration `json:"cpu"`   // user + system
	Share   float64       `json:"share"` // of one core, over the window
}

// liveRig is how the live bench starts its clients: the binary it runs
// again as each child, the open-file limit their connections are split
// by, the prefix of their source addresses ("127.a.b.") and where progress
// goes.
type liveRig struct {
	exe      string
	limit    uint64
	source   string
	progress func(string)
}

// stormRun is one reconnect storm: srvs are A, B and C (C is closed), n
// connections, publications every gap (with gap 0 only one, before the
// close), through rd.
type stormRun struct {
	rd   *measure.Redis
	srvs []*liveServer
	n    int
	gap  time.Duration
}

// liveStorm runs the storm o on rig's clients.
func liveStorm(ctx context.Context, rig liveRig, o stormRun) (*LiveStorm, error) {
	a, victim, n := o.srvs[0], o.srvs[len(o.srvs)-1], o.n
	clients, err := stormClients(ctx, rig, o)
	if err != nil {
		return nil, err
	}
	defer clients.stop()
	st := &LiveStorm{Transport: liveClusterTransport, Conns: n, PubGap: o.gap,
		How: "Engine.Close on C (every client told at once to reconnect; new connections refused with 503)"}

	// The first publication reaches every connection: they are subscribed.
	pub := &stormPublisher{a: a, last: 1, stop: make(chan struct{})}
	if err := pub.publish(ctx, 1); err != nil {
		return nil, err
	}
	if chk, err := liveCheck(ctx, clients, 1, 20*time.Second); err != nil || chk.complete < n {
		return nil, fmt.Errorf("before the storm: %d of %d connections had the first publication within 20 s (%v)", chk.complete, n, err)
	}
	// Publications go on all along.
	pub.start(ctx, o.gap)
	defer pub.finish()

	meter := newStormMeter(o.rd, o.srvs, clients)
	rig.progress(fmt.Sprintf("live cluster storm: closing C's engine; %d connections reconnect to A and B", n))
	meter.begin()
	t0 := time.Now()
	if err := victim.send("close"); err != nil {
		return st, err
	}
	last, err := stormResumed(ctx, clients, st, t0)
	if err != nil {
		return st, err
	}
	st.Window = time.Since(t0)
	meter.end(st)
	st.AllResumed = time.Duration(last - t0.UnixNano())
	rig.progress(fmt.Sprintf("live cluster storm: all %d resumed after %v (%d recovered, %d refetched)", n, st.AllResumed.Round(time.Millisecond), st.Recovered, st.Refetched))
	if err := stormClosed(ctx, victim, st); err != nil {
		return st, err
	}
	time.Sleep(liveStormAfter)
	return st, stormAfter(ctx, clients, pub, st)
}

// stormClients opens the storm's connections to C (with A and B to fail
// over to), all subscribed to liveStormChan.
func stormClients(ctx context.Context, rig liveRig, o stormRun) (*liveClients, error) {
	a, victim, others := o.srvs[0], o.srvs[len(o.srvs)-1], o.srvs[:len(o.srvs)-1]
	grants, err := liveGrants(ctx, a, liveStormChan)
	if err != nil {
		return nil, err
	}
	var failover []string
	for _, s := range others {
		failover = append(failover, s.addr)
	}
	cfgs := liveSplit(o.n, rig.limit, rig.source, func(k int, sources []string) liveClientConfig {
		return liveClientConfig{Transport: liveClusterTransport, Conns: k, Sources: sources, Concurrency: liveClientConcurrency,
			Grants: grants, Addrs: []string{victim.addr}, Failover: failover, Channel: liveStormChan}
	})
	rig.progress(fmt.Sprintf("live cluster storm: opening %d connections to C", o.n))
	clients, err := startLiveClients(ctx, rig.exe, cfgs)
	if err != nil {
		return nil, err
	}
	ready, err := clients.ready(ctx, time.Minute+time.Duration(o.n)*time.Millisecond, nil)
	if err == nil && ready.failed > 0 {
		err = fmt.Errorf("%d of %d connections failed: %s", ready.failed, o.n, ready.firstErr)
	}
	if err != nil {
		clients.stop()
		return nil, err
	}
	return clients, nil
}

// stormPublisher publishes to liveStormChan on A during the storm.
type stormPublisher struct {
	a    *liveServer
	mu   sync.Mutex
	last int   // the last publication made
	err  error // why publishing stopped
	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// publish makes publication seq.
func (p *stormPublisher) publish(ctx context.Context, seq int) error {
	var sent struct{ Sent int64 }
	return p.a.get(ctx, fmt.Sprintf("/_bench/publish?ch=%s&seq=%d", liveStormChan, seq), &sent)
}

// start publishes every gap until finish (never with gap 0).
func (p *stormPublisher) start(ctx context.Context, gap time.Duration) {
	p.wg.Go(func() {
		if gap <= 0 {
			return
		}
		t := time.NewTicker(gap)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
			p.mu.Lock()
			seq := p.last + 1
			p.mu.Unlock()
			err := p.publish(ctx, seq)
			p.mu.Lock()
			if err != nil {
				p.err = err
				p.mu.Unlock()
				return
			}
			p.last = seq
			p.mu.Unlock()
		}
	})
}

// finish stops publishing and returns the last publication made and why
// publishing stopped early, if it did.
func (p *stormPublisher) finish() (int, error) {
	p.once.Do(func() { close(p.stop); p.wg.Wait() })
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last, p.err
}

// stormMeter reads the CPU time of every process of the storm, and Redis's
// commands, before and after.
type stormMeter struct {
	rd    *measure.Redis
	names []string
	pids  []int
	cpu0  []time.Duration
	cmds0 int64
	rcpu0 time.Duration
}

func newStormMeter(rd *measure.Redis, srvs []*liveServer, clients *liveClients) *stormMeter {
	m := &stormMeter{rd: rd,
		names: []string{"redis-server", "instance A", "instance B", "instance C (closed)"},
		pids:  []int{rd.Pid(), srvs[0].cmd.Process.Pid, srvs[1].cmd.Process.Pid, srvs[len(srvs)-1].cmd.Process.Pid},
	}
	for i, c := range clients.procs {
		m.names = append(m.names, fmt.Sprintf("clients %d", i+1))
		m.pids = append(m.pids, c.cmd.Process.Pid)
	}
	return m
}

func (m *stormMeter) cpu() []time.Duration {
	out := make([]time.Duration, len(m.pids))
	for i, pid := range m.pids {
		out[i], _ = measure.ProcCPU(pid) // a process gone reads as 0
	}
	return out
}

func (m *stormMeter) redisInfo() (int64, time.Duration) {
	stats, err1 := m.rd.Info("stats")
	c, err2 := m.rd.Info("cpu")
	if err1 != nil || err2 != nil {
		return 0, 0
	}
	cmds, _ := strconv.ParseInt(stats["total_commands_processed"], 10, 64)
	sys, _ := strconv.ParseFloat(c["used_cpu_sys"], 64)
	user, _ := strconv.ParseFloat(c["used_cpu_user"], 64)
	return cmds, time.Duration((sys + user) * float64(time.Second))
}

// begin reads the figures before the storm.
func (m *stormMeter) begin() {
	m.cpu0 = m.cpu()
	m.cmds0, m.rcpu0 = m.redisInfo()
}

// end reads them after it, into st (over st.Window).
func (m *stormMeter) end(st *LiveStorm) {
	cpu1 := m.cpu()
	cmds1, rcpu1 := m.redisInfo()
	st.RedisCommands, st.RedisCPU = cmds1-m.cmds0, rcpu1-m.rcpu0
	for i, name := range m.names {
		d := max(0, cpu1[i]-m.cpu0[i])
		st.CPU = append(st.CPU, LiveCPU{Process: name, CPU: d, Share: d.Seconds() / st.Window.Seconds()})
	}
}

// stormResumed waits until every connection has resumed on A or B and is
// open, noting the clients' figures in st as they come; it returns when
// the last resumed (Unix ns).
func stormResumed(ctx context.Context, clients *liveClients, st *LiveStorm, t0 time.Time) (int64, error) {
	deadline := t0.Add(liveStormTimeout)
	for {
		res, err := liveResumed(ctx, clients)
		if err != nil {
			return 0, err
		}
		st.Resumed, st.Recovered, st.RecoveredPubs, st.Refetched, st.FailedAttempts = res.resumes, res.recovered, res.recoveredPubs, res.refetched, res.failed
		st.FirstDrop, st.LastDrop = time.Duration(res.firstDrop-t0.UnixNano()), time.Duration(res.lastDrop-t0.UnixNano())
		st.ResumeP50, st.ResumeP99, st.ResumeMax = res.p50, res.p99, res.max
		st.Ends = res.codes
		if res.resumes >= st.Conns && res.open == st.Conns {
			return res.last, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%d of %d connections resumed within %v (%d open)", res.resumes, st.Conns, liveStormTimeout, res.open)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stormClosed waits for C's engine to report its close, into st.
func stormClosed(ctx context.Context, victim *liveServer, st *LiveStorm) error {
	closed, err := victim.expect(ctx, "closed", liveCloseTimeout+5*time.Second)
	if err != nil {
		return err
	}
	if len(closed) >= 3 {
		ns, _ := strconv.ParseInt(closed[1], 10, 64)
		st.Close = time.Duration(ns)
		if e := strings.Join(closed[2:], " "); e != "-" {
			st.CloseError = e
		}
	}
	return nil
}

// stormAfter stops publishing and checks that every connection had every
// publication once, into st.
func stormAfter(ctx context.Context, clients *liveClients, pub *stormPublisher, st *LiveStorm) error {
	final, perr := pub.finish()
	st.Publications = final
	if perr != nil {
		return fmt.Errorf("publishing during the storm: %w", perr)
	}
	chk, err := liveCheck(ctx, clients, final, 20*time.Second)
	st.Complete, st.Gaps, st.Dups = chk.complete, chk.gaps, chk.dups
	if err != nil {
		return err
	}
	if n := st.Conns; st.Complete < n || st.Gaps > 0 || st.Dups > 0 {
		return fmt.Errorf("after the storm %d of %d connections had the last publication, %d publications missing, %d seen twice", st.Complete, n, st.Gaps, st.Dups)
	}
	return nil
}

// liveResumedTotals is the clients' "resumed" answers, summed.
type liveResumedTotals struct {
	resumes, recovered, recoveredPubs, refetched, failed, open int
	last                                                       int64 // the latest resume, unix ns
	firstDrop, lastDrop                                        int64 // the first and last connection end, unix ns
	p50, p99, max                                              time.Duration
	codes                                                      map[int]int
}

// liveResumed asks every client how its reconnects went.
func liveResumed(ctx context.Context, c *liveClients) (liveResumedTotals, error) {
	var t liveResumedTotals
	for _, p := range c.procs {
		if err := p.send("resumed"); err != nil {
			return t, err
		}
		f, err := p.expect(ctx, "resumed", 10*time.Second)
		if err != nil {
			return t, err
		}
		if len(f) != 14 {
			return t, fmt.Errorf("client: %q", strings.Join(f, " "))
		}
		v := make([]int64, 12)
		for i := range v {
			v[i], _ = strconv.ParseInt(f[i+1], 10, 64)
		}
		t.resumes += int(v[0])
		t.recovered += int(v[1])
		t.recoveredPubs += int(v[2])
		t.refetched += int(v[3])
		t.failed += int(v[4])
		t.open += int(v[5])
		t.last = max(t.last, v[6])
		if v[7] > 0 && (t.firstDrop == 0 || v[7] < t.firstDrop) {
			t.firstDrop = v[7]
		}
		t.lastDrop = max(t.lastDrop, v[8])
		t.p50, t.p99, t.max = max(t.p50, time.Duration(v[9])), max(t.p99, time.Duration(v[10])), max(t.max, time.Duration(v[11]))
		for kv := range strings.SplitSeq(f[13], ",") {
			k, n, ok := strings.Cut(kv, ":")
			if code, err := strconv.Atoi(k); ok && err == nil {
				if t.codes == nil {
					t.codes = map[int]int{}
				}
				c, _ := strconv.Atoi(n)
				t.codes[code] += c
			}
		}
	}
	return t, nil
}

// liveCheckTotals is the clients' "checked" answers, summed.
type liveCheckTotals struct{ complete, gaps, dups int }

// liveCheck waits until every connection of every client has seen
// publication seq, or timeout.
func liveCheck(ctx context.Context, c *liveClients, seq int, timeout time.Duration) (liveCheckTotals, error) {
	var t liveCheckTotals
	for _, p := range c.procs {
		if err := p.send(fmt.Sprintf("check %d %d", seq, timeout.Milliseconds())); err != nil {
			return t, err
		}
	}
	var errs []error
	for _, p := range c.procs {
		f, err := p.expect(ctx, "checked", timeout+5*time.Second)
		if err == nil && len(f) != 4 {
			err = fmt.Errorf("client: %q", strings.Join(f, " "))
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n, _ := strconv.Atoi(f[1])
		g, _ := strconv.Atoi(f[2])
		d, _ := strconv.Atoi(f[3])
		t.complete, t.gaps, t.dups = t.complete+n, t.gaps+g, t.dups+d
	}
	return t, errors.Join(errs...)
}
