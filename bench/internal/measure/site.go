package measure

// The demo server built from this checkout and run as a child process,
// on a free loopback port: the load figure's server, and the cache
// section's instances.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// SiteStartTimeout bounds a child server's start (it seeds its store).
const SiteStartTimeout = 30 * time.Second

// BuildSite builds the server binary of the module this benchmark
// belongs to into dir and returns its path.
func BuildSite(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the module (go env GOMOD is empty): run from the repository")
	}
	bin := filepath.Join(dir, "bigpipe")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Dir(mod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
}

// FreeAddr is a loopback address with a port free a moment ago.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// Site is a demo server running as a child process.
type Site struct {
	Addr   string // its loopback address
	Admin  string // its admin listener's address ("" without one)
	cmd    *exec.Cmd
	stderr *tail
	exited chan struct{}
}

// StartSite starts bin (see BuildSite) on a free loopback port, its store
// in the file db, logging errors only, uncompressed, with an admin
// listener if admin, and args after those flags; it waits until the
// server answers /healthz. Stop ends it.
func StartSite(ctx context.Context, bin, db string, admin bool, args ...string) (*Site, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	all := []string{"-addr", addr, "-db", db, "-log-level", "error", "-compress=false"}
	s := &Site{Addr: addr, stderr: &tail{}, exited: make(chan struct{})}
	if admin {
		if s.Admin, err = FreeAddr(); err != nil {
			return nil, err
		}
		all = append(all, "-admin", s.Admin)
	}
	s.cmd = exec.CommandContext(ctx, bin, append(all, args...)...)
	s.cmd.Stderr = s.stderr
	s.cmd.WaitDelay = 2 * time.Second
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	client := &http.Client{Timeout: time.Second}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(SiteStartTimeout)
	for {
		resp, err := client.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("server exited at start: %s", s.stderr.String())
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("server not answering /healthz after %v: %s", SiteStartTimeout, s.stderr.String())
		}
	}
}

// Pid is the server's process id.
func (s *Site) Pid() int { return s.cmd.Process.Pid }

// Stop kills the server and waits for it.
func (s *Site) Stop() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// tail keeps the last 4 KiB written to it (a child's stderr).
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if n := len(t.buf); n > 4<<10 {
		t.buf = append(t.buf[:0], t.buf[n-4<<10:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}
