package live

import (
	"errors"
	"net"
	"syscall"
	"time"

	"github.com/centrifugal/centrifuge"
)

// An SSE stream on a plain TCP connection writes without blocking, so that
// an idle stream needs no goroutine of its own to write from: centrifuge
// then writes each client's queue from a timer (ConnectReply.WriteWithTimer,
// see sseWriteOptions) instead of a writer goroutine per connection, about
// 4 KiB of stack each. A timer's write holds the client's writer lock,
// which a publication for that client also takes: so the write must never
// wait for the client. What the socket does not take at once waits in the
// stream's pending bytes and is retried every sseRetryInterval; a stream
// that takes nothing for sseWriteTimeout, or falls further behind than the
// queue allows, is disconnected as slow, as a blocked write would be.

// sseRetryInterval is how often a stream whose socket was full is written
// again.
const sseRetryInterval = 20 * time.Millisecond

// sseWriteDelay is how long centrifuge's timer lets a client's messages
// gather before it writes them (the least it allows: it must be positive).
const sseWriteDelay = time.Millisecond

// errSSESlow is what a write returns for a client that fell too far
// behind: centrifuge disconnects it with that code.
var errSSESlow = centrifuge.DisconnectSlow

// rawConn returns conn's socket for non-blocking writes, looking through
// holdingConn; nil for a connection that is not a plain socket (TLS).
func rawConn(conn net.Conn) syscall.RawConn {
	if h, ok := conn.(*holdingConn); ok {
		conn = h.Conn
	}
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// sseWriteOptions sets reply's writer for a client on transport: from a
// timer for a stream that writes without blocking, from a goroutine of its
// own for any other.
func sseWriteOptions(transport centrifuge.TransportInfo, reply *centrifuge.ConnectReply) {
	if t, ok := transport.(*sseConn); !ok || t.raw == nil {
		return
	}
	reply.WriteDelay = sseWriteDelay
	reply.WriteWithTimer = true
	// An idle stream's queue goes back to its smallest at once, with no
	// timer of its own to shrink it later.
	reply.QueueShrinkDelay = -1
}

// writeNow writes b without blocking: what the socket takes at once, the
// rest left pending and retried. t.mu is held.
func (t *sseConn) writeNow(b []byte) error {
	if len(t.pending) > 0 {
		if len(t.pending)+len(b) > t.maxPending {
			t.done.Store(true) // centrifuge closes the client as slow, and Close the connection
			return errSSESlow
		}
		t.pending = append(t.pending, b...)
		return nil
	}
	n, err := t.tryWrite(b)
	if err != nil {
		return err
	}
	if n < len(b) {
		t.pending = append(make([]byte, 0, len(b)-n), b[n:]...)
		t.stalled = time.Now()
		t.retryLater()
	}
	return nil
}

// tryWrite writes what the socket takes of b at once.
func (t *sseConn) tryWrite(b []byte) (int, error) {
	n := 0
	var werr error
	err := t.raw.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, e := syscall.Write(int(fd), b[n:])
			if m > 0 {
				n += m
			}
			switch {
			case errors.Is(e, syscall.EINTR):
				continue
			case errors.Is(e, syscall.EAGAIN):
			case e != nil:
				werr = e
			case m > 0:
				continue
			}
			break
		}
		return true // done, whatever was written: never wait here
	})
	return n, errors.Join(err, werr)
}

// retryLater writes the pending bytes again after sseRetryInterval. t.mu
// is held.
func (t *sseConn) retryLater() {
	if t.retry == nil {
		t.retry = time.AfterFunc(sseRetryInterval, t.drain)
		return
	}
	t.retry.Reset(sseRetryInterval)
}

// drain writes the pending bytes; a stream that took nothing for
// sseWriteTimeout is disconnected as slow.
func (t *sseConn) drain() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done.Load() || len(t.pending) == 0 {
		return
	}
	n, err := t.tryWrite(t.pending)
	if err != nil {
		t.shut() // the watch sees the end and closes the client
		return
	}
	now := time.Now()
	if n > 0 {
		t.pending, t.stalled = t.pending[n:], now
	}
	switch {
	case len(t.pending) == 0:
		t.pending = nil
	case now.Sub(t.stalled) > sseWriteTimeout:
		t.slow()
	default:
		t.retryLater()
	}
}

// slow disconnects a client that stopped taking what is written to it.
// t.mu is held: the disconnect, which closes the stream, runs after.
func (t *sseConn) slow() {
	c := t.client
	if c == nil {
		t.shut()
		return
	}
	t.done.Store(true) // nothing more is written; Close closes the connection
	go c.Disconnect(centrifuge.DisconnectSlow)
}
