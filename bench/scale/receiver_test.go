package scale

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"
)

// streamPair returns both ends of a loopback TCP connection: the client's
// (which the receiver takes) and the server's.
func streamPair(t *testing.T) (client *net.TCPConn, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.Close() })
	return c.(*net.TCPConn), server
}

// newWatch starts watching marker for want receipts.
func newWatch(st *clientState, marker string, want int64) *watch {
	w := &watch{marker: []byte(marker), want: want, done: make(chan struct{})}
	st.watch.Store(w)
	return w
}

// within fails t unless ch is closed within a generous deadline.
func within(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: not within 10 s", what)
	}
}

// TestReceiver runs a receiver over real loopback streams: it notes a
// watched marker once per stream, however the bytes come, and says when a
// stream has ended.
func TestReceiver(t *testing.T) {
	st := &clientState{}
	r, err := newReceiver(st)
	if err != nil {
		t.Fatal(err)
	}
	st.recv = r
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { r.run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })

	for _, tc := range []struct {
		name   string
		writes []string
	}{
		{"one write", []string{"5a\r\ndata: {\"push\":{\"channel\":\"breaking\",\"pub\":{\"data\":\"scaleab12cd340\"}}}\n\n\r\n"}},
		{"split in the marker", []string{"data: {\"data\":\"scale", "ab12cd340\"}\n\n"}},
		{"twice", []string{"data: scaleab12cd340\n\n", "data: scaleab12cd340\n\n"}},
		{"after other messages", []string{"data: {}\n\n", "data: {\"x\":1}\n\n", "data: scaleab12cd340\n\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, server := streamPair(t)
			var seen *watch
			s, err := r.add(c, c.Close, nil, &seen)
			if err != nil {
				t.Fatal(err)
			}
			w := newWatch(st, "scaleab12cd340", 1)
			for _, b := range tc.writes {
				if _, err := server.Write([]byte(b)); err != nil {
					t.Fatal(err)
				}
			}
			within(t, w.done, "the marker noted")
			server.Close()
			within(t, s.done, "the stream's end seen")
			if got := w.got.Load(); got != 1 {
				t.Errorf("noted %d times, want once", got)
			}
		})
	}
}

// TestReceiverCarry reads a marker split across two reads of the same
// stream: the end of the first read is kept for the second.
func TestReceiverCarry(t *testing.T) {
	st := &clientState{}
	r, err := newReceiver(st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.shutdown)
	c, server := streamPair(t)
	var seen *watch
	s, err := r.add(c, c.Close, []byte("data: {\"a\":\"sc"), &seen)
	if err != nil {
		t.Fatal(err)
	}
	w := newWatch(st, "scaleab12cd340", 1)
	buf := make([]byte, carryLen+64)
	// readUntil reads s (it does not block) until cond holds.
	readUntil := func(cond func() bool, what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if !r.read(s, buf) {
				t.Fatalf("%s: the stream ended", what)
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 10 s", what)
			}
		}
	}
	if _, err := server.Write([]byte("aleab1")); err != nil {
		t.Fatal(err)
	}
	readUntil(func() bool { return len(s.carry) > len("data: {\"a\":\"sc") }, "the first part read")
	if w.got.Load() != 0 {
		t.Fatal("noted before the whole marker came")
	}
	if _, err := server.Write([]byte("2cd340\"}\n\n")); err != nil {
		t.Fatal(err)
	}
	readUntil(func() bool { return w.got.Load() == 1 }, "the marker noted")
	if seen != w {
		t.Error("the stream's last counted marker is not the watch's")
	}
}
