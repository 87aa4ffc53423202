package pgtest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Restart restarts the server (pg_ctl restart -m fast: every session is
// ended) on the same port, and waits until it accepts connections again.
func (c *Cluster) Restart() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return fmt.Errorf("pgtest: restart: the cluster is stopped")
	}
	if err := c.run("pg_ctl", "-D", c.data(), "-l", c.log(), "-m", "fast", "-w", "-t", "60", "restart"); err != nil {
		return fmt.Errorf("pgtest: restart: %w", err)
	}
	return nil
}

// Pause stops the server's every process (the postmaster and its
// backends) with SIGSTOP, as a machine that stalls would: connections stay
// open and nothing answers, until [Cluster.Resume]. A test that pauses
// must resume before it ends (t.Cleanup), or stopping the cluster waits.
func (c *Cluster) Pause() error { return c.signalAll(syscall.SIGSTOP) }

// Resume continues the processes [Cluster.Pause] stopped (SIGCONT).
func (c *Cluster) Resume() error { return c.signalAll(syscall.SIGCONT) }

// signalAll sends sig to the postmaster and every process whose parent it
// is.
func (c *Cluster) signalAll(sig syscall.Signal) error {
	pid, err := c.postmaster()
	if err != nil {
		return err
	}
	pids := []int{pid}
	procs, _ := filepath.Glob("/proc/[0-9]*/stat") // the pattern is valid
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid …: comm may hold spaces and parentheses.
		rest := b[bytes.LastIndexByte(b, ')')+1:]
		f := strings.Fields(string(rest))
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == pid {
			child, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			pids = append(pids, child)
		}
	}
	var errs []error
	for _, p := range pids {
		if err := syscall.Kill(p, sig); err != nil && p == pid {
			errs = append(errs, fmt.Errorf("pgtest: signal %v to the postmaster %d: %w", sig, p, err))
		}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// postmaster returns the server's pid, from postmaster.pid.
func (c *Cluster) postmaster() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("pgtest: the server's pid: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return 0, fmt.Errorf("pgtest: postmaster.pid: %q: %w", line, err)
	}
	return pid, nil
}
