package scale

// The bench's side of its client processes: this binary started again
// with RoleEnv=client, its share of the connections in clientEnv, driven
// by lines on its standard input and output.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RoleEnv, when set, makes this binary a child of the scale bench: see
// RunRole.
const RoleEnv = "BIGPIPE_BENCH_SCALE_ROLE"

// clientEnv holds a client process's clientConfig, as JSON.
const clientEnv = "BIGPIPE_BENCH_SCALE_CLIENT"

const roleClient = "client"

// RunRole runs this process as the child role names and returns its exit
// code.
func RunRole(role string) int {
	var err error
	switch role {
	case roleClient:
		err = clientMain(os.Getenv(clientEnv), os.Stdin, os.Stdout)
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench scale %s: %v\n", role, err)
		return 1
	}
	return 0
}

// clientProc is one client process.
type clientProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr strings.Builder
	mu     sync.Mutex // guards stderr
	exited chan struct{}
}

// startClient starts a client process for cfg.
func startClient(ctx context.Context, exe string, cfg clientConfig) (*clientProc, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), RoleEnv+"="+roleClient, clientEnv+"="+string(b))
	p := &clientProc{cmd: cmd, lines: make(chan string, 64), exited: make(chan struct{})}
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = writerFunc(func(b []byte) (int, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.stderr.Len() < 4<<10 {
			p.stderr.Write(b)
		}
		return len(b), nil
	})
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start client: %w", err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		_ = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// errText is what the process wrote to its standard error.
func (p *clientProc) errText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.TrimSpace(p.stderr.String())
}

// expect returns the fields of the next line starting with word, skipping
// "progress" lines (given to progress, if not nil), within d.
func (p *clientProc) expect(word string, d time.Duration, progress func(open, failed int)) ([]string, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				return nil, fmt.Errorf("client exited before %q: %s", word, p.errText())
			}
			f := strings.Fields(l)
			if len(f) == 0 {
				continue
			}
			if f[0] == "progress" && len(f) == 3 {
				if progress != nil {
					o, _ := strconv.Atoi(f[1])
					x, _ := strconv.Atoi(f[2])
					progress(o, x)
				}
				continue
			}
			if f[0] != word {
				return nil, fmt.Errorf("client said %q, want %q", l, word)
			}
			return f, nil
		case <-t.C:
			return nil, fmt.Errorf("no %q from a client in %v", word, d)
		}
	}
}

// send writes a command line.
func (p *clientProc) send(format string, args ...any) error {
	_, err := fmt.Fprintf(p.stdin, format+"\n", args...)
	return err
}

// stop closes the process's input, which closes its connections and ends
// it, and waits for it (killing it after 10 s).
func (p *clientProc) stop() {
	_ = p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// clients is a run's client processes.
type clients []*clientProc

// start starts the processes that open count connections over targets,
// perProc at most each, and waits until every one is ready. It returns
// the connections open and failed, and the first failure's reason.
func startClients(ctx context.Context, exe string, base clientConfig, perProc int, progress func(open, failed int)) (clients, int, int, string, error) {
	var cs clients
	for first := 0; first < base.Count; first += perProc {
		cfg := base
		cfg.First, cfg.Count = first, min(perProc, base.Count-first)
		p, err := startClient(ctx, exe, cfg)
		if err != nil {
			cs.stop()
			return nil, 0, 0, "", err
		}
		cs = append(cs, p)
	}
	// Each process's progress, summed.
	var mu sync.Mutex
	opens, fails := make([]int, len(cs)), make([]int, len(cs))
	open, failed, why := 0, 0, ""
	var errs []error
	var wg sync.WaitGroup
	for i, p := range cs {
		wg.Go(func() {
			f, err := p.expect("ready", 10*time.Minute, func(o, x int) {
				mu.Lock()
				opens[i], fails[i] = o, x
				so, sx := 0, 0
				for j := range opens {
					so, sx = so+opens[j], sx+fails[j]
				}
				mu.Unlock()
				if progress != nil {
					progress(so, sx)
				}
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			o, _ := strconv.Atoi(f[1])
			x, _ := strconv.Atoi(f[2])
			open, failed = open+o, failed+x
			if why == "" && x > 0 {
				why = strings.Join(f[3:], " ")
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		cs.stop()
		return nil, 0, 0, "", err
	}
	return cs, open, failed, why, nil
}

// alive sums the connections open, and the reconnects so far.
func (cs clients) alive() (open, reconnects int, err error) {
	for _, p := range cs {
		if err := p.send("alive"); err != nil {
			return 0, 0, err
		}
		f, err := p.expect("alive", 10*time.Second, nil)
		if err != nil {
			return 0, 0, err
		}
		a, _ := strconv.Atoi(f[1])
		r, _ := strconv.Atoi(f[2])
		open, reconnects = open+a, reconnects+r
	}
	return open, reconnects, nil
}

// settle waits, up to d, until want connections are open, and returns
// how many are.
func (cs clients) settle(ctx context.Context, want int, d time.Duration) (int, error) {
	deadline := time.Now().Add(d)
	for {
		n, _, err := cs.alive()
		if err != nil || n >= want || time.Now().After(deadline) {
			return n, err
		}
		if err := sleep(ctx, time.Second); err != nil {
			return n, err
		}
	}
}

// watch tells every process to watch for marker; receipts returns, once
// every process has answered (within d), how many connections received it
// and when the first and the last did.
func (cs clients) watch(marker string, d time.Duration) (receipts func() (n int, first, last time.Time, err error), err error) {
	for _, p := range cs {
		if err := p.send("watch %s %d", marker, d.Milliseconds()); err != nil {
			return nil, err
		}
	}
	return func() (int, time.Time, time.Time, error) {
		n, first, last := 0, int64(0), int64(0)
		for _, p := range cs {
			f, err := p.expect("got", d+10*time.Second, nil)
			if err != nil {
				return 0, time.Time{}, time.Time{}, err
			}
			if f[1] != marker || len(f) < 5 {
				return 0, time.Time{}, time.Time{}, fmt.Errorf("client answered %q for %q", f, marker)
			}
			g, _ := strconv.Atoi(f[2])
			l, _ := strconv.ParseInt(f[3], 10, 64)
			fi, _ := strconv.ParseInt(f[4], 10, 64)
			n, last = n+g, max(last, l)
			if fi != 0 && (first == 0 || fi < first) {
				first = fi
			}
		}
		return n, time.Unix(0, first), time.Unix(0, last), nil
	}, nil
}

// pids are the processes' ids.
func (cs clients) pids() []int {
	out := make([]int, len(cs))
	for i, p := range cs {
		out[i] = p.cmd.Process.Pid
	}
	return out
}

// stop stops every process, all at once.
func (cs clients) stop() {
	var wg sync.WaitGroup
	for _, p := range cs {
		wg.Go(p.stop)
	}
	wg.Wait()
}
