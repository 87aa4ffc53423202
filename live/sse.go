package live

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/centrifugal/centrifuge"
)

// sseHandler serves the SSE transport over HTTP/1.x by taking the
// connection over from net/http once the request is read: the stream is
// the connection's last response anyway (see streamWriter), and an idle
// stream then costs what the connection itself needs and no more. Under
// net/http, each open stream holds its connection goroutine (the
// handler's deep stack), net/http's background reader, its 4 KiB read
// and write buffers and the response's own buffer: about 38 KiB of RSS a
// connection, against 16–17 KiB here with the front page's three channels
// (bench/README.md, "Scale"). Here it holds the engine's client and one
// goroutine that waits for the connection to close; each batch of
// messages is written straight to the socket as one chunk, without
// blocking, from centrifuge's write timer (heldconn.go). Over HTTP/2 the
// connection is not the stream's to take: centrifuge's own handler
// (fallback) serves it.
type sseHandler struct {
	node     *centrifuge.Node
	ping     centrifuge.PingPongConfig
	maxBody  int
	fallback http.Handler
	maxQueue int       // the most bytes a stream may hold pending (Limits.QueueSize)
	poll     *poller   // reads the streams; nil: a goroutine each
	chunks   sync.Pool // *[]byte: the buffers the streams assemble their chunks in
}

// ServeHTTP reads the connect command from the query, answers with the
// stream's header, hands the command to a new client and returns: the
// stream lives on in sseConn until either side closes it.
func (h *sseHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor != 1 {
		h.fallback.ServeHTTP(w, r)
		return
	}
	cmd, status, msg := h.command(w, r)
	if status != 0 {
		if status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", "GET, POST")
		}
		http.Error(w, msg, status)
		return
	}
	header := sseHeader(w.Header())
	// Nothing may follow the request on a stream's connection: what the
	// client sends after it, buffered or not, is dropped.
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil { // a writer that cannot hand its connection over
		h.fallback.ServeHTTP(w, r)
		return
	}
	t := &sseConn{heldConn: newHeldConn(conn, h.maxQueue), ping: h.ping, chunks: &h.chunks}
	if err := t.writeLocked(header); err != nil {
		_ = conn.Close()
		return
	}
	// The request's context ends as ServeHTTP returns; the client's lives
	// as long as the connection (its values, the server's, are kept).
	c, closeFn, err := centrifuge.NewClient(context.WithoutCancel(r.Context()), h.node, t)
	if err != nil {
		_ = conn.Close()
		return
	}
	t.client, t.closeClient = c, closeFn
	t.startReading(h.poll, t, t.watch)
	_ = centrifuge.HandleReadFrame(c, bytes.NewReader(cmd), int64(h.maxBody))
}

// command reads the connect command: the cf_connect parameter of a GET
// (what EventSource sends), or the body of a POST; or else says why not,
// with a status and a message.
func (h *sseHandler) command(w http.ResponseWriter, r *http.Request) (cmd []byte, status int, msg string) {
	switch r.Method {
	case http.MethodGet:
		cmd = []byte(r.URL.Query().Get("cf_connect"))
	case http.MethodPost:
		var err error
		cmd, err = io.ReadAll(http.MaxBytesReader(w, r.Body, int64(h.maxBody)))
		if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
			return nil, http.StatusRequestEntityTooLarge, "413 connect command over the message size limit"
		}
		if err != nil {
			return nil, http.StatusBadRequest, "400 unreadable connect command: " + err.Error()
		}
	default:
		return nil, http.StatusMethodNotAllowed, "405 the SSE transport takes a GET with a cf_connect parameter, or a POST"
	}
	switch {
	case len(cmd) == 0:
		return nil, http.StatusBadRequest, "400 missing connect command (cf_connect)"
	case len(cmd) > h.maxBody:
		return nil, http.StatusRequestEntityTooLarge, "413 connect command over the message size limit"
	}
	return cmd, 0, ""
}

// sseHeader is the stream's response header: the header the middleware
// set so far, then the stream's own fields, chunked, and the connection
// closed after it.
func sseHeader(h http.Header) []byte {
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "private, no-cache, no-store, must-revalidate, max-age=0")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each message on at once
	h.Set("Connection", "close")
	h.Set("Transfer-Encoding", "chunked")
	h.Del("Content-Length")
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 200 OK\r\n")
	_ = h.Write(&b)
	b.WriteString("\r\n")
	// A first chunk, as centrifuge's handler sends: the response is under
	// way before the connect reply is ready.
	b.WriteString("2\r\n\r\n\r\n")
	return b.Bytes()
}

// sseConn is one hijacked SSE stream: centrifuge's Transport over it,
// written as a held connection (heldconn.go).
type sseConn struct {
	heldConn
	ping   centrifuge.PingPongConfig
	chunks *sync.Pool // the handler's: see WriteMany
}

var _ centrifuge.Transport = (*sseConn)(nil)

func (t *sseConn) Name() string                                { return "sse" }
func (t *sseConn) AcceptProtocol() string                      { return "h1" }
func (t *sseConn) Protocol() centrifuge.ProtocolType           { return centrifuge.ProtocolTypeJSON }
func (t *sseConn) ProtocolVersion() centrifuge.ProtocolVersion { return centrifuge.ProtocolVersion2 }
func (t *sseConn) Unidirectional() bool                        { return false }
func (t *sseConn) Emulation() bool                             { return true }
func (t *sseConn) DisabledPushFlags() uint64                   { return 0 }
func (t *sseConn) PingPongConfig() centrifuge.PingPongConfig   { return t.ping }

// Write sends one message as an event.
func (t *sseConn) Write(message []byte) error { return t.WriteMany(message) }

// WriteMany sends messages as events in one chunk, in one write, within
// heldWriteTimeout (writeFrame).
func (t *sseConn) WriteMany(messages ...[]byte) error {
	size := 0 // the chunk's
	for _, m := range messages {
		size += len("data: \n\n") + len(m)
	}
	return t.writeFrame(t.chunks, size+16, func(b []byte) []byte {
		b = strconv.AppendInt(b, int64(size), 16)
		b = append(b, "\r\n"...)
		for _, m := range messages {
			b = append(b, "data: "...)
			b = append(b, m...)
			b = append(b, "\n\n"...)
		}
		return append(b, "\r\n"...)
	})
}

// Close ends the stream: its last chunk, then the connection. A write
// under way (to a client that stopped reading, say) is not waited for: the
// connection is closed under it.
func (t *sseConn) Close(centrifuge.Disconnect) error {
	if !t.mu.TryLock() {
		t.shut()
		return nil
	}
	defer t.mu.Unlock()
	if !t.done.Load() && len(t.pending) == 0 {
		_ = t.write([]byte("0\r\n\r\n"))
	}
	t.shut()
	return nil
}

// watch waits for the connection to end, by reading it (a client sends
// nothing more: anything it does is dropped), and then closes the client.
// It is the stream's own goroutine where the poller does not watch it: it
// ends when the connection does, whichever side closes it.
func (t *sseConn) watch() {
	var b [16]byte
	for {
		if _, err := t.conn.Read(b[:]); err != nil {
			t.shut()
			_ = t.closeClient()
			return
		}
	}
}

// sseReadsPerEvent bounds what one readable event reads of a client that
// sends and sends: the poller comes back for the rest.
const sseReadsPerEvent = 16

// readable drops what the client sent and sees its end (pollee).
func (t *sseConn) readable() bool {
	var b [512]byte
	for range sseReadsPerEvent {
		_, err := t.readNow(b[:])
		switch {
		case errors.Is(err, errWouldBlock):
			return true
		case err != nil:
			t.shut()
			return false
		}
	}
	return true
}
