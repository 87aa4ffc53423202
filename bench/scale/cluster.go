package scale

// The cluster part: instances of the real binary behind one redis-server,
// every live connection idle on the front page's channels, and
// publications to all of them timed to the last receipt.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// ClusterResult is what the cluster part measured.
type ClusterResult struct {
	Instances   int
	Transport   string
	Asked       int
	Open        int
	Failed      int
	FirstErr    string
	Opened      time.Duration // from the first dial to the last connection open
	Channels    []string      // the front page's
	Processes   int           // client processes
	Sources     int           // loopback source addresses
	Pubs        []Pub
	PerInstance []PerConn // after the idle wait
	Idle        time.Duration
	Redis       string // its version
	// Connections open before the first publication and at the end; the
	// reconnects until the first publication and until the end (a
	// connection the server ended connects again); and each instance's
	// disconnects by reason before the publications.
	AliveStart, AliveEnd         int
	ReconnectsBefore, Reconnects int
	Disconnects, DisconnectsEnd  []string
}

// Pub is one publication to every connection.
type Pub struct {
	Received int
	First    time.Duration // from before the publish to the first receipt
	Last     time.Duration // from before the publish to the last receipt
	CPU      PubCPU        // spent meanwhile, by kind of process
}

// clusterPlan is how a run is laid out.
type clusterPlan struct {
	instances, perProc int
}

// planCluster lays out conns over instances (0: as few as nofile allows,
// each process keeping 64 descriptors for itself) and client processes.
func planCluster(conns, instances int, nofile uint64) (clusterPlan, error) {
	room := int(nofile) - 64
	if room < 1 {
		return clusterPlan{}, fmt.Errorf("open-file limit %d: no room for connections", nofile)
	}
	if instances <= 0 {
		instances = (conns + room - 1) / room
	}
	if per := (conns + instances - 1) / instances; per > room {
		return clusterPlan{}, fmt.Errorf("%d connections over %d instances is %d each; the open-file limit (%d) allows %d: use more instances or fewer connections",
			conns, instances, per, nofile, room)
	}
	procs := (conns + room - 1) / room
	return clusterPlan{instances: max(instances, 1), perProc: (conns + procs - 1) / procs}, nil
}

// measureCluster runs the cluster part.
func measureCluster(ctx context.Context, o Options, progress func(string)) (*ClusterResult, error) {
	nofile, err := measure.RaiseNofile()
	if err != nil {
		return nil, err
	}
	plan, err := planCluster(o.Conns, o.Instances, nofile)
	if err != nil {
		return nil, err
	}
	ws, err := newWorkspace(ctx, progress)
	if err != nil {
		return nil, err
	}
	defer ws.remove()
	redis, err := measure.StartRedis()
	if err != nil {
		return nil, err
	}
	defer redis.Stop()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	res := &ClusterResult{Instances: plan.instances, Transport: o.Transport, Asked: o.Conns, Redis: redis.Version}
	progress(fmt.Sprintf("starting %d instances behind redis-server %s", plan.instances, redis.Version))
	sites, err := ws.startSites(ctx, plan.instances, true,
		"-redis", "redis://"+redis.Addr, "-live-secret", hex.EncodeToString(secret), "-live-sim=false")
	if err != nil {
		return nil, err
	}
	defer sites.stop() // before the clients: the TIME_WAIT sockets are the servers'
	base := clientConfig{Transport: o.Transport, Count: o.Conns, PerSource: o.PerSource, Concurrency: o.Concurrency}
	for _, s := range sites {
		t, chans, err := targetOf(ctx, s)
		if err != nil {
			return nil, err
		}
		base.Targets, res.Channels = append(base.Targets, t), chans
	}
	before, err := sites.sample(ctx)
	if err != nil {
		return nil, err
	}
	res.Processes = (o.Conns + plan.perProc - 1) / plan.perProc
	res.Sources = (o.Conns + o.PerSource - 1) / o.PerSource
	progress(fmt.Sprintf("opening %d %s connections from %d client processes, %d source addresses", o.Conns, o.Transport, res.Processes, res.Sources))
	start := time.Now()
	cs, open, failed, why, err := startClients(ctx, ws.exe, base, plan.perProc, throttled(progress))
	if err != nil {
		return nil, err
	}
	defer cs.stop()
	res.Opened, res.Open, res.Failed, res.FirstErr = time.Since(start), open, failed, why
	progress(fmt.Sprintf("%d open, %d failed in %v", open, failed, res.Opened.Round(time.Millisecond)))
	if o.Idle > 0 {
		progress(fmt.Sprintf("idle for %v", o.Idle))
		if err := sleep(ctx, o.Idle); err != nil {
			return nil, err
		}
	}
	res.Idle = o.Idle
	after, err := sites.sample(ctx)
	if err != nil {
		return nil, err
	}
	for i := range after {
		res.PerInstance = append(res.PerInstance, perConn(before[i], after[i]))
	}
	// Connections the server ended (see Reconnects) connect again, as the
	// page's client does: each publication is timed once all are open.
	if res.AliveStart, err = cs.settle(ctx, open, 2*time.Minute); err != nil {
		return res, err
	}
	_, res.ReconnectsBefore, _ = cs.alive()
	res.Disconnects = make([]string, len(sites))
	for i, a := range after {
		res.Disconnects[i] = a.Disconnects
	}
	pids := cpuPids{instances: sites.pids(), clients: cs.pids(), redis: redis.Pid()}
	tag := make([]byte, 4)
	_, _ = rand.Read(tag)
	for k := range o.Pubs {
		marker := fmt.Sprintf("scale%x%d", tag, k)
		if _, err := cs.settle(ctx, open, time.Minute); err != nil {
			return res, err
		}
		p, err := publishAll(ctx, cs, sites[k%len(sites)].Admin, marker, pids)
		if err != nil {
			return res, err
		}
		progress(fmt.Sprintf("publication %d: %d received, the last after %v", k+1, p.Received, p.Last.Round(time.Millisecond)))
		res.Pubs = append(res.Pubs, p)
	}
	if res.AliveEnd, res.Reconnects, err = cs.alive(); err != nil {
		return res, err
	}
	if end, err := sites.sample(ctx); err == nil {
		for _, a := range end {
			res.DisconnectsEnd = append(res.DisconnectsEnd, a.Disconnects)
		}
	}
	return res, nil
}

// publishAll breaks news marker through an instance's admin endpoint and
// times it from before the request to the last connection's receipt,
// reading the CPU time pids spent meanwhile.
func publishAll(ctx context.Context, cs clients, admin, marker string, pids cpuPids) (Pub, error) {
	receipts, err := cs.watch(marker, 60*time.Second)
	if err != nil {
		return Pub{}, err
	}
	cpu0, err := sampleCPU(pids)
	if err != nil {
		return Pub{}, err
	}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+admin+"/admin/breaking",
		strings.NewReader(url.Values{"headline": {marker}}.Encode()))
	if err != nil {
		return Pub{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Pub{}, fmt.Errorf("publish: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Pub{}, fmt.Errorf("publish: %s", resp.Status)
	}
	n, first, last, err := receipts()
	if err != nil {
		return Pub{}, err
	}
	cpu1, err := sampleCPU(pids)
	if err != nil {
		return Pub{}, err
	}
	p := Pub{Received: n, CPU: cpuBetween(cpu0, cpu1)}
	if n > 0 {
		p.First, p.Last = first.Sub(start), last.Sub(start)
	}
	return p, nil
}

// sites are the running instances.
type sites []*measure.Site

// startSites starts n instances of the site, each its store in a file of
// its own, with an admin listener if admin.
func (ws *workspace) startSites(ctx context.Context, n int, admin bool, args ...string) (sites, error) {
	var ss sites
	for range n {
		ws.dbs++
		s, err := measure.StartSite(ctx, ws.bin, fmt.Sprintf("%s/news-%d.db", ws.dir, ws.dbs), admin, args...)
		if err != nil {
			ss.stop()
			return nil, fmt.Errorf("instance %d: %w", len(ss), err)
		}
		ss = append(ss, s)
	}
	return ss, nil
}

// sample samples every instance.
func (ss sites) sample(ctx context.Context) ([]Sample, error) {
	out := make([]Sample, len(ss))
	var errs []error
	for i, s := range ss {
		var err error
		out[i], err = sample(ctx, s)
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// pids are the instances' process ids.
func (ss sites) pids() []int {
	out := make([]int, len(ss))
	for i, s := range ss {
		out[i] = s.Pid()
	}
	return out
}

// stop stops every instance.
func (ss sites) stop() {
	for _, s := range ss {
		s.Stop()
	}
}
