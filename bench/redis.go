package main

// The redis-server the live cluster part fans out through: started by the
// bench on a free loopback port, without persistence, and stopped when the
// part ends. internal/redistest does the same for tests but takes a
// testing.TB; this is the bench's own, with what the figures need besides
// (its pid for /proc/<pid>/stat, INFO).

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errNoRedis is the live cluster part's answer when redis-server is not
// installed: its figures are skipped, saying how to install it.
var errNoRedis = errors.New("redis-server not found on PATH: install it with `apt-get install -y redis-server` " +
	"(scripts/install-test-deps.sh does)")

// benchRedisStart bounds how long a started redis-server may take to answer
// PING.
const benchRedisStart = 10 * time.Second

// benchRedis is one redis-server process started by startBenchRedis.
type benchRedis struct {
	addr    string // 127.0.0.1:N
	url     string // redis://127.0.0.1:N/0
	version string // redis_version from INFO
	cmd     *exec.Cmd
	out     *tailWriter
	done    chan struct{} // closed once it has exited
}

// startBenchRedis starts redis-server on a free loopback port and returns
// it once it answers PING. A start that loses its port to another process
// is tried again on another, a few times.
func startBenchRedis(ctx context.Context) (*benchRedis, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", errNoRedis, err)
	}
	var last error
	for range 3 {
		r, err := tryBenchRedis(ctx, bin)
		if err == nil {
			return r, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		last = err
	}
	return nil, last
}

func tryBenchRedis(ctx context.Context, bin string) (*benchRedis, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("redis: find a free port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.CommandContext(ctx, bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "")
	// It must not outlive the bench if the bench is killed: it has no
	// standard input to watch, as the live children do.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 2 * time.Second
	r := &benchRedis{addr: "127.0.0.1:" + strconv.Itoa(port), cmd: cmd, out: &tailWriter{}, done: make(chan struct{})}
	r.url = "redis://" + r.addr + "/0"
	cmd.Stdout, cmd.Stderr = r.out, r.out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("redis: start %s: %w", bin, err)
	}
	go func() { // ends with the process: stop and every failure below end it
		_ = cmd.Wait()
		close(r.done)
	}()
	deadline := time.Now().Add(benchRedisStart)
	for {
		info, err := r.info("server")
		if err == nil {
			r.version = info["redis_version"]
			return r, nil
		}
		if time.Now().After(deadline) {
			r.stop()
			return nil, fmt.Errorf("redis-server on port %d does not answer within %v (%v); %s", port, benchRedisStart, err, r.out.tail())
		}
		select {
		case <-r.done:
			return nil, fmt.Errorf("redis-server on port %d exited: %v; %s", port, cmd.ProcessState, r.out.tail())
		case <-ctx.Done():
			r.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// pid is the server's process id.
func (r *benchRedis) pid() int { return r.cmd.Process.Pid }

// stop kills the server and waits for it.
func (r *benchRedis) stop() {
	_ = r.cmd.Process.Kill()
	<-r.done
}

// info returns one section of INFO as its key: value pairs.
func (r *benchRedis) info(section string) (map[string]string, error) {
	reply, err := redisDo(r.addr, 2*time.Second, "INFO", section)
	if err != nil {
		return nil, fmt.Errorf("redis INFO %s: %w", section, err)
	}
	m := map[string]string{}
	for line := range strings.Lines(reply) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			m[k] = v
		}
	}
	return m, nil
}

// redisDo sends one command to addr and returns its reply, a simple or
// bulk string or an integer, as text. An error reply is an error.
func redisDo(addr string, d time.Duration, args ...string) (string, error) {
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
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
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
			return "", fmt.Errorf("bulk reply %q", line)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

// procCPU is a process's CPU time so far (user and system), from
// /proc/<pid>/stat; the kernel counts it in clock ticks of 1/100 s
// (USER_HZ, 100 on Linux).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseProcStatCPU(b)
}

// parseProcStatCPU reads utime + stime (fields 14 and 15) from a
// /proc/<pid>/stat line. The command name, field 2, is in parentheses and
// may hold spaces: the fields are counted after its closing one.
func parseProcStatCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc stat %q: no command name", b)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (the state): utime is field 14, f[11].
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc stat: %d fields after the name, want 13 or more", len(f))
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	s, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc stat: %w", err)
	}
	return time.Duration(u+s) * (time.Second / 100), nil
}
