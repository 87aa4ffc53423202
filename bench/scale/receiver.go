package scale

// The client process's receiver: once an SSE connection is subscribed, the
// rest of its stream is read here, from one epoll set for all of the
// process's connections, instead of by a goroutine of its own through
// net/http's chunked reader and a line scanner. A fan-out's receipt then
// costs the client one read and a scan of the bytes read, with neither a
// goroutine woken nor a read that finds nothing: the client processes
// share the machine with the instances they measure, and what they spend
// on a receipt is not spent delivering one (bench/README.md, "Scale").
//
// The sockets are in the set edge-triggered, each read until it has
// nothing more. After a round of reads the receiver lets events gather for
// receiverBatch before it asks again: a receipt is noted that much late at
// most (the figures can only be worse for it), and the process is woken
// about once a round instead of once a message. Waking a reader is work
// the instance does in its write (the loopback delivers the bytes in the
// writer's system call): a client waiting in epoll_wait(2) for each
// message made every delivery dearer for the server too.
//
// The stream is scanned as bytes, not parsed: a watched marker is unique
// to its publication, so finding it in the stream is finding the
// publication; the last bytes of each read are kept, so that a marker
// split across two reads is found too.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"
)

// carryLen is how many bytes of a stream are kept from one read to the
// next: more than a marker's length.
const carryLen = 63

// stream is one connection the receiver reads.
type stream struct {
	fd    int
	seen  **watch       // the last marker the connection counted: its run's, kept across reconnects
	carry []byte        // the stream's last bytes, at most carryLen
	done  chan struct{} // closed once the stream has ended and its socket is closed
}

// receiver reads its streams from one epoll set, in one goroutine (run).
type receiver struct {
	st   *clientState
	epfd int

	mu      sync.Mutex
	streams []*stream // by socket
	stopped bool      // run has ended: no stream is added
}

// newReceiver makes st's receiver.
func newReceiver(st *clientState) (*receiver, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	return &receiver{st: st, epfd: epfd}, nil
}

// add takes over the socket of c, a subscribed stream whose bytes read so
// far are scanned already, the last of them in carry: from now on the
// receiver reads it. It returns the stream, whose done is closed when it
// ends. c itself is closed: the receiver holds a duplicate of its socket.
func (r *receiver) add(c syscall.Conn, closer func() error, carry []byte, seen **watch) (*stream, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	var dupErr error
	if err := rc.Control(func(s uintptr) {
		// The duplicate shares the socket's open file, non-blocking as Go
		// made it; closing c takes the original out of Go's poller.
		var e syscall.Errno
		var nfd uintptr
		nfd, _, e = syscall.Syscall(syscall.SYS_FCNTL, s, syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			dupErr = e
			return
		}
		fd = int(nfd)
	}); err != nil || dupErr != nil {
		return nil, fmt.Errorf("dup: %w", errors.Join(err, dupErr))
	}
	_ = closer()
	s := &stream{fd: fd, seen: seen, carry: append(make([]byte, 0, carryLen), carry...), done: make(chan struct{})}
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		_ = syscall.Close(fd)
		return nil, errors.New("receiver stopped")
	}
	if fd >= len(r.streams) {
		r.streams = append(r.streams, make([]*stream, fd+1-len(r.streams))...)
	}
	r.streams[fd] = s
	r.mu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | epollET, Fd: int32(fd)}
	if err := syscall.EpollCtl(r.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		r.end(s)
		return nil, fmt.Errorf("epoll_ctl: %w", err)
	}
	return s, nil
}

// end closes s's socket (which takes it out of the epoll set) and says so.
func (r *receiver) end(s *stream) {
	r.mu.Lock()
	r.streams[s.fd] = nil
	r.mu.Unlock()
	_ = syscall.Close(s.fd)
	close(s.done)
}

// receiverPoll is how long the receiver waits for an event before it
// checks whether it should stop; receiverBatch, how long it lets events
// gather after it has read some.
const (
	receiverPoll  = 200 * time.Millisecond
	receiverBatch = time.Millisecond
)

// epollET is EPOLLET as the event mask's type (the syscall package has it
// as a negative int).
const epollET = 1 << 31

// shutdown ends every stream, takes no more and closes the epoll set.
func (r *receiver) shutdown() {
	r.mu.Lock()
	r.stopped = true
	var left []*stream
	for _, s := range r.streams {
		if s != nil {
			left = append(left, s)
		}
	}
	r.mu.Unlock()
	for _, s := range left {
		r.end(s)
	}
	_ = syscall.Close(r.epfd)
}

// run reads the streams until ctx is done; then it ends every stream and
// closes the epoll set.
func (r *receiver) run(ctx context.Context) {
	defer r.shutdown()
	events := make([]syscall.EpollEvent, 256)
	buf := make([]byte, carryLen+16<<10)
	for ctx.Err() == nil {
		n, err := syscall.EpollWait(r.epfd, events, int(receiverPoll/time.Millisecond))
		if err != nil && !errors.Is(err, syscall.EINTR) {
			return
		}
		for _, ev := range events[:max(n, 0)] {
			r.mu.Lock()
			s := r.streams[ev.Fd]
			r.mu.Unlock()
			// The peer's end may come with its last bytes, in one event:
			// they are read first.
			if s != nil && (!r.read(s, buf) || ev.Events&(syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0) {
				r.end(s)
			}
		}
		if n > 0 && n < len(events) {
			time.Sleep(receiverBatch)
		}
	}
}

// read reads what s has for it, until it has nothing more, and notes the
// watched marker if the bytes hold it. It returns false once the stream
// has ended.
func (r *receiver) read(s *stream, buf []byte) bool {
	for {
		c := copy(buf, s.carry)
		// recvfrom(2) takes the socket as a socket; read(2) goes
		// through the file layer first.
		n, _, err := syscall.Recvfrom(s.fd, buf[c:], 0)
		switch {
		case n > 0:
		case errors.Is(err, syscall.EAGAIN):
			return true
		case errors.Is(err, syscall.EINTR):
			continue
		default: // the end of the stream, or an error
			return false
		}
		b := buf[:c+n]
		if w := r.st.watch.Load(); w != nil && w != *s.seen && bytes.Contains(b, w.marker) {
			*s.seen = w
			w.note(time.Now().UnixNano())
		}
		s.carry = append(s.carry[:0], b[max(0, len(b)-carryLen):]...)
		if c+n < len(buf) {
			return true // a short read: the socket had no more
		}
	}
}
