// Package redisserver runs a throwaway redis-server process: on a free
// loopback port, without persistence, killed with its parent. The tests
// (internal/redistest) and the bench (its live cluster part) start theirs
// with it. It also stages the faults a Redis client must survive: a
// restart (the same port, every key lost), a pause (SIGSTOP: connections
// stay open and nothing answers) and its end (SIGCONT).
package redisserver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/lockedbuf"
)

// ErrNotInstalled is Start's error when redis-server is not on PATH.
var ErrNotInstalled = errors.New("redis-server not found on PATH: install it with `apt-get install -y redis-server` " +
	"(scripts/install-test-deps.sh does)")

// startTimeout bounds how long a started redis-server may take to answer
// PING.
const startTimeout = 10 * time.Second

// Server is one redis-server process started by [Start].
type Server struct {
	// Addr is its address, "127.0.0.1:N".
	Addr string
	// URL is its database 0 as a Redis URL, "redis://127.0.0.1:N/0".
	URL string

	bin  string
	port int
	// args are the command line for a port, when not the default's
	// (StartReplica, StartSentinel).
	args func(port int) []string
	// dir is the process's working directory, its own: a replica's sync
	// writes dump.rdb there, and redis-server loads the dump.rdb it finds
	// there at start (a directory shared between servers would hand one's
	// keys to the next). Stop removes it; a Restart after Stop makes it
	// again.
	dir string
	// cleanup is run by Stop, once the process is gone (its directory, a
	// sentinel's).
	cleanup func()

	mu   sync.Mutex
	proc *proc // nil once stopped
}

// proc is a running redis-server and what it printed.
type proc struct {
	cmd  *exec.Cmd
	out  *lockedbuf.Buffer
	done chan struct{} // closed once the process has exited
	err  error         // Wait's answer, set before done is closed
}

// Start starts a redis-server on a free loopback port and returns it once
// it answers PING. The caller must Stop it. It is also killed when the OS
// thread that started it exits (Pdeathsig), which in a Go program happens
// when the process dies: a bench or test binary that is killed leaves no
// redis-server behind.
func Start() (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNotInstalled, err)
	}
	return startServer(&Server{bin: bin})
}

// startServer starts s (its bin and args set) on a free port.
func startServer(s *Server) (*Server, error) {
	dir, err := os.MkdirTemp("", "redisserver-")
	if err != nil {
		return nil, fmt.Errorf("redisserver: a working directory: %w", err)
	}
	s.dir = dir
	// A free port is found by listening on port 0 and closing the
	// listener: another process may take it before redis-server does, so
	// a start that fails is tried again on another one.
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s.port = port
		s.Addr = "127.0.0.1:" + strconv.Itoa(port)
		s.URL = "redis://" + s.Addr + "/0"
		p, err := s.start()
		if err == nil {
			s.proc = p
			return s, nil
		}
		lastErr = err
	}
	_ = os.RemoveAll(s.dir)
	return nil, lastErr
}

// freePort returns a loopback TCP port nothing listened on a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("redisserver: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// start runs redis-server on s.port and waits until it answers PING.
func (s *Server) start() (*proc, error) {
	args := []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no",
		"--daemonize", "no", "--logfile", ""}
	if s.args != nil {
		args = s.args(s.port)
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("redisserver: working directory: %w", err)
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out := &lockedbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("redisserver: start %s: %w", s.bin, err)
	}
	p := &proc{cmd: cmd, out: out, done: make(chan struct{})}
	go func() { // ends when the process does: every path below ends it
		p.err = cmd.Wait()
		close(p.done)
	}()
	deadline := time.Now().Add(startTimeout)
	for {
		_, err := Do(s.Addr, time.Second, "PING")
		if err == nil {
			return p, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("redisserver: redis-server on port %d exited (%v): %s", s.port, p.err, strings.TrimSpace(out.String()))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.kill()
			return nil, fmt.Errorf("redisserver: redis-server on port %d does not answer PING after %v (%v): %s", s.port, startTimeout, err, strings.TrimSpace(out.String()))
		}
	}
}

// kill ends the process (a stopped one too: SIGKILL needs no SIGCONT) and
// waits for it.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Pid is the running server's process id, 0 once stopped.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.cmd.Process.Pid
}

// Restart kills the server and starts a new one on the same port: every
// key (channel histories, their epochs) is lost, as when a real Redis
// without persistence restarts. Clients see their connections close.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.kill()
		s.proc = nil
	}
	// The port was just released: a start that races another process for
	// it fails, and is retried while the deadline allows.
	deadline := time.Now().Add(startTimeout)
	for {
		p, err := s.start()
		if err == nil {
			s.proc = p
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redisserver: restart: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Signal sends sig to the running server: SIGSTOP pauses it (its
// connections stay open and nothing is answered, as with a Redis that
// hangs), SIGCONT continues it (it answers what was sent meanwhile).
func (s *Server) Signal(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return fmt.Errorf("redisserver: %v to a stopped server", sig)
	}
	if err := s.proc.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("redisserver: %v: %w", sig, err)
	}
	return nil
}

// Stop kills the server, paused or not, and waits for it to exit. It may be
// called more than once.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.kill()
		s.proc = nil
	}
	_ = os.RemoveAll(s.dir)
	if s.cleanup != nil {
		s.cleanup()
		s.cleanup = nil
	}
}

// Output is what the running server printed so far.
func (s *Server) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return ""
	}
	return s.proc.out.String()
}

// Info returns one section of the server's INFO as its key: value pairs.
func (s *Server) Info(section string) (map[string]string, error) {
	reply, err := Do(s.Addr, 2*time.Second, "INFO", section)
	if err != nil {
		return nil, fmt.Errorf("redisserver: INFO %s: %w", section, err)
	}
	m := map[string]string{}
	for line := range strings.Lines(reply) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			m[k] = v
		}
	}
	return m, nil
}

// Do sends args to addr as one RESP command within d and returns its
// reply as text: a simple or bulk string, an integer, or an array's
// elements one a line. A Redis error reply is an error.
func Do(addr string, d time.Duration, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, d)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(d)); err != nil {
		return "", err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write(b.Bytes()); err != nil {
		return "", err
	}
	return readReply(bufio.NewReader(c))
}

// readReply reads one RESP2 reply.
func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply")
	}
	switch body := line[1:]; line[0] {
	case '+', ':':
		return body, nil
	case '-':
		return "", errors.New(body)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return "", err // a nil bulk string is ""
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil {
			return "", err
		}
		elems := make([]string, 0, max(n, 0))
		for range n {
			e, err := readReply(r)
			if err != nil {
				return "", err
			}
			elems = append(elems, e)
		}
		return strings.Join(elems, "\n"), nil
	}
	return "", fmt.Errorf("unknown reply %q", line)
}
