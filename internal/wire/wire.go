// Package wire is an HTTP/1.1 client for measuring streams: it reads the raw
// connection itself (no buffering client in between), decodes chunked
// framing as bytes arrive, and records when every body byte arrived. Tests
// and benchmarks use it to see what a browser would see on the wire.
package wire

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Arrival is a run of body bytes that arrived in one read.
type Arrival struct {
	At  time.Duration // since the request was sent
	End int           // body offset just past the run
}

// Stream is one response being read. It is not safe for concurrent use.
type Stream struct {
	conn   net.Conn
	start  time.Time
	raw    []byte // undecoded bytes not yet consumed
	eof    bool
	Status int
	Header http.Header
	// Informational holds the status codes of 1xx responses (such as 103
	// Early Hints) that came before the final one, with their headers.
	Informational []Informational
	// FirstByte is when the first byte of the final (non-1xx) response
	// arrived: its status line. An Early Hints response before it does not
	// count; see Informational for those.
	FirstByte time.Duration
	// AnyByte is when the first byte of any response, 1xx included, arrived.
	AnyByte time.Duration

	consumed int64  // raw bytes consumed before raw[0]
	fills    []fill // when raw bytes arrived, by cumulative offset

	body     []byte
	arrivals []Arrival
	done     bool

	chunked   bool
	remaining int64 // bytes left in the current chunk or the Content-Length body; -1 = until close
	state     int
}

// fill is one read from the connection: raw bytes up to end arrived at at.
type fill struct {
	end int64
	at  time.Duration
}

// arrivedAt returns when the raw byte at offset off arrived.
func (s *Stream) arrivedAt(off int64) time.Duration {
	for _, f := range s.fills {
		if f.end > off {
			return f.at
		}
	}
	return 0
}

// Informational is a 1xx response.
type Informational struct {
	Status int
	Header http.Header
}

const (
	stateSize = iota
	stateData
	stateDataCRLF
	stateTrailer
	stateDone
)

// Open sends a GET for rawURL (http only) with the given extra headers and
// reads up to the end of the final response's header.
func Open(ctx context.Context, rawURL string, header http.Header) (*Stream, error) {
	return Do(ctx, http.MethodGet, rawURL, header, "HTTP/1.1")
}

// Do is like Open with a method and protocol ("HTTP/1.1" or "HTTP/1.0").
func Do(ctx context.Context, method, rawURL string, header http.Header, proto string) (*Stream, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("wire: %w", err)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("wire: scheme %q not supported", u.Scheme)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, fmt.Errorf("wire: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	var req bytes.Buffer
	fmt.Fprintf(&req, "%s %s %s\r\nHost: %s\r\n", method, u.RequestURI(), proto, u.Host)
	if header.Get("User-Agent") == "" {
		req.WriteString("User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n")
	}
	_ = header.Write(&req)
	req.WriteString("Connection: close\r\n\r\n")
	s := &Stream{conn: conn, start: time.Now()}
	if _, err := conn.Write(req.Bytes()); err != nil {
		conn.Close()
		return nil, fmt.Errorf("wire: write request: %w", err)
	}
	if err := s.readHeader(method); err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the connection, as a client that goes away would.
func (s *Stream) Close() error { return s.conn.Close() }

// Body returns the decoded body read so far.
func (s *Stream) Body() []byte { return s.body }

// Arrivals returns when each run of body bytes arrived.
func (s *Stream) Arrivals() []Arrival { return s.arrivals }

// Done reports whether the whole body has been read.
func (s *Stream) Done() bool { return s.done }

// LastByte is when the last body byte read so far arrived.
func (s *Stream) LastByte() time.Duration {
	if len(s.arrivals) == 0 {
		return 0
	}
	return s.arrivals[len(s.arrivals)-1].At
}

// fill reads once from the connection, timestamping what came.
func (s *Stream) fill() (time.Duration, error) {
	if s.eof {
		return 0, io.ErrUnexpectedEOF
	}
	var tmp [32 << 10]byte
	n, err := s.conn.Read(tmp[:])
	at := time.Since(s.start)
	if n > 0 {
		if s.AnyByte == 0 {
			s.AnyByte = at
		}
		s.raw = append(s.raw, tmp[:n]...)
		end := s.consumed + int64(len(s.raw))
		if len(s.fills) < 64 { // only the header's reads matter
			s.fills = append(s.fills, fill{end: end, at: at})
		}
	}
	if errors.Is(err, io.EOF) {
		s.eof = true
		err = nil
	}
	return at, err
}

func (s *Stream) readHeader(method string) error {
	for {
		i := bytes.Index(s.raw, []byte("\r\n\r\n"))
		if i < 0 {
			if s.eof {
				return fmt.Errorf("wire: connection closed before the response header")
			}
			if _, err := s.fill(); err != nil {
				return fmt.Errorf("wire: read header: %w", err)
			}
			continue
		}
		block := string(s.raw[:i+4])
		blockAt := s.arrivedAt(s.consumed)
		s.raw = s.raw[i+4:]
		s.consumed += int64(i + 4)
		tp := textproto.NewReader(newLineReader(block))
		line, err := tp.ReadLine()
		if err != nil {
			return fmt.Errorf("wire: status line: %w", err)
		}
		f := strings.SplitN(line, " ", 3)
		if len(f) < 2 {
			return fmt.Errorf("wire: bad status line %q", line)
		}
		code, err := strconv.Atoi(f[1])
		if err != nil {
			return fmt.Errorf("wire: bad status line %q", line)
		}
		mh, err := tp.ReadMIMEHeader()
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("wire: header: %w", err)
		}
		if code >= 100 && code < 200 {
			s.Informational = append(s.Informational, Informational{Status: code, Header: http.Header(mh)})
			continue
		}
		s.Status, s.Header, s.FirstByte = code, http.Header(mh), blockAt
		switch {
		case method == http.MethodHead || code == http.StatusNoContent || code == http.StatusNotModified:
			s.state, s.done = stateDone, true
		case strings.EqualFold(s.Header.Get("Transfer-Encoding"), "chunked"):
			s.chunked, s.state = true, stateSize
		case s.Header.Get("Content-Length") != "":
			n, err := strconv.ParseInt(s.Header.Get("Content-Length"), 10, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("wire: bad Content-Length")
			}
			s.remaining, s.state = n, stateData
			if n == 0 {
				s.state, s.done = stateDone, true
			}
		default:
			s.remaining, s.state = -1, stateData
		}
		s.decode(time.Since(s.start))
		return nil
	}
}

func newLineReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }

// Next reads from the connection once and decodes what arrived. It returns
// io.EOF once the body is complete.
func (s *Stream) Next() error {
	if s.done {
		return io.EOF
	}
	at, err := s.fill()
	if err != nil {
		return fmt.Errorf("wire: read body: %w", err)
	}
	s.decode(at)
	if s.done {
		return io.EOF
	}
	if s.eof && len(s.raw) == 0 {
		if s.remaining == -1 && !s.chunked {
			s.done = true
			return io.EOF
		}
		return fmt.Errorf("wire: %w: body truncated", io.ErrUnexpectedEOF)
	}
	return nil
}

// decode consumes as much of raw as the framing allows.
func (s *Stream) decode(at time.Duration) {
	before := len(s.body)
	defer func() {
		if len(s.body) > before {
			s.arrivals = append(s.arrivals, Arrival{At: at, End: len(s.body)})
		}
	}()
	for {
		switch s.state {
		case stateDone:
			s.done = true
			return
		case stateData:
			if len(s.raw) == 0 {
				return
			}
			n := int64(len(s.raw))
			if s.remaining >= 0 && n > s.remaining {
				n = s.remaining
			}
			s.body = append(s.body, s.raw[:n]...)
			s.raw = s.raw[n:]
			s.consumed += n
			if s.remaining >= 0 {
				s.remaining -= n
				if s.remaining == 0 {
					if s.chunked {
						s.state = stateDataCRLF
					} else {
						s.state = stateDone
					}
				}
			}
		case stateSize, stateDataCRLF, stateTrailer:
			i := bytes.Index(s.raw, []byte("\r\n"))
			if i < 0 {
				return
			}
			line := string(s.raw[:i])
			s.raw = s.raw[i+2:]
			s.consumed += int64(i + 2)
			switch s.state {
			case stateDataCRLF:
				s.state = stateSize
			case stateTrailer:
				if line == "" {
					s.state = stateDone
				}
			case stateSize:
				if j := strings.IndexByte(line, ';'); j >= 0 {
					line = line[:j]
				}
				n, err := strconv.ParseInt(strings.TrimSpace(line), 16, 64)
				if err != nil || n < 0 {
					s.state = stateDone // malformed: stop decoding; callers see a short body
					return
				}
				if n == 0 {
					s.state = stateTrailer
				} else {
					s.remaining, s.state = n, stateData
				}
			}
		}
	}
}

// ReadAll reads until the body is complete.
func (s *Stream) ReadAll() error {
	for {
		if err := s.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// Until reads until the body contains marker and returns when the marker's
// last byte arrived.
func (s *Stream) Until(marker string) (time.Duration, error) {
	for {
		if at, ok := s.MarkerAt(marker); ok {
			return at, nil
		}
		if err := s.Next(); err != nil {
			if at, ok := s.MarkerAt(marker); ok {
				return at, nil
			}
			if errors.Is(err, io.EOF) {
				return 0, fmt.Errorf("wire: body ended without %q", marker)
			}
			return 0, err
		}
	}
}

// MarkerAt returns when the first occurrence of marker had fully arrived.
func (s *Stream) MarkerAt(marker string) (time.Duration, bool) {
	i := bytes.Index(s.body, []byte(marker))
	if i < 0 {
		return 0, false
	}
	end := i + len(marker)
	for _, a := range s.arrivals {
		if a.End >= end {
			return a.At, true
		}
	}
	return 0, false
}
