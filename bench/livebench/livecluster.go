package livebench

// The live section across instances: three live servers (liveserver.go's
// role, each its own process) fanning out through one redis-server the
// bench starts on a loopback port (redis.go), sharing a token secret, as
// instances behind a load balancer do.
//
//   - Publish → visible across instances: the page in Chromium is
//     rendered by and connected to instance B (SSE) or C (WebSocket); the
//     publications are made through instance A (livebrowser.go's method).
//   - Fan-out through Redis: -live-cluster-subs load-client connections
//     (liveclient.go) spread over the three instances, connection i on
//     instance i mod 3; one publication at a time made on A, timed until
//     the last delivery, FanoutRuns times; the median.
//   - Reconnect storm (livestorm.go).
//   - Memory per idle connection with the Redis broker: live.go's
//     measurement of one transport, on a server started with Redis.
//
// Everything is bounded in time; the servers, clients and Redis are
// stopped when the part ends, whatever happened.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

const (
	// liveClusterInstances is how many live servers share the Redis.
	liveClusterInstances = 3
	// ClusterSubsDefault is how many subscribers the fan-out through
	// Redis reaches; StormDefault how many connections the reconnect
	// storm moves.
	ClusterSubsDefault = 20_000
	StormDefault       = 10_000
	// liveClusterTransport is the fan-out's and the storm's transport: the
	// page client's default.
	liveClusterTransport = "sse"
)

// LiveCluster is the live section's figures across instances.
type LiveCluster struct {
	Instances int    `json:"instances"`
	Redis     string `json:"redis,omitempty"`   // the redis-server version
	Skipped   string `json:"skipped,omitempty"` // why nothing was measured
	// Visible is publish → visible in Chromium with the page on another
	// instance than the publisher (B over SSE, C over WebSocket).
	Visible []LiveVisible `json:"visible,omitempty"`
	// Fanout is one publication made on A to subscribers on every
	// instance; FanoutPer how many of them each instance held.
	Fanout    *LiveFanout `json:"fanout,omitempty"`
	FanoutPer []int       `json:"fanout_per_instance,omitempty"`
	Storm     *LiveStorm  `json:"storm,omitempty"`
	// Conns is idle connections on one server with the Redis broker, by
	// transport.
	Conns   []LiveConns   `json:"conns,omitempty"`
	Errors  []string      `json:"errors,omitempty"`
	Elapsed time.Duration `json:"elapsed"`
}

// ClusterOptions is what the flags ask of the cluster part.
type ClusterOptions struct {
	Subs     int           // fan-out subscribers over the instances
	Storm    int           // connections of the instance stopped
	StormGap time.Duration // between publications during the storm; 0: none
	Conns    int           // idle connections per transport for the memory figure
	Pubs     int           // publications to the page in Chromium
	Browser  bool          // measure publish → visible
}

// MeasureCluster runs the cluster part. A step that fails is noted in
// the result's Errors and the rest goes on; the error returned joins them.
// Without redis-server nothing is measured: Skipped says why, and the
// error is ErrNoRedis.
func MeasureCluster(ctx context.Context, exe string, o ClusterOptions, limit uint64, octet int, progress func(string)) (*LiveCluster, error) {
	start := time.Now()
	lc := &LiveCluster{Instances: liveClusterInstances}
	defer func() { lc.Elapsed = time.Since(start).Round(time.Millisecond) }()
	progress("live cluster: starting redis-server")
	rd, err := measure.StartRedis()
	if err != nil {
		lc.Skipped = err.Error()
		return lc, err
	}
	defer rd.Stop()
	lc.Redis = rd.Version
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	env := []string{liveRedisEnv + "=" + rd.URL, liveSecretEnv + "=" + hex.EncodeToString(key)}

	var errs []error
	fail := func(what string, err error) {
		err = fmt.Errorf("%s: %w", what, err)
		errs = append(errs, err)
		lc.Errors = append(lc.Errors, err.Error())
	}
	srvs, err := startLiveCluster(ctx, exe, env, progress)
	if err != nil {
		fail("start the instances", err)
		return lc, errors.Join(errs...)
	}
	stopAll := func() {
		for _, s := range srvs {
			s.stop()
		}
	}
	defer stopAll()

	if o.Browser {
		lc.Visible, err = liveClusterVisible(ctx, srvs, o.Pubs, progress)
		if ctx.Err() != nil {
			return lc, ctx.Err()
		}
		if err != nil {
			fail("publish → visible across instances", err)
		}
	}
	prefix := func(third int) string { return fmt.Sprintf("127.%d.%d.", octet, third) }
	lc.Fanout, lc.FanoutPer, err = liveClusterFanout(ctx, liveRig{exe: exe, limit: limit, source: prefix(3), progress: progress}, srvs, o.Subs)
	if ctx.Err() != nil {
		return lc, ctx.Err()
	}
	if err != nil {
		fail("fan-out through Redis", err)
	}
	lc.Storm, err = liveStorm(ctx, liveRig{exe: exe, limit: limit, source: prefix(4), progress: progress}, stormRun{rd: rd, srvs: srvs, n: o.Storm, gap: o.StormGap})
	if ctx.Err() != nil {
		return lc, ctx.Err()
	}
	if err != nil {
		fail("reconnect storm", err)
	}
	stopAll()

	for i, tr := range Transports {
		conns, _, err := liveTransport(ctx, liveRig{exe: exe, limit: limit, source: prefix(5 + i), progress: progress}, transportRun{transport: tr, conns: o.Conns, env: env})
		if ctx.Err() != nil {
			return lc, ctx.Err()
		}
		if conns != nil {
			lc.Conns = append(lc.Conns, *conns)
		}
		if err != nil {
			fail("idle connections with Redis over "+tr, err)
		}
	}
	return lc, errors.Join(errs...)
}

// startLiveCluster starts liveClusterInstances servers with env (the Redis
// URL and the shared secret).
func startLiveCluster(ctx context.Context, exe string, env []string, progress func(string)) ([]*liveServer, error) {
	progress(fmt.Sprintf("live cluster: starting %d instances on one Redis", liveClusterInstances))
	var srvs []*liveServer
	for range liveClusterInstances {
		s, err := startLiveServer(ctx, exe, env...)
		if err != nil {
			for _, s := range srvs {
				s.stop()
			}
			return nil, err
		}
		srvs = append(srvs, s)
	}
	return srvs, nil
}

// liveClusterVisible measures publish → visible with the page on B over
// SSE and on C over WebSocket, the publications made through A.
func liveClusterVisible(ctx context.Context, srvs []*liveServer, pubs int, progress func(string)) ([]LiveVisible, error) {
	path, err := measure.ChromiumPath()
	if err != nil {
		return nil, err
	}
	var out []LiveVisible
	var errs []error
	for i, tr := range Transports {
		k := 1 + i%(len(srvs)-1) // B, then C
		name := map[string]string{"sse": "SSE", "ws": "WebSocket"}[tr]
		label := fmt.Sprintf("live cluster: publish on A → visible on %c over %s: ", 'A'+k, name)
		v, err := liveVisibleOn(ctx, visibleRun{path: path, pageSrv: srvs[k], pubSrv: srvs[0], transport: tr, pubs: pubs, progress: func(s string) { progress(label + s) }})
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		if v != nil {
			out = append(out, *v)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("over %s: %w", tr, err))
		}
	}
	return out, errors.Join(errs...)
}

// liveClusterFanout opens subs connections spread over the instances (i on
// instance i mod len(srvs)) and times FanoutRuns publications made on
// the first, after one to warm up. It returns the fan-out and the
// connections each instance held.
func liveClusterFanout(ctx context.Context, rig liveRig, srvs []*liveServer, subs int) (*LiveFanout, []int, error) {
	grants, err := liveGrants(ctx, srvs[0], liveFanChan, liveIdle)
	if err != nil {
		return nil, nil, err
	}
	var addrs []string
	for _, s := range srvs {
		addrs = append(addrs, s.addr)
	}
	per := make([]int, len(srvs))
	cfgs := liveSplit(subs, rig.limit, rig.source, func(n int, sources []string) liveClientConfig {
		for i := range n {
			per[i%len(srvs)]++
		}
		return liveClientConfig{Transport: liveClusterTransport, Conns: n, Fan: n, Sources: sources,
			Concurrency: liveClientConcurrency, Grants: grants, Addrs: addrs}
	})
	rig.progress(fmt.Sprintf("live cluster: opening %d connections over %d instances (%v) from %d processes", subs, len(srvs), per, len(cfgs)))
	clients, err := startLiveClients(ctx, rig.exe, cfgs)
	if err != nil {
		return nil, per, err
	}
	defer clients.stop()
	ready, err := clients.ready(ctx, time.Minute+time.Duration(subs)*time.Millisecond, nil)
	if err != nil {
		return nil, per, err
	}
	if ready.failed > 0 {
		return nil, per, fmt.Errorf("%d of %d connections failed: %s", ready.failed, subs, ready.firstErr)
	}
	if _, err := liveFanoutOnce(ctx, srvs[0], clients, 0); err != nil {
		return nil, per, fmt.Errorf("warm-up: %w", err)
	}
	fan := &LiveFanout{Transport: liveClusterTransport, Subscribers: subs}
	var short []error
	for i := range FanoutRuns {
		rig.progress(fmt.Sprintf("live cluster: fan-out %d/%d from A to %d subscribers on %d instances", i+1, FanoutRuns, subs, len(srvs)))
		run, err := liveFanoutOnce(ctx, srvs[0], clients, i+1)
		if err != nil {
			return fan, per, err
		}
		fan.Runs = append(fan.Runs, run)
		if run.Received < subs {
			short = append(short, fmt.Errorf("fan-out %d: %d of %d subscribers received it within %v", i+1, run.Received, subs, liveFanoutTimeout))
		}
		time.Sleep(100 * time.Millisecond)
	}
	fan.Last, fan.Rate = liveFanoutMedian(fan.Runs)
	return fan, per, errors.Join(short...)
}

// liveGrants asks srv for a token and the position of each channel.
func liveGrants(ctx context.Context, srv *liveServer, channels ...string) (map[string]liveGrant, error) {
	grants := map[string]liveGrant{}
	for _, ch := range channels {
		var g liveGrant
		if err := srv.get(ctx, "/_bench/token?ch="+ch, &g); err != nil {
			return nil, err
		}
		grants[ch] = g
	}
	return grants, nil
}

// liveSplit splits n connections into client processes of at most
// liveConnsPerProc (and the open-file limit) each, liveConnsPerSource per
// source address (sourcePrefix + 1, 2, …); cfg makes each process's
// configuration from its count and addresses.
func liveSplit(n int, limit uint64, sourcePrefix string, cfg func(n int, sources []string) liveClientConfig) []liveClientConfig {
	perProc := max(1, min(liveConnsPerProc, int(limit)-liveFDReserve))
	var cfgs []liveClientConfig
	src := 1
	for left := n; left > 0; {
		k := min(left, perProc)
		var sources []string
		for j := 0; j < k; j += liveConnsPerSource {
			sources = append(sources, sourcePrefix+strconv.Itoa(src))
			src++
		}
		cfgs = append(cfgs, cfg(k, sources))
		left -= k
	}
	return cfgs
}
