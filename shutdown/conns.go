package shutdown

import (
	"context"
	"net"
	"net/http"
	"sync"
)

// conns tracks the server's connections that are serving a request (an
// HTTP/2 one, any of its streams), from the server's ConnState hook, so
// that the drain can say how many it cut and wait for them to return.
type conns struct {
	mu     sync.Mutex
	active map[net.Conn]struct{}
	idle   chan struct{} // closed when active empties
}

// track records c's new state s.
func (t *conns) track(c net.Conn, s http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s == http.StateActive {
		if len(t.active) == 0 {
			t.idle = make(chan struct{})
		}
		t.active[c] = struct{}{}
		return
	}
	if _, ok := t.active[c]; !ok {
		return
	}
	delete(t.active, c) // idle, hijacked or closed
	if len(t.active) == 0 {
		close(t.idle)
	}
}

// count returns how many connections are serving a request now.
func (t *conns) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.active)
}

// wait waits until no connection serves a request or ctx is done, and
// returns how many still do.
func (t *conns) wait(ctx context.Context) int {
	t.mu.Lock()
	n, idle := len(t.active), t.idle
	t.mu.Unlock()
	if n == 0 {
		return 0
	}
	select {
	case <-idle:
	case <-ctx.Done():
	}
	return t.count()
}
