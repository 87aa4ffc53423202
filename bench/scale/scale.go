// Package scale is the bench's scale section (issue 26): live connections
// on the real server binary, measured from outside.
//
//   - The cluster part (cluster.go): instances of the site built from this
//     checkout behind one redis-server, as many as the open-file limit
//     needs for the connections asked (100,000: six instances here, where
//     a process may hold 20,000 files), every connection idle on the
//     front page's channels, connected as the page's live client does;
//     then publications to all of them (breaking news through an
//     instance's admin endpoint), each timed from before the publish to
//     the last connection's receipt.
//   - The memory part (memory.go): one instance with `go run .`'s flags
//     (the simulator on, the memory broker), its connections held idle for
//     a while (2 minutes), RSS from /proc before the connections and after,
//     divided by the connections; no collection forced.
//
// Load clients are child processes (this binary with RoleEnv set, see
// client.go), each within its own open-file limit, their sockets bound to
// loopback source addresses 127.20.x.y, PerSource connections each: under
// the per-address limit of live connections (64 by default) that every
// instance keeps.
//
//	go run ./bench scale                         # 100,000 SSE connections over six instances, three publications
//	go run ./bench scale -part memory            # 10,000 idle connections on one instance, SSE then WebSocket, 2 minutes each
package scale

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// Options is what the flags ask for.
type Options struct {
	Part        string        // "cluster" or "memory"
	Conns       int           // connections in all (cluster) or per transport (memory)
	Instances   int           // cluster: instances; 0: as few as the open-file limit allows
	Transport   string        // "sse", "ws" or, for memory, "both"
	Pubs        int           // cluster: publications timed
	Idle        time.Duration // how long the connections are held before the figures
	PerSource   int           // connections per loopback source address
	Concurrency int           // dials at once per client process
	Sim         bool          // memory: the demo's simulator on, as `go run .` has it
	Admin       string        // memory: the instance's -admin address (pprof), empty: none
}

// Defaults of the options.
const (
	ClusterConnsDefault = 100_000
	MemoryConnsDefault  = 10_000
	PubsDefault         = 3
	MemoryIdleDefault   = 2 * time.Minute
	PerSourceDefault    = 60 // under the default 64 live connections per address
	ConcurrencyDefault  = 100
)

// Run parses args and runs the part they ask for, reporting on stdout.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	progress := func(s string) { fmt.Fprintf(stderr, "%s scale: %s\n", time.Now().Format("15:04:05"), s) }
	procs := ""
	if v := os.Getenv("GOMAXPROCS"); v != "" { // the instances and clients inherit it
		procs = ", GOMAXPROCS=" + v
	}
	fmt.Fprintf(stdout, "scale (issue 26), %s, commit %s, load average %s, args %q%s\n", time.Now().UTC().Format(time.DateTime), measure.GitCommit(ctx), loadavg(), args, procs)
	switch o.Part {
	case "cluster":
		res, err := measureCluster(ctx, o, progress)
		if res != nil {
			res.print(stdout)
		}
		return err
	default:
		ws, err := newWorkspace(ctx, progress)
		if err != nil {
			return err
		}
		defer ws.remove()
		ts := []string{o.Transport}
		if o.Transport == "both" {
			ts = []string{"sse", "ws"}
		}
		for _, t := range ts {
			res, err := measureMemory(ctx, ws, o, t, progress)
			if res != nil {
				res.print(stdout)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
}

// parseFlags reads the options; each part has its own defaults.
func parseFlags(args []string, stderr io.Writer) (Options, error) {
	fs := flag.NewFlagSet("bench scale", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	fs.StringVar(&o.Part, "part", "cluster", "cluster (connections over instances behind Redis, publications to all) or memory (one instance, RSS per idle connection)")
	fs.IntVar(&o.Conns, "conns", 0, "connections: in all for cluster (default 100000), per transport for memory (default 10000)")
	fs.IntVar(&o.Instances, "instances", 0, "cluster: instances of the site; 0: as few as the open-file limit allows")
	fs.StringVar(&o.Transport, "transport", "", "sse or ws; memory also both (default: sse for cluster, both for memory)")
	fs.IntVar(&o.Pubs, "pubs", PubsDefault, "cluster: publications to every connection, timed to the last receipt")
	fs.DurationVar(&o.Idle, "idle", -1, "how long the connections are held idle before memory is read (default: 0 for cluster, 2m for memory)")
	fs.IntVar(&o.PerSource, "per-source", PerSourceDefault, "connections per loopback source address (each instance allows 64 per address)")
	fs.IntVar(&o.Concurrency, "concurrency", ConcurrencyDefault, "dials at once per client process")
	fs.BoolVar(&o.Sim, "sim", true, "memory: run the demo's simulator, as go run . does")
	fs.StringVar(&o.Admin, "admin", "", "memory: the instance's -admin listener (pprof), e.g. 127.0.0.1:6060; empty: none")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch o.Part {
	case "cluster":
		o.Conns = cmpOr(o.Conns, ClusterConnsDefault)
		o.Transport = cmpOr(o.Transport, "sse")
		o.Idle = max(o.Idle, 0)
	case "memory":
		o.Conns = cmpOr(o.Conns, MemoryConnsDefault)
		o.Transport = cmpOr(o.Transport, "both")
		if o.Idle < 0 {
			o.Idle = MemoryIdleDefault
		}
	default:
		return o, fmt.Errorf("-part %q: cluster or memory", o.Part)
	}
	switch {
	case o.Transport != "sse" && o.Transport != "ws" && (o.Transport != "both" || o.Part != "memory"):
		return o, fmt.Errorf("-transport %q: sse or ws (or both, for memory)", o.Transport)
	case o.Conns < 1 || o.PerSource < 1 || o.PerSource > 64 || o.Concurrency < 1 || o.Pubs < 0:
		return o, fmt.Errorf("-conns, -concurrency and -per-source (at most 64) must be positive, -pubs not negative")
	}
	return o, nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// kib formats bytes in KiB.
func kib(b float64) string { return fmt.Sprintf("%.1f KiB", b/1024) }

func (r *ClusterResult) print(w io.Writer) {
	fmt.Fprintf(w, "cluster: %d instances behind redis-server %s, %s, channels %s\n", r.Instances, r.Redis, r.Transport, strings.Join(r.Channels, ","))
	fmt.Fprintf(w, "  connections: %d asked, %d open, %d failed (%s) in %v, from %d client processes and %d source addresses\n",
		r.Asked, r.Open, r.Failed, cmpOr(r.FirstErr, "-"), r.Opened.Round(time.Millisecond), r.Processes, r.Sources)
	for i, p := range r.PerInstance {
		fmt.Fprintf(w, "  instance %d: %d connections, RSS %s, heap %s, stacks %s, %.2f goroutines per connection (after %v idle)\n",
			i, p.Conns, kib(p.RSS), kib(p.Heap), kib(p.Stack), p.Goroutine, r.Idle)
	}
	fmt.Fprintf(w, "  before the publications: %d open, %d reconnects; disconnects by instance: %s\n", r.AliveStart, r.ReconnectsBefore, strings.Join(r.Disconnects, " | "))
	for i, p := range r.Pubs {
		fmt.Fprintf(w, "  publication %d: %d of %d received, the first %v and the last %v after the publish; CPU meanwhile: %s\n", i+1, p.Received, r.Open, p.First.Round(time.Millisecond), p.Last.Round(time.Millisecond), p.CPU)
	}
	fmt.Fprintf(w, "  at the end: %d open, %d reconnects in all; disconnects by instance: %s\n", r.AliveEnd, r.Reconnects, strings.Join(r.DisconnectsEnd, " | "))
}

func (r *MemoryResult) print(w io.Writer) {
	fmt.Fprintf(w, "memory: %s, one instance (simulator %v), channels %s, %d asked, %d open, %d failed (%s), after %v idle\n",
		r.Transport, r.Sim, strings.Join(r.Channels, ","), r.Asked, r.Open, r.Failed, cmpOr(r.FirstErr, "-"), r.Idle)
	fmt.Fprintf(w, "  before: RSS %.1f MiB, heap in use %.1f MiB, stacks %.1f MiB, %.0f goroutines\n",
		float64(r.Before.RSS)/(1<<20), r.Before.HeapInuse/(1<<20), r.Before.StackInuse/(1<<20), r.Before.Goroutines)
	fmt.Fprintf(w, "  after:  RSS %.1f MiB, heap in use %.1f MiB, stacks %.1f MiB, %.0f goroutines, %.0f live connections\n",
		float64(r.After.RSS)/(1<<20), r.After.HeapInuse/(1<<20), r.After.StackInuse/(1<<20), r.After.Goroutines, r.After.Connections)
	p := r.PerConn
	fmt.Fprintf(w, "  per connection: RSS %s, heap in use %s, stacks %s, %.2f goroutines\n", kib(p.RSS), kib(p.Heap), kib(p.Stack), p.Goroutine)
	fmt.Fprintf(w, "  open at the end: %d of %d, %d reconnects; the instance's disconnects by reason: %s\n", r.Alive, r.Open, r.Reconnects, cmpOr(r.After.Disconnects, "none"))
}

// loadavg is the machine's load average over 1, 5 and 15 minutes.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}
