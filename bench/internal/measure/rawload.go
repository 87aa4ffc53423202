package measure

// The raw load generator: the closed loop of LoadRun, but each worker
// speaks HTTP/1.1 itself on one keep-alive connection (a fixed request
// written whole, the response read through one buffer), with none of
// net/http's client machinery (a connection's two goroutines, the
// handoffs between them, a request and response allocated per page). It
// costs the cores it shares with the server a fraction of what Go's HTTP
// client does, as wrk does, so that two servers of different cost show
// their own difference rather than the client's.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// RawSpec is one round of the raw closed loop.
type RawSpec struct {
	URL         string      // http://host:port/path?query, on loopback
	Header      http.Header // request headers (User-Agent among them); may be nil
	Workers     int         // connections, each with one request in flight
	For         time.Duration
	MaxRequests int // requests sent at most; <= 0: no count limit
	// Pace, if positive, is the least time between two requests of one
	// worker (a reader who reads each page before the next): Workers/Pace
	// requests a second at most, the workers' starts staggered over one
	// Pace. Zero: back to back.
	Pace time.Duration
}

// RawLoadRun is the raw closed loop: s.Workers workers, each on its own
// keep-alive connection, sending requests for s.URL back to back until
// s.For has passed since the start or s.MaxRequests have been sent. A
// request fails unless the status is 200 and the body ends with </html>;
// a failed connection is dialled again. It returns an error only for a bad
// URL or when ctx is done.
func RawLoadRun(ctx context.Context, s RawSpec) (LoadRound, error) {
	req, addr, err := rawRequest(s.URL, s.Header)
	if err != nil {
		return LoadRound{}, err
	}
	var (
		sent    atomic.Int64
		wg      sync.WaitGroup
		res     LoadRound
		start   = time.Now()
		stopAt  = start.Add(s.For)
		workers = make([][]time.Duration, s.Workers)
		errs    = make([]int, s.Workers)
	)
	for w := range s.Workers {
		wg.Go(func() {
			c := &rawConn{addr: addr, req: req}
			defer c.close()
			stop := context.AfterFunc(ctx, c.close) // a read blocked when ctx ends
			defer stop()
			samples := make([]time.Duration, 0, 1024)
			next := start.Add(s.Pace * time.Duration(w) / time.Duration(s.Workers))
			for ctx.Err() == nil && time.Now().Before(stopAt) {
				if s.Pace > 0 {
					if d := time.Until(next); d > 0 {
						if !sleepCtx(ctx, d) || !time.Now().Before(stopAt) {
							break
						}
					}
					next = next.Add(s.Pace)
				}
				if n := sent.Add(1); s.MaxRequests > 0 && n > int64(s.MaxRequests) {
					sent.Add(-1)
					break
				}
				t0 := time.Now()
				if err := c.do(); err != nil {
					errs[w]++
					c.close()
					continue
				}
				samples = append(samples, time.Since(t0))
			}
			workers[w] = samples
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	res.Requests = int(sent.Load())
	for w := range s.Workers {
		res.Errors += errs[w]
		res.Samples = append(res.Samples, workers[w]...)
	}
	return res, nil
}

// sleepCtx sleeps d, or until ctx ends: false then.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// rawRequest is the bytes of a GET of u with header, and the address to
// dial.
func rawRequest(u string, header http.Header) ([]byte, string, error) {
	pu, err := url.Parse(u)
	if err != nil || pu.Scheme != "http" || pu.Host == "" {
		return nil, "", fmt.Errorf("raw load: %q: want http://host:port/…", u)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", pu.RequestURI(), pu.Host)
	if err := header.Write(&b); err != nil {
		return nil, "", err
	}
	b.WriteString("\r\n")
	return b.Bytes(), pu.Host, nil
}

// rawConn is one worker's connection.
type rawConn struct {
	addr string
	req  []byte
	mu   sync.Mutex // guards conn against close from ctx's AfterFunc
	conn net.Conn
	br   *bufio.Reader
	body []byte // the last body read, reused

	retryAfter string        // the last response's Retry-After
	local      net.Addr      // if set, the address connections are dialled from
	deadline   time.Duration // bounds one request; 0: rawTimeout
}

// dial connects to c.addr, from c.local if set.
func (c *rawConn) dial() (net.Conn, error) {
	d := net.Dialer{Timeout: c.timeout(), LocalAddr: c.local}
	return d.Dial("tcp", c.addr)
}

// timeout bounds one request.
func (c *rawConn) timeout() time.Duration {
	if c.deadline > 0 {
		return c.deadline
	}
	return rawTimeout
}

// rawTimeout bounds one request on the raw connection.
const rawTimeout = LoadRequestTimeout

var (
	// ErrNoAnswer is a request whose connection failed before any byte
	// of the answer came: on a kept-alive connection, most often one the
	// server closed while it was idle, which a client retries on a new
	// connection, as browsers and net/http do.
	ErrNoAnswer  = errors.New("raw load: the connection failed before any answer")
	errRawStatus = errors.New("raw load: status not 200")
	errRawPage   = errors.New("raw load: the page does not end with </html>")
)

// do sends the request and reads the whole response: an error unless it
// is a 200 whose body ends with </html>.
func (c *rawConn) do() error {
	status, err := c.roundTrip(c.req)
	if err != nil {
		return err
	}
	if status != 200 {
		return errRawStatus
	}
	if !bytes.HasSuffix(bytes.TrimRight(c.body, " \t\r\n"), []byte("</html>")) {
		return errRawPage
	}
	return nil
}

// roundTrip sends req and reads the whole response into c.body; it
// returns the status. c.retryAfter is the response's Retry-After.
func (c *rawConn) roundTrip(req []byte) (int, error) {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn == nil {
		var err error
		if conn, err = c.dial(); err != nil {
			return 0, err
		}
		c.mu.Lock()
		c.conn = conn
		c.mu.Unlock()
		if c.br == nil {
			c.br = bufio.NewReaderSize(conn, 64<<10)
		} else {
			c.br.Reset(conn)
		}
	}
	_ = conn.SetDeadline(time.Now().Add(c.timeout()))
	if _, err := conn.Write(req); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrNoAnswer, err)
	}
	if _, err := c.br.Peek(1); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrNoAnswer, err)
	}
	c.retryAfter = ""
	status, length, chunked, closing, err := c.head()
	if err != nil {
		return 0, err
	}
	c.body = c.body[:0]
	switch {
	case chunked:
		err = c.chunks()
	case length >= 0:
		err = c.read(length)
	default: // until the connection closes
		closing = true
		var b []byte
		b, err = io.ReadAll(c.br)
		c.body = append(c.body, b...)
	}
	if err != nil {
		return 0, err
	}
	if closing {
		c.close()
	}
	return status, nil
}

// head reads the status line and the headers: the status, the
// Content-Length (-1 if none), whether the body is chunked, and whether
// the server closes the connection after it.
func (c *rawConn) head() (status int, length int64, chunked, closing bool, err error) {
	line, err := c.line()
	if err != nil {
		return 0, 0, false, false, err
	}
	// HTTP/1.1 200 OK
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, 0, false, false, fmt.Errorf("raw load: status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, 0, false, false, fmt.Errorf("raw load: status line %q", line)
	}
	length = -1
	for {
		line, err = c.line()
		if err != nil {
			return 0, 0, false, false, err
		}
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch {
		case asciiEqualFold(k, "Content-Length"):
			if length, err = strconv.ParseInt(string(v), 10, 64); err != nil || length < 0 {
				return 0, 0, false, false, fmt.Errorf("raw load: Content-Length %q", v)
			}
		case asciiEqualFold(k, "Transfer-Encoding"):
			chunked = asciiEqualFold(v, "chunked")
		case asciiEqualFold(k, "Connection"):
			closing = asciiEqualFold(v, "close")
		case asciiEqualFold(k, "Retry-After"):
			c.retryAfter = string(v)
		}
	}
	if status >= 100 && status < 200 { // 103 Early Hints, say: the final response follows
		return c.head()
	}
	return status, length, chunked, closing, nil
}

// chunks reads a chunked body and its trailers.
func (c *rawConn) chunks() error {
	for {
		line, err := c.line()
		if err != nil {
			return err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("raw load: chunk size %q", line)
		}
		if n == 0 {
			for { // trailers, up to the empty line
				line, err := c.line()
				if err != nil {
					return err
				}
				if len(line) == 0 {
					return nil
				}
			}
		}
		if err := c.read(n); err != nil {
			return err
		}
		if line, err := c.line(); err != nil || len(line) != 0 {
			return fmt.Errorf("raw load: no CRLF after a chunk: %q, %v", line, err)
		}
	}
}

// read appends the next n bytes to the body.
func (c *rawConn) read(n int64) error {
	for n > 0 {
		b, err := c.br.Peek(int(min(n, int64(c.br.Size()))))
		if len(b) == 0 && err != nil {
			return err
		}
		c.body = append(c.body, b...)
		_, _ = c.br.Discard(len(b))
		n -= int64(len(b))
	}
	return nil
}

// line reads one line, without its CRLF (or LF). It is valid until the
// next read.
func (c *rawConn) line() ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
	return line, nil
}

// close closes the connection, if open; the next do dials again.
func (c *rawConn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
	}
}

// asciiEqualFold reports whether b is s, ASCII case aside.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
