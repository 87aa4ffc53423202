// Package testenv is what the test binaries that drive real programs
// share: whether CI requires a program or lets the test skip, one headless
// Chromium per binary and its tabs, the module's commands built once per
// binary, tools built from pinned modules of their own once per machine
// (Jaeger, a trace store on loopback ports), child processes whose output
// a failing test shows, and the goroutine check a TestMain ends with. It is for tests
// only (e2e, e2e/cluster, live).
package testenv

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bigpipe-go/bigpipe/internal/lockedbuf"
)

// InCI reports whether CI is set to a true value: then a missing program
// is a failure, not a reason to skip.
func InCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// RequireProgram returns the path of the first of names found, or skips t
// (fails it when CI=true) if none is installed.
func RequireProgram(t testing.TB, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if InCI() {
		t.Fatalf("none of %v is installed; CI=true requires it (scripts/install-test-deps.sh)", names)
	}
	t.Skipf("none of %v is installed; skipping (set CI=true to make this a failure)", names)
	return ""
}

// CheckLeaks is how a TestMain ends: when the tests passed (code 0) it
// fails the binary if a goroutine is still running (a handler, a server,
// a tab, a process waiter left behind), polling for up to five seconds,
// since some end a moment after what they wait on (chromedp's after its
// browser, exec's after its process, a closed live engine's broker
// unsubscriptions a second after its last client left). opts ignore
// goroutines a dependency is known to leave. It returns the exit code.
func CheckLeaks(code int, opts ...goleak.Option) int {
	if code != 0 {
		return code
	}
	err := goleak.Find(opts...)
	for deadline := time.Now().Add(5 * time.Second); err != nil && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		err = goleak.Find(opts...)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "goleak: goroutines left after the tests: %v\n", err)
		return 1
	}
	return 0
}

// Proc is a program a test started: its output is kept (and logged if the
// test failed), and it is killed when the test ends if it still runs.
type Proc struct {
	Name string
	Cmd  *exec.Cmd

	out  LockedBuffer  // stdout and stderr
	done chan struct{} // closed once it has exited
	err  error         // how it exited, once done is closed
}

// StartProc starts bin with args. name labels its output in the test log
// ("" for bin's base name).
func StartProc(t testing.TB, name, bin string, args ...string) (*Proc, error) {
	t.Helper()
	if name == "" {
		name = filepath.Base(bin)
	}
	p := &Proc{Name: name, Cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.Cmd.Stdout, p.Cmd.Stderr = &p.out, &p.out
	p.Cmd.WaitDelay = 2 * time.Second
	if err := p.Cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { p.err = p.Cmd.Wait(); close(p.done) }() // ends with the process, which Kill ends at the latest
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("--- %s output:\n%s", p.Name, p.out.String())
		}
	})
	return p, nil
}

// Kill sends SIGKILL and waits, briefly, for p to be gone.
func (p *Proc) Kill() {
	_ = p.Cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
	}
}

// Exited reports whether p has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Done is closed once p has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is how p exited (Cmd.Wait's answer); nil while it runs.
func (p *Proc) Err() error {
	if !p.Exited() {
		return nil
	}
	return p.err
}

// Wait waits up to d for p to exit and returns its exit code.
func (p *Proc) Wait(d time.Duration) (int, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		if !p.Exited() { // both ready at once (d of 0, say): exited wins
			return -1, fmt.Errorf("%s still running after %v", p.Name, d)
		}
	}
	return p.Cmd.ProcessState.ExitCode(), nil
}

// Output is what p has printed so far.
func (p *Proc) Output() string { return p.out.String() }

// LockedBuffer is a bytes.Buffer safe for concurrent writers (exec's
// copying goroutines, a logger, a server's error log) and the test's reads.
// It is [lockedbuf.Buffer], which code outside tests (internal/redisserver)
// uses under that name.
type LockedBuffer = lockedbuf.Buffer

// errStillFalse is what WaitTrue reports when expr never failed, only
// never held.
var errStillFalse = errors.New("still false")

// Poll calls check every interval until it reports true or ctx ends; its
// last error is in the one returned then.
func Poll(ctx context.Context, interval time.Duration, check func() (bool, error)) error {
	var last error
	for {
		ok, err := check()
		if err == nil && ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last == nil {
				last = errStillFalse
			}
			return fmt.Errorf("%w (%v)", ctx.Err(), last)
		case <-time.After(interval):
		}
	}
}

// WaitFor polls check every 20 ms until it returns nil, p (if not nil)
// exits, or d passes.
func WaitFor(p *Proc, d time.Duration, check func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if p != nil && p.Exited() {
			return fmt.Errorf("%s exited: %v (last check: %v)", p.Name, p.err, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not so after %v: %w", d, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// FreePort returns a loopback TCP port that was free a moment ago, for a
// server a test starts later (a process of its own, a restart on the same
// port). It is drawn below the kernel's ephemeral range: a port the kernel
// hands out for listening on port 0 is also one it may give an outgoing
// connection's end (any test's client) before the server binds it, which
// then fails with "address already in use" (an instance of e2e/cluster's
// did in CI).
func FreePort(t testing.TB) int {
	t.Helper()
	lo, hi := fixedPorts()
	for range 100 {
		port := lo + rand.IntN(hi-lo)
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue // taken: draw again
		}
		_ = ln.Close()
		return port
	}
	t.Fatalf("no free port in %d-%d after 100 draws", lo, hi-1)
	return 0
}

// fixedPorts is the range FreePort draws from: from 10000 up to the start
// of the kernel's ephemeral range (ip_local_port_range; 32768 if it cannot
// be read).
func fixedPorts() (lo, hi int) {
	lo, hi = 10000, 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > lo+1000 {
				hi = n
			}
		}
	}
	return lo, hi
}
