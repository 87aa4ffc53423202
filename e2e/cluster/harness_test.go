package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/pgtest"
	"github.com/bigpipe-go/bigpipe/internal/redistest"
	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

// proc is a program a test started (testenv.Proc: killed when the test
// ends, its output logged if the test failed).
type proc = testenv.Proc

// startProc starts bin with args. name labels its output in the test log.
func startProc(t *testing.T, name, bin string, args ...string) (*proc, error) {
	t.Helper()
	return testenv.StartProc(t, name, bin, args...)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int { t.Helper(); return testenv.FreePort(t) }

// waitFor polls check every 20 ms until it returns nil, p (if not nil)
// exits, or d passes.
func waitFor(p *proc, d time.Duration, check func() error) error { return testenv.WaitFor(p, d, check) }

// get fetches url with client and returns its status and body.
func get(client *http.Client, url string) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// getOK returns an error unless url answers 200.
func getOK(client *http.Client, url string) error {
	status, body, err := get(client, url)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("GET %s: %d %s", url, status, strings.TrimSpace(body))
	}
	return err
}

// plainClient is an HTTP/1.1 client for the tests' own requests.
var plainClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// cluster is what a test runs its instances on: a Redis and a fresh
// PostgreSQL database of their own, and the secret they share.
type cluster struct {
	t         *testing.T
	redis     *redistest.Server
	db        string // postgres:// URL
	secret    string
	drain     time.Duration // -live-drain-window
	instances []*instance
}

// newCluster starts a Redis server for t and makes t a database on the
// binary's shared PostgreSQL cluster. No instance runs yet.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	server.Path(t)
	name := strings.ToLower(strings.NewReplacer("/", "_", "-", "_").Replace(t.Name()))
	return &cluster{
		t:      t,
		redis:  redistest.Start(t),
		db:     pgtest.Shared(t).Database(t, name),
		secret: "cluster test secret " + strconv.FormatInt(time.Now().UnixNano(), 36),
		drain:  3 * time.Second,
	}
}

// instance is one bigpipe server process of a cluster.
type instance struct {
	c     *cluster
	name  string // "A", "B", …: labels its log
	port  int
	admin int
	extra []string // more flags

	mu sync.Mutex
	p  *proc // the running process; the last one after an exit
}

// base is the instance's own URL, bypassing the proxies.
func (in *instance) base() string { return fmt.Sprintf("http://127.0.0.1:%d", in.port) }

// adminBase is the URL of its admin listener.
func (in *instance) adminBase() string { return fmt.Sprintf("http://127.0.0.1:%d", in.admin) }

// addr is its main address, as a proxy's upstream names it.
func (in *instance) addr() string { return fmt.Sprintf("127.0.0.1:%d", in.port) }

// add reserves ports for n more instances, named after the letters that
// follow the ones there, without starting them: a proxy's configuration
// can name them first.
func (c *cluster) add(n int, extra ...string) []*instance {
	var ins []*instance
	for range n {
		in := &instance{c: c, name: string(rune('A' + len(c.instances))), port: freePort(c.t), admin: freePort(c.t), extra: extra}
		c.instances = append(c.instances, in)
		ins = append(ins, in)
	}
	return ins
}

// startAll starts every instance not running yet, one after the other
// (the first creates the schema), and waits until each is ready.
func (c *cluster) startAll(t *testing.T) {
	t.Helper()
	for _, in := range c.instances {
		if in.proc() == nil || in.proc().Exited() {
			in.start(t)
		}
	}
}

// proc returns the instance's current process.
func (in *instance) proc() *proc {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.p
}

// start runs the instance on its ports and waits until /readyz says ready.
// A restarted instance keeps its ports, so the proxies find it again.
func (in *instance) start(t *testing.T) {
	t.Helper()
	c := in.c
	args := append([]string{
		"-addr", in.addr(),
		"-admin", fmt.Sprintf("127.0.0.1:%d", in.admin),
		"-redis", c.redis.URL,
		"-db", c.db,
		"-live-secret", c.secret,
		"-live-drain-window", c.drain.String(),
		"-live-sim=false",
		"-log-level", "info",
	}, in.extra...)
	p, err := startProc(t, "instance "+in.name, server.Path(t), args...)
	if err != nil {
		t.Fatal(err)
	}
	in.mu.Lock()
	in.p = p
	in.mu.Unlock()
	if err := waitFor(p, 20*time.Second, func() error { return getOK(plainClient, in.base()+"/readyz") }); err != nil {
		t.Fatalf("instance %s (%s) not ready: %v\n%s", in.name, in.base(), err, p.Output())
	}
}

// kill9 kills the instance with SIGKILL, as a crash would, and waits for it
// to be gone.
func (in *instance) kill9(t *testing.T) {
	t.Helper()
	p := in.proc()
	if err := p.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 instance %s: %v", in.name, err)
	}
	if _, err := p.Wait(5 * time.Second); err != nil {
		t.Fatal(err)
	}
}

// sigterm sends SIGTERM, as a deploy does; the caller waits for the exit.
func (in *instance) sigterm(t *testing.T) {
	t.Helper()
	if err := in.proc().Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM instance %s: %v", in.name, err)
	}
}

// metric returns the sum of the samples of the metric name (all its
// labels) on the instance's admin listener.
func (in *instance) metric(name string) (float64, error) {
	status, body, err := get(plainClient, in.adminBase()+"/metrics")
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("GET /metrics: %d", status)
	}
	var sum float64
	found := false
	for line := range strings.SplitSeq(body, "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		f := strings.Fields(rest[strings.LastIndexByte(rest, '}')+1:])
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return 0, fmt.Errorf("metric %s: %q: %w", name, line, err)
		}
		sum, found = sum+v, true
	}
	if !found {
		return 0, fmt.Errorf("no metric %s", name)
	}
	return sum, nil
}

// errNotYet is what a poll's check returns while the condition is false.
var errNotYet = errors.New("not yet")
