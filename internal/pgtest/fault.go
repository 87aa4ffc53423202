package pgtest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
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
//
// The postmaster is stopped first, and its children listed only once it
// is: a backend it forked while the list was read would otherwise run on
// and answer its connection through the whole stall.
func (c *Cluster) Pause() error {
	pid, err := c.postmaster()
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return fmt.Errorf("pgtest: stop the postmaster %d: %w", pid, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for state(pid) != 'T' {
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: the postmaster %d did not stop within 10 s", pid)
		}
		time.Sleep(time.Millisecond) // polling /proc: a signal's delivery has no event to wait on
	}
	for _, child := range children(pid) {
		_ = syscall.Kill(child, syscall.SIGSTOP) // one that ended meanwhile needs no stop
	}
	return nil
}

// Resume continues the processes [Cluster.Pause] stopped (SIGCONT): the
// backends first, then the postmaster.
func (c *Cluster) Resume() error {
	pid, err := c.postmaster()
	if err != nil {
		return err
	}
	for _, child := range children(pid) {
		_ = syscall.Kill(child, syscall.SIGCONT)
	}
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		return fmt.Errorf("pgtest: continue the postmaster %d: %w", pid, err)
	}
	return nil
}

// stat returns the fields of /proc/pid/stat after the command's name
// (state, ppid, …), or nil if the process is gone.
func stat(pid string) []string {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return nil
	}
	// pid (comm) state ppid …: comm may hold spaces and parentheses.
	return strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
}

// state returns the process's state letter ('T' when stopped), or 0 if
// it is gone.
func state(pid int) byte {
	f := stat(strconv.Itoa(pid))
	if len(f) < 1 || f[0] == "" {
		return 0
	}
	return f[0][0]
}

// children returns the pids of the processes whose parent is pid.
func children(pid int) []int {
	var kids []int
	procs, _ := filepath.Glob("/proc/[0-9]*") // the pattern is valid
	for _, p := range procs {
		f := stat(filepath.Base(p))
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == pid {
			child, _ := strconv.Atoi(filepath.Base(p))
			kids = append(kids, child)
		}
	}
	return kids
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
