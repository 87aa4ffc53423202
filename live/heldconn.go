package live

import (
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/centrifugal/centrifuge"
)

// A connection the engine has taken over from net/http (an SSE stream or a
// WebSocket on HTTP/1.1) writes without blocking on a plain TCP socket, so
// that an idle connection needs no goroutine of its own to write from:
// centrifuge then writes each client's queue from a timer
// (ConnectReply.WriteWithTimer, see heldWriteOptions) instead of a writer
// goroutine per connection, about 4 KiB of stack each. A timer's write
// holds the client's writer lock, which a publication for that client also
// takes: so the write must never wait for the client. What the socket does
// not take at once waits in the connection's pending bytes and is retried
// every heldRetryInterval; a connection that takes nothing for
// heldWriteTimeout, or falls further behind than the queue allows, is
// disconnected as slow, as a blocked write would be.

// heldWriteTimeout bounds one write to a held connection: a client that
// does not take a message in that time is cut off (centrifuge's own
// handlers use the same second). On a plain socket, where writes do not
// block, it bounds how long a connection may take nothing of what is
// pending for it.
const heldWriteTimeout = time.Second

// heldRetryInterval is how often a connection whose socket was full is
// written again.
const heldRetryInterval = 20 * time.Millisecond

// heldWriteDelay is how long centrifuge's timer lets a client's messages
// gather before it writes them (the least it allows: it must be positive).
const heldWriteDelay = time.Millisecond

// errHeldSlow is what a write returns for a client that fell too far
// behind: centrifuge disconnects it with that code.
var errHeldSlow = centrifuge.DisconnectSlow

// heldConn is the writing half of a connection taken over from net/http,
// shared by the SSE and WebSocket transports. Its writes come from
// centrifuge's writer (and, at connect and disconnect, from the goroutine
// that handles those), one at a time under mu.
type heldConn struct {
	conn       net.Conn
	raw        syscall.RawConn // conn's socket, written without blocking; nil: writes block
	maxPending int             // the most bytes a connection may hold pending (Limits.QueueSize)
	client     *centrifuge.Client
	// closeClient ends the client once the connection ended (set before
	// reading starts).
	closeClient centrifuge.ClientCloseFunc

	mu      sync.Mutex  // held by a write
	done    atomic.Bool // writes are dropped: closed, or closing
	closed  atomic.Bool // the connection is closed (shut)
	pending []byte      // under mu: what the socket has not taken yet
	stalled time.Time   // under mu: when the socket last took some of pending
	retry   *time.Timer // under mu: writes pending again (drain)

	watched atomic.Pointer[func()] // stops the poller watching the connection; nil: a goroutine reads it
	ended   sync.Once              // the end of a watched connection: see endWatched
}

// newHeldConn holds conn, written without blocking where it is a plain
// socket.
func newHeldConn(conn net.Conn, maxPending int) heldConn {
	return heldConn{conn: conn, raw: rawConn(conn), maxPending: maxPending}
}

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

// heldWriteOptions sets reply's writer for a client on transport: from a
// timer for a held connection that writes without blocking, from a
// goroutine of its own for any other.
func heldWriteOptions(transport centrifuge.TransportInfo, reply *centrifuge.ConnectReply) {
	var raw syscall.RawConn
	switch t := transport.(type) {
	case *sseConn:
		raw = t.raw
	case *wsConn:
		raw = t.raw
	}
	if raw == nil {
		return
	}
	reply.WriteDelay = heldWriteDelay
	reply.WriteWithTimer = true
	// An idle connection's queue goes back to its smallest at once, with
	// no timer of its own to shrink it later.
	reply.QueueShrinkDelay = -1
}

// maxPooledFrame is the largest frame buffer kept for reuse: one
// publication of the largest size a feed may publish (64 KiB by default)
// and its framing fits.
const maxPooledFrame = 80 << 10

// writeFrame writes, in one write, the frame of about n bytes that frame
// appends to the buffer it is given; nothing once the connection is
// closing. The frame is assembled in a buffer taken from pool and given
// back after the write: one publication sent to every open connection
// would otherwise leave a copy of itself per connection for the
// collector, and an idle server's heap, and so its RSS, would swing up to
// twice its live size with every few publications. A failed write closes
// the connection, which ends the client; a slow client's is left to
// centrifuge, which disconnects it (see slow).
func (t *heldConn) writeFrame(pool *sync.Pool, n int, frame func([]byte) []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done.Load() {
		return nil
	}
	bp, _ := pool.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer func() {
		if cap(*bp) <= maxPooledFrame {
			pool.Put(bp)
		}
	}()
	*bp = frame(slices.Grow((*bp)[:0], n))
	if err := t.write(*bp); err != nil {
		if !errors.Is(err, errHeldSlow) {
			t.shut()
		}
		return err
	}
	return nil
}

// writeLocked writes b as it is.
func (t *heldConn) writeLocked(b []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.write(b)
}

// write writes b: without blocking on a plain socket (writeNow), else
// under the write deadline. t.mu is held.
func (t *heldConn) write(b []byte) error {
	if t.raw != nil {
		return t.writeNow(b)
	}
	if err := t.conn.SetWriteDeadline(time.Now().Add(heldWriteTimeout)); err != nil {
		return err
	}
	_, err := t.conn.Write(b)
	return err
}

// writeNow writes b without blocking: what the socket takes at once, the
// rest left pending and retried. t.mu is held.
func (t *heldConn) writeNow(b []byte) error {
	if len(t.pending) > 0 {
		if len(t.pending)+len(b) > t.maxPending {
			t.done.Store(true) // centrifuge closes the client as slow, and Close the connection
			return errHeldSlow
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
func (t *heldConn) tryWrite(b []byte) (int, error) {
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

// retryLater writes the pending bytes again after heldRetryInterval. t.mu
// is held.
func (t *heldConn) retryLater() {
	if t.retry == nil {
		t.retry = time.AfterFunc(heldRetryInterval, t.drain)
		return
	}
	t.retry.Reset(heldRetryInterval)
}

// drain writes the pending bytes; a connection that took nothing for
// heldWriteTimeout is disconnected as slow.
func (t *heldConn) drain() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.pending) == 0 || t.closed.Load() {
		return
	}
	n, err := t.tryWrite(t.pending)
	if err != nil {
		t.shut() // the reader sees the end and closes the client
		return
	}
	now := time.Now()
	if n > 0 {
		t.pending, t.stalled = t.pending[n:], now
	}
	switch {
	case len(t.pending) == 0:
		t.pending = nil
	case now.Sub(t.stalled) > heldWriteTimeout:
		t.slow()
	default:
		t.retryLater()
	}
}

// slow disconnects a client that stopped taking what is written to it.
// t.mu is held: the disconnect, which closes the connection, runs after.
func (t *heldConn) slow() {
	c := t.client
	if c == nil {
		t.shut()
		return
	}
	t.done.Store(true) // nothing more is written; Close closes the connection
	go c.Disconnect(centrifuge.DisconnectSlow)
}

// closeWrite ends the server's side of the connection: the client reads
// its end while it may still send.
func (t *heldConn) closeWrite() {
	conn := t.conn
	if h, ok := conn.(*holdingConn); ok {
		conn = h.Conn
	}
	if c, ok := conn.(interface{ CloseWrite() error }); ok {
		_ = c.CloseWrite()
	}
}

// shut closes the connection, once.
func (t *heldConn) shut() {
	t.done.Store(true)
	if t.closed.CompareAndSwap(false, true) {
		_ = t.conn.Close()
	}
	if forget := t.watched.Load(); forget != nil {
		t.endWatched(*forget)
	}
}

// startReading has the client's bytes read, and the connection's end
// seen, by the poller (c.readable), or else by a goroutine of its own
// (loop), which closes the client when the connection ends.
func (t *heldConn) startReading(p *poller, c pollee, loop func()) {
	if p != nil && t.raw != nil {
		if forget, err := p.watch(t.raw, c); err == nil {
			t.watched.Store(&forget)
			if t.closed.Load() { // shut before it was watched
				t.endWatched(forget)
			}
			return
		}
	}
	go loop()
}

// endWatched ends a watched connection that was closed: the poller forgets
// it (a closed socket sends no event) and the client is closed, from a
// goroutine of its own: shut may run under the client's writer lock.
func (t *heldConn) endWatched(forget func()) {
	t.ended.Do(func() {
		forget()
		go func() { _ = t.closeClient() }()
	})
}

// errWouldBlock says a connection has nothing to read now.
var errWouldBlock = errors.New("live: nothing to read")

// readNow reads what the socket has into b without waiting: errWouldBlock
// if it has nothing, io.EOF once the client closed its side.
func (t *heldConn) readNow(b []byte) (int, error) {
	n := 0
	var rerr error
	err := t.raw.Read(func(fd uintptr) bool {
		n, rerr = readFD(fd, b)
		return true // never wait here
	})
	return n, errors.Join(err, rerr)
}

// readFD reads what the socket fd has into b: errWouldBlock if it has
// nothing, io.EOF once the client closed its side.
func readFD(fd uintptr, b []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), b)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN):
			return 0, errWouldBlock
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}
