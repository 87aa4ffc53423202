package measure

import (
	"net"
	"time"
)

// RawConn is one keep-alive HTTP/1.1 connection of the raw client (see
// RawLoadRun), for a caller that writes its own requests, of any method,
// and judges the answers itself: the overload bench's pages, posts and
// fragments. It is not safe for concurrent use; Close may be called from
// another goroutine to end a request in flight.
type RawConn struct{ c rawConn }

// RawResponse is what RawConn.Do read: the status, the Retry-After header
// ("" if none) and the body, valid until the next Do.
type RawResponse struct {
	Status     int
	RetryAfter string
	Body       []byte
}

// NewRawConn returns a connection to addr (host:port), dialled on first
// use and again after a failure, from local if it is not nil; timeout
// bounds each request (0: LoadRequestTimeout).
func NewRawConn(addr string, local net.Addr, timeout time.Duration) *RawConn {
	return &RawConn{c: rawConn{addr: addr, local: local, deadline: timeout}}
}

// Do sends req, a whole HTTP/1.1 request, and reads the whole response.
// An error is a failed connection (closed: the next Do dials again), or a
// response that could not be read.
func (rc *RawConn) Do(req []byte) (RawResponse, error) {
	status, err := rc.c.roundTrip(req)
	if err != nil {
		rc.c.close()
		return RawResponse{}, err
	}
	return RawResponse{Status: status, RetryAfter: rc.c.retryAfter, Body: rc.c.body}, nil
}

// Close closes the connection, if open.
func (rc *RawConn) Close() { rc.c.close() }
