package cachebench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// child is a server the limit part runs as a child process: it says
// "listening …" on its standard output once it serves, and ends when its
// standard input closes.
type child struct {
	name  string // what the errors call it
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{} // closed once it has exited
}

// startChild starts cmd and returns it with the fields of its first line
// after "listening", waiting at most timeout for it.
func startChild(ctx context.Context, name string, cmd *exec.Cmd, timeout time.Duration) (*child, []string, error) {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, stdin: stdin, done: make(chan struct{})}
	lines := make(chan string, 1)
	go func() { // ends when the process's stdout closes: when it exits
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		_ = cmd.Wait()
		close(c.done)
	}()
	select {
	case line := <-lines:
		if f := strings.Fields(line); len(f) > 1 && f[0] == "listening" {
			return c, f[1:], nil
		}
		c.stop()
		return nil, nil, fmt.Errorf("%s said %q", name, line)
	case <-c.done:
		return nil, nil, fmt.Errorf("%s exited: %s", name, strings.TrimSpace(stderr.String()))
	case <-time.After(timeout):
		c.stop()
		return nil, nil, fmt.Errorf("%s did not start in %v", name, timeout)
	case <-ctx.Done():
		c.stop()
		return nil, nil, ctx.Err()
	}
}

// pid is the child's process id.
func (c *child) pid() int { return c.cmd.Process.Pid }

// stop closes the child's input, which ends it, and waits; after 5 s it
// is killed.
func (c *child) stop() {
	_ = c.stdin.Close()
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}
