package page

import (
	"strings"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/bench/livebench"
)

// What one step costs on a small machine (2 cores), measured: the
// estimate printed up front and the progress bar's time left come from
// these.
const (
	estWireRequest   = 8 * time.Millisecond    // one /bench request beyond its slowest delay
	estBrowserStart  = 1500 * time.Millisecond // starting Chromium, once per scenario
	estBrowserLoad   = 350 * time.Millisecond  // one page load beyond its slowest delay
	estServerBuild   = 10 * time.Second        // go build of the server for capacity (1 s when cached)
	estCapacityLevel = 3 * time.Second         // start, warm-up, measuring, reading out
	estOpenRate      = 4000.0                  // connections opened per second
	estFrontVisit    = 900 * time.Millisecond  // one front-page visit, cold or warm (two loads), on average
	estLiveTransport = 6 * time.Second         // a live server and its clients: start, warm-up, memory, fan-out
	estLiveOpenRate  = 3000.0                  // live connections opened per second
	estLivePub       = 40 * time.Millisecond   // one publication to the page in Chromium, with the gap after it
	estSiteStart     = 1500 * time.Millisecond // a demo server in a child process, to /healthz
	estHerdPage      = 3 * time.Millisecond    // one of the herd's pages (1,000 in about 3 s)
	estStalePub      = 35 * time.Millisecond   // one publication across instances, with the gap after it
)

// plan is the benchmark cfg asks for as the progress bar counts it: the
// phases in the order they run, with their steps and expected durations.
func plan(cfg config, scs []Scenario) []measure.Phase {
	modes := len(Modes)
	var phases []measure.Phase
	if !cfg.liveOnly {
		phases = append(phases, measure.Phase{Name: "warm-up", Steps: warmupRequests * modes, Est: time.Duration(warmupRequests*modes) * estWireRequest})
	}
	// A phase per scenario: their steps differ in length by their delays.
	for _, sc := range scs {
		per := slowest(sc.Delays) + estWireRequest + time.Duration(len(sc.Delays))*200*time.Microsecond
		phases = append(phases, measure.Phase{Name: "wire " + sc.Name, Steps: cfg.runs * modes, Est: time.Duration(cfg.runs*modes) * per})
	}
	if !cfg.noBrowser {
		for _, sc := range scs {
			// measureBrowser: a warm-up and runs loads of the floor page,
			// then runs loads in each mode.
			phases = append(phases, measure.Phase{
				Name:  "browser " + sc.Name,
				Steps: 1 + cfg.runs + cfg.runs*modes,
				Est: estBrowserStart + time.Duration(1+cfg.runs)*estBrowserLoad +
					time.Duration(cfg.runs*modes)*(slowest(sc.Delays)+estBrowserLoad),
			})
		}
	}
	if !cfg.noBrowser && cfg.frontRuns > 0 {
		// measureFrontPage: a warm-up visit, then runs visits of each mode
		// and kind.
		n := 1 + 4*cfg.frontRuns
		phases = append(phases, measure.Phase{Name: "front-page", Steps: n, Est: estBrowserStart + time.Duration(n)*estFrontVisit})
	}
	if !cfg.noBrowser && cfg.nojsRuns > 0 {
		// measureNoJS: runs visits of each mode, a pipelined one with its
		// refresh about twice the slowest pagelet.
		n := 2 * cfg.nojsRuns
		phases = append(phases, measure.Phase{Name: "nojs", Steps: n, Est: estBrowserStart + time.Duration(cfg.nojsRuns)*5*time.Second})
	}
	if !cfg.noLoad {
		// measureLoad splits the time of each mode and level into up to 3
		// rounds of at least a second, each after a short warm-up, and says
		// so before the warm-up and before the round.
		rounds := max(1, min(int(cfg.loadDuration/time.Second), 3))
		warm := max(50*time.Millisecond, min(250*time.Millisecond, cfg.loadDuration/time.Duration(rounds)/10))
		n := len(cfg.concurrency) * modes
		phases = append(phases, measure.Phase{Name: "load", Steps: n * rounds * 2,
			Est: time.Duration(n) * (cfg.loadDuration + time.Duration(rounds)*warm)})
		// measureCapacity builds the server once, then per level: start,
		// warm up, open, measure, read out.
		est := estServerBuild
		for _, level := range cfg.capacity {
			open := time.Duration(float64(level) / estOpenRate * float64(time.Second))
			hold := max(cfg.capacityHold, 2*open+1500*time.Millisecond)
			est += estCapacityLevel + open + hold
		}
		phases = append(phases, measure.Phase{Name: "capacity", Steps: 1 + 5*len(cfg.capacity), Est: est})
	}
	if !cfg.noCache && (!cfg.noLoad || cfg.cacheOnly) && !cfg.liveOnly {
		phases = append(phases, cachePlan(cfg))
	}
	if !cfg.noLive {
		phases = append(phases, livePlan(cfg))
	}
	return phases
}

// cachePlan is the cache section's phase: cachebench.Measure's progress
// lines and time. The limit loads five targets in rounds (React's server
// the fifth, started after the limit's) and the front page three (a
// warm-up line and a round line each), the front page then two of them
// again paced, the limit's five with wrk in as many rounds; the site is
// built once; the herd starts two servers; the front page three;
// staleness redis-server and two, and says every 20 publications.
func cachePlan(cfg config) measure.Phase {
	warm := max(50*time.Millisecond, min(250*time.Millisecond, cfg.cacheRound/10))
	rounds := time.Duration((5+3+2)*cfg.cacheRounds) * (cfg.cacheRound + warm)
	steps := 1 + 1 + 5*cfg.cacheRounds*2 + 5*cfg.cacheRounds + 1 + 2 + 1 + (3+2)*cfg.cacheRounds*2 + 1 + (cfg.cachePubs+19)/20
	est := rounds + time.Duration(5*cfg.cacheRounds)*cfg.cacheRound + estServerBuild + 8*estSiteStart +
		time.Duration(cfg.cacheHerd)*estHerdPage + time.Duration(cfg.cachePubs)*estStalePub
	return measure.Phase{Name: "cache", Steps: steps, Est: est}
}

// livePlan is the live section's phase: livebench.Measure's progress
// lines and time.
func livePlan(cfg config) measure.Phase {
	open := time.Duration(float64(cfg.liveConns) / estLiveOpenRate * float64(time.Second))
	var steps int
	var est time.Duration
	if !cfg.readersOnly {
		// per transport start, warm-up, opening (and a line every 2 s of
		// it), held, the fan-outs; then Chromium.
		steps = len(livebench.Transports) * (4 + livebench.FanoutRuns + int(open/(2*time.Second)))
		est = time.Duration(len(livebench.Transports)) * (estLiveTransport + open)
		if !cfg.noBrowser { // per transport: Chromium, the page's connect, the publications
			steps += len(livebench.Transports) * (2 + (cfg.livePubs+49)/50)
			est += time.Duration(len(livebench.Transports)) * (estBrowserStart + 2*time.Second + time.Duration(cfg.livePubs)*estLivePub)
		}
	}
	if !cfg.readersOnly && !cfg.noLiveCluster { // Redis and three servers, Chromium, the fan-out, the storm, the memory
		subs := time.Duration(float64(cfg.liveClusterSubs+cfg.liveStorm) / estLiveOpenRate * float64(time.Second))
		steps += 6 + livebench.FanoutRuns + 3 + len(livebench.Transports)*(4+int(open/(2*time.Second)))
		est += 3*time.Second + subs + 5*time.Second + time.Duration(len(livebench.Transports))*(estLiveTransport+open)
		if !cfg.noBrowser {
			steps += len(livebench.Transports) * (2 + (cfg.livePubs+49)/50)
			est += time.Duration(len(livebench.Transports)) * (estBrowserStart + 2*time.Second + time.Duration(cfg.livePubs)*estLivePub)
		}
	}
	if !cfg.noLiveReaders { // anonymous and readers' servers, opening both, presence, messages on both stacks
		ropen := time.Duration(float64(2*cfg.liveReaders) / estLiveOpenRate * float64(time.Second))
		steps += 14 + int(ropen/(2*time.Second))
		est += 2*estLiveTransport + ropen + 3*time.Second + 3*(presenceStepEst)
		if !cfg.noBrowser {
			steps += 2 * (2 + (cfg.liveMessages+49)/50)
			est += 2 * (estBrowserStart + 2*time.Second + time.Duration(cfg.liveMessages)*estLivePub)
		}
	}
	return measure.Phase{Name: "live", Steps: steps, Est: est}
}

// presenceStepEst is one presence step of the readers section: a count
// reported within a second or two, then a period to see it stays.
const presenceStepEst = 3 * time.Second

// summary is the estimate by part: "wire 1m55s, browser 2m57s, …".
func summary(phases []measure.Phase) (time.Duration, string) {
	var total time.Duration
	var parts []string
	byPart := map[string]time.Duration{}
	for _, ph := range phases {
		total += ph.Est
		part, _, _ := strings.Cut(ph.Name, " ")
		if _, ok := byPart[part]; !ok {
			parts = append(parts, part)
		}
		byPart[part] += ph.Est
	}
	for i, part := range parts {
		parts[i] = part + " " + measure.RoundDur(byPart[part]).String()
	}
	return total, strings.Join(parts, ", ")
}
