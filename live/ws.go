package live

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/centrifugal/centrifuge"
)

// wsCloseWait bounds the closing handshake: after its close frame the
// transport waits this long for the client's before it closes the
// connection (centrifuge's own handler waits as long).
const wsCloseWait = 5 * time.Second

// wsReadSize is the buffer a WebSocket connection reads into, taken from
// the handler's pool for each read and given back after: an idle
// connection holds no buffer.
const wsReadSize = 4 << 10

// wsHandler serves the WebSocket transport over HTTP/1.1 on a plain
// socket, the way sseHandler serves SSE: it answers the upgrade itself,
// takes the connection over from net/http, and serves it as a held
// connection (heldconn.go), written without blocking from centrifuge's
// write timer. An idle connection holds its engine client and one
// goroutine waiting, with no buffer, for the client to send something,
// against centrifuge's own handler's two goroutines (its reader and its
// writer) and their buffers: bench/README.md, "Scale". What this handler
// does not serve goes to centrifuge's own (fallback): HTTP/2, TLS, the
// protobuf protocol and native ping-pong (cf_ws_frame_ping_pong).
type wsHandler struct {
	node        *centrifuge.Node
	ping        centrifuge.PingPongConfig
	maxBody     int
	maxQueue    int
	checkOrigin func(*http.Request) bool
	fallback    http.Handler
	poll        *poller   // reads the connections; nil: a goroutine each
	reads       sync.Pool // *[]byte of wsReadSize: what a connection reads into
	frames      sync.Pool // *[]byte: the buffers the connections assemble their frames in
}

// ServeHTTP checks the upgrade request, answers it, hands the connection to
// a new client and returns: the connection lives on in wsConn.serve.
func (h *wsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.serves(r) {
		h.fallback.ServeHTTP(w, r)
		return
	}
	accept, status, msg := wsHandshake(r)
	if status == 0 && !h.checkOrigin(r) {
		status, msg = http.StatusForbidden, "403 websocket upgrade from another origin"
	}
	if status != 0 {
		switch status {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", http.MethodGet)
		case http.StatusUpgradeRequired:
			w.Header().Set("Sec-WebSocket-Version", "13")
		}
		http.Error(w, msg, status)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil { // a writer that cannot hand its connection over
		h.fallback.ServeHTTP(w, r)
		return
	}
	t := &wsConn{heldConn: newHeldConn(conn, h.maxQueue), ping: h.ping, reads: &h.reads, framePool: &h.frames, maxBody: h.maxBody}
	// A client sends nothing before the answer to its upgrade; what it
	// sent anyway was read into net/http's buffer.
	if n := brw.Reader.Buffered(); n > 0 {
		t.in, _ = brw.Reader.Peek(n)
		t.in = bytes.Clone(t.in)
	}
	var resp []byte
	resp = append(resp, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	resp = append(resp, accept...)
	if wsOffers(r, "centrifuge-json") {
		resp = append(resp, "\r\nSec-WebSocket-Protocol: centrifuge-json"...)
	}
	resp = append(resp, "\r\n\r\n"...)
	if err := t.writeLocked(resp); err != nil {
		_ = conn.Close()
		return
	}
	select {
	case <-h.node.NotifyShutdown():
		_ = t.Close(centrifuge.DisconnectShutdown)
		return
	default:
	}
	// The request's context ends as ServeHTTP returns; the client's lives
	// as long as the connection (its values, the server's, are kept).
	c, closeFn, err := centrifuge.NewClient(context.WithoutCancel(r.Context()), h.node, t)
	if err != nil {
		_ = conn.Close()
		return
	}
	t.client, t.closeClient = c, closeFn
	if len(t.in) > 0 { // sent along with the upgrade request
		data := t.in
		t.in = nil
		if !t.received(data) {
			t.shut()
			_ = closeFn()
			return
		}
	}
	t.startReading(h.poll, t, t.serve)
}

// serves reports whether this handler serves r rather than centrifuge's:
// an HTTP/1.1 request on a plain socket for the JSON protocol with the
// engine's own pings.
func (h *wsHandler) serves(r *http.Request) bool {
	if r.ProtoMajor != 1 || r.TLS != nil {
		return false
	}
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		if q.Get("format") == "protobuf" || q.Get("cf_protocol") == "protobuf" || q.Get("cf_ws_frame_ping_pong") == "true" {
			return false
		}
	}
	return !wsOffers(r, "centrifuge-protobuf") || wsOffers(r, "centrifuge-json")
}

// wsHandshake checks an upgrade request (RFC 6455, section 4.2.1) and
// returns the Sec-WebSocket-Accept of its answer, or else a status and a
// message saying what is wrong.
func wsHandshake(r *http.Request) (accept string, status int, msg string) {
	switch {
	case r.Method != http.MethodGet:
		return "", http.StatusMethodNotAllowed, "405 a websocket upgrade is a GET"
	case !headerHasToken(r.Header, "Connection", "upgrade"):
		return "", http.StatusBadRequest, "400 not a websocket upgrade: no 'upgrade' in Connection"
	case !headerHasToken(r.Header, "Upgrade", "websocket"):
		return "", http.StatusBadRequest, "400 not a websocket upgrade: no 'websocket' in Upgrade"
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		return "", http.StatusUpgradeRequired, "426 unsupported websocket version: this server speaks 13"
	}
	key := r.Header.Get("Sec-WebSocket-Key")
	if b, err := base64.StdEncoding.DecodeString(key); err != nil || len(b) != 16 {
		return "", http.StatusBadRequest, "400 invalid Sec-WebSocket-Key"
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(sum[:]), 0, ""
}

// headerHasToken reports whether a comma-separated header field holds
// token, in any case.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// wsOffers reports whether the client offers subprotocol.
func wsOffers(r *http.Request, subprotocol string) bool {
	return headerHasToken(r.Header, "Sec-WebSocket-Protocol", subprotocol)
}
