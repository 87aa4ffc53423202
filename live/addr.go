package live

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// addrLimiter bounds the live connections open at once per client address.
type addrLimiter struct {
	max  int // < 0: no bound
	mu   sync.Mutex
	open map[string]int
}

func newAddrLimiter(max int) *addrLimiter {
	return &addrLimiter{max: max, open: make(map[string]int)}
}

// acquire takes one connection for addr; release gives it back. It fails
// if addr holds the most already.
func (l *addrLimiter) acquire(addr string) (release func(), ok bool) {
	if l.max < 0 {
		return func() {}, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[addr] >= l.max {
		return nil, false
	}
	l.open[addr]++
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.open[addr]--; l.open[addr] <= 0 {
			delete(l.open, addr)
		}
	}, true
}

// clientAddr is the address a connection counts against: the peer's IP.
// Behind a proxy that is the proxy's; set the limit for that.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// holdingWriter keeps a connection's slot (its per-address count and its
// gauge) taken while the connection lives. A WebSocket over HTTP/1.1
// outlives the handler: centrifuge hijacks the connection and serves it
// from a goroutine of its own after ServeHTTP has returned, so the slot is
// given back when the hijacked connection is closed instead.
type holdingWriter struct {
	http.ResponseWriter
	done     func() // gives the slot back; once
	hijacked bool
}

// Hijack hands over the connection, which gives the slot back when closed.
func (w *holdingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("live: response cannot be hijacked")
	}
	conn, rw, err := h.Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.hijacked = true
	return &holdingConn{Conn: conn, done: w.done}, rw, nil
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *holdingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// holdingConn is a hijacked connection that gives its slot back on Close.
type holdingConn struct {
	net.Conn
	done func()
}

func (c *holdingConn) Close() error {
	c.done()
	return c.Conn.Close()
}

// streamEndTimeout bounds writing the end of an SSE response once the
// stream is over.
const streamEndTimeout = time.Second

// streamWriter is an SSE response's writer over HTTP/2, where centrifuge's
// handler serves the stream: once the handler is done
// ([streamWriter.end]) what remains of the response gets
// [streamEndTimeout] to be written. Without that, a client that stopped
// reading would hold its stream and a server goroutine for as long as it
// likes after it was disconnected for it: between a stream's writes there
// is no deadline, and net/http waits for the final frame without one.
type streamWriter struct {
	http.ResponseWriter
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *streamWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// end bounds the writing of the rest of the response.
func (w *streamWriter) end() {
	_ = http.NewResponseController(w.ResponseWriter).SetWriteDeadline(time.Now().Add(streamEndTimeout))
}
