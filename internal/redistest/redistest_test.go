package redistest_test

import (
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bigpipe-go/bigpipe/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestServer: a server answers on its address, loses its keys on Restart
// on the same port, answers nothing while paused and everything once
// resumed, and is gone after Stop.
func TestServer(t *testing.T) {
	s := redistest.Start(t)
	if want := "redis://" + s.Addr + "/0"; s.URL != want {
		t.Errorf("URL %q, want %q", s.URL, want)
	}
	if got := s.Do(t, "SET", "k", "v"); got != "OK" {
		t.Fatalf("SET: %q", got)
	}
	if got := s.Do(t, "GET", "k"); got != "v" {
		t.Fatalf("GET: %q", got)
	}

	addr := s.Addr
	s.Restart(t)
	if s.Addr != addr {
		t.Fatalf("restarted on %s, want %s", s.Addr, addr)
	}
	if got := s.Do(t, "DBSIZE"); got != "0" {
		t.Errorf("DBSIZE after restart: %q, want 0 (data lost)", got)
	}

	s.Pause(t)
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil { // the kernel still accepts: the process does not answer
		t.Fatalf("dial a paused server: %v", err)
	}
	_ = c.SetDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Read(make([]byte, 16)); err == nil {
		t.Errorf("a paused server answered %d bytes", n)
	}
	s.Resume(t)
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 16)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "+PONG\r\n" {
		t.Errorf("after Resume: %q, %v; want the PING sent meanwhile answered", buf[:n], err)
	}
	c.Close()

	s.Stop(t)
	if c, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts after Stop", s.Addr)
	}
	s.Stop(t) // twice is fine (Cleanup calls it again too)
}

// TestStopPaused: a server left paused is still stopped by the cleanup
// (goleak in TestMain checks its waiter is gone).
func TestStopPaused(t *testing.T) {
	s := redistest.Start(t)
	s.Pause(t)
}
