package redisserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrSentinelNotInstalled is StartSentinel's error when neither
// redis-sentinel nor redis-server is on PATH.
var ErrSentinelNotInstalled = errors.New("redis-sentinel not found on PATH: install it with `apt-get install -y redis-sentinel` " +
	"(scripts/install-test-deps.sh does)")

// Sentinel timings: a primary that does not answer for SentinelDownAfter
// is failed over (once a quorum of sentinels agrees), which takes a few
// seconds more on loopback.
const (
	// SentinelDownAfter is down-after-milliseconds: how long a primary
	// may not answer before a sentinel counts it down.
	SentinelDownAfter = time.Second
	// sentinelFailoverTimeout is failover-timeout: a failover that has
	// not finished by then is tried again (by another sentinel).
	sentinelFailoverTimeout = 5 * time.Second
)

// StartReplica starts a redis-server that replicates primary (replicaof),
// on a free loopback port, without persistence, and returns it once it
// answers PING; [Server.WaitSynced] waits for its first sync.
func StartReplica(primary *Server) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNotInstalled, err)
	}
	host, port, _ := strings.Cut(primary.Addr, ":")
	return startServer(&Server{bin: bin, args: func(p int) []string {
		return []string{"--port", strconv.Itoa(p), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "",
			"--replicaof", host, port}
	}})
}

// WaitSynced waits, up to d, until the replica s has finished its sync
// with its primary (INFO replication: master_link_status:up).
func (s *Server) WaitSynced(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		info, err := s.Info("replication")
		if err == nil && info["master_link_status"] == "up" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redisserver: replica %s not synced after %v: %v %v", s.Addr, d, info, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// StartSentinel starts a Redis Sentinel on a free loopback port that
// monitors primary under the name master, with quorum sentinels needed to
// agree that it is down, and returns it once it answers PING. Its
// configuration file, which a sentinel rewrites as it learns, lives in a
// directory of its own, removed by Stop. It runs redis-sentinel, or
// redis-server --sentinel where only that is installed.
func StartSentinel(primary *Server, master string, quorum int) (*Server, error) {
	bin, err := exec.LookPath("redis-sentinel")
	asServer := false
	if err != nil {
		if bin, err = exec.LookPath("redis-server"); err != nil {
			return nil, fmt.Errorf("%w (%v)", ErrSentinelNotInstalled, err)
		}
		asServer = true
	}
	dir, err := os.MkdirTemp("", "redisserver-sentinel-")
	if err != nil {
		return nil, fmt.Errorf("redisserver: sentinel directory: %w", err)
	}
	host, port, _ := strings.Cut(primary.Addr, ":")
	conf := filepath.Join(dir, "sentinel.conf")
	s := &Server{bin: bin, cleanup: func() { _ = os.RemoveAll(dir) }}
	s.args = func(p int) []string {
		// Written for each port tried: a sentinel rewrites its file.
		text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndaemonize no\nlogfile \"\"\ndir %s\n"+
			"sentinel monitor %s %s %s %d\n"+
			"sentinel down-after-milliseconds %s %d\n"+
			"sentinel failover-timeout %s %d\n"+
			"sentinel parallel-syncs %s 1\n",
			p, dir, master, host, port, quorum,
			master, SentinelDownAfter.Milliseconds(), master, sentinelFailoverTimeout.Milliseconds(), master)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			return []string{"--sentinel-config-unwritable", err.Error()} // redis refuses it: start fails saying so
		}
		if asServer {
			return []string{conf, "--sentinel"}
		}
		return []string{conf}
	}
	started, err := startServer(s)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return started, nil
}

// Primary asks the sentinel s which address it knows as master's primary
// now (SENTINEL get-master-addr-by-name), "host:port".
func (s *Server) Primary(master string) (string, error) {
	r, err := Do(s.Addr, 2*time.Second, "SENTINEL", "get-master-addr-by-name", master)
	if err != nil {
		return "", fmt.Errorf("redisserver: sentinel %s: %w", s.Addr, err)
	}
	host, port, ok := strings.Cut(r, "\n")
	if !ok {
		return "", fmt.Errorf("redisserver: sentinel %s knows no primary %q: %q", s.Addr, master, r)
	}
	return host + ":" + port, nil
}
