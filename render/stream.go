package render

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/a-h/templ"
)

// errClientGone marks a write that failed because the client went away
// (or stopped reading for longer than the write timeout).
var errClientGone = errors.New("render: client gone")

// stream batches writes to the response: everything between two flushes is
// one Write, then one Flush. Only the handler goroutine touches it.
type stream struct {
	w            http.ResponseWriter
	rc           http.ResponseController
	x            *response
	buf          []byte        // pending bytes; nil between a flush and more
	pooled       *[]byte       // the pool's handle on buf's array
	noDeadline   bool          // the connection cannot take write deadlines (a recorder, say)
	started      bool          // a byte has been handed to the ResponseWriter
	err          error         // the first failed write; every later one fails with it
	writeTimeout time.Duration // for each write and flush; <= 0 means none
	beforeFirst  func()        // called once, before the first byte (to set headers)
	last         bool          // the pending bytes end the document (see end)
}

// Write appends p to the pending bytes, so that components render straight
// into them. It never fails.
func (s *stream) Write(p []byte) (int, error) {
	s.buf = append(s.buf, p...)
	return len(p), nil
}

// WriteString appends str to the pending bytes (io.WriteString would
// copy it into a slice of its own first). It never fails.
func (s *stream) WriteString(str string) (int, error) {
	s.buf = append(s.buf, str...)
	return len(str), nil
}

// render renders c into the pending bytes; a component that fails half-way
// adds nothing.
func (s *stream) render(ctx context.Context, c templ.Component) error {
	n := len(s.buf)
	if err := c.Render(ctx, s); err != nil {
		s.buf = s.buf[:n]
		return err
	}
	return nil
}

// flush writes the pending bytes and flushes them to the client.
func (s *stream) flush() error {
	if s.write() != nil {
		return s.err
	}
	if err := s.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.err = fmt.Errorf("%w: %w", errClientGone, err)
	}
	return s.err
}

// end writes and flushes the last bytes of the document, so that they
// reach the connection under this write's deadline and a failure is known
// here (counted, not taken for a complete page). Then it gives the
// deadline a fresh term for what net/http still writes once the handler
// returns (the end of a chunked body, a compressor's last block).
//
// A document written whole in this one write (a serial page, or a
// pipelined one with every pagelet placed: all cached, say) goes out with
// its Content-Length instead of as a chunked body: net/http then sends no
// chunk framing, so the flush writes nothing after the bytes themselves,
// and nothing is left to write once the handler returns (the last chunk).
// On HTTP/1.1 that is two small socket writes fewer per page. A
// compressing middleware drops the header (package compress does).
func (s *stream) end() error {
	s.last = true
	if err := s.flush(); err != nil {
		return err
	}
	if s.writeTimeout > 0 && !s.noDeadline && !s.whole() {
		_ = s.rc.SetWriteDeadline(time.Now().Add(s.writeTimeout))
	}
	return nil
}

// whole reports whether the document went out whole with its
// Content-Length (see end), and nothing changed the body on its way: a
// compressing middleware drops the header. net/http then has nothing
// left to write once the handler returns (no last chunk), and the
// deadline set for the write needs no fresh term.
func (s *stream) whole() bool {
	l := s.w.Header()["Content-Length"]
	return s.x.hv[hvLength] != "" && len(l) == 1 && l[0] == s.x.hv[hvLength]
}

// write hands the pending bytes to the ResponseWriter in one Write and
// gives the buffer back: a page may now wait long, holding none meanwhile.
//
// Each write gets a deadline: a client that does not take the bytes in time
// fails it, instead of holding the handler forever. The deadline stays for
// the flush that follows and for what net/http writes after the handler
// returns; net/http clears it before the next request on the connection.
func (s *stream) write() error {
	defer s.release()
	if s.err != nil || len(s.buf) == 0 {
		return s.err
	}
	if !s.started {
		if err := s.x.ctx.Err(); err != nil { // out of time before the first byte: a clean 503 is still possible
			s.err = &pageEnded{context.Cause(s.x.ctx)}
			return s.err
		}
		s.started = true
		if s.beforeFirst != nil {
			s.beforeFirst()
		}
		if s.last { // the whole document in one write (see end)
			s.x.hv[hvLength] = strconv.Itoa(len(s.buf))
			s.w.Header()["Content-Length"] = s.x.hv[hvLength : hvLength+1 : hvLength+1]
		}
		s.x.skeleton = s.x.since()
	}
	if s.writeTimeout > 0 && !s.noDeadline {
		switch err := s.rc.SetWriteDeadline(time.Now().Add(s.writeTimeout)); {
		case errors.Is(err, http.ErrNotSupported):
			s.noDeadline = true
		case err != nil:
			s.err = fmt.Errorf("%w: %w", errClientGone, err)
			return s.err
		}
	}
	n, err := s.w.Write(s.buf)
	s.x.bytes += int64(n)
	if err != nil {
		s.err = fmt.Errorf("%w: %w", errClientGone, err)
	}
	return s.err
}

// more makes sure there is a write buffer to append to after a flush.
func (s *stream) more() {
	if s.buf == nil {
		s.pooled = streamBufs.Get().(*[]byte)
		s.buf = (*s.pooled)[:0]
	}
}

// streamBufs recycles the write buffers of finished responses: a page's
// skeleton and payloads are assembled in one buffer, so after warm-up a
// response allocates none.
var streamBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// release returns the write buffer to the pool, unless it grew huge.
func (s *stream) release() {
	if s.pooled != nil && cap(s.buf) <= 1<<20 {
		*s.pooled = s.buf[:0] // it may have grown
		streamBufs.Put(s.pooled)
	}
	s.buf, s.pooled = nil, nil
}
