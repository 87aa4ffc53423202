//go:build linux

package live

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
)

// poller watches held connections' sockets with one epoll instance and
// one goroutine (run). Each socket is armed for one event at a time
// (EPOLLONESHOT) and armed again once its goroutine has read what there
// was, so a connection is never read by two goroutines at once. A
// connection is known by an id, not by its descriptor: a descriptor closed
// and reused by a new connection while an event for the old one is on its
// way is not mistaken for it.
type poller struct {
	epfd int
	wake [2]int // a pipe: a byte written to wake[1] stops run

	mu     sync.Mutex
	conns  map[uint64]*polled // under mu
	nextID uint64             // under mu
	closed bool               // under mu

	done chan struct{} // closed when run returns
}

// polled is one watched connection.
type polled struct {
	raw heldSocket
	c   pollee
	mu  sync.Mutex // held while its goroutine reads: orders one read after the last
}

// heldSocket is what the poller needs of a connection's socket: its
// descriptor, used only while the connection cannot be closed.
type heldSocket interface {
	Control(func(fd uintptr)) error
}

// pollEvents is what a socket is watched for: something to read, or its
// end (the client closed; an error), once.
const pollEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT

// newPoller starts a poller: its goroutine ends with close.
func newPoller() (*poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("live: poller: %w", err)
	}
	p := &poller{epfd: epfd, conns: make(map[uint64]*polled), nextID: 1, done: make(chan struct{})}
	if err := syscall.Pipe2(p.wake[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		_ = syscall.Close(epfd)
		return nil, fmt.Errorf("live: poller: %w", err)
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN} // id 0: the wake pipe
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p.wake[0], &ev); err != nil {
		p.release()
		return nil, fmt.Errorf("live: poller: %w", err)
	}
	go p.run()
	return p, nil
}

// watch watches raw's connection for c until c.readable reports its end.
// It returns a function that stops watching (for a connection closed by
// the server), or an error: the connection is not watched, and needs a
// goroutine of its own.
func (p *poller) watch(raw heldSocket, c pollee) (forget func(), err error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("live: poller closed")
	}
	id := p.nextID
	p.nextID++
	w := &polled{raw: raw, c: c}
	p.conns[id] = w
	p.mu.Unlock()
	if err := p.arm(id, w, syscall.EPOLL_CTL_ADD); err != nil {
		p.forget(id)
		return nil, err
	}
	return func() { p.forget(id) }, nil
}

// arm asks for the next event of w's socket, under its connection's
// reference to it: a connection closed meanwhile is not armed (its
// descriptor may belong to another connection by now).
func (p *poller) arm(id uint64, w *polled, op int) error {
	var cerr error
	err := w.raw.Control(func(fd uintptr) {
		ev := syscall.EpollEvent{Events: pollEvents, Fd: int32(uint32(id)), Pad: int32(uint32(id >> 32))}
		cerr = syscall.EpollCtl(p.epfd, op, int(fd), &ev)
	})
	if err = errors.Join(err, cerr); err != nil {
		return fmt.Errorf("live: poller: watching a connection: %w", err)
	}
	return nil
}

// forget stops watching connection id. Its socket leaves the epoll set
// when it is closed.
func (p *poller) forget(id uint64) {
	p.mu.Lock()
	delete(p.conns, id)
	p.mu.Unlock()
}

// run waits for events and starts a goroutine for each readable
// connection, until close wakes it.
func (p *poller) run() {
	defer close(p.done)
	events := make([]syscall.EpollEvent, 256)
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return
		}
		for _, ev := range events[:n] {
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			if id == 0 {
				return
			}
			p.mu.Lock()
			w := p.conns[id]
			p.mu.Unlock()
			if w != nil {
				go p.read(id, w)
			}
		}
	}
}

// read lets w's connection read what it has, then watches it again, or
// forgets it once it ended.
func (p *poller) read(id uint64, w *polled) {
	w.mu.Lock()
	more := w.c.readable()
	w.mu.Unlock()
	if !more || p.arm(id, w, syscall.EPOLL_CTL_MOD) != nil {
		p.forget(id)
	}
}

// len is how many connections are watched.
func (p *poller) len() int {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// close stops the poller and waits for its goroutine. Connections still
// open are not watched any more: close it once the engine has closed them.
func (p *poller) close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	_, _ = syscall.Write(p.wake[1], []byte{1})
	<-p.done
	p.release()
}

// release closes the poller's descriptors.
func (p *poller) release() {
	_ = syscall.Close(p.wake[0])
	_ = syscall.Close(p.wake[1])
	_ = syscall.Close(p.epfd)
}
