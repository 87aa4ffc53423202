package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serverProcess is the server run as a process of its own (the test binary
// as the command), its log read line by line.
type serverProcess struct {
	cmd   *exec.Cmd
	lines chan string // closed at the end of its log
}

// startProcess runs the server with args as a process and returns at
// once; it is killed when t ends.
func startProcess(t *testing.T, args ...string) *serverProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "BIGPIPE_TEST_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, lines: make(chan string, 1024)}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default: // nobody reads this far
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		for range p.lines {
		}
		_ = cmd.Wait()
	})
	return p
}

// until returns the first log line containing want, failing t after d
// with the lines read meanwhile (the last 20).
func (p *serverProcess) until(t *testing.T, want string, d time.Duration) string {
	t.Helper()
	deadline := time.After(d)
	var seen []string
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("server exited before logging %q; its last lines:\n%s", want, strings.Join(seen, "\n"))
			}
			if strings.Contains(l, want) {
				return l
			}
			if seen = append(seen, l); len(seen) > 20 {
				seen = seen[1:]
			}
		case <-deadline:
			t.Fatalf("server did not log %q within %s; its last lines:\n%s", want, d, strings.Join(seen, "\n"))
		}
	}
}

// logUntil runs the server with env and args as a process of its own,
// reads its log until a line for which stop is true (or the log ends), then
// stops it with SIGTERM, as a supervisor would, and returns the lines read.
// A server that does not exit cleanly fails t.
func logUntil(t *testing.T, env, args []string, stop func(line string) bool) []string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(append(os.Environ(), "BIGPIPE_TEST_MAIN=1"), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log []string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		log = append(log, sc.Text())
		if stop(sc.Text()) {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, stderr)
	if err := cmd.Wait(); err != nil {
		t.Errorf("server: %v; log:\n%s", err, strings.Join(log, "\n"))
	}
	return log
}
