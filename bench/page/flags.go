package page

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/cachebench"
	"github.com/bigpipe-go/bigpipe/bench/livebench"
)

// config is what the flags set.
type config struct {
	url             string
	runs            int
	scenarios       string
	delays          string
	noBrowser       bool
	noLoad          bool
	frontRuns       int
	nojsRuns        int
	frontOnly       bool
	quick           bool
	out             string
	capacity        intList
	capacityHold    time.Duration
	concurrency     intList
	loadDuration    time.Duration
	loadMax         int
	replot          string
	frontProbe      bool
	noLive          bool
	liveOnly        bool
	liveConns       int
	liveFanout      int
	livePubs        int
	noLiveCluster   bool
	liveClusterSubs int
	liveStorm       int
	liveStormGap    time.Duration
	readersOnly     bool
	noLiveReaders   bool
	liveReaders     int
	liveReaderPubs  int
	livePresence    int
	liveMessages    int
	noCache         bool
	cacheOnly       bool
	cacheRounds     int
	cacheRound      time.Duration
	cacheHerd       int
	cachePubs       int
	cacheLatency    string
	flags           map[string]string // every flag's value, for the report
}

// quickDefaults are the settings -quick gives the flags not set explicitly.
func quickDefaults() map[string]string {
	return map[string]string{
		"runs":              "2",
		"load-duration":     "1s",
		"concurrency":       "1,8",
		"capacity":          "200",
		"load-max":          "20000",
		"front-runs":        "2",
		"nojs-runs":         "1",
		"live-conns":        "200",
		"live-fanout":       "100",
		"live-pubs":         "20",
		"live-cluster-subs": "300",
		"live-storm":        "300",
		"live-readers":      "200",
		"live-reader-pubs":  "100",
		"live-presence":     "100",
		"live-messages":     "20",
		"cache-rounds":      "1",
		"cache-round":       "500ms",
		"cache-herd":        "200",
		"cache-pubs":        "20",
	}
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	c := config{capacity: intList{1000, 10000}, concurrency: intList{1, 16, 128}}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.url, "url", "", "measure the server running at this base URL (http://host:port) instead of one started in-process")
	fs.IntVar(&c.runs, "runs", 4, "runs of each scenario in each mode (on the wire and in the browser)")
	fs.StringVar(&c.scenarios, "scenarios", "", "comma list of scenarios to run: default, reversed, equal, one-slow, many, zero, custom (default: all, or only custom with -delays)")
	fs.StringVar(&c.delays, "delays", "", "a custom scenario: comma list of pagelet delays in ms, e.g. 30,1000")
	fs.BoolVar(&c.noBrowser, "no-browser", false, "skip the browser figures (headless Chromium)")
	fs.BoolVar(&c.noLoad, "no-load", false, "skip the load and capacity figures")
	fs.IntVar(&c.frontRuns, "front-runs", 9, "visits of the demo's front page per mode (pipelined, plain) and kind (cold, warm) in Chromium; 0 skips them")
	fs.IntVar(&c.nojsRuns, "nojs-runs", 3, "JavaScript-off first visits of /bench?delays="+NoJSDelays+" per mode (native, pipelined) in Chromium; 0 skips them")
	fs.BoolVar(&c.frontOnly, "front-only", false, "measure the front-page visits only (no /bench scenarios, load or capacity)")
	fs.BoolVar(&c.quick, "quick", false, "tiny settings for a smoke run: 2 runs, delays divided by 8, 1 s of load at 1 and 8, capacity at 200, 200 live connections and 20 publications, 300 across instances, 200 readers, 100 on an article, 20 messages")
	fs.StringVar(&c.out, "out", defaultOut(), "directory for latest.json and the charts")
	fs.Var(&c.capacity, "capacity", "comma list of in-flight page counts to hold")
	fs.DurationVar(&c.capacityHold, "capacity-hold", 2*time.Second, "how long the slow pagelet holds each in-flight page open (longer when opening them takes longer)")
	fs.Var(&c.concurrency, "concurrency", "comma list of load concurrency levels")
	fs.DurationVar(&c.loadDuration, "load-duration", 5*time.Second, "load time per mode and concurrency level")
	fs.IntVar(&c.loadMax, "load-max", 200000, "at most this many requests per mode and concurrency level (0: no limit but the time)")
	fs.BoolVar(&c.noLive, "no-live", false, "skip the live figures (idle SSE and WebSocket connections, fan-out, publish → visible)")
	fs.BoolVar(&c.liveOnly, "live-only", false, "measure the live figures only (no /bench scenarios, front page, load or capacity)")
	fs.IntVar(&c.liveConns, "live-conns", livebench.ConnsDefault, "idle live connections held per transport (fewer if the open-file limit is lower)")
	fs.IntVar(&c.liveFanout, "live-fanout", livebench.FanoutDefault, "of those, how many subscribe to the channel of the fan-out publications")
	fs.IntVar(&c.livePubs, "live-pubs", livebench.PubsDefault, "publications to the live page in Chromium for publish → visible")
	fs.BoolVar(&c.noLiveCluster, "no-live-cluster", false, "skip the live figures across three instances through a redis-server the bench starts (publish → visible, fan-out, reconnect storm, memory with Redis)")
	fs.IntVar(&c.liveClusterSubs, "live-cluster-subs", livebench.ClusterSubsDefault, "subscribers of the fan-out through Redis, spread over the three instances")
	fs.IntVar(&c.liveStorm, "live-storm", livebench.StormDefault, "connections of the instance closed in the reconnect storm")
	fs.DurationVar(&c.liveStormGap, "live-storm-gap", livebench.StormPubGapDefault, "between two publications made during the reconnect storm (each to every connection); 0: none after the first")
	fs.BoolVar(&c.readersOnly, "readers-only", false, "measure the live section's readers only: signed-in readers held, PublishTo, presence across two instances, messages posted → visible (ours and socket.io's)")
	fs.BoolVar(&c.noLiveReaders, "no-live-readers", false, "skip the live section's readers (with -live-only; the full run always does)")
	fs.IntVar(&c.liveReaders, "live-readers", livebench.ReadersDefault, "signed-in readers held on one instance, each with a private channel, and as many anonymous connections (fewer if the open-file limit is lower)")
	fs.IntVar(&c.liveReaderPubs, "live-reader-pubs", livebench.ReaderPubsDefault, "PublishTo calls timed with 100 readers connected, then with all")
	fs.IntVar(&c.livePresence, "live-presence", livebench.PresenceDefault, "readers joining and leaving an article across two instances (reading now)")
	fs.IntVar(&c.liveMessages, "live-messages", livebench.MessagesDefault, "messages posted → visible in Chromium across two instances, ours and socket.io's each")
	fs.BoolVar(&c.noCache, "no-cache", false, "skip the cache section (also skipped by -no-load)")
	fs.BoolVar(&c.cacheOnly, "cache-only", false, "measure the cache section only: the fully cached page against the limit, the thundering herd, the front page at realistic latencies, staleness across two instances (about 2 minutes)")
	fs.IntVar(&c.cacheRounds, "cache-rounds", cachebench.RoundsDefault, "cache section: rounds of each page in turn (the limit, the front page)")
	fs.DurationVar(&c.cacheRound, "cache-round", cachebench.RoundDefault, "cache section: each round's measuring time")
	fs.IntVar(&c.cacheHerd, "cache-herd", cachebench.HerdDefault, "cache section: concurrent requests to the cold front page (the thundering herd)")
	fs.IntVar(&c.cachePubs, "cache-pubs", cachebench.PubsDefault, "cache section: publications on instance A timed until instance B serves them")
	fs.StringVar(&c.cacheLatency, "cache-latency", cachebench.FrontLatencyDefault, "cache section: the front page's backend latencies (the server's -latency)")
	fs.StringVar(&c.replot, "replot", "", "measure nothing: print the table and draw the charts of this latest.json again (into -out)")
	fs.BoolVar(&c.frontProbe, "front-probe", false, "measure nothing: print the front-page probe's JavaScript (for another browser's driver, such as bench/firefox)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./bench [flags]\n\nMeasures /bench in every mode on the wire, in Chromium, under load and in flight.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if c.quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range quickDefaults() {
			if !set[name] {
				if err := fs.Set(name, v); err != nil {
					return c, err
				}
			}
		}
	}
	// The full run is held to about 12 minutes on two cores; the readers
	// take one more. They run with -live-only and -readers-only.
	if !c.liveOnly && !c.readersOnly {
		c.noLiveReaders = true
	}
	c.flags = map[string]string{}
	fs.VisitAll(func(f *flag.Flag) { c.flags[f.Name] = f.Value.String() })

	return c, c.validate()
}

// validate checks the flags' values together.
func (c config) validate() error {
	switch {
	case c.runs < 1:
		return fmt.Errorf("-runs %d: want at least 1", c.runs)
	case c.loadDuration <= 0:
		return fmt.Errorf("-load-duration %v: want more than 0", c.loadDuration)
	case c.nojsRuns < 0:
		return fmt.Errorf("-nojs-runs %d: want 0 or more", c.nojsRuns)
	case c.frontRuns < 0:
		return fmt.Errorf("-front-runs %d: want 0 or more", c.frontRuns)
	case c.frontOnly && (c.noBrowser || c.frontRuns == 0):
		return errors.New("-front-only measures in Chromium: not with -no-browser or -front-runs 0")
	case c.loadMax < 0:
		return fmt.Errorf("-load-max %d: want 0 or more", c.loadMax)
	case len(c.concurrency) == 0:
		return errors.New("-concurrency: want at least one level")
	case c.liveOnly && c.noLive:
		return errors.New("-live-only and -no-live: pick one")
	case c.liveOnly && c.frontOnly:
		return errors.New("-live-only and -front-only: pick one")
	case c.liveConns < 1 || c.liveFanout < 1 || c.livePubs < 1:
		return fmt.Errorf("-live-conns %d, -live-fanout %d, -live-pubs %d: want at least 1 each", c.liveConns, c.liveFanout, c.livePubs)
	case c.liveStormGap < 0:
		return fmt.Errorf("-live-storm-gap %v: want 0 or more", c.liveStormGap)
	case c.readersOnly && (c.noLive || c.noLiveReaders || c.frontOnly):
		return errors.New("-readers-only with -no-live, -no-live-readers or -front-only: pick one")
	case c.liveReaders < 1 || c.liveReaderPubs < 1 || c.livePresence < 2 || c.liveMessages < 1:
		return fmt.Errorf("-live-readers %d, -live-reader-pubs %d, -live-presence %d, -live-messages %d: want at least 1 each (2 readers for presence)",
			c.liveReaders, c.liveReaderPubs, c.livePresence, c.liveMessages)
	case c.cacheOnly && (c.noCache || c.liveOnly || c.frontOnly || c.readersOnly):
		return errors.New("-cache-only with -no-cache, -live-only, -front-only or -readers-only: pick one")
	case c.cacheRounds < 1 || c.cacheRound <= 0 || c.cacheHerd < 1 || c.cachePubs < 1:
		return fmt.Errorf("-cache-rounds %d, -cache-round %v, -cache-herd %d, -cache-pubs %d: want at least 1 each (more than 0 s)", c.cacheRounds, c.cacheRound, c.cacheHerd, c.cachePubs)
	case c.liveClusterSubs < 1 || c.liveStorm < 1:
		return fmt.Errorf("-live-cluster-subs %d, -live-storm %d: want at least 1 each", c.liveClusterSubs, c.liveStorm)
	}
	if c.url != "" {
		u, err := url.Parse(c.url)
		if err != nil || u.Scheme != "http" || u.Host == "" {
			return fmt.Errorf("-url %q: want http://host:port (the wire client speaks plain HTTP/1.1)", c.url)
		}
	}
	return nil
}

// intList is a flag of comma-separated positive integers.
type intList []int

func (l *intList) String() string {
	if l == nil {
		return ""
	}
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ",")
}

func (l *intList) Set(s string) error {
	var out intList
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil || v < 1 {
			return fmt.Errorf("%q is not a positive whole number", f)
		}
		out = append(out, v)
	}
	*l = out
	return nil
}

// defaultOut is bench/results of the module this command belongs to, found
// from the working directory up; bench/results of the working directory
// outside a module.
func defaultOut() string {
	dir, err := os.Getwd()
	if err != nil {
		return filepath.Join("bench", "results")
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			if rel, err := filepath.Rel(dir, filepath.Join(d, "bench", "results")); err == nil {
				return rel
			}
			return filepath.Join(d, "bench", "results")
		}
		if filepath.Dir(d) == d {
			return filepath.Join("bench", "results")
		}
	}
}
