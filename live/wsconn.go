package live

import (
	"bytes"
	"errors"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/centrifugal/centrifuge"
)

// errWSPeerClosed ends the reading of a connection whose client closed it.
var errWSPeerClosed = errors.New("live: websocket closed by the client")

// wsConn is one WebSocket connection taken over by wsHandler: centrifuge's
// Transport over it, written as a held connection (heldconn.go) and read
// by its one goroutine, serve.
type wsConn struct {
	heldConn
	ping      centrifuge.PingPongConfig
	reads     *sync.Pool // the handler's: see read
	framePool *sync.Pool // the handler's: see WriteMany
	maxBody   int

	closeSent bool        // under mu: the close frame is written; the connection waits for the client's
	closeWait *time.Timer // under mu: closes the connection if the client does not answer the close frame

	// Read by serve's goroutine only.
	in     []byte // read, not yet a whole frame; nil for a connection between frames
	msg    []byte // a fragmented message's payload so far
	msgOp  byte   // its opcode; 0: no fragmented message under way
	ended  bool   // the client's commands are no longer read: it was disconnected
	failed bool   // the client broke the protocol: what it sends is dropped until it closes
}

var _ centrifuge.Transport = (*wsConn)(nil)

func (t *wsConn) Name() string                                { return "websocket" }
func (t *wsConn) AcceptProtocol() string                      { return "h1" }
func (t *wsConn) Protocol() centrifuge.ProtocolType           { return centrifuge.ProtocolTypeJSON }
func (t *wsConn) ProtocolVersion() centrifuge.ProtocolVersion { return centrifuge.ProtocolVersion2 }
func (t *wsConn) Unidirectional() bool                        { return false }
func (t *wsConn) Emulation() bool                             { return false }

// DisabledPushFlags says a disconnect is not pushed as a message: the
// close frame carries it.
func (t *wsConn) DisabledPushFlags() uint64 { return centrifuge.PushFlagDisconnect }

func (t *wsConn) PingPongConfig() centrifuge.PingPongConfig { return t.ping }

// Write sends one message as a text frame.
func (t *wsConn) Write(message []byte) error { return t.WriteMany(message) }

// WriteMany sends messages in one text frame, one per line (centrifuge's
// JSON protocol), in one write (writeFrame).
func (t *wsConn) WriteMany(messages ...[]byte) error {
	n := len(messages) - 1
	for _, m := range messages {
		n += len(m)
	}
	return t.writeFrame(t.framePool, n+10, func(b []byte) []byte {
		b = appendWSHeader(b, wsText, n)
		for i, m := range messages {
			if i > 0 {
				b = append(b, '\n')
			}
			b = append(b, m...)
		}
		return b
	})
}

// Close ends the connection with a close frame carrying the disconnect's
// code and reason, which the browser client reads (live.js), and waits
// for the client's close frame, wsCloseWait at most. A connection the
// client closed, or one too slow to take a close frame, is closed at once.
func (t *wsConn) Close(d centrifuge.Disconnect) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.closeSent, t.closed.Load():
	case d.Code == centrifuge.DisconnectConnectionClosed.Code || t.done.Load():
		t.shut()
	default:
		t.sendClose(uint16(d.Code), d.Reason)
	}
	return nil
}

// sendClose writes a close frame, after which nothing more is written, and
// gives the client wsCloseWait to answer it. t.mu is held.
func (t *wsConn) sendClose(code uint16, reason string) {
	t.closeSent = true
	err := t.write(appendWSClose(nil, code, reason))
	t.done.Store(true)
	if err != nil {
		t.shut()
		return
	}
	t.closeWait = time.AfterFunc(wsCloseWait, t.shut)
}

// serve reads the client's frames until the connection ends, whichever
// side ends it, and then closes the client. It is the connection's own
// goroutine where the poller does not watch it; between frames it waits
// holding no buffer (read).
func (t *wsConn) serve() {
	defer func() {
		t.shut()
		_ = t.closeClient()
	}()
	for {
		bp, n, err := t.read()
		if err != nil {
			return
		}
		ok := t.received((*bp)[:n])
		t.reads.Put(bp)
		if !ok {
			return
		}
	}
}

// wsReadsPerEvent bounds what one readable event reads: the poller comes
// back for the rest.
const wsReadsPerEvent = 16

// readable reads and handles what the client sent (pollee).
func (t *wsConn) readable() bool {
	for range wsReadsPerEvent {
		bp := t.readBuffer()
		n, err := t.readNow(*bp)
		if errors.Is(err, errWouldBlock) {
			t.reads.Put(bp)
			return true
		}
		ok := err == nil && t.received((*bp)[:n])
		t.reads.Put(bp)
		if !ok {
			t.shut()
			return false
		}
	}
	return true
}

// received handles the bytes read: each whole frame, and what is left of
// a frame kept for the next read. It reports whether the connection is
// to be read on.
func (t *wsConn) received(data []byte) bool {
	if t.failed {
		return true // dropped, until the client closes or wsCloseWait ends it
	}
	if len(t.in) > 0 {
		data = append(t.in, data...)
	}
	rest, err := t.frames(data)
	var we *wsError
	switch {
	case errors.Is(err, errWSPeerClosed):
		return false
	case errors.As(err, &we):
		t.fail(we)
		return true
	}
	t.in = nil
	if len(rest) > 0 {
		t.in = bytes.Clone(rest)
	}
	return true
}

// fail closes a connection whose client broke the protocol (RFC 6455,
// section 7.1.7): a close frame with the code that says how (section
// 7.4.1), and the end of the server's side of the connection. What the
// client sends after is dropped until it closes its side (wsCloseWait at
// most): closing the socket with its bytes unread would reset the
// connection, and the client could lose the close frame.
func (t *wsConn) fail(we *wsError) {
	t.failed, t.in, t.msg = true, nil, nil
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closeSent || t.closed.Load() {
		return
	}
	t.sendClose(we.Code, we.Reason)
	if len(t.pending) == 0 {
		t.closeWrite()
	}
}

// frames handles each whole frame at data's start and returns what
// follows them.
func (t *wsConn) frames(data []byte) ([]byte, error) {
	for {
		h, err := parseWSHeader(data, t.maxBody)
		switch {
		case errors.Is(err, errWSShort):
			return data, nil
		case err != nil:
			return nil, err
		case len(data) < h.size+h.length:
			return data, nil
		}
		p := data[h.size : h.size+h.length]
		unmaskWS(p, h.mask)
		data = data[h.size+h.length:]
		if err := t.frame(h, p); err != nil {
			return nil, err
		}
	}
}

// frame handles one frame of the client's, its payload p unmasked.
func (t *wsConn) frame(h wsHeader, p []byte) error {
	switch h.op {
	case wsPing:
		t.mu.Lock()
		defer t.mu.Unlock()
		if !t.done.Load() {
			return t.write(appendWSFrame(nil, wsPong, p))
		}
		return nil
	case wsPong:
		return nil
	case wsClose:
		return t.peerClosed(p)
	case wsText, wsBinary:
		if t.msgOp != 0 {
			return &wsError{wsCloseProtocol, "new message before the last one's end"}
		}
		if h.fin {
			return t.deliver(h.op, p)
		}
		t.msgOp, t.msg = h.op, append(t.msg[:0], p...)
		return nil
	default: // wsContinuation
		if t.msgOp == 0 {
			return &wsError{wsCloseProtocol, "continuation frame without a message"}
		}
		if len(t.msg)+len(p) > t.maxBody {
			return &wsError{wsCloseTooBig, "message over the size limit"}
		}
		t.msg = append(t.msg, p...)
		if !h.fin {
			return nil
		}
		op, msg := t.msgOp, t.msg
		t.msgOp, t.msg = 0, nil
		return t.deliver(op, msg)
	}
}

// peerClosed answers the client's close frame with one of its own (unless
// the transport sent its own already) and closes the connection.
func (t *wsConn) peerClosed(p []byte) error {
	code, err := parseWSClose(p)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.closeSent {
		t.closeSent = true
		frame := appendWSHeader(nil, wsClose, 0)
		if code != 0 {
			frame = appendWSClose(nil, code, "")
		}
		_ = t.write(frame)
	}
	t.shut()
	return errWSPeerClosed
}

// deliver hands a whole message to the client as its commands, on a
// goroutine of its own: whatever depth handling them takes, the stack of
// the connection's own goroutine stays that of a waiting reader.
func (t *wsConn) deliver(op byte, msg []byte) error {
	if t.ended {
		return nil
	}
	if op == wsText && !utf8.Valid(msg) {
		return &wsError{wsCloseInvalidData, "text message not UTF-8"}
	}
	done := make(chan bool, 1)
	go func() { done <- centrifuge.HandleReadFrame(t.client, bytes.NewReader(msg), int64(t.maxBody)) }()
	t.ended = !<-done
	return nil
}

// readBuffer is a buffer from the handler's pool to read into.
func (t *wsConn) readBuffer() *[]byte {
	if bp, ok := t.reads.Get().(*[]byte); ok {
		return bp
	}
	b := make([]byte, wsReadSize)
	return &b
}

// read waits until the client sent something and reads it into a buffer
// from the handler's pool, which the caller gives back. While it waits it
// holds no buffer: one is taken for each attempt to read, and given back
// when there was nothing to read.
func (t *wsConn) read() (*[]byte, int, error) {
	get := t.readBuffer
	if t.raw == nil {
		bp := get()
		n, err := t.conn.Read(*bp)
		if err != nil {
			t.reads.Put(bp)
			return nil, 0, err
		}
		return bp, n, nil
	}
	var bp *[]byte
	var n int
	var rerr error
	err := t.raw.Read(func(fd uintptr) bool {
		bp = get()
		n, rerr = readFD(fd, *bp)
		if errors.Is(rerr, errWouldBlock) {
			t.reads.Put(bp)
			bp, rerr = nil, nil
			return false // wait until readable, holding no buffer
		}
		return true
	})
	if err = errors.Join(err, rerr); err != nil {
		if bp != nil {
			t.reads.Put(bp)
		}
		return nil, 0, err
	}
	return bp, n, nil
}
