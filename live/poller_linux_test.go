//go:build linux

package live

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// countingPollee counts what the poller hands it and how many of its reads
// ran at once.
type countingPollee struct {
	conn    *net.TCPConn
	raw     syscall.RawConn
	got     chan int // bytes read by one readable call
	ended   chan struct{}
	running atomic.Int32
	overlap atomic.Bool
}

func (c *countingPollee) readable() bool {
	if c.running.Add(1) > 1 {
		c.overlap.Store(true)
	}
	defer c.running.Add(-1)
	h := heldConn{conn: c.conn, raw: c.raw}
	var b [64]byte
	n, err := h.readNow(b[:])
	switch {
	case errors.Is(err, errWouldBlock):
		return true
	case err != nil:
		close(c.ended)
		return false
	}
	c.got <- n
	return true
}

// pollerPair returns the server side of a loopback connection and its
// client side.
func pollerPair(t *testing.T, ln net.Listener) (*net.TCPConn, net.Conn) {
	t.Helper()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	return server.(*net.TCPConn), client
}

// TestPoller checks that the poller hands each connection what its client
// sends, to one reader at a time, sees each connection's end, and forgets
// it then.
func TestPoller(t *testing.T) {
	p, err := newPoller()
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const conns = 40
	pollees := make([]*countingPollee, conns)
	clients := make([]net.Conn, conns)
	for i := range conns {
		server, client := pollerPair(t, ln)
		raw, err := server.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		pollees[i] = &countingPollee{conn: server, raw: raw, got: make(chan int, 1000), ended: make(chan struct{})}
		clients[i] = client
		if _, err := p.watch(raw, pollees[i]); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.len(); n != conns {
		t.Fatalf("%d connections watched, want %d", n, conns)
	}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			for range 50 {
				if _, err := io.WriteString(c, "0123456789"); err != nil {
					t.Error(err)
					return
				}
			}
			_ = c.Close()
			select {
			case <-pollees[i].ended:
			case <-time.After(10 * time.Second):
				t.Errorf("connection %d: its end not seen", i)
			}
		})
	}
	wg.Wait()
	for i, c := range pollees {
		total := 0
		for len(c.got) > 0 {
			total += <-c.got
		}
		if total != 500 {
			t.Errorf("connection %d: %d bytes read, want 500", i, total)
		}
		if c.overlap.Load() {
			t.Errorf("connection %d: read by two goroutines at once", i)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for p.len() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := p.len(); n != 0 {
		t.Errorf("%d connections still watched after they all ended", n)
	}
}

// TestPollerClosed checks that a closed poller watches nothing more, so
// that the connection gets a goroutine of its own instead.
func TestPollerClosed(t *testing.T) {
	p, err := newPoller()
	if err != nil {
		t.Fatal(err)
	}
	p.close()
	p.close() // twice is harmless
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	server, _ := pollerPair(t, ln)
	raw, err := server.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.watch(raw, &countingPollee{}); err == nil {
		t.Fatal("a closed poller took a connection")
	}
}
