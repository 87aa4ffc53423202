// Package redistest runs throwaway redis-server processes for tests
// (package redisserver), each stopped when its test ends, and stages the
// faults the live engine must survive: a restart (the same port, every key
// lost), a pause (SIGSTOP) and its end (SIGCONT). It is for tests only.
package redistest

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/redisserver"
)

// Server is one redis-server process started by [Start].
type Server struct {
	*redisserver.Server
}

// Start starts a redis-server on a free loopback port and returns it once
// it answers PING. It is stopped when t ends. Without redis-server
// installed the test fails, saying how to install it.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := redisserver.Start()
	if err != nil { // redisserver.ErrNotInstalled says how to install it
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(s.Stop)
	return &Server{s}
}

// Restart kills the server and starts a new one on the same port: every
// key (channel histories, their epochs) is lost, as when a real Redis
// without persistence restarts. Clients see their connections close.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.Server.Restart(); err != nil {
		t.Fatalf("redistest: %v", err)
	}
}

// Pause stops the server with SIGSTOP: its connections stay open and
// nothing is answered, as with a Redis that hangs, until [Server.Resume].
func (s *Server) Pause(t testing.TB) {
	t.Helper()
	if err := s.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("redistest: %v", err)
	}
}

// Resume continues a paused server with SIGCONT: it answers what was sent
// meanwhile.
func (s *Server) Resume(t testing.TB) {
	t.Helper()
	if err := s.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("redistest: %v", err)
	}
}

// Stop kills the server, paused or not, and waits for it to exit. It may be
// called more than once; [Start] calls it in t.Cleanup.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.Server.Stop()
}

// Do sends one command to the server and returns its reply as text: a
// simple or bulk string, an integer, or an array's elements one a line.
// A Redis error reply fails t. Tests use it to look at what the broker
// stored (KEYS, DBSIZE).
func (s *Server) Do(t testing.TB, args ...string) string {
	t.Helper()
	r, err := redisserver.Do(s.Addr, 5*time.Second, args...)
	if err != nil {
		t.Fatalf("redistest: %s: %v", strings.Join(args, " "), err)
	}
	return r
}
